"""Human review: decisions on pairs, written at once to the append-only review log.

The current decision on a pair is derived from the log (see `Store.decisions`): undo is
an event that names the event it undoes, so the audit trail, undo and agreement between
annotators all come from one table. These functions are what the studio's buttons and
the `semi review` commands call.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from semi_core.guidelines import GuidelinesError, check_reasons
from semi_core.store import Store
from semi_core.validate import NOT_RUN, split_output

DECISIONS = ("accept", "reject", "skip")
# Events that change a pair's code, voiding the decisions made before them: an
# annotator's edit, and a repair by the model (`Store.add_attempt`).
CHANGES = ("edit", "repair")


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


@dataclass(frozen=True)
class PairState:
    """What a reviewer was shown of a pair: its current verdict (None: not validated) and
    their own latest decision on it that counts (None: none). A decision made on a view
    that no longer holds is refused (`decide`)."""

    verdict_id: str | None
    my_event_id: int | None


def _my_latest_decision(events: list[dict[str, Any]], annotator: str) -> dict[str, Any] | None:
    mine = [e for e in events if e["annotator"] == annotator and e["action"] in DECISIONS
            and not e["undone_by"]]  # fmt: skip
    return max(mine, key=lambda e: e["id"]) if mine else None


def seen_state(
    verdict: dict[str, Any] | None, events: list[dict[str, Any]], annotator: str
) -> PairState:
    """The `PairState` of a pair from its current verdict and its events (`history`), as
    a page that has read both draws it."""
    mine = _my_latest_decision(events, annotator)
    return PairState(verdict["id"] if verdict else None, mine["id"] if mine else None)


def pair_state(store: Store, generation_id: str, annotator: str) -> PairState:
    """The pair as it stands now for this annotator (see `PairState`)."""
    return seen_state(store.latest_verdict(generation_id), history(store, generation_id),
                      annotator)  # fmt: skip


def checked_reasons(store: Store, action: str, reasons: Sequence[str]) -> list[str]:
    """A reject's reasons, each from the configured list, in its order; refused with an
    accept or a skip, since a reason kept on another decision would count as a reject's."""
    if reasons and action != "reject":
        raise ReviewError(f"reasons go with a reject only, not with {action}")
    try:
        return check_reasons(store, reasons) if reasons else []
    except GuidelinesError as error:
        raise ReviewError(str(error)) from None


def decide(
    store: Store,
    generation_id: str,
    annotator: str,
    action: str,
    note: str | None = None,
    *,
    final: bool = False,
    seen: PairState | None = None,
    verdict_id: str | None = None,
    audit: str | None = None,
    reasons: Sequence[str] = (),
) -> int:
    """Record accept, reject or skip; returns the event id. The event records the verdict
    it was made on (payload "verdict_id"). A `final` accept or reject settles a
    disagreement: it wins over every annotator's vote.

    `seen` is what the reviewer was shown (`pair_state` when the page was drawn), or
    `verdict_id` the verdict they decided on: when the pair was validated again since,
    or (with `seen`) the annotator decided it meanwhile elsewhere, the decision is refused
    with the reason. Without either, the current verdict is the one decided on. A pair
    with no verdict cannot be accepted. `audit`: the audit whose queue it was decided in,
    blind to the verdict (payload "audit"; it counts as any decision too). The annotator
    holds the pair from then on (`Store.hold`), so no other queue offers it by accident.

    `reasons`: a reject's reasons, each from the configured list
    (`semi_core.guidelines.reasons`); given with an accept or a skip they are refused,
    since a reason kept on another decision would be counted as a reject's."""
    allowed = ("accept", "reject") if final else DECISIONS
    if action not in allowed:
        raise ReviewError(f"unknown decision {action!r}; choose from {', '.join(allowed)}")
    reasons = checked_reasons(store, action, reasons)
    annotator = _require_annotator(annotator)
    _require_pair(store, generation_id)
    if audit and not store.in_audit(audit, generation_id):
        raise ReviewError(f"the pair {generation_id} is not in audit {audit!r}")
    verdict = store.latest_verdict(generation_id)
    now = seen_state(verdict, history(store, generation_id) if seen else [], annotator)
    shown = seen.verdict_id if seen is not None else verdict_id
    if (seen is not None or verdict_id is not None) and shown != now.verdict_id:
        status = verdict["status"] if verdict else "none"
        raise ReviewError(
            f"the pair was validated again since it was shown (its verdict is now {status}), "
            "so look at it again before deciding"
        )
    if seen is not None and seen.my_event_id != now.my_event_id:
        raise ReviewError(
            "you already decided this pair elsewhere (another tab or window) since it was "
            "shown here, so nothing was recorded"
        )
    if action == "accept" and verdict is None:
        raise ReviewError(
            "the pair has not been validated yet, so it cannot be accepted before its "
            "tests have run"
        )
    payload: dict[str, Any] = {"verdict_id": now.verdict_id}
    if final:
        payload["final"] = True
    if audit:
        payload["audit"] = audit
    event = store.add_review_event(generation_id, annotator, action, note=note or None,
                                   payload=payload, reasons=reasons)  # fmt: skip
    if not final:
        store.hold(generation_id, annotator)
    return event


