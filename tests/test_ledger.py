"""`ContactLedger`: what a run compares, in a scratch DuckDB file rather than in Python's memory."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from pipelines.sources.contacts.changes import staged
from pipelines.sources.contacts.ledger import ContactLedger


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[ContactLedger]:
    ledger = ContactLedger(tmp_path, "bigint", memory_limit="32MB")
    yield ledger
    ledger.close()


def held(*rows: tuple[Any, str | None, bool]) -> list[pa.Table]:
    ids, fingerprints, deleted = zip(*rows, strict=True)
    return [
        pa.table(
            {
                "id": pa.array(ids, pa.int64()),
                "fingerprint": pa.array(fingerprints, pa.string()),
                "is_deleted": pa.array(deleted, pa.bool_()),
            }
        )
    ]


def contact(contact_id: Any, name: str = "Ada") -> dict[str, Any]:
    return {"id": contact_id, "first_name": name}


def fingerprint_of(item: dict[str, Any]) -> str:
    return staged(item)[1]


def list_into(ledger: ContactLedger, *items: Any) -> None:
    ledger.start_listing()
    for item in items:
        ledger.add(*staged(item))


def changed_ids(ledger: ContactLedger, rewrite_all: bool = False) -> list[tuple[Any, bool]]:
    from pipelines.sources.contacts.changes import changed_of

    return [
        (entry.contact_id, entry.held)
        for rows in ledger.changed(rewrite_all=rewrite_all, rows_per_batch=2)
        for entry in map(changed_of, rows)
    ]


def test_only_contacts_whose_fingerprint_differs_from_the_held_one_changed(ledger) -> None:
    ledger.hold(
        held(
            (1, fingerprint_of(contact(1)), False),
            (2, fingerprint_of(contact(2)), False),
            (3, None, False),
        )
    )
    list_into(ledger, contact(4), contact(1), contact(2, "Grace"), contact(3))

    # New, changed, and held without a fingerprint (written before they were kept).
    assert sorted(changed_ids(ledger)) == [(2, True), (3, True), (4, False)]
    assert ledger.unchanged_count() == 1


def test_rewrite_all_gives_every_listed_contact(ledger) -> None:
    ledger.hold(held((1, fingerprint_of(contact(1)), False)))
    list_into(ledger, contact(1), contact(2))

    assert sorted(changed_ids(ledger, rewrite_all=True)) == [(1, True), (2, False)]


def test_a_contact_listed_twice_counts_once_as_last_read(ledger) -> None:
    list_into(ledger, contact(1, "Ada"), contact(2), contact(1, "Grace"))

    assert ledger.listed_counts() == (3, 2, 0)
    [first, second] = [row for rows in ledger.changed() for row in rows]
    assert (first.content, second.content) == (
        staged(contact(2))[2],
        staged(contact(1, "Grace"))[2],
    )


def test_items_without_an_id_of_the_contracts_type_are_counted_apart_and_always_change(
    ledger,
) -> None:
    list_into(ledger, contact(1), {"first_name": "no id"}, contact("1"), contact(2**64), [1])

    assert ledger.listed_counts() == (1, 1, 4)
    assert len(changed_ids(ledger)) == 5


def test_a_new_listing_forgets_the_one_before(ledger) -> None:
    list_into(ledger, contact(1), contact(2))
    list_into(ledger, contact(2))

    assert ledger.listed_counts() == (1, 1, 0)
    assert changed_ids(ledger) == [(2, False)]


def test_gone_and_reappeared_contacts_come_from_one_join(ledger) -> None:
    ledger.hold(
        held(
            (1, "a", False),
            (2, "b", False),
            (3, "c", False),
            (8, "d", True),
            (9, "e", True),
        )
    )
    list_into(ledger, contact(1), contact(8))

    assert sorted(ledger.gone_ids(rows_per_batch=1)) == [2, 3]
    assert ledger.reappeared_ids() == [8]
    assert ledger.held_fingerprints([3, 4, 9]) == {3: "c", 9: "e"}


def test_text_ids_and_a_lone_surrogate_in_one(tmp_path: Path) -> None:
    ledger = ContactLedger(tmp_path, "text", memory_limit="32MB")
    try:
        list_into(ledger, contact("ct_1"), contact("ct_\ud800"), contact(7))
        assert ledger.listed_counts() == (1, 1, 2)
    finally:
        ledger.close()


def test_nothing_of_a_ledger_outlives_it_and_ledgers_share_one_database(tmp_path: Path) -> None:
    first = ContactLedger(tmp_path, "bigint", memory_limit="32MB")
    second = ContactLedger(tmp_path, "text", memory_limit="32MB")
    list_into(first, contact(1))
    list_into(second, contact("ct_1"), contact("ct_2"))
    assert (first.listed_counts(), second.listed_counts()) == ((1, 1, 0), (2, 2, 0))

    first.close()
    second.close()

    temporary = ContactLedger.temporary("bigint")
    schemas = temporary._connection.execute(
        "select schema_name from information_schema.schemata where schema_name like 'ledger_%'"
    ).fetchall()
    temporary.close()
    assert len(schemas) == 1


def test_more_contacts_than_its_memory_holds(tmp_path: Path) -> None:
    # 200k contacts of about 450 bytes: 90 MB of JSON in the contents file, and ids and
    # fingerprints that DuckDB spills past 32 MB.
    ledger = ContactLedger(tmp_path, "bigint", memory_limit="32MB")
    try:
        padding = "x" * 400
        ledger.hold(held(*((n, f"{n:024x}", False) for n in range(0, 200_000, 2))))
        ledger.start_listing()
        for number in range(200_000):
            ledger.add(*staged({"id": number, "notes": padding}))

        changed = [row for rows in ledger.changed(rows_per_batch=5_000) for row in rows]

        assert len(changed) == 200_000
        assert {staged({"id": 7, "notes": padding})[2], staged({"id": 8, "notes": padding})[2]} < {
            row.content for row in changed
        }
        assert len(list(ledger.gone_ids())) == 0
    finally:
        ledger.close()
