"""`contacts-elt refresh --source NAME`: every contact read and written again, nothing dropped.

A plain run already finds a contact changed without a new `updated_at`, by its fingerprint.
What it cannot see is a raw row that differs from what the API sends while the fingerprint
beside it still matches (a row damaged by hand, or written by an older contract): a refresh
rewrites every contact, so it repairs those too, and the history gains a version only where
the content changed.
"""

import re
import subprocess
from typing import Any

import duckdb
import pytest

from pipelines.runs.status import read_cursor, read_status
from pipelines.warehouse import existing_tables

RUN_TIMEOUT = 180


def finished(process: subprocess.Popen) -> str:
    """The stdout of a command that must succeed quietly: exit 0 and nothing on stderr."""
    stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
    assert (process.returncode, stderr) == (0, ""), stdout + stderr
    return stdout


def retitle_quietly(store: Any, contact_id: Any, field: str, value: str) -> None:
    """Changes a field without a new updated_at, as a fix made in the CRM's database would."""
    with store._lock:
        store._records[contact_id][field] = value


def cursor(duckdb_path, source: str) -> Any:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return read_cursor(connection, existing_tables(connection), source)


@pytest.mark.parametrize(
    ("shape", "field"),
    # The documented minimum sends no title and no timestamps: there is no cursor at all.
    [("full", "title"), ("list_example_no_timestamps", "portal_role")],
)
def test_refresh_lands_what_a_run_cannot_see_and_versions_only_what_changed(
    shape, field, sims, contacts_elt_cli, duckdb_path, query
):
    sprintmode = sims["sprintmode"]
    for sim in sims.values():
        sim.list_shape = shape
    finished(contacts_elt_cli("run"))
    cursor_before = cursor(duckdb_path, "sprintmode")
    assert (cursor_before is None) == (shape != "full")
    ids = [contact["id"] for contact in sprintmode.store.list_all()]
    fixed, damaged, deleted = ids[10], ids[20], ids[30]
    served_value = next(c for c in sprintmode.store.list_all() if c["id"] == damaged)[field]

    # The raw row no longer says what the API says, but its fingerprint still matches: a
    # plain run writes nothing for it.
    with duckdb.connect(str(duckdb_path)) as connection:
        connection.execute(
            f"update raw_sprintmode.contacts set {field} = 'damaged' where id = ?", [damaged]
        )
    finished(contacts_elt_cli("run"))
    assert query(f"select {field} from raw_sprintmode.contacts where id = ?", damaged) == [
        ("damaged",)
    ]
    history_before = query("select count(*) from analytics.contacts_history")[0][0]

    retitle_quietly(sprintmode.store, fixed, field, "Fixed upstream")
    sprintmode.store.delete(deleted)
    output = finished(contacts_elt_cli("refresh", "--source", "sprintmode"))

    first_line = output.splitlines()[0]
    assert first_line.startswith("sprintmode: 3 pages fetched, 299 contacts seen, 299 rows written")
    assert first_line.endswith(
        "(refresh: every contact rewritten, 1 new or changed; 1 marked deleted)"
    )
    assert "levcapital" not in output
    # Raw and analytics hold what the API sends, for every contact.
    assert query(
        f"select id, {field} from raw_sprintmode.contacts where id in (?, ?) order by id",
        *sorted([fixed, damaged]),
    ) == sorted([(fixed, "Fixed upstream"), (damaged, served_value)])
    assert query(
        f"select source_contact_id, {field}, is_deleted from analytics.contacts "
        "where source_system = 'sprintmode' and source_contact_id in (?, ?) "
        "order by source_contact_id",
        *sorted([fixed, damaged]),
    ) == sorted([(fixed, "Fixed upstream", False), (damaged, served_value, False)])
    assert query(
        "select is_deleted from analytics.contacts where source_contact_id = ?", deleted
    ) == [(True,)]
    # A version for the fix, the repair and the delete; none for the 296 rewritten as they were.
    assert query(
        "select source_contact_id from analytics.contacts_history "
        "where recorded_at = (select max(recorded_at) from analytics.contacts_history) "
        "order by source_contact_id"
    ) == sorted((i,) for i in (fixed, damaged, deleted))
    assert query("select count(*) from analytics.contacts_history")[0][0] == history_before + 3
    assert query(
        "select source_system, run_type, rows_inserted, rows_updated, rows_marked_deleted "
        "from analytics.pipeline_runs order by started_at desc limit 1"
    ) == [("sprintmode", "refresh", 0, 1, 1)]
    # The refresh read past the cursor without moving it.
    assert cursor(duckdb_path, "sprintmode") == cursor_before
    status = read_status(duckdb_path).to_text()
    assert re.search(r"^  sprintmode  succeeded .*, a refresh: 3 pages, ", status, re.MULTILINE)
    assert not re.search(r"^  levcapital .*, a refresh", status, re.MULTILINE)


def test_refresh_names_one_source(contacts_elt_cli):
    process = contacts_elt_cli("refresh")
    _, stderr = process.communicate(timeout=RUN_TIMEOUT)

    assert process.returncode == 2
    assert "the following arguments are required: --source" in stderr
