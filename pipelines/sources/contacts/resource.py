"""The `contacts` resource both sources share: listing, change detection, rejects and deletes."""

import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.schema.typing import TColumnSchema
from dlt.common.schema.utils import new_table
from dlt.extract.resource import DltResource

from pipelines.http.paging import prefetched
from pipelines.settings import (
    CONTACTS_TABLE,
    CONTENT_HASH,
    CURSOR_FIELD,
    DELETIONS_TABLE,
    REJECTS_TABLE,
)
from pipelines.sources.contacts.changes import Changed, ChangeSorter, changed_of, staged
from pipelines.sources.contacts.columnar import ArrowBatches, ColumnarReader, split_behind
from pipelines.sources.contacts.contract import (
    DEFAULT_MAX_TEXT_LENGTH,
    ContactContract,
    RejectedContact,
)
from pipelines.sources.contacts.deletes import deletions_rows, reconcile
from pipelines.sources.contacts.ledger import ContactLedger, LedgerRow
from pipelines.sources.contacts.listing import Listing, ListingGuard, Page
from pipelines.sources.contacts.rejects import rejects_rows
from pipelines.sources.contacts.side_tables import SideTableRows, side_table_resource

logger = logging.getLogger(__name__)

MERGED_ON_ID: dict[str, TColumnSchema] = {
    "id": {"name": "id", "merge_key": True, "primary_key": False}
}
"""The contacts merge on `id` as a merge key, not a primary key.

With a primary key, dlt numbers the written rows of each id to keep one: a window over every
written row, which at a million contacts ran out of the load's DuckDB memory. With a merge
key it only deletes the held rows of the written ids, and the ledger already writes each id
once per load. `primary_key: False` is spelled out so that databases made before this retire
the hint: dlt keeps a stored hint that a resource merely leaves out.
"""


class _JsonAsTextNotice(logging.Filter):
    """Drops dlt's warning that an Arrow column's type differs from the resource's hint.

    The contacts' Arrow tables carry a JSON field as its text, and the `json` hint makes it a
    JSON column: dlt keeps the hint and lets the destination read the text as JSON, which is
    what is meant. The warning would otherwise come with every run that loads a contact.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "when merging arrow schema with dlt schema" not in record.getMessage()


# A filter on the logger itself, so that it holds whichever handler dlt gives the logger.
logging.getLogger("dlt").addFilter(_JsonAsTextNotice())


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
    extra_pages: int = 20
    """Pages a listing may run past those its reported total fills (contacts created while it
    is read) before it is stopped as one that never ends."""
    max_listing_seconds: float = 6 * 3600.0
    """The longest one source's listings may take in a run, the last resort against a
    listing that never ends; past it the source fails."""


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
    """What the destination holds before this run.

    The held ids and fingerprints are not kept here: `held_rows` streams them into the run's
    ledger (`ContactLedger`), a scratch DuckDB file, so that a run's memory does not grow with
    the account. Here are only which tables exist and the few contacts set aside.
    """

    held_rows: Callable[[], Iterable[Any]] | None = None
    """Arrow batches of `id`, `fingerprint` and `is_deleted`, one row per held contact;
    None when nothing is held."""
    ledger_folder: Path | None = None
    """Where the run's ledger lives (`ContactLedger`); a temporary folder when None."""
    ledger_memory_limit: str = "64MB"
    """DuckDB's memory for the ledgers of the process: a share of the night's budget
    (pipelines/memory.py)."""
    rewrite_all: bool = False
    """Write every listed contact, whatever its fingerprint (`contacts-elt refresh`)."""
    has_deletions_table: bool = False
    rejected_keys: set[str] = field(default_factory=set)
    """The `reject_key`s of the contacts currently set aside in the rejects table."""
    has_rejects_table: bool = False
    has_contacts_table: bool = False

    def open_ledger(self, id_type: str) -> ContactLedger:
        """The run's ledger, holding what the destination holds."""
        if self.ledger_folder is None:
            ledger = ContactLedger.temporary(id_type)
        else:
            ledger = ContactLedger(self.ledger_folder, id_type, self.ledger_memory_limit)
        if self.held_rows is not None:
            ledger.hold(self.held_rows())
        return ledger


