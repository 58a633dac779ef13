"""`ArrowBatches` and `ColumnarReader`: contacts as Arrow tables that dlt writes without
normalizing."""

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from pipelines.settings import CONTENT_HASH
from pipelines.sources.contacts.changes import Changed, ChangeSorter, fingerprint, staged
from pipelines.sources.contacts.columnar import (
    ROW_ID_COLUMN,
    ArrowBatches,
    ColumnarReader,
    arrow_schema,
    split_behind,
)
from pipelines.sources.contacts.contract import RejectedContact
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


def test_json_with_an_integer_beyond_64_bits_goes_as_its_exact_text() -> None:
    # orjson refuses it; both databases store it in JSON.
    contact = checked({"id": "c1", "enrichment_data": {"n": 2**70, "a": "é"}}, SPRINTMODE)
    table = one_table(ArrowBatches(SPRINTMODE), [contact])
    assert table.column("enrichment_data").to_pylist() == [
        '{"n": 1180591620717411303424, "a": "é"}'
    ]


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


# ColumnarReader: the same table, without the contract reading each contact

SPRINTMODE_ITEM = {
    "id": "ct_1",
    "email": "ada@example.com",
    "first_name": "Ada",
    "full_name": None,
    "engagement_score": 58,
    "portal_access": 0,
    "enrichment_data": {"company_size": "11-50", "industry": "Media"},
    "last_engagement_at": None,
    "created_at": "2026-06-30 21:26:40",
    "updated_at": "2026-06-30 21:39:37",
}


def changed_of(items: list[Any], contract=LEVCAPITAL) -> list[Changed]:
    """`items` as the ledger hands on new contacts."""
    return [Changed(item, *staged(item)) for item in items]


def read_by_contract(items: list[Any], contract=LEVCAPITAL) -> pa.Table:
    """The table the contract's reading and `ArrowBatches` build of `items`."""
    contacts = ChangeSorter(contract, cursor=None).sort(changed_of(items, contract))
    return one_table(ArrowBatches(contract), contacts)


@pytest.mark.parametrize(
    ("items", "contract"),
    [
        pytest.param([SPRINTMODE_ITEM, {"id": "ct_2"}], SPRINTMODE, id="sprintmode"),
        pytest.param(
            [
                {"id": 7, "first_name": "Ada", "is_primary": True, "owner_account_id": 3,
                 "updated_at": "2024-06-02T10:00:00+02:00"},
                {"id": 8, "zip": "10004", "created_at": "2024-06-01T00:00:00Z"},
            ],
            LEVCAPITAL,
            id="levcapital",
        ),
    ],
)  # fmt: skip
def test_the_reader_builds_the_table_the_contract_would(items, contract) -> None:
    table = ColumnarReader(contract).read(changed_of(items, contract))

    assert table is not None
    assert table.equals(read_by_contract(items, contract))
    assert table.column("id").to_pylist() == [item["id"] for item in items]


def test_the_reader_keeps_json_as_its_text_and_naive_timestamps_as_utc() -> None:
    [row] = ColumnarReader(SPRINTMODE).read(changed_of([SPRINTMODE_ITEM], SPRINTMODE)).to_pylist()

    assert row["enrichment_data"] == '{"company_size":"11-50","industry":"Media"}'
    assert row["updated_at"] == datetime(2026, 6, 30, 21, 39, 37, tzinfo=UTC)
    assert row["engagement_score"] == 58
    assert row[CONTENT_HASH] == row[ROW_ID_COLUMN] == fingerprint(SPRINTMODE_ITEM)


