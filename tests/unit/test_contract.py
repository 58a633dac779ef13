"""`parse_api_timestamp` and `ContactContract`, read with both APIs' real contracts."""

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from pipelines.http.errors import NotJsonNumber
from pipelines.sources.contacts.contract import (
    ContactContract,
    RejectedContact,
    parse_api_timestamp,
    raw_payload,
)
from pipelines.sources.levcapital.settings import CONTACT_CONTRACT as LEVCAPITAL
from pipelines.sources.sprintmode.settings import CONTACT_CONTRACT as SPRINTMODE

MOMENT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
EPOCH = 1_704_164_645  # MOMENT in epoch seconds


# parse_api_timestamp


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2024-01-02T03:04:05Z", MOMENT, id="iso-z"),
        pytest.param("2024-01-02T05:04:05+02:00", MOMENT, id="iso-positive-offset"),
        pytest.param("2024-01-01T22:04:05-05:00", MOMENT, id="iso-negative-offset"),
        pytest.param("2024-01-02T03:04:05.250Z", MOMENT.replace(microsecond=250_000), id="iso-ms"),
        pytest.param("2024-01-02T03:04:05", MOMENT, id="iso-naive-as-utc"),
        pytest.param("2024-01-02 03:04:05", MOMENT, id="sprintmode-space-format-as-utc"),
        pytest.param(" 2024-01-02T03:04:05Z ", MOMENT, id="surrounding-whitespace"),
        pytest.param(EPOCH, MOMENT, id="epoch-seconds"),
        pytest.param(EPOCH + 0.5, MOMENT.replace(microsecond=500_000), id="epoch-float-seconds"),
        pytest.param(EPOCH * 1000 + 123, MOMENT.replace(microsecond=123_000), id="epoch-ms"),
        pytest.param(
            datetime(2024, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))),
            MOMENT,
            id="aware-datetime",
        ),
        pytest.param(datetime(2024, 1, 2, 3, 4, 5), MOMENT, id="naive-datetime-as-utc"),
    ],
)
def test_a_timestamp_is_read_as_an_aware_utc_datetime(value: Any, expected: datetime) -> None:
    parsed = parse_api_timestamp(value)

    assert parsed == expected
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(99_999_999_999, datetime(5138, 11, 16, 9, 46, 39, tzinfo=UTC), id="seconds"),
        pytest.param(100_000_000_000, datetime(1973, 3, 3, 9, 46, 40, tzinfo=UTC), id="millis"),
    ],
)
def test_epoch_values_from_1e11_on_are_milliseconds(value: int, expected: datetime) -> None:
    assert parse_api_timestamp(value) == expected


