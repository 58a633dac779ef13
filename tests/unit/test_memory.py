"""The night's memory budget: how `[runtime] memory_limit` is read and shared among DuckDBs."""

from pathlib import Path

import pytest

from pipelines.memory import InvalidBudget, MemoryBudget, discard_leftover_spills


@pytest.mark.parametrize(
    ("limit", "expected_bytes"),
    [
        pytest.param("1GB", 1_000_000_000, id="decimal-gigabytes"),
        pytest.param("768MiB", 768 * 2**20, id="binary-mebibytes"),
        pytest.param("1.5gb", 1_500_000_000, id="fraction-lower-case"),
        pytest.param(" 2 GB ", 2_000_000_000, id="spaces"),
        pytest.param("800000000", 800_000_000, id="bytes"),
    ],
)
def test_a_limit_is_read_in_duckdbs_units(limit: str, expected_bytes: int) -> None:
    assert MemoryBudget.of(limit).limit_bytes == expected_bytes


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        pytest.param(
            "lots", "[runtime] memory_limit: 'lots' is not a size such as 1GB or 768MB", id="words"
        ),
        pytest.param(
            "1XB", "[runtime] memory_limit: '1XB' is not a size such as 1GB or 768MB", id="unit"
        ),
        pytest.param(
            "600MB",
            "[runtime] memory_limit: 600MB is below the 700MB that contacts-elt needs",
            id="too-small",
        ),
    ],
)
def test_a_limit_that_cannot_be_used_says_why(limit: str, message: str) -> None:
    with pytest.raises(InvalidBudget) as raised:
        MemoryBudget.of(limit)
    assert str(raised.value) == message


def test_each_duckdb_gets_its_share_its_threads_and_a_spill_folder_beside_the_warehouse() -> None:
    budget = MemoryBudget.of("1GiB", threads=3)

    assert budget.duckdb_settings(budget.load_memory(), Path("/data/contacts.duckdb.dlt")) == {
        "memory_limit": "64MiB",
        "threads": "3",
        "temp_directory": "/data/contacts.duckdb.dlt/duckdb-spill",
    }
    assert budget.ledger_memory() == 64 * 2**20
    # The transform's DuckDB gets all but Python's 450 MB.
    assert budget.transform_memory() == 2**30 - 450_000_000


def test_a_configured_temp_directory_takes_every_spill() -> None:
    budget = MemoryBudget.of("2GB", temp_directory="/mnt/scratch")

    assert budget.spill_folder(Path("/data/contacts.duckdb.dlt")) == Path("/mnt/scratch")


def test_the_budget_is_read_from_the_runtime_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME__MEMORY_LIMIT", "3GiB")
    monkeypatch.setenv("RUNTIME__THREADS", "5")

    assert MemoryBudget.configured() == MemoryBudget(3 * 2**30, 5)


def test_without_settings_the_budget_is_1gb_on_every_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNTIME__MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("RUNTIME__THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 7)

    assert MemoryBudget.configured() == MemoryBudget(1_000_000_000, 7)


def test_a_killed_runs_spills_are_discarded_but_nothing_else(tmp_path: Path) -> None:
    spills = tmp_path / "contacts.duckdb.dlt" / "duckdb-spill"
    spills.mkdir(parents=True)
    (spills / "duckdb_temp_storage_S32K-0.tmp").write_bytes(b"x")
    (spills / "notes.txt").write_text("not DuckDB's")

    discard_leftover_spills(tmp_path / "contacts.duckdb.dlt")

    assert sorted(path.name for path in spills.iterdir()) == ["notes.txt"]
