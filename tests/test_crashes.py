"""Runs killed with SIGKILL, runs that overlap, and one source failing: real `contacts-elt`
subprocesses against the simulators, then the DuckDB file compared with what the APIs list."""

import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipelines.paths import dbt_target_dir_for, pipelines_dir_for
from pipelines.runs.load import load_sources, pipeline_for
from pipelines.warehouse.duckdb_publish import working_copy_path

SOURCES = ("levcapital", "sprintmode")
LIST_PATHS = {"levcapital": "/api/external/v2/contacts", "sprintmode": "/api/contacts"}


class Output:
    """Collects a process's stdout lines as they come, so a test can wait for one."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def has(self, prefix: str) -> bool:
        return any(line.startswith(prefix) for line in self.lines)


def kill_when(process: subprocess.Popen, ready: Callable[[], bool], moment: str) -> None:
    """Sends SIGKILL the moment `ready()` is true; fails if the run ends first."""
    deadline = time.monotonic() + 60
    while not ready():
        if process.poll() is not None:
            pytest.fail(
                f"the run ended (exit {process.returncode}) before {moment}: "
                f"{process.stderr.read()}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"no {moment} within 60 s")
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def package_dirs(duckdb_path: Path, pattern: str) -> list[Path]:
    return list(pipelines_dir_for(duckdb_path).glob(f"*/{pattern}"))


def change_both_apis(sims, tag: str) -> None:
    """Updates, creates and deletes a few contacts in each API."""
    levcapital, sprintmode = sims["levcapital"].store, sims["sprintmode"].store
    lev_ids = [c["id"] for c in levcapital.list_all()]
    sm_ids = [c["id"] for c in sprintmode.list_all()]
    for contact_id in (lev_ids[5], lev_ids[-5]):
        levcapital.update(contact_id, {"title": f"Title {tag}"})
    levcapital.delete(lev_ids[7])
    created = levcapital.create({"contact_type": "sponsor", "company_id": 1, "last_name": tag})
    levcapital.set_connected(created["id"], True)
    for contact_id in (sm_ids[5], sm_ids[-5]):
        sprintmode.update(contact_id, {"title": f"Title {tag}"})
    sprintmode.delete(sm_ids[7])
    sprintmode.create({"email": f"{tag.lower()}@example.com", "last_name": tag})


def assert_up_to_date(sims, raw_contacts, source_args, duckdb_path) -> None:
    """Raw holds exactly what the APIs list, and one more run has nothing to write."""
    for name in SOURCES:
        raw_contacts(name).assert_matches(sims[name], name)
    again = load_sources(duckdb_path, source_args=source_args)
    assert [(load.error, load.rows_written, load.stats.marked_deleted) for load in again] == [
        (None, 0, 0),
        (None, 0, 0),
    ]


def assert_analytics_match(sims, query) -> None:
    expected = {
        f"{name}:{contact['id']}" for name in SOURCES for contact in sims[name].store.list_all()
    }
    live = query("select contact_key from analytics.contacts where not is_deleted")
    assert sorted(key for (key,) in live) == sorted(expected)
    assert query("select count(*) - count(distinct contact_key) from analytics.contacts") == [(0,)]


# --- 5. a run killed at any moment loses nothing ----------------------------------------------


def listing_underway(sims) -> Callable[[], bool]:
    def ready() -> bool:
        return all(any(r.path == LIST_PATHS[name] for r in sims[name].requests) for name in SOURCES)

    return ready


MOMENTS = [
    pytest.param(
        "extract",
        lambda sims, duckdb_path, output: listing_underway(sims),
        id="during-extract",
    ),
    pytest.param(
        "normalize",
        lambda sims, duckdb_path, output: lambda: bool(package_dirs(duckdb_path, "load/new/*")),
        id="during-normalize",
    ),
    pytest.param(
        "load",
        lambda sims, duckdb_path, output: (
            lambda: bool(package_dirs(duckdb_path, "load/normalized/*/completed_jobs/*"))
        ),
        id="during-load",
    ),
    pytest.param(
        "transform",
        lambda sims, duckdb_path, output: dbt_building(duckdb_path, output),
        id="during-transform",
    ),
]


def dbt_building(duckdb_path: Path, output: Output) -> Callable[[], bool]:
    """True once both sources reported and dbt has started writing its run's SQL."""
    run_dir = dbt_target_dir_for(duckdb_path) / "run"
    state = {"since": None}

    def ready() -> bool:
        if state["since"] is None:
            if output.has("levcapital:") and output.has("sprintmode:"):
                state["since"] = time.time()
            return False
        return any(path.stat().st_mtime >= state["since"] for path in run_dir.rglob("*.sql"))

    return ready


