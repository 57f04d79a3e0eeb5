"""The Review page in AppTest: a revalidation keeps the pair ranked and shows its
progress at the top, a looping rewrite is given up at its first timeout, a decision is
made on the pair as it was shown (or refused with the reason), a pair not validated has no
passed test, undo names its pair, and the search finds pair ids. Fixtures and helpers are
those of tests/test_app.py."""

from __future__ import annotations

import pytest

from semi_core.review import ReviewError, decide, pair_state
from studio.glossary import HELP
from studio.glossary import ORIGINS as EXPLAINED
from studio.tables import FAILED, NOT_RUN, PASSED

from . import test_app
from .test_app import metrics, open_box, review, server_store, shown_pair, table_with, texts

pairs_template = test_app.pairs_template
pairs_db = test_app.pairs_db
LOOP = "def {name}(*args, **kwargs):\n    while True:\n        pass\n"


def page_outline(node) -> list[str]:
    """The page's blocks and texts in page order: a status box as "status: <label>", a
    subheader or markdown as its text, for checking what comes above what."""
    found = []
    for child in getattr(node, "children", {}).values():
        kind = getattr(child, "type", None)
        if kind == "status":
            found.append(f"status: {child.label}")
        elif kind in ("markdown", "subheader", "caption"):
            found.append(str(child.value))
        found.extend(page_outline(child))
    return found


