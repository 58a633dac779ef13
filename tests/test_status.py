"""`contacts-elt status`: what a monitor sees, on the demo's database and on broken ones."""

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))
TABLES = (
    "raw_levcapital.contacts",
    "raw_levcapital.contact_deletions",
    "raw_levcapital.contact_rejects",
    "raw_sprintmode.contacts",
    "raw_sprintmode.contact_deletions",
    "raw_sprintmode.contact_rejects",
    "analytics.contacts",
    "analytics.people",
    "analytics.contacts_history",
    "analytics.pipeline_runs",
)


def status(*args: str, cwd: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        [CONTACTS_ELT, "status", *args],
        env=env or {"PATH": "/usr/bin:/bin"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def read(duckdb_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture
def demo_copy(demo_run, tmp_path) -> Path:
    """A copy of the demo's database that a test may change."""
    return Path(shutil.copy(demo_run.duckdb_path, tmp_path / "copy.duckdb"))


def test_status_reports_the_demos_last_run_cursor_rows_and_freshness(demo_run, tmp_path):
    result = status("--duckdb", str(demo_run.duckdb_path), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith(f"Database: {demo_run.duckdb_path}\n\nLast run\n")
    for source in ("levcapital", "sprintmode"):
        [(inserted, updated, deleted)] = read(
            demo_run.duckdb_path,
            "select rows_inserted, rows_updated, rows_marked_deleted from analytics.pipeline_runs "
            f"where source_system = '{source}' order by started_at desc limit 1",
        )
        assert f"{inserted} inserted, {updated} updated, {deleted} marked deleted" in text, source
    for table in TABLES:
        [(count,)] = read(demo_run.duckdb_path, f"select count(*) from {table}")
        assert f"{count:,}" in next(line for line in text.splitlines() if table in line)
    assert text.endswith("\nStatus: ok\n")


def test_status_json_says_the_same_and_the_cursor_is_the_newest_loaded_update(demo_run, tmp_path):
    result = status("--duckdb", str(demo_run.duckdb_path), "--json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["problems"] == []
    assert report["tables"] == {
        table: read(demo_run.duckdb_path, f"select count(*) from {table}")[0][0] for table in TABLES
    }
    for source, state in report["sources"].items():
        assert state["last_run"]["status"] == "succeeded"
        [(newest,)] = read(
            demo_run.duckdb_path, f"select max(updated_at) from raw_{source}.contacts"
        )
        # The cursor comes from dlt's state; the demo's last changes are the newest updates.
        assert datetime.fromisoformat(state["cursor"]) == newest
        assert state["age_hours"] < 1


def test_the_environment_names_the_database_as_for_every_command(demo_run, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "CONTACTS_DUCKDB": str(demo_run.duckdb_path)}

    result = status("--json", cwd=tmp_path, env=env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["database"] == str(demo_run.duckdb_path)


def test_data_older_than_max_age_fails(demo_run, tmp_path):
    result = status("--duckdb", str(demo_run.duckdb_path), "--max-age", "0.0001", cwd=tmp_path)

    assert result.returncode == 1
    assert "\nStatus: FAILING\n" in result.stdout
    assert "  levcapital: the data is " in result.stdout
    assert "older than --max-age 0.0001 h" in result.stdout


def test_a_generous_max_age_passes(demo_run, tmp_path):
    result = status("--duckdb", str(demo_run.duckdb_path), "--max-age", "26", cwd=tmp_path)

    assert result.returncode == 0, result.stdout
    assert result.stdout.endswith("\nStatus: ok, every source loaded within 26 h\n")


def test_a_failed_last_run_fails_with_its_cause(demo_copy, tmp_path):
    started = datetime.now(UTC) + timedelta(minutes=1)
    with duckdb.connect(str(demo_copy)) as connection:
        connection.execute(
            "insert into analytics.pipeline_runs values "
            "('r9', 'sprintmode', ?, ?, 'failed', 'authentication failed (401)', "
            "0, 0, 0, 0, 0, 0.2, 0, 'incremental')",
            [started, started + timedelta(seconds=1)],
        )

    text = status("--duckdb", str(demo_copy), cwd=tmp_path)
    as_json = status("--duckdb", str(demo_copy), "--json", cwd=tmp_path)

    assert text.returncode == as_json.returncode == 1
    assert "  sprintmode  failed    " in text.stdout
    assert "  sprintmode: the last run failed at " in text.stdout
    problems = json.loads(as_json.stdout)["problems"]
    assert len(problems) == 1
    assert problems[0].endswith(": authentication failed (401)")


def test_a_writer_holding_the_database_is_one_line_and_exit_75(demo_copy, tmp_path):
    # A run writes a copy of its own (pipelines/warehouse/duckdb_publish.py); only another
    # process that opened the file for writing holds it.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', "
            "flush=True); time.sleep(60)",
            str(demo_copy),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "ready\n"
        result = status("--duckdb", str(demo_copy), cwd=tmp_path)
        as_json = status("--duckdb", str(demo_copy), "--json", cwd=tmp_path)
    finally:
        holder.kill()
        holder.wait(timeout=30)

    assert result.returncode == as_json.returncode == 75
    assert result.stdout == ""
    assert result.stderr == (
        f"status: a process holds {demo_copy} open for writing (pid {holder.pid}); try again "
        "when it has finished\n"
    )
    assert json.loads(as_json.stdout)["ok"] is False


def test_a_missing_database_is_one_line_and_exit_1(tmp_path):
    result = status("--duckdb", "nowhere.duckdb", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr == (
        f"status: no database at {tmp_path / 'nowhere.duckdb'}: nothing has been loaded yet\n"
    )
    assert not (tmp_path / "nowhere.duckdb").exists()


def test_a_source_that_never_ran_fails(tmp_path):
    duckdb_path = tmp_path / "empty.duckdb"
    duckdb.connect(str(duckdb_path)).close()

    result = status("--duckdb", str(duckdb_path), "--json", cwd=tmp_path)

    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["problems"] == ["levcapital: no run recorded", "sprintmode: no run recorded"]
    assert set(report["tables"].values()) == {None}
