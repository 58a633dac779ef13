"""A contact that breaks its API's contract is set aside; every other contact still lands.

Before, one contact with an unreadable timestamp failed its whole source, every night until
someone fixed it upstream. Now it goes to `raw_<source>.contact_rejects` with its payload and
the reason, the others load, deletes are still inferred, and it loads once it reads well.
"""

import json

from demo.simulators import OMIT, Fault
from pipelines.runs.load import load_sources
from pipelines.runs.transform import transform

TWO_MEGABYTES = "x" * (2 * 1024 * 1024)


def rejects(query, source: str) -> dict:
    return {
        key: (contact_id, reason, json.loads(payload))
        for key, contact_id, reason, payload in query(
            f"select reject_key, id, reason, payload from raw_{source}.contact_rejects"
        )
    }


def break_contacts(sims) -> dict[str, list]:
    """Makes four contacts of each API break the contract, as upstream bugs would."""
    lev, sm = sims["levcapital"].store, sims["sprintmode"].store
    lev_ids = [contact["id"] for contact in lev.list_all()[10:14]]
    sm_ids = [contact["id"] for contact in sm.list_all()[10:14]]
    lev.corrupt(lev_ids[0], created_at="yesterday")
    lev.corrupt(lev_ids[1], first_name={"given": "Ann"})
    lev.corrupt(lev_ids[2], title=TWO_MEGABYTES)
    lev.corrupt(lev_ids[3], id=OMIT)
    sm.corrupt(sm_ids[0], updated_at="31/12/2025 10:00")
    sm.corrupt(sm_ids[1], full_name=42)
    sm.corrupt(sm_ids[2], portal_access={"level": 1})
    sm.corrupt(sm_ids[3], id=OMIT)
    return {"levcapital": lev_ids, "sprintmode": sm_ids}


def test_malformed_contacts_are_set_aside_and_the_others_land_night_after_night(
    sims, source_args, duckdb_path, query, raw_contacts
):
    load_sources(duckdb_path, source_args=source_args)
    lev, sm = sims["levcapital"].store, sims["sprintmode"].store
    # Other changes of the same night: they must land despite the broken contacts.
    lev_other, sm_other = lev.list_all()[20]["id"], sm.list_all()[20]["id"]
    lev.update(lev_other, {"title": "Changed tonight"})
    sm.update(sm_other, {"title": "Changed tonight"})
    sm.delete(sm.list_all()[30]["id"])
    broken = break_contacts(sims)

    night = load_sources(duckdb_path, source_args=source_args)

    assert [load.error for load in night] == [None, None]
    assert [(load.rows_written, load.stats.marked_deleted) for load in night] == [(1, 0), (1, 1)]
    lev_ids, sm_ids = broken["levcapital"], broken["sprintmode"]
    assert sorted(
        (value[:2] for value in rejects(query, "levcapital").values()), key=str
    ) == sorted(
        [
            (str(lev_ids[0]), "created_at is unreadable: Invalid isoformat string: 'yesterday'"),
            (str(lev_ids[1]), "first_name is an object, not a string"),
            (str(lev_ids[2]), "title is 2,097,152 characters long, over the limit of 65,536"),
            (None, "has no id"),
        ],
        key=str,
    )
    sm_rejects = rejects(query, "sprintmode")
    assert sorted(reason for _, reason, _ in sm_rejects.values()) == [
        "full_name is a number, not a string",
        "has no id",
        "portal_access is an object, not an integer",
        "updated_at is unreadable: Invalid isoformat string: '31/12/2025 10:00'",
    ]
    # The payload is the item exactly as the API sent it.
    assert sm_rejects[sm_ids[1]][2]["full_name"] == 42
    assert sm_rejects[sm_ids[0]][2]["updated_at"] == "31/12/2025 10:00"
    # A rejected contact is listed, so it is not deleted: raw keeps its last good values.
    assert query(f"select title from raw_levcapital.contacts where id = {lev_other}") == [
        ("Changed tonight",)
    ]
    assert raw_contacts("levcapital").deleted == {}
    assert len(raw_contacts("sprintmode").deleted) == 1
    assert not set(raw_contacts("sprintmode").deleted) & set(sm_ids)
    assert query(
        "select source_system, rows_rejected from analytics.pipeline_runs "
        "where rows_rejected > 0 order by 1"
    ) == [("levcapital", 4), ("sprintmode", 4)]
    assert transform(duckdb_path).ok

    # The next night, with the same broken contacts: the rejects stay, nothing else is written.
    again = load_sources(duckdb_path, source_args=source_args)
    assert [(load.rows_written, len(load.stats.rejected)) for load in again] == [(0, 4), (0, 4)]
    assert len(rejects(query, "levcapital")) == 4

    # Fixed upstream: they read well, load as they are, and leave the rejects table.
    for name, ids in broken.items():
        for contact_id in ids:
            sims[name].store.repair(contact_id)
    fixed = load_sources(duckdb_path, source_args=source_args)

    assert [len(load.stats.rejected) for load in fixed] == [0, 0]
    assert [rejects(query, name) for name in sims] == [{}, {}]
    for name, sim in sims.items():
        raw_contacts(name).assert_matches(sim, name)


def test_a_run_with_rejects_exits_3_and_names_them_in_one_warning_line(
    sims, contacts_elt_cli, query
):
    lev = sims["levcapital"].store
    bad = lev.list_all()[5]["id"]
    lev.corrupt(bad, created_at="yesterday")

    run = contacts_elt_cli("load")
    stdout, stderr = run.communicate(timeout=120)

    assert run.returncode == 3, stdout + stderr
    assert stderr.splitlines() == [
        f"levcapital: 1 contact set aside in raw_levcapital.contact_rejects: {bad} "
        "(created_at is unreadable: Invalid isoformat string: 'yesterday')"
    ]
    assert stdout.splitlines()[0].endswith("(1 set aside as rejects)")


def test_an_error_envelope_on_a_200_reports_the_apis_own_message(sims, source_args, duckdb_path):
    sims["levcapital"].faults.add(
        Fault(kind="body", body={"error": {"message": "boom"}}, page=1, times=None)
    )

    (load,) = load_sources(duckdb_path, ["levcapital"], source_args)

    assert load.error == "boom"


def test_status_counts_the_rejects(sims, source_args, duckdb_path):
    from pipelines.runs.status import read_status

    sims["sprintmode"].store.corrupt(sims["sprintmode"].store.list_all()[0]["id"], email=7)
    load_sources(duckdb_path, source_args=source_args)

    status = read_status(duckdb_path)

    assert [(s.source, s.rejected_contacts) for s in status.sources] == [
        ("levcapital", 0),
        ("sprintmode", 1),
    ]
    assert status.ok and status.to_text().endswith("Status: ok, with 1 contacts set aside")
