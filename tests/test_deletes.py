"""Deletes, listings that shift while we page, and the incremental boundary, against the simulators.

The simulators change their data between runs and, through list-page hooks, in the middle of a
listing; every case then compares the raw tables with what the API lists.
"""

import bisect
import json
from datetime import UTC, datetime, timedelta

import pytest

from demo.simulators import Fault
from pipelines.runs.load import load_sources, pipeline_for
from pipelines.runs.transform import transform


def restore(store, record: dict) -> None:
    """Puts a hard-deleted SprintMode contact back as it was (the UI's undo)."""
    with store._lock:
        store._records[record["id"]] = record
        bisect.insort(store._order, record["id"], key=store._order_key)


def connect_quietly(store, contact_id: int) -> None:
    """Adds a LevCapital contact to the listing without touching its updated_at."""
    with store._lock:
        store._records[contact_id]["is_connected"] = True
        bisect.insort(store._listed, contact_id)


def listed_ids(sim) -> list:
    return [contact["id"] for contact in sim.store.list_all()]


def every_listing(sim, page: int, action, times: int) -> list:
    """Runs `action(store)` just before `page` is served, in each of the next `times` listings.

    Returns what each call returned, in order.
    """
    results: list = []

    def hook(store) -> None:
        results.append(action(store))
        if len(results) < times:
            sim.on_list_page(page, hook)

    sim.on_list_page(page, hook)
    return results


# --- 1. deletes -------------------------------------------------------------------------------


def test_a_contact_the_api_stops_listing_is_marked_deleted_until_it_reappears(
    sims, source_args, duckdb_path, raw_contacts, query
):
    levcapital, sprintmode = sims["levcapital"], sims["sprintmode"]
    load_sources(duckdb_path, source_args=source_args)
    jane = dict(sprintmode.store._records["ct_a1b2c3d4"])
    levcapital.store.delete(78)  # LevCapital disconnects: the contact leaves the listing
    sprintmode.store.delete("ct_a1b2c3d4")

    before = datetime.now(UTC)
    noticed = load_sources(duckdb_path, source_args=source_args)
    after = datetime.now(UTC)

    # Nothing new or changed is listed: the raw tables get no row, only the tombstones.
    assert [(load.error, load.rows_written, load.stats.marked_deleted) for load in noticed] == [
        (None, 0, 1),
        (None, 0, 1),
    ]
    levcapital_raw, sprintmode_raw = raw_contacts("levcapital"), raw_contacts("sprintmode")
    assert list(levcapital_raw.deleted) == [78]
    assert list(sprintmode_raw.deleted) == ["ct_a1b2c3d4"]
    deleted_at = levcapital_raw.deleted[78]
    assert before <= deleted_at <= after
    assert before <= sprintmode_raw.deleted["ct_a1b2c3d4"] <= after
    levcapital_raw.assert_matches(levcapital, "levcapital")
    sprintmode_raw.assert_matches(sprintmode, "sprintmode")
    # The raw contact keeps its last known values.
    assert query("select title, is_connected from raw_levcapital.contacts where id = 78") == [
        ("Senior Vice President", True)
    ]

    assert transform(duckdb_path).ok
    assert query(
        "select contact_key, is_deleted, deleted_at, title from analytics.contacts "
        "where is_deleted or contact_key in ('levcapital:79') order by 1"
    ) == [
        ("levcapital:78", True, deleted_at, "Senior Vice President"),
        ("levcapital:79", False, None, levcapital.store.get(79)["title"]),
        ("sprintmode:ct_a1b2c3d4", True, sprintmode_raw.deleted["ct_a1b2c3d4"], jane["title"]),
    ]

    unchanged = load_sources(duckdb_path, source_args=source_args)

    assert [(load.rows_written, load.stats.marked_deleted) for load in unchanged] == [
        (0, 0),
        (0, 0),
    ]
    # Still gone: the tombstone keeps the run that first noticed.
    assert raw_contacts("levcapital").deleted == {78: deleted_at}

    levcapital.store.set_connected(78, True)  # stamps updated_at, as a reconnection does
    restore(sprintmode.store, jane)  # comes back exactly as it was
    reappeared = load_sources(duckdb_path, source_args=source_args)

    assert [(load.rows_written, load.stats.reappeared) for load in reappeared] == [
        (1, 1),
        (0, 1),
    ], [load.summary_line() for load in reappeared]
    for source in ("levcapital", "sprintmode"):
        raw = raw_contacts(source)
        assert raw.deleted == {}
        raw.assert_matches(sims[source], source)
    assert transform(duckdb_path).ok
    assert query(
        "select contact_key, is_deleted, deleted_at from analytics.contacts "
        "where contact_key in ('levcapital:78', 'sprintmode:ct_a1b2c3d4') or is_deleted "
        "order by 1"
    ) == [("levcapital:78", False, None), ("sprintmode:ct_a1b2c3d4", False, None)]
    assert query("select count(*) from analytics.contacts") == [
        (len(listed_ids(levcapital)) + len(listed_ids(sprintmode)),)
    ]


