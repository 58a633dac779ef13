"""`SourceLoad`: the end-of-run summary line and the rejects warning of one source."""

from typing import Any

import pytest

from pipelines.runs.results import SourceLoad
from pipelines.sources.contacts.contract import RejectedContact
from pipelines.sources.contacts.resource import ExtractStats


def load(**stats: Any) -> SourceLoad:
    return SourceLoad(
        source="levcapital",
        stats=ExtractStats(pages=2, contacts_seen=300, **stats),
        rows_written=12,
        seconds=1.26,
    )


def rejects(count: int) -> list[RejectedContact]:
    return [RejectedContact(80 + n, f"reason {n}") for n in range(count)]


LINE = "levcapital: 2 pages fetched, 300 contacts seen, 12 rows written, 1.3 s"


def test_a_source_without_anything_to_note_has_a_plain_summary() -> None:
    result = load(listings=1, consistent=True)

    assert result.ok
    assert result.summary_line() == LINE


@pytest.mark.parametrize(
    ("stats", "notes"),
    [
        pytest.param({"marked_deleted": 1}, "1 marked deleted", id="deleted"),
        pytest.param({"reappeared": 2}, "2 reappeared", id="reappeared"),
        pytest.param({"recovered": 1}, "1 recovered from a shifting listing", id="recovered"),
        pytest.param({"rejected": rejects(2)}, "2 set aside as rejects", id="rejects"),
        pytest.param({"listings": 3}, "listed 3 times", id="listed-again"),
        pytest.param(
            {"consistent": False}, "listing kept shifting, no deletes marked", id="inconsistent"
        ),
        pytest.param(
            {"marked_deleted": 1_500, "rejected": rejects(1), "listings": 2, "consistent": False},
            "1,500 marked deleted; 1 set aside as rejects; listed 2 times; "
            "listing kept shifting, no deletes marked",
            id="all-in-order",
        ),
    ],
)
def test_a_successful_summary_notes_what_stands_out(stats: dict[str, Any], notes: str) -> None:
    assert load(**stats).summary_line() == f"{LINE} ({notes})"


def test_large_counts_have_thousands_separators() -> None:
    result = SourceLoad(
        source="sprintmode",
        stats=ExtractStats(pages=1_234, contacts_seen=123_400),
        rows_written=5_000,
        seconds=62.04,
    )

    assert result.summary_line() == (
        "sprintmode: 1,234 pages fetched, 123,400 contacts seen, 5,000 rows written, 62.0 s"
    )


def test_a_failed_source_is_summarised_by_its_cause() -> None:
    result = SourceLoad(source="sprintmode", error="authentication failed (401: bad key)")

    assert not result.ok
    assert result.summary_line() == "sprintmode: authentication failed (401: bad key)"


def test_no_rejects_have_no_warning() -> None:
    assert load().rejects_line() is None


def test_one_reject_is_named_with_its_reason() -> None:
    result = load(rejected=[RejectedContact(84, "created_at is unreadable")])

    assert result.rejects_line() == (
        "levcapital: 1 contact set aside in raw_levcapital.contact_rejects: "
        "84 (created_at is unreadable)"
    )


def test_a_reject_without_an_id_is_named_as_such() -> None:
    result = load(rejected=[RejectedContact(None, "has no id"), RejectedContact(9, "bad")])

    assert result.rejects_line() == (
        "levcapital: 2 contacts set aside in raw_levcapital.contact_rejects: "
        "an item without an id (has no id), 9 (bad)"
    )


def test_five_rejects_are_all_named() -> None:
    line = load(rejected=rejects(5)).rejects_line()

    assert line is not None
    assert line.endswith("84 (reason 4)")
    assert "more" not in line


def test_more_than_five_rejects_name_five_and_count_the_rest() -> None:
    assert load(rejected=rejects(7)).rejects_line() == (
        "levcapital: 7 contacts set aside in raw_levcapital.contact_rejects: "
        "80 (reason 0), 81 (reason 1), 82 (reason 2), 83 (reason 3), 84 (reason 4), and 2 more"
    )


def test_the_number_of_rejects_named_can_be_chosen() -> None:
    assert load(rejected=rejects(3)).rejects_line(shown=1) == (
        "levcapital: 3 contacts set aside in raw_levcapital.contact_rejects: "
        "80 (reason 0), and 2 more"
    )
