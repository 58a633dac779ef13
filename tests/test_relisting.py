"""A listing read again keeps nothing from the earlier reading: no stale copy, no ghost contact.

A contact new to the destination whose `updated_at` is behind the cursor is merged in a second,
cursor-free pass. When a shifting listing is read again, only what the last listing showed may
reach that pass: a copy from an earlier listing could be older than the last one, or belong
to a contact deleted between the two.
"""

import bisect

from pipelines.runs.load import load_sources

OLD_CONTACT = 3  # not connected in the generated data, and updated long before any cursor


def connect_quietly(store, contact_id: int) -> None:
    """Adds a LevCapital contact to the listing without touching its updated_at."""
    with store._lock:
        store._records[contact_id]["is_connected"] = True
        bisect.insort(store._listed, contact_id)


def disconnect_quietly(store, contact_id: int) -> None:
    with store._lock:
        store._records[contact_id]["is_connected"] = False
        store._listed.remove(contact_id)


def retitle_quietly(store, contact_id: int, title: str) -> None:
    """Changes a title without a new updated_at, as a fix made in the database would."""
    with store._lock:
        store._records[contact_id]["title"] = title


def test_a_contact_deleted_between_two_listings_is_not_loaded_from_the_first(
    sims, source_args, duckdb_path, raw_contacts
):
    sim = sims["levcapital"]
    load_sources(duckdb_path, ["levcapital"], source_args)
    connect_quietly(sim.store, OLD_CONTACT)
    # After page 1 (which lists it) and before page 2: it goes, and the total changes with it.
    sim.on_list_page(2, lambda store: disconnect_quietly(store, OLD_CONTACT))

    (load,) = load_sources(duckdb_path, ["levcapital"], source_args)

    assert (load.error, load.stats.listings, load.stats.consistent) == (None, 2, True)
    assert load.rows_written == 0
    raw = raw_contacts("levcapital")
    assert OLD_CONTACT not in raw.values
    raw.assert_matches(sim, "levcapital")


def test_a_contact_changed_between_two_listings_lands_as_the_last_listing_shows_it(
    sims, source_args, duckdb_path, query
):
    sim = sims["levcapital"]
    load_sources(duckdb_path, ["levcapital"], source_args)
    connect_quietly(sim.store, OLD_CONTACT)
    gone = sim.store.list_all()[1]["id"]

    def change_while_paging(store) -> None:
        retitle_quietly(store, OLD_CONTACT, "Fresher title")
        disconnect_quietly(store, gone)  # shifts the listing, so it is read again

    sim.on_list_page(2, change_while_paging)

    (load,) = load_sources(duckdb_path, ["levcapital"], source_args)

    assert (load.error, load.stats.listings, load.stats.marked_deleted) == (None, 2, 1)
    assert query(f"select title from raw_levcapital.contacts where id = {OLD_CONTACT}") == [
        ("Fresher title",)
    ]
