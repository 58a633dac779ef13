"""`make bench`: a first night and a quiet night at the sizes large accounts have, in one run.

A lean server (`bench/lean_server.py`, a child process) serves both APIs from pages rendered up
front, with people drawn from real name frequencies (`bench/census_people.py`), so that serving
is not what is measured; it reports its own CPU time, read before and after every step. At
each of two sizes (100,000 and 1,000,000 contacts per API by default, `--quick` for 10,000 and
40,000), every step a child process whose wall time and peak RSS (`wait4`) count:

- the fetch-only floor (`bench/floor.py`: sequential http.client + json), the fastest of
  `--floor-runs` (3);
- a first night: `contacts-elt load` into a new DuckDB file, again with nothing changed, then
  `contacts-elt transform`;
- a quiet night: the lean server changes 1% of each API's contacts (`/_lean/night`: edits,
  and 0.1% new and 0.1% gone), then `contacts-elt load` and `contacts-elt transform`.

The first night's steps run `--runs` times (1), the fastest counting; a quiet night happens
once. From the two sizes come each step's fixed cost (extrapolated to 0 contacts) and marginal
cost per contact, projected to 1M and 10M per API, and the targets of issues 29 and 30 as pass
or fail lines (the constants below). `--extras` adds, at the smaller size, the plain dlt
pipeline (`bench/baseline.py`), a floor and a full load with 40 ms per request, and the floor
against the demo simulators.

Before all that, each kind of child runs once unmeasured at a tiny size, so that reading files
from disk on a cold start does not count as fixed cost. This process stays small (no
simulators, no DuckDB in it): a child spawned from it starts with its high-water RSS, which
`wait4` would report as the child's peak.

    .venv/bin/python bench/benchmark.py [--quick | --sizes 100000,1000000] [--output FILE]
"""

import argparse
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pipelines.paths import dbt_target_dir_for
from pipelines.settings import RAW_CONTACTS_TABLES, prepare_environment

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results.md"
CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))
LEVCAPITAL_KEY = "bench-levcapital-key"
SPRINTMODE_KEY = "bench-sprintmode-key"
SEED = 42
LATENCY = 0.040
DEFAULT_SIZES = [100_000, 1_000_000]
QUICK_SIZES = [10_000, 40_000]
PROJECTED_PER_API = (1_000_000, 10_000_000)
EXTRAS = ("peer", "latency", "simulator")
WARM_UP_CONTACTS = 500
# A night's wait for the server to change 1% of a million contacts per API and render again.
NIGHT_TIMEOUT = 600

# The targets, issue 29's and 30's, which the verdicts and the tables read.
TARGET_PER_API = 1_000_000
LOAD_RSS_MB = 300
TRANSFORM_RSS_MB = 1536
FIRST_NIGHT_X_FLOOR = 10
FIRST_NIGHT_PLUS_S = 30
QUIET_NIGHT_X_FLOOR = 4
QUIET_NIGHT_PLUS_S = 30
QUIET_TRANSFORM_SHARE = 0.2
# The far goal, reported rather than required: the load's marginal CPU against the floor's.
FULL_LOAD_MARGINAL_X_FLOOR = 1.3
NO_CHANGE_MARGINAL_X_FLOOR = 1.1
LATENCY_X_SEQUENTIAL_FLOOR = 0.4


@dataclass
class Step:
    """One measured step at one size."""

    what: str
    n_per_api: int
    contacts: int
    seconds: float
    peak_rss_mb: float
    server_cpu: float
    # Every run's wall time, when the step is the fastest of several, and the server's CPU
    # time over all of them.
    runs: list[float] = field(default_factory=list)
    server_cpu_all_runs: float = 0.0
    # Why the step failed (its figures are then up to the failure), or why it did not run.
    failure: str | None = None
    ran: bool = True

    @property
    def ok(self) -> bool:
        return self.failure is None


class StepFailed(SystemExit):
    """A step that failed or gave a wrong result: ends a script, or is recorded by `make bench`."""


# The servers measured against


