"""The `contacts-elt` command: load, transform, run, demo, simulate and status."""

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pipelines import logs
from pipelines.paths import DEFAULT_DUCKDB, DEMO_DUCKDB, PROJECT_DIR, resolve_duckdb_path
from pipelines.run_lock import EXIT_RUN_IN_PROGRESS, RunInProgress, exclusive_run

SOURCE_NAMES = ("levcapital", "sprintmode")
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_LOADED_WITH_REJECTS = 3
"""Everything loaded and built, except contacts that broke their API's contract: they are in
`raw_<source>.contact_rejects`, with the reason. A failure (1) or a busy database (75) wins."""
DEMO_NIGHTS = 3


def _prepare_environment() -> None:
    """Settings every command needs before dlt or dbt are imported.

    dlt looks for `.dlt/` in the working directory; pointing it at the project lets a
    scheduler run the command from anywhere. Telemetry is off: there is no internet here, and
    a nightly job should not phone home anyway.
    """
    os.environ.setdefault("DLT_PROJECT_DIR", str(PROJECT_DIR))
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")


def _resolve_duckdb(args: argparse.Namespace) -> Path:
    # The demo writes only its own database: CONTACTS_DUCKDB names the real one.
    env_value = None if args.command == "demo" else os.environ.get("CONTACTS_DUCKDB")
    path = resolve_duckdb_path(args.duckdb, env_value, args.default_duckdb)
    path.parent.mkdir(parents=True, exist_ok=True)
    # dbt's profile and the notebooks read the file from here, so all three agree on it.
    os.environ["CONTACTS_DUCKDB"] = str(path)
    return path


def _report_loads(loads: Sequence, verbose: bool) -> int:
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
    return EXIT_LOADED_WITH_REJECTS if any(r.stats.rejected for r in loads) else EXIT_OK


def _report_transform(duckdb_path: Path, as_of: datetime | None = None) -> int:
    from pipelines.transform import transform

    result = transform(duckdb_path, as_of=as_of)
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


def _run_nightly(
    duckdb_path: Path,
    verbose: bool,
    source_args: dict[str, dict] | None = None,
    as_of: datetime | None = None,
) -> int:
    """Loads every source, then transforms, even when a source failed: the other one's data
    is still worth building, and dbt works on whatever the raw tables hold."""
    from pipelines.load import load_sources

    load_exit = _report_loads(load_sources(duckdb_path, SOURCE_NAMES, source_args), verbose)
    transform_exit = _report_transform(duckdb_path, as_of)
    if EXIT_FAILED in (load_exit, transform_exit):
        return EXIT_FAILED
    return max(load_exit, transform_exit)


def cmd_load(args: argparse.Namespace, duckdb_path: Path) -> int:
    from pipelines.load import load_sources

    names = [args.source] if args.source else SOURCE_NAMES
    return _report_loads(load_sources(duckdb_path, names), args.verbose)


def cmd_transform(args: argparse.Namespace, duckdb_path: Path) -> int:
    return _report_transform(duckdb_path)


def cmd_run(args: argparse.Namespace, duckdb_path: Path) -> int:
    return _run_nightly(duckdb_path, args.verbose)


def cmd_demo(args: argparse.Namespace, duckdb_path: Path) -> int:
    from pipelines import demo

    try:
        demo.start_fresh(duckdb_path)
    except demo.DemoRefused as refused:
        logs.emit("demo_refused", f"demo: {refused}", level="error")
        return EXIT_FAILED
    with demo.running_simulators(n_contacts=args.contacts, seed=args.seed) as apis:
        for night in demo.demo_nights(apis, args.nights, seed=args.seed):
            logs.emit(
                "demo_night",
                night.heading(),
                night=night.number,
                nights=night.nights,
                as_of=night.as_of.isoformat(),
                changes=[vars(changes) for changes in night.changes],
            )
            exit_code = _run_nightly(duckdb_path, args.verbose, apis.source_args, night.as_of)
            if exit_code != EXIT_OK:
                return exit_code
            demo.record_night(duckdb_path, night)
    counts = demo.demo_table_counts(duckdb_path)
    if logs.is_json():
        logs.emit("demo_finished", f"demo: {duckdb_path}", database=str(duckdb_path), rows=counts)
    else:
        print("\n".join(demo.demo_summary_lines(duckdb_path, counts)))
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from pipelines.status import report_status

    path = resolve_duckdb_path(args.duckdb, os.environ.get("CONTACTS_DUCKDB"), DEFAULT_DUCKDB)
    return report_status(path, max_age_hours=args.max_age, as_json=args.json)


