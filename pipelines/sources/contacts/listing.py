"""One pass over an API's listing: its pages, and whether it can be trusted to mark deletes."""

from dataclasses import dataclass
from typing import Any

from pipelines.sources.contacts.contract import item_id


@dataclass
class Page:
    """One page of a listing and what the API reported with it."""

    contacts: list[Any]
    total: int | None
    has_more: bool | None = None
    limit: int | None = None


@dataclass
class Probe:
    """What one request for one contact told about an API, for `contacts-elt check`."""

    base_url: str
    total: int | None
    """The contacts the listing reports, when the API reports a total."""


class Listing:
    """One pass over the API's listing, and whether it can be trusted to mark deletes.

    Offset pagination over a live data set repeats a contact when one is created ahead of
    the reader and skips one when one is deleted ahead of it. A listing is consistent when
    no id came twice, every page reported the same total, and the contacts seen match it.
    An item without an id counts towards the total but can be compared with nothing.
    """

    def __init__(self) -> None:
        self.ids: set[Any] = set()
        self.repeated = 0
        self.without_id = 0
        self.totals: list[int] = []

    def add(self, page: Page) -> None:
        for contact in page.contacts:
            contact_id = item_id(contact)
            if contact_id is None:
                self.without_id += 1
            elif contact_id in self.ids:
                self.repeated += 1
            else:
                self.ids.add(contact_id)
        if page.total is not None:
            self.totals.append(page.total)

    @property
    def problem(self) -> str | None:
        """Why the listing is not consistent, or None when it is."""
        if self.repeated:
            what = "contact was" if self.repeated == 1 else "contacts were"
            return f"{self.repeated} {what} listed twice"
        if len(set(self.totals)) > 1:
            totals = ", ".join(str(total) for total in dict.fromkeys(self.totals))
            return f"the total changed while paging ({totals})"
        seen = len(self.ids) + self.without_id
        if self.totals and self.totals[-1] != seen:
            return f"{seen} contacts were listed of a total of {self.totals[-1]}"
        return None
