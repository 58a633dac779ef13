"""`make bench`: the performance issue's figures, measured in one run on the same data.

Both simulators run in this process; every measured step runs in a child process of its
own, so each gets the same start-up conditions, and `wait4` reports that child's peak RSS.
"""

import argparse
import gc
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipelines.demo.simulators import LevCapitalSimulator, SprintModeSimulator
from pipelines.settings import prepare_environment

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results.md"
CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))
LEVCAPITAL_KEY = "bench-levcapital-key"
SPRINTMODE_KEY = "bench-sprintmode-key"
LATENCY = 0.040
SEED = 42


@dataclass
class Measure:
    step: str
    what: str
    contacts: int
    seconds: float
    peak_rss_mb: float
    floor: "Measure | None" = None
    target: str = ""

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.floor.seconds if self.floor else None


class Simulators:
    """Both APIs on loopback with `n` contacts each."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.levcapital = LevCapitalSimulator(n_contacts=n, seed=SEED, api_key=LEVCAPITAL_KEY)
        self.sprintmode = SprintModeSimulator(n_contacts=n, seed=SEED, api_key=SPRINTMODE_KEY)
        # Generated contacts live as long as the run: spare the collector from rescanning
        # them while the children are measured.
        gc.freeze()

    def __enter__(self) -> "Simulators":
        self.levcapital.start()
        self.sprintmode.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.levcapital.stop()
        self.sprintmode.stop()

    def set_latency(self, seconds: float) -> None:
        self.levcapital.latency = seconds
        self.sprintmode.latency = seconds

    def url_args(self) -> list[str]:
        return [
            "--levcapital-url", self.levcapital.base_url,
            "--levcapital-key", LEVCAPITAL_KEY,
            "--sprintmode-url", self.sprintmode.base_url,
            "--sprintmode-key", SPRINTMODE_KEY,
        ]  # fmt: skip

    def env(self) -> dict[str, str]:
        return os.environ | {
            "SOURCES__LEVCAPITAL__BASE_URL": self.levcapital.base_url,
            "SOURCES__LEVCAPITAL__API_KEY": LEVCAPITAL_KEY,
            "SOURCES__SPRINTMODE__BASE_URL": self.sprintmode.base_url,
            "SOURCES__SPRINTMODE__API_KEY": SPRINTMODE_KEY,
        }


def measure_child(command: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Runs a command to completion; its wall time in seconds and peak RSS in MB."""
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{text}")
    return seconds, usage.ru_maxrss / 1024


def python_script(name: str) -> list[str]:
    return [sys.executable, str(BENCH_DIR / name)]


def run_suite(n: int, workdir: Path) -> list[Measure]:
    """The five measured steps, a to e, on one data set."""
    measures: list[Measure] = []
    with Simulators(n) as sims:
        env = sims.env()
        total = len(sims.levcapital.store.list_all()) + len(sims.sprintmode.store.list_all())

        def run(step: str, what: str, command: list[str], floor: Measure | None, target=""):
            seconds, rss = measure_child(command, env)
            measure = Measure(step, what, total, seconds, rss, floor, target)
            measures.append(measure)
            print(f"  {step:<3} {what:<44} {seconds:7.2f} s {rss:7.0f} MB", flush=True)
            return measure

        for latency, suffix in ((0.0, ""), (LATENCY, "'")):
            sims.set_latency(latency)
            tag = f" ({latency * 1000:.0f} ms latency)" if latency else ""
            name = "latency" if latency else "plain"
            elt_db = workdir / f"elt_{name}.duckdb"
            floor = run(f"a{suffix}", f"fetch-only floor{tag}", python_script("floor.py")
                        + sims.url_args(), None)  # fmt: skip
            baseline_db = workdir / f"baseline_{name}.duckdb"
            run(f"b{suffix}", f"plain dlt pipeline{tag}", python_script("baseline.py")
                + sims.url_args() + ["--duckdb", str(baseline_db),
                                     "--pipelines-dir", str(workdir / f"baseline_{name}.dlt")],
                floor)  # fmt: skip
            full_target = "≤ 0.6× sequential floor" if latency else "≤ 1.5× floor, ≤ 300 MB"
            run(f"c{suffix}", f"contacts-elt load, full{tag}",
                [CONTACTS_ELT, "load", "--duckdb", str(elt_db)], floor, full_target)  # fmt: skip
            if latency:
                continue
            run("d", "contacts-elt load, nothing changed",
                [CONTACTS_ELT, "load", "--duckdb", str(elt_db)], floor, "≤ 1.2× floor")  # fmt: skip
            run("e", "contacts-elt transform",
                [CONTACTS_ELT, "transform", "--duckdb", str(elt_db)], None, "≤ 5 s")  # fmt: skip
    return measures


def run_rss_scaling(sizes: Sequence[int], workdir: Path) -> list[Measure]:
    """Peak RSS of a full load as N grows."""
    measures = []
    for n in sizes:
        with Simulators(n) as sims:
            total = len(sims.levcapital.store.list_all()) + len(sims.sprintmode.store.list_all())
            db = workdir / f"scale_{n}.duckdb"
            seconds, rss = measure_child([CONTACTS_ELT, "load", "--duckdb", str(db)], sims.env())
            measures.append(Measure("c", f"full load, N = {n:,} per API", total, seconds, rss))
            print(f"  N={n:>7,}  {seconds:7.2f} s {rss:7.0f} MB", flush=True)
    return measures


def render(n: int, suite: list[Measure], scaling: list[Measure]) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` on {os.cpu_count()} "
        f"cores ({cpu}), Python {platform.python_version()}, N = {n:,} contacts per API "
        "(LevCapital lists only its connected ones). Every step runs in a child process of its "
        f"own against the same simulators; latency steps add {LATENCY * 1000:.0f} ms per request.",
        "",
        "| step | what | contacts | wall (s) | peak RSS (MB) | × floor | target |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for m in suite:
        ratio = f"{m.ratio:.2f}" if m.ratio is not None else ""
        lines.append(
            f"| {m.step} | {m.what} | {m.contacts:,} | {m.seconds:.2f} | {m.peak_rss_mb:.0f} "
            f"| {ratio} | {m.target} |"
        )
    if scaling:
        lines += [
            "",
            "Peak RSS of a full load as N grows:",
            "",
            "| N per API | contacts listed | wall (s) | peak RSS (MB) |",
            "|---:|---:|---:|---:|",
        ]
        for m in scaling:
            lines.append(
                f"| {m.what.split('= ')[1].split(' ')[0]} | {m.contacts:,} | {m.seconds:.2f} "
                f"| {m.peak_rss_mb:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    # The measured children inherit it: no telemetry, and the project's .dlt/.
    prepare_environment()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=40_000, help="contacts per API")
    parser.add_argument(
        "--scaling",
        type=lambda text: [int(n) for n in text.split(",") if n],
        default=[10_000, 40_000, 160_000],
        help="comma-separated N per API for the peak-RSS series ('' to skip)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="contacts-elt-bench-") as tmp:
        print(f"N = {args.contacts:,} contacts per API")
        suite = run_suite(args.contacts, Path(tmp))
        scaling = run_rss_scaling(args.scaling, Path(tmp)) if args.scaling else []
    table = render(args.contacts, suite, scaling)
    args.output.write_text(table)
    print()
    print(table)


if __name__ == "__main__":
    main()
