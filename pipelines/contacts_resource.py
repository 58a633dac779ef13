"""The `contacts` resource both sources share: listing, change detection, rejects and deletes."""

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

from pipelines.contact_contract import (
    DEFAULT_MAX_TEXT_LENGTH,
    ContactContract,
    RejectedContact,
    raw_payload,
)
from pipelines.page_fetching import prefetched

logger = logging.getLogger(__name__)

CURSOR_FIELD = "updated_at"
DELETIONS_TABLE = "contact_deletions"
REJECTS_TABLE = "contact_rejects"
CONTENT_HASH = "_content_hash"
"""Column of the raw contacts table with each row's fingerprint, so that a run can tell a
changed contact from an unchanged one by content, with or without timestamps."""
# The resource state key where earlier versions kept fingerprints; removed on the next run.
_LEGACY_FINGERPRINTS_KEY = "recent_fingerprints"


@configspec
class SyncPolicy(BaseConfiguration):
    """How a listing becomes an incremental load, from `[sources.sync]` or per source."""

    lag_hours: float = 48.0
    """Contacts updated this long before the cursor go through the main load rather than the
    second, cursor-free pass: late commits are common, and a second pass costs a load."""
    max_listings: int = 3
    """Listings per run when pages shift while we read them (contacts created or deleted)."""
    prefetch_pages: int = 4
    """Pages fetched ahead of the pipeline in a background thread; 0 fetches inline."""
    max_text_length: int = DEFAULT_MAX_TEXT_LENGTH
    """Characters a text value may hold; a contact with a longer one is set aside."""


@dataclass
class Page:
    """One page of a listing and what the API reported with it."""

    contacts: list[Any]
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
    contract: ContactContract
    """The documented fields and their types: the raw table's columns, and each contact's
    check."""


@dataclass
class KnownContacts:
    """What the destination holds before this run: read from the DuckDB file."""

    live_ids: set[Any] = field(default_factory=set)
    deleted_ids: set[Any] = field(default_factory=set)
    has_deletions_table: bool = False
    hashes: dict[Any, str | None] = field(default_factory=dict)
    """Each held contact's content fingerprint; None for rows written before fingerprints."""
    rejected_keys: set[str] = field(default_factory=set)
    """The `reject_key`s of the contacts currently set aside in the rejects table."""
    has_rejects_table: bool = False
    has_contacts_table: bool = False


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
    unchanged: int = 0
    rejected: list[RejectedContact] = field(default_factory=list)
    """The contacts of the last listing that broke the contract, set aside in the rejects
    table; the other contacts load as usual."""
    behind_cursor: list[dict[str, Any]] = field(default_factory=list)
    """New or changed contacts of the last listing whose `updated_at` is older than the cursor
    (an import keeping its timestamps, a field the API started to send, a late commit beyond
    the lag): dlt's incremental would drop them, so `load` merges them in a second pass with
    `behind_cursor_resource`."""


def fingerprint(contact: dict[str, Any]) -> str:
    """A stable digest of a contact's content.

    A field that is null digests as a field that is absent: an API that leaves nulls out
    (as the docs allow) and one that sends them describe the same contact.
    """
    content = {
        name: value for name, value in contact.items() if value is not None and name != CONTENT_HASH
    }
    canonical = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(canonical.encode(), digest_size=12).hexdigest()


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
            contact_id = contact.get("id") if isinstance(contact, dict) else None
            if contact_id is None or contact_id == "":
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
            return f"{self.repeated} contacts were listed twice"
        if len(set(self.totals)) > 1:
            return f"the total changed from {self.totals[0]} to {self.totals[-1]} while paging"
        seen = len(self.ids) + self.without_id
        if self.totals and self.totals[-1] != seen:
            return f"{seen} contacts were listed of a total of {self.totals[-1]}"
        return None


