"""One pass over an API's listing: its pages, whether it ends, and whether it can mark deletes."""

import math
import time
from collections import deque
from collections.abc import Callable
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
    next_cursor: Any = None
    """The cursor the API gave for the next page, on a cursor listing."""

    def __post_init__(self) -> None:
        # Counts as the API sent them: anything but a count (a string, a negative number) is
        # taken as not sent, rather than failing the night over pagination metadata.
        self.total = _count(self.total)
        self.limit = _count(self.limit)
        if self.next_cursor == "":
            self.next_cursor = None


def _count(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None


@dataclass
class Probe:
    """What one request for one contact told about an API, for `contacts-elt check`."""

    base_url: str
    total: int | None
    """The contacts the listing reports, when the API reports a total."""
    note: str | None = None
    """Something the API does that a night copes with but an operator should know."""


class Listing:
    """One pass over the API's listing: what its pages reported, and whether it can be trusted
    to mark deletes.

    Offset pagination over a live data set repeats a contact when one is created ahead of
    the reader and skips one when one is deleted ahead of it. A listing is consistent when
    no id came twice, every page reported the same total, and the contacts seen match it.
    An item without an id counts towards the total but can be compared with nothing. The ids
    themselves are counted in the run's ledger (`ContactLedger`), not here: here are only the
    ids of the last few pages, which is all that telling a repeated page from progress needs.
    """

    def __init__(self, recent_pages: int = 20) -> None:
        self.totals: list[int] = []
        self.read = 0
        """The contacts read so far, each once as far as the recent pages can tell: an old
        page read again counts twice here, and the ledger's exact counts catch it."""
        self._recent: dict[Any, int] = {}
        self._recent_pages: deque[list[Any]] = deque()
        self._keep_pages = recent_pages

    def new_in(self, page: Page) -> int:
        """How many of a page's contacts the last pages of this listing did not hold; an item
        without an id counts as new, since it can be compared with nothing."""
        return sum(1 for contact in page.contacts if item_id(contact) not in self._recent)

    def add(self, page: Page, new: int) -> None:
        """Counts a page in, `new` of whose contacts are new (`new_in`)."""
        self.read += new
        ids = [
            contact_id for contact in page.contacts if (contact_id := item_id(contact)) is not None
        ]
        for contact_id in ids:
            self._recent[contact_id] = self._recent.get(contact_id, 0) + 1
        self._recent_pages.append(ids)
        if len(self._recent_pages) > self._keep_pages:
            for contact_id in self._recent_pages.popleft():
                if (count := self._recent[contact_id]) == 1:
                    del self._recent[contact_id]
                else:
                    self._recent[contact_id] = count - 1
        if page.total is not None:
            self.totals.append(page.total)

    def problem(self, with_id: int, distinct_ids: int, without_id: int) -> str | None:
        """Why the listing is not consistent, or None when it is.

        Args:
            with_id: the listed contacts with an id, repeats included (the ledger counts them).
            distinct_ids: the distinct ids among them.
            without_id: the listed items without an id.
        """
        repeated = with_id - distinct_ids
        if repeated:
            what = "contact was" if repeated == 1 else "contacts were"
            return f"{repeated} {what} listed twice"
        if len(set(self.totals)) > 1:
            totals = ", ".join(str(total) for total in dict.fromkeys(self.totals))
            return f"the total changed while paging ({totals})"
        seen = distinct_ids + without_id
        if self.totals and self.totals[-1] != seen:
            return f"{seen} contacts were listed of a total of {self.totals[-1]}"
        return None


class ListingStalled(Exception):
    """A listing that made no progress, stopped before it could run forever.

    The source fails with `describe()`: one line that says what the API did.
    """

    def __init__(self, cause: str, pages: int) -> None:
        self.cause = cause
        self.pages = pages
        super().__init__(self.describe())

    def describe(self) -> str:
        pages = f"{self.pages:,} page" + ("" if self.pages == 1 else "s")
        return f"{self.cause}; the listing was stopped after {pages}"


# No-progress pages tolerated in a row: a page of repeats can come from contacts created ahead of
# an offset listing, an empty one from a filter applied after the limit; three in a row do not.
_PAGES_WITHOUT_PROGRESS = 3


class ListingGuard:
    """Ends a listing that makes no progress, whatever the API's `has_more` says.

    A server bug that repeats a cursor, or clamps a page number to the last page, answers every
    next page with contacts already read and `has_more` true: a client that trusts it reads
    forever. Each page of a listing is checked as it comes:

    - once every contact of the reported total was read, a page that brings nothing new or
      repeats a cursor ends it as complete (a page number clamped to the last page);
    - otherwise a cursor the API already gave in this listing stops it, and so do a cursor
      that leads to contacts already read, a page of repeats past the pages the total fills,
      and three pages in a row that bring nothing new;
    - more pages than the reported total fills, plus `extra_pages`, stop it;
    - and past `deadline` (a `clock()` value), the listing stops whatever it is doing.
    """

    def __init__(
        self,
        extra_pages: int,
        deadline: float,
        deadline_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pages = 0
        self._extra_pages = extra_pages
        self._deadline = deadline
        self._deadline_seconds = deadline_seconds
        self._clock = clock
        self._cursors: set[Any] = set()
        self._total: int | None = None
        self._page_size = 0
        self._without_progress = 0

    def admit(self, page: Page, new_contacts: int, contacts_read: int) -> bool:
        """Checks the next page of the listing.

        Args:
            page: the page, as the API answered it.
            new_contacts: how many of its contacts the listing had not read before.
            contacts_read: how many contacts the listing has read, this page's included.

        Returns:
            False when the listing is complete and must not be read further, else True.

        Raises:
            ListingStalled: the listing makes no progress; says how.
        """
        self.pages += 1
        if page.total is not None:
            self._total = max(self._total or 0, page.total)
        self._page_size = max(self._page_size, page.limit or 0, len(page.contacts))
        complete = self._total is not None and contacts_read >= self._total
        if not new_contacts and complete:
            return False
        if page.next_cursor is not None:
            cursor = page.next_cursor
            if not isinstance(cursor, str | int):
                cursor = repr(cursor)
            if cursor in self._cursors:
                if complete:
                    return False
                raise ListingStalled("the API returned the same cursor twice", self.pages)
            self._cursors.add(cursor)
        if new_contacts:
            self._without_progress = 0
        else:
            self._stop_without_progress(page, contacts_read)
        pages_filled = self._pages_filled()
        if pages_filled is not None and self.pages > pages_filled + self._extra_pages:
            raise ListingStalled(
                f"the API kept saying more pages follow: {self.pages:,} pages read, where its "
                f"total of {self._total:,} contacts fills {pages_filled:,}",
                self.pages,
            )
        if self._clock() > self._deadline:
            raise ListingStalled(
                f"the listing took longer than {self._deadline_seconds:,.0f} s "
                "([sources.sync] max_listing_seconds)",
                self.pages,
            )
        return True

    def _pages_filled(self) -> int | None:
        """The pages the reported total fills at the page size seen, when there is a total."""
        if self._total is None or not self._page_size:
            return None
        return max(1, math.ceil(self._total / self._page_size))

    def _stop_without_progress(self, page: Page, contacts_read: int) -> None:
        """Raises unless a page with nothing new can still be an honest listing's."""
        self._without_progress += 1
        of_total = f" of {self._total:,}" if self._total is not None else ""
        read = f"{contacts_read:,}{of_total} contacts read"
        pages_filled = self._pages_filled()
        if page.contacts and page.next_cursor is not None:
            raise ListingStalled(
                f"the API's cursor led to a page of contacts already listed ({read})", self.pages
            )
        if page.contacts and pages_filled is not None and self.pages > pages_filled:
            raise ListingStalled(
                f"page {self.pages:,} repeated contacts already listed, past the "
                f"{pages_filled:,} pages its total fills ({read})",
                self.pages,
            )
        if self._without_progress >= _PAGES_WITHOUT_PROGRESS:
            what = "empty pages" if not page.contacts else "pages of contacts already listed"
            raise ListingStalled(
                f"the API kept answering with {what} while saying more follow ({read})",
                self.pages,
            )
