"""Extract and load: one dlt pipeline per source, into `raw_<source>` of one DuckDB file."""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.extract.source import DltSource
from requests import RequestException

from pipelines.api_errors import SourceApiError
from pipelines.contacts_resource import DELETIONS_TABLE, ExtractStats, KnownContacts
from pipelines.levcapital import levcapital_source
from pipelines.paths import pipelines_dir_for
from pipelines.sprintmode import sprintmode_source

SOURCES: dict[str, Callable[..., DltSource]] = {
    "levcapital": levcapital_source,
    "sprintmode": sprintmode_source,
}


@dataclass
class SourceLoad:
    """What one source's extract and load did."""

    source: str
    stats: ExtractStats = field(default_factory=ExtractStats)
    rows_written: int = 0
    seconds: float = 0.0
    error: str | None = None
    expected: bool = True
    exception: BaseException | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary_line(self) -> str:
        """One line for the end of a run; failures name the source and the cause."""
        if not self.ok:
            return f"{self.source}: {self.error}"
        stats = self.stats
        line = (
            f"{self.source}: {stats.pages:,} pages fetched, {stats.contacts_seen:,} contacts "
            f"seen, {self.rows_written:,} rows written, {self.seconds:.1f} s"
        )
        notes = [
            f"{count:,} {what}"
            for count, what in (
                (stats.marked_deleted, "marked deleted"),
                (stats.reappeared, "reappeared"),
                (stats.recovered, "recovered from a shifting listing"),
            )
            if count
        ]
        if stats.listings > 1:
            notes.append(f"listed {stats.listings} times")
        if stats.consistent is False:
            notes.append("listing kept shifting, no deletes marked")
        return f"{line} ({'; '.join(notes)})" if notes else line


def pipeline_for(source_name: str, duckdb_path: Path) -> dlt.Pipeline:
    """The dlt pipeline that loads one source into `raw_<source>` of `duckdb_path`."""
    return dlt.pipeline(
        pipeline_name=f"contacts_elt_{source_name}",
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name=f"raw_{source_name}",
        pipelines_dir=str(pipelines_dir_for(duckdb_path)),
    )


def load_source(source_name: str, duckdb_path: Path, **source_args: Any) -> SourceLoad:
    """Extracts one source incrementally and merges it into its raw dataset.

    Expected failures (bad key, API errors, unreachable host, missing config) are caught and
    reported in the result, so that one source failing never stops the other.

    Args:
        source_name: `levcapital` or `sprintmode`.
        duckdb_path: absolute path of the DuckDB file.
        **source_args: explicit source arguments (base_url, api_key, ...) that take
            precedence over dlt's config and secrets resolution.
    """
    result = SourceLoad(source_name)
    started = time.perf_counter()
    try:
        pipeline = pipeline_for(source_name, duckdb_path)
        if pipeline.has_pending_data:
            # A killed run left extracted or normalized packages behind. dlt's run() would
            # only finish those and skip the new extract, so finish them first, then extract.
            pipeline.run()
        # Config and secrets resolve here, before any request: a missing key fails at once.
        source = SOURCES[source_name](
            known=read_known_contacts(pipeline), stats=result.stats, **source_args
        )
        pipeline.run(source, loader_file_format="parquet")
        normalize_info = pipeline.last_trace.last_normalize_info
        if normalize_info is not None:
            result.rows_written = normalize_info.row_counts.get("contacts", 0)
    except Exception as error:
        # Any failure stays inside its source so the other one still loads; the CLI shows
        # a traceback for the unexpected ones.
        expected_cause = describe_failure(source_name, error)
        result.error = expected_cause or f"{type(error).__name__}: {_first_line(error)}"
        result.expected = expected_cause is not None
        result.exception = error
    result.seconds = time.perf_counter() - started
    return result


def load_sources(
    duckdb_path: Path,
    source_names: Iterable[str] = tuple(SOURCES),
    source_args: dict[str, dict[str, Any]] | None = None,
) -> list[SourceLoad]:
    """Loads the sources one after another (DuckDB allows a single writer)."""
    source_args = source_args or {}
    return [load_source(name, duckdb_path, **source_args.get(name, {})) for name in source_names]


def read_known_contacts(pipeline: dlt.Pipeline) -> KnownContacts:
    """The contact ids the destination holds, live and deleted, before this run."""
    schema = pipeline.dataset_name
    with pipeline.sql_client() as client:
        tables = {
            row[0]
            for row in client.execute_sql(
                f"select table_name from information_schema.tables where table_schema = '{schema}'"
            )
        }
        if "contacts" not in tables:
            return KnownContacts()
        deleted: set = set()
        if DELETIONS_TABLE in tables:
            deleted = {
                row[0] for row in client.execute_sql(f"select id from {schema}.{DELETIONS_TABLE}")
            }
        every = {row[0] for row in client.execute_sql(f"select id from {schema}.contacts")}
    return KnownContacts(
        live_ids=every - deleted,
        deleted_ids=deleted,
        has_deletions_table=DELETIONS_TABLE in tables,
    )


def describe_failure(source_name: str, error: BaseException) -> str | None:
    """The cause of an expected failure in one line, without secrets; None if unexpected.

    dlt wraps what a resource raised in its own step exceptions; the useful cause is the
    innermost one we recognise.
    """
    for cause in _causes(error):
        if isinstance(cause, SourceApiError):
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
        if isinstance(cause, RequestException):
            return f"request failed ({type(cause).__name__}: {_first_line(cause)})"
        if isinstance(cause, ValueError) and "unreadable" in str(cause):
            return _first_line(cause)
    return None


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return list(reversed(chain))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
