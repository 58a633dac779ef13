"""What publishing through a working copy costs: the copy on entry, the publish, the disk.

Builds a realistic database once (`contacts-elt load` then `contacts-elt transform`, against
`bench/lean_server.py` at `--contacts` per API), then times
`pipelines.warehouse.duckdb_publish.working_copy` on it, `--runs` times each, and prints a
markdown table:

- entry: the copy of the published file (and its wal), fsynced, with the file in the page
  cache (warm: it was just read) and evicted from it (cold: `posix_fadvise(DONTNEED)` on the
  published file only, so nothing else on the machine loses its cache);
- exit with nothing written: the checkpoint, fsync, rename and directory fsyncs alone;
- exit after a night's writes: every table of `analytics` rebuilt in the copy, as dbt does,
  which leaves the checkpoint its work;
- the disk at the peak: published file plus working copy and its wal, in allocated blocks.

Each cycle works on a fresh copy of the built database, which stays as built.

    .venv/bin/python bench/publish.py [--contacts 80000] [--runs 3] [--workdir DIR]

With `--workdir` the database is kept there and reused by the next run.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import duckdb
from benchmark import SEED, LeanServer, env_for, load_command

from pipelines.settings import prepare_environment
from pipelines.warehouse.duckdb_publish import working_copy, working_copy_path


def build(database: Path, contacts: int) -> None:
    """Loads and transforms `contacts` per API into `database`, unless it is there already."""
    if database.exists():
        print(f"reusing {database}", flush=True)
        return
    with LeanServer(contacts, SEED, "threads") as server:
        for command in ("load", "transform"):
            started = time.perf_counter()
            subprocess.run(load_command(database, command), env=env_for(server), check=True)
            print(f"contacts-elt {command}: {time.perf_counter() - started:.1f} s", flush=True)


def settle(path: Path, evict: bool) -> None:
    """Writes `path` to disk, so that its write-back does not run during the measure."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
        if evict:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)


def rebuild_analytics(working: Path) -> None:
    """Rewrites every analytics table in the copy, as a dbt build of the marts does."""
    with duckdb.connect(str(working)) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables"
            " where table_schema = 'analytics' and table_type = 'BASE TABLE'"
        ).fetchall()
        for (table,) in tables:
            connection.execute(
                f'create or replace table analytics."{table}" as select * from analytics."{table}"'
            )


def allocated_mb(*paths: Path) -> float:
    return sum(p.stat().st_blocks * 512 for p in paths if p.exists()) / 1e6


def measure(
    built: Path, cold: bool, write: Callable[[Path], None] | None
) -> tuple[float, float, float]:
    """One working-copy cycle on a copy of `built`: entry and exit seconds, peak disk in MB.

    Each cycle starts from the database as built: a publish replaces it, and the rebuilt
    tables would leave it larger each time (DuckDB keeps freed blocks in the file).
    """
    database = built.with_name("published.duckdb")
    shutil.copyfile(built, database)
    settle(database, evict=cold)
    cycle = working_copy(database)
    started = time.perf_counter()
    working = cycle.__enter__()
    entry = time.perf_counter() - started
    if write is not None:
        write(working)
    peak = allocated_mb(database, working, working.with_name(working.name + ".wal"))
    started = time.perf_counter()
    cycle.__exit__(None, None, None)
    return entry, time.perf_counter() - started, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=80_000, help="per API")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    prepare_environment()
    keep = args.workdir is not None
    with nullcontext(args.workdir) if keep else tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        database = (workdir / f"publish_{args.contacts}.duckdb").resolve()
        build(database, args.contacts)
        size_mb = allocated_mb(database)
        with duckdb.connect(str(database), read_only=True) as connection:
            rows = connection.execute("select count(*) from analytics.contacts").fetchone()[0]
        cases = [
            ("warm cache, nothing written", False, None),
            ("cold cache, nothing written", True, None),
            ("warm cache, analytics rebuilt", False, rebuild_analytics),
        ]
        lines = [
            f"Database: {rows:,} rows in analytics.contacts ({args.contacts:,} per API), "
            f"{size_mb:.0f} MB on disk; median of {args.runs} runs, "
            f"{os.uname().sysname} {os.uname().release}, filesystem of {workdir}.",
            "",
            "| case | entry: copy (s) | exit: checkpoint + replace (s) | disk at peak (MB) |",
            "|---|---:|---:|---:|",
        ]
        for what, cold, write in cases:
            samples = [measure(database, cold, write) for _ in range(args.runs)]
            entry, exit_, peak = (
                statistics.median(column) for column in zip(*samples, strict=True)
            )
            lines.append(f"| {what} | {entry:.2f} | {exit_:.2f} | {peak:.0f} |")
        print("\n".join(lines))
        assert not working_copy_path(database.with_name("published.duckdb")).exists()


if __name__ == "__main__":
    sys.exit(main())
