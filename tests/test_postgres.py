"""The nightly job into a real PostgreSQL server: `contacts-elt` subprocesses against the
simulators, with the destination chosen by configuration alone (CONTACTS_DESTINATION and
dlt's DESTINATION__POSTGRES__CREDENTIALS), then the database compared with what the APIs list.
"""

import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
from postgres import PASSWORD, finish
from test_crashes import change_both_apis
from test_transform import documented_queries

from pipelines.warehouse import PostgresDatabase
from pipelines.warehouse.postgres import RUN_LOCK_KEY, resolve_credentials

SOURCES = ("levcapital", "sprintmode")


def listed_keys(sims) -> list[str]:
    return sorted(
        f"{name}:{contact['id']}" for name in SOURCES for contact in sims[name].store.list_all()
    )


def assert_analytics_match(sims, pg_query) -> None:
    """Live contacts are what both APIs list, each once, and each has a person."""
    live = pg_query("select contact_key from analytics.contacts where not is_deleted")
    assert sorted(key for (key,) in live) == listed_keys(sims)
    assert pg_query(
        "select count(*) - count(distinct contact_key), count(*) filter (where person_key is null) "
        "from analytics.contacts"
    ) == [(0, 0)]
    # Every contact's person is in people, and people hold every contact once.
    assert pg_query(
        "select count(*) from analytics.contacts c "
        "left join analytics.people p on p.person_key = c.person_key where p.person_key is null"
    ) == [(0,)]
    assert pg_query(
        "select sum(n_contacts) - (select count(*) from analytics.contacts) from analytics.people"
    ) == [(0,)]


def last_runs(pg_query) -> list[tuple]:
    return pg_query(
        "select source_system, status, rows_inserted, rows_updated, rows_marked_deleted "
        "from analytics.pipeline_runs "
        "where run_id = (select run_id from analytics.pipeline_runs order by started_at desc "
        "limit 1) order by source_system"
    )


def test_the_nightly_run_on_postgres_lands_what_both_apis_list_and_a_rerun_rewrites_nothing(
    sims, pg_cli, pg_query
):
    code, stdout, stderr = finish(pg_cli("run"))
    assert code == 0, stdout + stderr
    assert stderr == ""
    assert re.search(r"^dbt build: ok", stdout, re.MULTILINE)
    assert PASSWORD not in stdout + stderr
    assert_analytics_match(sims, pg_query)
    # The same tables as on DuckDB, in the same schemas.
    tables = {
        f"{schema}.{name}"
        for schema, name in pg_query(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw_levcapital', 'raw_sprintmode', 'analytics')"
        )
    }
    assert {
        "raw_levcapital.contacts",
        "raw_sprintmode.contacts",
        "raw_levcapital.contact_deletions",
        "raw_sprintmode.contact_deletions",
        "analytics.contacts",
        "analytics.people",
        "analytics.person_links",
        "analytics.contacts_history",
        "analytics.pipeline_runs",
    } <= tables
    (history_rows,) = pg_query("select count(*) from analytics.contacts_history")[0]
    assert history_rows == len(listed_keys(sims))
    # No unique constraints from dlt: with one on `_dlt_id`, a job repeated after a kill
    # (its COPY committed, not yet marked done) failed its source on every later night.
    assert pg_query(
        "select count(*) from pg_constraint where contype = 'u' and conname ~ 'dlt_id'"
    ) == [(0,)]
    # The documents' example queries run here as on DuckDB.
    for sql in documented_queries():
        pg_query(sql)

    code, stdout, stderr = finish(pg_cli("run"))
    assert code == 0, stdout + stderr
    assert [line for line in stdout.splitlines() if "rows written" in line] == [
        line for line in stdout.splitlines() if re.search(r", 0 rows written, ", line)
    ]
    assert last_runs(pg_query) == [
        ("levcapital", "succeeded", 0, 0, 0),
        ("sprintmode", "succeeded", 0, 0, 0),
    ]
    assert pg_query("select count(*) from analytics.contacts_history") == [(history_rows,)]

    code, stdout, stderr = finish(pg_cli("status"))
    assert code == 0, stdout + stderr
    assert stdout.startswith("Database: postgresql://postgres@127.0.0.1:")
    assert PASSWORD not in stdout
    assert re.search(r"^  levcapital  succeeded ", stdout, re.MULTILINE)
    assert re.search(r"^  analytics\.contacts +[\d,]+$", stdout, re.MULTILINE)
    assert stdout.rstrip().endswith("Status: ok")


def test_creates_updates_deletes_and_disconnects_reach_postgres(sims, pg_cli, pg_query):
    assert finish(pg_cli("run"))[0] == 0
    change_both_apis(sims, "Tonight")
    levcapital = sims["levcapital"].store
    disconnected = levcapital.list_all()[2]["id"]
    levcapital.set_connected(disconnected, False)

    code, stdout, stderr = finish(pg_cli("run"))

    assert code == 0, stdout + stderr
    assert_analytics_match(sims, pg_query)
    deleted = {
        key for (key,) in pg_query("select contact_key from analytics.contacts where is_deleted")
    }
    assert f"levcapital:{disconnected}" in deleted
    assert len(deleted) == 3  # one deleted in each API, and the one disconnected
    assert pg_query(
        "select count(*) from analytics.contacts where title = 'Title Tonight' and not is_deleted"
    ) == [(4,)]
    # The history has a second version of each contact that changed, and only of those.
    assert pg_query(
        "select count(*) from (select contact_key from analytics.contacts_history "
        "group by contact_key having count(*) = 2) as changed"
    ) == [(7,)]


