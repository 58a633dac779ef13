"""Contacts as Arrow tables of the documented columns: dlt then writes them as they are.

A list of dicts goes through dlt's relational normalizer: every value coerced in Python, a
random `_dlt_id` drawn per row, then the rows written out as JSON and read back. An Arrow
table whose columns already match the table's schema is written by the extract as Parquet and
imported by normalize untouched. Measured at 40k contacts per API against the lean benchmark
server, the normalizer was a quarter of a full load's CPU time (py-spy).

Only a batch that fits the contract's types goes this way. A batch with type drift (the number
10004 in the text column `zip`) or a field the docs do not name goes through dlt's normalizer
as before, which coerces the value or gives it a variant column.
"""

from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa

from pipelines.settings import CONTENT_HASH, CURSOR_FIELD
from pipelines.sources.contacts.contract import ContactContract

# dlt's own name for the row id it adds to every row.
ROW_ID_COLUMN = "_dlt_id"

# dlt data type -> its Arrow type, as dlt maps them for DuckDB and PostgreSQL: microsecond
# timestamps in UTC, and `json` as its text.
_ARROW_TYPES = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "json": pa.string(),
}
# Arrow's answers to a value of another type than its column's.
_DOES_NOT_FIT = (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError)


def arrow_schema(contract: ContactContract) -> pa.Schema:
    """The Arrow schema of a batch: the documented fields, the fingerprint and dlt's row id.

    The order and the nullability are those of the table dlt keeps, so that normalize finds
    nothing to change and imports the file as it is. `_dlt_load_id` is added by dlt's
    extract (`add_dlt_load_id` in `.dlt/config.toml`).
    """
    return pa.schema(
        [
            *(
                pa.field(name, _ARROW_TYPES[kind], nullable=name != "id")
                for name, kind in contract.fields.items()
            ),
            pa.field(CONTENT_HASH, pa.string()),
            pa.field(ROW_ID_COLUMN, pa.string(), nullable=False),
        ]
    )


class ArrowBatches:
    """Gathers checked contacts into Arrow tables of one contract's columns.

    dlt pays a fixed cost for every item a resource yields (it computes the table's schema
    and applies the incremental cursor each time): a third of a full load's time with one
    table per 100-contact page. Pages are therefore gathered into tables of about
    `rows_per_table` contacts.
    """

    def __init__(self, contract: ContactContract, rows_per_table: int = 20_000) -> None:
        self._schema = arrow_schema(contract)
        self._schema_without_row_id = self._schema.remove(
            self._schema.get_field_index(ROW_ID_COLUMN)
        )
        self._names = frozenset(contract.fields) | {CONTENT_HASH}
        self._json_fields = contract.fields_of("json")
        self._integer_fields = contract.fields_of("bigint")
        self._rows_per_table = rows_per_table
        self._gathered: list[pa.Table] = []
        self._gathered_rows = 0
        self._cursor_in_tables = False

    def add(self, contacts: list[dict[str, Any]]) -> Iterator[pa.Table | list[dict[str, Any]]]:
        """What is ready to yield once `contacts` are added: a full table, or `contacts` as
        they are when one of them does not fit the contract's types.

        Each contact must have been read by the contract (timestamps as datetimes) and carry
        its fingerprint.
        """
        table = self._table(contacts) if contacts else None
        if table is None:
            if contacts:
                yield contacts
            return
        self._gathered.append(table)
        self._gathered_rows += table.num_rows
        if self._gathered_rows >= self._rows_per_table:
            yield from self.flush()

    def trips_dlt_incremental(self, ready: Any, cursor: Any) -> bool:
        """Whether dlt's incremental would fail on `ready`, rows without a cursor after
        tables with one were yielded, in a run that starts without a cursor.

        dlt keeps a cursor per kind of item; the one for rows starts empty in such a run, and
        with a lag it then compares the cursor of the tables with nothing ("'>' not supported
        between datetime and None", dlt 1.31). Such rows belong to the second, cursor-free pass.
        """
        return (
            cursor is None
            and self._cursor_in_tables
            and isinstance(ready, list)
            and all(contact.get(CURSOR_FIELD) is None for contact in ready)
        )

    def flush(self) -> Iterator[pa.Table]:
        """The contacts gathered so far, as one table."""
        if self._gathered:
            table = pa.concat_tables(self._gathered)
            # What dlt has seen decides whether rows without a cursor trip it.
            self._cursor_in_tables |= table[CURSOR_FIELD].null_count < len(table)
            yield table
        self._gathered = []
        self._gathered_rows = 0

    def _table(self, contacts: list[dict[str, Any]]) -> pa.Table | None:
        if any(not contact.keys() <= self._names for contact in contacts):
            return None
        # Arrow truncates 3.5 into an integer column without a word; dlt gives it a variant.
        if any(
            isinstance(contact.get(name), float)
            for contact in contacts
            for name in self._integer_fields
        ):
            return None
        rows = contacts
        if self._json_fields:
            rows = [self._with_json_as_text(contact) for contact in contacts]
        try:
            table = pa.Table.from_pylist(rows, schema=self._schema_without_row_id)
        except _DOES_NOT_FIT:
            return None
        # The fingerprint doubles as dlt's row id: it is unique per contact and content, and
        # nothing needs a random one (there are no nested tables to link).
        return table.append_column(self._schema.field(ROW_ID_COLUMN), table[CONTENT_HASH])

    def _with_json_as_text(self, contact: dict[str, Any]) -> dict[str, Any]:
        converted = dict(contact)
        for name in self._json_fields:
            value = converted.get(name)
            if value is not None:
                converted[name] = orjson.dumps(value).decode()
        return converted
