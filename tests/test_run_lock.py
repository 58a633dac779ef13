"""The run lock: one writer per DuckDB file, and patience with readers that hold it."""

import subprocess
import sys
import time

import duckdb
import pytest

from pipelines.runs.lock import DatabaseInUse, RunInProgress, exclusive_run, wait_until_writable

HOLD_OPEN = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_open(path, seconds: float) -> subprocess.Popen:
    """Another process with the file open read-only, as a notebook would have it."""
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline() == "open\n"
    return reader


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "x.duckdb"
    duckdb.connect(str(path)).close()
    return path


def test_a_reader_that_lets_go_is_waited_for(database):
    reader = hold_open(database, 1.5)
    started = time.monotonic()

    wait_until_writable(database, timeout=30)

    assert time.monotonic() - started >= 1.0
    reader.wait()


def test_a_reader_that_holds_on_fails_the_run_in_one_line(database):
    reader = hold_open(database, 30)
    try:
        with pytest.raises(DatabaseInUse) as busy, exclusive_run(database, wait_for_database=0.5):
            pass
    finally:
        reader.kill()
    assert str(busy.value) == (
        f"{database} is open in another process (a notebook or a BI tool?); waited 0 s for it"
    )


def test_a_second_run_on_the_same_file_is_refused_at_once(database):
    refused = pytest.raises(RunInProgress, match="another run is in progress")
    with exclusive_run(database), refused, exclusive_run(database):
        pass
