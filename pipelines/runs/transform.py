"""Transform: `dbt build` of the project in sql/ against the DuckDB file that dlt loaded."""

import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.paths import DBT_PROJECT_DIR, dbt_target_dir_for
from pipelines.settings import RAW_CONTACTS_TABLES, prepare_environment

# dbt colours its messages; the failures we report are plain text.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
_FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


@dataclass
class TransformResult:
    """What one `dbt build` did.

    `failures` names each failing node and why, such as
    "unique_contacts_contact_key (test): Got 2 results, configured to fail if != 0".
    `skipped` names the nodes dbt did not run because something they depend on failed.
    `notes` says what the build did differently from a full one, and why, such as
    "raw_sprintmode.contacts has never been loaded: its contacts are empty".
    """

    ok: bool
    seconds: float
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    """Every node dbt ran, whatever its outcome, as `name (resource type)`."""

    def summary_line(self) -> str:
        """One line for the end of a run, then one per failure (node and cause) and per note."""
        if self.ok:
            lines = [f"dbt build: ok, {self.seconds:.1f} s"]
        else:
            lines = [f"dbt build: {len(self.failures)} failed, {self.seconds:.1f} s"]
            lines += [f"  {failure}" for failure in self.failures]
            skipped_builds = [name for name in self.skipped if not name.endswith("test)")]
            if skipped_builds:
                lines.append(f"  not built because of them: {', '.join(skipped_builds)}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def dbt_args(duckdb_path: Path, command: str = "build", *extra: str) -> list[str]:
    """The dbt command line for one DuckDB file: the project, its profile, its target folder
    beside the file, and its log in sql/logs."""
    return [
        command,
        *extra,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(dbt_target_dir_for(duckdb_path)),
        "--log-path",
        str(DBT_PROJECT_DIR / "logs"),
        # The run's summary line says what failed; dbt's full log is in sql/logs/dbt.log.
        "--log-level",
        "none",
    ]


def transform(duckdb_path: Path, as_of: datetime | None = None) -> TransformResult:
    """Runs `dbt build` in-process: models, snapshot and data tests, never unit tests.

    A failing test does not raise: the result is not ok and names it. What dbt built before
    the failure stays built; nodes downstream of a failure are skipped, so a contacts table
    that fails its tests is not snapshotted into the history.

    A raw contacts table that does not exist yet (its source has never loaded) does not stop
    the build: staging reads it as empty, so the other source's contacts are still built.

    dbt's unit tests test our SQL, not the night's data, so they belong to CI (`make test`,
    tests/test_dbt_unit_tests.py), not here. dbt builds their fixtures from the columns of
    the real input tables, so on this path their outcome would depend on what the API has
    sent so far, and one failing would skip every model downstream of it.

    Args:
        duckdb_path: the DuckDB file that dlt loaded; made absolute for dbt's profile.
        as_of: the time the history records for this run (CONTACTS_AS_OF), instead of the
            clock's; the demo uses it to simulate several nights in a row.
    """
    # Imported here: dbt takes a second to import, and `load` alone does not need it.
    from dbt.cli.main import dbtRunner

    # The profile reads the file from CONTACTS_DUCKDB; dbt reads its tracking switches from
    # the environment too.
    os.environ["CONTACTS_DUCKDB"] = str(Path(duckdb_path).resolve())
    prepare_environment()

    started = time.perf_counter()
    missing = missing_raw_tables(duckdb_path)
    notes = [f"{table} has never been loaded: its contacts are empty" for table in missing]
    # Read by the snapshot's clock (sql/macros/snapshot_get_time.sql); never left over from
    # an earlier transform in this process.
    if as_of is not None:
        os.environ["CONTACTS_AS_OF"] = as_of.isoformat()
    else:
        os.environ.pop("CONTACTS_AS_OF", None)
    try:
        outcome = dbtRunner().invoke(
            dbt_args(duckdb_path, "build", "--exclude-resource-type", "unit_test")
        )
    finally:
        release_database()
    seconds = time.perf_counter() - started

    failures: list[str] = []
    skipped: list[str] = []
    built: list[str] = []
    for node_result in getattr(outcome.result, "results", None) or []:
        status = str(node_result.status).lower()
        name = f"{node_result.node.name} ({node_result.node.resource_type})"
        if status != "skipped":
            built.append(name)
        if status in _FAILED_STATUSES:
            failures.append(f"{name}: {_first_line(node_result.message) or status}")
        elif status == "skipped":
            skipped.append(name)
    if outcome.exception is not None:
        failures.append(f"dbt: {_first_line(str(outcome.exception))}")
    if not outcome.success and not failures:
        failures.append("dbt: build failed without naming a node; see sql/logs/dbt.log")
    return TransformResult(
        ok=outcome.success and not failures,
        seconds=seconds,
        failures=failures,
        skipped=skipped,
        notes=notes,
        built=built,
    )


def missing_raw_tables(duckdb_path: Path) -> list[str]:
    """The raw contacts tables that do not exist yet, because their source never loaded."""
    if not Path(duckdb_path).exists():
        return list(RAW_CONTACTS_TABLES)
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        existing = {
            f"{schema}.{name}"
            for schema, name in connection.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
    return [table for table in RAW_CONTACTS_TABLES if table not in existing]


def release_database() -> None:
    """Closes the DuckDB database that dbt-duckdb keeps open in this process after a run.

    Left open, it holds the file's lock, and this process could not open the file again with
    another configuration (read-only, as the notebooks and tests do).
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    if environment is not None:
        environment.close()


def _first_line(message: str | None) -> str:
    text = _ANSI_ESCAPE.sub("", message or "").strip()
    return text.splitlines()[0].strip() if text else ""