@dataclass
class ExtractStats:
    """Counts one source's listing, for the end-of-run summary and the run history."""

    pages: int = 0
    contacts_seen: int = 0
    contacts_total: int | None = None
    """The contacts the API reports on the first page of a listing, summed over the listings
    (a shifting listing is read again, and `contacts_seen` counts every read), so that a
    progress display compares like with like; None when the API reports no total."""
    pages_total: int | None = None
    """The pages that `contacts_total` takes at the first page's size; None without a total."""
    listings: int = 0
    consistent: bool | None = None
    marked_deleted: int = 0
    reappeared: int = 0
    recovered: int = 0
    unchanged: int = 0
    written: int = 0
    """Contacts written, both passes included."""
    inserted: int = 0
    """Contacts written that the destination did not hold."""
    updated: int = 0
    """Contacts written that the destination held with other content."""
    rejected: list[RejectedContact] = field(default_factory=list)
    """The contacts of the last listing that broke the contract, set aside in the rejects
    table; the other contacts load as usual."""
    behind_cursor: list[dict[str, Any]] = field(default_factory=list)
    """New or changed contacts of the last listing whose `updated_at` is older than the cursor
    (an import keeping its timestamps, a field the API started to send, a late commit beyond
    the lag): dlt's incremental would drop them, so `load` merges them in a second pass with
    `behind_cursor_resource`."""

    def count_listing_total(self, first_page: Page) -> None:
        """Adds what the first page of a listing reports to the totals, when it reports one."""
        if first_page.total is None:
            return
        # LevCapital's pages do not say their size: a first page is full unless it is the only
        # one, and an only page (an empty one too) is one page whatever its size.
        size = first_page.limit or len(first_page.contacts)
        pages = max(1, math.ceil(first_page.total / size)) if size else 1
        self.contacts_total = (self.contacts_total or 0) + first_page.total
        self.pages_total = (self.pages_total or 0) + pages


def contacts_resources(
    api: ContactsApi,
    known: KnownContacts,
    policy: SyncPolicy,
    stats: ExtractStats,
) -> list[DltResource]:
    """The `contacts` resource, then those of the deletions and rejects tables."""
    side = SideTableRows()

    def side_rows(name: str) -> Any:
        if not side.listed:
            raise RuntimeError(
                f"{name} was extracted before the listing was done: dlt must extract "
                "resources in order (EXTRACT__NEXT_ITEM_MODE=fifo)"
            )
        return getattr(side, name)

    return [
        contacts_resource(api, known, policy, stats, side),
        side_table_resource(DELETIONS_TABLE, lambda: side_rows("deletions")),
        side_table_resource(REJECTS_TABLE, lambda: side_rows("rejects")),
    ]


def contacts_resource(
    api: ContactsApi,
    known: KnownContacts,
    policy: SyncPolicy,
    stats: ExtractStats,
    side: SideTableRows,
) -> DltResource:
    """The `contacts` resource: merge on `id`, incremental on `updated_at`, rejects and deletes.

    Neither API can filter by `updated_at`, so every run reads the whole listing and writes
    the contacts whose content changed (`ChangeSorter`). Because the whole listing is read
    anyway, it also tells which contacts are gone: they are recorded, without rewriting their
    last known values, in the `contact_deletions` table. A contact that breaks the documented
    contract is set aside in `contact_rejects`, with its payload and the reason, and the rest
    load as usual. The rows of both tables go to `side`, for their own resources.

    Args:
        api: how to list and fetch the source's contacts, and their documented fields.
        known: what the destination holds: ids, fingerprints and rejects.
        policy: lag window, listing retries and the longest text accepted.
        stats: counts what the run saw.
        side: receives the deletions and rejects rows once the listing is done.
    """
    lag_seconds = timedelta(hours=policy.lag_hours).total_seconds()
    contract = api.contract.with_max_text_length(policy.max_text_length)
    # Declared so that every documented field exists, with its type, even if no contact ever
    # sent it: dbt and its unit tests then see the same columns whatever subset of fields the
    # API sends.
    dlt.current.source_schema().update_table(
        new_table(
            CONTACTS_TABLE,
            columns=[
                *contract.columns(),
                {"name": CONTENT_HASH, "data_type": "text", "nullable": True},
            ],
        )
    )

    # The one hint the Arrow tables need: dlt would take JSON, which they carry as its text,
    # for a text column.
    json_columns = {name: {"data_type": "json"} for name in contract.fields_of("json")}

    @dlt.resource(
        name="contacts",
        write_disposition="merge",
        columns={**json_columns, **MERGED_ON_ID},
    )
    def contacts(
        updated_at: dlt.sources.incremental[Any] = dlt.sources.incremental(
            CURSOR_FIELD, on_cursor_value_missing="include", lag=lag_seconds
        ),
    ) -> Iterator[Any]:
        run_started_at = datetime.now(UTC)
        if not known.has_contacts_table:
            # A first run over an empty account still creates the table, with every column.
            yield dlt.mark.materialize_table_schema()
        # The cursor less the lag: dlt's incremental drops anything older.
        sorter = ChangeSorter(contract, updated_at.start_value)
        batches = ArrowBatches(contract)
        reader = ColumnarReader(contract)
        ledger = known.open_ledger(contract.id_type)

        def main_pass(changed: list[Changed]) -> Iterator[Any]:
            """What of `changed` the main pass writes, as Arrow tables where they fit."""
            table = reader.read(changed) if changed else None
            if table is None:
                ready_items = batches.add(sorter.sort(changed))
            else:
                current, behind = split_behind(table, updated_at.start_value)
                sorter.admit(changed, behind)
                ready_items = batches.add_table(current)
            for ready in ready_items:
                if batches.trips_dlt_incremental(ready, updated_at.start_value):
                    sorter.hold_back(ready)
                else:
                    yield ready

        try:
            problem = read_listings(api, ledger, policy, stats)
            # Only now, the listing done, is it known what changed: one join in the ledger.
            for rows in ledger.changed(rewrite_all=known.rewrite_all):
                yield from main_pass([changed_of(row) for row in rows])
            yield from batches.flush()
            stats.unchanged = ledger.unchanged_count()
            if stats.consistent:
                recovered, deletions = reconcile(
                    api.fetch_contact, ledger.gone_ids(), ledger.reappeared_ids(), run_started_at
                )
                stats.recovered = len(recovered)
                stats.marked_deleted = sum(1 for row in deletions if row["deleted_at"] is not None)
                stats.reappeared = len(deletions) - stats.marked_deleted
                yield from main_pass(changed_of_recovered(recovered, ledger))
                yield from batches.flush()
                side.deletions = deletions_rows(
                    deletions, contract.id_type, known.has_deletions_table
                )
            else:
                logger.warning(
                    "listing still inconsistent after %s tries (%s): no deletes marked this run",
                    stats.listings,
                    problem,
                )
        finally:
            ledger.close()
        stats.written, stats.inserted, stats.updated = (
            sorter.written,
            sorter.inserted,
            sorter.updated,
        )
        stats.behind_cursor = list(sorter.behind.values())
        stats.rejected = [rejected for _, rejected in sorter.rejected.values()]
        side.rejects = rejects_rows(
            sorter.rejected,
            known.rejected_keys,
            known.has_rejects_table,
            run_started_at,
            resolve=stats.consistent,
        )
        side.listed = True

    return contacts


