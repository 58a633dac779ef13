"""A run's own copy of the DuckDB file, put in its place atomically at the end."""

# Why a copy, how readers and writers stay safe, and how a killed run resumes it:
# docs/architecture.md, "The DuckDB file's working copy".

import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from pipelines.paths import pipelines_dir_for
from pipelines.settings import SOURCE_NAMES, pipeline_name
from pipelines.warehouse.base import RunInProgress

DATABASE_WAIT_SECONDS = float(os.environ.get("CONTACTS_DATABASE_WAIT_SECONDS", "60"))
"""How long a run waits for a process that holds the published file open read-write (a
DuckDB shell opened without -readonly, say), when it copies the file and when it publishes.
Read-only connections are never waited for. CONTACTS_DATABASE_WAIT_SECONDS sets it."""

WORKING_COPY_NAME = "unpublished.duckdb"
"""The run's copy, in the published file's dlt folder: the same filesystem, so the final rename
is atomic, and the same path every run, since dbt reparses the project when it changes."""

ORIGIN_NAME = "unpublished.origin.json"
"""Beside the copy: which published file it was made from, and whether a publish began."""

# Linux's FICLONE ioctl: a copy-on-write clone, instant on btrfs and XFS.
FICLONE = 0x40049409


class DatabaseOpenForWriting(RunInProgress):
    """Another process holds the published DuckDB file open read-write."""


class PublishedDatabaseChanged(RunInProgress):
    """Another process wrote to the published DuckDB file while the run worked on its copy."""


def working_copy_path(published: Path) -> Path:
    """Where the runs of `published` write before publishing."""
    return pipelines_dir_for(published) / WORKING_COPY_NAME


@contextmanager
def working_copy(published: Path, timeout: float = DATABASE_WAIT_SECONDS) -> Iterator[Path]:
    """Yields the file the run must write instead of `published`, and publishes it at the end.

    Call it holding the run lock, so that no other run touches the copy. On entry the copy is
    resumed when a killed run left one made from the published file as it still is; else it
    is made afresh, or left absent when `published` does not exist yet (dlt creates it). When
    the block ends without an exception the copy replaces `published`; when it raises, the
    copy is kept for the next run and `published` is untouched.

    Raises:
        DatabaseOpenForWriting: another process kept `published` open read-write for
            `timeout` seconds, on entry or at the publish.
        PublishedDatabaseChanged: another process wrote to `published` during the run; the
            copy is not published, and the next run starts from the changed file.
        RuntimeError: a connection of this process was still open on the copy at the end.
    """
    working = working_copy_path(published)
    working.parent.mkdir(parents=True, exist_ok=True)
    with _shared_lock(published, timeout):
        origin = _prepare(published, working)
    yield working
    _publish(published, working, origin, timeout)


def _prepare(published: Path, working: Path) -> dict:
    """Resumes the working copy or makes a new one; returns its origin record."""
    origin_path = working.with_name(ORIGIN_NAME)
    origin = _read_json(origin_path)
    current = _identities(published)
    if origin is not None and origin["published"] == current and working.exists():
        return origin
    if origin is not None:
        if origin["publishing"] is not None and _file_key(published) == origin["publishing"]:
            # Killed between the rename and the clean-up: the copy is published, and a wal
            # beside it is the old file's, with which DuckDB refuses to open the new file
            # ("the WAL checkpoint iteration does not match the database file").
            _remove_wal_if(published, origin["published"][1])
            current = _identities(published)
        else:
            # The copy's origin changed (a backup restored by hand, say): dlt's local state
            # counts on work that is no longer there, and dlt would prefer it to the state
            # in the file because its version is higher, skipping contacts. Without it, dlt
            # restores its state from the file.
            _forget_dlt_state(published, working)
    _unlink(origin_path)
    # A leftover wal would be replayed against the new copy.
    for stale in (working, _wal(working)):
        _unlink(stale)
    if published.exists():
        _copy(published, working)
        if _wal(published).exists():
            _copy(_wal(published), _wal(working))
    origin = {"published": current, "publishing": None}
    _write_json(origin_path, origin)
    return origin