def test_a_run_that_fails_midway_marks_nothing(
    sims, source_args, duckdb_path, raw_contacts, fast_http
):
    load_sources(duckdb_path, source_args=source_args)
    gone = {}
    for name, sim in sims.items():
        gone[name] = listed_ids(sim)[:3]  # on the first page, which the failed run did read
        for contact_id in gone[name]:
            sim.store.delete(contact_id)
    sims["levcapital"].faults.add(Fault(kind="status", status=503, page=2, times=None))
    sims["sprintmode"].faults.add(Fault(kind="malformed_json", page=3))

    failed = load_sources(duckdb_path, source_args=source_args)

    assert [load.error.split(" [")[0] for load in failed] == [
        "server error (503 service_unavailable: Service Unavailable)",
        "answer is not valid JSON",
    ]
    assert [load.stats.marked_deleted for load in failed] == [0, 0]
    assert [raw_contacts(name).deleted for name in sims] == [{}, {}]

    sims["levcapital"].faults.clear()
    clean = load_sources(duckdb_path, source_args=source_args)

    assert [(load.error, load.stats.marked_deleted, load.rows_written) for load in clean] == [
        (None, 3, 0),
        (None, 3, 0),
    ]
    for name, sim in sims.items():
        raw = raw_contacts(name)
        assert sorted(raw.deleted) == sorted(gone[name])
        raw.assert_matches(sim, name)


@pytest.mark.parametrize(
    ("times", "listings", "marked"),
    [
        pytest.param(1, 2, 1, id="once-then-listed-again"),
        pytest.param(None, 3, 0, id="every-time"),
    ],
)
def test_a_listing_that_ends_early_marks_no_false_deletes(
    times, listings, marked, sims, source_args, duckdb_path, raw_contacts
):
    sim = sims["sprintmode"]
    load_sources(duckdb_path, ["sprintmode"], source_args)
    sim.store.delete("ct_5c4e2a10")
    # Page 2 claims to be the last and empty, as a flaky API might: 200 contacts go unlisted.
    truncated = {"ok": True, "data": {"items": [], "total": 299, "hasMore": False}}
    sim.faults.add(Fault(kind="body", body=truncated, page=2, times=times))

    (load,) = load_sources(duckdb_path, ["sprintmode"], source_args)

    assert (load.error, load.stats.listings, load.stats.marked_deleted) == (None, listings, marked)
    assert load.stats.consistent is (times is not None)
    assert list(raw_contacts("sprintmode").deleted) == (["ct_5c4e2a10"] if marked else [])
    if times is None:
        assert load.summary_line().endswith(
            "(listed 3 times; listing kept shifting, no deletes marked)"
        )


# --- 2. listings that shift while we page -----------------------------------------------------


def delete_first_of_page_1(store):
    first = store.list_all()[0]["id"]
    store.delete(first)
    return first


def create_one(store):
    return store.create({"email": "new.hire@example.com", "first_name": "New"})["id"]


def create_at_the_end(store):
    """Creates a contact that keeps an old created_at (an import), so it is listed last."""
    created = create_one(store)
    with store._lock:
        store._order.remove(created)
        store._records[created]["created_at"] = store._records[store._order[0]]["created_at"] - 1
        store._order.insert(0, created)
    return created


