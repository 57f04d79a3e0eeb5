"""Assignment with overlap: each annotator's queue holds pairs nobody else holds, except a
share of pairs (setting `overlap`) sent to two annotators, blind to each other, for
agreement. The rule is `semi_core.store.assignment`'s; these are its setting, the same
overlap test in Python, and each annotator's progress."""

from __future__ import annotations

import hashlib
from typing import Any

from semi_core.store import Store
from semi_core.store.assignment import OVERLAP_SETTING


def overlap_place(pair_id: str) -> float:
    """A pair id's place in 0..1, as the store's SQL computes it: the pair goes to two
    annotators when this is below the overlap setting."""
    return int(hashlib.md5(pair_id.encode("utf-8")).hexdigest()[:8], 16) / 2**32


def set_overlap(store: Store, share: float) -> float:
    """Store the share of pairs that go to two annotators (0 to 1); returns it. Raises
    ValueError, with one sentence, for a share outside 0..1."""
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        raise ValueError(f"the overlap is a share of pairs from 0 to 1, not {share!r}")
    store.set_setting(OVERLAP_SETTING, float(share))
    return store.overlap()


def progress(store: Store) -> list[dict[str, Any]]:
    """Per annotator: pairs done (their vote counts), remaining (pairs they hold and have
    not voted on), decisions, active hours and the rate in decisions per active hour
    (None before two decisions)."""
    rows = []
    for row in store.annotator_progress():
        hours = row.pop("active_s") / 3600
        rate = round(row["decisions"] / hours, 1) if hours > 0 else None
        rows.append({**row, "active_hours": round(hours, 3), "rate_per_hour": rate})
    return rows
