"""`contacts-elt check`: each API, the database and dbt, tested before the first night, with no
writes: real HTTP to the simulators, and a DuckDB file that must not appear."""

import json
import re
import subprocess
from pathlib import Path

from conftest import LEVCAPITAL_KEY
from subprocesses import contacts_elt_starter

from pipelines.warehouse import DuckDBFile

CHECK_TIMEOUT = 120
WRONG_KEY = "sm-wrong-key-5f2c9a"


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=CHECK_TIMEOUT)
    return process.returncode, stdout, stderr


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if "sql" not in path.parts)


def api_requests(sim) -> list[tuple[str, str, dict[str, str]]]:
    return [(request.method, request.path, request.query) for request in sim.requests]


def test_with_good_keys_check_passes_with_two_small_requests_per_api_and_creates_no_file(
    sims, contacts_elt_cli, duckdb_path, tmp_path
):
    before = files_under(tmp_path)

    code, stdout, stderr = finish(contacts_elt_cli("check"))

    assert (code, stderr) == (0, ""), stdout + stderr
    lines = stdout.splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "levcapital: ok",
        "sprintmode: ok",
        "database: ok",
        "dbt: ok",
    ]
    assert lines[0] == (
        f"levcapital: ok, {sims['levcapital'].base_url} accepts the key and lists 279 contacts"
    )
    assert lines[1] == (
        f"sprintmode: ok, {sims['sprintmode'].base_url} accepts the key and lists 300 contacts"
    )
    assert lines[2] == (
        f"database: ok, {duckdb_path} does not exist yet: the first run creates it; its folder "
        "is writable"
    )
    assert re.fullmatch(r"dbt: ok, the project parses for duckdb: \d+ models, \d+ tests", lines[3])
    # The second request asks for the next contact (LevCapital) or for the page past the last
    # (SprintMode): that is where a server's paging bugs show.
    first_cursor = api_requests(sims["levcapital"])[1][2]["cursor"]
    assert api_requests(sims["levcapital"]) == [
        ("GET", "/api/external/v2/contacts", {"limit": "1"}),
        ("GET", "/api/external/v2/contacts", {"limit": "1", "cursor": first_cursor}),
    ]
    assert api_requests(sims["sprintmode"]) == [
        ("GET", "/api/contacts", {"page": "1", "limit": "1"}),
        ("GET", "/api/contacts", {"page": "301", "limit": "1"}),
    ]
    assert files_under(tmp_path) == before
    assert not duckdb_path.exists()


def test_a_bad_sprintmode_key_fails_the_check_naming_the_source_and_not_the_key(
    sims, contacts_elt_cli, tmp_path
):
    code, stdout, stderr = finish(
        contacts_elt_cli("check", extra_env={"SOURCES__SPRINTMODE__API_KEY": WRONG_KEY})
    )

    assert code == 1
    assert stderr == (
        "sprintmode: FAILED, authentication failed (401: Invalid or missing API key)\n"
    )
    assert [line.split(",")[0] for line in stdout.splitlines()] == [
        "levcapital: ok",
        "database: ok",
        "dbt: ok",
    ]
    assert WRONG_KEY not in stdout + stderr
    assert "Traceback" not in stderr


def test_a_missing_key_says_where_to_set_it(sims, simulator_env, tmp_path):
    env = {
        name: value for name, value in simulator_env.items() if "LEVCAPITAL__API_KEY" not in name
    }
    with contacts_elt_starter(env, tmp_path) as start:
        code, _, stderr = finish(start("check", "--source", "levcapital"))

    assert code == 1
    assert stderr.startswith(
        "levcapital: FAILED, missing configuration api_key: set SOURCES__LEVCAPITAL__API_KEY"
    ), stderr
    assert not sims["levcapital"].requests
    assert not sims["sprintmode"].requests


def test_an_existing_database_held_by_a_run_exits_75(sims, contacts_elt_cli, duckdb_path):
    code, _, _ = finish(contacts_elt_cli("load", "--source", "levcapital"))
    assert code == 0
    with DuckDBFile(duckdb_path).run_lock():
        code, stdout, stderr = finish(contacts_elt_cli("check", "--log-format", "json"))

    assert code == 75
    events = [json.loads(line) for line in stderr.splitlines()]
    failed = [event for event in events if event["event"] == "check_failed"]
    assert [(event["source"], event["ok"]) for event in failed] == [("database", False)]
    assert re.fullmatch(r"a run holds it \(pid \d+, lock .*run\.lock\)", failed[0]["detail"])
    assert stdout == ""

    code, stdout, _ = finish(contacts_elt_cli("check"))
    assert code == 0
    assert f"database: ok, {duckdb_path} is writable, no run holds it" in stdout
    assert LEVCAPITAL_KEY not in stdout


def test_check_fails_an_api_whose_cursor_repeats_and_notes_one_that_clamps_its_pages(
    sims, contacts_elt_cli
):
    sims["levcapital"].set_paging_trap("repeat_cursor")
    sims["sprintmode"].set_paging_trap("clamp_pages")

    code, stdout, stderr = finish(contacts_elt_cli("check"))

    assert code == 1
    assert stderr == (
        "levcapital: FAILED, the API returned the same cursor twice when asked for two pages "
        "of one contact: a night would fail\n"
    )
    assert stdout.splitlines()[0] == (
        f"sprintmode: ok, {sims['sprintmode'].base_url} accepts the key and lists 300 contacts; "
        "page 301 of one contact, past the last, repeats contacts: a night takes its listing as "
        "complete once every contact of the total is read"
    )
