"""The nightly job and its report: load every source, transform, one line each."""

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import logs
from pipelines.settings import EXIT_FAILED, EXIT_LOADED_WITH_REJECTS, EXIT_OK, SOURCE_NAMES

if TYPE_CHECKING:
    # Only named here: importing it imports dlt, which `transform` alone does not need.
    from pipelines.runs.results import SourceLoad
    from pipelines.warehouse import Warehouse


def report_loads(loads: Sequence["SourceLoad"], verbose: bool) -> int:
    """Reports each source's load, and its rejects, and returns the exit code of the loads."""
    for result in loads:
        stats = result.stats
        logs.emit(
            "source_loaded" if result.ok else "source_failed",
            result.summary_line(),
            level="info" if result.ok else "error",
            source=result.source,
            exception=result.exception,
            show_traceback=result.exception is not None and (verbose or not result.expected),
            run_id=result.run_id,
            status="succeeded" if result.ok else "failed",
            pages=stats.pages,
            contacts_seen=stats.contacts_seen,
            rows_written=result.rows_written,
            rows_inserted=result.rows_inserted,
            rows_updated=result.rows_updated,
            rows_marked_deleted=stats.marked_deleted,
            seconds=round(result.seconds, 3),
            rows_rejected=len(stats.rejected),
            **({"error": result.error} if result.error else {}),
        )
        for line, refused in zip(result.set_aside_lines(), result.packages_set_aside, strict=True):
            logs.emit(
                "package_set_aside",
                line,
                level="warning",
                source=result.source,
                load_id=refused.load_id,
                cause=refused.cause,
                kept_in=refused.kept_in,
            )
        rejects = result.rejects_line()
        if rejects is not None:
            logs.emit(
                "contacts_rejected",
                rejects,
                level="warning",
                source=result.source,
                rejected=[
                    {"id": rejected.contact_id, "reason": rejected.reason}
                    for rejected in stats.rejected
                ],
            )
    if not all(result.ok for result in loads):
        return EXIT_FAILED
    set_aside = any(r.stats.rejected or r.packages_set_aside for r in loads)
    return EXIT_LOADED_WITH_REJECTS if set_aside else EXIT_OK


def report_transform(target: "Warehouse | Path", as_of: datetime | None = None) -> int:
    """Runs the transform, reports it, and returns its exit code."""
    # Imported here: dbt takes a second to import, and `load` alone does not need it.
    from pipelines.runs.transform import transform

    result = transform(target, as_of=as_of)
    logs.emit(
        "transform_finished" if result.ok else "transform_failed",
        result.summary_line(),
        level="info" if result.ok else "error",
        source="dbt",
        status="succeeded" if result.ok else "failed",
        seconds=round(result.seconds, 3),
        failures=result.failures,
        skipped=result.skipped,
        notes=result.notes,
    )
    return EXIT_OK if result.ok else EXIT_FAILED


def run_nightly(
    target: "Warehouse | Path",
    verbose: bool,
    source_args: dict[str, dict] | None = None,
    as_of: datetime | None = None,
    source_names: Sequence[str] = SOURCE_NAMES,
    refresh: bool = False,
) -> int:
    """Loads the sources (every one, by default), then transforms, even when a source failed:
    the other one's data is still worth building, and dbt works on whatever the raw tables
    hold. `refresh` writes every listed contact of the sources (`contacts-elt refresh`)."""
    # Imported here: dlt, pyarrow and pandas take half a second, which `transform` alone
    # would pay for nothing.
    from pipelines.runs.load import load_sources

    loads = load_sources(target, source_names, source_args, refresh=refresh)
    load_exit = report_loads(loads, verbose)
    transform_exit = report_transform(target, as_of)
    if EXIT_FAILED in (load_exit, transform_exit):
        return EXIT_FAILED
    return max(load_exit, transform_exit)
