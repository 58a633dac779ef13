"""dbt's unit tests: they run here, in CI, and never on the nightly path.

dbt builds a unit test's fixtures from the columns of its real input tables. The input tables
here come from a load of the least the docs allow (list items with only the list example's
fields, no timestamps), so the tests pass on the declared schema alone, whatever an API has
sent so far; and they never meet a night's data.
"""

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pipelines.paths import DBT_PROJECT_DIR
from pipelines.runs.transform import dbt_args, transform
from pipelines.warehouse import PostgresDatabase
from pipelines.warehouse.duckdb import release_database
from pipelines.warehouse.postgres import resolve_credentials

MINIMAL_SHAPE = "list_example_no_timestamps"


def declared_unit_tests() -> list[str]:
    names = []
    for path in sorted(DBT_PROJECT_DIR.glob("models/**/*.yml")):
        names += [test["name"] for test in yaml.safe_load(path.read_text()).get("unit_tests", [])]
    return sorted(names)


@pytest.fixture(scope="module")
def minimal_database(
    tmp_path_factory: pytest.TempPathFactory, load_fresh_simulators: Callable[..., None]
) -> Path:
    """A database loaded from APIs that send only what their docs' list examples show."""
    duckdb_path = tmp_path_factory.mktemp("unit") / "minimal.duckdb"
    load_fresh_simulators(duckdb_path, list_shape=MINIMAL_SHAPE, n_contacts=20, seed=3)
    return duckdb_path


def outcomes(outcome) -> dict[str, str]:
    """Each unit test's status, with dbt's message when it did not pass."""
    return {
        result.node.name: str(result.status)
        + ("" if str(result.status) == "pass" else f": {result.message}")
        for result in outcome.result.results
        if result.node.resource_type == "unit_test"
    }


def run_dbt(duckdb_path: Path, *args: str):
    from dbt.cli.main import dbtRunner

    os.environ["CONTACTS_DUCKDB"] = str(duckdb_path)
    try:
        return dbtRunner().invoke(dbt_args(duckdb_path, *args))
    finally:
        release_database()


def test_every_unit_test_passes_on_the_declared_schema(minimal_database: Path) -> None:
    # Unit tests need their inputs to exist as relations: build them, empty, first (seeds
    # are small and load whole).
    assert run_dbt(minimal_database, "seed").success
    assert run_dbt(minimal_database, "run", "--empty").success

    outcome = run_dbt(minimal_database, "test", "--select", "test_type:unit")

    results = outcomes(outcome)
    assert results == dict.fromkeys(declared_unit_tests(), "pass")
    assert len(results) >= 10


def test_the_nightly_transform_runs_no_unit_test(minimal_database: Path) -> None:
    result = transform(minimal_database)

    assert result.ok, result.failures
    assert not [name for name in result.built if name.endswith("(unit_test)")]
    assert "contacts (model)" in result.built


def test_every_unit_test_and_data_test_passes_on_postgres(
    postgres_url: str, load_fresh_simulators: Callable[..., None], monkeypatch
) -> None:
    from dbt.cli.main import dbtRunner

    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_url)
    warehouse = PostgresDatabase(resolve_credentials())
    try:
        load_fresh_simulators(warehouse, list_shape=MINIMAL_SHAPE, n_contacts=20, seed=3)
        # The nightly build, data tests included; it also creates every unit test's inputs.
        built = transform(warehouse)
        assert built.ok, built.failures
        assert not [name for name in built.built if name.endswith("(unit_test)")]

        outcome = dbtRunner().invoke(dbt_args(warehouse, "test", "--select", "test_type:unit"))
    finally:
        shutil.rmtree(warehouse.working_dir, ignore_errors=True)

    assert outcomes(outcome) == dict.fromkeys(declared_unit_tests(), "pass")
