"""`Listing` and `ListingGuard`: whether a listing can mark deletes, and that every listing ends."""

import pytest

from pipelines.sources.contacts.listing import Listing, ListingGuard, ListingStalled, Page


def ids(*numbers: int) -> list[dict]:
    return [{"id": number} for number in numbers]


def listing_of(*pages: Page) -> Listing:
    listing = Listing()
    for page in pages:
        listing.add(page, listing.new_in(page))
    return listing


def test_a_listing_that_matches_its_total_is_consistent() -> None:
    listing = listing_of(Page(ids(1, 2), total=3), Page(ids(3), total=3, has_more=False))

    assert listing.problem(with_id=3, distinct_ids=3, without_id=0) is None
    assert listing.totals == [3, 3]
    assert listing.read == 3


def test_an_empty_listing_with_a_total_of_zero_is_consistent() -> None:
    assert listing_of(Page([], total=0)).problem(0, 0, 0) is None


def test_a_listing_without_totals_is_consistent_by_its_ids_alone() -> None:
    listing = listing_of(Page(ids(1), total=None), Page(ids(2), total=None))

    assert listing.problem(2, 2, 0) is None
    assert listing.totals == []


def test_a_listing_with_a_repeated_id_is_inconsistent() -> None:
    listing = listing_of(Page(ids(1, 2), total=3), Page(ids(2), total=3))

    assert listing.problem(with_id=3, distinct_ids=2, without_id=0) == "1 contact was listed twice"
    # Of the recent pages, so by its count of reads, the repeat is no progress.
    assert listing.read == 2


def test_a_total_that_changes_between_pages_makes_the_listing_inconsistent() -> None:
    listing = listing_of(Page(ids(1, 2), total=3), Page(ids(3), total=4))

    assert listing.problem(3, 3, 0) == "the total changed while paging (3, 4)"


def test_a_listing_with_fewer_or_more_contacts_than_its_total_is_inconsistent() -> None:
    assert listing_of(Page(ids(1, 2), total=3)).problem(2, 2, 0) == (
        "2 contacts were listed of a total of 3"
    )
    assert listing_of(Page(ids(1, 2), total=1)).problem(2, 2, 0) == (
        "2 contacts were listed of a total of 1"
    )


def test_items_without_an_id_count_towards_the_total_and_as_progress() -> None:
    listing = listing_of(Page([{"id": 1}, {"name": "Ada"}, "not a contact", {"id": ""}], total=4))

    assert listing.problem(with_id=1, distinct_ids=1, without_id=3) is None
    assert listing.read == 4


def test_an_id_of_zero_is_an_id() -> None:
    listing = listing_of(Page(ids(0), total=1))

    assert listing.new_in(Page(ids(0), total=1)) == 0


def test_only_the_last_pages_are_remembered_for_progress() -> None:
    listing = Listing(recent_pages=2)
    for number in range(4):
        page = Page(ids(number), total=None)
        listing.add(page, listing.new_in(page))

    assert [listing.new_in(Page(ids(number), total=None)) for number in range(4)] == [1, 1, 0, 0]


# ListingGuard: every listing ends, whatever the API's has_more says


def read_all(pages: list[Page], extra_pages: int = 20, clock=lambda: 0.0) -> list[bool]:
    """Feeds pages to a guard as the resource does; the answers, until it stops or raises."""
    listing, guard = Listing(), ListingGuard(extra_pages, 100.0, 100.0, clock)
    answers = []
    for page in pages:
        new = listing.new_in(page)
        answers.append(guard.admit(page, new, listing.read + new))
        listing.add(page, new)
        if not answers[-1]:
            break
    return answers


def test_an_honest_cursor_listing_is_read_to_its_end() -> None:
    pages = [
        Page(ids(1, 2), total=5, next_cursor="a"),
        Page(ids(3, 4), total=5, next_cursor="b"),
        Page(ids(5), total=5),
    ]

    assert read_all(pages) == [True, True, True]


