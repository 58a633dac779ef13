"""A PostgreSQL database as the warehouse: an advisory run lock, and identity steps beside dbt."""

import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pipelines.memory import MemoryBudget, apply_duckdb_settings, discard_leftover_spills
from pipelines.paths import PROJECT_DIR
from pipelines.settings import SOURCE_NAMES, raw_dataset
from pipelines.warehouse.base import (
    DbtBuild,
    IdentityStep,
    RunInProgress,
    TransformStep,
    Warehouse,
    WarehouseUnavailable,
    query,
)

if TYPE_CHECKING:
    # Only named here: dlt takes half a second to import, which `status` on DuckDB and
    # `--help` would pay for nothing.
    from dlt.destinations.impl.postgres.configuration import PostgresCredentials

    from pipelines.identity.steps import IdentitySettings

RUN_LOCK_KEY = zlib.crc32(b"contacts-elt nightly run")
"""The advisory lock a run holds: one number for the whole database, since a run writes
every schema of the project. Any other application's lock on the same number would be a
coincidence; this one is derived from the project's name to make that unlikely."""

ANALYTICS_SCHEMA = "analytics"
STAGING_SCHEMA = "staging"
"""Where dbt builds the intermediate models, and the identity steps write their tables."""


@dataclass
class PostgresDatabase(Warehouse):
    """A PostgreSQL database, reached with dlt's own credentials."""

    credentials: "PostgresCredentials"
    kind: ClassVar[str] = "postgres"

    @classmethod
    def configured(cls, duckdb_path: Path) -> "PostgresDatabase":
        return cls(resolve_credentials())

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
        return connect(self.credentials)

    def read_in_batches(self, sql: str, rows_per_batch: int) -> Iterator[Any]:
        yield from read_in_batches(self.credentials, sql, rows_per_batch)

    def check(self) -> str:
        """The login works, the server is not a read-only standby, and the user may create
        the project's schemas or write in those that exist."""
        schemas = [*(raw_dataset(name) for name in SOURCE_NAMES), ANALYTICS_SCHEMA]
        connection = self.connect()
        try:
            _, rows = query(connection, "select current_setting('transaction_read_only')")
            if rows[0][0] == "on":
                raise WarehouseUnavailable(f"{self.display_name} is read-only (a standby?)")
            _, rows = query(
                connection,
                "select nspname, has_schema_privilege(nspname, 'CREATE') from pg_namespace "
                f"where nspname in ({', '.join(['?'] * len(schemas))})",
                schemas,
            )
            writable = dict(rows)
            _, rows = query(
                connection, "select has_database_privilege(current_database(), 'CREATE')"
            )
            can_create_schemas = rows[0][0]
        finally:
            connection.close()
        refused = [schema for schema, allowed in writable.items() if not allowed]
        if refused:
            raise WarehouseUnavailable(f"{self.display_name}: no CREATE on {', '.join(refused)}")
        missing = [schema for schema in schemas if schema not in writable]
        if missing and not can_create_schemas:
            raise WarehouseUnavailable(
                f"{self.display_name}: the user may not create the schemas "
                f"{', '.join(missing)} (CREATE on the database)"
            )
        first = f", the first run creates {', '.join(missing)}" if missing else ""
        return f"{self.display_name} is writable, no run holds it{first}"

    @contextmanager
    def run_lock(self) -> Iterator[None]:
        """The lock file, as on every warehouse, and the database's own advisory lock, since
        runs on two machines can meet here.

        A session-level advisory lock belongs to its connection: a run killed with SIGKILL
        closes its socket, the server ends the session, and the lock is gone with it.
        """
        with super().run_lock():
            connection = connect(self.credentials)
            try:
                with connection.cursor() as cursor:
                    cursor.execute("select pg_try_advisory_lock(%s)", (RUN_LOCK_KEY,))
                    (acquired,) = cursor.fetchone()
                if not acquired:
                    holder = run_lock_session(self.credentials) or "a session that has just ended"
                    raise RunInProgress(
                        f"another run is in progress on {self.display_name} ({holder})"
                    )
                yield
            finally:
                connection.close()

    def run_holder(self) -> str | None:
        return super().run_holder() or run_lock_session(self.credentials)

    def transform_steps(self) -> Sequence[TransformStep]:
        """dbt-postgres runs no Python models. The build runs in three parts, selectors of
        sql/selectors.yml none of which builds a Python model, and after each of the first two
        an identity step writes those models' tables, with the same code and the same dbt vars
        as on DuckDB; the models downstream read them as they would there."""
        from pipelines.identity.steps import IdentitySettings

        settings = IdentitySettings.from_dbt_project()
        return (
            DbtBuild("before_contact_phones"),
            IdentityStep("normalize_phones", partial(self._step, normalize_phones, settings)),
            DbtBuild("before_linking"),
            IdentityStep("link_people", partial(self._step, link_people, settings)),
            DbtBuild("after_linking"),
        )

    def _step(
        self, step: Callable[[Any, "IdentitySettings", Path], None], settings: "IdentitySettings"
    ) -> None:
        # A connection of its own, which the step commits as one transaction.
        connection = connect(self.credentials, autocommit=False)
        try:
            step(connection, settings, self.working_dir)
        finally:
            connection.close()


