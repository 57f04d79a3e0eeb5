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


def make_pairs(store) -> list[str]:
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


@pytest.fixture
def pairs(store):
    return make_pairs(store)


def test_decisions_are_events_and_the_queue_moves_on(store, pairs):
    # Half the free pairs at most: the rest stays free for annotators who come later.
    assert [row["id"] for row in store.review_queue("ada")] == pairs[:2]
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


# -- revalidation and decisions on what was seen ---------------------------------------------


@pytest.fixture(scope="module")
def validated_template(tmp_path_factory):
    """The demo snippets with three pairs validated and ranked, made once."""
    from semi_core.demo import load_demo
    from semi_core.pipeline import PipelineSettings, run_pipeline
    from semi_core.store import Store

    path = tmp_path_factory.mktemp("template") / "ranked.duckdb"
    with Store(path) as store:
        load_demo(store)
        run_pipeline(store, PipelineSettings(limit=3, inputs_per_pair=5, test_strength=False))
    return path


@pytest.fixture
def validated(validated_template, tmp_path):
    import shutil

    from semi_core.store import Store

    path = tmp_path / "ranked.duckdb"
    shutil.copy(validated_template, path)
    with Store(path) as store:
        yield store


def test_a_revalidated_pair_stays_ranked_and_in_the_curriculum(validated):
    from semi_core.pipeline import PipelineSettings, run_pipeline
    from semi_core.rank import curriculum

    store = validated
    ranked = [row["generation_id"] for row in curriculum(store)]
    assert ranked
    pair_id = ranked[0]
    before = store.latest_verdict(pair_id)
    settings = PipelineSettings(inputs_per_pair=5, test_strength=False)
    run_pipeline(store, settings, stages=("validate",), generation_ids=[pair_id])
    after = store.latest_verdict(pair_id)
    assert after["id"] != before["id"] and after["status"] == "validated"
    assert after["difficulty"] == before["difficulty"]
    place = after["signals"]["rank"]
    assert place["bucket"] in ("easy", "medium", "hard") and place["curriculum_position"] >= 1
    assert pair_id in [row["generation_id"] for row in curriculum(store)]
    assert len(curriculum(store)) == len(ranked)


def test_a_decision_records_its_verdict_and_is_refused_once_the_verdict_changed(store, pairs):
    from semi_core.review import pair_state

    seen = pair_state(store, pairs[0], "ada")
    assert seen.verdict_id == store.latest_verdict(pairs[0])["id"]
    event = decide(store, pairs[0], "ada", "accept", seen=seen)
    assert history(store, pairs[0])[-1]["id"] == event
    assert history(store, pairs[0])[-1]["payload"]["verdict_id"] == seen.verdict_id
    # Without what was seen (the command line): the current verdict is recorded.
    decide(store, pairs[1], "ada", "reject")
    assert history(store, pairs[1])[-1]["payload"]["verdict_id"] == seen_verdict(store, pairs[1])

    stale = pair_state(store, pairs[2], "ada")
    store.record_validation("run2", pairs[2], [], [], {"passed": 1, "usable": 3, "total": 3,
                                                      "status": "mismatch"})  # fmt: skip
    with pytest.raises(ReviewError, match="validated again since") as refused:
        decide(store, pairs[2], "ada", "accept", seen=stale)
    assert "\n" not in str(refused.value) and str(refused.value).count(". ") == 0
    assert store.decisions(pairs[2]) == {}
    with pytest.raises(ReviewError, match="validated again since"):
        decide(store, pairs[2], "ada", "accept", verdict_id="an-old-verdict")


def seen_verdict(store, pair_id: str) -> str:
    return store.latest_verdict(pair_id)["id"]


def test_a_decision_made_in_another_tab_meanwhile_refuses_this_one(store, pairs):
    from semi_core.review import pair_state

    first_tab = pair_state(store, pairs[0], "ada")
    second_tab = pair_state(store, pairs[0], "ada")
    decide(store, pairs[0], "ada", "accept", seen=second_tab)
    with pytest.raises(ReviewError, match="already decided"):
        decide(store, pairs[0], "ada", "reject", seen=first_tab)
    assert store.decisions(pairs[0]) == {"ada": "accept"}
    # Another annotator's decision meanwhile changes nothing for ada: votes are separate.
    ada = pair_state(store, pairs[1], "ada")
    decide(store, pairs[1], "bob", "reject")
    decide(store, pairs[1], "ada", "accept", seen=ada)
    assert store.decisions(pairs[1]) == {"ada": "accept", "bob": "reject"}


def test_a_pair_not_validated_yet_cannot_be_accepted_and_shows_no_tick(store, pairs):
    from semi_core.review import test_table

    store.add_snippets([{"id": "s9", "source": "src", "path": "m.py", "line": 1,
                         "name": "fresh", "kind": "function", "entry_point": "double",
                         "language": "python", "code": ORIGINAL, "flags": [],
                         "rejection": None, "rejection_detail": None,
                         "metadata": None}])  # fmt: skip
    store.add_generation({"id": "g9", "snippet_id": "s9", "backend": "offline", "model": "m",
                          "prompt_hash": "p", "instruction": "Double it.", "code": ORIGINAL,
                          "entry_point": "double", "status": "ok"},
                         [("1", "typed"), ("2", "typed")])  # fmt: skip
    with pytest.raises(ReviewError, match="not been validated"):
        decide(store, "g9", "ada", "accept")
    assert store.decisions("g9") == {}
    decide(store, "g9", "ada", "reject")  # a rejection needs no verdict
    rows = test_table(store, "g9")
    assert [row["failing"] for row in rows] == [None, None]
    assert {row["status"] for row in rows} == {"not validated"}


