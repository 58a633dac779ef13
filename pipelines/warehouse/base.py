"""What a night needs from a destination: the `Warehouse` interface, and what every one shares."""

import fcntl
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar


class WarehouseUnavailable(Exception):
    """The warehouse cannot be reached, is not configured, or cannot be written; the message
    says which and why, without a secret."""


class RunInProgress(Exception):
    """Another process is loading or transforming the same warehouse, or holds it in a way
    that a run must not write over; the run touched nothing and the next one will do it."""


@dataclass(frozen=True)
class DbtBuild:
    """One `dbt build` of the project: the nodes of a selector of sql/selectors.yml, or all."""

    selector: str | None = None


@dataclass(frozen=True)
class IdentityStep:
    """An identity step that this warehouse's dbt adapter cannot run as a Python model, run
    between two builds: it reads what the build before it made and writes the models' tables."""

    name: str
    run: Callable[[], None]


TransformStep = DbtBuild | IdentityStep


class Warehouse(ABC):
    """A destination as a night uses it: how dlt and dbt reach it, its run lock, how a command
    writes it and readers read it, what `contacts-elt check` tests, and its transform.

    A destination is one subclass in pipelines/warehouse/ and one line of the registry in
    pipelines/warehouse/__init__.py; `kind` names its dlt destination and its output in
    sql/profiles.yml.
    """

    kind: ClassVar[str]
    """`--destination` and CONTACTS_DESTINATION name it; so do dlt's destination and the
    target of sql/profiles.yml."""

    @classmethod
    @abstractmethod
    def configured(cls, duckdb_path: Path) -> "Warehouse":
        """The warehouse of this kind that the machine is configured for. `duckdb_path` is the
        file that `--duckdb`, CONTACTS_DUCKDB or the default names, for a warehouse that is one.

        Raises:
            WarehouseUnavailable: it is not configured (no credentials, say).
        """

    @property
    @abstractmethod
    def display_name(self) -> str:
        """The warehouse for people and logs, without a password."""

    @property
    @abstractmethod
    def working_dir(self) -> Path:
        """dlt's pipelines folder and dbt's target folder for this warehouse alone, so that
        two warehouses never share cursors, pending loads or dbt's parse."""

    @property
    @abstractmethod
    def loader_file_format(self) -> str:
        """The files dlt loads from, the fastest that this destination takes from Arrow."""

    @abstractmethod
    def dlt_destination(self) -> Any:
        """dlt's destination, configured for this warehouse."""

    @abstractmethod
    def dbt_environment(self) -> dict[str, str]:
        """The variables that sql/profiles.yml reads for this warehouse's target."""

    def dbt_parse_environment(self, scratch_dir: Path) -> dict[str, str]:
        """The variables for a `dbt parse` that must create nothing where the warehouse is."""
        return self.dbt_environment()

    def reader_environment(self) -> dict[str, str]:
        """The variables that name this warehouse to the notebooks and tools a command
        starts, which a command that writes it exports; none, unless they read a file."""
        return {}

    @abstractmethod
    def connect(self) -> Any:
        """A DB-API connection for reading (`qmark` parameters are translated, see `query`).

        Raises:
            WarehouseUnavailable: there is nothing to read, or the server cannot be reached.
            RunInProgress: a process holds the database in a way that keeps readers out.
        """

    @abstractmethod
    def read_in_batches(self, sql: str, rows_per_batch: int) -> Iterator[Any]:
        """The rows of a query as Arrow record batches, never all of them in memory at once;
        usable while this process writes the warehouse."""

    def table_names(self) -> set[str]:
        """`schema.table` of every table and view; none when there is no database yet."""
        connection = self.connect()
        try:
            return existing_tables(connection)
        finally:
            connection.close()

    @abstractmethod
    def check(self) -> str:
        """What `contacts-elt check` tests of the database: tonight's run can write it.
        Creates and changes nothing; the run lock is `run_holder`'s to test.

        Returns:
            What was found, in one line without a secret.

        Raises:
            WarehouseUnavailable: it cannot be reached or written; the message says why.
            RunInProgress: a process holds it so that a run could not write it now.
        """

    @contextmanager
    def run_lock(self) -> Iterator[None]:
        """Holds this warehouse's run lock for the block: one run at a time.

        The lock is an advisory `flock` on a file in the warehouse's working folder, which the
        kernel releases when its process ends, however it ends: a run killed with SIGKILL
        leaves no stale lock behind. A warehouse that runs on several machines adds its own.

        Raises:
            RunInProgress: another process holds the lock; nothing was touched.
        """
        lock_path = self._lock_path
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

    def run_holder(self) -> str | None:
        """Who holds the run lock now, or None; creates and takes nothing.

        For `contacts-elt check`. The lock is tried shared and let go at once: a run that
        starts in that instant finds it free again by the time it asks, nearly always.
        """
        lock_path = self._lock_path
        if lock_path.exists():
            with open(lock_path) as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    return f"pid {handle.read().strip() or 'unknown'}, lock {lock_path}"
                fcntl.flock(handle, fcntl.LOCK_UN)
        return None

    @contextmanager
    def writing(self) -> Iterator["Warehouse"]:
        """Yields the warehouse that a command writes, holding the run lock; what it wrote is
        what readers see once the block ends. Itself, where readers never block a writer."""
        yield self

    def loading(self) -> Any:
        """A context held around a load of every source side by side, for what the warehouse
        needs to take several dlt pipelines at once; nothing, by default."""
        return nullcontext()

    def transform_steps(self) -> Sequence[TransformStep]:
        """The transform, in order: one `dbt build`, where dbt runs the identity steps as
        Python models. A step that fails skips the ones after it, which depend on it."""
        return (DbtBuild(),)

    def transforming(self) -> Any:
        """A context held around the transform, for what dbt's adapter leaves open in this
        process; nothing, by default."""
        return nullcontext()

    @property
    def _lock_path(self) -> Path:
        return self.working_dir / "run.lock"


def query(connection: Any, sql: str, params: tuple | list = ()) -> tuple[list[str], list[tuple]]:
    """Runs one read on any warehouse's connection: the column names and the rows.

    `sql` takes `?` parameters, DuckDB's; a driver of another DB-API paramstyle, such as
    PostgreSQL's, gets `%s`.
    """
    cursor = connection.cursor()
    try:
        if _paramstyle(connection) != "qmark":
            sql = sql.replace("?", "%s")
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
        names = [column[0] for column in cursor.description or []]
    finally:
        cursor.close()
    return names, rows


def existing_tables(connection: Any) -> set[str]:
    """`schema.table` of every table and view the connection sees."""
    _, rows = query(connection, "select table_schema, table_name from information_schema.tables")
    return {f"{schema}.{name}" for schema, name in rows}


def _paramstyle(connection: Any) -> str:
    # DB-API declares it on the driver's top module: DuckDB's connection class lives in
    # `_duckdb` ('qmark'), psycopg2's in `psycopg2.extensions` ('pyformat').
    driver = sys.modules[type(connection).__module__.partition(".")[0]]
    return getattr(driver, "paramstyle", "qmark")
