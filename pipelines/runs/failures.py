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
        if isinstance(cause, SourceApiError | ListingStalled | PackageRefused):
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


class PackageRefused(Exception):
    """The destination refused a load package for what it holds, and the package was set aside.

    dlt keeps a package whose load failed pending, and every later run tries it again: one
    value the database cannot store would fail every night. A refused package is aborted
    instead (dlt's own abort, which keeps its files and rewinds the local state), so nothing
    is silently lost and the next extract reads its contacts again.
    """

    def __init__(self, load_id: str, cause: str, kept_in: str) -> None:
        self.load_id = load_id
        self.cause = cause
        self.kept_in = kept_in
        super().__init__(self.describe())

    def describe(self) -> str:
        return (
            f"the database refused load package {self.load_id} for its content ({self.cause}); "
            f"it was set aside in {self.kept_in}; its contacts are read again from the API"
        )


# SQLSTATE classes of a value or row the database will never take, whenever it is asked:
# data exceptions (22), integrity constraint violations (23), program limits exceeded (54).
_REFUSING_SQLSTATE_CLASSES = frozenset({"22", "23", "54"})
# DuckDB's names for the same.
_REFUSING_DUCKDB_ERRORS = frozenset(
    {"ConversionException", "ConstraintException", "OutOfRangeException", "InvalidInputException"}
)


def refusal_cause(error: BaseException) -> str | None:
    """The database's reason, in one line, when a load failed for what its data holds; None
    when it failed for anything else (a lost connection, a full disk), which a later run may
    well get past, as dlt assumes of every failure it retries.

    dlt wraps a job's error in its own load exceptions, keeping it as `client_exception`.
    """
    for cause in _causes(error):
        client_error = getattr(cause, "client_exception", None) or cause
        sqlstate = getattr(client_error, "pgcode", None)
        refused = (isinstance(sqlstate, str) and sqlstate[:2] in _REFUSING_SQLSTATE_CLASSES) or (
            type(client_error).__module__.startswith(("duckdb", "_duckdb"))
            and type(client_error).__name__ in _REFUSING_DUCKDB_ERRORS
        )
        if refused:
            # The message and where it happened; not PostgreSQL's DETAIL, which repeats the
            # whole row, a contact's data.
            lines = [line for line in str(client_error).splitlines() if line.strip()]
            kept = lines[:1] + [line for line in lines[1:] if line.startswith("CONTEXT:")]
            return " ".join(" ".join(kept).split())[:300]
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
