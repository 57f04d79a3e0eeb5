"""Bulk decisions on a real DuckDB file: a filter's pairs accepted or rejected as one bulk
action (the dry run's count is what is then recorded, the filters select what Review
lists), pairs a person decided left alone unless asked, undo of the whole bulk bringing
every count back, bulk events counting in export and agreement as ordinary ones, and the
same through the real `semi` command."""

from __future__ import annotations

import json

import pytest

from semi_core.agreement import agreement_table, settle, votes_by_pair
from semi_core.bulk_decisions import BulkError, bulk_decide, bulk_history, undo_bulk
from semi_core.guidelines import reason_counts
from semi_core.review import ReviewError, decide, history, undo_last
from semi_core.store import Store

from .conftest import run_semi

CODE = "def double(value):\n    return value * {n}\n"
PAIRS = 8


def make_varied_pairs(store: Store) -> list[str]:
    """Eight validated or failing pairs over two sources, of growing difficulty and test
    strength, their tests of two origins, and a ninth pair not validated yet."""
    ids = []
    for n in range(PAIRS + 1):
        snippet_id, pair_id = f"s{n}", f"g{n}"
        store.add_snippets([{"id": snippet_id, "source": "alpha" if n < 4 else "beta",
                             "path": "m.py", "line": n, "name": f"double{n}",
                             "kind": "function", "entry_point": "double", "language": "python",
                             "code": CODE.format(n=n + 2), "flags": [], "rejection": None,
                             "rejection_detail": None, "metadata": None}])  # fmt: skip
        origin = "typed" if n % 2 else "llm"
        store.add_generation({"id": pair_id, "snippet_id": snippet_id, "backend": "offline",
                              "model": "m", "prompt_hash": "p",
                              "instruction": f"Double it, variant {n}.",
                              "code": CODE.format(n=n + 2), "entry_point": "double",
                              "status": "ok"}, [("1", origin), ("2", origin)])  # fmt: skip
        ids.append(pair_id)
        if n == PAIRS:
            break  # the last pair is not validated
        status = "mismatch" if n % 3 == 2 else "validated"
        runs = []
        if status == "mismatch":
            case = store.test_cases(pair_id)[0]
            runs = [{"test_case_id": case["id"], "side": "generated", "attempt": 1,
                     "status": "wrong", "output": "0", "duration_ms": 1.0}]  # fmt: skip
        store.record_validation("run1", pair_id, [], runs, {
            "passed": 2 if status == "validated" else 1, "usable": 2, "total": 2,
            "status": status, "difficulty": n / 10, "test_strength": n / 8})  # fmt: skip
    return ids


@pytest.fixture
def pairs(store):
    return make_varied_pairs(store)


FILTERS = [
    {},
    {"statuses": ["validated"]},
    {"statuses": ["mismatch"]},
    {"difficulty": (0.2, 0.5)},
    {"min_strength": 0.5},
    {"source": "beta"},
    {"origin": "typed"},
    {"failure": "wrong"},
    {"search": "variant 3"},
    {"statuses": ["validated"], "source": "alpha", "difficulty": (0.0, 0.3)},
]


@pytest.mark.parametrize("filters", FILTERS)
def test_a_bulk_takes_what_review_lists_and_the_dry_run_count_is_what_is_recorded(
    store, pairs, filters
):
    listed, total = store.review_queue_ids("ada", assigned=False, **filters)
    preview = bulk_decide(store, "ada", "reject", filters, dry_run=True, sample=100)
    assert preview.bulk_id is None and store.review_events() == []  # nothing recorded
    assert preview.count == total and [row["id"] for row in preview.sample] == listed
    done = bulk_decide(store, "ada", "reject", filters)
    assert done.count == preview.count
    events = store.review_events()
    assert len(events) == done.count
    assert {e["generation_id"] for e in events} == set(listed)
    assert {(e["annotator"], e["action"], e["bulk_id"]) for e in events} <= {
        ("ada", "reject", done.bulk_id)
    }
    for event in events:  # decided on the current verdict, as one decision records it
        verdict = store.latest_verdict(event["generation_id"])
        assert event["payload"]["verdict_id"] == (verdict["id"] if verdict else None)
    assert store.review_queue_ids("ada", assigned=False, **filters) == ([], 0)
    if done.count:
        (bulk,) = bulk_history(store, "ada")
        assert (bulk["id"], bulk["count"], bulk["action"]) == (done.bulk_id, done.count, "reject")
        assert bulk["undone_at"] is None


