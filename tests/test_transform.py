"""dbt over real loads: simulators -> dlt -> dbt build, and the contract of the analytics tables."""

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.paths import PROJECT_DIR
from pipelines.runs.load import load_sources
from pipelines.runs.transform import TransformResult, transform

# The same account as conftest's simulators: small and quick, and it holds the pinned contacts.
N_CONTACTS = 300

CONTACTS_COLUMNS = [
    ("contact_key", "VARCHAR"),
    ("source_system", "VARCHAR"),
    ("source_contact_id", "VARCHAR"),
    ("person_key", "VARCHAR"),
    ("first_name", "VARCHAR"),
    ("last_name", "VARCHAR"),
    ("full_name", "VARCHAR"),
    ("email", "VARCHAR"),
    ("email_domain", "VARCHAR"),
    ("phone", "VARCHAR"),
    ("phone_e164", "VARCHAR"),
    ("title", "VARCHAR"),
    ("department", "VARCHAR"),
    ("company_id", "VARCHAR"),
    ("company_name", "VARCHAR"),
    ("contact_type", "VARCHAR"),
    ("source", "VARCHAR"),
    ("portal_role", "VARCHAR"),
    ("linkedin_url", "VARCHAR"),
    ("address", "VARCHAR"),
    ("city", "VARCHAR"),
    ("state", "VARCHAR"),
    ("zip", "VARCHAR"),
    ("is_primary", "BOOLEAN"),
    ("is_connected", "BOOLEAN"),
    ("has_portal_access", "BOOLEAN"),
    ("is_role_mailbox", "BOOLEAN"),
    ("tags", "VARCHAR[]"),
    ("created_at", "TIMESTAMP WITH TIME ZONE"),
    ("updated_at", "TIMESTAMP WITH TIME ZONE"),
    ("is_deleted", "BOOLEAN"),
    ("deleted_at", "TIMESTAMP WITH TIME ZONE"),
    ("loaded_at", "TIMESTAMP WITH TIME ZONE"),
]
PEOPLE_COLUMNS = [
    ("person_key", "VARCHAR"),
    ("email", "VARCHAR"),
    ("full_name", "VARCHAR"),
    ("title", "VARCHAR"),
    ("company_name", "VARCHAR"),
    ("phone", "VARCHAR"),
    ("linkedin_url", "VARCHAR"),
    ("email_source_contact_key", "VARCHAR"),
    ("full_name_source_contact_key", "VARCHAR"),
    ("title_source_contact_key", "VARCHAR"),
    ("company_name_source_contact_key", "VARCHAR"),
    ("phone_source_contact_key", "VARCHAR"),
    ("linkedin_url_source_contact_key", "VARCHAR"),
    ("source_systems", "VARCHAR[]"),
    ("contact_keys", "VARCHAR[]"),
    ("n_contacts", "BIGINT"),
    ("n_live_contacts", "BIGINT"),
    ("in_levcapital", "BOOLEAN"),
    ("in_sprintmode", "BOOLEAN"),
    ("is_deleted", "BOOLEAN"),
    ("first_created_at", "TIMESTAMP WITH TIME ZONE"),
    ("last_updated_at", "TIMESTAMP WITH TIME ZONE"),
]
KNOWN_CONTACT_COLUMNS = (
    "first_name, last_name, full_name, email, email_domain, title, company_name, linkedin_url, "
    "tags, has_portal_access, is_primary, created_at, updated_at, is_deleted, deleted_at"
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def read(duckdb_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def columns_of(duckdb_path: Path, schema: str, table: str) -> list[tuple[str, str]]:
    return read(
        duckdb_path,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        schema,
        table,
    )


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, load_fresh_simulators: Callable[[Path], None]
) -> Iterator[tuple[Path, TransformResult]]:
    """One load and one dbt build, shared by the read-only tests of this module."""
    duckdb_path = tmp_path_factory.mktemp("built") / "contacts.duckdb"
    load_fresh_simulators(duckdb_path)
    yield duckdb_path, transform(duckdb_path)


@pytest.fixture
def built_db(built: tuple[Path, TransformResult]) -> Path:
    return built[0]


@pytest.fixture
def read_built(built_db: Path) -> Callable[..., list[tuple[Any, ...]]]:
    return lambda sql, *params: read(built_db, sql, *params)


def test_the_build_passes_every_test(built):
    _, result = built

    assert result.failures == []
    assert result.ok


def test_contacts_has_the_contracted_columns_and_types(built_db):
    assert columns_of(built_db, "analytics", "contacts") == CONTACTS_COLUMNS


def test_people_has_the_contracted_columns_and_types(built_db):
    assert columns_of(built_db, "analytics", "people") == PEOPLE_COLUMNS


def test_one_contact_per_raw_row_with_a_unique_key(read_built):
    (raw_rows,) = read_built(
        "select (select count(*) from raw_levcapital.contacts)"
        " + (select count(*) from raw_sprintmode.contacts)"
    )[0]
    ((rows, keys),) = read_built(
        "select count(*), count(distinct contact_key) from analytics.contacts"
    )

    assert rows == keys == raw_rows
    assert raw_rows > N_CONTACTS


@pytest.mark.parametrize(
    ("contact_key", "expected"),
    [
        pytest.param(
            "levcapital:78",
            (
                "Sarah", "Chen", "Sarah Chen", "schen@meridiancapital.com", "meridiancapital.com",
                "Senior Vice President", None, "https://www.linkedin.com/in/sarah-chen-cre",
                [], None, True, utc("2025-09-01 11:00:00"), utc("2026-02-20 16:45:00"),
                False, None,
            ),
            id="levcapital-docs-example",
        ),
        pytest.param(
            "levcapital:79",
            (
                "Zoë", "Ødegaard", "Zoë Ødegaard", "zoe.odegaard@fjord-capital.no",
                "fjord-capital.no", "Director", None, "https://www.linkedin.com/in/zoe-odegaard",
                [], None, False, None, None, False, None,
            ),
            id="levcapital-messy-email-no-timestamps",
        ),
        pytest.param(
            "sprintmode:ct_a1b2c3d4",
            (
                "Jane", "Smith", "Jane Smith", "jane@acme.com", "acme.com", "Head of Operations",
                "Acme Corp", "https://www.linkedin.com/in/janesmith", ["vip", "newsletter"],
                True, None, utc("2025-03-01 09:15:00"), utc("2026-01-10 08:00:00"), False, None,
            ),
            id="sprintmode-docs-example",
        ),
        pytest.param(
            "sprintmode:ct_00000001",
            (
                None, None, None, None, None, None, None, None, [], False, None,
                utc("2023-01-01 00:00:00"), utc("2023-01-01 00:00:00"), False, None,
            ),
            id="sprintmode-next-to-nothing",
        ),
    ],
)  # fmt: skip
def test_known_contacts_have_exact_values(read_built, contact_key, expected):
    rows = read_built(
        f"select {KNOWN_CONTACT_COLUMNS} from analytics.contacts where contact_key = ?",
        contact_key,
    )

    assert rows == [expected]


@pytest.mark.parametrize(
    ("source_system", "absent_columns"),
    [
        pytest.param(
            "levcapital",
            ("phone", "company_id", "company_name", "source", "portal_role", "has_portal_access"),
            id="levcapital",
        ),
        pytest.param(
            "sprintmode",
            ("address", "city", "state", "zip", "is_primary", "is_connected"),
            id="sprintmode",
        ),
    ],
)
def test_a_field_the_source_does_not_have_is_null(read_built, source_system, absent_columns):
    counts = ", ".join(f"count({column})" for column in absent_columns)
    rows = read_built(
        f"select {counts} from analytics.contacts where source_system = ?", source_system
    )

    assert rows == [(0,) * len(absent_columns)]


def test_only_sprintmode_has_tags(read_built):
    assert read_built(
        "select source_system, bool_and(tags is not null), max(len(tags)) > 0 "
        "from analytics.contacts group by all order by all"
    ) == [("levcapital", True, False), ("sprintmode", True, True)]


def test_one_email_is_one_person_across_systems(read_built):
    rows = read_built(
        "select contact_key, person_key from analytics.contacts "
        "where contact_key in ('levcapital:78', 'sprintmode:ct_5c4e2a10') order by 1"
    )
    assert len(rows) == 2
    assert rows[0][1] == rows[1][1]
    person_key = rows[0][1]

    ((email, in_levcapital, in_sprintmode, n_contacts, contact_keys, systems, full_name),) = (
        read_built(
            "select email, in_levcapital, in_sprintmode, n_contacts, contact_keys, "
            "source_systems, full_name from analytics.people where person_key = ?",
            person_key,
        )
    )
    assert email == "schen@meridiancapital.com"
    assert in_levcapital and in_sprintmode
    assert n_contacts >= 2
    assert {"levcapital:78", "sprintmode:ct_5c4e2a10"} <= set(contact_keys)
    assert contact_keys == sorted(contact_keys)
    assert systems == ["levcapital", "sprintmode"]
    assert full_name == "Sarah Chen"


def test_a_contact_without_email_is_its_own_person(read_built):
    assert read_built(
        "select p.email, p.n_contacts, p.contact_keys, p.in_levcapital, p.in_sprintmode "
        "from analytics.contacts as c inner join analytics.people as p using (person_key) "
        "where c.contact_key = 'sprintmode:ct_00000001'"
    ) == [(None, 1, ["sprintmode:ct_00000001"], False, True)]


def test_every_contact_belongs_to_one_person(read_built):
    ((people, persons_of_contacts, contacts, counted),) = read_built(
        "select (select count(*) from analytics.people),"
        " (select count(distinct person_key) from analytics.contacts),"
        " (select count(*) from analytics.contacts),"
        " (select sum(n_contacts) from analytics.people)"
    )

    assert people == persons_of_contacts
    assert counted == contacts
    # Some people are in both systems, so there are fewer people than contacts.
    assert people < contacts


def test_the_first_build_records_one_version_per_contact(read_built):
    assert read_built(
        "select count(*), count(distinct contact_key), count(valid_to) "
        "from analytics.contacts_history"
    ) == read_built("select count(*), count(*), 0 from analytics.contacts")


def test_a_failing_data_test_is_reported_and_keeps_the_data(duckdb_path, source_args, query, capfd):
    load_sources(duckdb_path, source_args=source_args)
    with duckdb.connect(str(duckdb_path)) as connection:
        (raw_rows,) = connection.execute("select count(*) from raw_levcapital.contacts").fetchone()
        # The same contact twice: `contact_key` is no longer unique.
        connection.execute(
            "insert into raw_levcapital.contacts "
            "select * from raw_levcapital.contacts where id = 78"
        )

    result = transform(duckdb_path)

    assert not result.ok
    assert any(
        failure.startswith("unique_contacts_contact_key (test): Got 1 result")
        for failure in result.failures
    ), result.failures
    assert len(result.failures) == 1
    # The history is not fed a contacts table that failed its tests.
    assert "contacts_history (snapshot)" in result.skipped
    assert "Traceback" not in "".join(capfd.readouterr())
    assert query("select count(*) from raw_levcapital.contacts") == [(raw_rows + 1,)]
    # What dbt built stays: the contacts table has the duplicate the test found.
    duplicates = "select count(*) from analytics.contacts where contact_key = 'levcapital:78'"
    assert query(duplicates) == [(2,)]


def test_history_keeps_every_version_a_run_saw(duckdb_path, source_args, levcapital_sim, query):
    load_sources(duckdb_path, source_args=source_args)
    assert transform(duckdb_path).ok
    levcapital_sim.store.update(78, {"title": "Executive Vice President"})

    load_sources(duckdb_path, source_args=source_args)
    result = transform(duckdb_path)

    assert result.ok, result.failures
    versions = query(
        "select title, valid_from, valid_to from analytics.contacts_history "
        "where contact_key = 'levcapital:78' order by valid_from"
    )
    assert [title for title, _, _ in versions] == [
        "Senior Vice President",
        "Executive Vice President",
    ]
    (_, old_from, old_to), (_, new_from, new_to) = versions
    assert old_to == new_from
    assert old_from < old_to
    assert new_to is None
    # Only the contact that changed has a second version.
    assert query(
        "select count(*) - count(distinct contact_key), count(valid_to) "
        "from analytics.contacts_history"
    ) == [(1, 1)]
    current_title = "select title from analytics.contacts where contact_key = 'levcapital:78'"
    assert query(current_title) == [("Executive Vice President",)]


def documented_queries() -> list[str]:
    """Every `sql` block of the README and of docs/*.md: the examples that readers copy."""
    documents = [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]
    return [
        sql
        for document in documents
        for sql in re.findall(r"```sql\n(.*?)```", document.read_text(), flags=re.DOTALL)
    ]


def test_the_documented_example_queries_run_and_return_rows(read_built):
    queries = documented_queries()

    # The analysts' examples and identity's queries on person_links, at least.
    assert len(queries) >= 10
    assert any("analytics.person_links" in sql for sql in queries)
    for sql in queries:
        assert read_built(sql), sql


def test_a_shared_mailbox_links_no_people(sims, source_args, duckdb_path):
    levcapital, sprintmode = sims["levcapital"].store, sims["sprintmode"].store
    for contact in levcapital.list_all()[:2]:
        levcapital.update(contact["id"], {"email": " Info@Firm1.com"})
    sprintmode.update(sprintmode.list_all()[0]["id"], {"email": "info+eu@firm1.com"})
    load_sources(duckdb_path, source_args=source_args)

    assert transform(duckdb_path).ok
    assert read(
        duckdb_path,
        "select count(*), count(distinct person_key), bool_and(is_role_mailbox) "
        "from analytics.contacts where email like 'info%@firm1.com'",
    ) == [(3, 3, True)]
    # Everyone else's email is their own.
    assert read(
        duckdb_path,
        "select count(*) from analytics.contacts "
        "where is_role_mailbox and email not like 'info%@firm1.com'",
    ) == [(0,)]
