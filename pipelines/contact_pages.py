"""What both sources do to every page of contacts before dlt sees it."""

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.extract.resource import DltResource

CURSOR_FIELD = "updated_at"
TIMESTAMP_FIELDS = ("created_at", "updated_at")
# Declared up front so the columns are timestamps even when the first page has only nulls.
TIMESTAMP_COLUMNS: dict[str, Any] = {
    name: {"data_type": "timestamp", "nullable": True} for name in TIMESTAMP_FIELDS
}
# Values at or above this are epoch milliseconds rather than seconds (year 5138 in seconds).
_EPOCH_MILLIS_FROM = 100_000_000_000


@dataclass
class ExtractStats:
    """Counts one source's listing, for the end-of-run summary."""

    pages: int = 0
    contacts_seen: int = 0


def parse_api_timestamp(value: Any) -> datetime | None:
    """Reads an API timestamp as an aware UTC datetime.

    Accepts ISO-8601 with `Z` or an offset, `YYYY-MM-DD HH:MM:SS` (taken as UTC, SprintMode's
    undocumented format) and epoch seconds or milliseconds. Empty values are None.

    Raises:
        ValueError: the value is not a timestamp in any of those forms.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value >= _EPOCH_MILLIS_FROM else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip())
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def prepare_page(contacts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parses the timestamps of one page in place, naming the contact whose value is bad."""
    page = list(contacts)
    for contact in page:
        for field in TIMESTAMP_FIELDS:
            try:
                contact[field] = parse_api_timestamp(contact.get(field))
            except ValueError as error:
                raise ValueError(
                    f"contact {contact.get('id')!r} has an unreadable {field}: {error}"
                ) from None
    return page


def fingerprint(contact: dict[str, Any]) -> str:
    """A stable digest of every field of a contact."""
    canonical = json.dumps(contact, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(canonical.encode(), digest_size=12).hexdigest()


class UncursoredChanges:
    """Lets through contacts without `updated_at` only when they are new or changed.

    The incremental cursor cannot order a contact whose `updated_at` is null, so dlt includes
    such rows on every run, and merge would rewrite them every night. This remembers a
    fingerprint per uncursored contact in the resource state and drops the unchanged ones.
    The state holds only the contacts that currently have no `updated_at`, so it does not
    grow from run to run.
    """

    STATE_KEY = "uncursored_fingerprints"

    def __init__(self) -> None:
        state = dlt.current.resource_state()
        self._previous: dict[str, str] = state.get(self.STATE_KEY, {})
        self._current: dict[str, str] = {}

    def filter(self, page: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Yields the contacts of `page` that the merge must see."""
        for contact in page:
            if contact.get(CURSOR_FIELD) is not None:
                yield contact
                continue
            key = str(contact.get("id"))
            digest = fingerprint(contact)
            self._current[key] = digest
            if self._previous.get(key) != digest:
                yield contact

    def commit(self) -> None:
        """Stores the fingerprints once the listing is complete; dlt persists it with the load."""
        dlt.current.resource_state()[self.STATE_KEY] = self._current


def contacts_resource(
    list_pages: Callable[[], Iterable[list[dict[str, Any]]]], stats: ExtractStats
) -> DltResource:
    """The `contacts` resource both sources share: merge on `id`, incremental on `updated_at`.

    Neither API can filter by `updated_at`, so every run reads the whole listing and the
    incremental cursor keeps only new and changed rows. Contacts without `updated_at` are
    included (the LevCapital contact object allows it) but only when they changed.

    Args:
        list_pages: pages through the API's listing from the start.
        stats: counts pages and contacts as they are read.
    """

    @dlt.resource(
        name="contacts",
        primary_key="id",
        write_disposition="merge",
        columns=TIMESTAMP_COLUMNS,
    )
    def contacts(
        updated_at: dlt.sources.incremental[Any] = dlt.sources.incremental(
            CURSOR_FIELD, on_cursor_value_missing="include"
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        uncursored = UncursoredChanges()
        for page in list_pages():
            stats.pages += 1
            stats.contacts_seen += len(page)
            yield list(uncursored.filter(prepare_page(page)))
        uncursored.commit()

    return contacts
