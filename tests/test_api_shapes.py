"""The nightly `contacts-elt run` in every list shape the API docs allow, through the real CLI.

A real API sends the least its docs allow: every field, only the docs' list example's fields
(with or without timestamps), or nulls left out. In each shape the first run, a rerun with
nothing changed, updates, creates, deletes and a field that starts to appear later must land,
and the raw tables must converge on what the API lists. The last tests change the shape between
runs and load the very records the docs print, which no generator of ours made.
"""

import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import COMPARED_FIELDS, FAST_HTTP, LEVCAPITAL_KEY, SPRINTMODE_KEY
from docs_examples import DOCS_JAMES_RODRIGUEZ, DOCS_JANE_SMITH, DOCS_SARAH_CHEN

from demo.simulators import LIST_SHAPES, LevCapitalSimulator, SprintModeSimulator
from pipelines.sources.contacts.contract import parse_api_timestamp

CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))
RUN_TIMEOUT = 180
SUMMARY = re.compile(
    r"(?P<source>levcapital|sprintmode): (?P<pages>\d+) pages fetched, "
    r"(?P<seen>[\d,]+) contacts seen, (?P<written>[\d,]+) rows written, [\d.]+ s"
    r"(?: \((?P<notes>.*)\))?"
)
ANALYTICS_TABLES = ["contacts", "contacts_history", "people", "person_links", "pipeline_runs"]

# The documented fields as DuckDB types. Written out from the docs rather than read from the
# pipeline's contract, so that a wrong declaration there fails here. LevCapital's Contact Object
# table gives each type; SprintMode documents strings and integers in its POST table, and
# engagement_score, last_engagement_at and enrichment_data only by name (a number, a time and
# an object).
TIMESTAMPTZ = "TIMESTAMP WITH TIME ZONE"
SPRINTMODE_TEXT_FIELDS = (
    "id", "email", "first_name", "last_name", "full_name", "company_id", "company_name", "title",
    "role", "department", "phone", "contact_type", "source", "pipeline_stage", "funnel_stage",
    "enrichment_status", "linkedin_url", "photo_url", "close_lead_id", "close_contact_id", "tags",
    "notes", "portal_role",
)  # fmt: skip
DOCUMENTED_COLUMNS = {
    "levcapital": {
        "id": "BIGINT",
        **dict.fromkeys(
            ("contact_type", "first_name", "last_name", "email", "title", "department"),
            "VARCHAR",
        ),
        **dict.fromkeys(("address", "city", "state", "zip", "linkedin_url"), "VARCHAR"),
        "is_primary": "BOOLEAN",
        "owner_account_id": "BIGINT",
        "is_connected": "BOOLEAN",
        "created_at": TIMESTAMPTZ,
        "updated_at": TIMESTAMPTZ,
    },
    "sprintmode": {
        **dict.fromkeys(SPRINTMODE_TEXT_FIELDS, "VARCHAR"),
        "engagement_score": "BIGINT",
        "last_engagement_at": TIMESTAMPTZ,
        "enrichment_data": "JSON",
        "portal_access": "BIGINT",
        "created_at": TIMESTAMPTZ,
        "updated_at": TIMESTAMPTZ,
    },
}
# A documented field each list shape sends, empty for every contact at the first run; later
# some contacts get a value without a new updated_at. SprintMode's list example has no
# department, but every shape sends company_name.
LATE_FIELD = {"levcapital": "department", "sprintmode": "company_name"}
LATE_VALUE = {"levcapital": "Appeared Later", "sprintmode": "Appeared Later Corp"}


Query = Callable[..., list[tuple[Any, ...]]]


# --- helpers ----------------------------------------------------------------------------------


def finished_run(process: subprocess.Popen) -> dict[str, dict[str, Any]]:
    """Waits for a `contacts-elt run`; returns its summary by source after checking it succeeded.

    A successful run in text mode exits 0 and writes nothing at all to stderr.
    """
    stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
    assert process.returncode == 0, stdout + stderr
    assert stderr == ""
    return summaries(stdout)


