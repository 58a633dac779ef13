"""`contacts-elt status`: is the data there, did last night work, and how fresh is it."""

import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipelines.settings import (
    CONTACTS_TABLE,
    CURSOR_FIELD,
    DELETIONS_TABLE,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_RUN_IN_PROGRESS,
    REJECTS_TABLE,
    RUNS_TABLE,
    SOURCE_NAMES,
    pipeline_name,
    raw_dataset,
    raw_table,
)
from pipelines.warehouse import (
    RunInProgress,
    Warehouse,
    WarehouseUnavailable,
    as_warehouse,
    existing_tables,
    query,
)

TABLES = (
    *(
        raw_table(source, table)
        for source in SOURCE_NAMES
        for table in (CONTACTS_TABLE, DELETIONS_TABLE, REJECTS_TABLE)
    ),
    "analytics.contacts",
    "analytics.people",
    "analytics.contacts_history",
    RUNS_TABLE,
)


class DatabaseUnavailable(Exception):
    """The database cannot be read: it does not exist, or a run holds it."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class SourceStatus:
    """One source: its last run, its cursor and how fresh its data is."""

    source: str
    last_run: dict[str, Any] | None = None
    cursor: datetime | None = None
    last_success_at: datetime | None = None
    age_hours: float | None = None
    newest_updated_at: datetime | None = None
    live_contacts: int = 0
    deleted_contacts: int = 0
    rejected_contacts: int | None = None
    """Contacts set aside in `raw_<source>.contact_rejects` now; None before the table exists."""


@dataclass
class Status:
    """What `contacts-elt status` reports about one DuckDB file."""

    database: str
    checked_at: datetime
    max_age_hours: float | None
    sources: list[SourceStatus] = field(default_factory=list)
    tables: dict[str, int | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rejected_contacts(self) -> int:
        """Contacts set aside as rejects across sources: loaded around, not a failure."""
        return sum(s.rejected_contacts or 0 for s in self.sources)

    def to_dict(self) -> dict[str, Any]:
        """The status as plain JSON values; timestamps in ISO 8601."""
        return _jsonable(
            {
                "database": self.database,
                "checked_at": self.checked_at,
                "ok": self.ok,
                "problems": self.problems,
                "rejected_contacts": self.rejected_contacts,
                "max_age_hours": self.max_age_hours,
                "sources": {
                    s.source: {k: v for k, v in asdict(s).items() if k != "source"}
                    for s in self.sources
                },
                "tables": self.tables,
            }
        )

    def to_text(self) -> str:
        """The status for people: one block per question, one line per source or table."""
        lines = [f"Database: {self.database}", "", "Last run"]
        for s in self.sources:
            run = s.last_run
            if run is None:
                lines.append(f"  {s.source:<11} never run")
                continue
            when = f"{_when(run['started_at'])} ({_ago(self.checked_at, run['started_at'])})"
            if run["status"] == "succeeded":
                what = (
                    f"{run['pages']:,} pages, {run['contacts_seen']:,} contacts seen, "
                    f"{run['rows_inserted']:,} inserted, {run['rows_updated']:,} updated, "
                    f"{run['rows_marked_deleted']:,} marked deleted, "
                    f"{run.get('rows_rejected') or 0:,} rejected, {run['seconds']:.1f} s"
                )
            else:
                what = run["error"] or "no error recorded"
            # Tables from before the column existed have no run_type: incremental runs.
            if run.get("run_type") == "refresh":
                when += ", a refresh"
            lines.append(f"  {s.source:<11} {run['status']:<9} {when}: {what}")
        lines += ["", f"Incremental cursor ({CURSOR_FIELD})"]
        for s in self.sources:
            cursor = _when(s.cursor) if s.cursor else "none yet: the next run reads everything"
            lines.append(f"  {s.source:<11} {cursor}")
        lines += ["", "Rows"]
        width = max(len(table) for table in self.tables)
        for table, count in self.tables.items():
            shown = f"{count:>9,}" if count is not None else "  missing"
            lines.append(f"  {table:<{width}} {shown}")
        lines += ["", "Freshness"]
        for s in self.sources:
            if s.last_success_at is None:
                lines.append(f"  {s.source:<11} never loaded")
                continue
            lines.append(
                f"  {s.source:<11} loaded {_when(s.last_success_at)} "
                f"({_ago(self.checked_at, s.last_success_at)}); "
                f"{s.live_contacts:,} live contacts, {s.deleted_contacts:,} deleted, "
                f"newest updated_at {_when(s.newest_updated_at) if s.newest_updated_at else '-'}"
            )
            if s.rejected_contacts:
                lines.append(
                    f"  {'':<11} {s.rejected_contacts:,} set aside in "
                    f"{raw_table(s.source, REJECTS_TABLE)}: they broke the API's contract"
                )
        lines.append("")
        if self.ok and self.max_age_hours is not None:
            lines.append(f"Status: ok, every source loaded within {self.max_age_hours:g} h")
        elif self.ok and self.rejected_contacts:
            lines.append(f"Status: ok, with {self.rejected_contacts:,} contacts set aside")
        elif self.ok:
            lines.append("Status: ok")
        else:
            lines.append("Status: FAILING")
            lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


def read_status(
    target: Warehouse | Path, max_age_hours: float | None = None, now: datetime | None = None
) -> Status:
    """Reads the status of a warehouse through a connection that only reads.

    Raises:
        DatabaseUnavailable: the DuckDB file does not exist or a process writes it, or the
            PostgreSQL server cannot be reached.
    """
    warehouse = as_warehouse(target)
    connection = connect_for_reading(warehouse)
    status = Status(
        database=warehouse.display_name,
        checked_at=now or datetime.now(UTC),
        max_age_hours=max_age_hours,
    )
    try:
        existing = existing_tables(connection)
        status.tables = {
            table: (
                _one(connection, f"select count(*) from {table}")[0] if table in existing else None
            )
            for table in TABLES
        }
        for source in SOURCE_NAMES:
            status.sources.append(_source_status(connection, existing, source, status))
    finally:
        connection.close()
    _check(status)
    return status


def connect_for_reading(warehouse: Warehouse) -> Any:
    """A connection that only reads.

    Raises:
        DatabaseUnavailable: the DuckDB file does not exist or a process writes it, or the
            PostgreSQL server cannot be reached.
    """
    try:
        return warehouse.connect()
    except WarehouseUnavailable as unreachable:
        raise DatabaseUnavailable(str(unreachable), EXIT_FAILED) from None
    except RunInProgress as busy:
        raise DatabaseUnavailable(str(busy), EXIT_RUN_IN_PROGRESS) from None


def _one(connection: Any, sql: str, params: tuple | list = ()) -> tuple:
    """The first row of a query, or None."""
    _, rows = query(connection, sql, params)
    return rows[0] if rows else None


def _source_status(
    connection: Any, existing: set[str], source: str, status: Status
) -> SourceStatus:
    result = SourceStatus(source)
    if RUNS_TABLE in existing:
        names, rows = query(
            connection,
            f"select * from {RUNS_TABLE} where source_system = ? order by started_at desc limit 1",
            [source],
        )
        if rows:
            result.last_run = dict(zip(names, rows[0], strict=True))
        (result.last_success_at,) = _one(
            connection,
            f"select max(finished_at) from {RUNS_TABLE} "
            "where source_system = ? and status = 'succeeded'",
            [source],
        )
    if result.last_success_at is not None:
        age = status.checked_at - result.last_success_at
        result.age_hours = round(age.total_seconds() / 3600, 2)
    result.cursor = read_cursor(connection, existing, source)
    # Counted with every other table already; None while the table does not exist.
    result.rejected_contacts = status.tables[raw_table(source, REJECTS_TABLE)]
    if "analytics.contacts" in existing:
        (
            result.newest_updated_at,
            result.live_contacts,
            result.deleted_contacts,
        ) = _one(
            connection,
            "select max(updated_at), count(*) filter (where not is_deleted), "
            "count(*) filter (where is_deleted) from analytics.contacts where source_system = ?",
            [source],
        )
    return result


def read_cursor(connection: Any, existing: set[str], source: str) -> datetime | None:
    """The incremental cursor that the next run of `source` starts from.

    dlt commits its pipeline state into the destination with every load, compressed, in
    `raw_<source>._dlt_pipeline_state`. The newest row of a completed load is the current
    state; this is the query that dlt's own `get_stored_state` runs, decoded with dlt's
    own `decompress_state`.
    """
    dataset = raw_dataset(source)
    if not {f"{dataset}._dlt_pipeline_state", f"{dataset}._dlt_loads"} <= existing:
        return None
    # Imported here: dlt takes a moment to import, and a status without state needs none.
    from dlt.common.versioned_state import decompress_state

    row = _one(
        connection,
        f"select s.state from {dataset}._dlt_pipeline_state as s "
        f"join {dataset}._dlt_loads as l on l.load_id = s._dlt_load_id "
        "where s.pipeline_name = ? and l.status = 0 "
        "order by s._dlt_load_id desc limit 1",
        [pipeline_name(source)],
    )
    if row is None:
        return None
    state = decompress_state(row[0])
    resources = state.get("sources", {}).get(source, {}).get("resources", {})
    cursor = resources.get("contacts", {}).get("incremental", {}).get(CURSOR_FIELD, {})
    value = cursor.get("last_value")
    return value if isinstance(value, datetime) else None


def _check(status: Status) -> None:
    for s in status.sources:
        if s.last_run is None:
            status.problems.append(f"{s.source}: no run recorded")
        elif s.last_run["status"] != "succeeded":
            status.problems.append(
                f"{s.source}: the last run failed at {_when(s.last_run['started_at'])}: "
                f"{s.last_run['error']}"
            )
        if (
            status.max_age_hours is not None
            and s.last_success_at is not None
            and status.checked_at - s.last_success_at > timedelta(hours=status.max_age_hours)
        ):
            status.problems.append(
                f"{s.source}: the data is {s.age_hours:.1f} h old, older than "
                f"--max-age {status.max_age_hours:g} h"
            )


def report_status(target: Warehouse | Path, max_age_hours: float | None, as_json: bool) -> int:
    """Prints the status of a warehouse and returns the exit code.

    Exits 0 when healthy, 1 when a source's last run failed, it never ran or its data is
    older than `max_age_hours`, and 75 when a process holds the DuckDB file for writing.
    """
    warehouse = as_warehouse(target)
    try:
        status = read_status(warehouse, max_age_hours)
    except DatabaseUnavailable as unavailable:
        print(f"status: {unavailable}", file=sys.stderr)
        if as_json:
            print(
                json.dumps(
                    {"database": warehouse.display_name, "ok": False, "error": str(unavailable)}
                )
            )
        return unavailable.exit_code
    print(json.dumps(status.to_dict(), indent=2) if as_json else status.to_text())
    return EXIT_OK if status.ok else EXIT_FAILED


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _ago(now: datetime, then: datetime) -> str:
    seconds = (now - then).total_seconds()
    if seconds < 0:
        return "in the future"
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    if seconds < 3_600:
        return f"{seconds // 60:.0f} min ago"
    if seconds < 2 * 86_400:
        return f"{seconds / 3_600:.1f} h ago"
    return f"{seconds / 86_400:.1f} days ago"
