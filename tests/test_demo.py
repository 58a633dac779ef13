"""`contacts-elt demo`: several simulated nights into its own database, with a true history."""

import itertools
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from demo.nights import (
    CHANGES_BEFORE_RUN,
    DemoRefused,
    demo_nights,
    night_times,
    running_simulators,
    start_fresh,
)
from demo.simulators.clock import GENERATED_DATA_END
from pipelines.identity.evaluation import pairwise_score
from pipelines.paths import pipelines_dir_for

CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))
# What the history holds per run: versions of new contacts, of changed live ones, and of
# contacts that became deleted, per source.
HISTORY_BY_RUN = """
    with versions as (
        select
            source_system,
            valid_from,
            is_deleted,
            lag(is_deleted) over (partition by contact_key order by valid_from) as was_deleted
        from analytics.contacts_history
    )

    select
        valid_from,
        source_system,
        count(*) filter (where was_deleted is null) as created,
        count(*) filter (where not is_deleted and not was_deleted) as updated,
        count(*) filter (where is_deleted and not was_deleted) as deleted
    from versions
    group by all
    order by all
"""


def read(duckdb_path, sql):
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_the_demo_prints_each_night_and_a_summary(demo_run):
    lines = demo_run.result.stdout.splitlines()

    headings = [line for line in lines if line.startswith("night ")]
    assert [heading.split(",")[0] for heading in headings] == [
        f"night {n} of {demo_run.nights}" for n in range(1, demo_run.nights + 1)
    ]
    assert headings[0].endswith(" 02:00 UTC: first load")
    assert all(" updated, " in heading for heading in headings[1:])
    assert sum(line.startswith("dbt build: ok") for line in lines) == demo_run.nights
    assert f"Database: {demo_run.duckdb_path}" in lines
    assert f"  make sql CONTACTS_DUCKDB={demo_run.duckdb_path}" in lines
    assert demo_run.result.stderr == ""


def test_the_demo_writes_only_its_own_database(demo_run):
    assert demo_run.duckdb_path.exists()
    # CONTACTS_DUCKDB named this one; it is the real database's name, not the demo's.
    assert not (demo_run.directory / "real.duckdb").exists()


def test_every_source_contact_is_in_the_analytics_tables(demo_run):
    [(raw, contacts, live)] = read(
        demo_run.duckdb_path,
        "select (select count(*) from raw_levcapital.contacts)"
        " + (select count(*) from raw_sprintmode.contacts),"
        " (select count(*) from analytics.contacts),"
        " (select count(*) from analytics.contacts where not is_deleted)",
    )

    assert contacts == raw
    # About --contacts per API: the demo's people are in each API at set rates, a few have
    # a duplicate contact, and each night creates and deletes about as many as the other.
    assert demo_run.contacts * 1.8 < live < demo_run.contacts * 2.2


def test_the_demo_records_who_is_who_for_every_contact_and_its_people_match_it(demo_run):
    truth = dict(read(demo_run.duckdb_path, "select contact_key, person_id from demo_people"))
    people = dict(
        read(demo_run.duckdb_path, "select contact_key, person_key from analytics.contacts")
    )

    # Contacts created during the nights are labelled too: a new LevCapital contact copied
    # from SprintMode is that contact's person.
    assert set(people) <= set(truth)
    score = pairwise_score(people, truth)
    assert score.true_pairs > 100
    assert score.precision >= 0.99, score
    assert score.recall >= 0.95, score


def test_the_history_has_one_run_per_night_with_exactly_the_changes_made(demo_run):
    history = read(demo_run.duckdb_path, HISTORY_BY_RUN)
    made = read(
        demo_run.duckdb_path,
        "select as_of, source_system, created, updated, deleted from demo_changes order by all",
    )

    nights = sorted({row[0] for row in made})
    assert len(nights) == demo_run.nights
    assert all(b - a == timedelta(days=1) for a, b in itertools.pairwise(nights))
    # The first night records every contact as new; after it, the history holds exactly the
    # demo's updates, creates and deletes, each recorded as of its simulated night.
    assert [row[:2] for row in history] == [row[:2] for row in made]
    assert history[2:] == made[2:]
    assert all(sum(row[2:]) > 0 for row in made[2:])


def test_the_run_history_counts_the_same_changes(demo_run):
    runs = read(
        demo_run.duckdb_path,
        "select source_system, rows_inserted, rows_updated, rows_marked_deleted "
        "from analytics.pipeline_runs where status = 'succeeded' order by started_at, 1",
    )
    made = read(
        demo_run.duckdb_path,
        "select source_system, created, updated, deleted from demo_changes order by night, 1",
    )

    assert runs[2:] == made[2:]


def test_the_latest_night_is_the_latest_nightly_time_before_now():
    now = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)

    assert night_times(3, now) == [
        datetime(2026, 11, 19, 2, tzinfo=UTC),
        datetime(2026, 11, 20, 2, tzinfo=UTC),
        datetime(2026, 11, 21, 2, tzinfo=UTC),
    ]


def test_nights_start_after_the_generated_data_whatever_the_machines_clock():
    times = night_times(2, datetime(2020, 1, 1, tzinfo=UTC))

    assert times[0] > GENERATED_DATA_END
    assert times[1] - times[0] == timedelta(days=1)


def test_the_same_seed_makes_the_same_changes_at_the_same_times():
    now = datetime(2026, 11, 22, 9, tzinfo=UTC)

    def contacts_after_the_nights(seed):
        with running_simulators(n_contacts=120, seed=seed) as apis:
            headings = [night.heading() for night in demo_nights(apis, 3, seed=seed, now=now)]
            return headings, apis.levcapital.store.list_all(), apis.sprintmode.store.list_all()

    first = contacts_after_the_nights(seed=5)

    assert contacts_after_the_nights(seed=5) == first
    assert contacts_after_the_nights(seed=6) != first
    changed_at = datetime(2026, 11, 21, 2, tzinfo=UTC) - CHANGES_BEFORE_RUN
    assert changed_at.strftime("%Y-%m-%dT%H:%M:%SZ") in {c["updated_at"] for c in first[1]}


def test_a_new_demo_replaces_the_last_demos_database_and_state(tmp_path):
    duckdb_path = tmp_path / "demo.duckdb"
    with duckdb.connect(str(duckdb_path)) as connection:
        connection.execute("create table demo_changes (night integer)")
    working = pipelines_dir_for(duckdb_path)
    (working / "contacts_elt_levcapital").mkdir(parents=True)
    (working / "run.lock").write_text("123\n")

    start_fresh(duckdb_path)

    assert not duckdb_path.exists()
    assert [path.name for path in working.iterdir()] == ["run.lock"]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("create table analytics_table (x integer)", id="another-duckdb-file"),
        pytest.param(None, id="not-a-duckdb-file"),
    ],
)
def test_the_demo_never_replaces_a_database_that_a_demo_did_not_make(tmp_path, content):
    duckdb_path = tmp_path / "precious.duckdb"
    if content is None:
        duckdb_path.write_text("not a database")
    else:
        with duckdb.connect(str(duckdb_path)) as connection:
            connection.execute(content)
    before = duckdb_path.read_bytes()

    with pytest.raises(DemoRefused):
        start_fresh(duckdb_path)
    result = subprocess.run(
        [CONTACTS_ELT, "demo", "--duckdb", str(duckdb_path)],
        env={"PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr == (
        f"demo: {duckdb_path} exists and is not a demo database; the demo starts from an "
        "empty database, so give it a new --duckdb path\n"
    )
    assert duckdb_path.read_bytes() == before
