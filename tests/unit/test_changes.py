"""`fingerprint` and `ChangeSorter`: which listed contacts a run writes, and which it sets aside."""

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from pipelines.settings import CONTENT_HASH
from pipelines.sources.contacts.changes import ChangeSorter, digest, fingerprint
from pipelines.sources.contacts.contract import ContactContract
from pipelines.sources.levcapital.settings import CONTACT_CONTRACT

CURSOR = datetime(2024, 6, 1, tzinfo=UTC)
RECENT = "2024-06-02T00:00:00Z"
OLD = "2024-01-01T00:00:00Z"


def contact(contact_id: int = 1, **fields: Any) -> dict[str, Any]:
    return {"id": contact_id, "first_name": "Ada", "updated_at": RECENT, **fields}


def sort(sorter: ChangeSorter, items: list[Any]) -> list[dict[str, Any]]:
    """What the main pass writes of `items`, each changed one read by the contract."""
    return sorter.sort(sorter.changed(items))


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


# ChangeSorter.sort


class CountingContract(ContactContract):
    """The levcapital contract, counting the items it reads."""

    def read(self, item: Any) -> dict[str, Any]:
        object.__setattr__(self, "reads", getattr(self, "reads", 0) + 1)
        return super().read(item)


def test_an_unchanged_contact_is_not_read_by_the_contract() -> None:
    contract = CountingContract(CONTACT_CONTRACT.fields)
    unchanged, changed = contact(1), contact(2, first_name="Grace")
    sorter = ChangeSorter(contract, {1: held_hash(unchanged), 2: held_hash(contact(2))}, None)

    assert [c["id"] for c in sort(sorter, [unchanged, changed])] == [2]
    assert contract.reads == 1


def test_a_contact_unchanged_against_its_held_hash_is_dropped_and_counted() -> None:
    item = contact()
    sorter = ChangeSorter(CONTACT_CONTRACT, {1: held_hash(item)}, cursor=None)

    assert sort(sorter, [item]) == []
    assert sorter.unchanged == 1
    assert sorter.written == {}


def test_a_new_contact_is_written_with_its_content_hash() -> None:
    item = contact()
    sorter = ChangeSorter(CONTACT_CONTRACT, {}, cursor=None)

    [written] = sort(sorter, [item])

    assert written["id"] == 1
    assert written["updated_at"] == datetime(2024, 6, 2, tzinfo=UTC)
    assert written[CONTENT_HASH] == held_hash(item)
    assert sorter.written == {1: held_hash(item)}
    assert sorter.unchanged == 0
    assert CONTENT_HASH not in item


def test_a_changed_contact_is_written_with_its_new_content_hash() -> None:
    before, after = contact(first_name="Ada"), contact(first_name="Grace")
    sorter = ChangeSorter(CONTACT_CONTRACT, {1: held_hash(before)}, cursor=None)

    [written] = sort(sorter, [after])

    assert written["first_name"] == "Grace"
    assert written[CONTENT_HASH] == held_hash(after)
    assert written[CONTENT_HASH] != held_hash(before)


def test_a_held_hash_of_none_counts_as_changed() -> None:
    sorter = ChangeSorter(CONTACT_CONTRACT, {1: None}, cursor=None)

    assert [c["id"] for c in sort(sorter, [contact()])] == [1]


def test_a_changed_contact_older_than_the_cursor_goes_behind() -> None:
    item = contact(updated_at=OLD)
    sorter = ChangeSorter(CONTACT_CONTRACT, {}, cursor=CURSOR)

    assert sort(sorter, [item]) == []
    assert list(sorter.behind) == [1]
    assert sorter.behind[1][CONTENT_HASH] == held_hash(item)
    assert sorter.written == {}


def test_an_unchanged_contact_older_than_the_cursor_is_not_behind() -> None:
    item = contact(updated_at=OLD)
    sorter = ChangeSorter(CONTACT_CONTRACT, {1: held_hash(item)}, cursor=CURSOR)

    assert sort(sorter, [item]) == []
    assert sorter.behind == {}
    assert sorter.unchanged == 1


@pytest.mark.parametrize(
    "updated_at",
    [
        pytest.param(RECENT, id="newer-than-the-cursor"),
        pytest.param("2024-06-01T00:00:00Z", id="at-the-cursor"),
        pytest.param(None, id="without-updated-at"),
    ],
)
def test_a_contact_not_older_than_the_cursor_is_written(updated_at: str | None) -> None:
    sorter = ChangeSorter(CONTACT_CONTRACT, {}, cursor=CURSOR)

    assert [c["id"] for c in sort(sorter, [contact(updated_at=updated_at)])] == [1]
    assert sorter.behind == {}