class ChangeSorter:
    """Sorts one run's contacts into unchanged, rejected, and the two passes that write them.

    A contact is written only when its content fingerprint differs from the one the
    destination holds (or from the one this run already wrote, should a shifting listing
    be read again). The fingerprints live in the raw table itself, beside the row they
    describe, not in dlt's state: the state then stays the same size however many contacts
    there are, and a row and its fingerprint can never disagree. This finds changes by
    content, so it works when the API sends no timestamps at all, when a field starts to
    appear, and when a contact is fixed without a new `updated_at`.

    dlt's incremental cursor still keeps `updated_at` and drops what is older than it (less
    the lag); a new or changed contact that old goes to `behind`, for the second pass.
    """

    def __init__(self, contract: ContactContract, known: KnownContacts, cursor: Any) -> None:
        self._contract = contract
        self._known = known
        self._cursor = cursor
        self.written: dict[Any, str] = {}
        """id -> fingerprint of every contact yielded this run, over every listing."""
        self.start_listing()

    def start_listing(self) -> None:
        """Forgets what an earlier listing set aside: only the last listing is current.

        A copy kept from an earlier listing could be merged over a fresher one, or bring back
        a contact deleted between the two listings.
        """
        self.behind: dict[Any, dict[str, Any]] = {}
        self.rejected: dict[str, tuple[Any, RejectedContact]] = {}
        self.unchanged = 0

    def sort(self, items: Iterable[Any]) -> list[dict[str, Any]]:
        """The contacts of `items` that the main pass must write; records the others."""
        to_write = []
        for item in items:
            try:
                contact = self._contract.read(item)
            except RejectedContact as rejected:
                self.rejected[_reject_key(item, rejected)] = (item, rejected)
                continue
            contact_id = contact["id"]
            digest = fingerprint(contact)
            if self.written.get(contact_id, self._known.hashes.get(contact_id)) == digest:
                self.unchanged += 1
                continue
            contact[CONTENT_HASH] = digest
            updated_at = contact.get(CURSOR_FIELD)
            if self._cursor is not None and updated_at is not None and updated_at < self._cursor:
                self.behind[contact_id] = contact
            else:
                self.written[contact_id] = digest
                to_write.append(contact)
        return to_write