def _publish(published: Path, working: Path, origin: dict, timeout: float) -> None:
    """Makes the working copy self-contained and puts it in place of `published`."""
    origin_path = working.with_name(ORIGIN_NAME)
    if not working.exists():
        # The run wrote nothing, and there was nothing to copy.
        _unlink(origin_path)
        return
    with duckdb.connect(str(working)) as connection:
        connection.execute("checkpoint")
    if _wal(working).exists() or _open_in_this_process(working):
        # DuckDB shares one database per path within a process: a connection that dlt or dbt
        # left open would survive the checkpoint and go on writing into the published file.
        raise RuntimeError(f"{working} is still open in this process; not published")
    _fsync(working)
    # Our shared lock on the copy moves with it under the new name: no writer can open the
    # published file before the old wal is gone.
    with _shared_lock(working, timeout), _shared_lock(published, timeout):
        if _identities(published) != origin["published"]:
            raise PublishedDatabaseChanged(
                f"{published} was written by another process during the run; "
                "not replaced, the next run starts from it"
            )
        origin["publishing"] = _file_key(working)
        _write_json(origin_path, origin)
        os.replace(working, published)
        _fsync_directory(published.parent)
        _fsync_directory(working.parent)
        _remove_wal_if(published, origin["published"][1])
    _unlink(origin_path)


def _forget_dlt_state(published: Path, working: Path) -> None:
    """Removes dlt's local pipelines of both files, so that dlt restores them from the copy.

    Their folder is the published file's (`pipelines_dir_for(published)`); the copy's own
    (`pipelines_dir_for(working)`) is what a caller gets that hands dlt the copy's path alone.
    """
    for folder in (pipelines_dir_for(published), pipelines_dir_for(working)):
        for source in SOURCE_NAMES:
            shutil.rmtree(folder / pipeline_name(source), ignore_errors=True)


@contextmanager
def _shared_lock(path: Path, timeout: float) -> Iterator[None]:
    """Holds a shared POSIX lock on `path`, as DuckDB's read-only connections do.

    The lock is process-wide: closing any descriptor of the file in this process drops it,
    and DuckDB's own lock too, were this process connected to it. The CLI is not.

    Raises:
        DatabaseOpenForWriting: a read-write connection held the file for `timeout` seconds.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.lockf(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                raise DatabaseOpenForWriting(
                    f"{path} is open for writing in another process; waited {timeout:.0f} s for it"
                )
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        yield
    finally:
        os.close(descriptor)


def _copy(source: Path, target: Path) -> None:
    """Copies a file durably, by reflink where the filesystem has them, else in the kernel."""
    with open(source, "rb") as reading, open(target, "wb") as writing:
        try:
            fcntl.ioctl(writing.fileno(), FICLONE, reading.fileno())
        except OSError:
            _copy_contents(reading.fileno(), writing.fileno(), os.fstat(reading.fileno()).st_size)
        os.fsync(writing.fileno())


def _copy_contents(source: int, target: int, size: int) -> None:
    copied = 0
    try:
        while copied < size:
            sent = os.copy_file_range(source, target, size - copied)
            if sent == 0:
                break
            copied += sent
    except OSError:
        # Across filesystems on old kernels, or a filesystem without it.
        os.lseek(source, 0, os.SEEK_SET)
        os.lseek(target, 0, os.SEEK_SET)
        os.ftruncate(target, 0)
        with (
            open(source, "rb", closefd=False) as reading,
            open(target, "wb", closefd=False) as writing,
        ):
            shutil.copyfileobj(reading, writing, 1 << 20)


def _identities(published: Path) -> list:
    """What tells the published file apart from any other: its own identity and its wal's."""
    return [_identity(published), _identity(_wal(published))]


def _identity(path: Path) -> list[int] | None:
    """The inode, size and times of `path`, None when it does not exist.

    The change time is in, because `cp -p` restores a backup's modification time and size.
    """
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return [status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns]


def _file_key(path: Path) -> list[int] | None:
    """The device and inode of `path`, which a rename keeps (and its change time does not)."""
    identity = _identity(path)
    return identity[:2] if identity is not None else None


def _remove_wal_if(published: Path, identity: list[int] | None) -> None:
    """Removes the wal of `published` if it is still the one copied, with that identity."""
    wal = _identity(_wal(published))
    if wal is not None and wal == identity:
        _unlink(_wal(published))
        _fsync_directory(published.parent)


def _open_in_this_process(path: Path) -> bool:
    """Whether a descriptor of this process still refers to `path` (Linux's /proc)."""
    try:
        descriptors = os.listdir("/proc/self/fd")
    except FileNotFoundError:
        return False
    for descriptor in descriptors:
        with suppress(OSError):
            if os.readlink(f"/proc/self/fd/{descriptor}") == str(path.resolve()):
                return True
    return False


def _wal(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


def _write_json(path: Path, value: dict) -> None:
    """Writes `path` whole or not at all, and durably: a resume decision rests on it."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w") as handle:
        json.dump(value, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    _fsync_directory(path.parent)


def _unlink(path: Path) -> None:
    with suppress(FileNotFoundError):
        path.unlink()


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_directory(directory: Path) -> None:
    _fsync(directory)
