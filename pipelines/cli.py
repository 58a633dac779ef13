"""The `contacts-elt` command: load, transform, run, refresh, demo, simulate, status, check."""

import argparse
import importlib.util
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path

from pipelines import logs
from pipelines.memory import InvalidBudget, MemoryBudget
from pipelines.paths import DEFAULT_DUCKDB, DEMO_DUCKDB
from pipelines.settings import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_RUN_IN_PROGRESS,
    SOURCE_NAMES,
    prepare_environment,
)
from pipelines.warehouse import (
    DESTINATIONS,
    RunInProgress,
    Warehouse,
    WarehouseUnavailable,
    as_warehouse,
    resolve_warehouse,
)

DEMO_NIGHTS = 3
# The commands that run the demo (demo/), which a clone of the project installs and the
# product's package does not carry.
DEMO_COMMANDS = ("demo", "simulate")
DEMO_MISSING = (
    "the demo is not installed: it comes with a clone of the project (make install), not with "
    "the contacts-elt package"
)


def _resolve_warehouse(args: argparse.Namespace) -> Warehouse:
    """The warehouse of a command, from its flags and the environment.

    Raises:
        WarehouseUnavailable: PostgreSQL was chosen without credentials.
    """
    if args.command == "demo":
        # The demo writes only its own database: CONTACTS_DUCKDB and CONTACTS_DESTINATION
        # name the real one.
        warehouse = as_warehouse(Path(args.duckdb or args.default_duckdb).expanduser())
    else:
        warehouse = resolve_warehouse(
            args.destination, args.duckdb, os.environ.get("CONTACTS_DUCKDB"), args.default_duckdb
        )
    if args.writes:
        os.environ.update(warehouse.reader_environment())
    return warehouse


# load, transform, run and refresh write through `warehouse.writing()`: on DuckDB they write a
# copy of the file, published at the end, so that readers holding the file open never stop them.


def cmd_load(args: argparse.Namespace, warehouse: Warehouse) -> int:
    from pipelines.runs.load import load_sources
    from pipelines.runs.nightly import report_loads

    names = [args.source] if args.source else SOURCE_NAMES
    with warehouse.writing() as target:
        return report_loads(load_sources(target, names), args.verbose)


def cmd_transform(args: argparse.Namespace, warehouse: Warehouse) -> int:
    from pipelines.runs.nightly import report_transform

    with warehouse.writing() as target:
        return report_transform(target)


def cmd_run(args: argparse.Namespace, warehouse: Warehouse) -> int:
    from pipelines.runs.nightly import run_nightly

    with warehouse.writing() as target:
        return run_nightly(target, args.verbose)


def cmd_demo(args: argparse.Namespace, warehouse: Warehouse) -> int:
    from demo.nights import run_demo

    return run_demo(warehouse.path, args.contacts, args.seed, args.nights, args.verbose)


def cmd_refresh(args: argparse.Namespace, warehouse: Warehouse) -> int:
    from pipelines.runs.nightly import run_nightly

    with warehouse.writing() as target:
        return run_nightly(target, args.verbose, source_names=[args.source], refresh=True)


def cmd_check(args: argparse.Namespace, warehouse: Warehouse) -> int:
    from pipelines.runs.check import report_checks, run_checks

    names = [args.source] if args.source else SOURCE_NAMES
    return report_checks(run_checks(warehouse, names), args.verbose)


def cmd_status(args: argparse.Namespace, warehouse: Warehouse) -> int:
    from pipelines.runs.status import report_status

    return report_status(warehouse, max_age_hours=args.max_age, as_json=args.json)


def cmd_simulate(args: argparse.Namespace) -> int:
    from demo.nights import serve_simulators

    return serve_simulators(port=args.port, n_contacts=args.contacts, seed=args.seed)


DUCKDB_HELP = "DuckDB file (default: $CONTACTS_DUCKDB, else data/contacts.duckdb in the project)"
SOURCES_ENV = (
    "  SOURCES__LEVCAPITAL__BASE_URL, SOURCES__LEVCAPITAL__API_KEY,\n"
    "  SOURCES__LEVCAPITAL__ORIGIN_APP, SOURCES__SPRINTMODE__BASE_URL,\n"
    "  SOURCES__SPRINTMODE__API_KEY\n"
    "                        each API's host and key; else [sources.<name>] in .dlt/config.toml\n"
    "                        and .dlt/secrets.toml\n"
)
WAREHOUSE_ENV = (
    "  CONTACTS_DESTINATION  duckdb (default) or postgres, when --destination is not given\n"
    "  CONTACTS_DUCKDB       the DuckDB file, when --duckdb is not given\n"
    "  DESTINATION__POSTGRES__CREDENTIALS\n"
    "                        postgresql://user:password@host:port/database, for postgres; else\n"
    "                        [destination.postgres.credentials] in .dlt/secrets.toml\n"
)
WRITER_ENV = (
    "  CONTACTS_DATABASE_WAIT_SECONDS\n"
    "                        how long to wait for a process that holds the DuckDB file open for\n"
    "                        writing, before exiting 75 (default 60); read-only readers never\n"
    "                        hold a run up\n"
)
WRITER_EXITS = (
    "  0   everything loaded and built\n"
    "  1   a source, dbt or the database failed; each failure has a line naming it\n"
    "  3   everything loaded, but something was set aside: contacts that broke their API's\n"
    "      contract or hold a value a database refuses (in raw_<source>.contact_rejects,\n"
    "      with the reason), or a load package an earlier run left that the database\n"
    "      refused (kept in dlt's working folder; its contacts were read again)\n"
    "  75  another run holds the database: nothing was touched; try again later\n"
)
TRANSFORM_EXITS = (
    "  0   every model, the snapshot and every data test built or passed\n"
    "  1   a model or test failed, or the database did; each failure has a line naming it\n"
    "  75  another run holds the database: nothing was touched; try again later\n"
)