class LeanServer:
    """`bench/lean_server.py` as a child process, serving one size until the block ends.

    The `simulators` backend serves through the demo simulators instead, in that child too:
    kept out of this process, their hundreds of MB do not become every measured child's
    peak RSS (a child inherits its parent's high-water mark when it is spawned).
    """

    def __init__(self, n: int, seed: int, backend: str, people: str = "census") -> None:
        self.n = n
        self.command = [
            sys.executable, str(BENCH_DIR / "lean_server.py"), "--contacts", str(n),
            "--seed", str(seed), "--backend", backend, "--people", people,
            "--levcapital-key", LEVCAPITAL_KEY, "--sprintmode-key", SPRINTMODE_KEY,
        ]  # fmt: skip

    def __enter__(self) -> "LeanServer":
        # stderr to a file: a full pipe nobody reads would block the server.
        self._stderr = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=self._stderr, text=True
        )
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            self._stderr.seek(0)
            raise SystemExit(f"the lean server did not start:\n{self._stderr.read()}")
        self.ready = json.loads(line)
        self.contacts = sum(self.ready["contacts"].values())
        self.levcapital_url = f"http://127.0.0.1:{self.ready['levcapital']}"
        self.sprintmode_url = f"http://127.0.0.1:{self.ready['sprintmode']}"
        self.control_url = f"http://127.0.0.1:{self.ready['control']}/_lean"
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.communicate(timeout=30)
        self._stderr.close()

    def _control(self, path: str, timeout: float = 10) -> dict:
        with urllib.request.urlopen(f"{self.control_url}/{path}", timeout=timeout) as answer:
            return json.loads(answer.read())

    def cpu(self) -> float:
        """The server's CPU time so far, user and system, in seconds."""
        return self._control("cpu")["cpu_seconds"]

    def set_latency(self, seconds: float) -> None:
        self._control(f"latency?seconds={seconds}")

    def quiet_night(self) -> dict[str, Any]:
        """Changes each API's contacts as a quiet day would (`/_lean/night`); what changed."""
        night = self._control("night", timeout=NIGHT_TIMEOUT)
        self.contacts = night["levcapital"]["listed"] + night["sprintmode"]["listed"]
        return night


def url_args(server: LeanServer) -> list[str]:
    return [
        "--levcapital-url", server.levcapital_url, "--levcapital-key", LEVCAPITAL_KEY,
        "--sprintmode-url", server.sprintmode_url, "--sprintmode-key", SPRINTMODE_KEY,
    ]  # fmt: skip


def env_for(server: LeanServer) -> dict[str, str]:
    return os.environ | {
        "SOURCES__LEVCAPITAL__BASE_URL": server.levcapital_url,
        "SOURCES__LEVCAPITAL__API_KEY": LEVCAPITAL_KEY,
        "SOURCES__SPRINTMODE__BASE_URL": server.sprintmode_url,
        "SOURCES__SPRINTMODE__API_KEY": SPRINTMODE_KEY,
    }


# Measuring


def run_child(command: Sequence[str], env: dict[str, str]) -> tuple[float, float, str, int]:
    """Runs a command to completion: its wall time (s), peak RSS (MB), output and exit code.

    The peak is never below this process's own at the time of the spawn, which the child
    inherits; hence nothing big lives here.
    """
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        output.seek(0)
        text = output.read()
    return seconds, usage.ru_maxrss / 1024, text, os.waitstatus_to_exitcode(status)


def measure_child(command: Sequence[str], env: dict[str, str]) -> tuple[float, float, str]:
    """`run_child` of a command that must succeed: its wall time (s), peak RSS (MB), output."""
    seconds, rss, text, code = run_child(command, env)
    if code != 0:
        raise StepFailed(f"{' '.join(command)} failed ({code}):\n{text}")
    return seconds, rss, text


_EXCEPTION_LINE = re.compile(r"^[\w.]*(?:Error|Exception)\b.*?: ")
_PIPELINE_FRAME = re.compile(r'File ".*?/(pipelines/[^"]+)", line (\d+), in (\S+)')


def why_failed(output: str, code: int) -> str:
    """One line: the first exception a failed command printed, where in `pipelines/` it came
    from, or else its last line."""
    lines = output.splitlines()
    place = ""
    for line in lines:
        if frame := _PIPELINE_FRAME.search(line):
            place = f"{frame[1]}:{frame[2]} in {frame[3]}: "
        elif _EXCEPTION_LINE.match(line):
            return f"{place}{line.strip()}"[:300]
    last = next((line.strip() for line in reversed(lines) if line.strip()), "no output")
    return f"exit code {code}: {last}"[:300]


