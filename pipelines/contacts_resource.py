"""The `contacts` resource both sources share: listing, incremental cursor and deletes."""

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.schema.utils import new_table
from dlt.extract.resource import DltResource

from pipelines.page_fetching import prefetched

logger = logging.getLogger(__name__)

CURSOR_FIELD = "updated_at"
TIMESTAMP_FIELDS = ("created_at", "updated_at")
DELETIONS_TABLE = "contact_deletions"
# Values at or above this are epoch milliseconds rather than seconds (year 5138 in seconds).
_EPOCH_MILLIS_FROM = 100_000_000_000


@configspec
class SyncPolicy(BaseConfiguration):
    """How a listing becomes an incremental load, from `[sources.sync]` or per source."""

    lag_hours: float = 48.0
    """Contacts updated this long before the cursor are read again, for late commits and for
    contacts a shifting listing skipped; unchanged ones are still not rewritten."""
    max_listings: int = 3
    """Listings per run when pages shift while we read them (contacts created or deleted)."""
    prefetch_pages: int = 4
    """Pages fetched ahead of the pipeline in a background thread; 0 fetches inline."""


@dataclass
class Page:
    """One page of a listing and what the API reported with it."""

    contacts: list[dict[str, Any]]
    total: int | None
    has_more: bool | None = None
    limit: int | None = None


@dataclass
class ContactsApi:
    """What the shared resource needs from one API."""

    list_pages: Callable[[], Iterable[Page]]
    """Pages through the whole listing, from the start."""
    fetch_contact: Callable[[Any], dict[str, Any] | None]
    """The contact as the listing would show it, or None when the API no longer lists it."""
    id_type: str
    """dlt data type of the API's ids: `bigint` or `text`."""


@dataclass
class KnownContacts:
    """What the destination holds before this run: read from the DuckDB file."""

    live_ids: set[Any] = field(default_factory=set)
    deleted_ids: set[Any] = field(default_factory=set)
    has_deletions_table: bool = False


@dataclass
class ExtractStats:
    """Counts one source's listing, for the end-of-run summary and the run history."""

    pages: int = 0
    contacts_seen: int = 0
    listings: int = 0
    consistent: bool | None = None
    marked_deleted: int = 0
    reappeared: int = 0
    recovered: int = 0
    behind_cursor: list[dict[str, Any]] = field(default_factory=list)
    """Contacts new to the destination whose `updated_at` is older than the cursor (an
    import keeping its timestamps, a contact connected without an update): dlt's incremental
    drops them, so `load` merges them in a second pass with `behind_cursor_resource`."""


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