@pytest.mark.parametrize(("moment", "when"), MOMENTS)
def test_a_run_killed_at_any_moment_loses_nothing(
    moment, when, sims, source_args, duckdb_path, contacts_elt_cli, raw_contacts, query
):
    load_sources(duckdb_path, source_args=source_args)
    change_both_apis(sims, "Before")
    if moment == "extract":
        for sim in sims.values():
            sim.latency = 0.3  # pages take a while, so the kill lands among them

    killed = contacts_elt_cli("run")
    kill_when(killed, when(sims, duckdb_path, Output(killed)), moment)

    pending = [pipeline_for(name, duckdb_path).has_pending_data for name in SOURCES]
    if moment == "extract":
        # Nothing was extracted in full: there is no package, and raw lacks the changes.
        assert pending == [False, False]
        for name in SOURCES:
            changed = f"select count(*) from raw_{name}.contacts where title = 'Title Before'"
            assert query(changed) == [(0,)]
    elif moment in ("normalize", "load"):
        assert any(pending), "the kill came after the packages were loaded"
    else:
        # Killed in dbt: the load had finished in the run's working copy, which holds the
        # changes; the published file stays as it was until a run publishes.
        assert pending == [False, False]
        with duckdb.connect(str(working_copy_path(duckdb_path)), read_only=True) as working:
            for name in SOURCES:
                changed = f"select count(*) from raw_{name}.contacts where title = 'Title Before'"
                assert query(changed) == [(0,)]
                assert working.execute(changed).fetchall() == [(2,)]
    for sim in sims.values():
        sim.latency = 0.0
    change_both_apis(sims, "After")

    if moment == "transform":
        clean = contacts_elt_cli("run")
        stdout, stderr = clean.communicate(timeout=120)
        assert clean.returncode == 0, stderr
        assert re.search(r"^dbt build: ok", stdout, re.MULTILINE)
        assert_analytics_match(sims, query)
    else:
        loads = load_sources(duckdb_path, source_args=source_args)
        assert [load.error for load in loads] == [None, None]
    assert [pipeline_for(name, duckdb_path).has_pending_data for name in SOURCES] == [
        False,
        False,
    ]
    assert_up_to_date(sims, raw_contacts, source_args, duckdb_path)


# --- 8. overlapping runs ---------------------------------------------------------------------


def lock_taken(sims) -> Callable[[], bool]:
    """True once the run made its first request: it took the lock before that."""
    return lambda: any(sim.requests for sim in sims.values())


def test_a_second_run_exits_at_once_and_the_first_is_not_disturbed(
    sims, source_args, duckdb_path, contacts_elt_cli, raw_contacts
):
    change_both_apis(sims, "Slow")
    # Long enough that the first run is still listing when the three others, each a process
    # importing dlt, have started and exited on a busy two-core machine.
    for sim in sims.values():
        sim.latency = 2.0
    first = contacts_elt_cli("load")
    lock = pipelines_dir_for(duckdb_path) / "run.lock"
    deadline = time.monotonic() + 30
    while not lock_taken(sims)() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)

    started = time.monotonic()
    others = {command: contacts_elt_cli(command) for command in ("load", "run", "transform")}
    second = {}
    for command, process in others.items():
        stdout, stderr = process.communicate(timeout=60)
        second[command] = (process.returncode, stdout, stderr, time.monotonic() - started)
    assert first.poll() is None, "the first run ended before the others started"
    stdout, stderr = first.communicate(timeout=120)

    for command, (code, out, err, seconds) in second.items():
        assert (code, out) == (75, ""), command
        assert err == (f"{command}: another run is in progress (pid {first.pid}, lock {lock})\n")
        assert seconds < 10
    assert first.returncode == 0, stderr
    assert [line.split(":")[0] for line in stdout.splitlines()] == list(SOURCES)
    for sim in sims.values():
        sim.latency = 0.0
    assert_up_to_date(sims, raw_contacts, source_args, duckdb_path)


