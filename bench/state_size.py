"""dlt's pipeline state without timestamps: it must not grow with the number of contacts.

Loads both simulators in the list shape with no timestamps at each size, runs again with
nothing changed, then renames a few contacts, and prints the size of each source's state (as
JSON, and as dlt stores it, compressed, in `raw_<source>._dlt_pipeline_state`) with the rows
each run wrote.

    .venv/bin/python bench/state_size.py --sizes 5000,50000
"""

import argparse
import json
import tempfile
from pathlib import Path

import duckdb

from demo.simulators import LevCapitalSimulator, SprintModeSimulator
from pipelines.runs.load import load_sources, pipeline_for
from pipelines.settings import SOURCE_NAMES, pipeline_name, prepare_environment, raw_dataset

SHAPE = "list_example_no_timestamps"
RENAMED = 7
KEY = "bench-key"


def measure(n_contacts: int, workdir: Path) -> None:
    duckdb_path = workdir / f"state-{n_contacts}.duckdb"
    shape = {"n_contacts": n_contacts, "seed": 11, "api_key": KEY, "list_shape": SHAPE}
    with LevCapitalSimulator(**shape) as lev, SprintModeSimulator(**shape) as sm:
        args = {
            "levcapital": {"base_url": lev.base_url, "api_key": KEY},
            "sprintmode": {"base_url": sm.base_url, "api_key": KEY},
        }
        first = load_sources(duckdb_path, source_args=args)
        unchanged = load_sources(duckdb_path, source_args=args)
        for contact in lev.store.list_all()[:RENAMED]:
            lev.store.update(contact["id"], {"last_name": "Renamed"})
        for contact in sm.store.list_all()[:RENAMED]:
            sm.store.update(contact["id"], {"full_name": "Renamed Person"})
        renamed = load_sources(duckdb_path, source_args=args)
    print(f"N = {n_contacts:,} per API, list shape {SHAPE}")
    for runs, what in ((first, "first run"), (unchanged, "no change"), (renamed, "renamed")):
        written = ", ".join(f"{load.source} {load.rows_written:,}" for load in runs)
        print(f"  {what:<10} rows written: {written}")
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        for source in SOURCE_NAMES:
            state = pipeline_for(source, duckdb_path).state
            (stored,) = connection.execute(
                f"select length(state) from {raw_dataset(source)}._dlt_pipeline_state "
                "where pipeline_name = ? order by _dlt_load_id desc limit 1",
                [pipeline_name(source)],
            ).fetchone()
            as_json = len(json.dumps(state, default=str))
            print(f"  {source:<10} state: {as_json:,} bytes as JSON, {stored:,} stored")


def main() -> None:
    prepare_environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(n) for n in text.split(",") if n],
        default=[5_000, 50_000],
        help="comma-separated contacts per API",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="contacts-elt-state-") as tmp:
        for n_contacts in args.sizes:
            measure(n_contacts, Path(tmp))


if __name__ == "__main__":
    main()