def normalize_phones(connection: Any, settings: "IdentitySettings", working_dir: Path) -> None:
    """int_contact_phones, from int_contacts_marked_deleted that the build before made."""
    from pipelines.identity.steps import contact_phones

    with _scratch_duckdb(working_dir) as scratch:
        _copy_in(
            connection,
            f"select contact_key, phone from {STAGING_SCHEMA}.int_contacts_marked_deleted",
            scratch,
            "contacts",
        )
        contact_phones(scratch, "select * from contacts", "phones", settings)
        with connection:
            _copy_out(scratch, "phones", connection, "int_contact_phones")


def link_people(connection: Any, settings: "IdentitySettings", working_dir: Path) -> None:
    """int_contact_pairs and int_person_clusters, from int_contacts_linkage_evidence that the
    build before made; each contact keeps the person key it had the night before.

    The steps run in a DuckDB of their own, in the working folder, within its memory limit:
    the rows come in and go back a batch at a time, and neither end holds them all.
    """
    from pipelines.identity.steps import contact_pairs, person_clusters

    with _scratch_duckdb(working_dir) as scratch:
        _copy_in(
            connection,
            f"select * from {STAGING_SCHEMA}.int_contacts_linkage_evidence",
            scratch,
            "evidence",
        )
        previous = None
        if _exists(connection, f"{STAGING_SCHEMA}.int_person_clusters"):
            _copy_in(
                connection,
                f"select contact_key, person_key from {STAGING_SCHEMA}.int_person_clusters",
                scratch,
                "previous",
            )
            previous = "select * from previous"
        contact_pairs(scratch, "select * from evidence", "pairs", settings)
        person_clusters(
            scratch, "select * from evidence", "select * from pairs", previous, "people", settings
        )
        # One transaction: the pairs and the people they made are replaced together or not.
        with connection:
            _copy_out(scratch, "pairs", connection, "int_contact_pairs")
            _copy_out(scratch, "people", connection, "int_person_clusters")


_ROWS_PER_BATCH = 50_000


@contextmanager
def _scratch_duckdb(working_dir: Path) -> Iterator[Any]:
    """A DuckDB file in the working folder for one identity step, deleted afterwards."""
    import duckdb

    path = working_dir / "identity.duckdb"
    _discard_scratch(path)
    discard_leftover_spills(working_dir)
    working_dir.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path))
    try:
        budget = MemoryBudget.configured()
        apply_duckdb_settings(
            connection, budget.duckdb_settings(budget.transform_memory(), working_dir)
        )
        yield connection
    finally:
        connection.close()
        _discard_scratch(path)


