"""`make bench`, identity part: what linking costs at two sizes, and how well it links.

Populations come from the labelled simulators (`demo/simulators/labelled.py`),
served over loopback HTTP in this process, loaded with `load_sources` and built with
`transform`, as a night would. Every figure is from one run of this script:

- at two sizes of generated population seed 2 (10,000 and 40,000 people by default, about
  1.33 contacts each): the transform's wall time, dbt's own time for each identity model
  (from its run_results.json), the pairs scored and the links;
- precision, recall and F1 of the people by link threshold, counting every pair of contacts
  inside one person, on populations that tuning never used: generated seed 2 at the larger
  size, and FEBRL's held-out records 2000-3999 (seed 5). The model was tuned on generated
  seed 1 and FEBRL records 0-1999 only.

    .venv/bin/python bench/linking.py [--sizes 10000,40000] [--output bench/identity_results.md]
"""

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb

from demo.simulators import labelled_simulators, labelled_truth
from pipelines.identity.evaluation import PairwiseScore, scores_by_threshold
from pipelines.identity.model import LinkingConfig
from pipelines.paths import dbt_target_dir_for
from pipelines.runs.load import load_sources
from pipelines.runs.transform import transform
from pipelines.settings import prepare_environment

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "identity_results.md"
HELD_OUT_SEED = 2
FEBRL_HELD_OUT_SEED = 5
THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
# The nodes that linking adds to a night; the rest of the transform was there before.
IDENTITY_NODES = (
    "int_contact_phones",
    "int_contacts_linkage_evidence",
    "int_contact_pairs",
    "int_person_clusters",
    "person_links",
)
SOURCE_KEYS = {"levcapital": "bench-levcapital-key", "sprintmode": "bench-sprintmode-key"}


@dataclass
class Built:
    """One population, loaded and transformed."""

    name: str
    contacts: int
    true_pairs: int
    transform_seconds: float
    node_seconds: dict[str, float]
    pairs_scored: int
    links: int
    scores: dict[float, PairwiseScore] = field(default_factory=dict)


def node_seconds(duckdb_path: Path) -> dict[str, float]:
    run_results = json.loads((dbt_target_dir_for(duckdb_path) / "run_results.json").read_text())
    seconds = {}
    for result in run_results["results"]:
        name = result["unique_id"].rsplit(".", 1)[-1]
        if result["unique_id"].startswith("model.") and name in IDENTITY_NODES:
            seconds[name] = result["execution_time"]
    return seconds


