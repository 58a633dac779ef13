"""`--log-format json`: one JSON object per line on stderr, for log collectors."""

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import cli, logs
from pipelines.transform import TransformResult

CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))
FIELDS = {"time", "level", "event", "source", "message"}


@pytest.fixture
def json_logs() -> Iterator[None]:
    """JSON output in this process, undone after the test: the format, the root logger's
    handlers and dlt's log format, which `configure` sets for the whole process."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    dlt_format = os.environ.get("RUNTIME__LOG_FORMAT")
    logs.configure(logs.JSON, verbose=False)
    yield
    logs.configure(logs.TEXT, verbose=False)
    root.handlers[:] = handlers
    root.setLevel(level)
    if dlt_format is None:
        os.environ.pop("RUNTIME__LOG_FORMAT", None)
    else:
        os.environ["RUNTIME__LOG_FORMAT"] = dlt_format


def contacts_elt(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CONTACTS_ELT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def events(stderr: str) -> list[dict]:
    """Every line is one JSON object with the common fields, or the test fails."""
    parsed = [json.loads(line) for line in stderr.splitlines()]
    assert all(event.keys() >= FIELDS for event in parsed), parsed
    return parsed


def test_a_load_logs_one_event_per_source_with_its_counts(simulator_env, tmp_path):
    result = contacts_elt("load", "--log-format", "json", env=simulator_env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    logged = events(result.stderr)
    assert [e["event"] for e in logged] == [
        "command_started",
        "source_loaded",
        "source_loaded",
        "command_finished",
    ]
    sprintmode = logged[2]
    assert sprintmode["source"] == "sprintmode"
    assert sprintmode["level"] == "info"
    assert (sprintmode["contacts_seen"], sprintmode["rows_inserted"]) == (300, 300)
    assert sprintmode["message"].startswith("sprintmode: ")
    assert sprintmode["run_id"] == logged[1]["run_id"]
    assert logged[-1]["exit_code"] == 0


def test_a_failure_is_an_error_event_with_its_cause_and_no_secret(simulator_env, tmp_path):
    env = simulator_env | {"SOURCES__LEVCAPITAL__API_KEY": "expired-secret-token"}

    result = contacts_elt("load", "--log-format", "json", env=env, cwd=tmp_path)

    assert result.returncode == 1
    failed = next(e for e in events(result.stderr) if e["event"] == "source_failed")
    assert failed["level"] == "error"
    assert failed["source"] == "levcapital"
    assert failed["error"].startswith("authentication failed (401 unauthorized")
    assert "traceback" not in failed
    assert "expired-secret-token" not in result.stderr
    assert events(result.stderr)[-1]["exit_code"] == 1


def test_the_transform_is_an_event_of_dbt_that_names_its_failures(json_logs, monkeypatch, capsys):
    failed = TransformResult(
        ok=False,
        seconds=1.5,
        failures=["unique_contacts_contact_key (test): Got 2 results"],
        skipped=["contacts_history (snapshot)"],
    )
    monkeypatch.setattr("pipelines.transform.transform", lambda path, as_of=None: failed)

    exit_code = cli._report_transform(Path("unused.duckdb"))

    assert exit_code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    [event] = events(captured.err)
    assert (event["event"], event["level"], event["source"]) == ("transform_failed", "error", "dbt")
    assert event["failures"] == failed.failures
    assert event["message"] == failed.summary_line()


def test_text_output_is_unchanged_by_the_events(monkeypatch, capsys):
    ok = TransformResult(ok=True, seconds=4.25)
    monkeypatch.setattr("pipelines.transform.transform", lambda path, as_of=None: ok)

    cli._report_transform(Path("unused.duckdb"))

    assert capsys.readouterr() == ("dbt build: ok, 4.2 s\n", "")


def test_python_log_records_are_json_lines_too(capsys, json_logs):
    logging.getLogger("pipelines.load").warning("could not record the run: %s", "disk full")

    [event] = events(capsys.readouterr().err)
    assert (event["level"], event["event"], event["logger"]) == ("warning", "log", "pipelines.load")
    assert event["message"] == "could not record the run: disk full"
