"""Measures one lever: `contacts-elt load` at two revisions, interleaved, against one lean server.

This machine's speed drifts by a third within an hour, so a lever's before and after must be
timed side by side, not an hour apart. Each round runs the fetch-only floor once, then a full
load into a new DuckDB file and a load with nothing changed, for each revision; the order of
the two revisions alternates from round to round. Each figure is the fastest of the rounds,
with every run listed. As in `make bench`, the floor must fetch every contact and each full
load must hold every contact served.

    .venv/bin/python bench/compare.py BEFORE [AFTER] [--contacts 40000] [--rounds 4]

BEFORE and AFTER are git revisions, checked out into temporary worktrees; AFTER defaults to
the working tree as it is, uncommitted changes included. Both run on this venv's packages.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmark import SEED, LeanServer, check_loaded, env_for, measure_child, measure_floor

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
WORKING_TREE = "working tree"


def worktree(revision: str, into: Path) -> Path:
    """A checkout of `revision` under `into`; the working tree itself for `WORKING_TREE`."""
    if revision == WORKING_TREE:
        return REPO
    path = into / revision.replace("/", "_")
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--quiet", "--detach", str(path), revision],
        check=True,
    )
    return path


def load(tree: Path, db: Path, env: dict[str, str]) -> tuple[float, float]:
    """One `contacts-elt load` of the code in `tree`: wall time (s) and peak RSS (MB)."""
    # The revision's own package comes first on the path, ahead of the venv's editable one;
    # `-P` keeps `-m` from putting the current directory, this checkout, before it.
    seconds, rss, _ = measure_child(
        [sys.executable, "-P", "-m", "pipelines", "load", "--duckdb", str(db)],
        env | {"PYTHONPATH": str(tree)},
    )
    return seconds, rss


def main() -> None:
    # No `prepare_environment` here: what it sets would reach both revisions' children, and
    # each revision must run with its own settings (`ARROW_DEFAULT_MEMORY_POOL`, for one).
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("before")
    parser.add_argument("after", nargs="?", default=WORKING_TREE)
    parser.add_argument("--contacts", type=int, default=40_000, help="per API")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()

    revisions = [args.before, args.after]
    times: dict[str, dict[str, list[float]]] = {
        revision: {"full": [], "no change": []} for revision in revisions
    }
    peaks: dict[str, list[float]] = {revision: [] for revision in revisions}
    floors: list[float] = []
    workdir = Path(tempfile.mkdtemp(prefix="contacts-elt-compare-"))
    trees = {revision: worktree(revision, workdir) for revision in revisions}
    try:
        with LeanServer(args.contacts, args.seed, "threads") as server:
            env = env_for(server)
            for round_number in range(args.rounds):
                floors.append(measure_floor("fetch-only floor", server, runs=1).seconds)
                order = revisions if round_number % 2 == 0 else revisions[::-1]
                for revision in order:
                    db = workdir / f"round{round_number}-{revisions.index(revision)}.duckdb"
                    seconds, rss = load(trees[revision], db, env)
                    # A revision that loads fewer contacts than served would time well.
                    check_loaded(db, server.contacts)
                    times[revision]["full"].append(seconds)
                    peaks[revision].append(rss)
                    times[revision]["no change"].append(load(trees[revision], db, env)[0])
                print(f"round {round_number + 1} of {args.rounds} done", flush=True)
            contacts = server.contacts
    finally:
        for tree in trees.values():
            if tree != REPO:
                subprocess.run(
                    ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                    check=False,
                )
        shutil.rmtree(workdir, ignore_errors=True)

    floor_seconds = min(floors)
    print(
        f"\n{contacts:,} contacts; floor {floor_seconds:.2f} s, fastest of {len(floors)} "
        f"({', '.join(f'{seconds:.2f}' for seconds in floors)})"
    )
    for revision in revisions:
        for kind, runs in times[revision].items():
            best = min(runs)
            print(
                f"{revision:>14}  {kind:<9} {best:6.2f} s  {best / floor_seconds:6.2f}x floor  "
                f"(runs {', '.join(f'{seconds:.2f}' for seconds in runs)})"
            )
        print(f"{revision:>14}  peak RSS of a full load {max(peaks[revision]):.0f} MB")


if __name__ == "__main__":
    main()
