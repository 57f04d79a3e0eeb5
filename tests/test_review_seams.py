"""Where independent votes, disputes and sign-in meet (Streamlit's AppTest, through
app.py): settling on Agreement is a decision on the pair as it was drawn, so a verdict
that changed meanwhile refuses it; an annotator who may not settle sees the others' votes
on a disputed pair only once they have voted on it themselves; Review names a final
decision apart from the votes."""

from __future__ import annotations

from semi_core.agreement import settle
from semi_core.review import decide
from semi_core.store import Store, content_id

from . import test_app
from .conftest import run_semi
from .test_app import review, shown_pair
from .test_app_part2 import open_page, server_store, table_with, texts
from .test_app_signin import open_studio, sign_in
from .test_disputes_pages import INPUTS, disputed_store
from .test_review import accept_on_a_stale_then_the_current_verdict

pairs_template = test_app.pairs_template
pairs_db = test_app.pairs_db


def validate_again(db_path, pair_id: str) -> None:
    """A new validation of the pair (another tab, `semi validate`): its verdict changes."""
    runs = [{"test_case_id": content_id(pair_id, text), "side": "generated", "attempt": 1,
             "status": "wrong", "output": "0", "duration_ms": 1.0}
            for text, _ in INPUTS]  # fmt: skip
    verdict = {"passed": 0, "usable": 3, "total": 3, "status": "mismatch"}
    server_store(db_path).record_validation("run3", pair_id, [], runs, verdict)


def test_settling_a_pair_validated_again_since_it_was_shown_is_refused(monkeypatch, db_path):
    first, _, _ = disputed_store(db_path)
    app = open_page(monkeypatch, db_path, "pages/agreement.py", annotator="lead")
    assert app.selectbox(key="ag_pair").value == first
    validate_again(db_path, first)
    app.button(key="ag_accept").click().run()
    assert not app.exception, app.exception
    assert "validated again since it was shown" in texts(app.error)
    assert first not in server_store(db_path).final_decisions()
    app.button(key="ag_accept").click().run()  # drawn again: settled on what it shows now
    assert server_store(db_path).final_decisions() == {first: "accept"}


def test_an_annotator_sees_no_votes_on_a_dispute_they_have_not_voted_on(monkeypatch, db_path):
    first, second, _ = disputed_store(db_path)  # alice and bob disagree on both
    server_store(db_path).add_review_event(second, "ada", "reject")
    app = open_studio(monkeypatch, db_path)
    sign_in(app, "ada", "ada's password")
    app.switch_page("pages/agreement.py").run()
    assert not app.exception, app.exception
    listed = table_with(app, "pair", "decision")
    assert list(listed["pair"]) == [second]  # the one ada voted on, with every vote
    assert listed.iloc[0]["vote: alice"] == "reject" and listed.iloc[0]["vote: ada"] == "reject"
    assert "1 more disagreement is not listed" in texts(app.caption)
    admin = open_studio(monkeypatch, db_path)
    sign_in(admin, "lin", "lin's password")  # who settles sees every dispute
    admin.switch_page("pages/agreement.py").run()
    assert sorted(table_with(admin, "pair", "decision")["pair"]) == sorted([first, second])


def test_semi_settle_refuses_a_verdict_that_is_no_longer_current(db_path):
    first, _, _ = disputed_store(db_path)
    with Store(db_path) as store:  # closed before the commands open the file
        verdict_id = store.latest_verdict(first)["id"]
    accept_on_a_stale_then_the_current_verdict("settle", first, verdict_id, db_path)
    with Store(db_path) as store:
        assert store.final_decisions() == {first: "accept"}


def test_review_names_a_final_decision_apart_from_the_votes(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    pair_id = shown_pair(app)
    store = server_store(pairs_db)
    decide(store, pair_id, "ada", "reject")
    decide(store, pair_id, "bob", "accept")
    settle(store, pair_id, "lead", "accept")
    app.session_state["review_link"] = pair_id  # opened by a link: ada decided it
    app.run()
    assert not app.exception, app.exception
    assert shown_pair(app) == pair_id
    # Two votes and a settlement, not two accepts against one reject.
    assert "ada: reject · bob: accept · lead: final accept" in texts(app.caption)
    history = table_with(app, "annotator", "action")
    assert list(history["action"]) == ["reject", "accept", "final accept"]


def test_semi_history_names_a_final_decision(db_path):
    first, _, _ = disputed_store(db_path)
    with Store(db_path) as store:  # closed before the command opens the file
        settle(store, first, "lead", "accept")
    lines = run_semi("history", first, db=db_path).stdout.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "alice reject: wrong for negatives", "bob accept: matches every test", "lead final accept"
    ]  # fmt: skip
