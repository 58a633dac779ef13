"""Errors the two CRM APIs answer with, turned into exceptions that name the source and cause."""

import json
from collections.abc import Callable
from typing import Any

import orjson
from requests import HTTPError, Response

EnvelopeCheck = Callable[[Response], "SourceApiError | None"]


class SourceApiError(HTTPError):
    """An API answered with an error, or with a body that breaks its documented contract.

    It subclasses `HTTPError` and keeps the response, so our retrying session
    (`http/session.py`) can still see the status: 429 and 5xx are retried there, everything
    else fails at once.
    """

    def __init__(
        self,
        source: str,
        message: str,
        *,
        response: Response | None = None,
        status: int | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.source = source
        self.status = status
        self.error_type = error_type
        self.api_message = message
        self.request_id = request_id
        super().__init__(self.describe(), response=response)

    def describe(self) -> str:
        """One line without the source name, e.g. `authentication failed (401 unauthorized)`."""
        if self.status == 401:
            cause = "authentication failed"
        elif self.status == 403:
            cause = "access forbidden"
        elif self.status == 429:
            cause = "rate limited"
        elif self.status is not None and self.status >= 500:
            cause = "server error"
        else:
            cause = self.api_message
        detail = " ".join(str(part) for part in (self.status, self.error_type) if part)
        if cause != self.api_message:
            detail = f"{detail}: {self.api_message}" if detail else self.api_message
        line = f"{cause} ({detail})" if detail else cause
        if self.request_id:
            line += f" [request_id {self.request_id}]"
        return line


def response_checker(
    check_envelope: EnvelopeCheck, expected_statuses: frozenset[int] = frozenset()
) -> dict[str, list[Callable[..., None]]]:
    """Requests hooks that raise `SourceApiError` for a bad answer.

    Args:
        check_envelope: returns the error a response carries, or None when it is good.
        expected_statuses: statuses that are answers rather than errors, such as a 404 when
            asking whether a contact still exists.
    """

    def hook(response: Response, *args: Any, **kwargs: Any) -> None:
        if response.status_code in expected_statuses:
            return
        error = check_envelope(response)
        if error is not None:
            raise error

    return {"response": [hook]}


def json_body(response: Response) -> Any:
    """The decoded body, or None when it is not JSON (a proxy's HTML page, a truncated body).

    The body is decoded once and `response.json` answers from then on with the same object:
    our envelope check, dlt's data selector and its paginator each call it, and decoding a
    page three times costs more than fetching it from a nearby API.
    """
    if "json" in vars(response):
        # Decoded already: `json` is the instance's own, answering with that object.
        return response.json()
    try:
        # orjson decodes a page in about 60% of json's time (10k SprintMode contacts, 0.04 s
        # against 0.064 s).
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = _lenient_json(response)
        if body is _NOT_JSON:
            return None
    response.json = lambda **_: body  # type: ignore[method-assign]
    return body


class NotJsonNumber(float):
    """NaN, Infinity or -Infinity in an answer: no JSON number, though some servers' encoders
    write them. A float of its own type, so that the contract can set the contact aside, and
    orjson, which refuses float subclasses, never writes it as a silent null."""


_NOT_JSON = object()


def _lenient_json(response: Response) -> Any:
    """The body orjson refused, read as leniently as Python can, or `_NOT_JSON`.

    Python's json takes what orjson does not: an integer beyond 64 bits, a lone surrogate
    (`"\\ud800"`), and NaN or Infinity (as `NotJsonNumber`). Those values reach the contract,
    which sets aside a contact that no destination could store, instead of the whole page
    failing its source. A body in another encoding goes to requests' decoder, which guesses it.
    """
    for decode in (lambda: loads_leniently(response.content), response.json):
        try:
            return decode()
        except ValueError:
            continue
    return _NOT_JSON


def loads_leniently(data: bytes | str) -> Any:
    """JSON as Python's json reads it, NaN and Infinity as `NotJsonNumber`; for what orjson
    refuses.

    Raises:
        ValueError: not JSON even so.
    """
    return json.loads(data, parse_constant=NotJsonNumber)
