"""`Listing`: whether one pass over a paginated listing can be trusted to mark deletes."""

import pytest

from pipelines.sources.contacts.listing import Listing, Page


def listing_of(*pages: Page) -> Listing:
    listing = Listing()
    for page in pages:
        listing.add(page)
    return listing


def test_a_listing_that_matches_its_total_is_consistent() -> None:
    listing = listing_of(
        Page([{"id": 1}, {"id": 2}], total=3), Page([{"id": 3}], total=3, has_more=False)
    )

    assert listing.problem is None
    assert listing.ids == {1, 2, 3}
    assert listing.repeated == 0
    assert listing.totals == [3, 3]


def test_an_empty_listing_with_a_total_of_zero_is_consistent() -> None:
    assert listing_of(Page([], total=0)).problem is None


def test_a_listing_without_totals_is_consistent_by_its_ids_alone() -> None:
    listing = listing_of(Page([{"id": 1}], total=None), Page([{"id": 2}], total=None))

    assert listing.problem is None
    assert listing.totals == []


def test_a_listing_with_a_repeated_id_is_inconsistent() -> None:
    listing = listing_of(Page([{"id": 1}, {"id": 2}], total=3), Page([{"id": 2}], total=3))

    assert listing.repeated == 1
    assert listing.ids == {1, 2}
    assert listing.problem == "1 contact was listed twice"


def test_a_total_that_changes_between_pages_makes_the_listing_inconsistent() -> None:
    listing = listing_of(Page([{"id": 1}, {"id": 2}], total=3), Page([{"id": 3}], total=4))

    assert listing.problem == "the total changed while paging (3, 4)"


def test_a_listing_with_fewer_ids_than_its_total_is_inconsistent() -> None:
    listing = listing_of(Page([{"id": 1}], total=3), Page([{"id": 2}], total=3))

    assert listing.problem == "2 contacts were listed of a total of 3"


def test_a_listing_with_more_ids_than_its_total_is_inconsistent() -> None:
    listing = listing_of(Page([{"id": 1}, {"id": 2}], total=1))

    assert listing.problem == "2 contacts were listed of a total of 1"


@pytest.mark.parametrize(
    "item",
    [
        pytest.param({"name": "Ada"}, id="no-id-field"),
        pytest.param({"id": None}, id="null-id"),
        pytest.param({"id": ""}, id="empty-id"),
        pytest.param("not a contact", id="not-an-object"),
    ],
)
def test_an_item_without_an_id_counts_towards_the_total(item: object) -> None:
    listing = listing_of(Page([{"id": 1}, item, {"id": 2}], total=3))

    assert listing.without_id == 1
    assert listing.ids == {1, 2}
    assert listing.problem is None


def test_items_without_an_id_are_never_taken_for_repeats() -> None:
    listing = listing_of(Page([{"name": "a"}, {"name": "a"}], total=2))

    assert listing.repeated == 0
    assert listing.without_id == 2
    assert listing.problem is None


def test_an_id_of_zero_is_an_id() -> None:
    listing = listing_of(Page([{"id": 0}], total=1))

    assert listing.ids == {0}
    assert listing.without_id == 0