@pytest.mark.parametrize(
    "value", [pytest.param(None, id="none"), pytest.param("", id="empty-string")]
)
def test_an_empty_timestamp_is_none(value: Any) -> None:
    assert parse_api_timestamp(value) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("yesterday", "Invalid isoformat string: 'yesterday'", id="words"),
        pytest.param("2024-13-01", "month must be in 1..12", id="month-13"),
        pytest.param("   ", "Invalid isoformat string: ''", id="only-whitespace"),
        pytest.param({"at": 1}, "not a timestamp: an object", id="object"),
        pytest.param([2024, 1, 2], "not a timestamp: a list", id="list"),
        pytest.param(True, "not a timestamp: a boolean", id="boolean"),
    ],
)
def test_a_value_that_is_no_timestamp_raises_value_error(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_api_timestamp(value)


# ContactContract.read: what sets a contact aside


def rejection(contract: ContactContract, item: Any) -> RejectedContact:
    with pytest.raises(RejectedContact) as caught:
        contract.read(item)
    return caught.value


@pytest.mark.parametrize(
    ("contract", "item", "contact_id", "reason"),
    [
        pytest.param(LEVCAPITAL, {"first_name": "Ada"}, None, "has no id", id="lev-no-id"),
        pytest.param(LEVCAPITAL, {"id": None}, None, "has no id", id="lev-null-id"),
        pytest.param(SPRINTMODE, {"id": ""}, None, "has no id", id="sm-empty-id"),
        pytest.param(
            LEVCAPITAL,
            {"id": "42"},
            None,
            "has an id that is a string, not an integer",
            id="lev-string-id",
        ),
        pytest.param(
            LEVCAPITAL, {"id": 4.2}, None, "has an id that is a number, not an integer", id="float"
        ),
        pytest.param(
            LEVCAPITAL, {"id": True}, None, "has an id that is a boolean, not an integer", id="bool"
        ),
        pytest.param(
            SPRINTMODE, {"id": 42}, None, "has an id that is a number, not a string", id="sm-int-id"
        ),
        pytest.param(
            SPRINTMODE,
            {"id": {"value": "c1"}},
            None,
            "has an id that is an object, not a string",
            id="sm-object-id",
        ),
        pytest.param(
            LEVCAPITAL,
            {"id": 1, "created_at": "yesterday"},
            1,
            "created_at is unreadable: Invalid isoformat string: 'yesterday'",
            id="lev-unreadable-timestamp",
        ),
        pytest.param(
            SPRINTMODE,
            {"id": "c1", "last_engagement_at": {"at": 1}},
            "c1",
            "last_engagement_at is unreadable: not a timestamp: an object",
            id="sm-object-timestamp",
        ),
        pytest.param(
            LEVCAPITAL,
            {"id": 1, "city": {"name": "Paris"}},
            1,
            "city is an object, not a string",
            id="lev-object-for-a-string",
        ),
        pytest.param(
            LEVCAPITAL,
            {"id": 1, "owner_account_id": [1, 2]},
            1,
            "owner_account_id is a list, not an integer",
            id="lev-list-for-an-integer",
        ),
        pytest.param(
            SPRINTMODE,
            {"id": "c1", "tags": ["vip"]},
            "c1",
            "tags is a list, not a string",
            id="sm-list-for-a-string",
        ),
        pytest.param(
            LEVCAPITAL,
            {"id": 1, "first_name": 42},
            1,
            "first_name is a number, not a string",
            id="lev-number-for-a-name",
        ),
        pytest.param(
            SPRINTMODE,
            {"id": "c1", "full_name": 42},
            "c1",
            "full_name is a number, not a string",
            id="sm-number-for-a-name",
        ),
        pytest.param(
            SPRINTMODE,
            {"id": "c1", "email": False},
            "c1",
            "email is a boolean, not a string",
            id="sm-boolean-for-an-email",
        ),
        pytest.param(
            LEVCAPITAL,
            {"id": 1, "city": "x" * 65_537},
            1,
            "city is 65,537 characters long, over the limit of 65,536",
            id="lev-string-over-the-limit",
        ),
        pytest.param(
            SPRINTMODE,
            {"id": "c1", "biography": "x" * 65_537},
            "c1",
            "biography is 65,537 characters long, over the limit of 65,536",
            id="sm-undocumented-string-over-the-limit",
        ),
        pytest.param(
            LEVCAPITAL, [1, 2], None, "is a list, not a contact object", id="lev-list-item"
        ),
        pytest.param(
            SPRINTMODE, "c1", None, "is a string, not a contact object", id="sm-string-item"
        ),
        pytest.param(LEVCAPITAL, 7, None, "is a number, not a contact object", id="number-item"),
        pytest.param(
            LEVCAPITAL,
            {"id": 1, "title": "VP\x00Sales"},
            1,
            "title contains a NUL character (\\u0000), which PostgreSQL cannot store",
            id="lev-nul-in-a-title",
        ),
        pytest.param(
            SPRINTMODE,
            {"id": "c1", "nickname": "\x00"},
            "c1",
            "nickname contains a NUL character (\\u0000), which PostgreSQL cannot store",
            id="sm-nul-in-an-undocumented-field",
        ),
        pytest.param(
            SPRINTMODE,
            {"id": "c1", "enrichment_data": {"notes": ["ok", {"x": "a\x00"}]}},
            "c1",
            "enrichment_data holds a text that contains a NUL character (\\u0000), which "
            "PostgreSQL cannot store",
            id="sm-nul-nested-in-json",
        ),
        pytest.param(
            SPRINTMODE,
            {"id": "c1", "enrichment_data": {"\x00": 1}},
            "c1",
            "enrichment_data holds a text that contains a NUL character (\\u0000), which "
            "PostgreSQL cannot store",
            id="sm-nul-in-a-json-key",
        ),
        pytest.param(
            SPRINTMODE,
            {"id": "c1", "bad\x00name": 1},
            "c1",
            "has a field name that contains a NUL character (\\u0000), which PostgreSQL cannot "
            "store",
            id="sm-nul-in-a-field-name",
        ),
        pytest.param(
            SPRINTMODE,
            {"id": "c\x001"},
            None,
            "has an id that contains a NUL character (\\u0000), which PostgreSQL cannot store",
            id="sm-nul-in-the-id",
        ),
        pytest.param(
            LEVCAPITAL,
            {"id": 1, "first_name": "Ann\ud800"},
            1,
            "first_name is not valid Unicode (it holds a lone surrogate), which no database can "
            "store",
            id="lev-lone-surrogate",
        ),
        pytest.param(
            SPRINTMODE,
            {"id": "c1", "enrichment_data": {"f": NotJsonNumber("nan")}},
            "c1",
            "enrichment_data holds NaN, which is no JSON number",
            id="sm-nan-in-json",
        ),
        pytest.param(
            SPRINTMODE,
            {"id": "c1", "engagement_score": NotJsonNumber("-inf")},
            "c1",
            "engagement_score holds -Infinity, which is no JSON number",
            id="sm-infinity-for-an-integer",
        ),
    ],
)
def test_a_contact_that_breaks_the_contract_is_rejected_with_its_reason(
    contract: ContactContract, item: Any, contact_id: Any, reason: str
) -> None:
    rejected = rejection(contract, item)

    assert rejected.contact_id == contact_id
    assert rejected.reason == reason
    assert str(rejected) == reason


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(10**20, id="past-the-year-9999"),
        pytest.param(float("nan"), id="nan"),
    ],
)
def test_an_epoch_value_no_datetime_can_hold_is_rejected_as_unreadable(value: float) -> None:
    # datetime raises OverflowError, OSError or ValueError depending on the value.
    rejected = rejection(LEVCAPITAL, {"id": 1, "updated_at": value})

    assert rejected.contact_id == 1
    assert rejected.reason.startswith("updated_at is unreadable: ")


