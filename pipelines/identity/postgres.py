"""The identity steps of a PostgreSQL build: what the Python models do on DuckDB.

dbt-postgres runs no Python models, so on PostgreSQL the build runs in phases
(sql/selectors.yml) and pipelines/runs/transform.py calls these between them. Each reads the
view that the phase before it built, runs the same steps as the Python model of the same
name (pipelines/identity/steps.py) on Arrow tables, and writes its result to a table in
`staging` that the SQL model of that name (sql/models/intermediate/identity/postgres/)
selects from. Each takes the identity settings, the same dbt vars as the Python models'.

Rows cross between PostgreSQL and Arrow through psycopg2: COPY in CSV one way, a typed
fetch the other. A few hundred thousand rows cost a second or two; the linking itself costs
more.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from pipelines.identity.steps import (
    IdentitySettings,
    contact_pairs,
    contact_phones,
    person_clusters,
)

SCHEMA = "staging"
PHONES_TABLE = "identity_contact_phones"
PAIRS_TABLE = "identity_contact_pairs"
CLUSTERS_TABLE = "identity_person_clusters"

# PostgreSQL type oids (pg_type) -> the Arrow type of the column read. A column of another
# type is left to pyarrow to infer.
_ARROW_TYPES = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    25: pa.string(),
    700: pa.float32(),
    701: pa.float64(),
    1009: pa.list_(pa.string()),
    1015: pa.list_(pa.string()),
    1043: pa.string(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}

_POSTGRES_TYPES = {
    pa.string(): "varchar",
    pa.float64(): "double precision",
    pa.int64(): "bigint",
    pa.int32(): "integer",
    pa.bool_(): "boolean",
}


def normalize_phones(connection: Any, settings: IdentitySettings) -> None:
    """int_contact_phones: each contact's phone in E.164 (see its Python model)."""
    contacts = read_arrow(
        connection, f"select contact_key, phone from {SCHEMA}.int_contacts_marked_deleted"
    )
    with connection:
        write_arrow(connection, PHONES_TABLE, contact_phones(contacts, settings))


def link_people(connection: Any, settings: IdentitySettings) -> None:
    """int_contact_pairs and int_person_clusters: the pairs the identity model scores, and
    each contact's person, keyed as the night before (see their Python models)."""
    evidence = read_arrow(connection, f"select * from {SCHEMA}.int_contacts_linkage_evidence")
    pairs = contact_pairs(evidence, settings)
    people = person_clusters(evidence, pairs, _previous_person_keys(connection), settings)
    # One transaction: the pairs and the people they made are replaced together or not at all.
    with connection:
        write_arrow(connection, PAIRS_TABLE, pairs)
        write_arrow(connection, CLUSTERS_TABLE, people)


def _previous_person_keys(connection: Any) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("select to_regclass(%s)", (f"{SCHEMA}.{CLUSTERS_TABLE}",))
        if cursor.fetchone()[0] is None:
            return {}
        cursor.execute(f"select contact_key, person_key from {SCHEMA}.{CLUSTERS_TABLE}")
        return dict(cursor.fetchall())


def read_arrow(connection: Any, query: str) -> pa.Table:
    """The rows of `query` as an Arrow table, its columns typed from PostgreSQL's types, so
    that an all-null or empty column keeps its type."""
    with connection.cursor() as cursor:
        cursor.execute(query)
        rows = cursor.fetchall()
        columns = [
            (column.name, _ARROW_TYPES.get(column.type_code)) for column in cursor.description
        ]
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pa.table(
        {
            name: pa.array(column_values, type=arrow_type)
            for (name, arrow_type), column_values in zip(columns, values, strict=True)
        }
    )


def write_arrow(connection: Any, table_name: str, table: pa.Table) -> None:
    """Replaces `staging.<table_name>` with `table`, in the caller's transaction.

    Dropped and created rather than truncated, so that a change of columns in a new release
    needs no migration. The drop cascades to the dbt view that reads the table, which the
    next phase of the build creates again.
    """
    columns = ", ".join(f"{field.name} {_postgres_type(field.type)}" for field in table.schema)
    qualified = f"{SCHEMA}.{table_name}"
    buffer = io.BytesIO()
    # Every value quoted and a null not: PostgreSQL's CSV reads an unquoted empty field as
    # null and a quoted one as an empty string.
    pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(quoting_style="all_valid"))
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.execute(f"create schema if not exists {SCHEMA}")
        cursor.execute(f"drop table if exists {qualified} cascade")
        cursor.execute(f"create table {qualified} ({columns})")
        cursor.copy_expert(f"copy {qualified} from stdin with (format csv, header true)", buffer)


def _postgres_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    try:
        return _POSTGRES_TYPES[arrow_type]
    except KeyError:
        raise TypeError(f"no PostgreSQL type for the Arrow type {arrow_type}") from None