def build(name: str, workdir: Path, with_scores: bool, **population: Any) -> Built:
    duckdb_path = workdir / name / "contacts.duckdb"
    duckdb_path.parent.mkdir(parents=True)
    levcapital, sprintmode = labelled_simulators(
        **population,
        levcapital_options={"api_key": SOURCE_KEYS["levcapital"]},
        sprintmode_options={"api_key": SOURCE_KEYS["sprintmode"]},
    )
    with levcapital, sprintmode:
        source_args = {
            simulator.name: {"base_url": simulator.base_url, "api_key": SOURCE_KEYS[simulator.name]}
            for simulator in (levcapital, sprintmode)
        }
        load_sources(duckdb_path, source_args=source_args)
        truth = labelled_truth(levcapital, sprintmode)
    started = time.perf_counter()
    result = transform(duckdb_path)
    seconds = time.perf_counter() - started
    if not result.ok:
        sys.exit(f"{name}: {result.summary_line()}")
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        [(contacts, pairs, links)] = connection.execute(
            "select (select count(*) from analytics.contacts),"
            " (select count(*) from staging.int_contact_pairs),"
            " (select count(*) from analytics.person_links where is_link)"
        ).fetchall()
        evidence = connection.sql(
            "select * from staging.int_contacts_linkage_evidence"
        ).to_arrow_table()
    by_person: dict[str, int] = {}
    for person in truth.values():
        by_person[person] = by_person.get(person, 0) + 1
    built = Built(
        name=name,
        contacts=contacts,
        true_pairs=sum(n * (n - 1) // 2 for n in by_person.values()),
        transform_seconds=seconds,
        node_seconds=node_seconds(duckdb_path),
        pairs_scored=pairs,
        links=links,
    )
    if with_scores:
        built.scores = scores_by_threshold(
            evidence, truth, THRESHOLDS, LinkingConfig(), max_person_contacts=10
        )
    print(f"{name}: {contacts:,} contacts, transform {seconds:.1f} s", flush=True)
    return built


def f1(score: PairwiseScore) -> float:
    if score.precision + score.recall == 0:
        return 0.0
    return 2 * score.precision * score.recall / (score.precision + score.recall)


def render(args: argparse.Namespace, sizes: list[Built], scored: list[Built]) -> str:
    small, large = sizes
    lines = [
        "# Identity linking: cost and quality",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/linking.py` on "
        f"{platform.machine()}, Python {platform.python_version()}, Splink {version('splink')},"
        f" DuckDB {version('duckdb')}, dbt-core {version('dbt-core')}. "
        "Every figure below comes from this one run.",
        "",
        "## Cost at two sizes",
        "",
        "Generated population seed 2 (`labelled_simulators`), loaded over loopback HTTP and "
        "built by `transform` as a night would build it; dbt's own time per identity model "
        "from its `run_results.json`. *Linking* is the identity models together.",
        "",
        "| people | contacts | transform (s) | linking (s) | "
        + " | ".join(f"{node} (s)" for node in IDENTITY_NODES)
        + " | pairs kept (≥ 0.5) | links |",
        "|---:|---:|---:|---:|" + "---:|" * len(IDENTITY_NODES) + "---:|---:|",
    ]
    for built, people in zip(sizes, args.sizes, strict=True):
        nodes = [built.node_seconds.get(node, 0.0) for node in IDENTITY_NODES]
        lines.append(
            f"| {people:,} | {built.contacts:,} | {built.transform_seconds:.1f} | "
            f"{sum(nodes):.1f} | "
            + " | ".join(f"{seconds:.1f}" for seconds in nodes)
            + f" | {built.pairs_scored:,} | {built.links:,} |"
        )
    small_linking = sum(small.node_seconds.values())
    large_linking = sum(large.node_seconds.values())
    marginal = (large_linking - small_linking) / (large.contacts - small.contacts)
    fixed = small_linking - marginal * small.contacts
    lines += [
        "",
        f"Linking's marginal cost: {marginal * 1e6:.0f} µs per contact; fixed: {fixed:.1f} s. "
        f"At this rate, 1,000,000 contacts would take {fixed + marginal * 1e6:.0f} s to link. "
        "Most of the fixed cost is estimating u-probabilities over the var "
        "`identity_u_sample_pairs` random pairs (1M), whatever the size; the marginal cost is "
        "blocking, scoring and clustering, which grow with the contacts because every "
        "blocking key is capped (`identity_max_block_size`).",
        "",
        "## Precision, recall and F1 by link threshold",
        "",
        "Pairwise, counting every pair of contacts inside one person, on populations that "
        "tuning never used. The nightly threshold is the dbt var "
        "`identity_link_match_probability` (0.95).",
        "",
    ]
    for built in scored:
        lines += [
            f"### {built.name}: {built.contacts:,} contacts, {built.true_pairs:,} true pairs",
            "",
            "| threshold | precision | recall | F1 | pairs linked | correct |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for threshold, score in built.scores.items():
            lines.append(
                f"| {threshold} | {score.precision:.4f} | {score.recall:.4f} | "
                f"{f1(score):.4f} | {score.predicted_pairs:,} | {score.correct_pairs:,} |"
            )
        lines.append("")
    return "\n".join(lines)


def sizes(text: str) -> list[int]:
    values = [int(part) for part in text.split(",")]
    if len(values) != 2 or values[0] >= values[1]:
        raise argparse.ArgumentTypeError("give two increasing sizes, e.g. 10000,40000")
    return values


def main() -> None:
    prepare_environment()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        type=sizes,
        default=[10_000, 40_000],
        help="the two sizes, people of the generated population (default 10000,40000)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="contacts-elt-linking-") as tmp:
        workdir = Path(tmp)
        small = build(
            f"generated seed {HELD_OUT_SEED}, {args.sizes[0]:,} people",
            workdir,
            with_scores=False,
            seed=HELD_OUT_SEED,
            n_people=args.sizes[0],
        )
        large = build(
            f"generated seed {HELD_OUT_SEED}, {args.sizes[1]:,} people",
            workdir,
            with_scores=True,
            seed=HELD_OUT_SEED,
            n_people=args.sizes[1],
        )
        febrl = build(
            f"FEBRL held-out records 2000-3999, seed {FEBRL_HELD_OUT_SEED}",
            workdir,
            with_scores=True,
            seed=FEBRL_HELD_OUT_SEED,
            febrl=True,
            febrl_part="held_out",
        )
    table = render(args, [small, large], [large, febrl])
    args.output.write_text(table)
    print()
    print(table)


if __name__ == "__main__":
    main()
