"""A load's and a transform's peak memory must not grow with the number of contacts.

Named to sort early: pytest-xdist hands out test files in order, and this one, a few minutes
of a single worker, would otherwise finish the suite alone."""

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.memory import MemoryBudget
from pipelines.settings import RAW_CONTACTS_TABLES

SIZES = (20_000, 80_000)
GROWTH_LIMIT_MB = 60
TRANSFORM_BUDGET = "700MB"
"""The smallest budget (pipelines/memory.py), which the transform's peak must stay within."""
# The two sources load side by side in threads, so a load's peak depends on how their batches
# happened to overlap: the same load at 80k per API peaked at 660-691 MB. The lowest of two
# full loads at each size counts, which keeps that noise out of a 60 MB margin.
LOAD_RUNS = 2
SEED = 7
LEVCAPITAL_KEY = "memory-levcapital-key"
SPRINTMODE_KEY = "memory-sprintmode-key"
LEAN_SERVER = Path(__file__).resolve().parents[1] / "bench" / "lean_server.py"
CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))
# Runs a command and prints its exit code and peak RSS. A child's peak RSS (ru_maxrss) starts
# at its parent's high-water mark when it is spawned; this test's process, with DuckDB and
# dlt imported, is bigger than some of what is measured. Spawned from this small launcher, the
# measured process starts from the launcher's few MB instead. Its output goes to stderr.
# Runs `contacts-elt` under tracemalloc and writes, to the file of its first argument, the peak
# of Python's own heap (numpy's and pandas' arrays included, DuckDB's and Arrow's memory not)
# and what tracemalloc itself holds, which the process's RSS includes.
TRACED_CLI = """
import json, sys, tracemalloc
tracemalloc.start()
from pipelines.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    json.dump({"heap_peak_mb": tracemalloc.get_traced_memory()[1] / 2**20,
               "tracing_mb": tracemalloc.get_tracemalloc_memory() / 2**20}, out)
sys.exit(code)
"""
PEAK_RSS_LAUNCHER = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=sys.stderr, stderr=sys.stderr)
_, status, usage = os.wait4(child.pid, 0)
code = os.waitstatus_to_exitcode(status)
print(json.dumps({"code": code, "peak_rss_mb": usage.ru_maxrss / 1024}))
"""


@dataclass(frozen=True)
class Loaded:
    duckdb_path: Path
    served: int
    load_peak_rss_mb: float


def peak_rss_mb(command: list[str], env: dict[str, str]) -> float:
    """Runs `command` to completion, which must succeed; its peak RSS in MB."""
    launched = subprocess.run(
        [sys.executable, "-c", PEAK_RSS_LAUNCHER, *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # pytest.fail rather than assert: the transform's expected failure is an AssertionError,
    # and a command that fails outright must not pass for it.
    if launched.returncode != 0:
        pytest.fail(launched.stderr)
    measured = json.loads(launched.stdout)
    if measured["code"] != 0:
        pytest.fail(f"{' '.join(command[:2])} failed:\n{launched.stderr[-4000:]}")
    return measured["peak_rss_mb"]


@contextmanager
def lean_server(n_per_api: int) -> Iterator[tuple[dict[str, str], int]]:
    """Serves both APIs from bench/lean_server.py, with census-drawn people; yields the
    environment pointing `contacts-elt` at it and how many contacts it lists."""
    command = [
        sys.executable, str(LEAN_SERVER), "--contacts", str(n_per_api), "--seed", str(SEED),
        "--levcapital-key", LEVCAPITAL_KEY, "--sprintmode-key", SPRINTMODE_KEY,
    ]  # fmt: skip
    # stderr to a file: a full pipe nobody reads would block the server.
    with tempfile.TemporaryFile("w+") as errors:
        server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
        try:
            line = server.stdout.readline()
            if not line:
                server.wait(timeout=30)
                errors.seek(0)
                pytest.fail(f"the lean server did not start:\n{errors.read()}")
            ready = json.loads(line)
            env = os.environ | {
                "SOURCES__LEVCAPITAL__BASE_URL": f"http://127.0.0.1:{ready['levcapital']}",
                "SOURCES__LEVCAPITAL__API_KEY": LEVCAPITAL_KEY,
                "SOURCES__SPRINTMODE__BASE_URL": f"http://127.0.0.1:{ready['sprintmode']}",
                "SOURCES__SPRINTMODE__API_KEY": SPRINTMODE_KEY,
            }
            yield env, sum(ready["contacts"].values())
        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=30)


def raw_contacts(duckdb_path: Path) -> int:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return sum(
            connection.execute(f"select count(*) from {table}").fetchone()[0]
            for table in RAW_CONTACTS_TABLES
        )


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Loaded]:
    """Both sizes, each loaded in full into new DuckDB files by `contacts-elt load`."""
    workdir = tmp_path_factory.mktemp("memory")
    loads = {}
    for n_per_api in SIZES:
        peaks = []
        with lean_server(n_per_api) as (env, served):
            for run in range(LOAD_RUNS):
                duckdb_path = workdir / f"contacts_{n_per_api}_{run}.duckdb"
                peaks.append(peak_rss_mb([CONTACTS_ELT, "load", "--duckdb", str(duckdb_path)], env))
                # A load that set contacts aside would be cheaper than one that kept them all.
                if (held := raw_contacts(duckdb_path)) != served:
                    pytest.fail(f"the load holds {held:,} contacts of the {served:,} served")
        loads[n_per_api] = Loaded(duckdb_path, served, min(peaks))
    return loads


def test_a_loads_peak_rss_does_not_grow_with_contacts(loaded: dict[int, Loaded]) -> None:
    small, large = (loaded[n].load_peak_rss_mb for n in SIZES)
    print(f"load: peak RSS {small:.0f} MB at {SIZES[0]:,} per API, {large:.0f} MB at {SIZES[1]:,}")
    assert large - small <= GROWTH_LIMIT_MB, (
        f"contacts-elt load peaked at {small:.0f} MB with {SIZES[0]:,} contacts per API and "
        f"{large:.0f} MB with {SIZES[1]:,}: {large - small:+.0f} MB, more than "
        f"{GROWTH_LIMIT_MB} MB"
    )


def test_a_transform_stays_within_its_budget_and_its_python_does_not_grow(
    loaded: dict[int, Loaded], tmp_path: Path
) -> None:
    """A transform's DuckDB may fill its share of the budget, and does so sooner the more
    contacts there are (at 700 MB, 502 MB of peak RSS at 40k per API, 576 MB at 80k): its
    peak RSS is held to the budget. What would grow with contacts is Python's own heap, which
    tracemalloc measures apart from DuckDB's."""
    env = os.environ | {"RUNTIME__MEMORY_LIMIT": TRANSFORM_BUDGET}
    heaps, rss = {}, 0.0
    for n in SIZES:
        heap_file = tmp_path / f"heap_{n}.json"
        command = [sys.executable, "-c", TRACED_CLI, str(heap_file)]
        traced_rss = peak_rss_mb(
            [*command, "transform", "--duckdb", str(loaded[n].duckdb_path)], env
        )
        traced = json.loads(heap_file.read_text())
        heaps[n] = traced["heap_peak_mb"]
        # Tracing's own memory aside, at the end, when it holds the most traces it held.
        rss = traced_rss - traced["tracing_mb"]
    small, large = (heaps[n] for n in SIZES)
    budget_mb = MemoryBudget.of(TRANSFORM_BUDGET).limit_bytes / 2**20
    print(
        f"transform: Python's heap peaked at {small:.0f} MB at {SIZES[0]:,} per API and "
        f"{large:.0f} MB at {SIZES[1]:,}; peak RSS {rss:.0f} MB at {SIZES[1]:,}"
    )
    assert large - small <= GROWTH_LIMIT_MB, (
        f"the transform's Python heap peaked at {small:.0f} MB with {SIZES[0]:,} contacts per "
        f"API and {large:.0f} MB with {SIZES[1]:,}: {large - small:+.0f} MB"
    )
    assert rss <= budget_mb, f"the transform peaked at {rss:.0f} MB, over {TRANSFORM_BUDGET}"
