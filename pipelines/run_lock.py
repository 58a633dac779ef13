"""One run at a time per DuckDB file, with a lock that dies with its process."""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.paths import pipelines_dir_for


class RunInProgress(Exception):
    """Another process is loading or transforming the same DuckDB file."""


@contextmanager
def exclusive_run(duckdb_path: Path) -> Iterator[None]:
    """Holds the run lock of `duckdb_path` for the duration of the block.

    An advisory `flock` is released by the kernel when its process ends, however it ends, so
    a run killed with SIGKILL leaves no stale lock behind: the file may remain, the lock
    does not.

    Raises:
        RunInProgress: another process holds the lock; nothing was touched.
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
        yield
