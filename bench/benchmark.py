"""`make bench`: the performance figures, all measured in one run against a lean server.

A lean server (`bench/lean_server.py`, a child process) serves both APIs from pages rendered up
front, so that serving is not what is measured; it reports its own CPU time, read before and
after every step. At each of two sizes (40k and 160k contacts per API by default):

- the fetch-only floor (`bench/floor.py`: sequential http.client + json), the minimum of
  several runs, each a child process;
- `contacts-elt load` into a new DuckDB file (full), again (nothing changed), then
  `contacts-elt transform`, each a child process whose wall time and peak RSS (`wait4`) count,
  the fastest of `--runs` runs (3);

and at the smaller size only: the plain dlt pipeline of `bench/baseline.py`; with 40 ms per
request, the sequential floor and a full load; and the floor against the demo simulators, to
show what the lean server saves. From the two sizes come each step's fixed cost (extrapolated
to 0 contacts) and marginal cost per contact, and from those a projection to 1M per API.

Before all that, each kind of child runs once unmeasured at a tiny size, so that reading files
from disk on a cold start does not count as fixed cost. This process stays small (no
simulators, no DuckDB in it): a child spawned from it starts with its high-water RSS, which
`wait4` would report as the child's peak.

    .venv/bin/python bench/benchmark.py [--sizes 40000,160000] [--output bench/results.md]
"""

import argparse
import json
import os
import platform
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

from pipelines.settings import RAW_CONTACTS_TABLES, prepare_environment

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results.md"
CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))
LEVCAPITAL_KEY = "bench-levcapital-key"
SPRINTMODE_KEY = "bench-sprintmode-key"
SEED = 42
LATENCY = 0.040
PROJECTED_PER_API = 1_000_000
SKIPPABLE = ("warm-up", "peer", "latency", "simulator")
WARM_UP_CONTACTS = 500

# The targets, which the verdicts and the table both read.
FULL_LOAD_X_FLOOR = 3.0
NO_CHANGE_X_FLOOR = 2.5
FULL_LOAD_RSS_MB = 300
FULL_LOAD_RSS_GROWTH_MB = 60
LATENCY_X_SEQUENTIAL_FLOOR = 0.4
FULL_LOAD_MARGINAL_X_FLOOR = 1.3
NO_CHANGE_MARGINAL_X_FLOOR = 1.1
FULL_LOAD_FIXED_OVER_FLOOR_S = 2.0
TRANSFORM_MARGINAL_X_FLOOR = 0.5
TRANSFORM_FIXED_S = 3.0


@dataclass
class Step:
    """One measured step at one size."""

    what: str
    n_per_api: int
    contacts: int
    seconds: float
    peak_rss_mb: float
    server_cpu: float
    # Every run's wall time, when the step is the minimum of several, and the server's CPU
    # time over all of them.
    runs: list[float] = field(default_factory=list)
    server_cpu_all_runs: float = 0.0


# The servers measured against