def test_rerun_validation_keeps_the_difficulty_and_shows_progress_at_the_top(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    pair_id = shown_pair(app)
    assert metrics(app)["Difficulty"] != "–"
    app.button(key="rerun").click().run()
    assert not app.exception
    assert metrics(app)["Difficulty"] != "–"
    assert server_store(pairs_db).latest_verdict(pair_id)["difficulty"] is not None
    outline = page_outline(app._tree)
    status = next(i for i, text in enumerate(outline) if text.startswith("status: "))
    assert "Validated again: validated" in outline[status]
    assert status < outline.index("**Instruction**") < outline.index("Tests")


def test_an_edit_into_a_loop_is_given_up_at_its_first_timeout(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    pair_id = shown_pair(app)
    store = server_store(pairs_db)
    name = store.generation(pair_id)["entry_point"]
    open_box(app, "edit_open")
    next(a for a in app.text_area if a.label == "Code").input(LOOP.format(name=name))
    app.button(key=f"FormSubmitter:edit_{pair_id}-Save and revalidate").click().run()
    assert not app.exception
    verdict = store.latest_verdict(pair_id)
    assert verdict["status"] == "generated_error" and verdict["signals"]["not_run"] >= 1
    tests = table_with(app, "#", "expected")
    timed_out = tests[tests["status"] == "timeout"]
    not_run = tests[tests["status"] == "not_run"]
    assert len(not_run) == verdict["signals"]["not_run"] and set(not_run["result"]) == {NOT_RUN}
    assert set(timed_out["result"]) == {FAILED} and PASSED not in set(tests["result"])
    outline = page_outline(app._tree)
    status = next(i for i, text in enumerate(outline) if text.startswith("status: "))
    assert "not run after a timeout" in outline[status]
    assert status < outline.index("**Instruction**")


def test_a_decision_on_a_pair_validated_again_since_it_was_drawn_is_refused(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    pair_id = shown_pair(app)
    store = server_store(pairs_db)
    # Validated again behind the page's back (another tab's edit, a run): now failing.
    runs = [{"test_case_id": case["id"], "side": "generated", "attempt": 1, "status": "wrong",
             "output": "x", "duration_ms": 1.0} for case in store.test_cases(pair_id)]  # fmt: skip
    store.record_validation("elsewhere", pair_id, [], runs, {"passed": 0, "usable": len(runs),
                            "total": len(runs), "status": "mismatch"})  # fmt: skip
    app.button(key="accept").click().run()
    assert "validated again since it was shown" in texts(app.error)
    assert store.review_events(pair_id) == []
    assert shown_pair(app) == pair_id  # drawn again, with its new verdict
    assert metrics(app)["Verdict"] == "mismatch"
    app.button(key="reject").click().run()  # on what is shown now: recorded
    (event,) = store.review_events(pair_id)
    assert event["action"] == "reject"
    assert event["payload"]["verdict_id"] == store.latest_verdict(pair_id)["id"]


def test_one_annotator_in_two_tabs_cannot_decide_a_pair_twice_unseen(monkeypatch, pairs_db):
    first_tab = review(monkeypatch, pairs_db)
    second_tab = review(monkeypatch, pairs_db)
    pair_id = shown_pair(first_tab)
    assert shown_pair(second_tab) == pair_id
    second_tab.button(key="reject").click().run()
    first_tab.button(key="accept").click().run()
    assert "already decided this pair elsewhere" in texts(first_tab.error)
    assert shown_pair(first_tab) == pair_id and "ada: reject" in texts(first_tab.caption)
    assert server_store(pairs_db).decisions(pair_id) == {"ada": "reject"}


def test_undo_names_the_pair_it_undoes(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    pair_id = shown_pair(app)
    name = server_store(pairs_db).pair(pair_id)["name"]
    app.button(key="accept").click().run()
    app.button(key="undo").click().run()
    assert f"Undid accept on {name} ({pair_id})" in texts(app.toast)


def test_a_pair_not_validated_shows_no_passed_test_and_cannot_be_accepted(monkeypatch, pairs_db):
    store = server_store(pairs_db)
    pair_id = store.review_queue("ada")[0]["id"]
    store.add_generation({**store.generation(pair_id), "id": "fresh", "prompt_hash": "other"},
                         [("1", "typed"), ("2", "typed")])  # fmt: skip
    app = review(monkeypatch, pairs_db)
    open_box(app, "f_open")
    app.text_input(key="f_search").input("fresh").run()  # a pair id finds the pair
    assert shown_pair(app) == "fresh"
    assert "Not validated yet." in texts(app.info)
    tests = table_with(app, "#", "expected")
    assert list(tests["status"]) == ["not validated"] * 2 and set(tests["result"]) == {NOT_RUN}
    assert app.button(key="accept").disabled
    with pytest.raises(ReviewError, match="not been validated"):
        decide(store, "fresh", "ada", "accept", seen=pair_state(store, "fresh", "ada"))
    assert store.decisions("fresh") == {}


def test_the_terms_are_explained_where_they_appear(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    helps = {m.label: m.proto.help for m in app.metric}
    assert helps["Verdict"] == HELP["verdict"] and helps["Difficulty"] == HELP["difficulty"]
    assert helps["Test strength"] == HELP["test strength"]
    (original,) = [m for m in app.markdown if m.value.startswith("**Original")]
    assert original.proto.help == HELP["oracle"]  # the original is the oracle
    open_box(app, "f_open")
    origins = app.selectbox(key="f_origin").proto.help
    assert all(f"**{origin}**: {text}" in origins for origin, text in EXPLAINED.items())


def test_the_pair_shows_mutants_killed_and_branches_covered(monkeypatch, pairs_db):
    from semi_core.pipeline import PipelineSettings, run_pipeline
    from semi_core.store import Store

    with Store(pairs_db) as store:
        ids = [row["generation_id"] for row in store.current_verdicts(["validated"])]
        run_pipeline(store, PipelineSettings(inputs_per_pair=5, test_strength=True),
                     stages=("validate",), generation_ids=ids)  # fmt: skip
    app = review(monkeypatch, pairs_db)
    signals = server_store(pairs_db).latest_verdict(shown_pair(app))["signals"]
    killed = f"{signals['mutants_killed']}/{signals['mutants_tried']}"
    covered = f"{signals['branches_covered']}/{signals['branches_known']}"
    assert f"Mutants killed **{killed}** · Branches covered **{covered}**" in [
        c.value for c in app.caption
    ]