def create_and_delete(store):
    deleted = delete_first_of_page_1(store)
    return create_one(store), deleted


def disconnect_the_first(store):
    first = store.list_all()[0]["id"]
    store.set_connected(first, False)
    return first


def connect_an_old_one(store):
    # Id 3 is not connected and sorts before the cursor: a listing already past it misses it.
    store.set_connected(3, True)
    return 3


# (source, what happens just before page 2 is served, listings needed, and from what that
#  returned: (rows written, ids marked deleted) by this run and by the next). A contact created
# above the reader or deleted after the listing read it is the next run's to load or mark.
SHIFTS = [
    pytest.param(
        "sprintmode",
        delete_first_of_page_1,
        2,
        lambda deleted: ((0, [deleted]), (0, [])),
        id="sprintmode-deleted-on-page-1-while-page-2-is-read",
    ),
    pytest.param(
        "sprintmode",
        create_one,
        2,
        lambda created: ((1, []), (0, [])),
        id="sprintmode-created-while-paging",
    ),
    pytest.param(
        "sprintmode",
        create_and_delete,
        1,
        lambda result: ((0, []), (1, [result[1]])),
        id="sprintmode-created-and-deleted-between-pages",
    ),
    pytest.param(
        "levcapital",
        disconnect_the_first,
        2,
        lambda disconnected: ((0, [disconnected]), (0, [])),
        id="levcapital-disconnected-while-paging",
    ),
    pytest.param(
        "levcapital",
        connect_an_old_one,
        2,
        lambda connected: ((1, []), (0, [])),
        id="levcapital-connected-behind-the-cursor",
    ),
]


@pytest.mark.parametrize(("source", "change", "listings", "expected"), SHIFTS)
def test_a_listing_that_shifts_is_listed_again_and_marks_only_real_deletes(
    source, change, listings, expected, sims, source_args, duckdb_path, raw_contacts
):
    sim = sims[source]
    load_sources(duckdb_path, [source], source_args)
    results = every_listing(sim, 2, change, times=1)

    (load,) = load_sources(duckdb_path, [source], source_args)

    (result,) = results
    (written_now, marked_now), (written_next, marked_next) = expected(result)
    assert load.error is None
    assert (load.stats.listings, load.stats.consistent) == (listings, True)
    assert (load.rows_written, load.stats.marked_deleted) == (written_now, len(marked_now))
    assert sorted(raw_contacts(source).deleted) == sorted(marked_now)

    (again,) = load_sources(duckdb_path, [source], source_args)

    assert again.stats.listings == 1
    assert (again.rows_written, again.stats.marked_deleted) == (written_next, len(marked_next))
    raw = raw_contacts(source)
    assert sorted(raw.deleted) == sorted(marked_now + marked_next)
    raw.assert_matches(sim, source)


@pytest.mark.parametrize(
    "page_concurrency",
    [pytest.param(1, id="pages-in-turn"), pytest.param(8, id="pages-fanned-out")],
)
def test_a_contact_skipped_by_a_consistent_listing_is_fetched_with_its_change(
    page_concurrency, sims, source_args, duckdb_path, raw_contacts
):
    """One contact deleted above the reader and one created below it keep every count right
    while the first contact of page 2 slides onto page 1, already read: only asking for it
    by id tells that it still exists, and loads its change."""
    sim = sims["sprintmode"]
    source_args["sprintmode"]["page_concurrency"] = page_concurrency
    load_sources(duckdb_path, ["sprintmode"], source_args)
    listing = listed_ids(sim)
    first, skipped = listing[0], listing[100]
    # Fanned out, page 3 is asked for with page 2: it must still be served after the change.
    sim.faults.add(Fault(kind="delay", seconds=0.3, page=3))

    def shift(store):
        store.update(skipped, {"title": "Head of Skipping"})
        store.delete(first)
        return create_at_the_end(store)

    results = every_listing(sim, 2, shift, times=1)
    (load,) = load_sources(duckdb_path, ["sprintmode"], source_args)

    (created,) = results
    assert (load.stats.listings, load.stats.consistent) == (1, True)
    # The deleted contact was read on page 1 before it went: the next run marks it.
    assert (load.stats.recovered, load.stats.marked_deleted) == (1, 0)
    assert load.rows_written == 2  # the skipped change and the created contact
    raw = raw_contacts("sprintmode")
    assert raw.values[skipped]["title"] == "Head of Skipping"
    assert created in raw.values

    (again,) = load_sources(duckdb_path, ["sprintmode"], source_args)

    assert (again.rows_written, again.stats.recovered, again.stats.marked_deleted) == (0, 0, 1)
    raw = raw_contacts("sprintmode")
    assert list(raw.deleted) == [first]
    raw.assert_matches(sim, "sprintmode")


