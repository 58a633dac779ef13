"""`--log-format json`: one JSON object per line on stderr, for log collectors."""

import json
import logging
import os
import re
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import cli, logs
from pipelines.runs import nightly
from pipelines.runs.transform import TransformResult

CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))
FIELDS = {"time", "level", "event", "source", "message"}
LOG_RECORD_FIELDS = FIELDS | {"logger"}
ISO_UTC_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")

# A source's thread as `load_sources` runs it: a real dlt pipeline into DuckDB inside
# `source_context`, once loading and once failing in a job of dlt's load pool (the table is
# swapped for a view, which DuckDB will not insert into). It prints how many records dlt
# logged, counted by a filter on dlt's logger, which sees each record once before any handler.
DLT_PIPELINE_SCRIPT = textwrap.dedent(
    """
    import logging
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from pipelines import logs

    logs.configure(sys.argv[1], verbose=False)

    import dlt

    records = []
    logging.getLogger("dlt").addFilter(lambda record: records.append(record) or True)


    def load():
        with logs.source_context("levcapital"):
            pipeline = dlt.pipeline(
                pipeline_name="contacts_elt_levcapital",
                destination=dlt.destinations.duckdb("logs.duckdb"),
                dataset_name="raw_levcapital",
                pipelines_dir="pipelines",
            )
            pipeline.run([{"id": 1}], table_name="t")
            with pipeline.sql_client() as client:
                client.execute_sql("drop table raw_levcapital.t")
                client.execute_sql("create view raw_levcapital.t as select 1 as id")
            try:
                pipeline.run([{"id": 2}], table_name="t")
            except Exception:
                pass


    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="source") as pool:
        pool.submit(load).result()
    print(len(records))
    """
)


@pytest.fixture
def json_logs() -> Iterator[None]:
    """JSON output in this process, undone after the test: the format, and the root logger's
    and dlt's logger's handlers, which `configure` sets for the whole process. dlt's would
    come back only when dlt next initialises its logger, which a test process may never do."""
    root, dlt_logger = logging.getLogger(), logging.getLogger("dlt")
    handlers, level = root.handlers[:], root.level
    dlt_handlers, dlt_propagate = dlt_logger.handlers[:], dlt_logger.propagate
    logs.configure(logs.JSON, verbose=False)
    yield
    logs.configure(logs.TEXT, verbose=False)
    root.handlers[:] = handlers
    root.setLevel(level)
    dlt_logger.handlers[:] = dlt_handlers
    dlt_logger.propagate = dlt_propagate


def run_dlt_pipeline(log_format: str, cwd: Path) -> tuple[int, str]:
    """Runs `DLT_PIPELINE_SCRIPT` with dlt logging at INFO: the number of records dlt logged,
    and what the process wrote on stderr (every handler's output, whatever stream it holds)."""
    env = os.environ | {"RUNTIME__LOG_LEVEL": "INFO"}
    result = subprocess.run(
        [sys.executable, "-c", DLT_PIPELINE_SCRIPT, log_format],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout), result.stderr


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
    monkeypatch.setattr("pipelines.runs.transform.transform", lambda path, as_of=None: failed)

    exit_code = nightly.report_transform(Path("unused.duckdb"))

    assert exit_code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    [event] = events(captured.err)
    assert (event["event"], event["level"], event["source"]) == ("transform_failed", "error", "dbt")
    assert event["failures"] == failed.failures
    assert event["message"] == failed.summary_line()


def test_text_output_is_unchanged_by_the_events(monkeypatch, capsys):
    ok = TransformResult(ok=True, seconds=4.25)
    monkeypatch.setattr("pipelines.runs.transform.transform", lambda path, as_of=None: ok)

    nightly.report_transform(Path("unused.duckdb"))

    assert capsys.readouterr() == ("dbt build: ok, 4.2 s\n", "")


def test_python_log_records_are_json_lines_too(capsys, json_logs):
    logging.getLogger("pipelines.load").warning("could not record the run: %s", "disk full")

    [event] = events(capsys.readouterr().err)
    assert (event["level"], event["event"], event["logger"]) == ("warning", "log", "pipelines.load")
    assert event["message"] == "could not record the run: disk full"


def test_dlt_records_are_json_lines_of_ours_one_per_record(tmp_path):
    logged, stderr = run_dlt_pipeline(logs.JSON, tmp_path)

    lines = [json.loads(line) for line in stderr.splitlines()]
    # dlt's own handler, had it stayed, would print each record again: in its format, which
    # json.loads rejects, or in ours, which the count catches.
    assert len(lines) == logged > 0
    assert all(line.keys() - {"traceback"} == LOG_RECORD_FIELDS for line in lines), lines
    assert {(line["event"], line["source"], line["logger"]) for line in lines} == {
        ("log", "levcapital", "dlt")
    }
    assert all(ISO_UTC_MS.fullmatch(line["time"]) for line in lines)
    assert {"info", "error"} <= {line["level"] for line in lines}
    # Logged from a thread of dlt's load pool, which the source's thread started.
    [failed_job] = [line for line in lines if line["message"].startswith("Terminal exception")]
    assert failed_job.keys() == LOG_RECORD_FIELDS | {"traceback"}
    assert failed_job["level"] == "error"
    assert "Traceback (most recent call last)" in failed_job["traceback"]


def test_text_output_leaves_dlt_its_own_lines(tmp_path):
    logged, stderr = run_dlt_pipeline(logs.TEXT, tmp_path)

    # dlt's format: `2026-11-22 09:08:26,514|[INFO]|<pid>|<thread>|dlt|<file>|...`; a
    # traceback continues a record on the lines after it.
    records = [line for line in stderr.splitlines() if re.match(r"\d{4}-\d\d-\d\d .*\|dlt\|", line)]
    assert len(records) == logged > 0
    assert not any(line.startswith("{") for line in stderr.splitlines())


def test_each_thread_names_its_source_in_records_and_events(capsys, json_logs):
    both_inside = threading.Barrier(2, timeout=10)

    def load(name: str) -> None:
        with logs.source_context(name):
            both_inside.wait()
            logging.getLogger("pipelines.load").warning("%s: record", name)
            logs.emit("probe", f"{name}: event", level="warning")
            logs.emit("probe", f"{name}: event about dbt", level="warning", source="dbt")
            # A thread of our own, such as the page prefetcher, started for this source.
            helper = threading.Thread(
                target=logs.carry_source(logging.getLogger("pipelines.pages").warning),
                args=(f"{name}: record from a thread it started",),
            )
            helper.start()
            helper.join()
            both_inside.wait()

    threads = [threading.Thread(target=load, args=(name,)) for name in cli.SOURCE_NAMES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    logs.emit("probe", "the whole run", level="warning")

    expected = {"the whole run": None}
    for name in cli.SOURCE_NAMES:
        expected |= {
            f"{name}: record": name,
            f"{name}: event": name,
            f"{name}: event about dbt": "dbt",
            f"{name}: record from a thread it started": name,
        }
    logged = events(capsys.readouterr().err)
    assert len(logged) == len(expected)
    assert {line["message"]: line["source"] for line in logged} == expected
    assert logs.current_source() is None
