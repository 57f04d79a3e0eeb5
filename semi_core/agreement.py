"""Agreement between annotators: percent agreement and Cohen's kappa per annotator pair,
the rule that turns votes into a pair's decision, and the disputes left to settle with a
final decision.

Votes are each annotator's current accept/reject on a pair (`Store.annotator_decisions`,
final decisions left out): kappa is measured on these independent votes only. A final
decision is a review event with payload ``{"final": true}`` and wins over every vote.

The decision rule (stated once, in the store's SQL: `Store.decision_counts`,
`Store.overall_decisions`, `Store.export_rows`): a pair is accepted (or rejected) when it
is settled so, or when every annotator who voted on it agrees. With the ``majority``
rule (settings ``decision_rule`` and ``majority_min_votes``) a split vote is decided by
strictly more than half of at least that many votes. Any other pair with votes is
*disputed*: never exported as accepted, listed here to settle."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from semi_core.review import decide, history
from semi_core.store import (
    DECISION_RULES,
    DEFAULT_DECISION_RULE,
    DEFAULT_MAJORITY_MIN_VOTES,
    Store,
)

DISPUTED = "disputed"


@dataclass(frozen=True)
class DecisionRule:
    """How votes decide a pair (see the module docstring)."""

    rule: str = DEFAULT_DECISION_RULE
    majority_min_votes: int = DEFAULT_MAJORITY_MIN_VOTES

    def describe(self) -> str:
        """The rule in a phrase, for reports."""
        majority = f", or by a majority of at least {self.majority_min_votes} votes"
        return "decided when settled, or when all voters agree" + (
            majority if self.rule == "majority" else ""
        )

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "majority_min_votes": self.majority_min_votes}


def decision_rule(store: Store) -> DecisionRule:
    """The rule in force, as the store's SQL reads its settings (a setting not understood
    counts as its default)."""
    return DecisionRule(*store.decision_rule())


def set_decision_rule(
    store: Store, rule: str, majority_min_votes: int | None = None
) -> DecisionRule:
    """Store the decision rule (and the votes a majority needs, when given); returns the
    rule now in force. Raises ValueError, with one sentence, for a rule or number that
    makes no sense."""
    if rule not in DECISION_RULES:
        raise ValueError(f"unknown decision rule {rule!r}; choose from {', '.join(DECISION_RULES)}")
    if majority_min_votes is not None and (
        isinstance(majority_min_votes, bool)
        or not isinstance(majority_min_votes, int)
        or majority_min_votes < 1
    ):
        raise ValueError(
            f"a majority needs at least 1 vote; {majority_min_votes!r} is not a number of votes"
        )
    store.set_setting("decision_rule", rule)
    if majority_min_votes is not None:
        store.set_setting("majority_min_votes", majority_min_votes)
    return decision_rule(store)


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items: (p_o - p_e) / (1 - p_e).

    p_o is the observed agreement, p_e the agreement expected by chance from each rater's
    label frequencies. None when there are no items; 1.0 when both raters used one and the
    same label throughout (p_e = 1, agreement is total), 0.0 for other p_e = 1 cases."""
    agreement = _observed_and_expected(first, second)
    if agreement is None:
        return None
    observed, expected = agreement
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def _observed_and_expected(
    first: Sequence[str], second: Sequence[str]
) -> tuple[float, float] | None:
    """(p_o, p_e) of two raters' labels on the same items; None when there are none."""
    if len(first) != len(second):
        raise ValueError("both raters must label the same items")
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    counts_a, counts_b = Counter(first), Counter(second)
    expected = sum(counts_a[label] * counts_b[label] for label in counts_a) / (n * n)
    return observed, expected


def kappa_interval(
    first: Sequence[str], second: Sequence[str], z: float = 1.959963984540054
) -> tuple[float, float] | None:
    """A 95% confidence interval for Cohen's kappa: kappa ± z·SE with Cohen's (1960)
    large-sample standard error SE = sqrt(p_o (1 - p_o) / n) / (1 - p_e), clipped to
    -1..1. None without items or when p_e = 1 (kappa is then fixed, no spread)."""
    agreement = _observed_and_expected(first, second)
    if agreement is None or agreement[1] == 1.0:
        return None
    observed, expected = agreement
    kappa = (observed - expected) / (1.0 - expected)
    half = z * math.sqrt(observed * (1 - observed) / len(first)) / (1 - expected)
    return max(-1.0, kappa - half), min(1.0, kappa + half)


@dataclass(frozen=True)
class PairAgreement:
    """Agreement of two annotators on the pairs both decided."""

    first: str
    second: str
    shared: int
    agreed: int
    kappa: float | None
    interval: tuple[float, float] | None = None  # 95% for kappa (`kappa_interval`)

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
            "kappa_low": None if self.interval is None else round(self.interval[0], 4),
            "kappa_high": None if self.interval is None else round(self.interval[1], 4),
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
        table.append(PairAgreement(a, b, len(shared), agreed, cohen_kappa(labels_a, labels_b),
                                   kappa_interval(labels_a, labels_b)))  # fmt: skip
    return table


def disagreements(store: Store) -> list[dict[str, Any]]:
    """Pairs whose voters decided differently, each with its overall decision (`decision`:
    accept, reject or disputed) and its final decision when one was recorded (`final`) —
    the disputed ones, left to settle, first."""
    finals = store.final_decisions()
    overall = store.overall_decisions()
    rows = []
    for pair_id, by in sorted(votes_by_pair(store).items()):
        if len(set(by.values())) > 1:
            rows.append({"pair": pair_id, "votes": dict(sorted(by.items())),
                         "decision": overall[pair_id], "final": finals.get(pair_id)})  # fmt: skip
    rows.sort(key=lambda row: row["decision"] != DISPUTED)
    return rows


def voted_on_by(rows: list[dict[str, Any]], voter: str | None) -> list[dict[str, Any]]:
    """The `disagreements` rows that `voter` voted on. Votes are independent: one who does
    not settle sees the others' votes on a pair only once they voted on it themselves."""
    return [row for row in rows if voter is not None and voter in row["votes"]]


def voters(store: Store, generation_id: str) -> list[dict[str, Any]]:
    """What the one who settles a pair sees of its review: each voter's vote with their
    notes (on the vote, and notes added apart), then any final decision with its note."""
    events = [event for event in history(store, generation_id) if not event["undone_by"]]
    finals = [event for event in events if (event["payload"] or {}).get("final")]
    notes: dict[str, list[str]] = defaultdict(list)
    for event in events:
        if event["note"] and event not in finals:
            notes[event["annotator"]].append(event["note"])
    rows = [{"annotator": row["annotator"], "vote": row["decision"],
             "notes": " · ".join(notes[row["annotator"]])}
            for row in store.annotator_decisions(generation_id)]  # fmt: skip
    if finals:
        last = finals[-1]
        rows.append({"annotator": last["annotator"], "vote": f"final {last['action']}",
                     "notes": last["note"] or ""})  # fmt: skip
    return rows


def settle(
    store: Store,
    generation_id: str,
    annotator: str,
    decision: str,
    note: str | None = None,
    *,
    verdict_id: str | None = None,
) -> int:
    """Record a final decision on a pair (it wins over every annotator's vote and ends a
    dispute). `verdict_id` is the verdict the one who settles was shown: a pair validated
    again since is refused, as any decision is (`decide`)."""
    return decide(store, generation_id, annotator, decision, note, final=True,
                  verdict_id=verdict_id)  # fmt: skip