def test_a_listing_that_keeps_shifting_marks_nothing_and_the_next_run_loads_what_it_skipped(
    sims, source_args, duckdb_path, raw_contacts, query
):
    """In every listing a contact is created before page 1 and one on page 1 is deleted before
    page 2: the last contact of page 1 is pushed to page 2 and pulled back, unseen, each time."""
    sim = sims["sprintmode"]
    load_sources(duckdb_path, ["sprintmode"], source_args)
    listing = listed_ids(sim)
    skipped = listing[99]
    title = sim.store.get(skipped)["title"]
    sim.store.update(skipped, {"title": "Moved while we read"})
    every_listing(sim, 1, create_one, times=3)
    deleted = every_listing(sim, 2, delete_first_of_page_1, times=3)

    (shifting,) = load_sources(duckdb_path, ["sprintmode"], source_args)

    assert (shifting.stats.listings, shifting.stats.consistent) == (3, False)
    assert shifting.stats.marked_deleted == 0
    assert raw_contacts("sprintmode").deleted == {}
    # The change was never listed: the cursor moved past it, the lag window brings it back.
    assert query("select title from raw_sprintmode.contacts where id = ?", skipped) == [(title,)]

    (clean,) = load_sources(duckdb_path, ["sprintmode"], source_args)

    assert (clean.stats.listings, clean.stats.consistent) == (1, True)
    # Of the three contacts created and deleted while listings ran, only the last listing's
    # reached the destination: a run writes what its last listing read, no earlier copy.
    assert (clean.rows_written, clean.stats.marked_deleted) == (1, 1)
    raw = raw_contacts("sprintmode")
    assert sorted(raw.deleted) == [deleted[-1]]
    assert not set(deleted[:-1]) & set(raw.ids)
    assert raw.values[skipped]["title"] == "Moved while we read"
    raw.assert_matches(sim, "sprintmode")


# --- 3. the incremental boundary --------------------------------------------------------------


