"""Readers and the run: the run writes a copy and publishes it, so readers never make it wait."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.paths import pipelines_dir_for
from pipelines.settings import pipeline_name
from pipelines.warehouse import RunInProgress, duckdb_publish
from pipelines.warehouse.duckdb_publish import (
    DatabaseOpenForWriting,
    PublishedDatabaseChanged,
    working_copy,
    working_copy_path,
)

# Opens the file and answers one line per line read on stdin: the rows of `t` it sees.
HOLD_OPEN = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read-only")
while True:
    print(connection.sql("select x from t order by x").fetchall(), flush=True)
    if not sys.stdin.readline():
        break
"""

# A reader process across a publish: what an analyst's notebook kernel sees.
READER_ACROSS_A_PUBLISH = """
import sys, duckdb
def rows(connection):
    return connection.sql("select x from t order by x").fetchall()
path = sys.argv[1]
first = duckdb.connect(path, read_only=True)
print("open", flush=True)
sys.stdin.readline()
second = duckdb.connect(path, read_only=True)
print(rows(first), rows(second), flush=True)
first.close()
second.close()
print(rows(duckdb.connect(path, read_only=True)), flush=True)
"""

# A run killed after committing to its working copy, before the block ends.
KILLED_RUN = """
import os, signal, sys, duckdb
from pathlib import Path
from pipelines.warehouse.duckdb_publish import working_copy
with working_copy(Path(sys.argv[1])) as working:
    connection = duckdb.connect(str(working))
    connection.execute("create table if not exists t (x integer)")
    connection.execute("insert into t values (2)")
    os.kill(os.getpid(), signal.SIGKILL)
"""

# A read-write user killed after a commit: the commit is in the wal beside the file only.
KILL_A_WRITER = """
import os, signal, sys, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("insert into t values (5)")
os.kill(os.getpid(), signal.SIGKILL)
"""


class Holder:
    """Another process with the file open, read-only as a notebook, or read-write."""

    def __init__(self, path: Path, mode: str = "read-only") -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD_OPEN, str(path), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.first_rows = self.process.stdout.readline().strip()

    def rows(self) -> str:
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


def make_database(path: Path, *values: int) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table t (x integer)")
        for value in values:
            connection.execute("insert into t values (?)", [value])


def insert(path: Path, value: int) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table if not exists t (x integer)")
        connection.execute("insert into t values (?)", [value])


