"""Agreement between annotators: percent agreement and Cohen's kappa per annotator pair,
and the disagreements left to settle with a final decision.

Votes are each annotator's current accept/reject on a pair (`Store.annotator_decisions`,
final decisions left out); a final decision is a review event with payload
``{"final": true}`` and wins over every vote (`Store.decision_counts`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from semi_core.review import decide
from semi_core.store import Store


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items: (p_o - p_e) / (1 - p_e).

    p_o is the observed agreement, p_e the agreement expected by chance from each rater's
    label frequencies. None when there are no items; 1.0 when both raters used one and the
    same label throughout (p_e = 1, agreement is total), 0.0 for other p_e = 1 cases."""
    if len(first) != len(second):
        raise ValueError("both raters must label the same items")
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    counts_a, counts_b = Counter(first), Counter(second)
    expected = sum(counts_a[label] * counts_b[label] for label in counts_a) / (n * n)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


@dataclass(frozen=True)
class PairAgreement:
    """Agreement of two annotators on the pairs both decided."""

    first: str
    second: str
    shared: int
    agreed: int
    kappa: float | None

    @property
    def percent(self) -> float | None:
        return None if self.shared == 0 else 100.0 * self.agreed / self.shared

    def to_dict(self) -> dict[str, Any]:
        return {
            "annotator_a": self.first,
            "annotator_b": self.second,
            "shared_pairs": self.shared,
            "agreed": self.agreed,
            "percent_agreement": None if self.percent is None else round(self.percent, 2),
            "kappa": None if self.kappa is None else round(self.kappa, 4),
        }


def votes_by_pair(store: Store) -> dict[str, dict[str, str]]:
    """Pair id -> {annotator: decision}."""
    votes: dict[str, dict[str, str]] = defaultdict(dict)
    for row in store.annotator_decisions():
        votes[row["generation_id"]][row["annotator"]] = row["decision"]
    return dict(votes)


def agreement_table(votes: dict[str, dict[str, str]]) -> list[PairAgreement]:
    """Percent agreement and kappa for every two annotators with pairs in common."""
    annotators = sorted({name for by in votes.values() for name in by})
    table = []
    for a, b in combinations(annotators, 2):
        shared = [(by[a], by[b]) for by in votes.values() if a in by and b in by]
        if not shared:
            continue
        labels_a = [x for x, _ in shared]
        labels_b = [y for _, y in shared]
        agreed = sum(x == y for x, y in shared)
        table.append(PairAgreement(a, b, len(shared), agreed, cohen_kappa(labels_a, labels_b)))
    return table


def disagreements(store: Store) -> list[dict[str, Any]]:
    """Pairs reviewed by several annotators who decided differently, with the final
    decision when one was recorded (settled) — unsettled ones first."""
    finals = store.final_decisions()
    rows = []
    for pair_id, by in sorted(votes_by_pair(store).items()):
        if len(by) > 1 and len(set(by.values())) > 1:
            rows.append({"pair": pair_id, "votes": dict(sorted(by.items())),
                         "final": finals.get(pair_id)})  # fmt: skip
    rows.sort(key=lambda row: row["final"] is not None)
    return rows


def settle(
    store: Store, generation_id: str, annotator: str, decision: str, note: str | None = None
) -> int:
    """Record a final decision on a pair (it wins over every annotator's vote)."""
    return decide(store, generation_id, annotator, decision, note, final=True)
