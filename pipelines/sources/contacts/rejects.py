"""Rejects: contacts that break their API's contract, set aside with their payload and reason."""

import hashlib
import json
from datetime import datetime
from typing import Any

import dlt

from pipelines.settings import REJECTS_TABLE
from pipelines.sources.contacts.contract import RejectedContact, raw_payload
from pipelines.sources.contacts.side_tables import side_table_items


def reject_key(item: Any, rejected: RejectedContact) -> str:
    """What identifies a rejected item from night to night: its id, else its content."""
    if rejected.contact_id is not None:
        return str(rejected.contact_id)
    # Keys sorted, so that the same item sent with its fields in another order keeps its key.
    canonical = json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)
    # surrogatepass: a lone surrogate has no UTF-8 form, and the key must not fail on it.
    digest = hashlib.blake2b(canonical.encode(errors="surrogatepass"), digest_size=12).hexdigest()
    return f"payload:{digest}"


def rejects_rows(
    rejected: dict[str, tuple[Any, RejectedContact]],
    held_keys: set[str],
    table_exists: bool,
    run_started_at: datetime,
    resolve: bool,
) -> Any:
    """Routes rows to the `contact_rejects` table: one row per contact currently set aside.

    Each row keeps the item exactly as the API sent it and the reason it broke the contract.
    A contact that reads well again is hard-deleted from the table, once a complete listing
    shows it is no longer rejected; until then its row stays.

    Args:
        rejected: reject key -> (the item as sent, why it was rejected), from this run.
        held_keys: the reject keys the table holds before this run.
        table_exists: whether the table exists; it is created, empty, on the first run.
        run_started_at: the time each row records.
        resolve: whether the listing was complete, so that keys it did not reject can go.
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
            {"reject_key": key, "_resolved": True} for key in sorted(held_keys - set(rejected))
        ]
    return side_table_items(rows, hints, table_exists)