def contacts_resource(
    api: ContactsApi,
    known: KnownContacts,
    policy: SyncPolicy,
    stats: ExtractStats,
) -> DltResource:
    """The `contacts` resource: merge on `id`, incremental on `updated_at`, rejects and deletes.

    Neither API can filter by `updated_at`, so every run reads the whole listing and writes
    the contacts whose content changed (`ChangeSorter`). Because the whole listing is read
    anyway, it also tells which contacts are gone: they are recorded, without rewriting their
    last known values, in the `contact_deletions` table. A contact that breaks the documented
    contract is set aside in `contact_rejects`, with its payload and the reason, and the rest
    load as usual.

    Args:
        api: how to list and fetch the source's contacts, and their documented fields.
        known: what the destination holds: ids, fingerprints and rejects.
        policy: lag window, listing retries and the longest text accepted.
        stats: counts what the run saw.
    """
    lag_seconds = timedelta(hours=policy.lag_hours).total_seconds()
    contract = api.contract.with_max_text_length(policy.max_text_length)
    # Declared in the source's schema, not as resource hints: those would also shape the
    # deletions and rejects tables, which this resource feeds too. Declared so that every
    # documented field exists, with its type, even if no contact ever sent it: dbt and its
    # unit tests then see the same columns whatever subset of fields the API sends.
    dlt.current.source_schema().update_table(
        new_table(
            "contacts",
            columns=[
                *contract.columns(),
                {"name": CONTENT_HASH, "data_type": "text", "nullable": True},
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
        # Fingerprints now live in the raw table; an older state still carries its own.
        dlt.current.resource_state().pop(_LEGACY_FINGERPRINTS_KEY, None)
        if not known.has_contacts_table:
            # A first run over an empty account still creates the table, with every column.
            yield dlt.mark.materialize_table_schema()
        # The cursor less the lag: dlt's incremental drops anything older.
        sorter = ChangeSorter(contract, known, updated_at.start_value)
        listing = Listing()
        for _ in range(max(1, policy.max_listings)):
            listing = Listing()
            sorter.start_listing()
            stats.listings += 1
            # Pages are fetched in a thread of their own while dlt processes earlier ones.
            for page in prefetched(api.list_pages(), depth=policy.prefetch_pages):
                stats.pages += 1
                stats.contacts_seen += len(page.contacts)
                listing.add(page)
                yield sorter.sort(page.contacts)
            if listing.problem is None:
                break
            logger.info("listing is inconsistent (%s); listing again", listing.problem)
        stats.consistent = listing.problem is None
        if stats.consistent:
            recovered, deletions = _reconcile(
                api, known, listing.ids, set(sorter.written), run_started_at, stats
            )
            yield sorter.sort(recovered)
            yield _deletions_rows(api, deletions, known.has_deletions_table)
        else:
            logger.warning(
                "listing still inconsistent after %s tries (%s): no deletes marked this run",
                stats.listings,
                listing.problem,
            )
        stats.unchanged = sorter.unchanged
        stats.behind_cursor = list(sorter.behind.values())
        stats.rejected = [rejected for _, rejected in sorter.rejected.values()]
        yield _rejects_rows(sorter.rejected, known, run_started_at, resolve=stats.consistent)

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
    written_ids: set[Any],
    run_started_at: datetime,
    stats: ExtractStats,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Compares a consistent listing with what the destination holds, or will after this run.

    A live contact the listing lacks is asked for by id before it is marked deleted: a
    listing can be consistent by its counts and still have skipped one contact while
    repeating none (one created and one deleted between two pages). Such a contact is
    returned to be loaded instead. A contact that an earlier listing of this run wrote, and
    that the last one lacks, is checked the same way: it may have been deleted in between.

    Returns:
        The contacts the listing skipped, and the rows for the deletions table.
    """
    recovered: list[dict[str, Any]] = []
    deletions: list[dict[str, Any]] = []
    for contact_id in sorted((known.live_ids | written_ids) - listed_ids, key=str):
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
            "id": {"data_type": api.contract.id_type, "nullable": False},
            "deleted_at": {"data_type": "timestamp", "nullable": True},
            "_reappeared": {"data_type": "bool", "nullable": True, "hard_delete": True},
        },
    )
    if not rows and table_exists:
        return []
    items = rows if rows else dlt.mark.materialize_table_schema()
    return dlt.mark.with_hints(items, hints, create_table_variant=True)


def _reject_key(item: Any, rejected: RejectedContact) -> str:
    """What identifies a rejected item from night to night: its id, else its content."""
    if rejected.contact_id is not None:
        return str(rejected.contact_id)
    digest = hashlib.blake2b(raw_payload(item).encode(), digest_size=12).hexdigest()
    return f"payload:{digest}"


def _rejects_rows(
    rejected: dict[str, tuple[Any, RejectedContact]],
    known: KnownContacts,
    run_started_at: datetime,
    resolve: bool,
) -> Any:
    """Routes rows to the `contact_rejects` table: one row per contact currently set aside.

    Each row keeps the item exactly as the API sent it and the reason it broke the contract.
    A contact that reads well again is hard-deleted from the table, once a complete listing
    shows it is no longer rejected; until then its row stays.
    """
    hints = dlt.mark.make_hints(
        table_name=REJECTS_TABLE,
        write_disposition="merge",
        primary_key="reject_key",
        columns={
            "reject_key": {"data_type": "text", "nullable": False},
            "id": {"data_type": "text", "nullable": True},
            "reason": {"data_type": "text", "nullable": True},
            "payload": {"data_type": "text", "nullable": True},
            "rejected_at": {"data_type": "timestamp", "nullable": True},
            "_resolved": {"data_type": "bool", "nullable": True, "hard_delete": True},
        },
    )
    rows: list[dict[str, Any]] = [
        {
            "reject_key": key,
            "id": None if reason.contact_id is None else str(reason.contact_id),
            "reason": reason.reason,
            "payload": raw_payload(item),
            "rejected_at": run_started_at,
        }
        for key, (item, reason) in rejected.items()
    ]
    if resolve:
        rows += [
            {"reject_key": key, "_resolved": True}
            for key in sorted(known.rejected_keys - set(rejected))
        ]
    if not rows and known.has_rejects_table:
        return []
    items = rows if rows else dlt.mark.materialize_table_schema()
    return dlt.mark.with_hints(items, hints, create_table_variant=True)