def test_revalidation_gives_up_on_a_looping_rewrite_at_its_first_timeout(store, pairs):
    from semi_core.engines import revalidate
    from semi_core.review import test_table
    from semi_core.sandbox import Limits
    from semi_core.validate import ValidationSettings

    looping = "def double(value):\n    while True:\n        pass\n"
    edit_pair(store, pairs[0], "ada", "Double it.", looping)
    revalidate(store, None, [pairs[0]], settings=ValidationSettings(test_strength=False),
               limits=Limits(timeout_s=0.5, workers=1))  # fmt: skip
    verdict = store.latest_verdict(pairs[0])
    assert verdict["status"] == "generated_error"
    assert verdict["signals"]["not_run"] == 2 and "2 tests not run" in verdict["signals"]["reason"]
    rows = test_table(store, pairs[0])
    assert [row["status"] for row in rows] == ["timeout", "not_run", "not_run"]
    assert [row["failing"] for row in rows] == [True, None, None]


def test_the_queue_search_finds_a_pair_by_its_id_or_an_id_prefix(store, pairs):
    store.update_generation(pairs[1], "Double it.", ORIGINAL.replace("2", "7"))
    assert store.review_queue_ids("ada", search=pairs[1]) == ([pairs[1]], 1)
    assert store.review_queue_ids("ada", search="g")[1] == 3  # "g" begins every id here
    assert store.review_queue_ids("ada", search=pairs[2].upper())[0] == [pairs[2]]


def accept_on_a_stale_then_the_current_verdict(
    command: str, pair_id: str, verdict_id: str, db_path
) -> None:
    """`semi review` or `semi settle` with --verdict: refused on a verdict that is no longer
    current, recorded on the current one."""
    from .conftest import run_semi

    for verdict, code in (("old", 1), (verdict_id, 0)):
        result = run_semi(command, pair_id, "accept", "--annotator", "ada", "--verdict",
                          verdict, db=db_path)  # fmt: skip
        assert result.returncode == code, result.stderr
        assert ("validated again since" in result.stderr) == (code == 1)


def test_the_review_command_records_the_verdict_and_undo_names_the_pair(db_path):
    from semi_core.store import Store

    from .conftest import run_semi

    with Store(db_path) as store:  # closed before the commands open the file
        pair_id = make_pairs(store)[0]
        verdict_id = store.latest_verdict(pair_id)["id"]
    accept_on_a_stale_then_the_current_verdict("review", pair_id, verdict_id, db_path)
    undone = run_semi("undo", "--annotator", "ada", db=db_path)
    assert f"undid accept on double0 ({pair_id})" in undone.stdout
    with Store(db_path) as store:
        assert store.review_events(pair_id)[0]["payload"]["verdict_id"] == verdict_id


def test_an_edit_voids_the_decisions_made_on_the_code_before_it(store, pairs):
    decide(store, pairs[0], "ada", "accept")
    decide(store, pairs[0], "bob", "accept")
    decide(store, pairs[1], "ada", "accept")
    edit_pair(
        store, pairs[0], "cy", "Double it.", "def double(value):\n    while True:\n        pass\n"
    )
    # The accepts were made on the code that the edit replaced: they no longer count, and
    # the pair is back in every queue until it is decided again.
    assert store.decisions(pairs[0]) == {}
    assert current_decisions(history(store, pairs[0])) == {}
    assert store.decision_counts() == {"accept": 1}
    assert pairs[0] in store.review_queue_ids("ada")[0]
    assert [row["id"] for row in store.export_rows("accepted")] == [pairs[1]]
    decide(store, pairs[0], "ada", "reject")
    assert store.decisions(pairs[0]) == {"ada": "reject"}


def test_each_test_row_says_how_many_mutants_its_input_killed(validated):
    from semi_core.pipeline import PipelineSettings, run_pipeline
    from semi_core.review import test_table

    store = validated
    pair_id = store.current_verdicts(["validated"])[0]["generation_id"]
    assert {row["mutants killed"] for row in test_table(store, pair_id)} == {None}
    run_pipeline(store, PipelineSettings(inputs_per_pair=5, test_strength=True),
                 stages=("validate",), generation_ids=[pair_id])  # fmt: skip
    verdict = store.latest_verdict(pair_id)
    rows = test_table(store, pair_id, verdict=verdict)
    killed = verdict["signals"]["mutants_killed"]
    assert killed > 0
    assert sum(row["mutants killed"] for row in rows) == killed
    by_input = {k["position"]: k["killed"] for k in verdict["signals"]["kills_by_input"]}
    assert all(row["mutants killed"] == by_input.get(row["#"], 0) for row in rows)