def may_see_votes(events: list[dict[str, Any]], annotator: str) -> bool:
    """Votes are independent: an annotator sees the others' decisions and notes on a pair
    only once they have accepted or rejected it themselves."""
    return annotator in current_decisions(events)


def undo_last(store: Store, annotator: str) -> dict[str, Any] | None:
    """Undo the annotator's latest decision that still counts; returns it, or None. A
    decision of a bulk action undoes the whole bulk as one (the event returned then
    carries `bulk_undone`: how many decisions were undone)."""
    annotator = _require_annotator(annotator)
    last = store.last_undoable_event(annotator)
    if last is None:
        return None
    if last.get("bulk_id") is not None:
        return last | {"bulk_undone": store.undo_bulk_action(last["bulk_id"], annotator)}
    store.add_review_event(last["generation_id"], annotator, "undo", payload={"undoes": last["id"]})
    return last


def undone_text(store: Store, undone: dict[str, Any]) -> str:
    """What `undo_last` undid, as people read it: "accept on name (id)", or the bulk
    action and its number of pairs."""
    if undone.get("bulk_id") is not None:
        return f"bulk {undone['action']} {undone['bulk_id']} ({undone['bulk_undone']} pairs)"
    return f"{undone['action']} on {pair_label(store, undone['generation_id'])}"


def pair_label(store: Store, generation_id: str) -> str:
    """A pair as people name it: its snippet's name and the pair id."""
    pair = store.pair(generation_id)
    return f"{pair['name']} ({generation_id})" if pair else generation_id


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


def action_label(event: dict[str, Any]) -> str:
    """A review event's action as people read it: a final decision is named so ("final
    accept"), since it settles the pair and is no annotator's vote, and an event of a
    bulk action names it ("accept (bulk 3)")."""
    label = f"final {event['action']}" if (event["payload"] or {}).get("final") else event["action"]
    return f"{label} (bulk {event['bulk_id']})" if event.get("bulk_id") is not None else label


def current_decisions(events: list[dict[str, Any]], *, name_finals: bool = False) -> dict[str, str]:
    """Each annotator's current decision from a pair's events (`history`): the latest
    accept or reject not undone nor voided by a later edit or repair — what
    `Store.decisions` reads, without a second query.
    With `name_finals`, a final decision reads "final accept" or "final reject"."""
    latest: dict[str, dict[str, Any]] = {}
    last_edit = max((e["id"] for e in events if e["action"] in CHANGES), default=-1)
    for event in events:
        if (
            event["action"] in ("accept", "reject")
            and not event["undone_by"]
            and event["id"] > last_edit
        ):
            name = event["annotator"]
            if name not in latest or event["id"] > latest[name]["id"]:
                latest[name] = event
    return {name: action_label(latest[name]) if name_finals else latest[name]["action"]
            for name in sorted(latest)}  # fmt: skip