def prepare_contacts(contacts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parses the timestamps of contacts in place, naming the contact whose value is bad."""
    prepared = list(contacts)
    for contact in prepared:
        for name in TIMESTAMP_FIELDS:
            try:
                contact[name] = parse_api_timestamp(contact.get(name))
            except ValueError as error:
                raise ValueError(
                    f"contact {contact.get('id')!r} has an unreadable {name}: {error}"
                ) from None
    return prepared


def fingerprint(contact: dict[str, Any]) -> str:
    """A stable digest of every field of a contact."""
    canonical = json.dumps(contact, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(canonical.encode(), digest_size=12).hexdigest()


class Listing:
    """One pass over the API's listing, and whether it can be trusted to mark deletes.

    Offset pagination over a live data set repeats a contact when one is created ahead of
    the reader and skips one when one is deleted ahead of it. A listing is consistent when
    no id came twice, every page reported the same total, and the ids seen match it.
    """

    def __init__(self) -> None:
        self.ids: set[Any] = set()
        self.repeated = 0
        self.totals: list[int] = []

    def add(self, page: Page) -> None:
        for contact in page.contacts:
            contact_id = contact.get("id")
            if contact_id in self.ids:
                self.repeated += 1
            self.ids.add(contact_id)
        if page.total is not None:
            self.totals.append(page.total)

    @property
    def problem(self) -> str | None:
        """Why the listing is not consistent, or None when it is."""
        if self.repeated:
            return f"{self.repeated} contacts were listed twice"
        if len(set(self.totals)) > 1:
            return f"the total changed from {self.totals[0]} to {self.totals[-1]} while paging"
        if self.totals and self.totals[-1] != len(self.ids):
            return f"{len(self.ids)} contacts were listed of a total of {self.totals[-1]}"
        return None


class RecentFingerprints:
    """Drops contacts that the lag window or a null cursor would otherwise rewrite unchanged.

    dlt's incremental re-reads every contact updated within `lag` of the cursor, and every
    contact whose `updated_at` is null (it cannot be ordered), so merge would rewrite them
    every run. This remembers a digest of exactly those contacts in the resource state and
    lets through only the new and changed ones. The state holds the contacts of the current
    window, so it does not grow from run to run.
    """

    STATE_KEY = "recent_fingerprints"

    def __init__(self, lag: timedelta) -> None:
        self._lag = lag
        self._previous: dict[str, str] = dlt.current.resource_state().get(self.STATE_KEY, {})
        self._newest: datetime | None = None
        self._window: dict[str, tuple[datetime | None, dict[str, Any], str | None]] = {}

    def filter(self, contacts: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Yields the contacts the merge must see; the cursor filters the old ones after."""
        for contact in contacts:
            key = str(contact.get("id"))
            updated_at = contact.get(CURSOR_FIELD)
            if updated_at is not None and (self._newest is None or updated_at > self._newest):
                self._newest = updated_at
            previous = self._previous.get(key)
            digest = fingerprint(contact) if previous is not None else None
            if updated_at is None or updated_at >= self._newest - self._lag:
                self._window[key] = (updated_at, contact, digest)
            if previous is None or previous != digest:
                yield contact

    def commit(self) -> None:
        """Keeps the digests of the final window; dlt persists them with this load."""
        start = self._newest - self._lag if self._newest is not None else None
        dlt.current.resource_state()[self.STATE_KEY] = {
            key: digest or fingerprint(contact)
            for key, (updated_at, contact, digest) in self._window.items()
            if updated_at is None or start is None or updated_at >= start
        }


def contacts_resource(
    api: ContactsApi,
    known: KnownContacts,
    policy: SyncPolicy,
    stats: ExtractStats,
) -> DltResource:
    """The `contacts` resource: merge on `id`, incremental on `updated_at`, and deletes.

    Neither API can filter by `updated_at`, so every run reads the whole listing; dlt's
    incremental cursor then keeps only new and changed rows. Because the whole listing is
    read anyway, it also tells which contacts are gone: they are recorded, without rewriting
    their last known values, in the `contact_deletions` table.

    Args:
        api: how to list and fetch the source's contacts.
        known: the ids the destination holds, live and deleted.
        policy: lag window and listing retries.
        stats: counts what the run saw.
    """
    lag = timedelta(hours=policy.lag_hours)
    lag_seconds = lag.total_seconds()
    # Declared in the source's schema, not as resource hints: those would also shape the
    # deletions table, which this resource feeds too. Declared so that the timestamp columns
    # exist, with their type, even if every value seen so far was null.
    dlt.current.source_schema().update_table(
        new_table(
            "contacts",
            columns=[
                {"name": name, "data_type": "timestamp", "nullable": True}
                for name in TIMESTAMP_FIELDS
            ],
        )
    )

    @dlt.resource(name="contacts", primary_key="id", write_disposition="merge")
    def contacts(
        updated_at: dlt.sources.incremental[Any] = dlt.sources.incremental(
            CURSOR_FIELD, on_cursor_value_missing="include", lag=lag_seconds
        ),
    ) -> Iterator[Any]:
        run_started_at = datetime.now(UTC)
        recent = RecentFingerprints(lag)
        held_ids = known.live_ids | known.deleted_ids
        # The cursor before lag: anything older may be dropped by dlt's incremental.
        cursor = updated_at.start_value
        listing = Listing()
        for _ in range(max(1, policy.max_listings)):
            listing = Listing()
            stats.listings += 1
            # Pages are fetched in a thread of their own while dlt processes earlier ones.
            for page in prefetched(api.list_pages(), depth=policy.prefetch_pages):
                stats.pages += 1
                stats.contacts_seen += len(page.contacts)
                listing.add(page)
                contacts = prepare_contacts(page.contacts)
                if cursor is not None:
                    stats.behind_cursor.extend(
                        contact
                        for contact in contacts
                        if contact["id"] not in held_ids
                        and contact.get(CURSOR_FIELD) is not None
                        and contact[CURSOR_FIELD] < cursor
                    )
                yield list(recent.filter(contacts))
            if listing.problem is None:
                break
            logger.info("listing is inconsistent (%s); listing again", listing.problem)
        stats.consistent = listing.problem is None
        if stats.consistent:
            recovered, deletions = _reconcile(api, known, listing.ids, run_started_at, stats)
            yield list(recent.filter(prepare_contacts(recovered)))
            yield _deletions_rows(api, deletions, known.has_deletions_table)
        else:
            logger.warning(
                "listing still inconsistent after %s tries (%s): no deletes marked this run",
                stats.listings,
                listing.problem,
            )
        recent.commit()

    return contacts


def behind_cursor_resource(contacts: list[dict[str, Any]]) -> DltResource:
    """A one-off resource that merges `contacts` into the `contacts` table, cursor or not."""
    return dlt.resource(
        contacts,
        name="contacts_behind_cursor",
        table_name="contacts",
        primary_key="id",
        write_disposition="merge",
    )


def _reconcile(
    api: ContactsApi,
    known: KnownContacts,
    listed_ids: set[Any],
    run_started_at: datetime,
    stats: ExtractStats,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Compares a consistent listing with what the destination holds.

    A live contact the listing lacks is asked for by id before it is marked deleted: a
    listing can be consistent by its counts and still have skipped one contact while
    repeating none (one created and one deleted between two pages). Such a contact is
    returned to be loaded instead.

    Returns:
        The contacts the listing skipped, and the rows for the deletions table.
    """
    recovered: list[dict[str, Any]] = []
    deletions: list[dict[str, Any]] = []
    for contact_id in sorted(known.live_ids - listed_ids, key=str):
        contact = api.fetch_contact(contact_id)
        if contact is None:
            deletions.append({"id": contact_id, "deleted_at": run_started_at})
        else:
            recovered.append(contact)
    for contact_id in sorted(known.deleted_ids & listed_ids, key=str):
        deletions.append({"id": contact_id, "deleted_at": None, "_reappeared": True})
    stats.recovered = len(recovered)
    stats.marked_deleted = sum(1 for row in deletions if row["deleted_at"] is not None)
    stats.reappeared = len(deletions) - stats.marked_deleted
    return recovered, deletions


def _deletions_rows(api: ContactsApi, rows: list[dict[str, Any]], table_exists: bool) -> Any:
    """Routes rows to the `contact_deletions` table: one row per contact the API dropped.

    A contact that reappears is hard-deleted from it, so the table always holds exactly the
    contacts that are gone. The table is created empty on the first run, so that analysts
    and dbt can rely on it.
    """
    hints = dlt.mark.make_hints(
        table_name=DELETIONS_TABLE,
        write_disposition="merge",
        primary_key="id",
        columns={
            "id": {"data_type": api.id_type, "nullable": False},
            "deleted_at": {"data_type": "timestamp", "nullable": True},
            "_reappeared": {"data_type": "bool", "nullable": True, "hard_delete": True},
        },
    )
    if not rows and table_exists:
        return []
    items = rows if rows else dlt.mark.materialize_table_schema()
    return dlt.mark.with_hints(items, hints, create_table_variant=True)