class LeanServer:
    """`bench/lean_server.py` as a child process, serving one size until the block ends.

    The `simulators` backend serves through the demo simulators instead, in that child too:
    kept out of this process, their hundreds of MB do not become every measured child's
    peak RSS (a child inherits its parent's high-water mark when it is spawned).
    """

    def __init__(self, n: int, seed: int, backend: str) -> None:
        self.n = n
        self.command = [
            sys.executable, str(BENCH_DIR / "lean_server.py"), "--contacts", str(n),
            "--seed", str(seed), "--backend", backend,
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

    def _control(self, path: str) -> dict:
        with urllib.request.urlopen(f"{self.control_url}/{path}", timeout=10) as answer:
            return json.loads(answer.read())

    def cpu(self) -> float:
        """The server's CPU time so far, user and system, in seconds."""
        return self._control("cpu")["cpu_seconds"]

    def set_latency(self, seconds: float) -> None:
        self._control(f"latency?seconds={seconds}")


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


def measure_child(command: Sequence[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Runs a command to completion: its wall time (s), peak RSS (MB) and output.

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
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code}):\n{text}")
    return seconds, usage.ru_maxrss / 1024, text


def measure_best(
    what: str,
    command_for_run: Callable[[int], Sequence[str]],
    server: LeanServer,
    runs: int,
    check: Callable[[int, str], None] | None = None,
) -> Step:
    """The fastest of `runs` runs of a step, with the server's CPU time during that run.

    One run is not a measurement on this machine: the same full load has taken 22.2 s and
    11.4 s twenty minutes apart. `check(run, output)` fails the benchmark on a wrong result.
    """
    best: Step | None = None
    times = []
    cpu_all_runs = 0.0
    for run in range(runs):
        before = server.cpu()
        seconds, rss, output = measure_child(command_for_run(run), env_for(server))
        cpu = server.cpu() - before
        cpu_all_runs += cpu
        if check is not None:
            check(run, output)
        times.append(seconds)
        if best is None or seconds < best.seconds:
            best = Step(what, server.n, server.contacts, seconds, rss, cpu)
    assert best is not None
    if runs > 1:
        best.runs = times
        best.server_cpu_all_runs = cpu_all_runs
    report(best)
    return best


def measure_floor(what: str, server: LeanServer, runs: int) -> Step:
    """The floor's fastest of `runs` runs; each must fetch every contact served."""

    def fetched_all(_: int, output: str) -> None:
        fetched = json.loads(output.strip().splitlines()[-1])["contacts"]
        if fetched != server.contacts:
            raise SystemExit(f"the floor fetched {fetched:,} contacts of {server.contacts:,}")

    command = [sys.executable, str(BENCH_DIR / "floor.py"), *url_args(server)]
    return measure_best(what, lambda _: command, server, runs, fetched_all)


def measure_full_loads(
    what: str, db_for_run: Callable[[int], Path], server: LeanServer, runs: int
) -> Step:
    """The fastest of `runs` full loads, each into the database `db_for_run(run)` names,
    which must then hold every contact served."""
    return measure_best(
        what,
        lambda run: load_command(db_for_run(run)),
        server,
        runs,
        lambda run, _: check_loaded(db_for_run(run), server.contacts),
    )


COUNT_LOADED = f"""
import sys, duckdb
with duckdb.connect(sys.argv[1], read_only=True) as connection:
    print(sum(connection.execute(f"select count(*) from {{table}}").fetchone()[0]
              for table in {RAW_CONTACTS_TABLES!r}))
"""


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
        raise SystemExit(f"{duckdb_path.name} holds {loaded:,} contacts, {expected:,} served")


def report(step: Step) -> None:
    runs = f"  (runs: {', '.join(f'{s:.2f}' for s in step.runs)})" if step.runs else ""
    print(
        f"  N={step.n_per_api:>7,}  {step.what:<46} {step.seconds:7.2f} s {step.peak_rss_mb:6.0f}"
        f" MB  server CPU {step.server_cpu:5.2f} s{runs}",
        flush=True,
    )


@dataclass
class SizeResults:
    floor: Step
    full: Step
    no_change: Step
    transform: Step
    # At the smaller size only.
    peer: Step | None = None
    latency_floor: Step | None = None
    latency_full: Step | None = None
    simulator_floor: Step | None = None


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


def run_size(n: int, workdir: Path, args: argparse.Namespace, smaller: bool) -> SizeResults:
    """Every step at one size; the smaller size also runs the peer, latency and simulator."""
    with LeanServer(n, args.seed, args.backend) as server:
        render = server.ready["render_seconds"]
        print(f"N = {n:,} per API: {server.contacts:,} contacts, rendered in {render:.1f} s")
        floor_what = f"fetch-only floor, min of {args.floor_runs}"
        floor = measure_floor(floor_what, server, args.floor_runs)
        runs = args.runs

        # Each full load into a database of its own; the last one is then loaded again.
        def fresh_db(run: int) -> Path:
            return workdir / f"elt_{n}_{run}.duckdb"

        db = fresh_db(runs - 1)
        full = measure_full_loads(f"contacts-elt load, full, min of {runs}", fresh_db, server, runs)
        no_change = measure_best(
            f"contacts-elt load, nothing changed, min of {runs}",
            lambda _: load_command(db),
            server,
            runs,
            lambda _, __: check_loaded(db, server.contacts),
        )
        transform = measure_best(
            f"contacts-elt transform, min of {runs}",
            lambda _: load_command(db, "transform"),
            server,
            runs,
        )
        results = SizeResults(floor, full, no_change, transform)
        if smaller:
            run_smaller_only(results, server, workdir, args)
    if smaller and "simulator" not in args.skip:
        with LeanServer(n, args.seed, "simulators") as simulators:
            floor_what = f"fetch-only floor vs the simulators, min of {args.floor_runs}"
            results.simulator_floor = measure_floor(floor_what, simulators, args.floor_runs)
    return results


def run_smaller_only(
    results: SizeResults, server: LeanServer, workdir: Path, args: argparse.Namespace
) -> None:
    """The plain dlt peer, and the latency steps: one size is enough to compare them."""
    n = server.n
    if "peer" not in args.skip:
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
        )
    if "latency" not in args.skip:
        ms = f"{args.latency * 1000:.0f} ms"
        server.set_latency(args.latency)
        floor_what = f"sequential floor, {ms}, min of {args.latency_floor_runs}"
        results.latency_floor = measure_floor(floor_what, server, args.latency_floor_runs)
        runs = args.latency_floor_runs

        def latency_db(run: int) -> Path:
            return workdir / f"elt_{n}_latency_{run}.duckdb"

        results.latency_full = measure_full_loads(
            f"contacts-elt load, full, {ms}, min of {runs}", latency_db, server, runs
        )
        server.set_latency(0.0)


