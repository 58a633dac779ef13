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
from postgres import pg_cli, pg_env, pg_query, postgres_server, postgres_url  # noqa: F401
from subprocesses import contacts_elt_starter

from demo.simulators import LevCapitalSimulator, SprintModeSimulator
from pipelines.runs.load import load_sources
from pipelines.settings import prepare_environment, raw_dataset
from pipelines.sources.contacts.contract import parse_api_timestamp

LEVCAPITAL_KEY = "lev-test-key"
SPRINTMODE_KEY = "sm-test-key"
# Small data keeps the suite fast; 300 LevCapital contacts still span two pages of 200.
N_CONTACTS = 300
SEED = 7

# Tests must behave like the CLI: dlt finds the project's .dlt/ and sends no telemetry.
prepare_environment()


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


@pytest.fixture(scope="session")
def load_fresh_simulators() -> Callable[..., None]:
    """Loads both APIs' generated data, from simulators of their own, into a new file.

    For module-scoped databases that several read-only tests share; fails the test when a
    source fails. Takes the simulators' `list_shape`, `n_contacts` and `seed`.
    """

    def load(
        duckdb_path: Path, list_shape: str = "full", n_contacts: int = N_CONTACTS, seed: int = SEED
    ) -> None:
        shape = {"n_contacts": n_contacts, "seed": seed, "list_shape": list_shape}
        with (
            LevCapitalSimulator(**shape, api_key=LEVCAPITAL_KEY) as lev,
            SprintModeSimulator(**shape, api_key=SPRINTMODE_KEY) as sm,
        ):
            loads = load_sources(
                duckdb_path,
                source_args={
                    "levcapital": {"base_url": lev.base_url, "api_key": LEVCAPITAL_KEY},
                    "sprintmode": {"base_url": sm.base_url, "api_key": SPRINTMODE_KEY},
                },
            )
        assert [load.error for load in loads] == [None, None]

    return load


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


# Robustness tests (test_faults, test_deletes, test_crashes, test_chaos) share what follows.

# Retries in milliseconds rather than seconds; a test that needs other values sets its own.
FAST_HTTP = {
    "SOURCES__HTTP__BACKOFF_FACTOR": "0.01",
    "SOURCES__HTTP__MAX_BACKOFF": "0.05",
    "SOURCES__HTTP__MAX_ATTEMPTS": "4",
    "SOURCES__HTTP__MAX_TOTAL_WAIT": "10",
    "SOURCES__HTTP__TIMEOUT": "5",
}
# Fields compared between a simulator's listing and the raw table, besides the id.
COMPARED_FIELDS = {
    "levcapital": ("first_name", "last_name", "email", "title", "is_connected", "updated_at"),
    "sprintmode": ("full_name", "email", "title", "tags", "portal_access", "updated_at"),
}


@pytest.fixture
def fast_http(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Tiny backoffs for every source created in this test; the environment is restored after.

    dlt reads `[sources.http]` from the environment each time a source is created, so this
    reaches in-process loads and, through `simulator_env`, subprocesses.
    """
    for name, value in FAST_HTTP.items():
        monkeypatch.setenv(name, value)
    return dict(FAST_HTTP)


@pytest.fixture
def sims(
    levcapital_sim: LevCapitalSimulator, sprintmode_sim: SprintModeSimulator
) -> dict[str, Any]:
    """Both simulators by source name."""
    return {"levcapital": levcapital_sim, "sprintmode": sprintmode_sim}


@pytest.fixture
def contacts_elt_cli(
    simulator_env: dict[str, str], fast_http: dict[str, str], duckdb_path: Path, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen]]:
    """Starts `contacts-elt <args> --duckdb <duckdb_path>` against the simulators.

    Output is unbuffered, so a test can read the summary lines while the run goes on.
    """
    env = simulator_env | fast_http | {"PYTHONUNBUFFERED": "1"}
    with contacts_elt_starter(env, tmp_path, ("--duckdb", str(duckdb_path))) as start:
        yield start


@dataclass
class RawContacts:
    """One source's raw contacts table and its deletions, as the pipeline left them."""

    ids: list[Any]
    values: dict[Any, dict[str, Any]]
    deleted: dict[Any, Any]

    @property
    def live_ids(self) -> set[Any]:
        return set(self.ids) - set(self.deleted)

    def assert_matches(self, sim: Any, source: str) -> None:
        """Raw holds each listed contact once, with its current values; the rest are deleted."""
        listed = {contact["id"]: contact for contact in sim.store.list_all()}
        assert len(self.ids) == len(set(self.ids)), "duplicate ids in the raw table"
        assert self.live_ids == set(listed)
        assert set(self.deleted) == set(self.ids) - set(listed)
        expected = {
            contact_id: {
                name: parse_api_timestamp(contact[name]) if name == "updated_at" else contact[name]
                for name in COMPARED_FIELDS[source]
            }
            for contact_id, contact in listed.items()
        }
        actual = {contact_id: self.values[contact_id] for contact_id in listed}
        assert actual == expected


@pytest.fixture
def raw_contacts(query: Callable[..., list[tuple[Any, ...]]]) -> Callable[[str], RawContacts]:
    """Reads one source's raw contacts and deletions, to compare them with its simulator."""

    def read(source: str) -> RawContacts:
        schema = raw_dataset(source)
        fields = COMPARED_FIELDS[source]
        rows = query(f"select id, {', '.join(fields)} from {schema}.contacts")
        tables = {
            name
            for (name,) in query(
                "select table_name from information_schema.tables where table_schema = ?", schema
            )
        }
        deleted = (
            {
                row[0]: row[1]
                for row in query(f"select id, deleted_at from {schema}.contact_deletions")
            }
            if "contact_deletions" in tables
            else {}
        )
        return RawContacts(
            ids=[row[0] for row in rows],
            values={row[0]: dict(zip(fields, row[1:], strict=True)) for row in rows},
            deleted=deleted,
        )

    return read


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