def _epilog(exits: str, environment: str) -> str:
    return f"exit codes:\n{exits}\nenvironment:\n{environment}"


def _paragraph(text: str) -> str:
    """A description, wrapped once here: the help keeps the epilog's layout as written, and
    argparse can only keep both description and epilog or neither."""
    return textwrap.fill(text, width=79)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="store_true", help="show tracebacks and dlt's logs"
    )
    # The demo has a --duckdb of its own: its default is its own file, never $CONTACTS_DUCKDB.
    destination = argparse.ArgumentParser(add_help=False)
    destination.add_argument("--duckdb", metavar="PATH", help=DUCKDB_HELP)
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
        description="Load CRM contacts from LevCapital and SprintMode into DuckDB or PostgreSQL, "
        "and model them with dbt into analytics.contacts and analytics.people. A scheduler "
        "runs `contacts-elt run` every night; `contacts-elt check` tests the setup first.",
        epilog="`contacts-elt COMMAND --help` describes each command, its exit codes and the "
        "environment it reads.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str,
        handler,
        summary: str,
        description: str,
        epilog: str,
        parents: list[argparse.ArgumentParser],
        writes: bool,
        default_duckdb: Path = DEFAULT_DUCKDB,
    ) -> argparse.ArgumentParser:
        """A command; one that `writes` the warehouse takes the run lock."""
        sub = commands.add_parser(
            name,
            parents=parents,
            help=summary,
            description=_paragraph(description),
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(handler=handler, default_duckdb=default_duckdb, writes=writes)
        return sub

    writer_epilog = _epilog(WRITER_EXITS, SOURCES_ENV + WAREHOUSE_ENV + WRITER_ENV)
    load = command(
        "load",
        cmd_load,
        "extract and load both sources, or one, incrementally",
        "Reads each source's whole listing, and merges what is new or changed into "
        "raw_<source>.contacts (by content, so a contact fixed without a new updated_at "
        "lands too); contacts that are no longer listed are marked in "
        "raw_<source>.contact_deletions, and contacts that break the API's contract are set "
        "aside in raw_<source>.contact_rejects. The sources load side by side; one failing "
        "never stops the other. Records each source's run in analytics.pipeline_runs.",
        writer_epilog,
        [common, destination],
        writes=True,
    )
    load.add_argument("--source", choices=SOURCE_NAMES, help="load only this source")
    command(
        "transform",
        cmd_transform,
        "dbt build: analytics tables, history and tests",
        "Runs `dbt build` of sql/ on what the sources loaded: staging views, the identity "
        "models, analytics.contacts and analytics.people, the analytics.contacts_history "
        "snapshot and the data tests (dbt's unit tests run in `make test`, not here). A "
        "source that never loaded counts as empty.",
        _epilog(TRANSFORM_EXITS, WAREHOUSE_ENV + WRITER_ENV),
        [common, destination],
        writes=True,
    )
    command(
        "run",
        cmd_run,
        "the nightly job: load, then transform",
        "The nightly job: `load` of both sources, then `transform`, even when a source "
        "failed (the other one's data is still worth building). Quiet but for one line per "
        "source and one for dbt; a failure says what failed.",
        writer_epilog,
        [common, destination],
        writes=True,
    )
    refresh = command(
        "refresh",
        cmd_refresh,
        "re-read every contact of one source, whatever the cursor says, then transform",
        "Re-reads every contact of one source, whatever its cursor and the fingerprints of "
        "what it holds say, and merges them all into raw_<source>.contacts, then runs the "
        "transform: use it when data was fixed upstream in a way a run cannot see, or when "
        "the raw table was damaged. Nothing is dropped first, so the analytics stay readable "
        "all along (refresh and retain); contacts no longer listed are marked deleted as on "
        "any night, the history gains a version only for contacts whose content changed, and "
        "analytics.pipeline_runs records the run as a refresh. The cursor is left as it was.",
        writer_epilog,
        [common, destination],
        writes=True,
    )
    refresh.add_argument("--source", choices=SOURCE_NAMES, required=True, help="the source")
    demo = command(
        "demo",
        cmd_demo,
        "run against local API simulators (default database: data/demo.duckdb)",
        "Starts both API simulators on loopback, makes a fresh demo database and runs "
        "--nights nightly runs one simulated day apart, with contacts created, changed and "
        "deleted between them. Needs no credentials, and never touches the real database: "
        "it ignores CONTACTS_DUCKDB and CONTACTS_DESTINATION.",
        _epilog(
            "  0   every night succeeded\n"
            "  1   a night failed, the file is not a demo's, or the demo is not installed\n"
            "  75  a run holds the demo database\n",
            "  none: the demo sets its own sources' configuration\n",
        ),
        [common],
        writes=True,
        default_duckdb=DEMO_DUCKDB,
    )
    demo.add_argument(
        "--duckdb",
        metavar="PATH",
        help="the demo's DuckDB file (default: data/demo.duckdb in the project); it is made "
        "anew each time, and only a demo's own file is ever replaced",
    )
    demo.add_argument("--contacts", type=int, default=2_000, help="contacts per API (default 2000)")
    demo.add_argument(
        "--seed", type=int, default=42, help="seed of the generated data (default 42)"
    )
    demo.add_argument(
        "--nights",
        type=_positive,
        default=DEMO_NIGHTS,
        help=f"nightly runs to simulate, one day apart, with changes between them "
        f"(default {DEMO_NIGHTS})",
    )

    check = command(
        "check",
        cmd_check,
        "test the setup before the first night: each API, the database and dbt; writes nothing",
        "Tests what tonight's run needs, with no writes at all: resolves each source's "
        "configuration as a run would and asks its API for one page of one contact (proving "
        "the base URL and the key); confirms that the database can be written and that no "
        "run holds it, without creating or changing anything (a database that does not "
        "exist yet is fine: it is a first night); and parses the dbt project. One line per "
        "check; no secret is printed.",
        _epilog(
            "  0   every check passed\n  1   a check failed; its line names it and the cause\n"
            "  75  only because a run holds the database now\n",
            SOURCES_ENV + WAREHOUSE_ENV,
        ),
        [common, destination],
        writes=False,
    )
    check.add_argument("--source", choices=SOURCE_NAMES, help="check only this source's API")

    simulate = commands.add_parser(
        "simulate",
        help="serve both API simulators until Ctrl-C (LevCapital on PORT, SprintMode on PORT+1)",
        description=_paragraph(
            "Serves both API simulators on 127.0.0.1 until Ctrl-C, for trying the "
            "commands by hand: point SOURCES__LEVCAPITAL__BASE_URL at http://127.0.0.1:PORT and "
            "SOURCES__SPRINTMODE__BASE_URL at http://127.0.0.1:PORT+1; the keys it accepts are "
            "printed at start."
        ),
    )
    simulate.add_argument("--port", type=int, default=8765, help="LevCapital's port (default 8765)")
    simulate.add_argument(
        "--contacts", type=int, default=2_000, help="contacts per API (default 2000)"
    )
    simulate.add_argument(
        "--seed", type=int, default=42, help="seed of the generated data (default 42)"
    )
    simulate.set_defaults(handler=cmd_simulate, verbose=False, log_format=logs.TEXT, writes=False)

    status = commands.add_parser(
        "status",
        parents=[destination],
        help="last run, cursor, rows and freshness per source; exits 1 when unhealthy",
        description=_paragraph(
            "Reports the last run per source, the incremental cursor per source, the rows per "
            "table and the freshness of the data. Only reads, through a read-only connection, "
            "so it never holds up a run. For a monitor: --max-age fails a source whose last "
            "successful load is too old, and --json prints the same report for a machine."
        ),
        epilog=_epilog(
            "  0   every source's last run succeeded (and its data is younger than --max-age)\n"
            "  1   a source's last run failed, its data is too old, or there is no database\n"
            "  75  a process holds the DuckDB file for writing\n",
            WAREHOUSE_ENV,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_argument(
        "--max-age",
        type=float,
        metavar="HOURS",
        help="fail when a source's last successful load is older than this (default: no limit)",
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


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("contacts-elt")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _demo_installed() -> bool:
    """Whether the demo can be imported, asked before its command takes a lock or makes a
    folder."""
    try:
        return importlib.util.find_spec("demo.nights") is not None
    except ModuleNotFoundError:
        return False


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
    if args.command in DEMO_COMMANDS and not _demo_installed():
        logs.emit("command_failed", f"{args.command}: {DEMO_MISSING}", level="error")
        return EXIT_FAILED
    if args.command == "simulate":
        return args.handler(args)
    try:
        warehouse = _resolve_warehouse(args)
    except WarehouseUnavailable as unavailable:
        logs.emit("command_failed", f"{args.command}: {unavailable}", level="error")
        return EXIT_FAILED
    if not args.writes:
        return args.handler(args, warehouse)
    try:
        # Read again by each step; checked here, so that a bad value fails before any work.
        MemoryBudget.configured()
    except InvalidBudget as invalid:
        logs.emit("command_failed", f"{args.command}: {invalid}", level="error")
        return EXIT_FAILED

    logs.emit(
        "command_started",
        f"{args.command}: started on {warehouse.display_name}",
        command=args.command,
        database=warehouse.display_name,
        json_only=True,
    )
    try:
        with warehouse.run_lock():
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
