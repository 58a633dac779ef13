"""One run at a time per warehouse, with locks that die with their process."""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.warehouse import POSTGRES, Warehouse, as_warehouse


class RunInProgress(Exception):
    """Another process is loading or transforming the same warehouse, or holds it in a way
    that a run must not write over; the run touched nothing and the next one will do it."""


@contextmanager
def exclusive_run(target: Warehouse | Path) -> Iterator[None]:
    """Holds the run lock of a warehouse for the duration of the block.

    The lock is an advisory `flock` on a file in the warehouse's working folder, which the
    kernel releases when its process ends, however it ends: a run killed with SIGKILL leaves
    no stale lock behind. On PostgreSQL, where runs on two machines can meet, the database's
    advisory lock is held too (pipelines/warehouse/postgres.py).

    It does not wait for a DuckDB file's readers: a run writes a copy of the file, which
    pipelines/runs/publish.py puts in its place at the end.

    Raises:
        RunInProgress: another process holds the lock; nothing was touched.
    """
    warehouse = as_warehouse(target)
    lock_path = _lock_path(warehouse)
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
        if warehouse.kind == POSTGRES:
            with _postgres_run_lock(warehouse):
                yield
            return
        yield


@contextmanager
def _postgres_run_lock(warehouse: Warehouse) -> Iterator[None]:
    from pipelines.warehouse.postgres import lock_holder, run_lock

    with run_lock(warehouse.credentials) as acquired:
        if not acquired:
            raise RunInProgress(
                f"another run is in progress on {warehouse.display_name} "
                f"({lock_holder(warehouse.credentials)})"
            )
        yield


def run_holder(target: Warehouse | Path) -> str | None:
    """Who holds the run lock of a warehouse now, or None; creates and takes nothing.

    For `contacts-elt check`. The lock is tried shared and let go at once: a run that starts
    in that instant finds it free again by the time it asks, nearly always.
    """
    warehouse = as_warehouse(target)
    lock_path = _lock_path(warehouse)
    if lock_path.exists():
        with open(lock_path) as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return f"pid {handle.read().strip() or 'unknown'}, lock {lock_path}"
            fcntl.flock(handle, fcntl.LOCK_UN)
    if warehouse.kind == POSTGRES:
        from pipelines.warehouse.postgres import run_lock_session

        return run_lock_session(warehouse.credentials)
    return None


def _lock_path(warehouse: Warehouse) -> Path:
    return warehouse.working_dir / "run.lock"
