"""Shared fixtures: API simulators on loopback and a DuckDB file in a temporary directory."""

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.paths import PROJECT_DIR
from pipelines.simulators import LevCapitalSimulator, SprintModeSimulator

LEVCAPITAL_KEY = "lev-test-key"
SPRINTMODE_KEY = "sm-test-key"
# Small data keeps the suite fast; 300 LevCapital contacts still span two pages of 200.
N_CONTACTS = 300
SEED = 7

# Tests must behave like the CLI: dlt finds the project's .dlt/ and sends no telemetry.
os.environ.setdefault("DLT_PROJECT_DIR", str(PROJECT_DIR))
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
os.environ["DO_NOT_TRACK"] = "1"


@pytest.fixture
def levcapital_sim() -> Iterator[LevCapitalSimulator]:
    with LevCapitalSimulator(n_contacts=N_CONTACTS, seed=SEED, api_key=LEVCAPITAL_KEY) as sim:
        yield sim


@pytest.fixture
def sprintmode_sim() -> Iterator[SprintModeSimulator]:
    with SprintModeSimulator(n_contacts=N_CONTACTS, seed=SEED, api_key=SPRINTMODE_KEY) as sim:
        yield sim


@pytest.fixture
def source_args(
    levcapital_sim: LevCapitalSimulator, sprintmode_sim: SprintModeSimulator
) -> dict[str, dict[str, Any]]:
    """Explicit source arguments pointing both sources at the simulators."""
    return {
        "levcapital": {"base_url": levcapital_sim.base_url, "api_key": LEVCAPITAL_KEY},
        "sprintmode": {"base_url": sprintmode_sim.base_url, "api_key": SPRINTMODE_KEY},
    }


@pytest.fixture
def simulator_env(
    levcapital_sim: LevCapitalSimulator, sprintmode_sim: SprintModeSimulator, tmp_path: Path
) -> dict[str, str]:
    """Environment for a `contacts-elt` subprocess that talks to the simulators."""
    env = dict(os.environ)
    env.update(
        SOURCES__LEVCAPITAL__BASE_URL=levcapital_sim.base_url,
        SOURCES__LEVCAPITAL__API_KEY=LEVCAPITAL_KEY,
        SOURCES__SPRINTMODE__BASE_URL=sprintmode_sim.base_url,
        SOURCES__SPRINTMODE__API_KEY=SPRINTMODE_KEY,
        CONTACTS_DUCKDB=str(tmp_path / "env.duckdb"),
    )
    return env


@pytest.fixture
def duckdb_path(tmp_path: Path) -> Path:
    return tmp_path / "contacts.duckdb"


@pytest.fixture
def query(duckdb_path: Path) -> Callable[..., list[tuple[Any, ...]]]:
    """Runs one read-only query against the file the pipeline wrote."""

    def run(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(duckdb_path), read_only=True) as connection:
            return connection.execute(sql, list(params)).fetchall()

    return run


# The tests of the demo, `status` and the notebooks share one demo run.

CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))
DEMO_CONTACTS = 300
DEMO_NIGHTS = 3


@dataclass
class DemoRun:
    """One `contacts-elt demo` run: its database, what it printed, and where it ran."""

    duckdb_path: Path
    result: subprocess.CompletedProcess
    directory: Path
    contacts: int
    nights: int


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """Runs `contacts-elt demo` once per session, as a person would, into a temporary file.

    CONTACTS_DUCKDB names another file: the demo must leave it alone. Tests read the
    database and must not change it; copy it first to do so.
    """
    directory = tmp_path_factory.mktemp("demo")
    duckdb_path = directory / "demo.duckdb"
    env = {"PATH": "/usr/bin:/bin", "CONTACTS_DUCKDB": str(directory / "real.duckdb")}
    result = subprocess.run(
        [
            *(CONTACTS_ELT, "demo", "--duckdb", str(duckdb_path)),
            *("--contacts", str(DEMO_CONTACTS), "--nights", str(DEMO_NIGHTS)),
        ],
        env=env,
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return DemoRun(
        duckdb_path=duckdb_path,
        result=result,
        directory=directory,
        contacts=DEMO_CONTACTS,
        nights=DEMO_NIGHTS,
    )