def rows_in_a_new_process(path: Path) -> str:
    read = "import sys, duckdb; print(duckdb.connect(sys.argv[1], read_only=True)"
    read += '.sql("select x from t order by x").fetchall())'
    return subprocess.run(
        [sys.executable, "-c", read, str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()


def rows_here(path: Path) -> list[tuple[int]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.sql("select x from t order by x").fetchall()


def kill_a_run(published: Path) -> None:
    killed = subprocess.run([sys.executable, "-c", KILLED_RUN, str(published)])
    assert killed.returncode == -signal.SIGKILL


def fake_dlt_state(published: Path) -> Path:
    """A stand-in for the dlt pipeline folder whose state counts on the working copy."""
    state = pipelines_dir_for(published) / pipeline_name("levcapital") / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text("{}")
    return state


@pytest.fixture
def published(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.duckdb"
    make_database(path, 1)
    return path


def test_a_reader_does_not_stop_the_run_and_keeps_its_old_data(published):
    reader = Holder(published)
    try:
        started = time.monotonic()
        with working_copy(published, timeout=30) as working:
            insert(working, 2)
        assert time.monotonic() - started < 5
        assert reader.rows() == "[(1,)]"
    finally:
        reader.close()

    assert rows_in_a_new_process(published) == "[(1,), (2,)]"
    assert rows_here(published) == [(1,), (2,)]
    assert not working.exists()
    assert sorted(os.listdir(published.parent)) == ["contacts.duckdb", "contacts.duckdb.dlt"]


def test_a_reader_process_sees_the_new_data_once_its_connections_are_closed(published):
    reader = subprocess.Popen(
        [sys.executable, "-c", READER_ACROSS_A_PUBLISH, str(published)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline() == "open\n"
    with working_copy(published, timeout=30) as working:
        insert(working, 2)
    output, _ = reader.communicate("\n", timeout=10)

    # A connection made while another to the same path is open shares its (old) database.
    assert output.splitlines() == ["[(1,)] [(1,)]", "[(1,), (2,)]"]


def test_a_writer_makes_the_run_wait_then_give_up_in_one_line(published):
    writer = Holder(published, "read-write")
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseOpenForWriting) as busy, working_copy(published, timeout=1):
            pytest.fail("the block ran while another process could write the file")
        assert time.monotonic() - started >= 1
    finally:
        writer.close()

    assert isinstance(busy.value, RunInProgress)
    assert str(busy.value) == (
        f"{published} is open for writing in another process; waited 1 s for it"
    )
    assert rows_here(published) == [(1,)]


def test_a_writer_that_lets_go_is_waited_for(published):
    writer = Holder(published, "read-write")
    release = threading.Timer(0.5, writer.close)
    release.start()
    started = time.monotonic()
    with working_copy(published, timeout=5) as working:
        insert(working, 2)
    release.join()

    assert time.monotonic() - started >= 0.5
    assert rows_here(published) == [(1,), (2,)]


@pytest.mark.parametrize(
    "first_night",
    [pytest.param(False, id="published-file"), pytest.param(True, id="first-night")],
)
def test_a_killed_run_is_resumed_and_its_writes_published(tmp_path, first_night):
    published = tmp_path / "contacts.duckdb"
    if not first_night:
        make_database(published, 1)
    kill_a_run(published)
    state = fake_dlt_state(published)
    assert published.exists() is not first_night

    with working_copy(published, timeout=5) as working:
        assert rows_here(working) == ([(2,)] if first_night else [(1,), (2,)])
        insert(working, 3)

    assert rows_here(published) == ([(2,), (3,)] if first_night else [(1,), (2,), (3,)])
    assert state.exists()


def test_a_killed_run_is_discarded_when_the_published_file_changed_since(published):
    kill_a_run(published)
    state = fake_dlt_state(published)
    # Someone restored a backup, or wrote to the file, while no run was going.
    insert(published, 10)

    with working_copy(published, timeout=5) as working:
        assert rows_here(working) == [(1,), (10,)]

    assert rows_here(published) == [(1,), (10,)]
    # dlt would otherwise keep cursors that count on the discarded work.
    assert not state.parent.exists()


def test_the_first_night_creates_the_published_file(tmp_path):
    published = tmp_path / "contacts.duckdb"

    with working_copy(published, timeout=5) as working:
        assert not working.exists()
        insert(working, 1)

    assert rows_here(published) == [(1,)]
    assert not working.exists()


def test_a_failed_run_publishes_nothing_and_keeps_its_copy(published):
    with pytest.raises(ValueError), working_copy(published, timeout=5) as working:
        insert(working, 2)
        raise ValueError("the load failed")

    assert rows_here(published) == [(1,)]
    assert rows_here(working) == [(1,), (2,)]
    with working_copy(published, timeout=5) as resumed:
        assert rows_here(resumed) == [(1,), (2,)]
    assert rows_here(published) == [(1,), (2,)]


def test_a_write_to_the_published_file_during_the_run_is_not_overwritten(published):
    with (
        pytest.raises(PublishedDatabaseChanged) as changed,
        working_copy(published, timeout=5) as working,
    ):
        insert(working, 2)
        insert(published, 10)

    assert isinstance(changed.value, RunInProgress)
    assert rows_here(published) == [(1,), (10,)]
    with working_copy(published, timeout=5) as fresh:
        assert rows_here(fresh) == [(1,), (10,)]


def test_a_killed_writers_wal_is_carried_over_and_removed(published):
    subprocess.run([sys.executable, "-c", KILL_A_WRITER, str(published)])
    wal = published.with_name(published.name + ".wal")
    assert wal.exists()

    with working_copy(published, timeout=5) as working:
        insert(working, 6)

    # The old file's wal beside the new file would make DuckDB refuse to open it.
    assert not wal.exists()
    assert rows_in_a_new_process(published) == "[(1,), (5,), (6,)]"
    assert not working_copy_path(published).exists()


def test_a_run_killed_between_the_rename_and_the_clean_up_is_finished_by_the_next(
    published, monkeypatch
):
    subprocess.run([sys.executable, "-c", KILL_A_WRITER, str(published)])
    wal = published.with_name(published.name + ".wal")

    def killed(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(duckdb_publish, "_remove_wal_if", killed)
    with pytest.raises(KeyboardInterrupt), working_copy(published, timeout=5) as working:
        insert(working, 6)
    monkeypatch.undo()
    with pytest.raises(duckdb.IOException, match="WAL checkpoint iteration does not match"):
        rows_here(published)

    with working_copy(published, timeout=5):
        pass

    assert not wal.exists()
    assert rows_here(published) == [(1,), (5,), (6,)]
