"""The `contacts-elt` command: load, transform, run, demo, simulate and status."""

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from pipelines import logs
from pipelines.paths import DEFAULT_DUCKDB, DEMO_DUCKDB
from pipelines.runs.lock import RunInProgress, exclusive_run
from pipelines.settings import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_RUN_IN_PROGRESS,
    SOURCE_NAMES,
    prepare_environment,
)
from pipelines.warehouse import (
    DESTINATIONS,
    DUCKDB,
    DuckDBFile,
    Warehouse,
    WarehouseUnavailable,
    resolve_warehouse,
)

DEMO_NIGHTS = 3


def _resolve_warehouse(args: argparse.Namespace) -> Warehouse:
    """The warehouse of a command, from its flags and the environment.

    Raises:
        WarehouseUnavailable: PostgreSQL was chosen without credentials.
    """
    if args.command == "demo":
        # The demo writes only its own database: CONTACTS_DUCKDB and CONTACTS_DESTINATION
        # name the real one.
        warehouse = DuckDBFile(Path(args.duckdb or args.default_duckdb).expanduser().resolve())
    else:
        warehouse = resolve_warehouse(
            args.destination, args.duckdb, os.environ.get("CONTACTS_DUCKDB"), args.default_duckdb
        )
    if warehouse.kind == DUCKDB and args.writes:
        warehouse.path.parent.mkdir(parents=True, exist_ok=True)
        # The notebooks read the file from here, as the commands they start do.
        os.environ["CONTACTS_DUCKDB"] = str(warehouse.path)
    return warehouse


# load, transform and run write through `publishing`: on DuckDB they write a copy of the
# file, published at the end, so that readers holding the file open never stop them.


def cmd_load(args: argparse.Namespace, warehouse: Warehouse) -> int:
    from pipelines.runs.load import load_sources
    from pipelines.runs.nightly import report_loads
    from pipelines.runs.publish import publishing

    names = [args.source] if args.source else SOURCE_NAMES
    with publishing(warehouse) as target:
        return report_loads(load_sources(target, names), args.verbose)


def cmd_transform(args: argparse.Namespace, warehouse: Warehouse) -> int:
    from pipelines.runs.nightly import report_transform
    from pipelines.runs.publish import publishing

    with publishing(warehouse) as target:
        return report_transform(target)


def cmd_run(args: argparse.Namespace, warehouse: Warehouse) -> int:
    from pipelines.runs.nightly import run_nightly
    from pipelines.runs.publish import publishing

    with publishing(warehouse) as target:
        return run_nightly(target, args.verbose)


def cmd_demo(args: argparse.Namespace, warehouse: Warehouse) -> int:
    from pipelines.demo.nights import run_demo

    return run_demo(warehouse.path, args.contacts, args.seed, args.nights, args.verbose)


def cmd_status(args: argparse.Namespace, warehouse: Warehouse) -> int:
    from pipelines.runs.status import report_status

    return report_status(warehouse, max_age_hours=args.max_age, as_json=args.json)


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
    destination = argparse.ArgumentParser(add_help=False)
    destination.add_argument(
        "--destination",
        choices=DESTINATIONS,
        help="where the contacts land (default: $CONTACTS_DESTINATION, else duckdb); postgres "
        "reads dlt's DESTINATION__POSTGRES__CREDENTIALS or [destination.postgres.credentials]",
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
        description="Load CRM contacts from LevCapital and SprintMode into DuckDB or PostgreSQL.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def writer(name: str, handler, summary: str, default_duckdb: Path = DEFAULT_DUCKDB):
        """A command that writes the warehouse: it takes the run lock."""
        parents = [common] if name == "demo" else [common, destination]
        command = commands.add_parser(name, parents=parents, help=summary)
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
        parents=[destination],
        help="last run, cursor, rows and freshness per source; exits 1 when unhealthy",
        description="Reports the last run per source, the incremental cursor per source, the "
        "rows per table and the freshness of the data. Exits 0 when every source's last run "
        "succeeded (and its data is younger than --max-age), 1 when not, and 75 when a run "
        "holds the DuckDB file for writing. Only reads.",
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
    status.set_defaults(
        handler=cmd_status,
        verbose=False,
        log_format=logs.TEXT,
        writes=False,
        default_duckdb=DEFAULT_DUCKDB,
    )
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
    if args.command == "simulate":
        return args.handler(args)
    try:
        warehouse = _resolve_warehouse(args)
    except WarehouseUnavailable as unavailable:
        logs.emit("command_failed", f"{args.command}: {unavailable}", level="error")
        return EXIT_FAILED
    if not args.writes:
        return args.handler(args, warehouse)

    logs.emit(
        "command_started",
        f"{args.command}: started on {warehouse.display_name}",
        command=args.command,
        database=warehouse.display_name,
        json_only=True,
    )
    try:
        with exclusive_run(warehouse):
            exit_code = args.handler(args, warehouse)
    except RunInProgress as busy:
        logs.emit("run_skipped", f"{args.command}: {busy}", level="warning")
        exit_code = EXIT_RUN_IN_PROGRESS
    except WarehouseUnavailable as unavailable:
        logs.emit("command_failed", f"{args.command}: {unavailable}", level="error")
        exit_code = EXIT_FAILED
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
