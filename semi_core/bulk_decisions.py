"""Bulk decisions: accept or reject, as one action, every pair a review filter matches.

The filters are the review queue's (`QueueFilters`), so a bulk takes exactly the pairs
Review lists for them. Pairs a person has already accepted or rejected are left alone
unless asked. A bulk is one bulk action and one ordinary review event per pair carrying
its id: the events count as any decision does (queue, counts, export, agreement), and
undo takes them all back as one (`undo_bulk`, and `semi_core.review.undo_last` when the
bulk is the annotator's latest decision). These functions are what the studio's Bulk
decision panel and `semi bulk` call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from semi_core.generate.base import ORIGINS
from semi_core.review import ReviewError, checked_reasons
from semi_core.review import _require_annotator as require_annotator
from semi_core.store import BulkMismatchError, QueueFilters, Store
from semi_core.validate import GENERATED_RUN_STATUSES, VERDICT_STATUSES

BULK_ACTIONS = ("accept", "reject")
# What a failure-kind filter can name: a test run's status, or the verdict's own.
FAILURE_KINDS = tuple(s for s in GENERATED_RUN_STATUSES if s != "ok") + VERDICT_STATUSES
SAMPLE_SIZE = 20  # pairs a preview lists


class BulkError(ReviewError):
    """A bulk decision that cannot be done, with a message for people."""


@dataclass(frozen=True)
class BulkResult:
    """A bulk decision's outcome: the pairs it took (`count`), its id (None on a dry run,
    or when no pair matched), and for a preview the first pairs it takes."""

    action: str
    count: int
    bulk_id: int | None
    dry_run: bool
    sample: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def sentence(self) -> str:
        pairs = f"{self.count} pair{'s' if self.count != 1 else ''}"
        if self.dry_run:
            return f"{self.action} would take {pairs} (dry run: nothing recorded)"
        if self.bulk_id is None:
            return "no pair matches these filters: nothing recorded"
        return f"bulk {self.action} {self.bulk_id}: {pairs} {self.action}ed"


def check_filters(filters: QueueFilters) -> QueueFilters:
    """The filters, checked: each value one the queue knows, ranges in order. Raises
    `BulkError` naming the first bad value. Filters that are off (empty, or False) are
    dropped: the bulk action records the filters in force."""
    checked: dict[str, Any] = {
        k: v for k, v in filters.items() if v is not False and v not in (None, "", (), [])
    }
    for status in checked.get("statuses") or ():
        if status not in VERDICT_STATUSES:
            raise BulkError(f"unknown status {status!r}; choose from {', '.join(VERDICT_STATUSES)}")
    if "difficulty" in checked:
        low, high = checked["difficulty"]
        if not 0.0 <= low <= 1.0 or not 0.0 <= high <= 1.0:
            raise BulkError("a difficulty is a number from 0 to 1")
        if low > high:
            raise BulkError(f"the least difficulty {low} is above the greatest {high}")
    strength = checked.get("min_strength")
    if strength is not None and not 0.0 <= strength <= 1.0:
        raise BulkError("a test strength is a number from 0 to 1")
    if checked.get("origin") and checked["origin"] not in ORIGINS:
        raise BulkError(f"unknown test origin {checked['origin']!r}; choose from "
                        f"{', '.join(ORIGINS)}")  # fmt: skip
    if checked.get("failure") and checked["failure"] not in FAILURE_KINDS:
        raise BulkError(f"unknown failure kind {checked['failure']!r}; choose from "
                        f"{', '.join(FAILURE_KINDS)}")  # fmt: skip
    checked.pop("include_decided", None)  # the bulk's own `include_decided` decides
    return checked  # type: ignore[return-value]


def describe_filters(filters: QueueFilters) -> str:
    """The filters a bulk applies, as people read them ("no filter" when none)."""
    parts = []
    if filters.get("statuses"):
        parts.append(f"status {', '.join(filters['statuses'])}")
    if filters.get("difficulty"):
        low, high = filters["difficulty"]
        parts.append(f"difficulty {low:.2f} to {high:.2f}")
    if filters.get("min_strength") is not None:
        parts.append(f"test strength at least {filters['min_strength']:.2f}")
    for key, label in (("source", "source"), ("origin", "test origin"),
                       ("failure", "failure kind"), ("search", "text")):  # fmt: skip
        if filters.get(key):
            parts.append(f"{label} “{filters[key]}”")
    if filters.get("constant_outputs"):
        parts.append("tests that all expect one result")
    return " · ".join(parts) or "no filter"


def bulk_decide(
    store: Store,
    annotator: str,
    action: str,
    filters: QueueFilters | None = None,
    *,
    dry_run: bool = False,
    include_decided: bool = False,
    expected: int | None = None,
    sample: int = SAMPLE_SIZE,
    reasons: Sequence[str] = (),
) -> BulkResult:
    """Accept or reject every pair the review filters match for `annotator`, as one bulk
    action. Pairs a person has accepted or rejected are left out unless
    `include_decided`; an accept leaves out pairs not validated yet. A `dry_run` records
    nothing and returns the count and the first `sample` pairs: the preview. `expected`
    (the previewed count) refuses, recording nothing, when the filter now matches
    another number of pairs. A reject may give `reasons` from the configured list, as
    one reject does (`semi_core.review.decide`)."""
    if action not in BULK_ACTIONS:
        raise BulkError(f"unknown bulk decision {action!r}; choose from accept, reject")
    reasons = checked_reasons(store, action, reasons)
    annotator = require_annotator(annotator)
    checked = check_filters(filters or {})
    if dry_run:
        count, rows = store.bulk_count(annotator, action, include_decided=include_decided,
                                       sample=sample, **checked)  # fmt: skip
        return BulkResult(action, count, None, True, rows)
    try:
        bulk_id, count = store.add_bulk_decision(
            annotator, action, include_decided=include_decided, expected=expected,
            reasons=reasons, **checked,
        )  # fmt: skip
    except BulkMismatchError as error:
        raise BulkError(str(error)) from None
    return BulkResult(action, count, bulk_id, False)


def undo_bulk(store: Store, bulk_id: int, annotator: str) -> dict[str, Any]:
    """Undo a bulk action as one: every one of its decisions that still counts. Only its
    annotator undoes it, once. Returns the bulk action with `undone` (events undone)."""
    annotator = require_annotator(annotator)
    bulk = store.bulk_action(bulk_id)
    if bulk is None:
        raise BulkError(f"no bulk action with id {bulk_id}")
    if bulk["annotator"] != annotator:
        raise BulkError(f"bulk action {bulk_id} is {bulk['annotator']}'s: only they undo it")
    if bulk["undone_at"] is not None:
        raise BulkError(f"bulk action {bulk_id} was undone already")
    undone = store.undo_bulk_action(bulk_id, annotator)
    return {**store.bulk_action(bulk_id), "undone": undone}


def bulk_history(store: Store, annotator: str | None = None) -> list[dict[str, Any]]:
    """Bulk actions, newest first (of one annotator when named): id, action, pairs,
    filters, when, and when undone."""
    return store.bulk_actions(annotator)