def cmd_simulate(args: argparse.Namespace) -> int:
    from pipelines.demo import serve_simulators

    return serve_simulators(port=args.port, n_contacts=args.contacts, seed=args.seed)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--duckdb",
        metavar="PATH",
        help="DuckDB file (default: $CONTACTS_DUCKDB, else data/contacts.duckdb in the project)",
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", help="show tracebacks and dlt's logs"
    )
    common.add_argument(
        "--log-format",
        choices=logs.LOG_FORMATS,
        default=logs.TEXT,
        help="text for people (default), or json: one object per line on stderr, for log "
        "collectors",
    )

    parser = argparse.ArgumentParser(
        prog="contacts-elt",
        description="Load CRM contacts from LevCapital and SprintMode into DuckDB.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def writer(name: str, handler, summary: str, default_duckdb: Path = DEFAULT_DUCKDB):
        """A command that writes the DuckDB file: it takes the run lock."""
        command = commands.add_parser(name, parents=[common], help=summary)
        command.set_defaults(handler=handler, default_duckdb=default_duckdb, writes=True)
        return command

    load = writer("load", cmd_load, "extract and load both sources, or one, incrementally")
    load.add_argument("--source", choices=SOURCE_NAMES, help="load only this source")
    writer("transform", cmd_transform, "dbt build: analytics tables, history and tests")
    writer("run", cmd_run, "the nightly job: load, then transform")
    demo = writer(
        "demo",
        cmd_demo,
        "run against local API simulators (default database: data/demo.duckdb)",
        default_duckdb=DEMO_DUCKDB,
    )
    demo.add_argument("--contacts", type=int, default=2_000, help="contacts per API")
    demo.add_argument("--seed", type=int, default=42, help="seed of the generated data")
    demo.add_argument(
        "--nights",
        type=_positive,
        default=DEMO_NIGHTS,
        help=f"nightly runs to simulate, one day apart, with changes between them "
        f"(default {DEMO_NIGHTS})",
    )

    simulate = commands.add_parser(
        "simulate",
        help="serve both API simulators until Ctrl-C (LevCapital on PORT, SprintMode on PORT+1)",
    )
    simulate.add_argument("--port", type=int, default=8765, help="LevCapital's port")
    simulate.add_argument("--contacts", type=int, default=2_000, help="contacts per API")
    simulate.add_argument("--seed", type=int, default=42, help="seed of the generated data")
    simulate.set_defaults(handler=cmd_simulate, verbose=False, log_format=logs.TEXT, writes=False)

    status = commands.add_parser(
        "status",
        help="last run, cursor, rows and freshness per source; exits 1 when unhealthy",
        description="Reports the last run per source, the incremental cursor per source, the "
        "rows per table and the freshness of the data. Exits 0 when every source's last run "
        "succeeded (and its data is younger than --max-age), 1 when not, and 75 when a run "
        "holds the database. Opens the database read-only.",
    )
    status.add_argument(
        "--duckdb",
        metavar="PATH",
        help="DuckDB file (default: $CONTACTS_DUCKDB, else data/contacts.duckdb in the project)",
    )
    status.add_argument(
        "--max-age",
        type=float,
        metavar="HOURS",
        help="fail when a source's last successful load is older than this",
    )
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(handler=cmd_status, verbose=False, log_format=logs.TEXT, writes=False)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _prepare_environment()
    logs.configure(args.log_format, args.verbose)
    if args.verbose:
        os.environ.setdefault("RUNTIME__LOG_LEVEL", "INFO")
    if not args.writes:
        return args.handler(args)

    duckdb_path = _resolve_duckdb(args)
    logs.emit(
        "command_started",
        f"{args.command}: started on {duckdb_path}",
        command=args.command,
        database=str(duckdb_path),
        json_only=True,
    )
    try:
        with exclusive_run(duckdb_path):
            exit_code = args.handler(args, duckdb_path)
    except RunInProgress as busy:
        logs.emit("run_skipped", f"{args.command}: {busy}", level="warning")
        exit_code = EXIT_RUN_IN_PROGRESS
    except Exception as crash:
        if not logs.is_json():
            raise
        # A collector gets the crash as one more JSON line, not a bare traceback.
        logs.emit(
            "command_crashed",
            f"{args.command}: {type(crash).__name__}: {crash}",
            level="error",
            exception=crash,
            show_traceback=True,
        )
        exit_code = EXIT_FAILED
    logs.emit(
        "command_finished",
        f"{args.command}: finished with exit code {exit_code}",
        level="info" if exit_code == EXIT_OK else "error",
        command=args.command,
        exit_code=exit_code,
        json_only=True,
    )
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
