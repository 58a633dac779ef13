"""Progress of a load: JSON events, quiet text under cron, live lines on a terminal."""

import io
import json
import logging
import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import LEVCAPITAL_KEY, SEED, SPRINTMODE_KEY
from subprocesses import CONTACTS_ELT

from demo.simulators import LevCapitalSimulator, SprintModeSimulator
from pipelines import logs
from pipelines.runs.progress import reporting_progress
from pipelines.runs.results import SourceLoad

# Enough for several pages per source (LevCapital pages of 200, SprintMode of 100), and with
# the latency below a listing lasts about a second: long enough for a few events 50 ms apart.
N_CONTACTS = 800
LATENCY_SECONDS = 0.1
FAST_PROGRESS = {"LOAD_PROGRESS__INTERVAL_SECONDS": "0.05"}
ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@pytest.fixture
def levcapital_sim() -> Iterator[LevCapitalSimulator]:
    with LevCapitalSimulator(n_contacts=N_CONTACTS, seed=SEED, api_key=LEVCAPITAL_KEY) as sim:
        sim.latency = LATENCY_SECONDS
        yield sim


@pytest.fixture
def sprintmode_sim() -> Iterator[SprintModeSimulator]:
    with SprintModeSimulator(n_contacts=N_CONTACTS, seed=SEED, api_key=SPRINTMODE_KEY) as sim:
        sim.latency = LATENCY_SECONDS
        yield sim


def listed(sim: Any) -> int:
    """The contacts the API lists, which its first page reports as the total."""
    return len(sim.store.list_all())


def test_json_load_emits_progress_events_of_each_source(contacts_elt_cli, sims):
    process = contacts_elt_cli("load", "--log-format", "json", extra_env=FAST_PROGRESS)
    stdout, stderr = process.communicate(timeout=120)

    assert process.returncode == 0, stderr
    assert stdout == ""
    # Every line on stderr is JSON, the live lines of a terminal included: there are none.
    events = [json.loads(line) for line in stderr.splitlines()]
    for name, sim in sims.items():
        progress = [e for e in events if e["event"] == "load_progress" and e["source"] == name]
        assert progress, name
        assert {e["contacts_total"] for e in progress} - {None} == {listed(sim)}
        # A total, once page 1 has told it, stays; the counts only grow.
        totals = [e["contacts_total"] is not None for e in progress]
        assert totals == sorted(totals)
        for field in ("pages", "contacts_seen", "seconds"):
            values = [e[field] for e in progress]
            assert values == sorted(values), (name, field, values)
        assert all(e["contacts_seen"] <= listed(sim) for e in progress)
        assert {e["level"] for e in progress} == {"info"}
        assert re.fullmatch(
            rf"{name}: [\d,]+(/{listed(sim):,})? contacts, [\d,]+(/[\d,]+)? pages, \d+ s",
            progress[-1]["message"],
        )
        # Progress stops before the first summary line.
        loaded = next(i for i, e in enumerate(events) if e["event"] == "source_loaded")
        assert events.index(progress[-1]) < loaded


@pytest.mark.parametrize(
    ("flags", "reports"),
    [
        pytest.param((), False, id="quiet-without-verbose"),
        pytest.param(("--verbose",), True, id="log-lines-with-verbose"),
    ],
)
def test_text_load_off_a_terminal_reports_progress_only_when_verbose(
    contacts_elt_cli, sims, flags, reports
):
    process = contacts_elt_cli("load", *flags, extra_env=FAST_PROGRESS)
    stdout, stderr = process.communicate(timeout=120)

    assert process.returncode == 0, stderr
    # The summary lines, and nothing else, as a nightly run under cron prints them.
    assert [line.split(":")[0] for line in stdout.splitlines()] == ["levcapital", "sprintmode"]
    if not reports:
        assert stderr == ""
        return
    progress = [line for line in stderr.splitlines() if "pipelines.runs.progress" in line]
    for name, sim in sims.items():
        lines = [line for line in progress if f"progress:{name}: " in line]
        assert lines, (name, stderr)
        assert any(f"/{listed(sim):,} contacts, " in line for line in lines)