def measure_best(
    what: str,
    command_for_run: Callable[[int], Sequence[str]],
    server: LeanServer,
    runs: int,
    check: Callable[[int, str], None] | None = None,
    record_failure: bool = False,
) -> Step:
    """The fastest of `runs` runs of a step, with the server's CPU time during that run.

    `check(run, output)` raises StepFailed on a wrong result. A run that fails ends the
    script, or with `record_failure` is the step's result, its figures up to the failure.
    """
    best: Step | None = None
    times = []
    cpu_all_runs = 0.0
    for run in range(runs):
        before = server.cpu()
        command = command_for_run(run)
        seconds, rss, output, code = run_child(command, env_for(server))
        cpu = server.cpu() - before
        cpu_all_runs += cpu
        try:
            if code != 0:
                raise StepFailed(f"{' '.join(command)} failed ({code}):\n{output}")
            if check is not None:
                check(run, output)
        except StepFailed as failed:
            if not record_failure:
                raise
            reason = why_failed(output, code) if code != 0 else str(failed)
            step = Step(what, server.n, server.contacts, seconds, rss, cpu, failure=reason)
            report(step)
            return step
        times.append(seconds)
        if best is None or seconds < best.seconds:
            best = Step(what, server.n, server.contacts, seconds, rss, cpu)
    assert best is not None
    if runs > 1:
        best.runs = times
        best.server_cpu_all_runs = cpu_all_runs
    report(best)
    return best


def measure_floor(what: str, server: LeanServer, runs: int, record_failure: bool = False) -> Step:
    """The floor's fastest of `runs` runs; each must fetch every contact served."""

    def fetched_all(_: int, output: str) -> None:
        fetched = json.loads(output.strip().splitlines()[-1])["contacts"]
        if fetched != server.contacts:
            raise StepFailed(f"the floor fetched {fetched:,} contacts of {server.contacts:,}")

    command = [sys.executable, str(BENCH_DIR / "floor.py"), *url_args(server)]
    return measure_best(what, lambda _: command, server, runs, fetched_all, record_failure)


def measure_full_loads(
    what: str,
    db_for_run: Callable[[int], Path],
    server: LeanServer,
    runs: int,
    record_failure: bool = False,
) -> Step:
    """The fastest of `runs` full loads, each into the database `db_for_run(run)` names,
    which must then hold every contact served."""
    return measure_best(
        what,
        lambda run: load_command(db_for_run(run)),
        server,
        runs,
        lambda run, _: check_loaded(db_for_run(run), server.contacts),
        record_failure,
    )


COUNT_LOADED = f"""
import sys, duckdb
with duckdb.connect(sys.argv[1], read_only=True) as connection:
    print(sum(connection.execute(f"select count(*) from {{table}}").fetchone()[0]
              for table in {RAW_CONTACTS_TABLES!r}))
"""


def transform_parts(duckdb_path: Path) -> dict[str, float]:
    """Seconds of each model and snapshot of the last transform of `duckdb_path`, and of its
    data tests together, from the run_results.json that dbt left in its target folder."""
    results = json.loads((dbt_target_dir_for(duckdb_path) / "run_results.json").read_text())
    parts: dict[str, float] = {}
    for node in results["results"]:
        kind, _, name = node["unique_id"].split(".", 2)
        part = "data tests" if kind == "test" else name
        parts[part] = parts.get(part, 0.0) + node["execution_time"]
    return parts


