"""Transform: `dbt build` of the project in sql/ against the warehouse that dlt loaded."""

import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.paths import DBT_PROJECT_DIR
from pipelines.settings import RAW_CONTACTS_TABLES, prepare_environment
from pipelines.warehouse import DbtBuild, Warehouse, as_warehouse

# dbt colours its messages; the failures we report are plain text.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# A traceback's last line, "_duckdb.OutOfMemoryException: …": the exception's module dropped.
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w]*\.)*([A-Za-z_]\w*(?:Error|Exception)\b)(?=:)")
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


def dbt_args(
    target: Warehouse | Path,
    command: str = "build",
    *extra: str,
    scratch_dir: Path | None = None,
) -> list[str]:
    """The dbt command line for one warehouse: the project, its profile's target, its
    target folder in the warehouse's working folder, and its log in sql/logs; both in
    `scratch_dir` instead when one is given."""
    warehouse = as_warehouse(target)
    return [
        command,
        *extra,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target",
        warehouse.kind,
        "--target-path",
        str(scratch_dir or warehouse.working_dir / "dbt-target"),
        "--log-path",
        str(scratch_dir or DBT_PROJECT_DIR / "logs"),
        # The run's summary line says what failed; dbt's full log is in sql/logs/dbt.log.
        "--log-level",
        "none",
    ]


def transform(target: Warehouse | Path, as_of: datetime | None = None) -> TransformResult:
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
        target: the warehouse that dlt loaded, or a DuckDB file's path.
        as_of: the time the history records for this run (CONTACTS_AS_OF), instead of the
            clock's; the demo uses it to simulate several nights in a row.
    """
    warehouse = as_warehouse(target)
    # The profile reads the warehouse from these; dbt reads its tracking switches from the
    # environment too.
    os.environ.update(warehouse.dbt_environment())
    prepare_environment()

    started = time.perf_counter()
    missing = missing_raw_tables(warehouse)
    result = TransformResult(ok=True, seconds=0.0)
    result.notes = [f"{table} has never been loaded: its contacts are empty" for table in missing]
    # Read by the snapshot's clock (sql/macros/snapshot_get_time.sql); never left over from
    # an earlier transform in this process.
    if as_of is not None:
        os.environ["CONTACTS_AS_OF"] = as_of.isoformat()
    else:
        os.environ.pop("CONTACTS_AS_OF", None)
    with warehouse.transforming():
        run_steps(warehouse, result)
    result.seconds = time.perf_counter() - started
    return result


def _dbt(warehouse: Warehouse, *selection: str) -> Any:
    # Imported here: dbt takes a second to import, and `load` alone does not need it.
    from dbt.cli.main import dbtRunner

    return dbtRunner().invoke(
        dbt_args(warehouse, "build", *selection, "--exclude-resource-type", "unit_test")
    )


def run_steps(warehouse: Warehouse, result: TransformResult) -> None:
    """The warehouse's transform steps in turn: a step that fails skips the builds after it,
    which depend on it, as dbt would skip them."""
    steps = warehouse.transform_steps()
    for number, step in enumerate(steps):
        if isinstance(step, DbtBuild):
            selection = ("--selector", step.selector) if step.selector else ()
            _collect(result, _dbt(warehouse, *selection))
        else:
            try:
                step.run()
            except Exception as error:
                result.ok = False
                result.failures.append(f"{step.name} (identity step): {_first_line(str(error))}")
        if not result.ok:
            later = [s.selector for s in steps[number + 1 :] if isinstance(s, DbtBuild)]
            result.skipped += [f"{selector} (selector)" for selector in later if selector]
            return


def _collect(result: TransformResult, outcome: Any) -> None:
    """Adds what one dbt invocation did to `result`."""
    failures_before = len(result.failures)
    for node_result in getattr(outcome.result, "results", None) or []:
        status = str(node_result.status).lower()
        name = f"{node_result.node.name} ({node_result.node.resource_type})"
        if status != "skipped":
            result.built.append(name)
        if status in _FAILED_STATUSES:
            result.failures.append(f"{name}: {_node_error(node_result.message) or status}")
        elif status == "skipped":
            result.skipped.append(name)
    if outcome.exception is not None:
        result.failures.append(f"dbt: {_first_line(str(outcome.exception))}")
    if not outcome.success and len(result.failures) == failures_before:
        result.failures.append("dbt: build failed without naming a node; see sql/logs/dbt.log")
    result.ok = result.ok and outcome.success and not result.failures


def missing_raw_tables(target: Warehouse | Path) -> list[str]:
    """The raw contacts tables that do not exist yet, because their source never loaded."""
    existing = as_warehouse(target).table_names()
    return [table for table in RAW_CONTACTS_TABLES if table not in existing]


def _node_error(message: str | None) -> str:
    """A node's failure in one line. dbt heads a database's error with the node's name and
    path ("Database Error in model stg_x (models/stg_x.sql)") and puts the cause on the next
    line, so the cause is what we keep: "Database Error: column "x" does not exist"."""
    text = _ANSI_ESCAPE.sub("", message or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and " in " in lines[0] and lines[0].endswith(")"):
        cause = lines[1]
        if cause == "Python model failed:":
            # A traceback follows; its first exception is the cause, which the later ones
            # only wrap: "OutOfMemoryException: Out of Memory Error: failed to allocate…".
            raised = next((line for line in lines[2:] if _EXCEPTION_LINE.match(line)), None)
            if raised is not None:
                cause += " " + _EXCEPTION_LINE.sub(r"\1", raised)
        return f"{lines[0].split(' in ')[0]}: {cause}"
    return lines[0] if lines else ""


def _first_line(message: str | None) -> str:
    text = _ANSI_ESCAPE.sub("", message or "").strip()
    return text.splitlines()[0].strip() if text else ""
