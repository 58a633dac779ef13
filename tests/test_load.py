"""The two dlt sources and their pipelines, over real HTTP into a real DuckDB file."""

import shutil
from datetime import UTC, datetime

import duckdb
import pytest

from demo.simulators import SprintModeSimulator
from pipelines.http.paging import AdaptiveConcurrency
from pipelines.paths import pipelines_dir_for
from pipelines.runs.load import load_source, load_sources

LIST_PATHS = {"levcapital": "/api/external/v2/contacts", "sprintmode": "/api/contacts"}


def listed_ids(sim) -> list[str]:
    return sorted(str(contact["id"]) for contact in sim.store.list_all())


def test_every_contact_lands_exactly_once(
    duckdb_path, source_args, levcapital_sim, sprintmode_sim, query
):
    loads = load_sources(duckdb_path, source_args=source_args)

    assert [load.error for load in loads] == [None, None]
    for sim, schema in ((levcapital_sim, "raw_levcapital"), (sprintmode_sim, "raw_sprintmode")):
        rows = query(f"select cast(id as varchar) from {schema}.contacts order by 1")
        assert sorted(row[0] for row in rows) == listed_ids(sim)
        assert len(rows) == len({row[0] for row in rows})
    levcapital, sprintmode = loads
    assert (
        levcapital.stats.contacts_seen == levcapital.rows_written == len(listed_ids(levcapital_sim))
    )
    assert (
        sprintmode.stats.contacts_seen == sprintmode.rows_written == len(listed_ids(sprintmode_sim))
    )


def test_pages_are_requested_at_the_maximum_limit(
    duckdb_path, source_args, levcapital_sim, sprintmode_sim
):
    loads = load_sources(duckdb_path, source_args=source_args)

    for sim, name, limit in (
        (levcapital_sim, "levcapital", "200"),
        (sprintmode_sim, "sprintmode", "100"),
    ):
        pages = [r for r in sim.requests if r.path == LIST_PATHS[name]]
        assert pages, name
        assert {r.query.get("limit") for r in pages} == {limit}
    levcapital, sprintmode = loads
    # about 285 connected LevCapital contacts fit two pages of 200; SprintMode's 300 need three
    assert levcapital.stats.pages == len(
        [r for r in levcapital_sim.requests if r.path == LIST_PATHS["levcapital"]]
    )
    assert sprintmode.stats.pages == 3


def test_auth_and_origin_headers_are_sent(duckdb_path, source_args, levcapital_sim, sprintmode_sim):
    load_sources(duckdb_path, source_args=source_args)

    for request in levcapital_sim.requests:
        assert request.headers["authorization"] == f"Bearer {levcapital_sim.api_key}"
        assert request.headers["x-origin-app"] == "contacts-elt"
    for request in sprintmode_sim.requests:
        assert request.headers["x-sm-key"] == sprintmode_sim.api_key


def test_a_contact_with_null_updated_at_is_loaded(duckdb_path, source_args, query):
    load_sources(duckdb_path, ["levcapital"], source_args)

    assert query(
        "select first_name, last_name, updated_at, created_at "
        "from raw_levcapital.contacts where id = 79"
    ) == [("Zoë", "Ødegaard", None, None)]


def test_known_contacts_land_with_the_apis_values(duckdb_path, source_args, query):
    load_sources(duckdb_path, source_args=source_args)

    assert query(
        "select email, title, zip, is_primary, updated_at "
        "from raw_levcapital.contacts where id = 78"
    ) == [
        (
            "schen@meridiancapital.com",
            "Senior Vice President",
            "10004",
            True,
            datetime(2026, 2, 20, 16, 45, tzinfo=UTC),
        )
    ]
    # SprintMode's `YYYY-MM-DD HH:MM:SS` is UTC.
    assert query(
        "select full_name, tags, portal_access, created_at, updated_at "
        "from raw_sprintmode.contacts where id = 'ct_a1b2c3d4'"
    ) == [
        (
            "Jane Smith",
            " vip , newsletter,, ",
            1,
            datetime(2025, 3, 1, 9, 15, tzinfo=UTC),
            datetime(2026, 1, 10, 8, 0, tzinfo=UTC),
        )
    ]


def test_unconnected_levcapital_contacts_are_not_loaded(duckdb_path, source_args, query):
    load_sources(duckdb_path, ["levcapital"], source_args)

    assert query("select count(*) from raw_levcapital.contacts where id = 80") == [(0,)]


def test_a_second_run_with_nothing_changed_rewrites_no_row(duckdb_path, source_args, query):
    load_sources(duckdb_path, source_args=source_args)
    before = {
        schema: query(f"select id, _dlt_load_id from {schema}.contacts order by id")
        for schema in ("raw_levcapital", "raw_sprintmode")
    }

    again = load_sources(duckdb_path, source_args=source_args)

    assert [(load.error, load.rows_written) for load in again] == [(None, 0), (None, 0)]
    for schema, rows in before.items():
        assert query(f"select id, _dlt_load_id from {schema}.contacts order by id") == rows
        # Nor does it load a package: no new load, no new copy of the state.
        assert query(
            f"select (select count(*) from {schema}._dlt_loads),"
            f" (select count(*) from {schema}._dlt_pipeline_state)"
        ) == [(1, 1)]


