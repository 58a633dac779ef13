"""`fingerprint`, `staged` and `ChangeSorter`: what a run writes of the contacts that changed."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from pipelines.http.errors import NotJsonNumber
from pipelines.settings import CONTENT_HASH
from pipelines.sources.contacts.changes import (
    Changed,
    ChangeSorter,
    changed_of,
    digest,
    fingerprint,
    staged,
)
from pipelines.sources.contacts.ledger import LedgerRow
from pipelines.sources.levcapital.settings import CONTACT_CONTRACT

CURSOR = datetime(2024, 6, 1, tzinfo=UTC)
RECENT = "2024-06-02T00:00:00Z"
OLD = "2024-01-01T00:00:00Z"


def contact(contact_id: int = 1, **fields: Any) -> dict[str, Any]:
    return {"id": contact_id, "first_name": "Ada", "updated_at": RECENT, **fields}


def held_hash(item: dict[str, Any]) -> str:
    """The fingerprint a destination holds for `item`, as a run wrote it."""
    return fingerprint(item)


# fingerprint


def test_the_same_content_has_the_same_fingerprint() -> None:
    assert fingerprint({"id": 1, "name": "Ada"}) == fingerprint({"id": 1, "name": "Ada"})


def test_a_fingerprint_is_a_24_digit_hex_digest() -> None:
    digest = fingerprint({"id": 1})

    assert len(digest) == 24
    assert set(digest) <= set("0123456789abcdef")


def test_the_order_of_the_fields_does_not_change_the_fingerprint() -> None:
    assert fingerprint({"id": 1, "a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1, "id": 1})


def test_a_null_field_fingerprints_as_an_absent_one() -> None:
    assert fingerprint({"id": 1, "email": None}) == fingerprint({"id": 1})


def test_the_content_hash_column_does_not_change_the_fingerprint() -> None:
    assert fingerprint({"id": 1, CONTENT_HASH: "abc"}) == fingerprint({"id": 1})


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param({"id": 1, "name": "Grace"}, id="changed-value"),
        pytest.param({"id": 1, "name": "Ada", "email": "a@x"}, id="added-field"),
        pytest.param({"id": 1}, id="removed-field"),
        pytest.param({"id": 1, "name": "ada"}, id="changed-case"),
        pytest.param({"id": 2, "name": "Ada"}, id="changed-id"),
    ],
)
def test_a_change_of_content_changes_the_fingerprint(changed: dict[str, Any]) -> None:
    assert fingerprint(changed) != fingerprint({"id": 1, "name": "Ada"})


def test_a_timestamp_fingerprints_by_its_value() -> None:
    one = fingerprint({"id": 1, "updated_at": datetime(2024, 1, 1, tzinfo=UTC)})
    other = fingerprint({"id": 1, "updated_at": datetime(2024, 1, 2, tzinfo=UTC)})

    assert one != other


def test_the_fingerprint_is_of_the_item_as_sent() -> None:
    # Another spelling of the same instant is another item: written once more, unchanged.
    assert fingerprint(contact(updated_at="2024-06-02T00:00:00Z")) != fingerprint(
        contact(updated_at="2024-06-02T00:00:00+00:00")
    )


# ChangeSorter: the changed contacts the ledger found, sorted into the passes and the rejects


def changed(item: Any, held_fingerprint: str | None = None, held: bool = False) -> Changed:
    """`item` as the ledger hands it on, with what the destination held of it."""
    return Changed(item, *staged(item), held or held_fingerprint is not None, held_fingerprint)


def sort(sorter: ChangeSorter, *entries: Changed) -> list[dict[str, Any]]:
    return sorter.sort(list(entries))


def test_a_new_contact_is_written_with_its_content_hash_and_counted_inserted() -> None:
    item = contact()
    sorter = ChangeSorter(CONTACT_CONTRACT, cursor=None)

    [written] = sort(sorter, changed(item))

    assert written["id"] == 1
    assert written["updated_at"] == datetime(2024, 6, 2, tzinfo=UTC)
    assert written[CONTENT_HASH] == held_hash(item)
    assert (sorter.written, sorter.inserted, sorter.updated) == (1, 1, 0)
    assert CONTENT_HASH not in item


def test_a_changed_contact_is_written_with_its_new_content_hash_and_counted_updated() -> None:
    before, after = contact(first_name="Ada"), contact(first_name="Grace")
    sorter = ChangeSorter(CONTACT_CONTRACT, cursor=None)

    [written] = sort(sorter, changed(after, held_hash(before)))

    assert written["first_name"] == "Grace"
    assert written[CONTENT_HASH] == held_hash(after)
    assert (sorter.written, sorter.inserted, sorter.updated) == (1, 0, 1)


def test_a_contact_rewritten_unchanged_is_neither_inserted_nor_updated() -> None:
    # What a refresh writes: every contact, those the destination holds as they are too.
    item = contact()
    sorter = ChangeSorter(CONTACT_CONTRACT, cursor=None)

    assert len(sort(sorter, changed(item, held_hash(item)))) == 1
    assert (sorter.written, sorter.inserted, sorter.updated) == (1, 0, 0)


def test_a_held_contact_without_a_fingerprint_counts_as_updated() -> None:
    # Rows written before fingerprints were kept: written once more.
    sorter = ChangeSorter(CONTACT_CONTRACT, cursor=None)

    assert len(sort(sorter, changed(contact(), held=True))) == 1
    assert (sorter.inserted, sorter.updated) == (0, 1)


def test_a_changed_contact_older_than_the_cursor_goes_behind() -> None:
    item = contact(updated_at=OLD)
    sorter = ChangeSorter(CONTACT_CONTRACT, cursor=CURSOR)

    assert sort(sorter, changed(item)) == []
    assert list(sorter.behind) == [1]
    assert sorter.behind[1][CONTENT_HASH] == held_hash(item)
    assert sorter.written == 1


@pytest.mark.parametrize(
    "updated_at",
    [
        pytest.param(RECENT, id="newer-than-the-cursor"),
        pytest.param("2024-06-01T00:00:00Z", id="at-the-cursor"),
        pytest.param(None, id="without-updated-at"),
    ],
)
def test_a_contact_not_older_than_the_cursor_is_written(updated_at: str | None) -> None:
    sorter = ChangeSorter(CONTACT_CONTRACT, cursor=CURSOR)

    assert [c["id"] for c in sort(sorter, changed(contact(updated_at=updated_at)))] == [1]
    assert sorter.behind == {}


def test_a_reject_with_an_id_is_keyed_by_its_id() -> None:
    item = {"id": 7, "first_name": 42}
    sorter = ChangeSorter(CONTACT_CONTRACT, cursor=None)

    assert sort(sorter, changed(item), changed(contact(8)))[0]["id"] == 8

    assert list(sorter.rejected) == ["7"]
    kept_item, rejected = sorter.rejected["7"]
    assert kept_item == item
    assert rejected.contact_id == 7
    assert rejected.reason == "first_name is a number, not a string"


def test_a_reject_without_an_id_is_keyed_by_its_payload() -> None:
    item = {"first_name": "Ada"}
    sorter = ChangeSorter(CONTACT_CONTRACT, cursor=None)

    assert sort(sorter, changed(item)) == []

    digest = hashlib.blake2b(b'{"first_name": "Ada"}', digest_size=12).hexdigest()
    assert list(sorter.rejected) == [f"payload:{digest}"]
    assert sorter.rejected[f"payload:{digest}"][1].reason == "has no id"


def test_rejects_are_not_counted_as_written() -> None:
    sorter = ChangeSorter(CONTACT_CONTRACT, cursor=None)

    assert sort(sorter, changed({"id": 1, "created_at": "yesterday"})) == []
    assert (sorter.written, sorter.inserted, sorter.updated) == (0, 0, 0)


def test_held_back_contacts_move_to_the_second_pass() -> None:
    sorter = ChangeSorter(CONTACT_CONTRACT, None)
    [written] = sort(sorter, changed(contact(1)))

    sorter.hold_back([written])

    assert sorter.behind == {1: written}
    assert sorter.written == 1


def test_admit_counts_what_is_written_and_holds_back_what_is_behind() -> None:
    sorter = ChangeSorter(CONTACT_CONTRACT, cursor=CURSOR)
    written, old, broken = contact(1), contact(2, updated_at=OLD), contact(3, created_at="never")

    sorter.admit([changed(written), changed(old), changed(broken)], [False, True, True])

    # What is behind is read by the contract, for the second pass, or set aside.
    assert list(sorter.behind) == [2]
    assert sorter.behind[2]["updated_at"] == datetime(2024, 1, 1, tzinfo=UTC)
    assert sorter.behind[2][CONTENT_HASH] == held_hash(old)
    assert list(sorter.rejected) == ["3"]


# staged and changed_of: what the ledger keeps of an item, and the item it gives back


def test_staged_keeps_the_id_the_fingerprint_and_the_canonical_json_it_digests() -> None:
    contact_id, item_fingerprint, canonical = staged(
        {"id": 1, "last_name": None, "first_name": "Ada"}
    )

    assert canonical == b'{"first_name":"Ada","id":1}'
    assert item_fingerprint == digest(canonical) == fingerprint({"id": 1, "first_name": "Ada"})
    assert contact_id == 1


def test_an_item_that_is_no_object_is_staged_without_id_or_fingerprint() -> None:
    assert staged(["not", "a", "contact"]) == (None, None, b'["not","a","contact"]')


@pytest.mark.parametrize(
    "item",
    [
        pytest.param({"id": 1, "first_name": "Zoë", "tags": ["a", "b"]}, id="plain"),
        pytest.param({"id": 1, "title": "VP\x00"}, id="a-nul"),
        pytest.param({"id": 1, "title": "VP\ud800"}, id="a-lone-surrogate"),
        pytest.param({"id": 1, "data": {"n": 2**64 - 1}}, id="an-integer-beyond-int64"),
        pytest.param({"id": 1, "data": {"f": NotJsonNumber("nan")}}, id="nan"),
        pytest.param([1, 2], id="no-object"),
    ],
)
def test_a_ledger_row_gives_back_the_item_as_sent_less_its_null_fields(item: Any) -> None:
    contact_id, item_fingerprint, canonical = staged(item)

    entry = changed_of(LedgerRow(canonical, item_fingerprint, True, "held"))

    # The same item (NaN is no value equal to itself), its fields in name order.
    assert staged(entry.item)[2] == canonical
    assert json.dumps(entry.item, sort_keys=True) == json.dumps(item, sort_keys=True)
    assert (entry.contact_id, entry.fingerprint, entry.held) == (contact_id, item_fingerprint, True)
    assert entry.held_fingerprint == "held"