def test_a_lower_text_limit_rejects_a_shorter_string() -> None:
    contract = LEVCAPITAL.with_max_text_length(10)

    assert contract.read({"id": 1, "city": "x" * 10})["city"] == "x" * 10
    assert rejection(contract, {"id": 1, "city": "x" * 11}).reason == (
        "city is 11 characters long, over the limit of 10"
    )
    assert contract.fields == LEVCAPITAL.fields
    assert contract.strict_text == LEVCAPITAL.strict_text


# ContactContract.read: what is tolerated


@pytest.mark.parametrize(
    ("contract", "item"),
    [
        pytest.param(LEVCAPITAL, {"id": 1, "zip": 10004}, id="lev-number-in-zip"),
        pytest.param(SPRINTMODE, {"id": "c1", "phone": 5551234}, id="sm-number-in-phone"),
        pytest.param(SPRINTMODE, {"id": "c1", "engagement_score": "high"}, id="sm-string-score"),
        pytest.param(LEVCAPITAL, {"id": 1, "is_primary": "yes"}, id="lev-string-in-a-bool"),
        pytest.param(LEVCAPITAL, {"id": 1}, id="lev-only-an-id"),
        pytest.param(SPRINTMODE, {"id": "c1"}, id="sm-only-an-id"),
        pytest.param(LEVCAPITAL, {"id": 0}, id="lev-id-zero"),
        pytest.param(
            LEVCAPITAL,
            {"id": 1, "first_name": None, "email": None, "created_at": None},
            id="lev-null-fields",
        ),
        pytest.param(
            LEVCAPITAL, {"id": 1, "favourite_colour": {"r": 1}}, id="lev-undocumented-object"
        ),
        pytest.param(SPRINTMODE, {"id": "c1", "score_v2": [1, 2]}, id="sm-undocumented-list"),
        pytest.param(
            SPRINTMODE, {"id": "c1", "enrichment_data": {"a": [1]}}, id="sm-object-in-json-field"
        ),
    ],
)
def test_drift_that_dlt_can_load_is_passed_on_as_it_came(
    contract: ContactContract, item: dict[str, Any]
) -> None:
    assert contract.read(item) == item


