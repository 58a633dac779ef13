"""dlt's working folder after a month of nights: how big it grows, and how much of it is contacts.

Runs `--nights` nightly loads against the demo's simulators, at about `--contacts` per API,
changing contacts between nights as the demo does (demo/nights.py). Each night does
what `contacts-elt load` does: the run lock, both sources side by side into the run's working
copy, the copy published at the end. The transform is left out: it adds dbt's own folder,
which holds no job files, and most of the time.

After each night it prints a row: the working folder's size (apparent bytes of its files),
the bytes and number of job files in it (`*.parquet`, `*.csv`, `*.jsonl`, `*.typed-jsonl`,
`*.insert_values`: dlt's copies of the rows it loads), the bytes of those that hold the
contacts' tables rather than dlt's own state, the completed and the pending load packages,
and whether the working copy `unpublished.duckdb` is left. At the end: what the folder holds,
part by part, and the rows left in dlt's staging datasets in the database.

    .venv/bin/python bench/working_folder.py [--contacts 20000] [--nights 30] [--seed 42]
"""

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb

from demo.nights import demo_nights, running_simulators
from pipelines.paths import pipelines_dir_for
from pipelines.runs.load import load_sources
from pipelines.settings import SOURCE_NAMES, prepare_environment, raw_dataset
from pipelines.warehouse import DuckDBFile
from pipelines.warehouse.duckdb_publish import WORKING_COPY_NAME

JOB_FILE_SUFFIXES = (".parquet", ".csv", ".jsonl", ".typed-jsonl", ".insert_values")


def is_job_file(path: Path) -> bool:
    """Whether dlt wrote rows into this file: an extract's, normalize's or load's job."""
    # dlt names them <table>.<file id>.<retry>.<format>, `.gz` added when compressed.
    name = path.name.removesuffix(".gz")
    return name.endswith(JOB_FILE_SUFFIXES)


def is_contacts_file(path: Path) -> bool:
    """Whether a job file holds rows of a contacts table, not of dlt's own (`_dlt_*`)."""
    return is_job_file(path) and not path.name.startswith("_dlt")


def part_of(relative: Path) -> str:
    """Which part of the folder a file belongs to, for the breakdown at the end."""
    parts = relative.parts
    if len(parts) >= 3 and parts[1] == "load":
        where = f"{parts[0]}/load/{parts[2]}"
        return f"{where} (job files)" if is_job_file(relative) else where
    return "/".join(parts[:2])


def survey(folder: Path) -> dict:
    """The files of the working folder: their bytes, by kind and by part."""
    files = [path for path in folder.rglob("*") if path.is_file()]
    by_part: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path in files:
        bucket = by_part[part_of(path.relative_to(folder))]
        bucket[0] += 1
        bucket[1] += path.stat().st_size
    return {
        "files": len(files),
        "bytes": sum(path.stat().st_size for path in files),
        "job_bytes": sum(path.stat().st_size for path in files if is_job_file(path)),
        "contacts_bytes": sum(path.stat().st_size for path in files if is_contacts_file(path)),
        "job_files": sum(1 for path in files if is_job_file(path)),
        "loaded_packages": len(list(folder.glob("*/load/loaded/*"))),
        "pending_packages": len(
            list(folder.glob("*/load/normalized/*")) + list(folder.glob("*/normalize/extracted/*"))
        ),
        "working_copy": (folder / WORKING_COPY_NAME).exists(),
        "by_part": dict(by_part),
    }


def staging_rows(database: Path) -> dict[str, int]:
    """Rows left in each source's staging dataset, where dlt stages a merge."""
    rows = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        for source in SOURCE_NAMES:
            schema = f"{raw_dataset(source)}_staging"
            tables = connection.execute(
                "select table_name from information_schema.tables"
                " where table_schema = ? and table_name not like '\\_dlt%' escape '\\'",
                [schema],
            ).fetchall()
            rows[schema] = sum(
                connection.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
                for (table,) in tables
            )
    return rows


def megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.2f}"


def main() -> None:
    prepare_environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=20_000, help="about this many per API")
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="contacts-elt-working-folder-") as scratch:
        database = Path(scratch).resolve() / "nights.duckdb"
        warehouse = DuckDBFile(database)
        folder = pipelines_dir_for(database)
        print(f"{args.nights} nights of `load` at about {args.contacts:,} contacts per API")
        print()
        print(
            "| night | load (s) | rows written | folder (MB) | job files (MB) | job files"
            " | of contacts (MB) | completed packages | pending packages | working copy left |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        with running_simulators(args.contacts, args.seed) as apis:
            for night in demo_nights(apis, args.nights, seed=args.seed):
                started = time.perf_counter()
                with warehouse.run_lock(), warehouse.writing() as target:
                    loads = load_sources(target, source_args=apis.source_args)
                seconds = time.perf_counter() - started
                failed = [f"{load.source}: {load.error}" for load in loads if not load.ok]
                if failed:
                    raise SystemExit(f"night {night.number} failed: {'; '.join(failed)}")
                found = survey(folder)
                print(
                    f"| {night.number} | {seconds:.1f} | "
                    f"{sum(load.rows_written for load in loads):,} | "
                    f"{megabytes(found['bytes'])} | {megabytes(found['job_bytes'])} | "
                    f"{found['job_files']} | {megabytes(found['contacts_bytes'])} | "
                    f"{found['loaded_packages']} | "
                    f"{found['pending_packages']} | {'yes' if found['working_copy'] else 'no'} |",
                    flush=True,
                )
        print()
        print(f"After night {args.nights}: {found['files']} files, {found['bytes']:,} bytes")
        print()
        print("| part | files | bytes |")
        print("|---|---:|---:|")
        for part, (n_files, n_bytes) in sorted(found["by_part"].items()):
            print(f"| {part} | {n_files} | {n_bytes:,} |")
        print()
        left = ", ".join(f"{schema} {rows:,}" for schema, rows in staging_rows(database).items())
        print(f"Rows left in the staging datasets: {left}")


if __name__ == "__main__":
    main()
