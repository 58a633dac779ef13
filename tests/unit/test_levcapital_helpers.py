"""LevCapital's `check_envelope` and `check_listing` on hand-built answers."""

import json
from typing import Any

import pytest
import requests

from pipelines.http.errors import SourceApiError
from pipelines.sources.levcapital.helpers import check_envelope, check_listing

PAGE = {"request_id": "req-1", "data": [{"id": 1}], "pagination": {"total": 1}}


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


def test_a_single_contact_is_a_good_envelope_but_no_listing() -> None:
    answer = response({"data": {"id": 1}})

    assert check_envelope(answer) is None
    error = check_listing(answer)
    assert isinstance(error, SourceApiError)
    assert error.describe() == "answer has no `data` list"


def test_an_error_envelope_on_a_200_is_an_error_with_its_message() -> None:
    answer = response({"request_id": "req-9", "error": {"message": "boom"}})

    error = check_envelope(answer)

    assert isinstance(error, SourceApiError)
    assert error.api_message == "boom"
    assert error.status is None
    assert error.describe() == "boom [request_id req-9]"
    assert error.response is answer
    assert error.source == "levcapital"


def test_an_error_status_is_described_from_the_envelope() -> None:
    body = {
        "request_id": "req-2",
        "error": {"status": 401, "type": "unauthorized", "message": "Invalid API key"},
    }

    error = check_listing(response(body, status=401, reason="Unauthorized"))

    assert isinstance(error, SourceApiError)
    assert error.status == 401
    assert error.error_type == "unauthorized"
    assert error.request_id == "req-2"
    assert error.describe() == (
        "authentication failed (401 unauthorized: Invalid API key) [request_id req-2]"
    )


def test_an_error_status_without_an_envelope_is_described_by_its_reason() -> None:
    answer = response(b"<html>Bad Gateway</html>", status=502, reason="Bad Gateway")

    error = check_envelope(answer)

    assert isinstance(error, SourceApiError)
    assert error.describe() == "server error (502: Bad Gateway)"


def test_an_error_status_without_a_reason_is_a_failed_request() -> None:
    error = check_envelope(response(b"", status=500, reason=""))

    assert isinstance(error, SourceApiError)
    assert error.describe() == "server error (500: request failed)"


@pytest.mark.parametrize(
    ("content", "described"),
    [
        pytest.param(b"<html>Welcome to our proxy</html>", "answer is not valid JSON", id="html"),
        pytest.param(b'{"data": [{"id": 1}', "answer is not valid JSON", id="truncated"),
        pytest.param(b"[1, 2]", "answer is not a JSON object", id="json-list"),
    ],
)
def test_an_answer_that_is_not_a_json_object_is_an_error(content: bytes, described: str) -> None:
    error = check_listing(response(content))

    assert isinstance(error, SourceApiError)
    assert error.describe() == described
    assert error.status is None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"request_id": "req-3"}, id="no-data"),
        pytest.param({"request_id": "req-3", "data": None}, id="null-data"),
        pytest.param({"request_id": "req-3", "data": "contacts"}, id="string-data"),
    ],
)
def test_an_answer_without_data_is_an_error(body: dict[str, Any]) -> None:
    error = check_listing(response(body))

    assert isinstance(error, SourceApiError)
    assert error.describe() == "answer has no `data` [request_id req-3]"


@pytest.mark.parametrize(
    ("body", "described"),
    [
        pytest.param({"error": {}}, "error envelope without a message", id="empty-error-object"),
        pytest.param({"error": "boom", "data": []}, "boom", id="error-as-a-string"),
    ],
)
def test_an_error_envelope_on_a_200_is_never_described_as_ok(body: Any, described: str) -> None:
    error = check_listing(response(body))

    assert isinstance(error, SourceApiError)
    assert error.describe() == described