def test_the_lock_of_a_killed_run_does_not_block_the_next(
    sims, source_args, duckdb_path, contacts_elt_cli, raw_contacts
):
    for sim in sims.values():
        sim.latency = 0.3
    killed = contacts_elt_cli("load")
    kill_when(killed, lock_taken(sims), "the first request")
    lock = pipelines_dir_for(duckdb_path) / "run.lock"
    assert lock.read_text() == f"{killed.pid}\n"  # the file stays; the kernel freed its lock
    for sim in sims.values():
        sim.latency = 0.0

    after = contacts_elt_cli("load")
    _, stderr = after.communicate(timeout=120)

    assert after.returncode == 0, stderr
    assert lock.read_text() == f"{after.pid}\n"
    assert_up_to_date(sims, raw_contacts, source_args, duckdb_path)


# --- 6. one failing source does not stop the other -------------------------------------------

# (source that fails, how, extra environment, its line on stderr)
ONE_FAILS = [
    pytest.param(
        "levcapital",
        None,
        {"SOURCES__LEVCAPITAL__API_KEY": "expired-secret-token"},
        r"levcapital: authentication failed \(401 unauthorized: Authentication required\) "
        r"\[request_id [0-9a-f-]{36}\]",
        id="levcapital-401",
    ),
    pytest.param(
        "sprintmode",
        {"kind": "status", "status": 503, "page": 2, "times": None},
        {},
        r"sprintmode: server error \(503: Service Unavailable\)",
        id="sprintmode-503-after-retries",
    ),
]


@pytest.mark.parametrize(("failing", "fault", "env", "line"), ONE_FAILS)
def test_one_failing_source_does_not_stop_the_other(
    failing, fault, env, line, sims, source_args, duckdb_path, contacts_elt_cli, query
):
    from demo.simulators import Fault

    load_sources(duckdb_path, source_args=source_args)
    other = next(name for name in SOURCES if name != failing)
    titles = {}
    for name, sim in sims.items():
        contact_id = sim.store.list_all()[3]["id"]
        sim.store.update(contact_id, {"title": "Changed tonight"})
        titles[name] = (
            contact_id,
            query(f"select title from raw_{name}.contacts where id = ?", contact_id)[0][0],
        )
    if fault:
        sims[failing].faults.add(Fault(**fault))

    run = contacts_elt_cli("run", extra_env=env)
    stdout, stderr = run.communicate(timeout=120)

    assert run.returncode == 1
    assert re.fullmatch(line + "\n", stderr), stderr
    assert "Traceback" not in stdout + stderr
    assert "expired-secret-token" not in stdout + stderr
    lines = stdout.splitlines()
    assert re.fullmatch(
        rf"{other}: \d+ pages fetched, [\d,]+ contacts seen, 1 rows written, [\d.]+ s", lines[0]
    )
    assert re.fullmatch(r"dbt build: ok, [\d.]+ s", lines[1])
    # The other source's change went all the way; the failed one kept its last good data.
    contact_id, old_title = titles[failing]
    assert query(
        "select source_system, title from analytics.contacts where contact_key in (?, ?) "
        "order by 1",
        f"{failing}:{contact_id}",
        f"{other}:{titles[other][0]}",
    ) == sorted([(failing, old_title), (other, "Changed tonight")])