def test_the_review_queue_filters_on_a_least_test_strength(store, pairs):
    assert store.review_queue_ids("ada", assigned=False, min_strength=0.5)[0] == pairs[4:PAIRS]
    assert (
        store.review_queue_ids("ada", assigned=False, min_strength=0.0)[0] == pairs[:PAIRS]
    )  # validated
    rows = store.review_queue("ada", assigned=False, min_strength=0.75, statuses=["validated"])
    assert [(row["id"], row["test_strength"]) for row in rows] == [("g6", 0.75), ("g7", 0.875)]


def test_an_accept_leaves_out_pairs_not_validated(store, pairs):
    assert bulk_decide(store, "ada", "reject", dry_run=True).count == PAIRS + 1
    assert bulk_decide(store, "ada", "accept", dry_run=True).count == PAIRS
    bulk_decide(store, "ada", "accept")
    assert store.decisions(pairs[-1]) == {}
    assert store.decision_counts() == {"accept": PAIRS}


def test_decided_pairs_are_left_alone_unless_asked(store, pairs):
    decide(store, pairs[0], "bob", "accept")
    decide(store, pairs[1], "ada", "reject")
    settle(store, pairs[2], "lead", "accept")
    decide(store, pairs[3], "ada", "skip")  # a skip decides nothing
    done = bulk_decide(store, "ada", "reject")
    taken = {e["generation_id"] for e in store.review_events() if e["bulk_id"] == done.bulk_id}
    assert taken == set(pairs) - set(pairs[:3])
    assert store.decisions(pairs[0]) == {"bob": "accept"}
    undo_last(store, "ada")
    asked = bulk_decide(store, "ada", "reject", include_decided=True)
    taken = {e["generation_id"] for e in store.review_events() if e["bulk_id"] == asked.bulk_id}
    # Everything but the pair ada had already rejected: nothing to change there.
    assert taken == set(pairs) - {pairs[1]}
    assert store.decisions(pairs[0]) == {"ada": "reject", "bob": "accept"}
    assert store.decision_counts()["disputed"] == 1
    assert store.final_decisions() == {pairs[2]: "accept"}  # a settlement still wins


def state(store: Store) -> dict:
    return {
        "counts": store.decision_counts(),
        "overall": store.overall_decisions(),
        "votes": store.annotator_decisions(),
        "queues": {
            name: store.review_queue_ids(name, assigned=False)[1] for name in ("ada", "bob")
        },
        "accepted": [row["id"] for row in store.export_rows("accepted")],
    }


def test_undo_takes_back_the_whole_bulk_and_brings_every_count_back(store, pairs):
    decide(store, pairs[0], "ada", "accept")
    decide(store, pairs[1], "bob", "reject")
    decide(store, pairs[4], "ada", "skip")
    before = state(store)
    done = bulk_decide(store, "ada", "accept", {"statuses": ["validated"]})
    assert done.count == 4  # validated: 0, 1, 3, 4, 6, 7, less the two decided
    after = state(store)
    assert after["counts"] != before["counts"]
    assert after["queues"]["ada"] == before["queues"]["ada"] - done.count
    undone = undo_last(store, "ada")
    assert (undone["bulk_id"], undone["bulk_undone"]) == (done.bulk_id, done.count)
    assert state(store) == before
    # The history shows the bulk and its undo, on every pair it took.
    (bulk,) = bulk_history(store, "ada")
    assert bulk["undone_at"] is not None
    taken = history(store, pairs[3])
    assert [(e["action"], e["bulk_id"]) for e in taken] == [
        ("accept", done.bulk_id), ("undo", done.bulk_id)
    ]  # fmt: skip
    assert taken[0]["undone_by"] == taken[1]["id"]
    # The next undo takes back the decision made before the bulk, as ever.
    assert undo_last(store, "ada")["generation_id"] == pairs[4]


