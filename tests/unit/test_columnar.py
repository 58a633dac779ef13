"""`ArrowBatches`: checked contacts as Arrow tables that dlt writes without normalizing."""

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from pipelines.settings import CONTENT_HASH
from pipelines.sources.contacts.changes import fingerprint
from pipelines.sources.contacts.columnar import ROW_ID_COLUMN, ArrowBatches, arrow_schema
from pipelines.sources.levcapital.settings import CONTACT_CONTRACT as LEVCAPITAL
from pipelines.sources.sprintmode.settings import CONTACT_CONTRACT as SPRINTMODE

UPDATED_AT = "2024-06-02T10:00:00Z"


def checked(item: dict[str, Any], contract=LEVCAPITAL) -> dict[str, Any]:
    """The contact as `ChangeSorter` hands it on: read by the contract, with its fingerprint."""
    contact = contract.read({"updated_at": UPDATED_AT, **item})
    contact[CONTENT_HASH] = fingerprint(contact)
    return contact


def one_table(batches: ArrowBatches, contacts: list[dict[str, Any]]) -> pa.Table:
    ready = [*batches.add(contacts), *batches.flush()]
    assert len(ready) == 1 and isinstance(ready[0], pa.Table)
    return ready[0]


def test_the_schema_is_the_documented_fields_then_the_fingerprint_and_row_id() -> None:
    schema = arrow_schema(LEVCAPITAL)
    assert schema.names == [*LEVCAPITAL.fields, CONTENT_HASH, ROW_ID_COLUMN]
    assert schema.field("id") == pa.field("id", pa.int64(), nullable=False)
    assert schema.field("updated_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("is_primary").type == pa.bool_()
    assert not schema.field(ROW_ID_COLUMN).nullable


def test_a_batch_becomes_one_table_with_every_column_and_its_values() -> None:
    contact = checked({"id": 7, "first_name": "Ada", "updated_at": "2024-06-02T10:00:00+02:00"})
    table = one_table(ArrowBatches(LEVCAPITAL), [contact])
    row = table.to_pylist()[0]
    assert table.schema == arrow_schema(LEVCAPITAL)
    assert row["id"] == 7 and row["first_name"] == "Ada" and row["email"] is None
    assert row["updated_at"] == datetime(2024, 6, 2, 8, 0, tzinfo=UTC)
    # The fingerprint doubles as dlt's row id: unique per contact and content.
    assert row[ROW_ID_COLUMN] == row[CONTENT_HASH] == contact[CONTENT_HASH]


def test_pages_are_gathered_until_the_table_is_full() -> None:
    batches = ArrowBatches(LEVCAPITAL, rows_per_table=3)
    assert list(batches.add([checked({"id": 1}), checked({"id": 2})])) == []
    [full] = batches.add([checked({"id": 3})])
    assert full.column("id").to_pylist() == [1, 2, 3]
    assert list(batches.flush()) == []


def test_json_goes_as_its_text() -> None:
    contact = checked({"id": "c1", "enrichment_data": {"industry": "Media"}}, SPRINTMODE)
    table = one_table(ArrowBatches(SPRINTMODE), [contact])
    assert table.column("enrichment_data").to_pylist() == ['{"industry":"Media"}']


@pytest.mark.parametrize(
    "drifted",
    [
        pytest.param({"zip": 10004}, id="a number in a text column"),
        pytest.param({"owner_account_id": 3.5}, id="a fraction in an integer column"),
        pytest.param({"is_primary": "yes"}, id="text in a boolean column"),
        pytest.param({"favourite_colour": "teal"}, id="a field the docs do not name"),
    ],
)
def test_a_page_that_does_not_fit_goes_on_as_dicts_for_dlt_to_coerce(drifted) -> None:
    batches = ArrowBatches(LEVCAPITAL)
    fits = checked({"id": 1})
    drifting = checked({"id": 2, **drifted})
    assert list(batches.add([fits])) == []
    # The page with the drift comes back as it is; what fitted waits for the next table.
    assert list(batches.add([drifting])) == [[drifting]]
    [table] = batches.flush()
    assert table.column("id").to_pylist() == [1]


def test_rows_without_a_cursor_after_tables_with_one_would_trip_dlt_in_a_first_run() -> None:
    batches = ArrowBatches(LEVCAPITAL, rows_per_table=1)
    without_cursor = [checked({"id": 2, "zip": 10004, "updated_at": None})]
    # Before any table, or once a cursor is kept, dlt copes.
    assert not batches.trips_dlt_incremental(without_cursor, cursor=None)
    list(batches.add([checked({"id": 1})]))
    assert batches.trips_dlt_incremental(without_cursor, cursor=None)
    assert not batches.trips_dlt_incremental(
        without_cursor, cursor=datetime(2024, 6, 1, tzinfo=UTC)
    )
    with_cursor = [checked({"id": 3, "zip": 10004})]
    assert not batches.trips_dlt_incremental(with_cursor, cursor=None)