def summaries(stdout: str) -> dict[str, dict[str, Any]]:
    """Parses the summary lines of a run: one per source, then dbt's."""
    lines = stdout.splitlines()
    matches = [SUMMARY.fullmatch(line) for line in lines]
    found = {
        match["source"]: {
            "seen": int(match["seen"].replace(",", "")),
            "written": int(match["written"].replace(",", "")),
            "notes": match["notes"],
        }
        for match in matches
        if match
    }
    assert list(found) == ["levcapital", "sprintmode"], stdout
    assert any(line.startswith("dbt build: ok, ") for line in lines), stdout
    return found


def sent_fields(sim: Any, source: str) -> set[str]:
    """The documented fields the simulator's current list shape sends (when not null)."""
    fields = sim.list_shapes[sim.list_shape].fields
    return set(DOCUMENTED_COLUMNS[source]) if fields is None else set(fields)


def listed_keys(sims: dict[str, Any]) -> list[str]:
    """The contact_key of every contact the APIs list now, sorted."""
    return sorted(
        f"{source}:{contact['id']}"
        for source, sim in sims.items()
        for contact in sim.store.list_all()
    )


def expected_raw_value(contact: dict[str, Any], name: str, sent: set[str]) -> Any:
    """What raw should hold for a field of a listed contact: null when the shape never sends it."""
    if name not in sent:
        return None
    return parse_api_timestamp(contact[name]) if name == "updated_at" else contact[name]


def assert_raw_converged(raw_contacts, sims: dict[str, Any], unsent_are_null: bool = True) -> None:
    """Each raw table holds every listed contact once with its current values; the rest deleted.

    The conftest comparison covers the fields in COMPARED_FIELDS; in a shape that does not send
    some of them (SprintMode's title in the list example), only the sent ones are compared and,
    when the shape never sent the others, they must be null rather than made up.
    """
    for source, sim in sims.items():
        raw = raw_contacts(source)
        sent = sent_fields(sim, source)
        if set(COMPARED_FIELDS[source]) <= sent:
            raw.assert_matches(sim, source)
            continue
        listed = {contact["id"]: contact for contact in sim.store.list_all()}
        assert len(raw.ids) == len(set(raw.ids)), "duplicate ids in the raw table"
        assert raw.live_ids == set(listed)
        assert set(raw.deleted) == set(raw.ids) - set(listed)
        compared = [name for name in COMPARED_FIELDS[source] if unsent_are_null or name in sent]
        expected = {
            contact_id: {name: expected_raw_value(contact, name, sent) for name in compared}
            for contact_id, contact in listed.items()
        }
        actual = {
            contact_id: {name: raw.values[contact_id][name] for name in compared}
            for contact_id in listed
        }
        assert actual == expected


def assert_documented_columns(query: Query, sims: dict[str, Any]) -> None:
    """Every documented field is a column of its type, and one the shape never sends is null."""
    for source, sim in sims.items():
        schema = f"raw_{source}"
        columns = dict(
            query(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = 'contacts' "
                "and not starts_with(column_name, '_')",
                schema,
            )
        )
        assert columns == DOCUMENTED_COLUMNS[source]
        unsent = sorted(set(columns) - sent_fields(sim, source))
        if unsent:
            counts = query(
                f"select {', '.join(f'count({name})' for name in unsent)} from {schema}.contacts"
            )
            assert dict(zip(unsent, counts[0], strict=True)) == dict.fromkeys(unsent, 0)


def history_rows(query: Query) -> int:
    return query("select count(*) from analytics.contacts_history")[0][0]


def live_and_deleted(query: Query) -> tuple[list[str], list[str]]:
    """(contact_key of live contacts, of deleted ones) in analytics.contacts, each sorted."""
    rows = query("select contact_key, is_deleted from analytics.contacts order by contact_key")
    keys = [key for key, _ in rows]
    assert len(keys) == len(set(keys)), "a contact_key appears twice in analytics.contacts"
    return [key for key, deleted in rows if not deleted], [key for key, deleted in rows if deleted]