def test_undo_of_a_bulk_by_its_id(store, pairs):
    done = bulk_decide(store, "ada", "reject", {"source": "alpha"})
    decide(store, pairs[6], "ada", "accept")  # a later decision: the bulk is not the latest
    result = undo_bulk(store, done.bulk_id, "ada")
    assert result["undone"] == done.count == 4 and result["undone_at"] is not None
    assert store.decision_counts() == {"accept": 1}
    with pytest.raises(BulkError, match="undone already"):
        undo_bulk(store, done.bulk_id, "ada")
    other = bulk_decide(store, "ada", "reject", {"source": "alpha"})
    with pytest.raises(BulkError, match="ada's: only they undo it"):
        undo_bulk(store, other.bulk_id, "bob")
    with pytest.raises(BulkError, match="no bulk action with id 999"):
        undo_bulk(store, 999, "ada")


def test_bulk_events_count_in_export_and_agreement_like_ordinary_ones(store, pairs, tmp_path):
    with Store(tmp_path / "one_by_one.duckdb") as by_hand:
        make_varied_pairs(by_hand)
        for db in (store, by_hand):
            decide(db, pairs[0], "bob", "accept")
            decide(db, pairs[3], "bob", "reject")
            decide(db, pairs[4], "bob", "reject")
        bulk_decide(store, "ada", "accept", {"statuses": ["validated"]}, include_decided=True)
        for pair_id in [p for p in pairs[:-1] if store.latest_verdict(p)["status"] == "validated"]:
            decide(by_hand, pair_id, "ada", "accept")
        for db in (store, by_hand):
            assert state(db)["votes"]
        assert state(store) == state(by_hand)
        assert agreement_table(votes_by_pair(store)) == agreement_table(votes_by_pair(by_hand))
        shown = [row["id"] for row in store.export_rows("accepted")]
        assert shown == [row["id"] for row in by_hand.export_rows("accepted")] != []


def test_bad_input_is_refused_with_one_sentence_and_nothing_recorded(store, pairs):
    cases = [
        (("ada", "accept", {"statuses": ["nope"]}), "unknown status 'nope'"),
        (("ada", "accept", {"difficulty": (0.8, 0.2)}), "least difficulty 0.8 is above"),
        (("ada", "accept", {"min_strength": 2.0}), "test strength is a number from 0 to 1"),
        (("ada", "accept", {"origin": "elsewhere"}), "unknown test origin"),
        (("ada", "accept", {"failure": "bad"}), "unknown failure kind"),
        (("  ", "accept", {}), "an annotator name is needed"),
        (("ada", "skip", {}), "unknown bulk decision 'skip'"),
    ]
    for args, message in cases:
        with pytest.raises(ReviewError, match=message):  # BulkError is one
            bulk_decide(store, *args)
    preview = bulk_decide(store, "ada", "accept", dry_run=True)
    decide(store, pairs[0], "bob", "reject")  # meanwhile, elsewhere
    with pytest.raises(BulkError, match=f"now matches {preview.count - 1} pairs, not the "
                       f"{preview.count} previewed"):  # fmt: skip
        bulk_decide(store, "ada", "accept", expected=preview.count)
    assert [e["annotator"] for e in store.review_events()] == ["bob"]
    assert bulk_history(store) == []


