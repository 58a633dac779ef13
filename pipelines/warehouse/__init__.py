"""Where the contacts land: one DuckDB file, or one PostgreSQL database.

Every command works on a `Warehouse`, never on a path or a connection URL: the same load,
transform and status run on either, and each warehouse says what differs, namely how dlt and
dbt reach it, where its working state lives and how a reader gets a connection.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pipelines.paths import DEFAULT_DUCKDB, PROJECT_DIR, pipelines_dir_for, resolve_duckdb_path

if TYPE_CHECKING:
    from pipelines.warehouse.postgres import PostgresCredentials

DUCKDB = "duckdb"
POSTGRES = "postgres"
DESTINATIONS = (DUCKDB, POSTGRES)


class WarehouseUnavailable(Exception):
    """The warehouse cannot be reached or is not configured; the message says which and why,
    without a secret."""


class Warehouse(Protocol):
    """What the commands need from a destination."""

    kind: str
    """`duckdb` or `postgres`: dlt's destination and dbt's target of the same name."""

    @property
    def display_name(self) -> str:
        """The warehouse for people and logs, without a password."""

    @property
    def working_dir(self) -> Path:
        """dlt's pipelines folder and dbt's target folder for this warehouse alone, so that
        two warehouses never share cursors, pending loads or dbt's parse."""

    @property
    def loader_file_format(self) -> str:
        """The files dlt loads from, the fastest that this destination takes from Arrow."""

    def dlt_destination(self) -> Any:
        """dlt's destination, configured for this warehouse."""

    def dbt_environment(self) -> dict[str, str]:
        """The variables that sql/profiles.yml reads for this warehouse's target."""

    def connect(self) -> Any:
        """A DB-API connection for reading (`qmark` parameters are translated, see `query`)."""

    def read_in_batches(self, sql: str, rows_per_batch: int) -> Iterator[Any]:
        """The rows of a query as Arrow record batches, never all of them in memory at once;
        usable while this process writes the warehouse."""


@dataclass
class DuckDBFile:
    """A DuckDB file. `path` is the file that analysts open; `write_path` is the file that a
    command writes, its own copy while it runs (pipelines/runs/publish.py), or `path`."""

    path: Path
    write_path: Path | None = None
    kind: str = field(default=DUCKDB, init=False)

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
        return {"CONTACTS_DUCKDB": str(self.file)}

    def connect(self) -> Any:
        import duckdb

        return duckdb.connect(str(self.file), read_only=True)

    def read_in_batches(self, sql: str, rows_per_batch: int) -> Iterator[Any]:
        import duckdb

        # Not read-only: a load holds the file open for writing in this process, and DuckDB
        # shares one open database among a process's connections of the same configuration.
        with duckdb.connect(str(self.file)) as connection:
            yield from connection.sql(sql).to_arrow_reader(rows_per_batch)


@dataclass
class PostgresDatabase:
    """A PostgreSQL database, reached with dlt's own credentials."""

    credentials: "PostgresCredentials"
    kind: str = field(default=POSTGRES, init=False)

    @property
    def display_name(self) -> str:
        c = self.credentials
        return f"postgresql://{c.username}@{c.host}:{c.port}/{c.database}"

    @property
    def working_dir(self) -> Path:
        c = self.credentials
        # One folder per server and database, as a DuckDB file has one beside it.
        return PROJECT_DIR / "data" / f"postgres-{c.host}-{c.port}-{c.database}.dlt"

    @property
    def loader_file_format(self) -> str:
        # COPY from CSV that pyarrow writes. dlt loads Parquet into PostgreSQL through ADBC
        # only, and dlt 1.31 with adbc-driver-postgresql 1.13 failed every load of a table
        # with no rows ("Must pass schema, or at least one RecordBatch"), which the deletions
        # and rejects tables are on most nights.
        return "csv"

    def dlt_destination(self) -> Any:
        import dlt

        # No unique constraints (DuckDB gets none either). A run killed during its load can
        # leave a job whose COPY committed but which dlt had not yet marked done; the next run
        # repeats it, and with the constraint on `_dlt_id` the repeat failed that source
        # night after night (CI, a kill mid-load). Without it, the repeat's rows land in the
        # staging table that the merge deduplicates by primary key, and in dlt's append-only
        # state table, whose latest version wins.
        return dlt.destinations.postgres(credentials=self.credentials, create_indexes=False)

    def dbt_environment(self) -> dict[str, str]:
        c = self.credentials
        return {
            "CONTACTS_POSTGRES_HOST": str(c.host),
            "CONTACTS_POSTGRES_PORT": str(c.port),
            "CONTACTS_POSTGRES_USER": str(c.username),
            "CONTACTS_POSTGRES_DBNAME": str(c.database),
            # dbt masks the values of DBT_ENV_SECRET_* in everything it logs.
            "DBT_ENV_SECRET_CONTACTS_POSTGRES_PASSWORD": str(c.password or ""),
            # libpq sends it as the session's TimeZone: `YYYY-MM-DD HH:MM:SS` is UTC, as on
            # DuckDB, whatever the server's default.
            "PGTZ": "UTC",
        }

    def connect(self) -> Any:
        from pipelines.warehouse.postgres import connect

        return connect(self.credentials)

    def read_in_batches(self, sql: str, rows_per_batch: int) -> Iterator[Any]:
        from pipelines.warehouse.postgres import read_in_batches

        yield from read_in_batches(self.credentials, sql, rows_per_batch)


def as_warehouse(target: "Warehouse | Path | str") -> Warehouse:
    """A warehouse from a warehouse or a DuckDB path (tests and the demo pass paths)."""
    if isinstance(target, Path | str):
        return DuckDBFile(Path(target).resolve())
    return target


def resolve_warehouse(
    destination: str | None,
    duckdb_cli: str | None,
    duckdb_env: str | None,
    default_duckdb: Path = DEFAULT_DUCKDB,
) -> Warehouse:
    """The warehouse a command works on: `--destination`, else CONTACTS_DESTINATION, else
    DuckDB; a DuckDB file from `--duckdb`, else CONTACTS_DUCKDB, else the default.

    Raises:
        WarehouseUnavailable: an unknown destination, or PostgreSQL without credentials.
    """
    kind = (destination or os.environ.get("CONTACTS_DESTINATION") or DUCKDB).strip().lower()
    if kind == DUCKDB:
        return DuckDBFile(resolve_duckdb_path(duckdb_cli, duckdb_env, default_duckdb))
    if kind == POSTGRES:
        from pipelines.warehouse.postgres import resolve_credentials

        return PostgresDatabase(resolve_credentials())
    raise WarehouseUnavailable(
        f"CONTACTS_DESTINATION is {kind!r}: it must be one of {', '.join(DESTINATIONS)}"
    )


def query(connection: Any, sql: str, params: tuple | list = ()) -> tuple[list[str], list[tuple]]:
    """Runs one read on either warehouse's connection: the column names and the rows.

    `sql` takes `?` parameters, DuckDB's; PostgreSQL's driver wants `%s`.
    """
    cursor = connection.cursor()
    try:
        if not _is_duckdb(connection):
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


@contextmanager
def reading(warehouse: Warehouse) -> Iterator[Any]:
    """A connection for reading, closed afterwards."""
    connection = warehouse.connect()
    try:
        yield connection
    finally:
        connection.close()


def _is_duckdb(connection: Any) -> bool:
    # DuckDB's connection class lives in `_duckdb`, psycopg2's in `psycopg2.extensions`.
    return "duckdb" in type(connection).__module__
