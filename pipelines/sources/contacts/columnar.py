"""Contacts as Arrow tables of the documented columns: dlt then writes them as they are.

A list of dicts goes through dlt's relational normalizer: every value coerced in Python, a
random `_dlt_id` drawn per row, then the rows written out as JSON and read back. An Arrow
table whose columns already match the table's schema is written by the extract as Parquet and
imported by normalize untouched. Measured at 40k contacts per API against the lean benchmark
server, the normalizer was a quarter of a full load's CPU time (py-spy).

A page of changed contacts that all fit the contract is built column by column by
`ColumnarReader`, from the values as the API sent them: half the time of reading each contact
with the contract and building the table from dicts (6.5 against 13.7 µs per SprintMode
contact). Any page it cannot read exactly (a field the docs do not name, a value of another
type, a timestamp in another form) is read contact by contact instead, by the contract, which
also sets aside a contact that breaks it. A batch with type drift (the number 10004 in the text
column `zip`) then goes through dlt's normalizer as before, which coerces the value or gives it
a variant column.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.settings import CONTENT_HASH, CURSOR_FIELD
from pipelines.sources.contacts.changes import Changed
from pipelines.sources.contacts.contract import ContactContract

# dlt's own name for the row id it adds to every row.
ROW_ID_COLUMN = "_dlt_id"

_UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
# dlt data type -> its Arrow type, as dlt maps them for DuckDB and PostgreSQL: microsecond
# timestamps in UTC, and `json` as its text.
_ARROW_TYPES = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": _UTC_TIMESTAMP,
    "json": pa.string(),
}
# How canonical JSON writes a NUL character.
_NUL_ESCAPE = b"\\u0000"
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

    def __init__(self, contract: ContactContract, rows_per_table: int = 5_000) -> None:
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
        yield from self.add_table(table)

    def add_table(self, table: pa.Table) -> Iterator[pa.Table]:
        """What is ready to yield once `table`, of `arrow_schema`'s columns, is added."""
        if not table.num_rows:
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
                converted[name] = json_text(value)
        return converted


def json_text(value: Any) -> str:
    """A JSON value as its text, for a `json` column: dlt and the destinations read it back.

    orjson writes it in a fraction of json's time; json writes what orjson refuses, an integer
    beyond 64 bits, which DuckDB's JSON and PostgreSQL's jsonb both store.
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


class ColumnarReader:
    """Reads a page of changed contacts into a table of `arrow_schema`'s columns, or tells
    that it cannot, without the contract reading each contact.

    It builds exactly the table that the contract's reading and `ArrowBatches` would, or
    none: the page then goes through the contract contact by contact, which is also what
    sets a broken contact aside. Each column is built from the values as the API sent them,
    and Arrow refuses a value of another type than its column's (a number for a name, `true`
    for an integer, an object for text). A timestamp column is cast from its text in one go:
    ISO 8601 with `Z` or an offset, or SprintMode's `YYYY-MM-DD HH:MM:SS`, taken as UTC as
    the contract takes it.
    """

    def __init__(self, contract: ContactContract) -> None:
        self._schema = arrow_schema(contract)
        self._fields = contract.fields
        self._field_names = frozenset(contract.fields)
        self._max_text_length = contract.max_text_length
        self._naive_timestamps: set[str] = set()
        """Timestamp fields whose last page had no offsets: their text is cast that way first."""

    def read(self, changed: list[Changed]) -> pa.Table | None:
        """The contacts of `changed` as one table, with their fingerprints; None when the
        contract must read them one by one."""
        if not all(
            entry.canonical is not None
            and entry.contact_id is not None
            and entry.item.keys() <= self._field_names
            # A NUL character, which the contract sets aside; the canonical JSON escapes it.
            and _NUL_ESCAPE not in entry.canonical
            for entry in changed
        ):
            return None
        # The contract's limit on text, in characters: no value is longer than its contact's
        # canonical JSON in bytes, so one comparison per contact clears nearly every page.
        if max(len(entry.canonical) for entry in changed) > self._max_text_length:
            return None
        items = [entry.item for entry in changed]
        try:
            columns = [
                self._column(name, kind, [item.get(name) for item in items])
                for name, kind in self._fields.items()
            ]
        except _DOES_NOT_FIT:
            return None
        if any(column is None for column in columns):
            return None
        fingerprints = pa.array([entry.fingerprint for entry in changed], pa.string())
        # The fingerprint doubles as dlt's row id, as in `ArrowBatches`.
        return pa.Table.from_arrays([*columns, fingerprints, fingerprints], schema=self._schema)

    def _column(self, name: str, kind: str, values: list[Any]) -> pa.Array | None:
        if kind == "timestamp":
            return self._timestamps(name, pa.array(values, pa.string()))
        if kind == "json":
            return pa.array(
                [None if value is None else json_text(value) for value in values], pa.string()
            )
        # Arrow truncates 3.0 into an integer column without a word; the contract reads it as
        # drift, for dlt to give it a variant column.
        if kind == "bigint" and any(type(value) is float for value in values):
            return None
        return pa.array(values, _ARROW_TYPES[kind])

    def _timestamps(self, name: str, texts: pa.Array) -> pa.Array | None:
        """Timestamps cast from their text to UTC; None when one is in no form cast here."""
        naive_first = name in self._naive_timestamps
        for naive in (naive_first, not naive_first):
            try:
                if naive:
                    # Arrow casts a timestamp without an offset only to a naive one, kept as UTC.
                    cast = texts.cast(pa.timestamp("us")).cast(_UTC_TIMESTAMP)
                else:
                    cast = texts.cast(_UTC_TIMESTAMP)
            except _DOES_NOT_FIT:
                continue
            if naive:
                self._naive_timestamps.add(name)
            else:
                self._naive_timestamps.discard(name)
            return cast if _within_datetime_range(cast) else None
        return None


# The instants a Python datetime, and so the contract, can hold in UTC. Arrow casts years 0 and
# 10000 too (`0001-01-01T00:00:00+05:00` is in year 0 in UTC), which PostgreSQL refuses.
_EARLIEST = pa.scalar(datetime(1, 1, 1, tzinfo=UTC), _UTC_TIMESTAMP)
_LATEST = pa.scalar(datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), _UTC_TIMESTAMP)


def _within_datetime_range(timestamps: pa.Array) -> bool:
    bounds = pc.min_max(timestamps)
    low, high = bounds["min"], bounds["max"]
    return not low.is_valid or (
        pc.greater_equal(low, _EARLIEST).as_py() and pc.less_equal(high, _LATEST).as_py()
    )


def split_behind(table: pa.Table, cursor: Any) -> tuple[pa.Table, list[bool]]:
    """The rows whose `updated_at` is not older than the cursor (less the lag), and for each
    row of `table` whether it is older: dlt's incremental would drop those."""
    if cursor is not None and CURSOR_FIELD in table.column_names:
        older = pc.fill_null(pc.less(table[CURSOR_FIELD], pa.scalar(cursor, _UTC_TIMESTAMP)), False)
        if pc.any(older).as_py():
            return table.filter(pc.invert(older)), older.to_pylist()
    return table, [False] * table.num_rows