def test_only_patched_contacts_are_rewritten_with_their_new_values(
    duckdb_path, source_args, levcapital_sim, sprintmode_sim, query
):
    load_sources(duckdb_path, source_args=source_args)
    first_load = query("select distinct _dlt_load_id from raw_levcapital.contacts")
    levcapital_sim.store.update(78, {"title": "Executive Vice President"})
    levcapital_sim.store.update(79, {"department": "Asset Management"})  # had no updated_at
    sprintmode_sim.store.update("ct_a1b2c3d4", {"title": "CFO", "tags": "vip"})

    loads = load_sources(duckdb_path, source_args=source_args)

    assert [load.rows_written for load in loads] == [2, 1]
    changed = query(
        "select id, title, department from raw_levcapital.contacts "
        "where _dlt_load_id not in (select * from (values (?)))",
        first_load[0][0],
    )
    assert sorted(changed) == [
        (78, "Executive Vice President", "Originations"),
        (79, levcapital_sim.store.get(79)["title"], "Asset Management"),
    ]
    assert query("select title, tags from raw_sprintmode.contacts where id = 'ct_a1b2c3d4'") == [
        ("CFO", "vip")
    ]
    assert query("select count(distinct _dlt_load_id) from raw_sprintmode.contacts") == [(2,)]


def test_state_is_restored_from_the_duckdb_file_when_the_working_dir_is_gone(
    duckdb_path, source_args, query
):
    load_sources(duckdb_path, source_args=source_args)
    shutil.rmtree(pipelines_dir_for(duckdb_path))

    loads = load_sources(duckdb_path, source_args=source_args)

    assert [(load.error, load.rows_written) for load in loads] == [(None, 0), (None, 0)]


def test_two_duckdb_files_never_share_cursors(tmp_path, source_args, query):
    demo, real = tmp_path / "demo.duckdb", tmp_path / "real.duckdb"
    load_source("sprintmode", demo, **source_args["sprintmode"])

    into_real = load_source("sprintmode", real, **source_args["sprintmode"])

    assert into_real.rows_written == into_real.stats.contacts_seen > 0


@pytest.mark.parametrize(
    "timestamp_format",
    [pytest.param("iso_z", id="iso-z"), pytest.param("iso_offset", id="iso-offset")],
)
def test_sprintmode_iso_timestamps_mean_the_same_instant(tmp_path, timestamp_format):
    path = tmp_path / "iso.duckdb"
    with SprintModeSimulator(
        n_contacts=120, seed=7, api_key="sm-key", timestamp_format=timestamp_format
    ) as sim:
        load = load_source("sprintmode", path, base_url=sim.base_url, api_key=sim.api_key)

    with duckdb.connect(str(path), read_only=True) as connection:
        row = connection.execute(
            "select updated_at from raw_sprintmode.contacts where id = 'ct_a1b2c3d4'"
        ).fetchone()
    assert load.error is None
    assert row == (datetime(2026, 1, 10, 8, 0, tzinfo=UTC),)


def test_each_run_is_recorded_per_source_with_its_counts(
    duckdb_path, source_args, levcapital_sim, sprintmode_sim, query
):
    first = load_sources(duckdb_path, source_args=source_args)
    levcapital_sim.store.update(78, {"title": "Executive Vice President"})
    sprintmode_sim.store.delete("ct_a1b2c3d4")
    second = load_sources(duckdb_path, source_args=source_args)

    runs = query(
        "select run_id, source_system, status, error, pages, contacts_seen, rows_inserted, "
        "rows_updated, rows_marked_deleted from analytics.pipeline_runs "
        # The two sources of a run start side by side, in either order.
        "order by min(started_at) over (partition by run_id), source_system"
    )
    connected = len(levcapital_sim.store.list_all())
    assert [row[1:] for row in runs] == [
        ("levcapital", "succeeded", None, 2, connected, connected, 0, 0),
        ("sprintmode", "succeeded", None, 3, 300, 300, 0, 0),
        ("levcapital", "succeeded", None, 2, connected, 0, 1, 0),
        ("sprintmode", "succeeded", None, 3, 299, 0, 0, 1),
    ]
    assert runs[0][0] == runs[1][0] == first[0].run_id != runs[2][0] == second[1].run_id


def test_a_failed_run_is_recorded_with_its_one_line_cause(duckdb_path, source_args, query):
    load_source("sprintmode", duckdb_path, **source_args["sprintmode"] | {"api_key": "wrong"})

    assert query(
        "select source_system, status, error, rows_inserted from analytics.pipeline_runs"
    ) == [
        (
            "sprintmode",
            "failed",
            "authentication failed (401: Invalid or missing API key)",
            0,
        )
    ]


def test_a_quote_in_the_duckdb_file_name_does_not_break_the_load(tmp_path, source_args):
    path = tmp_path / "o'brien.duckdb"

    load = load_source("sprintmode", path, **source_args["sprintmode"])

    assert (load.error, load.rows_written) == (None, 300)
    assert pipelines_dir_for(path).name.startswith("o_brien.duckdb-")


@pytest.mark.parametrize(
    "page_concurrency", [pytest.param(1, id="dlt-paginator"), pytest.param(4, id="fan-out")]
)
def test_sprintmode_lists_every_page_once_sequentially_or_fanned_out(
    duckdb_path, source_args, sprintmode_sim, query, page_concurrency
):
    load = load_source(
        "sprintmode", duckdb_path, **source_args["sprintmode"], page_concurrency=page_concurrency
    )

    pages = [r.query["page"] for r in sprintmode_sim.requests if r.path == "/api/contacts"]
    assert sorted(pages) == ["1", "2", "3"]
    assert (load.error, load.stats.pages, load.rows_written) == (None, 3, 300)
    assert query("select count(distinct id), count(*) from raw_sprintmode.contacts") == [(300, 300)]


def test_a_429_halves_the_fan_out_and_successes_win_it_back():
    concurrency = AdaptiveConcurrency(8, successes_to_grow=3)

    concurrency.observe(429)
    concurrency.observe(429)
    halved = concurrency.current
    for _ in range(3):
        concurrency.observe(200)

    assert (halved, concurrency.current) == (2, 3)
