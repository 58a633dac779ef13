"""Shared fixtures: API simulators on loopback and a DuckDB file in a temporary directory."""

import os
from collections.abc import Callable, Iterator
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
