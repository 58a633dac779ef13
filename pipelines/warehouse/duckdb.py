"""A DuckDB file as the warehouse: written through a copy, read by notebooks while a run works."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pipelines.memory import MemoryBudget, apply_duckdb_settings, discard_leftover_spills
from pipelines.paths import pipelines_dir_for
from pipelines.warehouse.base import RunInProgress, Warehouse, WarehouseUnavailable, query

_LOCK_HOLDER = re.compile(r"\(PID (\d+)\)")


@dataclass
class DuckDBFile(Warehouse):
    """A DuckDB file. `path` is the file that analysts open; `write_path` is the file that a
    command writes, its own copy while it runs (pipelines/warehouse/duckdb_publish.py), or
    `path`."""

    path: Path
    write_path: Path | None = None
    kind: ClassVar[str] = "duckdb"

    @classmethod
    def configured(cls, duckdb_path: Path) -> "DuckDBFile":
        return cls(duckdb_path)

    @property
    def display_name(self) -> str:
        return str(self.path)

    @property
    def file(self) -> Path:
        """The file that dlt and dbt open now."""
        return self.write_path or self.path

    @property
    def working_dir(self) -> Path:
        # Keyed on the published file, not the copy: cursors and dbt's parse belong to it.
        return pipelines_dir_for(self.path)

    @property
    def loader_file_format(self) -> str:
        # DuckDB reads the extract's Parquet files as they are.
        return "parquet"

    def dlt_destination(self) -> Any:
        import dlt

        return dlt.destinations.duckdb(str(self.file))

    def dbt_environment(self) -> dict[str, str]:
        # sql/profiles.yml sets them on dbt-duckdb's database, where Splink runs too.
        budget = MemoryBudget.configured()
        settings = budget.duckdb_settings(budget.transform_memory(), self.working_dir)
        return {
            "CONTACTS_DUCKDB": str(self.file),
            **{f"CONTACTS_DUCKDB_{name.upper()}": value for name, value in settings.items()},
        }

    def dbt_parse_environment(self, scratch_dir: Path) -> dict[str, str]:
        # dbt's parse does not open the file; a throwaway path makes sure that no file
        # appears where the real one will be.
        return {"CONTACTS_DUCKDB": str(scratch_dir / "parse-only.duckdb")}

    def reader_environment(self) -> dict[str, str]:
        # The notebooks read the file from here, as the commands they start do.
        return {"CONTACTS_DUCKDB": str(self.path)}

    def connect(self) -> Any:
        import duckdb

        if not self.file.exists():
            raise WarehouseUnavailable(f"no database at {self.file}: nothing has been loaded yet")
        try:
            return duckdb.connect(str(self.file), read_only=True)
        except duckdb.Error as error:
            # A process holds the file for writing: a read-only open never conflicts with
            # another read-only one, and a run writes a copy of its own.
            if "lock" not in str(error).lower():
                raise
            holder = _LOCK_HOLDER.search(str(error))
            pid = f" (pid {holder.group(1)})" if holder else ""
            raise RunInProgress(
                f"a process holds {self.file} open for writing{pid}; try again when it has finished"
            ) from None

    def read_in_batches(self, sql: str, rows_per_batch: int) -> Iterator[Any]:
        import duckdb

        # Not read-only: a load holds the file open for writing in this process, and DuckDB
        # shares one open database among a process's connections of the same configuration.
        with duckdb.connect(str(self.file)) as connection:
            yield from connection.sql(sql).to_arrow_reader(rows_per_batch)

    def table_names(self) -> set[str]:
        return super().table_names() if self.file.exists() else set()

    def check(self) -> str:
        path = self.path
        # A run writes a copy in the working folder and puts it in the file's place: both
        # the file and its folder must be writable.
        folder = _nearest_existing(path.parent)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise WarehouseUnavailable(f"{folder} is not writable: {path} cannot be written")
        if not path.exists():
            where = (
                "its folder"
                if folder == path.parent
                else f"{folder}, where its folder will be made,"
            )
            return f"{path} does not exist yet: the first run creates it; {where} is writable"
        if not os.access(path, os.R_OK | os.W_OK):
            raise WarehouseUnavailable(f"{path} is not readable and writable by this user")
        # Opening it read-only writes nothing, and fails when a process holds it for writing.
        connection = self.connect()
        try:
            _, rows = query(connection, "select count(*) from information_schema.tables")
        finally:
            connection.close()
        return f"{path} is writable, no run holds it ({rows[0][0]} tables)"

    @contextmanager
    def writing(self) -> Iterator["DuckDBFile"]:
        """Yields the file's working copy, published over the file when the block ends (see
        pipelines/warehouse/duckdb_publish.py), so that readers never hold a run up."""
        from pipelines.warehouse.duckdb_publish import working_copy

        with working_copy(self.path) as work:
            yield DuckDBFile(self.path, write_path=work)

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Keeps the file open for the whole load, with a memory limit.

        Each pipeline opens and closes the file as it goes. When one closes the last
        connection while the other opens one, DuckDB fails the opening with "Unique file
        handle conflict"; a connection held for the whole run keeps the database open, so
        neither opens it anew.
        """
        import duckdb

        discard_leftover_spills(self.working_dir)
        with duckdb.connect(str(self.file)) as held:
            # Settings of the database, which dlt's connections to the same file share.
            # DuckDB takes up to 80% of the machine's memory by default, and the merge of a
            # full load grows with the rows it writes: at 160k contacts per API, a peak RSS of
            # 741 MB, 505 MB with a limit, in the same time. Past it DuckDB spills to disk.
            budget = MemoryBudget.configured()
            apply_duckdb_settings(
                held, budget.duckdb_settings(budget.load_memory(), self.working_dir)
            )
            yield

    @contextmanager
    def transforming(self) -> Iterator[None]:
        discard_leftover_spills(self.working_dir)
        try:
            yield
        finally:
            release_database()


def release_database() -> None:
    """Closes the DuckDB database that dbt-duckdb keeps open in this process after a run.

    Left open, it holds the file's lock, and this process could not open the file again with
    another configuration (read-only, as the notebooks and tests do), nor publish the copy.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    if environment is not None:
        environment.close()


def _nearest_existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder
