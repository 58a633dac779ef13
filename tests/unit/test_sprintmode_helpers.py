"""SprintMode's `check_envelope`, `check_listing` and `page_from_data` on hand-built answers."""

import json
from typing import Any

import pytest
import requests

from pipelines.http.errors import SourceApiError
from pipelines.sources.contacts.listing import Page
from pipelines.sources.sprintmode.helpers import check_envelope, check_listing, page_from_data

PAGE = {"ok": True, "data": {"items": [{"id": "c1"}], "total": 1, "hasMore": False, "limit": 100}}


def response(body: Any, status: int = 200, reason: str = "OK") -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer.reason = reason
    answer._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer.headers["Content-Type"] = "application/json"
    answer.encoding = "utf-8"
    return answer


def test_a_good_page_has_no_error() -> None:
    assert check_envelope(response(PAGE)) is None
    assert check_listing(response(PAGE)) is None


def test_an_answer_without_ok_is_good_when_it_has_data() -> None:
    assert check_listing(response({"data": {"items": []}})) is None


def test_a_single_contact_is_a_good_envelope_but_no_listing() -> None:
    answer = response({"ok": True, "data": {"id": "c1"}})

    assert check_envelope(answer) is None
    error = check_listing(answer)
    assert isinstance(error, SourceApiError)
    assert error.describe() == "answer has no `data.items` list"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"ok": False, "error": "nope"}, "nope", id="string-error"),
        pytest.param({"ok": False, "error": {"message": "nested"}}, "nested", id="object-error"),
    ],
)
def test_an_error_envelope_on_a_200_is_an_error_with_its_message(
    body: dict[str, Any], message: str
) -> None:
    answer = response(body)

    error = check_envelope(answer)

    assert isinstance(error, SourceApiError)
    assert error.describe() == message
    assert error.status is None
    assert error.response is answer
    assert error.source == "sprintmode"


def test_an_error_status_is_described_from_the_envelope() -> None:
    error = check_listing(response({"ok": False, "error": "bad key"}, 401, "Unauthorized"))

    assert isinstance(error, SourceApiError)
    assert error.status == 401
    assert error.describe() == "authentication failed (401: bad key)"


def test_an_error_status_without_an_envelope_is_described_by_its_reason() -> None:
    error = check_envelope(response(b"upstream timed out", 504, "Gateway Timeout"))

    assert isinstance(error, SourceApiError)
    assert error.describe() == "server error (504: Gateway Timeout)"


@pytest.mark.parametrize(
    ("content", "described"),
    [
        pytest.param(b"<html>Welcome to our proxy</html>", "answer is not valid JSON", id="html"),
        pytest.param(b'{"ok": true, "data": {', "answer is not valid JSON", id="truncated"),
        pytest.param(b'"ok"', "answer is not a JSON object", id="json-string"),
    ],
)
def test_an_answer_that_is_not_a_json_object_is_an_error(content: bytes, described: str) -> None:
    error = check_listing(response(content))

    assert isinstance(error, SourceApiError)
    assert error.describe() == described


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"ok": True}, id="no-data"),
        pytest.param({"ok": True, "data": [{"id": "c1"}]}, id="data-list"),
        pytest.param({"ok": True, "data": None}, id="null-data"),
    ],
)
def test_an_answer_without_a_data_object_is_an_error(body: dict[str, Any]) -> None:
    error = check_listing(response(body))

    assert isinstance(error, SourceApiError)
    assert error.describe() == "answer has no `data` object"


def test_a_page_is_read_from_the_data_of_its_answer() -> None:
    assert page_from_data(PAGE["data"]) == Page([{"id": "c1"}], 1, False, 100)


def test_a_page_without_paging_fields_has_none_for_them() -> None:
    assert page_from_data({"items": []}) == Page([], None, None, None)