# Arithmetic and rendering


@dataclass
class Line:
    """A step's fixed and marginal cost, from its wall time at the two sizes."""

    small: Step
    large: Step

    @property
    def marginal(self) -> float:
        """Seconds per contact."""
        return (self.large.seconds - self.small.seconds) / (
            self.large.contacts - self.small.contacts
        )

    @property
    def fixed(self) -> float:
        """Seconds at 0 contacts."""
        return self.small.seconds - self.marginal * self.small.contacts

    def at(self, contacts: float) -> float:
        return self.fixed + self.marginal * contacts


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


def render(args: argparse.Namespace, small: SizeResults, large: SizeResults) -> str:
    n_small, n_large = args.sizes
    command = " ".join(["bench/benchmark.py", *args.argv])
    own_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `{command}` on {machine()}; Python "
        f"{platform.python_version()}, dlt {version('dlt')}, DuckDB {version('duckdb')}, "
        f"dbt-core {version('dbt-core')}. Every figure below comes from this one run.",
        "",
        f"What ran: `bench/lean_server.py` ({args.backend} backend) served both APIs at "
        f"{n_small:,} and {n_large:,} contacts per API (seed {args.seed}; LevCapital lists only "
        "its connected ones) from pages rendered before any step started. Every step is a "
        "child process of its own: wall time from start to exit, peak RSS from `wait4`. The "
        "floor is `bench/floor.py`, a sequential http.client + json reader of every page, the "
        f"fastest of {args.floor_runs} runs at the same size in this run; each contacts-elt "
        f"step is the fastest of {args.runs} (a full load into a new database each time), "
        "since the same step can take twice as long on this machine an hour later. *Server "
        "CPU* is the lean server's CPU time (user + system) during the step, during its "
        "fastest run: well below the wall time means the server was not what was measured. Latency "
        f"steps add {args.latency * 1000:.0f} ms to every request. A child inherits its "
        "parent's high-water RSS when it is spawned, so no figure below is under this "
        f"benchmark process's own peak, {own_rss_mb:.0f} MB.",
        "",
        "| step | N per API | contacts | wall (s) | peak RSS (MB) | server CPU (s) | × floor "
        "| target | |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]

    def row(step: Step | None, floor: Step | None = None, target: str = "", check: str = ""):
        if step is None:
            return
        spread = ""
        if step.runs:
            spread = (
                f" ({min(step.runs):.2f}–{max(step.runs):.2f} s; server CPU "
                f"{step.server_cpu_all_runs:.2f} s over the {len(step.runs)} runs)"
            )
        x = ratio(step, floor)
        lines.append(
            f"| {step.what}{spread} | {step.n_per_api:,} | {step.contacts:,} "
            f"| {step.seconds:.2f} | {step.peak_rss_mb:.0f} | {step.server_cpu:.2f} "
            f"| {'' if x is None else f'{x:.2f}'} | {target} | {check} |"
        )

    for results in (small, large):
        floor = results.floor
        row(floor)
        full_x = ratio(results.full, floor)
        target = f"≤ {FULL_LOAD_X_FLOOR}× floor"
        check = verdict(full_x, FULL_LOAD_X_FLOOR)
        if results is small:
            target += f", ≤ {FULL_LOAD_RSS_MB} MB"
            check += " · " + verdict(results.full.peak_rss_mb, FULL_LOAD_RSS_MB)
        row(results.full, floor, target, check)
        row(
            results.no_change,
            floor,
            f"≤ {NO_CHANGE_X_FLOOR}× floor",
            verdict(ratio(results.no_change, floor), NO_CHANGE_X_FLOOR),
        )
        row(results.transform)
        row(results.peer, floor)
        row(results.latency_floor)
        row(
            results.latency_full,
            results.latency_floor,
            f"≤ {LATENCY_X_SEQUENTIAL_FLOOR}× sequential floor",
            verdict(ratio(results.latency_full, results.latency_floor), LATENCY_X_SEQUENTIAL_FLOOR),
        )
        row(results.simulator_floor, floor)

    floor_line = Line(small.floor, large.floor)
    per_api = PROJECTED_PER_API / n_small
    projected_contacts = small.floor.contacts * per_api
    lines += [
        "",
        f"Fixed cost (extrapolated to 0 contacts) and marginal cost per contact, from the two "
        f"sizes; the projection to {PROJECTED_PER_API:,} contacts per API (≈ "
        f"{projected_contacts:,.0f} listed) extends the same line.",
        "",
        "| step | fixed (s) | over the floor's (s) | marginal (µs per contact) | × floor's "
        f"marginal | at {PROJECTED_PER_API // 1_000_000}M per API (s) | target | |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]

    def cost_row(
        what: str,
        line: Line,
        marginal_x: float | None = None,
        fixed_over_floor: float | None = None,
        fixed: float | None = None,
        fetches: bool = True,
    ) -> None:
        over = line.fixed - floor_line.fixed
        x = line.marginal / floor_line.marginal
        checks: list[tuple[str, float, float]] = []
        if marginal_x is not None:
            checks.append((f"marginal ≤ {marginal_x}×", x, marginal_x))
        if fixed_over_floor is not None:
            text = f"fixed ≤ {fixed_over_floor:.0f} s over the floor's"
            checks.append((text, over, fixed_over_floor))
        if fixed is not None:
            checks.append((f"fixed ≤ {fixed:.0f} s", line.fixed, fixed))
        verdicts = [verdict(value, limit) for _, value, limit in checks]
        if checks and (line.marginal <= 0 or floor_line.marginal <= 0):
            # Time that did not grow with the contacts is noise: the sizes are too close.
            verdicts = ["n/a: no growth measured"]
        lines.append(
            f"| {what} | {line.fixed:.2f} | {f'{over:+.2f}' if fetches else ''} "
            f"| {line.marginal * 1e6:.2f} | {x:.2f} | {line.at(projected_contacts):.1f} "
            f"| {', '.join(text for text, _, _ in checks)} | {' · '.join(verdicts)} |"
        )

    cost_row("fetch-only floor", floor_line, fetches=False)
    cost_row(
        "contacts-elt load, full",
        Line(small.full, large.full),
        marginal_x=FULL_LOAD_MARGINAL_X_FLOOR,
        fixed_over_floor=FULL_LOAD_FIXED_OVER_FLOOR_S,
    )
    cost_row(
        "contacts-elt load, nothing changed",
        Line(small.no_change, large.no_change),
        marginal_x=NO_CHANGE_MARGINAL_X_FLOOR,
    )
    cost_row(
        "contacts-elt transform",
        Line(small.transform, large.transform),
        marginal_x=TRANSFORM_MARGINAL_X_FLOOR,
        fixed=TRANSFORM_FIXED_S,
        # It reads the database, not the APIs: only its marginal cost compares with the floor.
        fetches=False,
    )

    growth = large.full.peak_rss_mb - small.full.peak_rss_mb
    rss_per_contact = growth / (large.full.contacts - small.full.contacts)
    projected_rss = small.full.peak_rss_mb + rss_per_contact * (
        projected_contacts - small.full.contacts
    )
    lines += [
        "",
        "| peak RSS of a full load | MB |  | target | |",
        "|---|---:|---|---|---|",
        f"| at {n_small:,} per API | {small.full.peak_rss_mb:.0f} | | ≤ {FULL_LOAD_RSS_MB} MB "
        f"| {verdict(small.full.peak_rss_mb, FULL_LOAD_RSS_MB)} |",
        f"| at {n_large:,} per API | {large.full.peak_rss_mb:.0f} | | | |",
        f"| growth from {n_small:,} to {n_large:,} | {growth:+.0f} | "
        f"{rss_per_contact * 1024:.2f} KB per contact | ≤ {FULL_LOAD_RSS_GROWTH_MB} MB "
        f"| {verdict(growth, FULL_LOAD_RSS_GROWTH_MB)} |",
        f"| at {PROJECTED_PER_API:,} per API, projected | {projected_rss:.0f} | | | |",
    ]
    if small.simulator_floor:
        lean, simulated = small.floor, small.simulator_floor
        lines += [
            "",
            f"At {n_small:,} per API the floor read {lean.contacts / lean.seconds:,.0f} contacts "
            f"per second from the lean server ({lean.server_cpu:.2f} s of its CPU) and "
            f"{simulated.contacts / simulated.seconds:,.0f} from the simulators "
            f"({simulated.server_cpu:.2f} s of theirs).",
        ]
    return "\n".join(lines) + "\n"


def sizes(text: str) -> list[int]:
    values = sorted({int(value) for value in text.split(",") if value})
    if len(values) != 2:
        raise argparse.ArgumentTypeError("give two different sizes, e.g. 40000,160000")
    return values


def main() -> None:
    # The measured children inherit it: no telemetry, and the project's .dlt/.
    prepare_environment()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        type=sizes,
        default=[40_000, 160_000],
        help="the two sizes, contacts per API (default 40000,160000)",
    )
    parser.add_argument(
        "--floor-runs",
        type=int,
        default=5,
        help="runs of the floor at each size; the fastest counts (default 5)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="runs of each contacts-elt step at each size; the fastest counts (default 3)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=LATENCY,
        help="seconds per request in the latency steps (default 0.04)",
    )
    parser.add_argument(
        "--latency-floor-runs",
        type=int,
        default=2,
        help="runs of the floor with latency; the fastest counts (default 2)",
    )
    parser.add_argument(
        "--skip",
        default="",
        type=lambda text: {name for name in text.split(",") if name},
        help=f"steps to leave out, comma-separated: {', '.join(SKIPPABLE)}",
    )
    parser.add_argument(
        "--backend",
        choices=("threads", "asyncio"),
        default="threads",
        help="the lean server's (default threads)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args()
    unknown = args.skip.difference(SKIPPABLE)
    if unknown:
        parser.error(f"--skip: unknown {', '.join(sorted(unknown))}")
    args.argv = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="contacts-elt-bench-") as tmp:
        if "warm-up" not in args.skip:
            warm_up(Path(tmp), args)
        small = run_size(args.sizes[0], Path(tmp), args, smaller=True)
        large = run_size(args.sizes[1], Path(tmp), args, smaller=False)
    table = render(args, small, large)
    args.output.write_text(table)
    print()
    print(table)


if __name__ == "__main__":
    main()
