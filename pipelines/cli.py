"""The `contacts-elt` command: load, transform, run, demo, simulate and status."""

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from pipelines import logs
from pipelines.paths import DEFAULT_DUCKDB, DEMO_DUCKDB, resolve_duckdb_path
from pipelines.runs.lock import RunInProgress, exclusive_run
from pipelines.settings import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_RUN_IN_PROGRESS,
    SOURCE_NAMES,
    prepare_environment,
)

DEMO_NIGHTS = 3


def _resolve_duckdb(args: argparse.Namespace) -> Path:
    # The demo writes only its own database: CONTACTS_DUCKDB names the real one.
    env_value = None if args.command == "demo" else os.environ.get("CONTACTS_DUCKDB")
    path = resolve_duckdb_path(args.duckdb, env_value, args.default_duckdb)
    path.parent.mkdir(parents=True, exist_ok=True)
    # dbt's profile and the notebooks read the file from here, so all three agree on it.
    os.environ["CONTACTS_DUCKDB"] = str(path)
    return path


def cmd_load(args: argparse.Namespace, duckdb_path: Path) -> int:
    from pipelines.runs.load import load_sources
    from pipelines.runs.nightly import report_loads

    names = [args.source] if args.source else SOURCE_NAMES
    return report_loads(load_sources(duckdb_path, names), args.verbose)


def cmd_transform(args: argparse.Namespace, duckdb_path: Path) -> int:
    from pipelines.runs.nightly import report_transform

    return report_transform(duckdb_path)


def cmd_run(args: argparse.Namespace, duckdb_path: Path) -> int:
    from pipelines.runs.nightly import run_nightly

    return run_nightly(duckdb_path, args.verbose)


def cmd_demo(args: argparse.Namespace, duckdb_path: Path) -> int:
    from pipelines.demo.nights import run_demo

    return run_demo(duckdb_path, args.contacts, args.seed, args.nights, args.verbose)


def cmd_status(args: argparse.Namespace) -> int:
    from pipelines.runs.status import report_status

    path = resolve_duckdb_path(args.duckdb, os.environ.get("CONTACTS_DUCKDB"), DEFAULT_DUCKDB)
    return report_status(path, max_age_hours=args.max_age, as_json=args.json)


def cmd_simulate(args: argparse.Namespace) -> int:
    from pipelines.demo.nights import serve_simulators

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
    prepare_environment()
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
