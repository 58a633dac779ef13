"""`reconcile`: which contacts a consistent listing no longer shows, checked one by one."""

from collections.abc import Set
from datetime import UTC, datetime
from typing import Any

from pipelines.sources.contacts.deletes import reconcile

STARTED = datetime(2024, 6, 1, 2, 0, tzinfo=UTC)


class FakeApi:
    """`fetch_contact` over the contacts the API still has, recording what was asked."""

    def __init__(self, *contacts: dict[str, Any]) -> None:
        self.contacts = {c["id"]: c for c in contacts}
        self.asked: list[Any] = []

    def fetch_contact(self, contact_id: Any) -> dict[str, Any] | None:
        self.asked.append(contact_id)
        return self.contacts.get(contact_id)


def reconcile_with(
    api: FakeApi,
    live: Set[Any] = frozenset(),
    deleted: Set[Any] = frozenset(),
    listed: Set[Any] = frozenset(),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """As a run does, with the sets the ledger's joins compute."""
    gone = sorted(set(live) - set(listed), key=str)
    reappeared = sorted(set(deleted) & set(listed), key=str)
    return reconcile(api.fetch_contact, gone, reappeared, STARTED)


def test_a_live_contact_the_listing_lacks_and_the_api_has_not_is_tombstoned() -> None:
    api = FakeApi()

    recovered, deletions = reconcile_with(api, live={1, 2}, listed={1})

    assert recovered == []
    assert deletions == [{"id": 2, "deleted_at": STARTED}]
    assert api.asked == [2]


def test_a_live_contact_the_listing_skipped_but_the_api_still_has_is_recovered() -> None:
    skipped = {"id": 2, "first_name": "Ada"}
    api = FakeApi(skipped)

    recovered, deletions = reconcile_with(api, live={1, 2}, listed={1})

    assert recovered == [skipped]
    assert deletions == []


def test_a_deleted_contact_listed_again_is_marked_as_reappeared() -> None:
    api = FakeApi()

    recovered, deletions = reconcile_with(api, live={1}, deleted={3}, listed={1, 3})

    assert recovered == []
    assert deletions == [{"id": 3, "deleted_at": None, "_reappeared": True}]
    assert api.asked == []


def test_a_listing_that_shows_every_live_contact_asks_for_none() -> None:
    api = FakeApi()

    assert reconcile_with(api, live={1, 2}, deleted={5}, listed={1, 2}) == ([], [])
    assert api.asked == []


def test_a_contact_already_deleted_and_still_not_listed_stays_as_it_is() -> None:
    api = FakeApi()

    assert reconcile_with(api, live={1}, deleted={5}, listed={1}) == ([], [])
    assert api.asked == []


def test_gone_and_reappeared_contacts_are_reported_together_in_id_order() -> None:
    api = FakeApi({"id": 3})

    recovered, deletions = reconcile_with(api, live={1, 2, 3}, deleted={8, 9}, listed={1, 8, 9})

    assert recovered == [{"id": 3}]
    assert deletions == [
        {"id": 2, "deleted_at": STARTED},
        {"id": 8, "deleted_at": None, "_reappeared": True},
        {"id": 9, "deleted_at": None, "_reappeared": True},
    ]
    assert api.asked == [2, 3]