@pytest.mark.parametrize(
    ("updated_at", "expected"),
    [
        ("2024-06-02T10:00:00Z", datetime(2024, 6, 2, 10, tzinfo=UTC)),
        ("2024-06-02T10:00:00+02:00", datetime(2024, 6, 2, 8, tzinfo=UTC)),
        ("2024-06-02T10:00:00-0500", datetime(2024, 6, 2, 15, tzinfo=UTC)),
        ("2024-06-02T10:00:00.123456Z", datetime(2024, 6, 2, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-06-02 10:00:00", datetime(2024, 6, 2, 10, tzinfo=UTC)),
        ("2024-06-02T10:00:00", datetime(2024, 6, 2, 10, tzinfo=UTC)),
        ("2024-06-02", datetime(2024, 6, 2, tzinfo=UTC)),
    ],
)
def test_the_reader_casts_the_timestamp_forms_the_contract_reads(updated_at, expected) -> None:
    items = [{"id": 1, "updated_at": updated_at}]

    table = ColumnarReader(LEVCAPITAL).read(changed_of(items))

    assert table is not None
    assert table.column("updated_at").to_pylist() == [expected]
    assert table.equals(read_by_contract(items))


@pytest.mark.parametrize(
    "updated_at",
    [
        "2024-06-02T10:00:00.1234567Z",
        " 2024-06-02T10:00:00Z",
        "20240602T100000Z",
        "2024-06-02T10:00:00 +02:00",
        "2024-W22",
        "",
        1717322400,
        "2024-06-02T24:00:00",
        "yesterday",
    ],
)
def test_the_reader_leaves_other_timestamp_forms_to_the_contract(updated_at) -> None:
    items = [{"id": 1, "updated_at": updated_at}]

    assert ColumnarReader(LEVCAPITAL).read(changed_of(items)) is None


@pytest.mark.parametrize(
    "updated_at",
    [
        pytest.param("0001-01-01T00:00:00+05:00", id="year-0-in-utc"),
        pytest.param("9999-12-31T23:59:59-05:00", id="year-10000-in-utc"),
    ],
)
def test_the_reader_leaves_instants_no_datetime_can_hold_to_the_contract(updated_at) -> None:
    items = [{"id": 1, "updated_at": "2024-06-02T10:00:00Z"}, {"id": 2, "updated_at": updated_at}]

    assert ColumnarReader(LEVCAPITAL).read(changed_of(items)) is None
    with pytest.raises(RejectedContact, match=r"^updated_at is unreadable"):
        LEVCAPITAL.read(items[1])


def test_the_reader_leaves_a_column_of_mixed_timestamp_forms_to_the_contract() -> None:
    items = [
        {"id": 1, "updated_at": "2024-06-02T10:00:00Z"},
        {"id": 2, "updated_at": "2024-06-02 10:00:00"},
    ]
    reader = ColumnarReader(LEVCAPITAL)

    assert reader.read(changed_of(items)) is None
    # Each form alone, in either order, is read.
    assert reader.read(changed_of(items[1:])) is not None
    assert reader.read(changed_of(items[:1])) is not None


@pytest.mark.parametrize(
    "item",
    [
        pytest.param({"id": 1, "favourite_colour": "teal"}, id="a field the docs do not name"),
        pytest.param({"id": 1, "first_name": 7}, id="a number for a name"),
        pytest.param({"id": 1, "zip": 10004}, id="a number in a text column"),
        pytest.param({"id": 1, "owner_account_id": 3.0}, id="a float in an integer column"),
        pytest.param({"id": 1, "owner_account_id": True}, id="a boolean in an integer column"),
        pytest.param({"id": 1, "is_primary": 1}, id="a number in a boolean column"),
        pytest.param({"id": 1, "title": {"name": "CFO"}}, id="an object in a text column"),
        pytest.param({"id": 1, "owner_account_id": 2**70}, id="an integer beyond 64 bits"),
        pytest.param({"id": 1, "title": "VP\x00"}, id="a NUL character"),
        pytest.param({"id": 1, "title": "VP\ud800"}, id="a lone surrogate"),
        pytest.param({"id": "1"}, id="an id of another type"),
        pytest.param({"id": ""}, id="an empty id"),
        pytest.param({"first_name": "Ada"}, id="no id"),
        pytest.param(["not", "a", "contact"], id="no JSON object"),
    ],
)
def test_the_reader_leaves_a_page_with_one_contact_it_cannot_read_to_the_contract(item) -> None:
    page = [{"id": 2, "first_name": "Ada"}, item]

    assert ColumnarReader(LEVCAPITAL).read(changed_of(page)) is None


def test_the_reader_leaves_text_over_the_limit_to_the_contract() -> None:
    contract = LEVCAPITAL.with_max_text_length(40)
    reader = ColumnarReader(contract)

    assert reader.read(changed_of([{"id": 1, "address": "x" * 41}], contract)) is None
    assert reader.read(changed_of([{"id": 1, "title": "CFO"}], contract)) is not None


def test_split_behind_takes_out_the_rows_older_than_the_cursor() -> None:
    items = [
        {"id": 1, "updated_at": "2024-06-02T00:00:00Z"},
        {"id": 2, "updated_at": "2024-01-01T00:00:00Z"},
        {"id": 3},
    ]
    table = ColumnarReader(LEVCAPITAL).read(changed_of(items))

    current, behind = split_behind(table, datetime(2024, 6, 1, tzinfo=UTC))

    assert behind == [False, True, False]
    assert current.column("id").to_pylist() == [1, 3]
    assert split_behind(table, None) == (table, [False, False, False])
