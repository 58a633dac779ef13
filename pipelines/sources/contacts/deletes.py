"""Deletes: which contacts a complete listing no longer shows, and their tombstones."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import dlt

from pipelines.settings import DELETIONS_TABLE
from pipelines.sources.contacts.side_tables import side_table_items


def reconcile(
    fetch_contact: Callable[[Any], dict[str, Any] | None],
    gone_ids: Iterable[Any],
    reappeared_ids: Iterable[Any],
    run_started_at: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What a consistent listing means for the contacts the destination holds.

    A live contact the listing lacks is asked for by id before it is marked deleted: a
    listing can be consistent by its counts and still have skipped one contact while
    repeating none (one created and one deleted between two pages). Such a contact is
    returned to be loaded instead.

    Args:
        fetch_contact: the contact as the listing would show it, or None when it is gone.
        gone_ids: the held live contacts the listing lacks.
        reappeared_ids: the contacts marked deleted that the listing shows again.
        run_started_at: the time a new tombstone records.

    Returns:
        The contacts the listing skipped, and the rows for the deletions table: a
        `deleted_at` for each contact gone, `_reappeared` for each one listed again.
    """
    recovered: list[dict[str, Any]] = []
    deletions: list[dict[str, Any]] = []
    for contact_id in gone_ids:
        contact = fetch_contact(contact_id)
        if contact is None:
            deletions.append({"id": contact_id, "deleted_at": run_started_at})
        else:
            recovered.append(contact)
    for contact_id in reappeared_ids:
        deletions.append({"id": contact_id, "deleted_at": None, "_reappeared": True})
    return recovered, deletions


def deletions_rows(rows: list[dict[str, Any]], id_type: str, table_exists: bool) -> Any:
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
            "id": {"data_type": id_type, "nullable": False},
            "deleted_at": {"data_type": "timestamp", "nullable": True},
            "_reappeared": {"data_type": "bool", "nullable": True, "hard_delete": True},
        },
    )
    return side_table_items(rows, hints, table_exists)