def test_a_repeated_cursor_stops_the_listing_before_every_contact_was_read() -> None:
    pages = [Page(ids(1, 2), total=6, next_cursor="a"), Page(ids(3, 4), total=6, next_cursor="a")]

    with pytest.raises(ListingStalled) as stalled:
        read_all(pages)

    assert stalled.value.describe() == (
        "the API returned the same cursor twice; the listing was stopped after 2 pages"
    )


def test_a_repeated_cursor_after_every_contact_was_read_ends_the_listing_as_complete() -> None:
    pages = [Page(ids(1, 2), total=4, next_cursor="a"), Page(ids(3, 4), total=4, next_cursor="a")]

    assert read_all(pages) == [True, False]


def test_a_cursor_that_leads_back_to_contacts_already_read_stops_the_listing() -> None:
    pages = [
        Page(ids(1, 2), total=9, next_cursor="a"),
        Page(ids(3, 4), total=9, next_cursor="b"),
        Page(ids(1, 2), total=9, next_cursor="c"),
    ]

    with pytest.raises(
        ListingStalled, match=r"^the API's cursor led to a page of contacts already"
    ):
        read_all(pages)


def test_a_page_number_clamped_to_the_last_page_ends_the_listing_as_complete() -> None:
    last = Page(ids(5, 6), total=6, has_more=True, limit=2)
    pages = [Page(ids(1, 2), total=6, limit=2), Page(ids(3, 4), total=6, limit=2), last, last]

    assert read_all(pages) == [True, True, True, False]


def test_a_stuck_page_is_borne_within_the_total_and_stopped_past_it() -> None:
    stuck = Page(ids(3, 4), total=6, has_more=True, limit=2)
    pages = [Page(ids(1, 2), total=6, limit=2), stuck, stuck, stuck]

    with pytest.raises(ListingStalled) as stalled:
        read_all(pages)

    assert stalled.value.describe() == (
        "page 4 repeated contacts already listed, past the 3 pages its total fills "
        "(4 of 6 contacts read); the listing was stopped after 4 pages"
    )


def test_empty_pages_end_a_complete_listing_and_stop_an_incomplete_one() -> None:
    empty = Page([], total=None, has_more=True, next_cursor=None)
    assert read_all([Page(ids(1, 2), total=2), empty]) == [True, False]

    with pytest.raises(ListingStalled, match="kept answering with empty pages"):
        read_all([Page(ids(1, 2), total=None), empty, empty, empty])


def test_more_pages_than_the_total_explains_stop_the_listing() -> None:
    # Every page brings new contacts, but far more of them than the API reports.
    pages = [Page(ids(2 * n, 2 * n + 1), total=4, limit=2) for n in range(10)]

    with pytest.raises(ListingStalled) as stalled:
        read_all(pages, extra_pages=3)

    assert stalled.value.pages == 6
    assert "6 pages read, where its total of 4 contacts fills 2" in stalled.value.describe()


def test_the_deadline_stops_a_listing_that_still_makes_progress() -> None:
    now = iter([0.0, 50.0, 150.0])

    with pytest.raises(ListingStalled) as stalled:
        read_all([Page(ids(n), total=None) for n in range(5)], clock=lambda: next(now))

    assert stalled.value.describe() == (
        "the listing took longer than 100 s ([sources.sync] max_listing_seconds); "
        "the listing was stopped after 3 pages"
    )


@pytest.mark.parametrize(
    ("total", "limit", "cursor", "expected"),
    [
        pytest.param("120", 50, "", (None, 50, None), id="string-total-empty-cursor"),
        pytest.param(-1, True, "x", (None, None, "x"), id="negative-total-boolean-limit"),
        pytest.param(7, 2.5, None, (7, None, None), id="float-limit"),
    ],
)
def test_a_page_takes_pagination_it_cannot_read_as_not_sent(total, limit, cursor, expected) -> None:
    page = Page([], total=total, limit=limit, next_cursor=cursor)

    assert (page.total, page.limit, page.next_cursor) == expected
