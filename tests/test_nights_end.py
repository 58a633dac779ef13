"""Every night ends: an API whose paging never stops is stopped, through the real CLI.

A server that repeats a cursor, or clamps a page number to the last page, answers every next
page with contacts already read and says more follow. Before, `contacts-elt run` read such a
listing forever, at 84 requests a second, and never reached the transform. Now the listing
ends as complete when every contact of its total was read, and otherwise the source fails
with one line, marks nothing deleted, and the other source loads and transforms.
"""

import time

import pytest
from postgres import finish

# Far above what any of these nights takes, far below forever.
NIGHT_TIMEOUT = 120


def listing_requests(sim) -> int:
    return sum(1 for request in sim.requests if request.path.endswith("contacts"))


def live_keys(query, source: str) -> set[str]:
    return {
        key
        for (key,) in query(
            "select contact_key from analytics.contacts where source_system = ? and not is_deleted",
            source,
        )
    }


def test_a_repeated_cursor_stops_levcapital_alone_and_the_next_good_night_converges(
    sims, contacts_elt_cli, query, raw_contacts
):
    assert finish(contacts_elt_cli("run"))[0] == 0
    lev, sm = sims["levcapital"], sims["sprintmode"]
    gone = lev.store.list_all()[-1]["id"]
    lev.store.delete(gone)
    changed = sm.store.list_all()[7]["id"]
    sm.store.update(changed, {"title": "Changed tonight"})
    # 50 a page: 279 contacts take 6 pages, and the cursor repeats from page 2 on.
    lev.set_paging_trap("repeat_cursor", from_page=2)
    lev.clear_requests()

    started = time.monotonic()
    code, stdout, stderr = finish(
        contacts_elt_cli("run", extra_env={"SOURCES__LEVCAPITAL__PAGE_SIZE": "50"}),
        timeout=NIGHT_TIMEOUT,
    )

    assert time.monotonic() - started < NIGHT_TIMEOUT
    assert code == 1
    assert stderr == (
        "levcapital: the API returned the same cursor twice; the listing was stopped after 2 "
        "pages\n"
    )
    # Two pages, and those the prefetch thread had asked for before the listing was stopped.
    assert listing_requests(lev) <= 2 + 4
    assert "dbt build: ok" in stdout
    # The other source's night is whole: its change reached analytics.
    assert query(
        "select title from analytics.contacts where contact_key = ?", f"sprintmode:{changed}"
    ) == [("Changed tonight",)]
    # Nothing of the unfinished listing marked deleted.
    assert f"levcapital:{gone}" in live_keys(query, "levcapital")

    lev.set_paging_trap(None)
    code, stdout, stderr = finish(contacts_elt_cli("run"), timeout=NIGHT_TIMEOUT)

    assert (code, stderr) == (0, ""), stdout + stderr
    raw_contacts("levcapital").assert_matches(lev, "levcapital")
    assert f"levcapital:{gone}" not in live_keys(query, "levcapital")


@pytest.mark.parametrize(
    ("source", "trap", "pages", "most_requests"),
    [
        # Pages 2 and 3 fanned out, page 4 the clamped last page again: done.
        pytest.param("sprintmode", "clamp_pages", 4, 8, id="sprintmode-page-clamped-to-the-last"),
        # hasMore forever, and an empty page 4: done.
        pytest.param("sprintmode", "endless_empty", 4, 8, id="sprintmode-has-more-forever"),
        # The last page leads back to the first: the first page again, every contact read.
        pytest.param("levcapital", "cursor_loop", 3, 7, id="levcapital-cursor-back-to-start"),
        # Empty pages with new cursors past the last contact: done at the first.
        pytest.param("levcapital", "endless_empty", 3, 7, id="levcapital-has-more-forever"),
    ],
)
def test_a_listing_whose_every_contact_was_read_ends_there_as_complete(
    sims, contacts_elt_cli, raw_contacts, source, trap, pages, most_requests
):
    load = ("load", "--source", source)
    assert finish(contacts_elt_cli(*load))[0] == 0
    sim = sims[source]
    sim.store.delete(sim.store.list_all()[3]["id"])
    sim.set_paging_trap(trap)
    sim.clear_requests()

    code, stdout, stderr = finish(contacts_elt_cli(*load), timeout=NIGHT_TIMEOUT)

    assert (code, stderr) == (0, ""), stdout + stderr
    assert f"{source}: {pages} pages fetched" in stdout
    assert listing_requests(sim) <= most_requests
    # The listing was complete, so the contact deleted upstream is marked deleted.
    raw_contacts(source).assert_matches(sim, source)


def test_a_page_stuck_before_the_end_stops_sprintmode_alone(sims, contacts_elt_cli, raw_contacts):
    sims["sprintmode"].set_paging_trap("stuck_page", from_page=2)

    code, _, stderr = finish(contacts_elt_cli("load"), timeout=NIGHT_TIMEOUT)

    assert code == 1
    assert stderr == (
        "sprintmode: page 4 repeated contacts already listed, past the 3 pages its total fills "
        "(200 of 300 contacts read); the listing was stopped after 4 pages\n"
    )
    assert listing_requests(sims["sprintmode"]) <= 4 + 4
    raw_contacts("levcapital").assert_matches(sims["levcapital"], "levcapital")


def test_a_listing_that_outlives_its_time_limit_is_stopped(sims, contacts_elt_cli, raw_contacts):
    # 15 pages of 20, one at a time, 0.3 s each: far more than the second allowed.
    sims["sprintmode"].latency = 0.3
    slow = {
        "SOURCES__SYNC__MAX_LISTING_SECONDS": "1",
        "SOURCES__SPRINTMODE__PAGE_SIZE": "20",
        "SOURCES__SPRINTMODE__PAGE_CONCURRENCY": "1",
    }

    started = time.monotonic()
    code, _, stderr = finish(contacts_elt_cli("load", extra_env=slow), timeout=NIGHT_TIMEOUT)

    assert code == 1
    assert stderr.startswith(
        "sprintmode: the listing took longer than 1 s ([sources.sync] max_listing_seconds); "
        "the listing was stopped after "
    ), stderr
    assert len(stderr.splitlines()) == 1
    assert listing_requests(sims["sprintmode"]) < 15
    assert time.monotonic() - started < NIGHT_TIMEOUT
    raw_contacts("levcapital").assert_matches(sims["levcapital"], "levcapital")
