"""`contacts-elt check`: can tonight's run work? Each API, the database and dbt, with no writes."""

import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines import logs
from pipelines.runs.transform import dbt_args
from pipelines.settings import EXIT_FAILED, EXIT_OK, EXIT_RUN_IN_PROGRESS, SOURCE_NAMES
from pipelines.warehouse import RunInProgress, Warehouse, WarehouseUnavailable


@dataclass
class Check:
    """One thing a night needs, and whether it holds."""

    name: str
    """A source's name, `database` or `dbt`."""
    ok: bool
    detail: str
    """What was found, or the cause of the failure, in one line without a secret."""
    busy: bool = False
    """Failed only because a run holds the database: the next night may well work."""
    exception: BaseException | None = None
    """The unexpected error behind a failure, for `--verbose`."""

    def line(self) -> str:
        return f"{self.name}: {'ok' if self.ok else 'FAILED'}, {self.detail}"


def run_checks(warehouse: Warehouse, source_names: Iterable[str] = SOURCE_NAMES) -> list[Check]:
    """Checks each source's API, the database and the dbt project, and writes nothing.

    A source is asked for one page of one contact (a retried 429 or 5xx costs more requests,
    within `[sources.http]`'s bounds). A DuckDB file that does not exist yet is fine: its
    folder only has to be writable.
    """
    # Side by side: an unreachable API costs the whole of `[sources.http]`'s backoff (about
    # 30 s by default), and two of them one after the other made a minute.
    with ThreadPoolExecutor(thread_name_prefix="check") as pool:
        checks = list(pool.map(check_source, source_names))
    checks.append(check_database(warehouse))
    checks.append(check_dbt(warehouse))
    return checks


def check_source(source_name: str) -> Check:
    """Resolves the source's configuration as a run would and asks its API for one contact."""
    # Imported here: dlt and the sources take a second, and each check reports on its own.
    from pipelines.runs.failures import describe_failure, first_line
    from pipelines.sources.contacts.listing import ListingStalled
    from pipelines.sources.registry import probe_function

    try:
        probe = probe_function(source_name)()
    except ListingStalled as stalled:
        detail = f"{stalled.cause} when asked for two pages of one contact: a night would fail"
        return Check(source_name, False, detail)
    except Exception as error:
        expected = describe_failure(source_name, error)
        detail = expected or _without_secret(
            source_name, f"{type(error).__name__}: {first_line(error)}"
        )
        return Check(source_name, False, detail, exception=None if expected else error)
    listed = "a total it does not report" if probe.total is None else f"{probe.total:,} contacts"
    note = f"; {probe.note}" if probe.note else ""
    return Check(source_name, True, f"{probe.base_url} accepts the key and lists {listed}{note}")


def check_database(warehouse: Warehouse) -> Check:
    """The warehouse can be written, and no run holds it; creates and changes nothing."""
    try:
        holder = warehouse.run_holder()
        if holder is not None:
            return Check("database", False, f"a run holds it ({holder})", busy=True)
        return Check("database", True, warehouse.check())
    except WarehouseUnavailable as unavailable:
        return Check("database", False, str(unavailable))
    except RunInProgress as busy:
        return Check("database", False, str(busy), busy=True)


def check_dbt(warehouse: Warehouse) -> Check:
    """The dbt project parses against this warehouse's target.

    The parse writes to a throwaway folder, not to the warehouse's working folder; dbt's parse
    does not connect to the database, and the DuckDB path it is given is a throwaway one too,
    so that no file appears where the real one will be.
    """
    from dbt.cli.main import dbtRunner

    with tempfile.TemporaryDirectory(prefix="contacts-elt-check-") as scratch:
        environment = warehouse.dbt_parse_environment(Path(scratch))
        saved = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)
        try:
            outcome = dbtRunner().invoke(
                dbt_args(warehouse, "parse", "--no-partial-parse", scratch_dir=Path(scratch))
            )
        finally:
            _restore(saved)
    if not outcome.success:
        cause = str(outcome.exception or "see dbt's log").strip().splitlines()[0]
        return Check("dbt", False, f"the project does not parse: {cause}")
    nodes = outcome.result.nodes.values()
    models = sum(1 for node in nodes if node.resource_type == "model")
    tests = sum(1 for node in nodes if node.resource_type == "test")
    return Check(
        "dbt", True, f"the project parses for {warehouse.kind}: {models} models, {tests} tests"
    )


def report_checks(checks: list[Check], verbose: bool) -> int:
    """One line per check; 0 when all pass, 75 when only a running run failed them, else 1."""
    for check in checks:
        logs.emit(
            "check_passed" if check.ok else "check_failed",
            check.line(),
            level="info" if check.ok else "error",
            source=check.name,
            exception=check.exception,
            show_traceback=verbose and check.exception is not None,
            ok=check.ok,
            detail=check.detail,
        )
    failed = [check for check in checks if not check.ok]
    if not failed:
        return EXIT_OK
    return EXIT_RUN_IN_PROGRESS if all(check.busy for check in failed) else EXIT_FAILED


def _without_secret(source_name: str, text: str) -> str:
    """`text` with the source's API key masked, should an unexpected error quote it."""
    import dlt

    secret: Any = dlt.secrets.get(f"sources.{source_name}.api_key")
    return text.replace(str(secret), "***") if secret else text


def _restore(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
