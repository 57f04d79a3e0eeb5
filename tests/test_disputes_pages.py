"""The studio's side of disputes (Streamlit's AppTest, through app.py): the Agreement page
shows the one who settles everything the pair's review holds and clears the note after
settling; the kappa chart names each pair of annotators' shared pairs; the Export page
warns about disputed pairs with a link to Agreement; the settings page sets the rule."""

from __future__ import annotations

from semi_core.agreement import DecisionRule, decision_rule
from semi_core.review import decide
from semi_core.store import Store, content_id
from studio.tables import PASSED

from .conftest import code_blocks
from .test_app import metrics
from .test_app_part2 import open_page, plotly_charts, server_store, table_with, texts
from .test_export import add_pair

REWRITE = "def scale(x):\n    # doubled, then one less\n    return 2 * x - 1\n"
INPUTS = (("1", "1"), ("2", "3"), ("-4", "-9"))


def validated_pair(store: Store, name: str, number: int) -> str:
    """A validated pair whose rewrite differs from the original, with a test table: a
    validation run whose three tests the rewrite passed."""
    original = f"def {name}(x):\n    return x * {number} - 1\n"
    pair_id = add_pair(store, name, original, cases=INPUTS)
    store.update_generation(pair_id, f"Scale x by {number}, minus one.", REWRITE)
    runs = [{"test_case_id": content_id(pair_id, text), "side": "generated", "attempt": 1,
             "status": "ok", "output": expected, "duration_ms": 1.0}
            for text, expected in INPUTS]  # fmt: skip
    verdict = {"passed": 3, "usable": 3, "total": 3, "status": "validated"}
    store.record_validation("run2", pair_id, [], runs, verdict)
    return pair_id


def disputed_store(db_path) -> list[str]:
    """Two disputed pairs (notes on the votes) and one both annotators accepted: the
    disputed ones in the order the Agreement page lists them, then the accepted one."""
    with Store(db_path) as store:
        ids = [validated_pair(store, f"scale{n}", n) for n in (2, 3, 4)]
        for pair_id in ids[:2]:
            decide(store, pair_id, "alice", "reject", note="wrong for negatives")
            decide(store, pair_id, "bob", "accept", note="matches every test")
        decide(store, ids[2], "alice", "accept")
        decide(store, ids[2], "bob", "accept")
    return [*sorted(ids[:2]), ids[2]]


def note_box(app):
    [box] = [box for box in app.text_input if box.label == "Note (why)"]
    return box


def test_settling_clears_the_note_for_the_next_pair(monkeypatch, db_path):
    first, second, _ = disputed_store(db_path)
    app = open_page(monkeypatch, db_path, "pages/agreement.py", annotator="lead")
    assert app.selectbox(key="ag_pair").value == first
    note_box(app).input("the tests cover negatives").run()
    app.button(key="ag_accept").click().run()
    assert not app.exception, app.exception
    store = server_store(db_path)
    assert store.final_decisions() == {first: "accept"}
    [final] = [e for e in store.review_events(first) if (e["payload"] or {}).get("final")]
    assert final["note"] == "the tests cover negatives"
    assert app.selectbox(key="ag_pair").value == second  # the next one to settle
    assert note_box(app).value == ""  # not the note written for the first


def test_the_settle_view_shows_the_original_the_tests_and_each_vote_with_its_note(
    monkeypatch, db_path
):
    first, _, _ = disputed_store(db_path)
    app = open_page(monkeypatch, db_path, "pages/agreement.py", annotator="lead")
    assert app.selectbox(key="ag_pair").value == first
    original = server_store(db_path).pair(first)["original_code"]
    assert original.startswith("def scale") and original != REWRITE
    shown = [block for block, _ in code_blocks(app)]
    # the natural code beside the rewrite (st.code shows a text without its end's blanks)
    assert original.strip() in shown and REWRITE.strip() in shown
    votes = table_with(app, "annotator", "vote", "notes")
    assert votes.to_dict("records") == [
        {"annotator": "alice", "vote": "reject", "notes": "wrong for negatives"},
        {"annotator": "bob", "vote": "accept", "notes": "matches every test"},
    ]
    tests = table_with(app, "input", "expected", "actual", "status")
    assert list(tests["input"]) == ["1", "2", "-4"]
    assert list(tests["expected"]) == ["1", "3", "-9"] == list(tests["actual"])
    assert set(tests["status"]) == {"ok"}
    # Marked as in Review, and no empty columns for arguments no call changed.
    assert list(tests["result"]) == [PASSED] * 3 and "failing" not in tests.columns
    assert "expected args after" not in tests.columns
    assert "2 to settle, 0 settled" in texts(app.caption)


def test_the_kappa_chart_shows_the_shared_pairs_with_each_bar(monkeypatch, db_path):
    disputed_store(db_path)
    app = open_page(monkeypatch, db_path, "pages/agreement.py")
    figure = plotly_charts(app)["agreement_kappa"]
    (bars,) = figure["data"]
    assert bars["x"] == ["alice · bob (n=3)"] and bars["text"] == ["n=3"]
    assert figure["layout"]["yaxis"]["title"]["text"] == "Cohen's kappa"
    assert list(table_with(app, "kappa", "shared_pairs")["shared_pairs"]) == [3]


def preview(app) -> None:
    [button] = [b for b in app.button if b.label == "Preview export"]
    button.click().run()
    assert not app.exception, app.exception


def test_export_warns_about_disputed_pairs_and_links_to_agreement(monkeypatch, db_path):
    first, second, agreed = disputed_store(db_path)
    app = open_page(monkeypatch, db_path, "pages/export.py")
    preview(app)
    assert {m.label: int(m.value) for m in app.metric}["Pairs"] == 1
    [warning] = [w.value for w in app.warning if "dispute" in w.value]
    assert warning.startswith("2 pairs in dispute were left out")
    [link] = app.main.page_link
    assert link.proto.page == "agreement" and "Agreement" in link.proto.label
    # all validated pairs: they are in the file, no warning and no link
    app.selectbox(key="x_status").select("all")
    preview(app)
    assert not [w for w in app.warning if "dispute" in w.value] and not app.main.page_link


def test_settings_set_the_decision_rule(monkeypatch, db_path):
    disputed_store(db_path)
    app = open_page(monkeypatch, db_path, "pages/settings.py")
    app.selectbox(key="settings_decision_rule").select("majority")
    app.number_input(key="settings_majority_min_votes").set_value(2)
    [save] = [b for b in app.button if b.label == "Save the decision rule"]
    save.click().run()
    assert not app.exception, app.exception
    assert decision_rule(server_store(db_path)) == DecisionRule("majority", 2)
    assert "Decision rule saved" in texts(app.success)


def test_the_overview_counts_disputed_pairs_apart(monkeypatch, db_path):
    disputed_store(db_path)
    app = open_page(monkeypatch, db_path, "app.py")
    shown = metrics(app)
    assert (shown["Accepted"], shown["Rejected"], shown["Disputed"]) == ("1", "0", "2")
