"""One run at a time per DuckDB file, and readers that never make it wait.

The nightly command runs in a real subprocess against the simulators over HTTP, with another
process holding the file open the way a notebook or the DuckDB shell does.
"""

import subprocess
import sys
import time

import duckdb
import pytest

from pipelines.settings import EXIT_OK, EXIT_RUN_IN_PROGRESS
from pipelines.warehouse import DuckDBFile, RunInProgress

# Holds the file open, read-only or read-write, until its stdin closes.
HOLD_OPEN = """
import sys, duckdb
path, mode = sys.argv[1], sys.argv[2]
held = duckdb.connect(path, read_only=mode == "read-only")
print("open", flush=True)
for _ in sys.stdin:
    pass
held.close()
"""


def hold_open(path, mode: str) -> subprocess.Popen:
    """Another process with the file open, as a notebook (read-only) or a shell would have it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline() == "open\n"
    return holder


def contacts_in(path) -> int:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute("select count(*) from analytics.contacts").fetchone()[0]


def test_a_run_does_not_wait_for_a_reader_and_the_next_connection_sees_its_data(
    contacts_elt_cli, duckdb_path, levcapital_sim, sprintmode_sim
):
    first = contacts_elt_cli("run")
    assert first.wait(timeout=300) == EXIT_OK, first.stderr.read()
    contacts_before = contacts_in(duckdb_path)
    sprintmode_sim.store.create({"email": "ada@reader.test", "full_name": "Ada Reader"})

    reader = hold_open(duckdb_path, "read-only")
    try:
        started = time.monotonic()
        second = contacts_elt_cli("run")
        exit_code = second.wait(timeout=300)
        seconds = time.monotonic() - started
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)

    assert exit_code == EXIT_OK, second.stderr.read()
    assert second.stderr.read() == ""
    # The old run lock waited 60 s for the reader, then gave up.
    assert seconds < 45
    assert contacts_in(duckdb_path) == contacts_before + 1


def test_a_process_that_holds_the_file_for_writing_makes_the_run_exit_75_in_one_line(
    contacts_elt_cli, duckdb_path
):
    first = contacts_elt_cli("load", "--source", "sprintmode")
    assert first.wait(timeout=300) == EXIT_OK, first.stderr.read()
    writer = hold_open(duckdb_path, "read-write")
    try:
        second = contacts_elt_cli("run", extra_env={"CONTACTS_DATABASE_WAIT_SECONDS": "1"})
        exit_code = second.wait(timeout=120)
    finally:
        writer.stdin.close()
        writer.wait(timeout=30)

    assert exit_code == EXIT_RUN_IN_PROGRESS
    assert second.stderr.read().strip() == (
        f"run: {duckdb_path} is open for writing in another process; waited 1 s for it"
    )


def test_a_second_run_on_the_same_file_is_refused_at_once(duckdb_path):
    refused = pytest.raises(RunInProgress, match="another run is in progress")
    warehouse = DuckDBFile(duckdb_path)
    with warehouse.run_lock(), refused, warehouse.run_lock():
        pass
