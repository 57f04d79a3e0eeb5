"""The scoreboard: validation and review scored against the simulated mistakes.

Every generation of the simulated backend that carries a mistake (its ground truth, see
`semi_core.generate.simulated`) falls in one outcome:

* ``equivalent`` — the mistake changes nothing observable: the original and the mistaken
  code never differ on a large sample of inputs, so no test could catch it (unless one
  does: then it is caught);
* ``caught_by_validation`` — its current verdict is ``mismatch`` or ``generated_error``:
  a test showed the rewrite behaving differently;
* ``slipped`` — validated despite a mistake that is not equivalent: the tests were too
  weak. Of these, ``caught_by_review`` were rejected by reviewers and
  ``missed_by_review`` accepted (the pair's overall decision);
* ``excluded_otherwise`` — another verdict (too few tests, original unusable, refused):
  the pair is kept out, but not because its mistake was seen;
* ``pending`` — not validated yet.

`catch_rate` is caught / (caught + slipped): the share of the observable mistakes that
validation caught. Every count is also given by mistake kind.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from semi_core.store import Store

CAUGHT_STATUSES = ("mismatch", "generated_error")
OUTCOMES = (
    "injected",
    "equivalent",
    "caught_by_validation",
    "slipped",
    "caught_by_review",
    "missed_by_review",
    "excluded_otherwise",
    "pending",
)


def outcome_of(status: str | None, equivalent: bool | None) -> str:
    """The outcome of one mistake (see the module docstring), review aside. A test that
    shows a difference outweighs the sample that showed none: the sample can miss the one
    input that tells the codes apart (an annotator's test may find it)."""
    if status in CAUGHT_STATUSES:
        return "caught_by_validation"
    if equivalent:
        return "equivalent"
    if status is None:
        return "pending"
    if status == "validated":
        return "slipped"
    return "excluded_otherwise"


def _catch_rate(counts: Counter[str]) -> float | None:
    seen = counts["caught_by_validation"] + counts["slipped"]
    return round(counts["caught_by_validation"] / seen, 4) if seen else None


@dataclass
class Scoreboard:
    """Counts of each outcome, overall and by mistake kind, and the slipped pairs."""

    counts: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, Counter[str]] = field(default_factory=dict)
    slipped_ids: list[str] = field(default_factory=list)

    @property
    def catch_rate(self) -> float | None:
        return _catch_rate(self.counts)

    def to_dict(self) -> dict[str, Any]:
        return {
            **{outcome: self.counts[outcome] for outcome in OUTCOMES},
            "catch_rate": self.catch_rate,
            "by_kind": {
                kind: {**{o: counts[o] for o in OUTCOMES}, "catch_rate": _catch_rate(counts)}
                for kind, counts in sorted(self.by_kind.items())
            },
            "slipped_ids": self.slipped_ids,
        }


def scoreboard(store: Store) -> Scoreboard:
    """Score validation and review against every recorded mistake."""
    board = Scoreboard()
    for row in store.simulated_outcomes():
        mistake = row["mistake"]
        outcome = outcome_of(row["status"], mistake.get("equivalent"))
        reached = ["injected", outcome]
        if outcome == "slipped":
            board.slipped_ids.append(row["id"])
            if row["decision"] == "reject":
                reached.append("caught_by_review")
            elif row["decision"] == "accept":
                reached.append("missed_by_review")
        kind = board.by_kind.setdefault(mistake["kind"], Counter())
        for name in reached:
            board.counts[name] += 1
            kind[name] += 1
    return board
