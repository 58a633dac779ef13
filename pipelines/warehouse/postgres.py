"""PostgreSQL: dlt's credentials, connections, and the lock that keeps one run at a time."""

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from pipelines.warehouse import WarehouseUnavailable

RUN_LOCK_KEY = zlib.crc32(b"contacts-elt nightly run")
"""The advisory lock a run holds: one number for the whole database, since a run writes
every schema of the project. Any other application's lock on the same number would be a
coincidence; this one is derived from the project's name to make that unlikely."""

__all__ = ["PostgresCredentials", "connect", "resolve_credentials", "run_lock"]


def resolve_credentials() -> PostgresCredentials:
    """dlt's own PostgreSQL credentials: DESTINATION__POSTGRES__CREDENTIALS (a URL, or its
    parts as DESTINATION__POSTGRES__CREDENTIALS__HOST etc.), or
    `[destination.postgres.credentials]` in .dlt/secrets.toml.

    Raises:
        WarehouseUnavailable: none are configured, or they are incomplete.
    """
    try:
        return resolve_configuration(PostgresCredentials(), sections=("destination", "postgres"))
    except ConfigFieldMissingException as missing:
        fields = ", ".join(sorted(missing.fields))
        raise WarehouseUnavailable(
            f"postgres: no credentials ({fields} missing): set DESTINATION__POSTGRES__CREDENTIALS "
            "to postgresql://user:password@host:port/database, or fill in "
            "[destination.postgres.credentials] in .dlt/secrets.toml"
        ) from None


def connect(credentials: PostgresCredentials, autocommit: bool = True) -> Any:
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


@contextmanager
def run_lock(credentials: PostgresCredentials) -> Iterator[bool]:
    """Holds the database's run lock for the block; yields False when another session holds
    it (and nothing was locked).

    A session-level advisory lock belongs to its connection: a run killed with SIGKILL
    closes its socket, the server ends the session, and the lock is gone with it.
    """
    connection = connect(credentials)
    try:
        with connection.cursor() as cursor:
            cursor.execute("select pg_try_advisory_lock(%s)", (RUN_LOCK_KEY,))
            (acquired,) = cursor.fetchone()
        yield acquired
    finally:
        connection.close()


def lock_holder(credentials: PostgresCredentials) -> str:
    """Who holds the run lock, for the message of the run that was refused."""
    return run_lock_session(credentials) or "a session that has just ended"


def run_lock_session(credentials: PostgresCredentials) -> str | None:
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
    credentials: PostgresCredentials, sql: str, rows_per_batch: int
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