def _discard_scratch(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _copy_in(connection: Any, query: str, scratch: Any, table: str) -> None:
    from pipelines.warehouse.postgres_arrow import read_batches

    for number, batch in enumerate(read_batches(connection, query, _ROWS_PER_BATCH)):
        scratch.register("__batch", batch)
        if number == 0:
            scratch.execute(f"create or replace table {table} as select * from __batch")
        else:
            scratch.execute(f"insert into {table} select * from __batch")
        scratch.unregister("__batch")
    connection.rollback()


def _copy_out(scratch: Any, table: str, connection: Any, name: str) -> None:
    from pipelines.warehouse.postgres_arrow import write_batches

    reader = scratch.cursor().sql(f"select * from {table}").to_arrow_reader(_ROWS_PER_BATCH)
    write_batches(connection, STAGING_SCHEMA, name, reader)


def _exists(connection: Any, qualified: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("select to_regclass(%s)", (qualified,))
        found = cursor.fetchone()[0] is not None
    connection.rollback()
    return found


def resolve_credentials() -> "PostgresCredentials":
    """dlt's own PostgreSQL credentials: DESTINATION__POSTGRES__CREDENTIALS (a URL, or its
    parts as DESTINATION__POSTGRES__CREDENTIALS__HOST etc.), or
    `[destination.postgres.credentials]` in .dlt/secrets.toml.

    Raises:
        WarehouseUnavailable: none are configured, or they are incomplete.
    """
    from dlt.common.configuration import resolve_configuration
    from dlt.common.configuration.exceptions import ConfigFieldMissingException
    from dlt.destinations.impl.postgres.configuration import PostgresCredentials

    try:
        return resolve_configuration(PostgresCredentials(), sections=("destination", "postgres"))
    except ConfigFieldMissingException as missing:
        fields = ", ".join(sorted(missing.fields))
        raise WarehouseUnavailable(
            f"postgres: no credentials ({fields} missing): set DESTINATION__POSTGRES__CREDENTIALS "
            "to postgresql://user:password@host:port/database, or fill in "
            "[destination.postgres.credentials] in .dlt/secrets.toml"
        ) from None


def connect(credentials: "PostgresCredentials", autocommit: bool = True) -> Any:
    """A psycopg2 connection with the session in UTC, as dbt's and dlt's are.

    Raises:
        WarehouseUnavailable: the server cannot be reached or refuses the login; the
            message names the server, never the password.
    """
    import psycopg2

    try:
        connection = psycopg2.connect(
            credentials.to_native_representation(), options="-c TimeZone=UTC"
        )
    except psycopg2.OperationalError as error:
        cause = " ".join(str(error).split()) or type(error).__name__
        if credentials.password:
            cause = cause.replace(str(credentials.password), "***")
        raise WarehouseUnavailable(
            f"postgres: cannot connect to {credentials.host}:{credentials.port}/"
            f"{credentials.database} as {credentials.username}: {cause}"
        ) from None
    connection.autocommit = autocommit
    return connection


def run_lock_session(credentials: "PostgresCredentials") -> str | None:
    """The session that holds the run lock, or None when no session does; locks nothing."""
    connection = connect(credentials)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select a.pid, coalesce(nullif(a.client_addr::text, ''), 'local'), a.backend_start "
                "from pg_locks l join pg_stat_activity a on a.pid = l.pid "
                # An advisory lock belongs to one database: a run on another database of the
                # same server holds a lock of the same number that is not ours.
                "where l.locktype = 'advisory' and l.granted "
                "and l.database = (select oid from pg_database where datname = current_database()) "
                "and ((l.classid::bigint << 32) | l.objid::bigint) = %s",
                (RUN_LOCK_KEY,),
            )
            row = cursor.fetchone()
    finally:
        connection.close()
    if row is None:
        return None
    pid, client, started = row
    return f"backend pid {pid}, from {client}, connected {started:%Y-%m-%d %H:%M:%S %Z}"


def read_in_batches(
    credentials: "PostgresCredentials", sql: str, rows_per_batch: int
) -> Iterator[Any]:
    """The rows of a query as Arrow record batches, from a server-side cursor: psycopg2's
    ordinary cursor would hold every row of the result in this process."""
    import pyarrow as pa

    connection = connect(credentials, autocommit=False)
    try:
        with connection.cursor(name="contacts_elt_batches") as cursor:
            cursor.itersize = rows_per_batch
            cursor.execute(sql)
            names = None
            while rows := cursor.fetchmany(rows_per_batch):
                names = names or [column[0] for column in cursor.description]
                yield pa.RecordBatch.from_pylist(
                    [dict(zip(names, row, strict=True)) for row in rows]
                )
    finally:
        connection.rollback()
        connection.close()
