"""`describe_failure`: the cause of an expected failure in one line, without secrets."""

import pytest
import requests
from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
    LookupTrace,
)
from dlt.common.configuration.specs import BaseConfiguration

from pipelines.http.errors import SourceApiError
from pipelines.runs.failures import describe_failure, first_line

URL = "http://127.0.0.1:8123/api/external/v2/contacts?limit=200&api_key=s3cret"
REFUSED = (
    "HTTPConnectionPool(host='127.0.0.1', port=8123): Max retries exceeded with url: "
    "/api/external/v2/contacts?limit=200&api_key=s3cret (Caused by NewConnectionError("
    "'<urllib3.connection.HTTPConnection object at 0x7f>: Failed to establish a new "
    "connection: [Errno 111] Connection refused'))"
)


def request() -> requests.PreparedRequest:
    return requests.Request("GET", URL).prepare()


def missing(*fields: str) -> ConfigFieldMissingException:
    """As dlt's resolver raises it: the spec, and the lookups tried for each missing field."""
    traces = {
        field: [LookupTrace("Environment Variables", [], f"SOURCES__X__{field.upper()}", None)]
        for field in fields
    }
    return ConfigFieldMissingException(BaseConfiguration(), traces)


def raised_from(*errors: BaseException) -> BaseException:
    """The first of `errors`, raised from the second, raised from the third, ..."""
    *outer, innermost = errors
    caught: BaseException = innermost
    for error in reversed(outer):
        try:
            raise error from caught
        except BaseException as raised:
            caught = raised
    return caught


def test_a_source_api_error_is_described_by_itself() -> None:
    error = SourceApiError("levcapital", "Invalid API key", status=401, error_type="unauthorized")

    assert describe_failure("levcapital", error) == (
        "authentication failed (401 unauthorized: Invalid API key)"
    )


def test_missing_configuration_names_the_env_var_and_the_secrets_file() -> None:
    assert describe_failure("levcapital", missing("api_key")) == (
        "missing configuration api_key: set SOURCES__LEVCAPITAL__API_KEY "
        "or api_key under [sources.levcapital] in .dlt/secrets.toml"
    )


def test_missing_configuration_names_every_missing_field() -> None:
    assert describe_failure("sprintmode", missing("base_url", "api_key")) == (
        "missing configuration base_url, api_key: set SOURCES__SPRINTMODE__BASE_URL, "
        "SOURCES__SPRINTMODE__API_KEY or base_url, api_key under [sources.sprintmode] "
        "in .dlt/secrets.toml"
    )


def test_an_uncoercible_configuration_value_is_described_without_the_value() -> None:
    error = ConfigValueCannotBeCoercedException("timeout", "s3cret", float)

    described = describe_failure("levcapital", error)

    assert described == (
        "invalid configuration timeout: expected float; check the "
        "SOURCES__*__TIMEOUT environment variables and .dlt/config.toml"
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(
            requests.ConnectionError(REFUSED, request=request()),
            "cannot reach http://127.0.0.1:8123 (connection refused)",
            id="refused",
        ),
        pytest.param(
            requests.ConnectionError(
                "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
                request=request(),
            ),
            "cannot reach http://127.0.0.1:8123 (connection reset by peer)",
            id="reset-mid-request",
        ),
        pytest.param(
            requests.ConnectionError("[Errno -2] Name or service not known"),
            "cannot reach the API (name or service not known)",
            id="dns-without-a-request",
        ),
        pytest.param(
            requests.ConnectionError("something else", request=request()),
            "cannot reach http://127.0.0.1:8123 (connection failed)",
            id="no-errno",
        ),
        pytest.param(
            requests.ReadTimeout("Read timed out. (read timeout=30)", request=request()),
            "timed out waiting for http://127.0.0.1:8123",
            id="read-timeout",
        ),
        pytest.param(
            requests.ConnectTimeout("[Errno 110] Connection timed out", request=request()),
            "timed out waiting for http://127.0.0.1:8123",
            id="connect-timeout-is-a-timeout",
        ),
        pytest.param(
            requests.Timeout("timed out"), "timed out waiting for the API", id="timeout-no-request"
        ),
        pytest.param(
            requests.exceptions.InvalidURL("Invalid URL 'x'\nmore detail"),
            "request failed (InvalidURL: Invalid URL 'x')",
            id="other-request-error",
        ),
    ],
)
def test_a_request_failure_names_the_host_and_the_cause(
    error: requests.RequestException, expected: str
) -> None:
    described = describe_failure("levcapital", error)

    assert described == expected
    assert "s3cret" not in described


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(ValueError("bug"), id="value-error"),
        pytest.param(KeyError("id"), id="key-error"),
        pytest.param(raised_from(RuntimeError("a"), TypeError("b")), id="unknown-chain"),
    ],
)
def test_an_unexpected_failure_is_not_described(error: BaseException) -> None:
    assert describe_failure("levcapital", error) is None


def test_a_cause_wrapped_two_levels_deep_is_found() -> None:
    cause = SourceApiError("sprintmode", "Service Unavailable", status=503)
    error = raised_from(RuntimeError("pipeline step failed"), RuntimeError("extract"), cause)

    assert error.__cause__.__cause__ is cause
    assert describe_failure("sprintmode", error) == "server error (503: Service Unavailable)"


def test_a_cause_raised_while_handling_another_is_found() -> None:
    try:
        try:
            raise requests.Timeout("timed out", request=request())
        except requests.Timeout:
            raise RuntimeError("extract failed")  # noqa: B904 - the implicit context is the point
    except RuntimeError as error:
        implicit = error

    assert describe_failure("levcapital", implicit) == "timed out waiting for http://127.0.0.1:8123"


def test_the_innermost_recognised_cause_wins() -> None:
    inner = requests.ConnectionError(REFUSED, request=request())
    error = raised_from(SourceApiError("levcapital", "request failed"), inner)

    assert describe_failure("levcapital", error) == (
        "cannot reach http://127.0.0.1:8123 (connection refused)"
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(ValueError("one\ntwo"), "one", id="first-of-many-lines"),
        pytest.param(ValueError("  padded  "), "padded", id="stripped"),
        pytest.param(ValueError(""), "ValueError", id="empty-is-the-type"),
    ],
)
def test_first_line_of_an_error(error: BaseException, expected: str) -> None:
    assert first_line(error) == expected


def test_a_request_failure_never_names_the_credentials_of_a_url() -> None:
    with_credentials = requests.Request("GET", "http://user:s3cret@127.0.0.1:8123/x").prepare()
    error = requests.ConnectionError(REFUSED, request=with_credentials)

    assert describe_failure("levcapital", error) == (
        "cannot reach http://127.0.0.1:8123 (connection refused)"
    )