def test_timestamps_are_parsed_and_the_rest_is_kept() -> None:
    item = {
        "id": "c1",
        "first_name": "Ada",
        "created_at": "2024-01-02 03:04:05",
        "updated_at": "2024-01-02T05:04:05+02:00",
        "last_engagement_at": EPOCH,
    }

    assert SPRINTMODE.read(item) == {
        "id": "c1",
        "first_name": "Ada",
        "created_at": MOMENT,
        "updated_at": MOMENT,
        "last_engagement_at": MOMENT,
    }


@pytest.mark.parametrize(
    "item",
    [
        pytest.param({"id": 1, "created_at": "2024-01-02T03:04:05Z", "tags": ["a"]}, id="read"),
        pytest.param({"id": 1, "first_name": 42, "created_at": "2024-01-02"}, id="rejected"),
    ],
)
def test_reading_leaves_the_item_as_it_was(item: dict[str, Any]) -> None:
    before = copy.deepcopy(item)

    try:
        contact = LEVCAPITAL.read(item)
    except RejectedContact:
        pass
    else:
        assert contact is not item

    assert item == before


# columns and construction


def test_columns_declare_every_documented_field_in_the_docs_order() -> None:
    columns = LEVCAPITAL.columns()

    assert [c["name"] for c in columns] == list(LEVCAPITAL.fields)
    assert columns[0] == {"name": "id", "data_type": "bigint", "nullable": False}
    assert {"name": "updated_at", "data_type": "timestamp", "nullable": True} in columns
    assert all(c["nullable"] for c in columns[1:])


def test_sprintmode_columns_have_a_text_id_and_a_json_field() -> None:
    columns = {c["name"]: c for c in SPRINTMODE.columns()}

    assert columns["id"] == {"name": "id", "data_type": "text", "nullable": False}
    assert columns["enrichment_data"]["data_type"] == "json"
    assert columns["engagement_score"]["data_type"] == "bigint"
    assert len(columns) == 29


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"email": "text"}, id="no-id"),
        pytest.param({"id": "bigint", "email": "varchar"}, id="unknown-type"),
    ],
)
def test_a_contract_without_an_id_or_with_an_unknown_type_is_refused(
    fields: dict[str, str],
) -> None:
    with pytest.raises(ValueError, match="a contract needs an `id` and known types"):
        ContactContract(fields)


def test_the_raw_payload_is_the_item_as_json_text() -> None:
    assert raw_payload({"id": 1, "name": "Zoë"}) == '{"id": 1, "name": "Zoë"}'


@pytest.mark.parametrize(
    ("item", "payload"),
    [
        pytest.param({"t": "a\x00b"}, '{"t": "a\\u0000b"}', id="nul-as-its-escape"),
        pytest.param({"t": "Zoë\ud800"}, '{"t": "Zo\\u00eb\\ud800"}', id="surrogate-in-ascii"),
        pytest.param({"f": NotJsonNumber("nan")}, '{"f": NaN}', id="nan-as-sent"),
    ],
)
def test_the_raw_payload_of_a_value_no_database_takes_is_text_every_database_takes(
    item: dict[str, Any], payload: str
) -> None:
    assert raw_payload(item) == payload
    assert "\x00" not in payload
    payload.encode()


def test_fields_of_names_the_fields_of_those_types_in_the_docs_order() -> None:
    assert LEVCAPITAL.fields_of("timestamp") == ("created_at", "updated_at")
    assert LEVCAPITAL.fields_of("bigint", "bool") == (
        "id",
        "is_primary",
        "owner_account_id",
        "is_connected",
    )