def check_loaded(duckdb_path: Path, expected: int) -> None:
    """A load that 'succeeded' with fewer contacts than served would make a fine figure.

    Counted in a child process: DuckDB in this one would raise every later child's peak RSS.
    """
    counted = subprocess.run(
        [sys.executable, "-c", COUNT_LOADED, str(duckdb_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = int(counted.stdout)
    if loaded != expected:
        raise StepFailed(f"{duckdb_path.name} holds {loaded:,} contacts, {expected:,} expected")


def report(step: Step) -> None:
    runs = f"  (runs: {', '.join(f'{s:.2f}' for s in step.runs)})" if step.runs else ""
    if step.failure:
        runs += f"  FAILED: {step.failure}"
    print(
        f"  N={step.n_per_api:>9,}  {step.what:<42} {step.seconds:8.2f} s "
        f"{step.peak_rss_mb:6.0f} MB  server CPU {step.server_cpu:6.2f} s{runs}",
        flush=True,
    )


@dataclass
class SizeResults:
    """Every step at one size."""

    n_per_api: int
    server: dict[str, Any]
    floor: Step
    full: Step
    no_change: Step
    transform: Step
    night: dict[str, Any]
    quiet_load: Step
    quiet_transform: Step
    transform_parts: dict[str, float] = field(default_factory=dict)
    """Seconds of each part of the full transform, from dbt's run_results.json."""
    # At the smaller size, with --extras only.
    peer: Step | None = None
    latency_floor: Step | None = None
    latency_full: Step | None = None
    simulator_floor: Step | None = None

    def steps(self) -> list[Step]:
        return [
            self.floor, self.full, self.no_change, self.transform, self.quiet_load,
            self.quiet_transform,
        ]  # fmt: skip


def load_command(db: Path, command: str = "load") -> list[str]:
    return [CONTACTS_ELT, command, "--duckdb", str(db)]


def warm_up(workdir: Path, args: argparse.Namespace) -> None:
    """Runs each kind of child once, unmeasured, at a tiny size.

    The first run after a while reads Python's, dlt's and dbt's files from disk rather than the
    page cache; measured, that would land in the smaller size's time and so in the fixed cost.
    """
    with LeanServer(WARM_UP_CONTACTS, args.seed, args.backend) as server:
        db = workdir / "warm_up.duckdb"
        floor = [sys.executable, str(BENCH_DIR / "floor.py"), *url_args(server)]
        for command in (floor, load_command(db), load_command(db, "transform")):
            measure_child(command, env_for(server))
    print(f"warmed up at {WARM_UP_CONTACTS} contacts per API", flush=True)


def not_run(what: str, server: LeanServer, because: Step) -> Step:
    """A step left out because an earlier one it needs failed."""
    step = Step(what, server.n, server.contacts, 0.0, 0.0, 0.0, ran=False)
    step.failure = f"not run: {because.what} failed"
    report(step)
    return step


def run_size(n: int, workdir: Path, args: argparse.Namespace, smaller: bool) -> SizeResults:
    """Every step at one size; the smaller size also runs the extras asked for.

    A step that fails is recorded, with its figures up to the failure, and the steps that
    need it are left out: the pipeline changes under the benchmark, and one failure at 1M
    should not cost the rest of an hour's figures.
    """
    with LeanServer(n, args.seed, args.backend) as server:
        ready = server.ready
        print(
            f"N = {n:,} per API: {server.contacts:,} contacts, rendered in "
            f"{ready['render_seconds']:.1f} s (the server peaked at {ready['peak_rss_mb']:,} MB)",
            flush=True,
        )
        floor = measure_floor(
            f"fetch-only floor, min of {args.floor_runs}", server, args.floor_runs, True
        )
        runs = args.runs
        of_runs = f", min of {runs}" if runs > 1 else ""

        # Each full load into a database of its own; the last one is then loaded again.
        def fresh_db(run: int) -> Path:
            return workdir / f"elt_{n}_{run}.duckdb"

        def step(
            what: str, command: str, check: Callable[[int, str], None] | None, times: int = 1
        ) -> Step:
            return measure_best(
                what, lambda _: load_command(db, command), server, times, check, True
            )

        db = fresh_db(runs - 1)
        full = measure_full_loads(f"load, full{of_runs}", fresh_db, server, runs, True)
        steps = [
            f"load, nothing changed{of_runs}", f"transform, full{of_runs}", "load, quiet night",
            "transform, quiet night",
        ]  # fmt: skip
        if not full.ok:
            night = {"night": 0, "seconds": 0.0} | {
                api: {"updated": 0, "created": 0, "deleted": 0, "listed": 0}
                for api in ("levcapital", "sprintmode")
            }
            no_change, transform, quiet_load, quiet_transform = (
                not_run(what, server, full) for what in steps
            )
        else:
            no_change = step(
                steps[0], "load", lambda _, __: check_loaded(db, server.contacts), runs
            )
            parts: dict[str, float] = {}
            transform = step(
                steps[1], "transform", lambda _, __: parts.update(transform_parts(db)), runs
            )
            loaded_before = server.contacts
            night = server.quiet_night()
            created = night["levcapital"]["created"] + night["sprintmode"]["created"]
            print(f"  a quiet night: {json.dumps(night)}", flush=True)
            # The raw tables keep a deleted contact's last row (its tombstone is elsewhere):
            # they hold what they held plus what is new.
            quiet_load = step(
                steps[2], "load", lambda _, __: check_loaded(db, loaded_before + created)
            )
            quiet_transform = (
                step(steps[3], "transform", None)
                if quiet_load.ok
                else not_run(steps[3], server, quiet_load)
            )
        results = SizeResults(
            n, ready, floor, full, no_change, transform, night, quiet_load, quiet_transform
        )
        if full.ok:
            results.transform_parts = parts
        if smaller:
            run_extras(results, server, workdir, args)
    if smaller and "simulator" in args.extras:
        with LeanServer(n, args.seed, "simulators") as simulators:
            floor_what = f"floor vs the simulators, min of {args.floor_runs}"
            results.simulator_floor = measure_floor(floor_what, simulators, args.floor_runs, True)
    return results


def run_extras(
    results: SizeResults, server: LeanServer, workdir: Path, args: argparse.Namespace
) -> None:
    """The plain dlt peer, and the latency steps, when asked for: one size compares them.

    They run after the quiet night, against the listing as it left it.
    """
    n = server.n
    if "peer" in args.extras:
        peer_db = workdir / f"peer_{n}.duckdb"
        peer_dir = workdir / f"peer_{n}.dlt"
        command = [sys.executable, str(BENCH_DIR / "baseline.py"), *url_args(server)]
        command += ["--duckdb", str(peer_db), "--pipelines-dir", str(peer_dir)]
        results.peer = measure_best(
            "plain dlt pipeline (bench/baseline.py)",
            lambda _: command,
            server,
            1,
            lambda _, __: check_loaded(peer_db, server.contacts),
            record_failure=True,
        )
    if "latency" in args.extras:
        ms = f"{args.latency * 1000:.0f} ms"
        server.set_latency(args.latency)
        results.latency_floor = measure_floor(f"sequential floor, {ms}", server, 1, True)
        latency_db = workdir / f"elt_{n}_latency.duckdb"
        results.latency_full = measure_full_loads(
            f"load, full, {ms}", lambda _: latency_db, server, 1, True
        )
        server.set_latency(0.0)


# Arithmetic and rendering


@dataclass
class Line:
    """A step's fixed and marginal cost, from its wall time (or peak RSS) at the two sizes."""

    small: Step
    large: Step

    def marginal(self, rss: bool = False) -> float:
        """Seconds (or MB) per contact."""
        growth = (
            self.large.peak_rss_mb - self.small.peak_rss_mb
            if rss
            else self.large.seconds - self.small.seconds
        )
        return growth / (self.large.contacts - self.small.contacts)

    def fixed(self, rss: bool = False) -> float:
        """Seconds (or MB) at 0 contacts."""
        small = self.small.peak_rss_mb if rss else self.small.seconds
        return small - self.marginal(rss) * self.small.contacts

    def at(self, contacts: float, rss: bool = False) -> float:
        return self.fixed(rss) + self.marginal(rss) * contacts


def verdict(value: float | None, limit: float) -> str:
    if value is None:
        return ""
    return "pass" if value <= limit else "**fail**"


def ratio(step: Step | None, floor: Step | None) -> float | None:
    return step.seconds / floor.seconds if step and floor else None


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024**2:.0f} GB RAM, "
        f"{platform.system()} {platform.release()}"
    )


def gigabytes(mb: float) -> str:
    return f"{mb / 1024:.2f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def render(args: argparse.Namespace, small: SizeResults, large: SizeResults) -> str:
    n_small, n_large = args.sizes
    command = " ".join(["bench/benchmark.py", *args.argv])
    own_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    loads = " → ".join(f"{load:.1f}" for load in args.load_averages)
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `{command}` on {machine()}; Python "
        f"{platform.python_version()}, dlt {version('dlt')}, DuckDB {version('duckdb')}, "
        f"dbt-core {version('dbt-core')}. Every figure below comes from this one run, which took "
        f"{args.elapsed / 60:.1f} min; the machine's load average (1 minute) was {loads} at its "
        "start, between the sizes and at its end.",
        "",
        f"What ran: `bench/lean_server.py` ({args.backend} backend) served both APIs at "
        f"{n_small:,} and {n_large:,} contacts per API (seed {args.seed}; LevCapital lists only "
        "its connected ones), people drawn from the US Census name frequencies "
        "(`bench/census_people.py`), from pages rendered before any step started. Every step "
        "is a child process of its own: wall time from start to exit, peak RSS from `wait4`. "
        "The floor is `bench/floor.py`, a sequential http.client + json reader of every page, "
        f"the fastest of {args.floor_runs} run(s) at the same size in this run. A first night is "
        "a full load into a new DuckDB file, a load with nothing changed and a transform"
        + (f", each the fastest of {args.runs} runs" if args.runs > 1 else ", each run once")
        + "; then the server changed 1% of each API's contacts (a quiet night, below) and the "
        "load and the transform ran once more. *Server CPU* is the lean server's CPU time "
        "(user + system) during the step: well below the wall time means the server was not "
        "what was measured. A child inherits its parent's high-water RSS when it is spawned, so "
        f"no figure below is under this benchmark process's own peak, {own_rss_mb:.0f} MB.",
        "",
    ]
    for results in (small, large):
        night = results.night
        lev, sm = night["levcapital"], night["sprintmode"]
        if not night["night"]:
            lines.append(
                f"- {results.n_per_api:,} per API: the server rendered "
                f"{results.floor.contacts:,} contacts in {results.server['render_seconds']:.1f} "
                f"s and peaked at {gigabytes(results.server['peak_rss_mb'])}; no quiet night, "
                "since the full load failed."
            )
            continue
        lines.append(
            f"- {results.n_per_api:,} per API: the server rendered {results.floor.contacts:,} "
            f"contacts in {results.server['render_seconds']:.1f} s and peaked at "
            f"{gigabytes(results.server['peak_rss_mb'])}; its quiet night edited "
            f"{lev['updated']:,} + {sm['updated']:,} contacts (LevCapital + SprintMode), "
            f"created {lev['created']:,} + {sm['created']:,} and deleted "
            f"{lev['deleted']:,} + {sm['deleted']:,}, in {night['seconds']:.1f} s."
        )
    lines += [
        "",
        "| step | N per API | contacts | wall (s) | peak RSS (MB) | server CPU (s) | × floor "
        "| target | |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]

    failures: list[str] = []

    def row(step: Step | None, floor: Step | None = None, rss_limit: float | None = None):
        if step is None:
            return
        if not step.ran:
            lines.append(
                f"| {step.what} | {step.n_per_api:,} | | {step.failure} | | | | | **fail** |"
            )
            return
        spread = ""
        if step.runs:
            spread = (
                f" ({min(step.runs):.2f}–{max(step.runs):.2f} s; server CPU "
                f"{step.server_cpu_all_runs:.2f} s over the {len(step.runs)} runs)"
            )
        x = ratio(step, floor) if step.ok else None
        target = check = ""
        if rss_limit is not None:
            target = f"≤ {gigabytes(rss_limit)}"
            check = verdict(step.peak_rss_mb, rss_limit)
        wall = f"{step.seconds:.2f}"
        if not step.ok:
            # Its figures are up to the failure; why it failed follows the table.
            wall, check = f"{wall}, failed", "**failed**"
            failures.append(
                f"- {step.what} at {step.n_per_api:,} per API failed after {step.seconds:.0f} s "
                f"at {step.peak_rss_mb:.0f} MB: `{step.failure}`"
            )
        lines.append(
            f"| {step.what}{spread} | {step.n_per_api:,} | {step.contacts:,} "
            f"| {wall} | {step.peak_rss_mb:.0f} | {step.server_cpu:.2f} "
            f"| {'' if x is None else f'{x:.2f}'} | {target} | {check} |"
        )

    for results in (small, large):
        floor = results.floor
        row(floor)
        row(results.full, floor, LOAD_RSS_MB)
        row(results.no_change, floor, LOAD_RSS_MB)
        row(results.transform, floor, TRANSFORM_RSS_MB)
        row(results.quiet_load, floor, LOAD_RSS_MB)
        row(results.quiet_transform, floor, TRANSFORM_RSS_MB)
        row(results.peer, floor)
        row(results.latency_floor)
        row(results.latency_full, results.latency_floor)
        row(results.simulator_floor, floor)

    if failures:
        lines += ["", "Failed:", "", *failures]
    per_api = [size / n_small for size in PROJECTED_PER_API]
    projected = [small.floor.contacts * scale for scale in per_api]
    floor_line = Line(small.floor, large.floor)
    lines += [
        "",
        "Fixed cost (extrapolated to 0 contacts) and marginal cost per contact of each step, "
        "from its wall time and peak RSS at the two sizes; the projections extend the same "
        f"line to {' and '.join(f'{size:,}' for size in PROJECTED_PER_API)} contacts per API "
        f"(≈ {' and '.join(f'{contacts:,.0f}' for contacts in projected)} listed).",
        "",
        "| step | fixed (s) | marginal (µs per contact) | × floor's marginal | "
        + " | ".join(f"at {size // 1_000_000}M per API (s)" for size in PROJECTED_PER_API)
        + " | RSS fixed (MB) | RSS marginal (KB per contact) | "
        + " | ".join(f"RSS at {size // 1_000_000}M per API" for size in PROJECTED_PER_API)
        + " |",
        "|---|" + "---:|" * (5 + 2 * len(PROJECTED_PER_API)),
    ]
    for step_small, step_large in zip(small.steps(), large.steps(), strict=True):
        what = "fetch-only floor" if step_small is small.floor else step_small.what
        if not (step_small.ok and step_large.ok and small.floor.ok and large.floor.ok):
            lines.append(f"| {what} | n/a: failed or not run at one size |" + " |" * 8)
            continue
        line = Line(step_small, step_large)
        x = line.marginal() / floor_line.marginal() if floor_line.marginal() > 0 else None
        lines.append(
            f"| {what} | {line.fixed():.2f} | {line.marginal() * 1e6:.2f} "
            f"| {'' if x is None else f'{x:.2f}'} | "
            + " | ".join(f"{line.at(contacts):,.0f}" for contacts in projected)
            + f" | {line.fixed(rss=True):.0f} | {line.marginal(rss=True) * 1024:.3f} | "
            + " | ".join(gigabytes(line.at(contacts, rss=True)) for contacts in projected)
            + " |"
        )

    lines += transform_part_lines(small, large)
    lines += ["", *target_lines(small, large, floor_line)]
    if small.simulator_floor:
        lean, simulated = small.floor, small.simulator_floor
        lines += [
            "",
            f"At {n_small:,} per API the floor read {lean.contacts / lean.seconds:,.0f} contacts "
            f"per second from the lean server ({lean.server_cpu:.2f} s of its CPU) and "
            f"{simulated.contacts / simulated.seconds:,.0f} from the simulators "
            f"({simulated.server_cpu:.2f} s of theirs), which serve their own people.",
        ]
    if small.latency_full and small.latency_floor:
        x = ratio(small.latency_full, small.latency_floor)
        lines += [
            "",
            f"With {args.latency * 1000:.0f} ms per request, a full load took {x:.2f}× the "
            f"sequential floor (target ≤ {LATENCY_X_SEQUENTIAL_FLOOR}×: "
            f"{verdict(x, LATENCY_X_SEQUENTIAL_FLOOR)}).",
        ]
    return "\n".join(lines) + "\n"


def not_ok(*steps: Step) -> str | None:
    """Why a target cannot be judged: the first of `steps` that failed or did not run."""
    for step in steps:
        if not step.ok:
            how = "failed" if step.ran else "did not run"
            return f"**fail**: {step.what} at {step.n_per_api:,} per API {how}"
    return None


def transform_part_lines(small: SizeResults, large: SizeResults) -> list[str]:
    """The full transform's parts: seconds at each size, fixed and marginal cost."""
    if not (small.transform_parts and large.transform_parts):
        return []
    n_small, n_large = small.transform.contacts, large.transform.contacts
    lines = [
        "",
        "The full transform by part (dbt's own timing of each model, the snapshot and the data "
        "tests together; the identity models run Splink and the clustering), with the same "
        "fixed and marginal cost:",
        "",
        f"| part | at {small.n_per_api:,} per API (s) | at {large.n_per_api:,} per API (s) "
        "| fixed (s) | marginal (µs per contact) |",
        "|---|---:|---:|---:|---:|",
    ]
    by_time = sorted(large.transform_parts, key=large.transform_parts.get, reverse=True)
    for part in by_time:
        at_small, at_large = small.transform_parts.get(part, 0.0), large.transform_parts[part]
        if at_large < 0.5:
            continue
        marginal = (at_large - at_small) / (n_large - n_small)
        fixed = at_small - marginal * n_small
        lines.append(
            f"| {part} | {at_small:.1f} | {at_large:.1f} | {fixed:.1f} | {marginal * 1e6:.1f} |"
        )
    rest = [part for part in by_time if large.transform_parts[part] < 0.5]
    if rest:
        lines.append(f"| {len(rest)} others, under 0.5 s each at {large.n_per_api:,} | | | | |")
    return lines


def target_lines(small: SizeResults, large: SizeResults, floor_line: Line) -> list[str]:
    """Issue 29's and 30's targets, each a pass or fail line."""
    at_target = large.n_per_api == TARGET_PER_API
    where = (
        f"at {large.n_per_api:,} per API"
        if at_target
        else f"at {large.n_per_api:,} per API (the target is set at {TARGET_PER_API:,})"
    )
    lines = ["Targets (issues 29 and 30):", ""]
    sizes = (small, large)
    for kind, steps, limit_mb in (
        ("load", [s for r in sizes for s in (r.full, r.no_change, r.quiet_load)], LOAD_RSS_MB),
        (
            "transform",
            [s for r in sizes for s in (r.transform, r.quiet_transform)],
            TRANSFORM_RSS_MB,
        ),
    ):
        ran = [step for step in steps if step.ran]
        if not ran:
            lines.append(f"- every {kind} ≤ {gigabytes(limit_mb)} peak RSS: **fail**, none ran")
            continue
        heaviest = max(ran, key=lambda step: step.peak_rss_mb)
        broken = [step for step in steps if not step.ok]
        outcome = verdict(heaviest.peak_rss_mb, limit_mb)
        if broken:
            outcome = f"**fail**: {len(broken)} of {len(steps)} failed or did not run"
        lines.append(
            f"- every {kind} ≤ {gigabytes(limit_mb)} peak RSS, at both sizes: the largest was "
            f"{gigabytes(heaviest.peak_rss_mb)} ({heaviest.what}, {heaviest.n_per_api:,} per "
            f"API): {outcome}"
        )
    floor_s = large.floor.seconds
    for name, load, transform, times, plus in (
        (
            "a first night, full load",
            large.full,
            large.transform,
            FIRST_NIGHT_X_FLOOR,
            FIRST_NIGHT_PLUS_S,
        ),
        (
            "a quiet night, load",
            large.quiet_load,
            large.quiet_transform,
            QUIET_NIGHT_X_FLOOR,
            QUIET_NIGHT_PLUS_S,
        ),
    ):
        limit = times * floor_s + plus
        head = f"- {name} + transform {where}, ≤ {times}× the floor + {plus} s = {limit:.0f} s: "
        failed = not_ok(large.floor, load, transform)
        if failed:
            lines.append(head + failed)
            continue
        night = load.seconds + transform.seconds
        lines.append(
            head + f"{night:.0f} s ({night / floor_s:.1f}× the floor): {verdict(night, limit)}"
        )
    for results in (small, large):
        head = (
            f"- a quiet night's transform ≤ 1/{1 / QUIET_TRANSFORM_SHARE:.0f} of a full one at "
            f"{results.n_per_api:,} per API: "
        )
        failed = not_ok(results.transform, results.quiet_transform)
        if failed:
            lines.append(head + failed)
            continue
        share = results.quiet_transform.seconds / results.transform.seconds
        lines.append(
            head + f"{results.quiet_transform.seconds:.1f} s of {results.transform.seconds:.1f} "
            f"s ({share:.0%}): {verdict(share, QUIET_TRANSFORM_SHARE)}"
        )
    for what, small_step, large_step, goal in (
        ("full load", small.full, large.full, FULL_LOAD_MARGINAL_X_FLOOR),
        ("no-change load", small.no_change, large.no_change, NO_CHANGE_MARGINAL_X_FLOOR),
    ):
        head = (
            f"- far goal (reported, not required), the {what}'s marginal cost ≤ {goal}× the "
            "floor's: "
        )
        failed = not_ok(small.floor, large.floor, small_step, large_step)
        if failed:
            lines.append(head + failed)
            continue
        marginal, floor_marginal = Line(small_step, large_step).marginal(), floor_line.marginal()
        if floor_marginal <= 0 or marginal <= 0:
            lines.append(head + "n/a, no growth measured")
            continue
        x = marginal / floor_marginal
        lines.append(
            head + f"{marginal * 1e6:.1f} µs against {floor_marginal * 1e6:.1f} µs a contact, "
            f"{x:.1f}×: {verdict(x, goal)}"
        )
    return lines


def sizes(text: str) -> list[int]:
    values = sorted({int(value) for value in text.split(",") if value})
    if len(values) != 2:
        raise argparse.ArgumentTypeError("give two different sizes, e.g. 100000,1000000")
    return values


def main() -> None:
    # The measured children inherit it: no telemetry, and the project's .dlt/.
    prepare_environment()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    size_choice = parser.add_mutually_exclusive_group()
    size_choice.add_argument(
        "--sizes",
        type=sizes,
        default=DEFAULT_SIZES,
        help="the two sizes, contacts per API (default 100000,1000000)",
    )
    size_choice.add_argument(
        "--quick",
        action="store_const",
        dest="sizes",
        const=QUICK_SIZES,
        help="10000 and 40000 per API: minutes, not an hour",
    )
    parser.add_argument(
        "--floor-runs",
        type=int,
        default=3,
        help="runs of the floor at each size; the fastest counts (default 3)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="runs of each first-night step at each size; the fastest counts (default 1)",
    )
    parser.add_argument(
        "--extras",
        default="",
        type=lambda text: {name for name in text.split(",") if name},
        help=f"at the smaller size, comma-separated: {', '.join(EXTRAS)} (default none)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=LATENCY,
        help="seconds per request in the latency extra (default 0.04)",
    )
    parser.add_argument("--no-warm-up", action="store_true", help="skip the unmeasured warm-up")
    parser.add_argument(
        "--backend",
        choices=("threads", "asyncio"),
        default="threads",
        help="the lean server's (default threads)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args()
    unknown = args.extras.difference(EXTRAS)
    if unknown:
        parser.error(f"--extras: unknown {', '.join(sorted(unknown))}")
    args.argv = sys.argv[1:]
    started = time.perf_counter()
    args.load_averages = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="contacts-elt-bench-") as tmp:
        if not args.no_warm_up:
            warm_up(Path(tmp), args)
        small = run_size(args.sizes[0], Path(tmp), args, smaller=True)
        args.load_averages.append(os.getloadavg()[0])
        large = run_size(args.sizes[1], Path(tmp), args, smaller=False)
    args.load_averages.append(os.getloadavg()[0])
    args.elapsed = time.perf_counter() - started
    table = render(args, small, large)
    args.output.write_text(table)
    print()
    print(table)


if __name__ == "__main__":
    main()