def test_a_failing_source_fails_alone_on_postgres(sims, pg_cli, pg_query):
    code, stdout, stderr = finish(pg_cli("run", extra_env={"SOURCES__SPRINTMODE__API_KEY": "bad"}))

    assert code == 1
    assert stderr.startswith("sprintmode: ")
    assert "Traceback" not in stdout + stderr
    assert re.search(r"^dbt build: ok", stdout, re.MULTILINE)
    live = {key.split(":")[0] for (key,) in pg_query("select contact_key from analytics.contacts")}
    assert live == {"levcapital"}


@contextmanager
def holding_the_run_lock(postgres_url: str) -> Iterator[None]:
    """Holds the database's run lock from another session, as a running run would."""
    holder = psycopg2.connect(postgres_url)
    try:
        with holder.cursor() as cursor:
            cursor.execute("select pg_advisory_lock(%s)", (RUN_LOCK_KEY,))
        yield
    finally:
        holder.close()


def test_a_second_run_exits_75_while_another_holds_the_database(sims, pg_cli, postgres_url):
    with holding_the_run_lock(postgres_url):
        code, _, stderr = finish(pg_cli("run"))

    assert code == 75
    assert re.fullmatch(
        r"run: another run is in progress on postgresql://postgres@127\.0\.0\.1:\d+/test_\w+ "
        r"\(backend pid \d+, from 127\.0\.0\.1.*\)\n",
        stderr,
    ), stderr
    assert not sims["levcapital"].requests


def test_a_run_killed_during_its_load_converges_on_the_next(sims, pg_cli, pg_query):
    assert finish(pg_cli("run"))[0] == 0
    change_both_apis(sims, "Before")
    working_dir = PostgresDatabase(resolve_credentials()).working_dir

    killed = pg_cli("run")
    deadline = time.monotonic() + 60
    while not list(working_dir.glob("*/load/normalized/*/completed_jobs/*")):
        assert killed.poll() is None, killed.stderr.read()
        assert time.monotonic() < deadline, "no load within 60 s"
        time.sleep(0.002)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    change_both_apis(sims, "After")

    code, stdout, stderr = finish(pg_cli("run"))

    assert code == 0, stdout + stderr
    assert_analytics_match(sims, pg_query)
    # Per API, "After" retitles the 6th contact again and, the 8th being deleted and one
    # appended, the one after the 5th from the end, which "Before" retitled: 3 each.
    assert pg_query(
        "select count(*) from analytics.contacts where title in ('Title Before', 'Title After') "
        "and not is_deleted"
    ) == [(6,)]
    code, stdout, _ = finish(pg_cli("run"))
    assert code == 0
    assert last_runs(pg_query) == [
        ("levcapital", "succeeded", 0, 0, 0),
        ("sprintmode", "succeeded", 0, 0, 0),
    ]


def test_check_on_postgres_passes_and_creates_nothing(sims, pg_cli, pg_query):
    schemas_before = pg_query("select nspname from pg_namespace order by nspname")

    code, stdout, stderr = finish(pg_cli("check"))

    assert (code, stderr) == (0, ""), stdout + stderr
    assert re.search(
        r"^database: ok, postgresql://postgres@127\.0\.0\.1:\d+/test_\w+ is writable, no run "
        r"holds it, the first run creates raw_levcapital, raw_sprintmode, analytics$",
        stdout,
        re.MULTILINE,
    ), stdout
    assert re.search(r"^dbt: ok, the project parses for postgres: ", stdout, re.MULTILINE)
    assert PASSWORD not in stdout
    assert pg_query("select nspname from pg_namespace order by nspname") == schemas_before


def test_check_on_postgres_names_a_run_that_holds_the_database(sims, pg_cli, postgres_url):
    with holding_the_run_lock(postgres_url):
        code, _, stderr = finish(pg_cli("check"))

    assert code == 75
    assert re.fullmatch(
        r"database: FAILED, a run holds it \(backend pid \d+, from 127\.0\.0\.1.*\)\n", stderr
    ), stderr


def test_refresh_on_postgres_rewrites_one_source_and_versions_only_the_fix(sims, pg_cli, pg_query):
    assert finish(pg_cli("run"))[0] == 0
    fixed = sims["sprintmode"].store.list_all()[5]["id"]
    with sims["sprintmode"].store._lock:
        sims["sprintmode"].store._records[fixed]["title"] = "Fixed upstream"
    (history_rows,) = pg_query("select count(*) from analytics.contacts_history")[0]

    code, stdout, stderr = finish(pg_cli("refresh", "--source", "sprintmode"))

    assert (code, stderr) == (0, ""), stdout + stderr
    assert "sprintmode: 3 pages fetched, 300 contacts seen, 300 rows written" in stdout
    assert "(refresh: every contact rewritten, 1 new or changed)" in stdout
    assert pg_query(
        "select title from analytics.contacts where source_system = 'sprintmode' "
        "and source_contact_id = %s",
        fixed,
    ) == [("Fixed upstream",)]
    assert pg_query("select count(*) from analytics.contacts_history") == [(history_rows + 1,)]
    assert pg_query(
        "select source_system, run_type, rows_inserted, rows_updated from analytics.pipeline_runs "
        "order by started_at desc limit 1"
    ) == [("sprintmode", "refresh", 0, 1)]
