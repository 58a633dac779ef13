"""Arrow tables in and out of PostgreSQL for the identity steps: a typed fetch, and COPY of CSV."""

import io
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

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


def write_arrow(connection: Any, schema: str, table_name: str, table: pa.Table) -> None:
    """Replaces `<schema>.<table_name>` with `table`, in the caller's transaction.

    Dropped and created rather than truncated, so that a change of columns in a new release
    needs no migration. Whatever has the name goes, a view included (dbt's SQL models of
    these names were views before the identity steps wrote the tables themselves), and what
    reads it with it: the next part of the build makes that again.
    """
    columns = ", ".join(f"{field.name} {_postgres_type(field.type)}" for field in table.schema)
    qualified = f"{schema}.{table_name}"
    buffer = io.BytesIO()
    # Every value quoted and a null not: PostgreSQL's CSV reads an unquoted empty field as
    # null and a quoted one as an empty string.
    pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(quoting_style="all_valid"))
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.execute(f"create schema if not exists {schema}")
        cursor.execute("select relkind from pg_class where oid = to_regclass(%s)", (qualified,))
        existing = cursor.fetchone()
        if existing is not None:
            kind = "view" if existing[0] == "v" else "table"
            cursor.execute(f"drop {kind} {qualified} cascade")
        cursor.execute(f"create table {qualified} ({columns})")
        cursor.copy_expert(f"copy {qualified} from stdin with (format csv, header true)", buffer)


def _postgres_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    try:
        return _POSTGRES_TYPES[arrow_type]
    except KeyError:
        raise TypeError(f"no PostgreSQL type for the Arrow type {arrow_type}") from None
