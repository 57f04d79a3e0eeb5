"""Review actions on a real DuckDB file: decisions derived from the append-only log,
undo, notes, edits, several annotators, final decisions, and what export selects."""

from __future__ import annotations

import pytest

from semi_core.agreement import settle
from semi_core.review import (
    ReviewError,
    add_note,
    current_decisions,
    decide,
    edit_pair,
    history,
    undo_last,
)

ORIGINAL = "def double(value):\n    return value * 2\n"


@pytest.fixture
def pairs(store):
    """Three pairs, each with a validated verdict."""
    ids = []
    for number in range(3):
        snippet_id, pair_id = f"s{number}", f"g{number}"
        code = ORIGINAL.replace("2", str(number + 2))
        store.add_snippets([{"id": snippet_id, "source": "src", "path": "m.py", "line": 1,
                             "name": f"double{number}", "kind": "function",
                             "entry_point": "double", "language": "python", "code": code,
                             "flags": [], "rejection": None, "rejection_detail": None,
                             "metadata": None}])  # fmt: skip
        store.add_generation({"id": pair_id, "snippet_id": snippet_id, "backend": "offline",
                              "model": "m", "prompt_hash": "p", "instruction": "Double it.",
                              "code": code, "entry_point": "double", "status": "ok"},
                             [("1", "typed"), ("2", "typed"), ("3", "typed")])  # fmt: skip
        store.record_validation("run1", pair_id, [], [], {"passed": 3, "usable": 3, "total": 3,
                                                         "status": "validated"})  # fmt: skip
        ids.append(pair_id)
    return ids


def test_decisions_are_events_and_the_queue_moves_on(store, pairs):
    assert [row["id"] for row in store.review_queue("ada")] == pairs
    decide(store, pairs[0], "ada", "accept", note="clear")
    decide(store, pairs[1], "ada", "skip")
    queue = [row["id"] for row in store.review_queue("ada")]
    assert queue == [pairs[2], pairs[1]]  # undecided first, skipped later
    assert store.decisions(pairs[0]) == {"ada": "accept"}
    assert store.decision_counts() == {"accept": 1}
    (event,) = history(store, pairs[0])
    assert (event["annotator"], event["action"], event["note"]) == ("ada", "accept", "clear")


def test_undo_takes_back_the_latest_decision_only(store, pairs):
    decide(store, pairs[0], "ada", "accept")
    decide(store, pairs[1], "ada", "reject")
    undone = undo_last(store, "ada")
    assert (undone["generation_id"], undone["action"]) == (pairs[1], "reject")
    assert store.decision_counts() == {"accept": 1}
    assert [e["undone_by"] is not None for e in history(store, pairs[1])] == [True, False]
    assert undo_last(store, "ada")["generation_id"] == pairs[0]
    assert undo_last(store, "ada") is None
    assert store.decision_counts() == {}


def test_several_annotators_and_a_final_decision_that_wins(store, pairs):
    decide(store, pairs[0], "ada", "accept")
    decide(store, pairs[0], "bob", "reject")
    assert store.decisions(pairs[0]) == {"ada": "accept", "bob": "reject"}
    settle(store, pairs[0], "lead", "accept")
    decide(store, pairs[0], "cy", "reject")  # a later vote does not undo the settlement
    assert store.decision_counts() == {"accept": 1}
    accepted = [row["id"] for row in store.export_rows("accepted")]
    assert accepted == [pairs[0]]


def test_edit_keeps_the_old_text_in_the_log(store, pairs):
    edit_pair(store, pairs[0], "ada", "Double the value.", ORIGINAL)
    assert store.generation(pairs[0])["instruction"] == "Double the value."
    (event,) = history(store, pairs[0])
    assert event["action"] == "edit"
    assert event["payload"]["before"]["instruction"] == "Double it."
    with pytest.raises(ReviewError, match="does not parse"):
        edit_pair(store, pairs[0], "ada", "x", "def broken(:\n")


def test_bad_review_input_gets_a_clear_message(store, pairs):
    with pytest.raises(ReviewError, match="annotator name"):
        decide(store, pairs[0], "  ", "accept")
    with pytest.raises(ReviewError, match="no pair"):
        decide(store, "nope", "ada", "accept")
    with pytest.raises(ReviewError, match="unknown decision"):
        decide(store, pairs[0], "ada", "maybe")
    with pytest.raises(ReviewError, match="empty"):
        add_note(store, pairs[0], "ada", " ")


def test_failure_filter_reads_the_current_validation_only(store, pairs):
    """The queue's failure filter: pairs whose rewrite failed a test that way in their
    current validation run (an older run's failure no longer counts)."""
    from semi_core.store import content_id

    def validate(run_id: str, pair_id: str, statuses: list[str]) -> None:
        runs = [{"test_case_id": content_id(pair_id, text), "side": "generated", "attempt": 1,
                 "status": status, "output": "x", "duration_ms": 1.0}
                for text, status in zip(("1", "2", "3"), statuses, strict=True)]  # fmt: skip
        passed = statuses.count("ok")
        store.record_validation(run_id, pair_id, [], runs, {
            "passed": passed, "usable": 3, "total": 3,
            "status": "validated" if passed == 3 else "mismatch"})  # fmt: skip

    validate("run2", pairs[0], ["ok", "wrong", "ok"])
    validate("run3", pairs[0], ["ok", "ok", "ok"])  # fixed since: not failing any more
    validate("run2", pairs[1], ["ok", "wrong", "error"])
    validate("run2", pairs[2], ["timeout", "ok", "ok"])
    assert store.review_queue_ids("ada", failure="wrong") == ([pairs[1]], 1)
    assert store.review_queue_ids("ada", failure="error") == ([pairs[1]], 1)
    assert store.review_queue_ids("ada", failure="timeout") == ([pairs[2]], 1)
    assert store.review_queue_ids("ada", failure="crashed") == ([], 0)
    # with a status filter too: the current verdict of each pair
    assert store.review_queue_ids("ada", statuses=["validated"]) == ([pairs[0]], 1)
    assert store.review_queue_ids("ada", failure="wrong", statuses=["mismatch"]) == ([pairs[1]], 1)


def test_current_decisions_from_the_events_match_the_store(store, pairs):
    """The Review page derives each annotator's decision from the pair's events: the same
    answer as the store's query, through votes, skips, undo and final decisions."""
    pair = pairs[0]
    decide(store, pair, "ada", "accept")
    decide(store, pair, "bob", "reject")
    decide(store, pair, "bob", "skip")
    decide(store, pair, "cy", "reject")
    undo_last(store, "cy")
    decide(store, pair, "lead", "accept", final=True)
    decide(store, pair, "ada", "reject")
    expected = {"ada": "reject", "bob": "reject", "lead": "accept"}
    assert store.decisions(pair) == expected
    assert current_decisions(history(store, pair)) == expected
    undo_last(store, "ada")  # ada's accept counts again
    assert current_decisions(history(store, pair)) == store.decisions(pair)
    assert store.decisions(pair)["ada"] == "accept"
    assert current_decisions(history(store, pairs[1])) == {} == store.decisions(pairs[1])