def run_on_a_terminal(env: dict[str, str], duckdb_path, tmp_path) -> tuple[int, str]:
    """`contacts-elt load` with stdout and stderr on one pseudo-terminal, as in a person's
    shell: its exit code, and what it wrote there, with plain newlines."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [CONTACTS_ELT, "load", "--duckdb", str(duckdb_path)],
        env=env | {"PYTHONUNBUFFERED": "1"},
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    try:
        output = read_until_closed(controller, timeout=120)
        exit_code = process.wait(timeout=30)
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
    # The terminal turns each "\n" into "\r\n".
    return exit_code, output.replace("\r\n", "\n")


def finished_line(name: str, sim: Any) -> str:
    """The pattern of a source's last line once it loaded every contact its API lists."""
    total = f"{listed(sim):,}"
    return rf"{name} +{total}/{total} contacts  (\d+)/\1 pages  \d+ s  done"


def drawn_lines(output: str) -> list[str]:
    """The live lines, as they were drawn, without their escapes."""
    return [ESCAPE.sub("", line) for line in output.split("\n") if "\x1b[2K" in line]


def test_a_terminal_shows_a_live_line_per_source_ending_at_the_total(
    simulator_env, fast_http, duckdb_path, tmp_path, sims
):
    exit_code, output = run_on_a_terminal(simulator_env | fast_http, duckdb_path, tmp_path)

    assert exit_code == 0, output
    drawn = drawn_lines(output)
    for name, sim in sims.items():
        lines = [line for line in drawn if line.startswith(f"{name} ")]
        assert re.fullmatch(finished_line(name, sim), lines[-1]), lines[-1]
        # It was live: the line was drawn before the source was done.
        assert any(not line.endswith("done") for line in lines), lines
    # The last lines drawn are left in place; after them come the summary lines, whole.
    after = output[output.rindex("\x1b[2K") :].split("\n", 1)[1]
    assert [line.split(":")[0] for line in after.splitlines()] == ["levcapital", "sprintmode"]
    assert "\x1b" not in after
    assert re.match(r"levcapital: [\d,]+ pages fetched, [\d,]+ contacts seen", after)


def test_a_terminal_shows_a_failed_source_as_failed(
    simulator_env, fast_http, duckdb_path, tmp_path, sims
):
    env = simulator_env | fast_http | {"SOURCES__SPRINTMODE__API_KEY": "wrong"}
    exit_code, output = run_on_a_terminal(env, duckdb_path, tmp_path)

    assert exit_code == 1, output
    drawn = drawn_lines(output)
    assert re.fullmatch(finished_line("levcapital", sims["levcapital"]), drawn[-2]), drawn[-2]
    assert re.fullmatch(r"sprintmode +0 contacts  0 pages  \d+ s  failed", drawn[-1]), drawn[-1]
    after = output[output.rindex("\x1b[2K") :].split("\n", 1)[1]
    assert after.splitlines()[-1].startswith("sprintmode: authentication failed")


def test_a_crashed_load_leaves_the_terminal_as_it_was(monkeypatch):
    logs.configure(logs.TEXT, verbose=False)
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    handler = logging.StreamHandler(terminal)
    logging.getLogger().addHandler(handler)
    try:
        with pytest.raises(RuntimeError), reporting_progress(["levcapital", "sprintmode"]) as watch:
            watch(SourceLoad("levcapital"))
            assert sys.stderr is not terminal
            assert handler.stream is sys.stderr
            raise RuntimeError("a load crashed")
    finally:
        logging.getLogger().removeHandler(handler)

    assert sys.stderr is terminal
    assert handler.stream is terminal
    lines = [ESCAPE.sub("", line) for line in terminal.getvalue().splitlines()]
    assert lines[-2:] == ["levcapital  0 contacts  0 pages  0 s  failed", "sprintmode  failed"]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def read_until_closed(fd: int, timeout: float) -> str:
    """Everything written to a pseudo-terminal until every process closed its other end."""
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()