def test_start_listing_forgets_what_an_earlier_listing_set_aside() -> None:
    sorter = ChangeSorter(CONTACT_CONTRACT, {}, cursor=CURSOR)
    sort(sorter, [contact(1, updated_at=OLD), {"id": 2, "first_name": 7}, contact(3)])
    assert (list(sorter.behind), list(sorter.rejected)) == ([1], ["2"])

    sorter.start_listing()

    assert sorter.behind == {}
    assert sorter.rejected == {}
    assert sorter.unchanged == 0
    assert list(sorter.written) == [3]


def test_a_contact_written_by_an_earlier_listing_is_not_written_again() -> None:
    item = contact()
    sorter = ChangeSorter(CONTACT_CONTRACT, {}, cursor=None)
    assert len(sort(sorter, [item])) == 1

    sorter.start_listing()

    assert sort(sorter, [dict(item)]) == []
    assert sorter.unchanged == 1


def test_a_contact_changed_since_an_earlier_listing_is_written_again() -> None:
    sorter = ChangeSorter(CONTACT_CONTRACT, {}, cursor=None)
    sort(sorter, [contact(first_name="Ada")])
    sorter.start_listing()

    [written] = sort(sorter, [contact(first_name="Grace")])

    assert written["first_name"] == "Grace"
    assert sorter.written[1] == held_hash(contact(first_name="Grace"))


def test_what_this_run_wrote_wins_over_the_held_hash() -> None:
    before, after = contact(first_name="Ada"), contact(first_name="Grace")
    sorter = ChangeSorter(CONTACT_CONTRACT, {1: held_hash(before)}, cursor=None)
    sort(sorter, [after])
    sorter.start_listing()

    # Back to what the destination held before this run, but not to what the run wrote.
    assert [c["first_name"] for c in sort(sorter, [before])] == ["Ada"]


def test_a_reject_with_an_id_is_keyed_by_its_id() -> None:
    item = {"id": 7, "first_name": 42}
    sorter = ChangeSorter(CONTACT_CONTRACT, {}, cursor=None)

    assert sort(sorter, [item, contact(8)])[0]["id"] == 8

    assert list(sorter.rejected) == ["7"]
    kept_item, rejected = sorter.rejected["7"]
    assert kept_item is item
    assert rejected.contact_id == 7
    assert rejected.reason == "first_name is a number, not a string"


def test_a_reject_without_an_id_is_keyed_by_its_payload() -> None:
    item = {"first_name": "Ada"}
    sorter = ChangeSorter(CONTACT_CONTRACT, {}, cursor=None)

    assert sort(sorter, [item]) == []

    digest = hashlib.blake2b(b'{"first_name": "Ada"}', digest_size=12).hexdigest()
    assert list(sorter.rejected) == [f"payload:{digest}"]
    assert sorter.rejected[f"payload:{digest}"][1].reason == "has no id"


def test_rejects_are_neither_written_nor_counted_as_unchanged() -> None:
    sorter = ChangeSorter(CONTACT_CONTRACT, {}, cursor=None)

    assert sort(sorter, [{"id": 1, "created_at": "yesterday"}]) == []
    assert sorter.unchanged == 0
    assert sorter.written == {}


def test_held_back_contacts_move_to_the_second_pass() -> None:
    sorter = ChangeSorter(CONTACT_CONTRACT, {}, None)
    [written] = sort(sorter, [contact(1)])

    sorter.hold_back([written])

    assert sorter.written == {}
    assert sorter.behind == {1: written}


def test_a_changed_item_carries_the_canonical_json_its_fingerprint_digests() -> None:
    sorter = ChangeSorter(CONTACT_CONTRACT, {}, cursor=None)

    [entry] = sorter.changed([{"id": 1, "last_name": None, "first_name": "Ada"}])

    assert entry.canonical == b'{"first_name":"Ada","id":1}'
    assert entry.fingerprint == digest(entry.canonical)
    assert entry.fingerprint == fingerprint({"id": 1, "first_name": "Ada"})
    assert entry.contact_id == 1


def test_admit_records_what_was_written_and_holds_back_what_is_behind() -> None:
    sorter = ChangeSorter(CONTACT_CONTRACT, {}, cursor=CURSOR)
    written, old, broken = contact(1), contact(2, updated_at=OLD), contact(3, created_at="never")
    changed = sorter.changed([written, old, broken])

    sorter.admit(changed, [False, True, True])

    assert sorter.written == {1: held_hash(written)}
    # What is behind is read by the contract, for the second pass, or set aside.
    assert list(sorter.behind) == [2]
    assert sorter.behind[2]["updated_at"] == datetime(2024, 1, 1, tzinfo=UTC)
    assert sorter.behind[2][CONTENT_HASH] == held_hash(old)
    assert list(sorter.rejected) == ["3"]
