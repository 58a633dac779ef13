"""dbt over raw data that moves: deletes, a raw table that is missing, a field that changes type.

Real loads (simulators -> dlt) into a temporary DuckDB file, then the raw tables are changed
the way the loader or dlt would change them, then `transform`.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.runs.load import load_sources
from pipelines.runs.transform import TransformResult, transform

# The same account as conftest's simulators, so the module's own build has the same contacts.

# The raw tables' id type per source, as dlt creates them.
ID_TYPES = {"levcapital": "bigint", "sprintmode": "varchar"}
DELETED_AT = datetime(2026, 3, 1, 2, 0, 0, 123456, tzinfo=UTC)
SPRINTMODE_DELETED_AT = datetime(2026, 2, 27, 2, 30, tzinfo=UTC)
# levcapital:27 and sprintmode:ct_69afd301 share an email. The LevCapital contact is the more
# recently updated, so its name and title win while it is live.
SHARED_PERSON_CONTACTS = ("levcapital:27", "sprintmode:ct_69afd301")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def read(duckdb_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def execute(duckdb_path: Path, *statements: str) -> None:
    with duckdb.connect(str(duckdb_path)) as connection:
        for statement in statements:
            connection.execute(statement)


def columns_of(duckdb_path: Path, schema: str, table: str) -> list[tuple[str, str]]:
    return read(
        duckdb_path,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        schema,
        table,
    )


def mark_deleted(duckdb_path: Path, source: str, contact_id: Any, deleted_at: datetime) -> None:
    """Writes a tombstone as the loader does: one row in raw_<source>.contact_deletions.

    The loader creates the table, empty, on its first run; it is created here when it is not
    there, so that these tests hold whether or not it did.
    """
    with duckdb.connect(str(duckdb_path)) as connection:
        connection.execute(
            f"create table if not exists raw_{source}.contact_deletions "
            f"(id {ID_TYPES[source]} not null, deleted_at timestamptz, "
            "_dlt_load_id varchar not null, _dlt_id varchar not null)"
        )
        connection.execute(
            f"insert into raw_{source}.contact_deletions (id, deleted_at, _dlt_load_id, _dlt_id) "
            "values (?, ?, '1795334811.5139601', 'test-' || ?)",
            [contact_id, deleted_at, str(contact_id)],
        )


def load_and_transform(duckdb_path: Path, source_args: dict[str, dict[str, Any]]) -> None:
    loads = load_sources(duckdb_path, source_args=source_args)
    assert [load.error for load in loads] == [None, None]
    result = transform(duckdb_path)
    assert result.ok, result.failures


@pytest.fixture(scope="module")
def deleted_build(
    tmp_path_factory: pytest.TempPathFactory, load_fresh_simulators: Callable[[Path], None]
) -> Iterator[Path]:
    """One load, tombstones for two contacts, one dbt build; read-only for the tests."""
    duckdb_path = tmp_path_factory.mktemp("deleted") / "contacts.duckdb"
    load_fresh_simulators(duckdb_path)
    mark_deleted(duckdb_path, "levcapital", 27, DELETED_AT)
    mark_deleted(duckdb_path, "sprintmode", "ct_00000001", SPRINTMODE_DELETED_AT)
    result = transform(duckdb_path)
    assert result.ok, result.failures
    assert result.notes == []
    yield duckdb_path


def test_a_tombstoned_contact_is_deleted_at_the_tombstones_time(deleted_build):
    assert read(
        deleted_build,
        "select contact_key, is_deleted, deleted_at from analytics.contacts "
        "where is_deleted or deleted_at is not null order by contact_key",
    ) == [
        ("levcapital:27", True, DELETED_AT),
        ("sprintmode:ct_00000001", True, SPRINTMODE_DELETED_AT),
    ]


def test_every_other_contact_is_live_and_kept(deleted_build):
    ((raw_rows,),) = read(
        deleted_build,
        "select (select count(*) from raw_levcapital.contacts)"
        " + (select count(*) from raw_sprintmode.contacts)",
    )

    assert read(
        deleted_build,
        "select count(*), count(*) filter (where is_deleted = false), count(deleted_at) "
        "from analytics.contacts",
    ) == [(raw_rows, raw_rows - 2, 2)]


def test_a_deleted_contact_keeps_its_last_known_values(deleted_build):
    assert read(
        deleted_build,
        "select full_name, title, email from analytics.contacts "
        "where contact_key = 'levcapital:27'",
    ) == [("Ashley Schröder", "VP, Originations", "aschroder@rheinland-immo.de")]


def test_a_person_whose_only_contact_is_deleted_is_deleted(deleted_build):
    assert read(
        deleted_build,
        "select p.is_deleted, p.n_contacts, p.n_live_contacts, p.in_levcapital, "
        "p.in_sprintmode, p.contact_keys "
        "from analytics.people as p inner join analytics.contacts as c using (person_key) "
        "where c.contact_key = 'sprintmode:ct_00000001'",
    ) == [(True, 1, 0, False, False, ["sprintmode:ct_00000001"])]


def test_people_prefer_live_contacts(deleted_build):
    # The deleted LevCapital contact is the more recently updated, and still loses.
    assert read(
        deleted_build,
        "select p.full_name, p.title, p.company_name, p.contact_keys, p.source_systems, "
        "p.n_contacts, p.n_live_contacts, p.in_levcapital, p.in_sprintmode, p.is_deleted "
        "from analytics.people as p inner join analytics.contacts as c using (person_key) "
        "where c.contact_key = ?",
        SHARED_PERSON_CONTACTS[0],
    ) == [
        (
            "Ashley",
            "VP Sales",
            "Rheinland Immobilien",
            list(SHARED_PERSON_CONTACTS),
            ["levcapital", "sprintmode"],
            2,
            1,
            False,
            True,
            False,
        )
    ]


def test_people_keep_every_person_of_contacts(deleted_build):
    ((people, persons_of_contacts),) = read(
        deleted_build,
        "select (select count(*) from analytics.people),"
        " (select count(distinct person_key) from analytics.contacts)",
    )

    assert people == persons_of_contacts
    assert read(
        deleted_build,
        "select count(*) filter (where n_live_contacts < n_contacts),"
        " count(*) filter (where is_deleted) from analytics.people",
    ) == [(2, 1)]


def test_history_records_a_delete_and_a_reappearance(duckdb_path, source_args, query):
    load_and_transform(duckdb_path, source_args)
    mark_deleted(duckdb_path, "levcapital", 78, DELETED_AT)
    assert transform(duckdb_path).ok
    # The contact is listed again: the loader hard-deletes its tombstone.
    execute(duckdb_path, "delete from raw_levcapital.contact_deletions where id = 78")
    assert transform(duckdb_path).ok

    versions = query(
        "select is_deleted, deleted_at, valid_from, valid_to from analytics.contacts_history "
        "where contact_key = 'levcapital:78' order by valid_from"
    )

    assert [(is_deleted, deleted_at) for is_deleted, deleted_at, _, _ in versions] == [
        (False, None),
        (True, DELETED_AT),
        (False, None),
    ]
    (_, _, first_from, first_to), (_, _, deleted_from, deleted_to), (_, _, back_from, back_to) = (
        versions
    )
    assert first_from < first_to == deleted_from < deleted_to == back_from
    assert back_to is None
    # No other contact has a second version.
    assert query(
        "select count(*) - count(distinct contact_key), count(valid_to) "
        "from analytics.contacts_history"
    ) == [(2, 2)]


def test_history_follows_the_loaders_deletes(duckdb_path, source_args, levcapital_sim, query):
    load_and_transform(duckdb_path, source_args)
    levcapital_sim.store.delete(78)
    load_and_transform(duckdb_path, source_args)
    raw_tombstones = query("select id, deleted_at from raw_levcapital.contact_deletions")
    levcapital_sim.store.set_connected(78, True)
    load_and_transform(duckdb_path, source_args)

    assert [contact_id for contact_id, _ in raw_tombstones] == [78]
    deleted_at = raw_tombstones[0][1]
    assert query(
        "select is_deleted, deleted_at, valid_to is null from analytics.contacts_history "
        "where contact_key = 'levcapital:78' order by valid_from"
    ) == [(False, None, False), (True, deleted_at, False), (False, None, True)]
    assert query("select count(*) from raw_levcapital.contact_deletions") == [(0,)]


def test_no_deletions_tables_means_no_deleted_contact(duckdb_path, source_args, query):
    load_sources(duckdb_path, source_args=source_args)
    # As before the loader first saw a deletion (it may create them empty on its first run).
    execute(
        duckdb_path,
        "drop table if exists raw_levcapital.contact_deletions",
        "drop table if exists raw_sprintmode.contact_deletions",
    )
    assert query(
        "select count(*) from information_schema.tables where table_name = 'contact_deletions' "
        "and table_schema in ('raw_levcapital', 'raw_sprintmode')"
    ) == [(0,)]

    result = transform(duckdb_path)

    assert result.ok, result.failures
    assert result.notes == []
    ((raw_rows,),) = query(
        "select (select count(*) from raw_levcapital.contacts)"
        " + (select count(*) from raw_sprintmode.contacts)"
    )
    assert query(
        "select count(*), count(*) filter (where is_deleted), count(deleted_at) "
        "from analytics.contacts"
    ) == [(raw_rows, 0, 0)]
    assert query(
        "select count(*) filter (where is_deleted), count(*) filter "
        "(where n_live_contacts != n_contacts) from analytics.people"
    ) == [(0, 0)]


def test_a_source_that_never_loaded_does_not_stop_the_other(duckdb_path, source_args, query):
    loads = load_sources(duckdb_path, source_names=["levcapital"], source_args=source_args)
    assert [load.error for load in loads] == [None]
    assert loads[0].rows_written > 0

    result = transform(duckdb_path)

    assert result.ok, result.failures
    assert result.notes == [
        "raw_sprintmode.contacts has never been loaded: its contacts are empty",
    ]
    assert result.summary_line().splitlines()[1:] == [
        "  note: raw_sprintmode.contacts has never been loaded: its contacts are empty",
    ]
    assert query("select list(contact_key order by contact_key) from analytics.contacts") == query(
        "select list('levcapital:' || id order by 'levcapital:' || id) from raw_levcapital.contacts"
    )
    assert query("select count(*) from analytics.contacts") == [(loads[0].rows_written,)]
    assert query("select count(*) from analytics.contacts_history") == query(
        "select count(*) from analytics.contacts"
    )


def test_nothing_ever_loaded_builds_empty_tables(duckdb_path):
    result = transform(duckdb_path)

    assert result.ok, result.failures
    assert result.notes == [
        "raw_levcapital.contacts has never been loaded: its contacts are empty",
        "raw_sprintmode.contacts has never been loaded: its contacts are empty",
    ]
    assert read(
        duckdb_path,
        "select (select count(*) from analytics.contacts), (select count(*) from analytics.people),"
        " (select count(*) from analytics.contacts_history)",
    ) == [(0, 0, 0)]


DRIFTED_CONTACTS = (
    "select contact_key, zip, is_primary, has_portal_access, updated_at from analytics.contacts "
    "where contact_key in ('levcapital:78', 'levcapital:79', 'sprintmode:ct_00000001') "
    "order by contact_key"
)


def test_values_dlt_moved_to_variant_columns_reach_the_contract(duckdb_path, source_args, query):
    load_and_transform(duckdb_path, source_args)
    contract = columns_of(duckdb_path, "analytics", "contacts")
    assert query(DRIFTED_CONTACTS) == [
        ("levcapital:78", "10004", True, None, utc("2026-02-20 16:45:00")),
        ("levcapital:79", None, False, None, None),
        ("sprintmode:ct_00000001", None, None, False, utc("2023-01-01 00:00:00")),
    ]
    ((rows,),) = query("select count(*) from analytics.contacts")
    # What dlt does when a field's value no longer fits the column's type: the column stays,
    # null for that row, and the value goes to `<column>__v_<type>`. A new API field is a
    # new column.
    execute(
        duckdb_path,
        "alter table raw_levcapital.contacts add column zip__v_bigint bigint",
        "update raw_levcapital.contacts set zip = null, zip__v_bigint = 10004 where id = 78",
        "alter table raw_levcapital.contacts add column is_primary__v_text varchar",
        "update raw_levcapital.contacts set is_primary = null, is_primary__v_text = 'true' "
        "where id = 79",
        "alter table raw_levcapital.contacts add column updated_at__v_text varchar",
        "update raw_levcapital.contacts set updated_at__v_text = '2026-03-01T10:00:00+02:00' "
        "where id = 79",
        "alter table raw_sprintmode.contacts add column portal_access__v_bool boolean",
        "update raw_sprintmode.contacts set portal_access = null, portal_access__v_bool = true "
        "where id = 'ct_00000001'",
        # A value that is no timestamp at all is null, not a failed build.
        "alter table raw_sprintmode.contacts add column updated_at__v_text varchar",
        "update raw_sprintmode.contacts set updated_at = null, updated_at__v_text = 'soon' "
        "where id = 'ct_00000001'",
        "alter table raw_levcapital.contacts add column favourite_colour varchar",
        "update raw_levcapital.contacts set favourite_colour = 'teal'",
    )

    result = transform(duckdb_path)

    assert result.ok, result.failures
    assert query(DRIFTED_CONTACTS) == [
        ("levcapital:78", "10004", True, None, utc("2026-02-20 16:45:00")),
        ("levcapital:79", None, True, None, utc("2026-03-01 08:00:00")),
        ("sprintmode:ct_00000001", None, None, True, None),
    ]
    assert columns_of(duckdb_path, "analytics", "contacts") == contract
    assert query("select count(*) from analytics.contacts") == [(rows,)]
    staging_columns = [
        name for name, _ in columns_of(duckdb_path, "staging", "stg_levcapital__contacts")
    ]
    assert not [name for name in staging_columns if "__v_" in name or name == "favourite_colour"]


def test_a_transform_result_lists_its_notes_after_the_first_line():
    result = TransformResult(ok=True, seconds=4.3, notes=["a note"])

    assert result.summary_line() == "dbt build: ok, 4.3 s\n  note: a note"