def _kills_by_position(verdict: dict[str, Any] | None) -> dict[int, int] | None:
    """The mutants each test's input killed first, by position; None where the run
    measured no test strength."""
    signals = (verdict or {}).get("signals") or {}
    if "kills_by_input" not in signals:
        return None
    return {k["position"]: k["killed"] for k in signals["kills_by_input"]}


def strength_figures(verdict: dict[str, Any]) -> list[tuple[str, str]]:
    """What a pair's tests catch and reach, as Review shows it beside the verdict: test
    strength, mutants killed of those tried, and branches of the original covered of
    those it has ("–" where the validation did not measure it)."""
    signals = verdict.get("signals") or {}
    strength = verdict.get("test_strength")

    def of(part: str, whole: str) -> str:
        return f"{signals[part]}/{signals[whole]}" if whole in signals else "–"

    return [
        ("Test strength", f"{strength:.0%}" if strength is not None else "–"),
        ("Mutants killed", of("mutants_killed", "mutants_tried")),
        ("Branches covered", of("branches_covered", "branches_known")),
    ]


def test_table(
    store: Store, generation_id: str, *, verdict: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One row per test case of the pair's current validation run (`verdict`, read here
    unless the caller has it already): input, origin, the oracle's expected output, the
    rewrite's actual output, status, error, duration, and whether the row fails: True or
    False where the rewrite ran on it, None where it did not (not validated yet, an
    unusable oracle, a test not run); for a call that changed its arguments in place, the
    arguments after it, expected (the original's) and actual (the rewrite's); and how many
    mutants each input killed first where the run measured test strength."""
    verdict = verdict or store.latest_verdict(generation_id)
    if verdict is None:
        return [
            {"#": case["position"], "input": case["input"], "origin": case["origin"],
             "expected": None, "actual": None, "expected args after": None,
             "actual args after": None, "status": "not validated", "error": None,
             "ms": None, "mutants killed": None, "failing": None}
            for case in store.test_cases(generation_id)
        ]  # fmt: skip
    kills = _kills_by_position(verdict)
    rows: dict[int, dict[str, Any]] = {}
    for run in store.test_runs(verdict["run_id"], generation_id):
        row = rows.setdefault(
            run["position"],
            {"#": run["position"], "input": run["input"], "origin": run["origin"],
             "expected": run["expected"], "actual": None, "expected args after": None,
             "actual args after": None, "status": run["oracle_status"],
             "error": None, "ms": None, "mutants killed": None, "failing": None},
        )  # fmt: skip
        if kills is not None:
            row["mutants killed"] = kills.get(run["position"], 0)
        if run["side"] == "original" and run["attempt"] == 1:
            row["expected args after"] = split_output(run["output"])[1]
        if run["side"] == "generated":
            row["actual"], row["actual args after"] = split_output(run["output"])
            row["status"] = run["status"]
            row["error"] = run["error"] or None
            row["ms"] = round(run["duration_ms"] or 0.0, 2)
            row["failing"] = None if run["status"] == NOT_RUN else run["status"] != "ok"
        elif row["expected"] is None and run["status"] != "ok":
            row["error"] = run["error"] or None
    return [rows[position] for position in sorted(rows)]


def _outcome(row: dict[str, Any]) -> tuple[Any, ...]:
    """What a test table's row says the rewrite did."""
    return row["status"], row["actual"], row["actual args after"]


def changed_tests(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict]:
    """Tests whose status or output (the arguments after the call included) differs
    between two test tables (after an edit)."""
    old = {row["input"]: row for row in before}
    changes = []
    for row in after:
        previous = old.get(row["input"])
        if previous is None or _outcome(previous) != _outcome(row):
            changes.append({"input": row["input"],
                            "before": previous["status"] if previous else "new",
                            "after": row["status"]})  # fmt: skip
    return changes
