"""`SourceApiError`, `response_checker` and `json_body`: the APIs' errors as exceptions."""

import pytest
import requests

from pipelines.http.errors import SourceApiError, json_body, response_checker


def response(content: bytes, status: int = 200) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = content
    answer.encoding = "utf-8"
    return answer


@pytest.mark.parametrize(
    ("status", "error_type", "message", "expected"),
    [
        pytest.param(
            401,
            "unauthorized",
            "Invalid API key",
            "authentication failed (401 unauthorized: Invalid API key)",
            id="401",
        ),
        pytest.param(403, None, "Forbidden", "access forbidden (403: Forbidden)", id="403"),
        pytest.param(
            429, None, "Too Many Requests", "rate limited (429: Too Many Requests)", id="429"
        ),
        pytest.param(500, None, "boom", "server error (500: boom)", id="500"),
        pytest.param(503, "unavailable", "down", "server error (503 unavailable: down)", id="503"),
        pytest.param(
            404, "not_found", "Contact not found", "Contact not found (404 not_found)", id="404"
        ),
        pytest.param(422, None, "bad limit", "bad limit (422)", id="422"),
        pytest.param(None, None, "answer has no `data`", "answer has no `data`", id="no-status"),
        pytest.param(None, "internal", "boom", "boom (internal)", id="type-without-status"),
        pytest.param(
            401, None, "authentication failed", "authentication failed (401)", id="same-words"
        ),
    ],
)
def test_an_api_error_is_described_by_its_status_and_message(
    status: int | None, error_type: str | None, message: str, expected: str
) -> None:
    error = SourceApiError("levcapital", message, status=status, error_type=error_type)

    assert error.describe() == expected
    assert str(error) == expected


def test_a_request_id_is_appended_to_the_description() -> None:
    error = SourceApiError("levcapital", "Invalid API key", status=401, request_id="req-42")

    assert error.describe() == "authentication failed (401: Invalid API key) [request_id req-42]"


def test_an_api_error_keeps_its_source_and_response() -> None:
    answer = response(b"{}", status=429)

    error = SourceApiError("sprintmode", "slow down", response=answer, status=429)

    assert isinstance(error, requests.HTTPError)
    assert error.response is answer
    assert (error.source, error.status, error.api_message) == ("sprintmode", 429, "slow down")


def test_the_response_checker_raises_what_the_envelope_check_finds() -> None:
    found = SourceApiError("levcapital", "boom")
    [hook] = response_checker(lambda _: found)["response"]

    with pytest.raises(SourceApiError) as raised:
        hook(response(b"{}"))

    assert raised.value is found


def test_the_response_checker_passes_a_good_answer() -> None:
    [hook] = response_checker(lambda _: None)["response"]

    assert hook(response(b"{}")) is None


def test_the_response_checker_lets_an_expected_status_through_unchecked() -> None:
    checked: list[int] = []

    def check(answer: requests.Response) -> SourceApiError:
        checked.append(answer.status_code)
        return SourceApiError("levcapital", "not found", status=404)

    [hook] = response_checker(check, expected_statuses=frozenset({404}))["response"]

    assert hook(response(b"{}", status=404)) is None
    assert checked == []


def test_json_body_decodes_once_and_answers_with_the_same_object() -> None:
    answer = response(b'{"data": [1, 2]}')

    body = json_body(answer)

    assert body == {"data": [1, 2]}
    answer._content = b"{}"
    assert answer.json() is body
    assert json_body(answer) is body


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"<html>Bad Gateway</html>", id="html"),
        pytest.param(b'{"data": [', id="truncated"),
        pytest.param(b"", id="empty"),
    ],
)
def test_json_body_of_a_body_that_is_not_json_is_none(content: bytes) -> None:
    assert json_body(response(content)) is None
