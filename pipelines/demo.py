"""The demo: the whole pipeline against local API simulators, and `simulate` for people."""

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from pipelines.simulators import LevCapitalSimulator, SprintModeSimulator

DEMO_LEVCAPITAL_KEY = "demo-levcapital-key"
DEMO_SPRINTMODE_KEY = "demo-sprintmode-key"
EXAMPLE_QUERY = (
    "select source_system, contact_type, count(*) as contacts from analytics.contacts "
    "group by all order by all"
)


@contextmanager
def running_simulators(n_contacts: int, seed: int) -> Iterator[dict[str, dict[str, Any]]]:
    """Serves both simulators on free loopback ports; yields the source arguments for them."""
    with (
        LevCapitalSimulator(n_contacts=n_contacts, seed=seed, api_key=DEMO_LEVCAPITAL_KEY) as lev,
        SprintModeSimulator(n_contacts=n_contacts, seed=seed, api_key=DEMO_SPRINTMODE_KEY) as sm,
    ):
        yield {
            "levcapital": {"base_url": lev.base_url, "api_key": DEMO_LEVCAPITAL_KEY},
            "sprintmode": {"base_url": sm.base_url, "api_key": DEMO_SPRINTMODE_KEY},
        }


def print_demo_summary(duckdb_path: Path) -> None:
    """Where the data is, how much of it, and a query to try."""
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        for table in ("raw_levcapital.contacts", "raw_sprintmode.contacts", "analytics.people"):
            (count,) = connection.execute(f"select count(*) from {table}").fetchone()
            print(f"{table}: {count:,} rows")
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