def test_ties_on_updated_at_across_pages_and_runs_are_all_loaded(
    sims, source_args, duckdb_path, raw_contacts
):
    load_sources(duckdb_path, source_args=source_args)
    listings = {name: listed_ids(sim) for name, sim in sims.items()}
    for name, sim in sims.items():
        sim.clock.freeze()
        # One on each page, all with the same updated_at, the newest the cursor will have.
        listing = listings[name]
        for contact_id in (listing[0], listing[len(listing) // 2], listing[-1]):
            sim.store.update(contact_id, {"title": "Tied"})

    first = load_sources(duckdb_path, source_args=source_args)

    # Another change in the same second as the cursor, in the next run.
    for name, sim in sims.items():
        sim.store.update(listings[name][1], {"title": "Tied later"})
    second = load_sources(duckdb_path, source_args=source_args)
    third = load_sources(duckdb_path, source_args=source_args)

    assert [load.rows_written for load in (*first, *second, *third)] == [3, 3, 1, 1, 0, 0]
    for name, sim in sims.items():
        raw, listing = raw_contacts(name), listings[name]
        tied = (listing[0], listing[len(listing) // 2], listing[-1], listing[1])
        assert [raw.values[contact_id]["title"] for contact_id in tied] == [
            "Tied",
            "Tied",
            "Tied",
            "Tied later",
        ]
        raw.assert_matches(sim, name)


def test_contacts_with_a_null_updated_at_are_loaded_and_their_changes_too(
    sims, source_args, duckdb_path, query
):
    sim = sims["levcapital"]
    nulls = [c["id"] for c in sim.store.list_all() if c["updated_at"] is None]

    (first,) = load_sources(duckdb_path, ["levcapital"], source_args)

    assert nulls == [22, 79, 152, 191, 254, 272]
    assert query("select id from raw_levcapital.contacts where updated_at is null order by id") == [
        (contact_id,) for contact_id in nulls
    ]
    # The API changes one of them without stamping updated_at: nothing but its content tells.
    sim.store._records[79]["title"] = "Director of Nulls"

    (second,) = load_sources(duckdb_path, ["levcapital"], source_args)
    (third,) = load_sources(duckdb_path, ["levcapital"], source_args)

    assert (first.rows_written, second.rows_written, third.rows_written) == (279, 1, 0)
    assert query("select title, updated_at from raw_levcapital.contacts where id = 79") == [
        ("Director of Nulls", None)
    ]


def test_a_late_commit_within_the_lag_window_is_loaded(
    sims, source_args, duckdb_path, raw_contacts
):
    listings = {name: listed_ids(sim) for name, sim in sims.items()}
    for name, sim in sims.items():
        sim.store.update(listings[name][0], {"title": "Committed on time"})
    load_sources(duckdb_path, source_args=source_args)
    for name, sim in sims.items():
        # A transaction that began an hour before the last run's newest change commits now.
        sim.clock.tick(-3600)
        sim.store.update(listings[name][-1], {"title": "Committed late"})
        sim.clock.tick(3600)

    late = load_sources(duckdb_path, source_args=source_args)

    assert [load.rows_written for load in late] == [1, 1]
    for name, sim in sims.items():
        raw = raw_contacts(name)
        assert raw.values[listings[name][-1]]["title"] == "Committed late"
        raw.assert_matches(sim, name)


def test_the_state_holds_no_fingerprints_and_does_not_grow(sims, source_args, duckdb_path, query):
    sim = sims["levcapital"]
    listing = listed_ids(sim)
    load_sources(duckdb_path, ["levcapital"], source_args)
    sizes = []
    for run in range(4):
        # A day and more later, three other contacts change.
        sim.clock.tick(49 * 3600)
        changed = listing[10 * run : 10 * run + 3]
        for contact_id in changed:
            sim.store.update(contact_id, {"title": f"Run {run}"})

        (load,) = load_sources(duckdb_path, ["levcapital"], source_args)

        state = pipeline_for("levcapital", duckdb_path).state["sources"]["levcapital"]
        resource = state["resources"]["contacts"]
        assert load.rows_written == 3
        # Fingerprints live beside their rows in the raw table, one per contact.
        assert set(resource) == {"incremental"}
        assert resource["incremental"]["updated_at"]["unique_hashes"] == []
        assert query("select count(*), count(_content_hash) from raw_levcapital.contacts") == [
            (len(listing), len(listing))
        ]
        sizes.append(len(json.dumps(state, default=str)))
    assert max(sizes) - min(sizes) <= 8  # ids of other lengths, nothing more
    assert datetime.fromisoformat(
        str(resource["incremental"]["updated_at"]["last_value"])
    ) > datetime.now(UTC) + timedelta(hours=4 * 49 - 1)


def import_with_old_timestamps(store) -> str:
    """Creates a SprintMode contact the way an import keeping its history would: dated back."""
    created = create_at_the_end(store)
    with store._lock:
        record = store._records[created]
        record["updated_at"] = record["created_at"]
    return created


def test_a_contact_first_listed_with_an_old_updated_at_is_loaded(
    sims, source_args, duckdb_path, raw_contacts
):
    load_sources(duckdb_path, source_args=source_args)
    connect_quietly(sims["levcapital"].store, 80)  # connected without touching updated_at
    imported = import_with_old_timestamps(sims["sprintmode"].store)

    loads = load_sources(duckdb_path, source_args=source_args)

    assert [load.rows_written for load in loads] == [1, 1]
    assert 80 in raw_contacts("levcapital").values
    assert imported in raw_contacts("sprintmode").values
