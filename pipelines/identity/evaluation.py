"""How well people match a labelled truth: pairwise precision and recall."""

# Why pairwise: docs/identity.md, "How well it links".

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.identity.clusters import cluster_people
from pipelines.identity.model import LinkingConfig, score_pairs


@dataclass(frozen=True)
class PairwiseScore:
    """Pairs of contacts in one person: found by the model, true, and both."""

    predicted_pairs: int
    true_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _pairs_within(groups: Iterable[int]) -> int:
    return sum(size * (size - 1) // 2 for size in groups)


def pairwise_score(people: Mapping[str, str], truth: Mapping[str, str]) -> PairwiseScore:
    """Scores a clustering against the truth, over the contacts that both know.

    Args:
        people: contact_key -> person_key, as the model clustered them.
        truth: contact_key -> the true person's id.
    """
    contacts = people.keys() & truth.keys()
    predicted = Counter(people[key] for key in contacts)
    true = Counter(truth[key] for key in contacts)
    both = Counter((people[key], truth[key]) for key in contacts)
    return PairwiseScore(
        predicted_pairs=_pairs_within(predicted.values()),
        true_pairs=_pairs_within(true.values()),
        correct_pairs=_pairs_within(both.values()),
    )


def scores_by_threshold(
    evidence: pa.Table,
    truth: Mapping[str, str],
    thresholds: Iterable[float],
    config: LinkingConfig,
    max_person_contacts: int,
) -> dict[float, PairwiseScore]:
    """Scores the people that each link threshold would give, from one model.

    Args:
        evidence: int_contacts_linkage_evidence, all of its columns.
        truth: contact_key -> the true person's id.
        thresholds: Match probabilities to try; pairs are scored once, at the lowest.
        config: The model's settings; its own threshold is ignored.
        max_person_contacts: The size guard, as the nightly run applies it.
    """
    thresholds = sorted(thresholds)
    model_input = evidence.drop_columns(["source_system", "created_at"])
    pairs = score_pairs(model_input, replace(config, review_match_probability=thresholds[0]))
    contacts = evidence.select(["contact_key", "created_at"])
    probability = pairs.column("match_probability")
    scores = {}
    for threshold in thresholds:
        links = pairs.filter(pc.greater_equal(probability, threshold))
        people = cluster_people(contacts, links, {}, max_person_contacts)
        scores[threshold] = pairwise_score(
            dict(
                zip(
                    people["contact_key"].to_pylist(), people["person_key"].to_pylist(), strict=True
                )
            ),
            truth,
        )
    return scores
