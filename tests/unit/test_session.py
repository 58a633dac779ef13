"""`retry_after_seconds`: the wait a response's Retry-After header asks for."""

from datetime import UTC, datetime

import pytest
import requests

from pipelines.http.session import retry_after_seconds

NOW = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)


def response(retry_after: str | None = None, status: int = 429) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    if retry_after is not None:
        answer.headers["Retry-After"] = retry_after
    return answer


def test_no_response_asks_for_no_wait() -> None:
    assert retry_after_seconds(None, now=NOW) is None


@pytest.mark.parametrize(
    "value",
    [pytest.param(None, id="absent"), pytest.param("", id="empty"), pytest.param("  ", id="blank")],
)
def test_a_response_without_retry_after_asks_for_no_wait(value: str | None) -> None:
    assert retry_after_seconds(response(value), now=NOW) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("120", 120.0, id="integer"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("1.5", 1.5, id="fraction"),
        pytest.param(" 7 ", 7.0, id="padded"),
    ],
)
def test_delta_seconds_are_taken_as_they_are(value: str, expected: float) -> None:
    assert retry_after_seconds(response(value), now=NOW) == expected


def test_the_header_name_is_case_insensitive() -> None:
    answer = response()
    answer.headers["retry-after"] = "30"

    assert retry_after_seconds(answer, now=NOW) == 30.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("Wed, 21 Oct 2015 07:29:30 GMT", 90.0, id="gmt"),
        pytest.param("Wed, 21 Oct 2015 09:29:00 +0200", 60.0, id="offset"),
        pytest.param("Wed, 21 Oct 2015 07:28:45 -0000", 45.0, id="unknown-zone-as-utc"),
    ],
)
def test_an_http_date_asks_for_the_seconds_until_it(value: str, expected: float) -> None:
    assert retry_after_seconds(response(value), now=NOW) == expected


def test_an_http_date_in_the_past_asks_for_no_wait_at_all() -> None:
    assert retry_after_seconds(response("Wed, 21 Oct 2015 07:00:00 GMT"), now=NOW) == 0.0


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("soon", id="words"),
        pytest.param("-5", id="negative"),
        pytest.param("1e3", id="exponent"),
        pytest.param("Wed, 32 Oct 2015 07:28:00 GMT", id="impossible-date"),
    ],
)
def test_a_garbled_retry_after_is_ignored(value: str) -> None:
    assert retry_after_seconds(response(value), now=NOW) is None
