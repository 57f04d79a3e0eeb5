"""Audit sampling: how good is "validated"?

An audit draws a stratified random sample of the validated pairs (strata: difficulty
bucket, source or backend) into an audit queue. Reviewers decide its pairs on Review
without seeing the verdict or the scores; the share they accept, per stratum and overall,
with a 95% Wilson score interval, is the precision of the automatic filter. Audit
decisions are ordinary decisions too (they carry the audit's id in their payload).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from semi_core.store import Store, content_id
from semi_core.store.audit import STRATA

STRATIFY_BY = tuple(STRATA)
Z_95 = 1.959963984540054  # the standard normal's 97.5% quantile


class AuditError(ValueError):
    """An audit that cannot be drawn or read, with a message for people."""


def wilson_interval(accepted: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion `accepted`/`n` (95% by default); None
    when nothing was decided."""
    if n <= 0:
        return None
    p, z2 = accepted / n, z * z
    centre, half = p + z2 / (2 * n), z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, (centre - half) / (1 + z2 / n)), min(1.0, (centre + half) / (1 + z2 / n)))


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Proportional allocation of a sample of `n` over strata of `sizes`: each stratum's
    share of `n` rounded by largest remainder, at least one per stratum when `n` allows,
    never more than a stratum holds. Ties go to the stratum named first."""
    total = sum(sizes.values())
    n = min(n, total)
    quota = {name: n * size / total for name, size in sizes.items()}
    taken = {name: math.floor(q) for name, q in quota.items()}
    if n >= len(sizes):
        taken = {name: max(count, 1) for name, count in taken.items()}
    order = sorted(sizes)
    while sum(taken.values()) < n:
        room = [s for s in order if taken[s] < sizes[s]]
        grow = max(room, key=lambda s: (quota[s] - taken[s], -order.index(s)))
        taken[grow] += 1
    floor = 1 if n >= len(sizes) else 0
    while sum(taken.values()) > n:
        spare = [s for s in order if taken[s] > floor]
        shrink = min(spare, key=lambda s: (quota[s] - taken[s], order.index(s)))
        taken[shrink] -= 1
    return taken


@dataclass(frozen=True)
class Audit:
    id: str
    by: str
    seed: int
    population: int
    strata: dict[str, int]  # pairs drawn per stratum
    new: bool  # False: the same draw was made before (nothing added)

    @property
    def sampled(self) -> int:
        return sum(self.strata.values())

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "by": self.by, "seed": self.seed, "population": self.population,
                "sampled": self.sampled, "strata": self.strata, "new": self.new}  # fmt: skip


def draw_audit(store: Store, n: int, by: str = "bucket", seed: int = 0) -> Audit:
    """Draw a stratified random sample of `n` validated pairs into a new audit: the same
    store, `n`, `by` and `seed` always draw the same pairs. Raises AuditError for a size
    below 1, an unknown stratification, or a store without validated pairs."""
    if by not in STRATA:
        raise AuditError(f"unknown stratification {by!r}; choose from {', '.join(STRATA)}")
    if n < 1:
        raise AuditError(f"an audit needs a sample of at least 1 pair, not {n}")
    population = store.audit_population(by)
    if not population:
        raise AuditError("there are no validated pairs to audit: validate some pairs first")
    groups: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for pair_id, stratum, verdict_id in population:
        groups[stratum].append((pair_id, stratum, verdict_id))
    counts = allocate({name: len(rows) for name, rows in groups.items()}, n)
    items = []
    for stratum in sorted(groups):
        # One generator per stratum, seeded by the seed and the stratum's name: a stratum's
        # draw does not depend on the others'.
        rng = random.Random(f"{seed}:{stratum}")
        items += sorted(rng.sample(groups[stratum], counts[stratum]))
    audit_id = "audit-" + content_id(by, str(seed), *(pair for pair, _, _ in items))[:10]
    new = store.add_audit(audit_id, by, seed, n, len(population), items)
    return Audit(audit_id, by, seed, len(population), {s: c for s, c in counts.items() if c},
                 new)  # fmt: skip


def latest_audit_id(store: Store) -> str | None:
    audits = store.audits()
    return audits[0]["id"] if audits else None


def _share(accepted: int, decided: int) -> dict[str, Any]:
    interval = wilson_interval(accepted, decided)
    return {
        "accepted": accepted,
        "decided": decided,
        "share": None if decided == 0 else round(accepted / decided, 4),
        "interval": None if interval is None else [round(x, 4) for x in interval],
    }


def share_text(share: float | None) -> str:
    """A share accepted as people read it: "80.0%", or "–" before any decision."""
    return "–" if share is None else f"{share:.1%}"


def interval_text(bounds: Sequence[float] | None) -> str:
    """A 95% interval as people read it: "49.0% – 94.3%", or "–" before any decision."""
    return "–" if bounds is None else f"{bounds[0]:.1%} – {bounds[1]:.1%}"


def audit_report(store: Store, audit_id: str | None = None) -> dict[str, Any] | None:
    """An audit's figures (the latest audit by default; None when there is none): per
    stratum and overall, pairs sampled, decided (accepted or rejected unanimously in the
    audit), accepted, split, the share accepted and its 95% Wilson interval. Overall pools
    the strata: proportional allocation makes the sample weigh each stratum by its size."""
    audit_id = audit_id or latest_audit_id(store)
    if audit_id is None:
        return None
    found = [a for a in store.audits() if a["id"] == audit_id]
    if not found:
        raise AuditError(f"no audit with id {audit_id!r}")
    strata = []
    for row in store.audit_tally(audit_id):
        decided = row["accepted"] + row["rejected"]
        strata.append({"stratum": row["stratum"], "sampled": row["sampled"],
                       "split": row["split"], **_share(row["accepted"], decided)})  # fmt: skip
    overall = {
        "sampled": sum(r["sampled"] for r in strata),
        "split": sum(r["split"] for r in strata),
        **_share(sum(r["accepted"] for r in strata), sum(r["decided"] for r in strata)),
    }
    audit = found[0]
    return {"id": audit_id, "by": audit["stratified_by"], "seed": audit["seed"],
            "population": audit["population"], "created_at": str(audit["created_at"]),
            "strata": strata, "overall": overall}  # fmt: skip
