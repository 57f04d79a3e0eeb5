"""Human review: decisions on pairs, written at once to the append-only review log.

The current decision on a pair is derived from the log (see `Store.decisions`): undo is
an event that names the event it undoes, so the audit trail, undo and agreement between
annotators all come from one table. These functions are what the studio's buttons and
the `semi review` commands call.
"""

from __future__ import annotations

import ast
from typing import Any

from semi_core.store import Store

DECISIONS = ("accept", "reject", "skip")


class ReviewError(ValueError):
    """A review action that cannot be done, with a message for people."""


def _require_pair(store: Store, generation_id: str) -> None:
    if store.generation(generation_id) is None:
        raise ReviewError(f"no pair with id {generation_id!r}")


def _require_annotator(annotator: str) -> str:
    name = (annotator or "").strip()
    if not name:
        raise ReviewError("an annotator name is needed to record a decision")
    return name


def decide(
    store: Store, generation_id: str, annotator: str, action: str, note: str | None = None
) -> int:
    """Record accept, reject or skip; returns the event id."""
    if action not in DECISIONS:
        raise ReviewError(f"unknown decision {action!r}; choose from {', '.join(DECISIONS)}")
    annotator = _require_annotator(annotator)
    _require_pair(store, generation_id)
    return store.add_review_event(generation_id, annotator, action, note=note or None)


def undo_last(store: Store, annotator: str) -> dict[str, Any] | None:
    """Undo the annotator's latest decision that still counts; returns it, or None."""
    annotator = _require_annotator(annotator)
    last = store.last_undoable_event(annotator)
    if last is None:
        return None
    store.add_review_event(last["generation_id"], annotator, "undo", payload={"undoes": last["id"]})
    return last


def add_note(store: Store, generation_id: str, annotator: str, note: str) -> int:
    annotator = _require_annotator(annotator)
    _require_pair(store, generation_id)
    if not note.strip():
        raise ReviewError("the note is empty")
    return store.add_review_event(generation_id, annotator, "note", note=note)


def edit_pair(store: Store, generation_id: str, annotator: str, instruction: str, code: str) -> int:
    """Change a pair's instruction and code; the old text is kept in the edit event.
    Revalidate afterwards (`run_pipeline(stages=("validate",), generation_ids=[id])`)."""
    annotator = _require_annotator(annotator)
    pair = store.generation(generation_id)
    if pair is None:
        raise ReviewError(f"no pair with id {generation_id!r}")
    try:
        ast.parse(code)  # parsing only: untrusted code never runs in this process
    except SyntaxError as error:
        message = f"the edited code does not parse: line {error.lineno}: {error.msg}"
        raise ReviewError(message) from None
    payload = {
        "before": {"instruction": pair["instruction"], "code": pair["code"]},
        "after": {"instruction": instruction, "code": code},
    }
    event = store.add_review_event(generation_id, annotator, "edit", payload=payload)
    store.update_generation(generation_id, instruction, code)
    return event


def history(store: Store, generation_id: str) -> list[dict[str, Any]]:
    """Every review event of a pair, oldest first, with `undone_by` where undone."""
    return store.review_events(generation_id)
