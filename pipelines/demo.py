"""The demo: the whole pipeline against local API simulators, and `simulate` for people."""

import contextlib
import signal
import sys
import threading
from pathlib import Path

import duckdb

from pipelines.load import SourceLoad, load_sources
from pipelines.simulators import LevCapitalSimulator, SprintModeSimulator

DEMO_LEVCAPITAL_KEY = "demo-levcapital-key"
DEMO_SPRINTMODE_KEY = "demo-sprintmode-key"
EXAMPLE_QUERY = (
    "select contact_type, count(*) as contacts from raw_sprintmode.contacts "
    "group by all order by contacts desc"
)


def run_demo(duckdb_path: Path, n_contacts: int, seed: int) -> list[SourceLoad]:
    """Starts both simulators on free loopback ports and runs the nightly job against them."""
    with (
        LevCapitalSimulator(n_contacts=n_contacts, seed=seed, api_key=DEMO_LEVCAPITAL_KEY) as lev,
        SprintModeSimulator(n_contacts=n_contacts, seed=seed, api_key=DEMO_SPRINTMODE_KEY) as sm,
    ):
        source_args = {
            "levcapital": {"base_url": lev.base_url, "api_key": DEMO_LEVCAPITAL_KEY},
            "sprintmode": {"base_url": sm.base_url, "api_key": DEMO_SPRINTMODE_KEY},
        }
        return load_sources(duckdb_path, source_args=source_args)


def print_demo_summary(duckdb_path: Path) -> None:
    """Where the data is, how much of it, and a query to try."""
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        for schema in ("raw_levcapital", "raw_sprintmode"):
            (count,) = connection.execute(f"select count(*) from {schema}.contacts").fetchone()
            print(f"{schema}.contacts: {count:,} contacts")
    print(f"Database: {duckdb_path}")
    print("Try:")
    snippet = f"import duckdb; duckdb.connect('{duckdb_path}', read_only=True)"
    print(f"  .venv/bin/python -c \"{snippet}.sql('{EXAMPLE_QUERY}').show()\"")


def serve_simulators(port: int, n_contacts: int, seed: int) -> int:
    """Serves both simulators in the foreground until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with (
        LevCapitalSimulator(
            n_contacts=n_contacts, seed=seed, api_key=DEMO_LEVCAPITAL_KEY, port=port
        ) as lev,
        SprintModeSimulator(
            n_contacts=n_contacts, seed=seed, api_key=DEMO_SPRINTMODE_KEY, port=port + 1
        ) as sm,
    ):
        print(f"LevCapital: {lev.base_url}  (Bearer {DEMO_LEVCAPITAL_KEY})")
        print(f"SprintMode: {sm.base_url}  (X-SM-Key {DEMO_SPRINTMODE_KEY})")
        print("Point the pipeline at them with:")
        print(f"  export SOURCES__LEVCAPITAL__BASE_URL={lev.base_url}")
        print(f"  export SOURCES__LEVCAPITAL__API_KEY={DEMO_LEVCAPITAL_KEY}")
        print(f"  export SOURCES__SPRINTMODE__BASE_URL={sm.base_url}")
        print(f"  export SOURCES__SPRINTMODE__API_KEY={DEMO_SPRINTMODE_KEY}")
        print("Faults and state: curl -s <base_url>/_sim/state. Ctrl-C stops.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    print("stopped", file=sys.stderr)
    return 0