def changed_of_recovered(recovered: list[dict[str, Any]], ledger: ContactLedger) -> list[Changed]:
    """The contacts a listing skipped, fetched by id, whose content the destination lacks;
    decoded from their canonical JSON as the listed ones are, so that both read alike."""
    rows = [staged(contact) for contact in recovered]
    held = ledger.held_fingerprints(
        [contact_id for contact_id, _, _ in rows if contact_id is not None]
    )
    return [
        changed_of(LedgerRow(canonical, fingerprint, contact_id in held, held.get(contact_id)))
        for contact_id, fingerprint, canonical in rows
        if contact_id not in held or held[contact_id] != fingerprint
    ]


def read_listings(
    api: ContactsApi, ledger: ContactLedger, policy: SyncPolicy, stats: ExtractStats
) -> str | None:
    """Reads the API's listing into the ledger, again while pages shift under it, up to
    `max_listings` times; returns why the last listing is inconsistent, or None."""
    # Every listing of this run ends by then, however the API pages.
    deadline = time.monotonic() + policy.max_listing_seconds
    problem: str | None = None
    for _ in range(max(1, policy.max_listings)):
        listing = Listing()
        guard = ListingGuard(policy.extra_pages, deadline, policy.max_listing_seconds)
        ledger.start_listing()
        stats.listings += 1
        # Pages are fetched in a thread of their own while earlier ones are read; closed as
        # soon as the listing ends or is stopped, which stops that thread.
        with closing(prefetched(api.list_pages(), depth=policy.prefetch_pages)) as pages:
            for number, page in enumerate(pages, start=1):
                if number == 1:
                    stats.count_listing_total(page)
                stats.pages += 1
                stats.contacts_seen += len(page.contacts)
                new = listing.new_in(page)
                complete = not guard.admit(page, new, listing.read + new)
                if new or not complete:
                    listing.add(page, new)
                    for item in page.contacts:
                        ledger.add(*staged(item))
                if complete:
                    logger.info(
                        "every one of the %s contacts the API reports was read by page %s, "
                        "though it said more follow: the listing is complete",
                        listing.read,
                        number,
                    )
                    break
        problem = listing.problem(*ledger.listed_counts())
        if problem is None:
            break
        logger.info("listing is inconsistent (%s); listing again", problem)
    stats.consistent = problem is None
    return problem


def behind_cursor_resource(contacts: list[dict[str, Any]]) -> DltResource:
    """A one-off resource that merges `contacts` into the `contacts` table, cursor or not."""
    return dlt.resource(
        contacts,
        name="contacts_behind_cursor",
        table_name="contacts",
        write_disposition="merge",
        columns=MERGED_ON_ID,
    )