def test_the_semi_command_bulk_accepts_previews_and_undoes(db_path, monkeypatch):
    monkeypatch.delenv("SEMI_ANNOTATOR", raising=False)
    with Store(db_path) as store:
        pairs = make_varied_pairs(store)
        decide(store, pairs[0], "bob", "reject")
    filters = ["--min-difficulty", "0.1", "--max-difficulty", "0.6", "--source", "beta"]
    dry = run_semi("bulk", "accept", "--annotator", "ada", *filters, "--dry-run", "--json",
                   db=db_path)  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    preview = json.loads(dry.stdout)
    assert (preview["count"], preview["bulk_id"]) == (3, None)  # pairs 4, 5, 6
    done = run_semi("bulk", "accept", "--annotator", "ada", *filters, "--json", db=db_path)
    result = json.loads(done.stdout)
    assert result["count"] == preview["count"] and isinstance(result["bulk_id"], int)
    with Store(db_path) as store:
        assert store.decision_counts() == {"accept": 3, "reject": 1}
        assert {e["generation_id"] for e in store.review_events() if e["bulk_id"]} == {
            "g4", "g5", "g6"
        }  # fmt: skip
    listed = run_semi("bulk", "list", "--json", db=db_path)
    (bulk,) = json.loads(listed.stdout)
    assert (bulk["id"], bulk["count"], bulk["filters"]["source"]) == (result["bulk_id"], 3, "beta")
    undo = run_semi("undo", "--annotator", "ada", db=db_path)
    assert undo.returncode == 0
    assert f"undid bulk accept {result['bulk_id']} (3 pairs)" in undo.stdout
    with Store(db_path) as store:
        assert store.decision_counts() == {"reject": 1}
        assert store.review_queue_ids("ada", assigned=False)[1] == PAIRS + 1
    again = run_semi("bulk", "undo", str(result["bulk_id"]), "--annotator", "ada", db=db_path)
    assert again.returncode == 1
    assert again.stderr.strip() == f"Error: bulk action {result['bulk_id']} was undone already"
    for args, message in [
        (["--status", "nope"], "Error: unknown status 'nope'"),
        (["--min-difficulty", "0.9", "--max-difficulty", "0.1"], "Error: the least difficulty"),
    ]:
        bad = run_semi("bulk", "reject", "--annotator", "ada", *args, db=db_path)
        assert bad.returncode == 1 and bad.stderr.strip().startswith(message)
        assert len(bad.stderr.strip().splitlines()) == 1
    nameless = run_semi("bulk", "reject", db=db_path)
    assert nameless.returncode == 1
    assert nameless.stderr.strip() == "Error: an annotator name is needed to record a decision"


def test_a_store_made_before_bulk_actions_gets_them_in_place(db_path):
    import duckdb

    from semi_core.store import MIGRATIONS, migrate

    with duckdb.connect(str(db_path)) as db:
        migrate(db, MIGRATIONS[:1])  # the baseline alone: no bulk_actions, no bulk_id
        db.execute("INSERT INTO review_events (generation_id, annotator, action) "
                   "VALUES ('g0', 'bob', 'accept')")  # fmt: skip
    with Store(db_path) as store:
        assert "m002_bulk_actions" in store.migrations()
        (event,) = store.review_events()
        assert (event["action"], event["bulk_id"]) == ("accept", None)
        assert store.bulk_actions() == []
        assert undo_last(store, "bob")["id"] == event["id"]  # an ordinary undo, as before
        assert store.decision_counts() == {}


def test_a_bulk_reject_gives_its_reasons_to_every_pair(store, pairs):
    with pytest.raises(ReviewError, match="reasons go with a reject only"):
        bulk_decide(store, "ada", "accept", {"source": "beta"}, reasons=["trivial"])
    with pytest.raises(ReviewError, match="unknown reject reason 'boring'"):
        bulk_decide(store, "ada", "reject", {"source": "beta"}, reasons=["boring"])
    assert store.review_events() == []
    done = bulk_decide(store, "ada", "reject", {"source": "beta"},
                       reasons=["duplicate", "trivial"])  # fmt: skip
    assert done.count == 5  # pairs 4 to 8
    # In the configured list's order, on each of the bulk's events, counted as a reject's.
    assert {tuple(e["reasons"]) for e in store.review_events()} == {("trivial", "duplicate")}
    counts = {row["reason"]: row["pairs"] for row in reason_counts(store)}
    assert counts == {"trivial": 5, "duplicate": 5}
    undo_last(store, "ada")
    assert reason_counts(store) == []


def test_the_semi_command_bulk_rejects_with_reasons(db_path):
    with Store(db_path) as store:
        make_varied_pairs(store)
    done = run_semi("bulk", "reject", "--annotator", "ada", "--source", "alpha",
                    "--reason", "unsafe", "--json", db=db_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["count"] == 4
    with Store(db_path) as store:
        assert [e["reasons"] for e in store.review_events()] == [["unsafe"]] * 4
    bad = run_semi("bulk", "reject", "--annotator", "ada", "--reason", "boring", db=db_path)
    assert bad.returncode == 1 and "unknown reject reason 'boring'" in bad.stderr
