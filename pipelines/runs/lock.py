"""One run at a time per DuckDB file, with a lock that dies with its process."""

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.paths import pipelines_dir_for


class RunInProgress(Exception):
    """Another process is loading or transforming the same DuckDB file."""


class DatabaseInUse(RunInProgress):
    """Another process (a notebook, a BI tool) holds the DuckDB file open."""


# DuckDB lets one process write a file, and no other process open it meanwhile, not even to
# read. An analyst's notebook left open at night would fail the run at its first write, so
# the run waits a while for the file instead.
DATABASE_WAIT_SECONDS = 60.0


def wait_until_writable(duckdb_path: Path, timeout: float = DATABASE_WAIT_SECONDS) -> None:
    """Returns once this process can open `duckdb_path` for writing.

    Raises:
        DatabaseInUse: another process still held the file after `timeout` seconds.
    """
    if not duckdb_path.exists():
        # Nobody can hold a file that does not exist, and connecting would create it: the
        # demo refuses to start over a database it did not make, even an empty one.
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            duckdb.connect(str(duckdb_path)).close()
            return
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                # Not a lock (not a DuckDB file at all, say): the command reports it.
                return
            if time.monotonic() >= deadline:
                raise DatabaseInUse(
                    f"{duckdb_path} is open in another process (a notebook or a BI tool?); "
                    f"waited {timeout:.0f} s for it"
                ) from None
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))


@contextmanager
def exclusive_run(
    duckdb_path: Path, wait_for_database: float = DATABASE_WAIT_SECONDS
) -> Iterator[None]:
    """Holds the run lock of `duckdb_path` for the duration of the block.

    An advisory `flock` is released by the kernel when its process ends, however it ends, so
    a run killed with SIGKILL leaves no stale lock behind: the file may remain, the lock
    does not.

    Raises:
        RunInProgress: another process holds the lock; nothing was touched.
        DatabaseInUse: another process kept the DuckDB file open for `wait_for_database`.
    """
    lock_path = pipelines_dir_for(duckdb_path) / "run.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RunInProgress(
                f"another run is in progress (pid {holder}, lock {lock_path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        wait_until_writable(duckdb_path, wait_for_database)
        yield
