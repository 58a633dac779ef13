"""The cause of an expected failure in one line that names no secret."""

import re
from urllib.parse import urlsplit

from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
)
from requests import ConnectionError as RequestsConnectionError
from requests import RequestException, Timeout

from pipelines.http.errors import SourceApiError
from pipelines.sources.contacts.listing import ListingStalled


def describe_failure(source_name: str, error: BaseException) -> str | None:
    """The cause of an expected failure in one line, without secrets; None if unexpected.

    dlt wraps what a resource raised in its own step exceptions; the useful cause is the
    innermost one we recognise.
    """
    for cause in _causes(error):
        if isinstance(cause, SourceApiError | ListingStalled):
            return cause.describe()
        if isinstance(cause, ConfigFieldMissingException):
            missing = ", ".join(cause.fields)
            env_names = ", ".join(
                f"SOURCES__{source_name.upper()}__{f.upper()}" for f in cause.fields
            )
            return (
                f"missing configuration {missing}: set {env_names} "
                f"or {missing} under [sources.{source_name}] in .dlt/secrets.toml"
            )
        if isinstance(cause, ConfigValueCannotBeCoercedException):
            # A typo in config.toml or an env var; the value itself is not repeated, as the
            # field could be a secret.
            expected = getattr(cause.hint, "__name__", str(cause.hint))
            return (
                f"invalid configuration {cause.field_name}: expected {expected}; check the "
                f"SOURCES__*__{cause.field_name.upper()} environment variables and .dlt/config.toml"
            )
        if isinstance(cause, RequestException):
            return _describe_request_failure(cause)
    return None


def _describe_request_failure(error: RequestException) -> str:
    """`cannot reach http://host:port (connection refused)`, rather than urllib3's paragraph."""
    request = error.request
    where = ""
    if request is not None and request.url:
        parts = urlsplit(request.url)
        # hostname and port, not netloc: a URL's user:password@ must never reach a message.
        port = f":{parts.port}" if parts.port else ""
        where = f" {parts.scheme}://{parts.hostname}{port}"
    # `[Errno 111] Connection refused` when connecting; a connection dropped mid-request
    # reads `ConnectionResetError(104, 'Connection reset by peer')` instead.
    reason = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)|Error\(-?\d+, '([^']+)'\)", str(error))
    if isinstance(error, Timeout):
        return f"timed out waiting for{where or ' the API'}"
    if isinstance(error, RequestsConnectionError):
        detail = reason[reason.lastindex].strip().lower() if reason else "connection failed"
        return f"cannot reach{where or ' the API'} ({detail})"
    return f"request failed ({type(error).__name__}: {first_line(error)})"


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return list(reversed(chain))


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
