"""Arrow in and out of PostgreSQL for the identity steps: typed batches from a server-side cursor,
and COPY of CSV."""

import io
from collections.abc import Iterator
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


def read_batches(connection: Any, query: str, rows_per_batch: int) -> Iterator[pa.RecordBatch]:
    """The rows of `query` as Arrow batches of at most `rows_per_batch` rows, from a
    server-side cursor (psycopg2's ordinary cursor holds a whole result in this process),
    their columns typed from PostgreSQL's types; at least one batch, empty if need be, so
    that a reader learns the columns."""
    with connection.cursor(name="contacts_elt_identity") as cursor:
        cursor.itersize = rows_per_batch
        cursor.execute(query)
        first = True
        while True:
            rows = cursor.fetchmany(rows_per_batch)
            if not rows and not first:
                return
            columns = [
                (column.name, _ARROW_TYPES.get(column.type_code)) for column in cursor.description
            ]
            values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(column_values, type=arrow_type)
                    for (_, arrow_type), column_values in zip(columns, values, strict=True)
                ],
                names=[name for name, _ in columns],
            )
            first = False
            if not rows:
                return


def write_batches(
    connection: Any, schema: str, table_name: str, batches: pa.RecordBatchReader
) -> None:
    """`write_arrow` for a table that comes a batch at a time: replaces
    `<schema>.<table_name>`, then copies each batch in, in the caller's transaction."""
    write_arrow(connection, schema, table_name, batches.schema.empty_table())
    qualified = f"{schema}.{table_name}"
    with connection.cursor() as cursor:
        for batch in batches:
            buffer = io.BytesIO()
            pa_csv.write_csv(
                batch, buffer, pa_csv.WriteOptions(quoting_style="all_valid", include_header=False)
            )
            buffer.seek(0)
            cursor.copy_expert(f"copy {qualified} from stdin with (format csv)", buffer)