def analytics_values(query: Query, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The names and email of some contacts in analytics.contacts, by contact_key."""
    rows = query(
        "select contact_key, first_name, last_name, full_name, email from analytics.contacts "
        f"where contact_key in ({', '.join('?' * len(keys))})",
        *keys,
    )
    names = ("first_name", "last_name", "full_name", "email")
    return {key: dict(zip(names, values, strict=True)) for key, *values in rows}


def blank_out(sim: Any, field: str) -> None:
    """Empties a field in every stored contact, without touching updated_at."""
    with sim.store._lock:
        for record in sim.store._records.values():
            record[field] = None


def set_quietly(sim: Any, contact_ids: list[Any], field: str, value: Any) -> None:
    """Gives contacts a value the way a backfill would: no new updated_at."""
    with sim.store._lock:
        for contact_id in contact_ids:
            sim.store._records[contact_id][field] = value


def ids_of(sim: Any) -> list[Any]:
    return [contact["id"] for contact in sim.store.list_all()]


# --- every step of the nightly path, in each shape --------------------------------------------


@pytest.mark.parametrize("shape", LIST_SHAPES)
def test_the_nightly_path_holds_in_every_list_shape(
    shape, sims, contacts_elt_cli, query, raw_contacts
):
    """A first run, an idle rerun, then updates, creates, deletes and a field that appears
    without a new updated_at: each run succeeds quietly, writes exactly what changed, and both
    the raw tables and analytics.contacts converge on what the APIs list."""
    levcapital, sprintmode = sims["levcapital"], sims["sprintmode"]
    for source, sim in sims.items():
        sim.list_shape = shape
        blank_out(sim, LATE_FIELD[source])
    # LevCapital lists only connected contacts: 279 of the 300 generated.
    assert [len(ids_of(sim)) for sim in sims.values()] == [279, 300]

    # 1. The first run loads everything and every table exists, typed, whatever was sent.
    first = finished_run(contacts_elt_cli("run"))

    assert first == {
        "levcapital": {"seen": 279, "written": 279, "notes": None},
        "sprintmode": {"seen": 300, "written": 300, "notes": None},
    }
    assert query(
        "select table_name from information_schema.tables where table_schema = 'analytics' "
        "order by table_name"
    ) == [(name,) for name in ANALYTICS_TABLES]
    assert live_and_deleted(query) == (listed_keys(sims), [])
    assert_documented_columns(query, sims)
    assert_raw_converged(raw_contacts, sims)
    history_after_first = history_rows(query)
    assert history_after_first == 279 + 300
    assert query(
        "select source_system, status, rows_inserted, rows_updated from analytics.pipeline_runs "
        "order by source_system"
    ) == [("levcapital", "succeeded", 279, 0), ("sprintmode", "succeeded", 300, 0)]

    # 2. Nothing changed: nothing is written, and history keeps its versions.
    rerun = finished_run(contacts_elt_cli("run"))

    assert rerun == {
        "levcapital": {"seen": 279, "written": 0, "notes": None},
        "sprintmode": {"seen": 300, "written": 0, "notes": None},
    }
    assert history_rows(query) == history_after_first
    assert query("select status, count(*) from analytics.pipeline_runs group by all") == [
        ("succeeded", 4)
    ]
    assert_raw_converged(raw_contacts, sims)

    # 3 to 6 in one run, on distinct contacts, since each run costs seconds: per API three
    # contacts change in fields every shape sends (one loses its email: in nullable_omitted the
    # field then stops being sent), one is created, one goes, and the field that was empty for
    # everyone gets a value for three contacts without a new updated_at, so that only their
    # content tells.
    lev_ids, sm_ids = ids_of(levcapital), ids_of(sprintmode)
    lev_cleared = next(i for i in lev_ids[200:250] if levcapital.store.get(i)["email"])
    sm_cleared = next(i for i in sm_ids[200:250] if sprintmode.store.get(i)["email"])
    lev_keys = [f"levcapital:{i}" for i in (lev_ids[5], lev_ids[150], lev_cleared)]
    sm_keys = [f"sprintmode:{i}" for i in (sm_ids[5], sm_ids[150], sm_cleared)]
    before = analytics_values(query, lev_keys + sm_keys)
    levcapital.store.update(lev_ids[5], {"first_name": "Renamed"})
    levcapital.store.update(lev_ids[150], {"email": "moved.on@example.com"})
    levcapital.store.update(lev_cleared, {"email": None})
    sprintmode.store.update(sm_ids[5], {"full_name": "Renamed Person"})
    sprintmode.store.update(sm_ids[150], {"email": "moved.on@example.org"})
    sprintmode.store.update(sm_cleared, {"email": None})
    # LevCapital creates contacts unconnected; the listing shows them once connected.
    lev_new = levcapital.store.create(
        {"contact_type": "sponsor", "company_id": 1, "first_name": "Newly", "email": "n@lev.test"}
    )["id"]
    levcapital.store.set_connected(lev_new, True)
    sm_new = sprintmode.store.create({"email": "n@sm.test", "full_name": "Newly Created"})["id"]
    gone = {"levcapital": lev_ids[20], "sprintmode": sm_ids[20]}
    late = {
        "levcapital": [lev_ids[10], lev_ids[100], lev_ids[250]],
        "sprintmode": [sm_ids[10], sm_ids[100], sm_ids[250]],
    }
    for source, sim in sims.items():
        sim.store.delete(gone[source])
        set_quietly(sim, late[source], LATE_FIELD[source], LATE_VALUE[source])

    changed = finished_run(contacts_elt_cli("run"))

    # Three updates, one create and three late values; a delete writes no row, only its mark.
    assert {source: (line["written"], line["notes"]) for source, line in changed.items()} == {
        "levcapital": (7, "1 marked deleted"),
        "sprintmode": (7, "1 marked deleted"),
    }
    # Exactly the changed fields moved; the other fields of those contacts kept their values.
    lev_renamed, lev_moved, lev_emptied = (before[key] for key in lev_keys)
    sm_renamed, sm_moved, sm_emptied = (before[key] for key in sm_keys)
    assert lev_renamed["first_name"] != "Renamed"
    assert None not in (lev_emptied["email"], sm_emptied["email"])
    assert analytics_values(
        query, [*lev_keys, f"levcapital:{lev_new}", *sm_keys, f"sprintmode:{sm_new}"]
    ) == {
        # LevCapital sends no full name: analytics joins first and last name.
        lev_keys[0]: lev_renamed
        | {"first_name": "Renamed", "full_name": f"Renamed {lev_renamed['last_name']}"},
        lev_keys[1]: lev_moved | {"email": "moved.on@example.com"},
        lev_keys[2]: lev_emptied | {"email": None},
        f"levcapital:{lev_new}": {
            "first_name": "Newly",
            "last_name": None,
            "full_name": "Newly",
            "email": "n@lev.test",
        },
        sm_keys[0]: sm_renamed | {"full_name": "Renamed Person"},
        sm_keys[1]: sm_moved | {"email": "moved.on@example.org"},
        sm_keys[2]: sm_emptied | {"email": None},
        f"sprintmode:{sm_new}": {
            "first_name": None,
            "last_name": None,
            "full_name": "Newly Created",
            "email": "n@sm.test",
        },
    }
    gone_keys = [f"{source}:{contact_id}" for source, contact_id in gone.items()]
    assert live_and_deleted(query) == (listed_keys(sims), gone_keys)
    assert query(
        "select contact_key, is_deleted, deleted_at is not null from analytics.contacts "
        "where contact_key in (?, ?) order by contact_key",
        *gone_keys,
    ) == [(key, True, True) for key in gone_keys]
    for source, field in LATE_FIELD.items():
        assert query(
            f"select id, {field} from raw_{source}.contacts where {field} is not null order by id"
        ) == sorted((contact_id, LATE_VALUE[source]) for contact_id in late[source])
        assert query(
            f"select contact_key, {field} from analytics.contacts "
            f"where source_system = ? and {field} is not null order by contact_key",
            source,
        ) == sorted((f"{source}:{contact_id}", LATE_VALUE[source]) for contact_id in late[source])
    # One new version per changed, deleted or late-valued contact, a first one per created one.
    assert history_rows(query) == history_after_first + 2 * (3 + 1 + 1 + 3)
    assert_raw_converged(raw_contacts, sims)


# --- the shape changes between runs -----------------------------------------------------------


def test_fields_that_start_to_be_sent_land_when_the_shape_changes_between_runs(
    sims, contacts_elt_cli, query, raw_contacts
):
    """The API trims its listing, then sends everything, then its list example: each run
    succeeds quietly, and what starts to be sent (SprintMode's title, both APIs' timestamps)
    lands in raw and in analytics.contacts."""
    levcapital, sprintmode = sims["levcapital"], sims["sprintmode"]
    for sim in sims.values():
        sim.list_shape = "list_example_no_timestamps"

    finished_run(contacts_elt_cli("run"))

    assert query(
        "select count(*), count(title), count(created_at), count(updated_at) "
        "from analytics.contacts where source_system = 'sprintmode'"
    ) == [(300, 0, 0, 0)]
    with_department = [c for c in levcapital.store.list_all() if (c["department"] or "").strip()]
    assert query(
        "select count(*), count(department), count(created_at), count(updated_at) "
        "from analytics.contacts where source_system = 'levcapital'"
    ) == [(279, len(with_department), 0, 0)]
    assert_raw_converged(raw_contacts, sims)

    for sim in sims.values():
        sim.list_shape = "full"

    finished_run(contacts_elt_cli("run"))

    assert_raw_converged(raw_contacts, sims)
    expected_titles = sorted(
        (f"sprintmode:{contact['id']}", contact["title"].strip())
        for contact in sprintmode.store.list_all()
        if contact["title"] and contact["title"].strip()
    )
    assert len(expected_titles) > 200  # most generated contacts have a title
    assert (
        query(
            "select contact_key, title from analytics.contacts "
            "where source_system = 'sprintmode' and title is not null order by contact_key"
        )
        == expected_titles
    )
    assert query(
        "select contact_key, created_at, updated_at from analytics.contacts "
        "where contact_key in ('levcapital:78', 'sprintmode:ct_a1b2c3d4') order by 1"
    ) == [
        # Sarah Chen and Jane Smith of the docs are among the generated contacts.
        (
            "levcapital:78",
            datetime(2025, 9, 1, 11, 0, tzinfo=UTC),
            datetime(2026, 2, 20, 16, 45, tzinfo=UTC),
        ),
        (
            "sprintmode:ct_a1b2c3d4",
            datetime(2025, 3, 1, 9, 15, tzinfo=UTC),
            datetime(2026, 1, 10, 8, 0, tzinfo=UTC),
        ),
    ]

    for sim in sims.values():
        sim.list_shape = "list_example"

    finished_run(contacts_elt_cli("run"))

    # What the list example sends still matches; what it stops sending is not compared.
    assert_raw_converged(raw_contacts, sims, unsent_are_null=False)
    assert live_and_deleted(query) == (listed_keys(sims), [])


# --- records we did not generate --------------------------------------------------------------


def test_the_records_printed_in_the_docs_load_with_their_documented_values(tmp_path, query):
    """Sarah Chen and James Rodriguez from LevCapital's examples and Jane Smith from SprintMode's
    list example, served as the docs print them, reach analytics.contacts and analytics.people
    with their values."""
    # The create example shows James just created, so not yet connected: the listing serves
    # only connected contacts, so he is served as he is once the relationship is made.
    james = DOCS_JAMES_RODRIGUEZ | {"is_connected": True}
    with (
        LevCapitalSimulator.from_contacts(
            [DOCS_SARAH_CHEN, james], api_key=LEVCAPITAL_KEY
        ) as levcapital,
        SprintModeSimulator.from_contacts(
            # Jane's list item is then exactly the docs' one: no other field, no timestamps.
            [DOCS_JANE_SMITH],
            api_key=SPRINTMODE_KEY,
            list_shape="list_example_no_timestamps",
        ) as sprintmode,
    ):
        env = dict(os.environ) | FAST_HTTP
        env.update(
            SOURCES__LEVCAPITAL__BASE_URL=levcapital.base_url,
            SOURCES__LEVCAPITAL__API_KEY=LEVCAPITAL_KEY,
            SOURCES__SPRINTMODE__BASE_URL=sprintmode.base_url,
            SOURCES__SPRINTMODE__API_KEY=SPRINTMODE_KEY,
        )
        result = subprocess.run(
            [CONTACTS_ELT, "run", "--duckdb", str(tmp_path / "contacts.duckdb")],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert {source: line["written"] for source, line in summaries(result.stdout).items()} == {
        "levcapital": 2,
        "sprintmode": 1,
    }
    assert query(
        "select contact_key, first_name, last_name, full_name, email, email_domain, title, "
        "department, company_id, company_name, contact_type, portal_role, linkedin_url, "
        "address, city, state, zip, is_primary, is_connected, has_portal_access, tags, "
        "created_at, updated_at, is_deleted from analytics.contacts order by contact_key"
    ) == [
        (
            "levcapital:142",
            *("James", "Rodriguez", "James Rodriguez", "jrodriguez@eastdilsecured.com"),
            *("eastdilsecured.com", "Managing Director", "Debt Capital Markets", None, None),
            *("lender_contact", None, "https://www.linkedin.com/in/james-rodriguez-cre"),
            *("40 West 57th Street", "New York", "NY", "10019", False, True, None, []),
            datetime(2026, 3, 20, 15, 30, 45, tzinfo=UTC),
            datetime(2026, 3, 20, 15, 30, 45, tzinfo=UTC),
            False,
        ),
        (
            "levcapital:78",
            *("Sarah", "Chen", "Sarah Chen", "schen@meridiancapital.com"),
            *("meridiancapital.com", "Senior Vice President", "Originations", None, None),
            *("lender_contact", None, "https://www.linkedin.com/in/sarah-chen-cre"),
            *("1 Battery Park Plaza", "New York", "NY", "10004", True, True, None, []),
            datetime(2025, 9, 1, 11, 0, tzinfo=UTC),
            datetime(2026, 2, 20, 16, 45, tzinfo=UTC),
            False,
        ),
        (
            "sprintmode:ct_a1b2c3d4",
            *(None, None, "Jane Smith", "jane@acme.com", "acme.com", None, None),
            *("co_e5f6g7", "Acme Corp", "client", "client_admin", None),
            *(None, None, None, None, None, None, True, []),
            None,
            None,
            False,
        ),
    ]
    assert query(
        "select email, full_name, title, company_name, source_systems, n_contacts, "
        "in_levcapital, in_sprintmode from analytics.people order by email"
    ) == [
        ("jane@acme.com", "Jane Smith", None, "Acme Corp", ["sprintmode"], 1, False, True),
        (
            "jrodriguez@eastdilsecured.com",
            *("James Rodriguez", "Managing Director", None, ["levcapital"], 1, True, False),
        ),
        (
            "schen@meridiancapital.com",
            *("Sarah Chen", "Senior Vice President", None, ["levcapital"], 1, True, False),
        ),
    ]
    # Jane's raw row has every documented column; those her list item lacks are null.
    assert query(
        "select id, portal_access, title, created_at, updated_at from raw_sprintmode.contacts"
    ) == [("ct_a1b2c3d4", 1, None, None, None)]
