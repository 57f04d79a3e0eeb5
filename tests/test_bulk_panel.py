"""Review's Bulk decision panel in AppTest: the page's filters previewed (a count and the
first pairs), confirmed, and undone as one, with the queue and the decision counts
following and the history showing the bulk; decided pairs left alone unless included; a
preview that no longer holds refused; the page's Undo taking a bulk back as one. Fixtures
and helpers are those of tests/test_app.py."""

from __future__ import annotations

from semi_core.review import decide

from . import test_app
from .test_app import open_box, review, server_store, shown_pair, table_with, texts

pairs_template = test_app.pairs_template
pairs_db = test_app.pairs_db


def queue_caption(app) -> str:
    return next((c.value for c in app.caption if "in your queue" in c.value), "")


def preview(app):
    app.button(key="bulk_preview_button").click().run()
    assert not app.exception
    return app


def bulk_table(app):
    return table_with(app, "bulk", "pairs", "undone")


def test_preview_confirm_and_undo_move_the_queue_and_the_counts_and_back(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    store = server_store(pairs_db)
    ids, total = store.review_queue_ids("ada", assigned=False)
    assert total == 5 and f"of {total} in your queue" in queue_caption(app)
    preview(open_box(app, "f_open"))
    assert f"**{total} pairs** would be accepted by you (no filter)" in texts(app.markdown)
    sample = table_with(app, "id", "test_strength", "instruction")
    assert list(sample["id"]) == ids
    assert store.review_events() == []  # a preview records nothing
    app.button(key="bulk_confirm").click().run()
    assert not app.exception
    assert store.decision_counts() == {"accept": total}
    (bulk,) = store.bulk_actions("ada")
    assert bulk["count"] == total and bulk["filters"] == {}  # the filters in force: none
    assert f"Bulk accept {bulk['id']}: {total} pairs accepted" in texts(app.success)
    assert "Nothing to review with these filters" in texts(app.info)  # the queue followed
    history = bulk_table(app)
    assert list(history["bulk"]) == [bulk["id"]] and list(history["pairs"]) == [total]
    app.button(key="bulk_undo").click().run()
    assert not app.exception
    assert store.decision_counts() == {}
    assert store.review_queue_ids("ada", assigned=False) == (ids, total)
    assert f"of {total} in your queue" in queue_caption(app)
    assert f"{total} decisions taken back" in texts(app.success)
    assert bulk_table(app)["undone"].notna().all()
    # Each pair's history shows the bulk and its undo.
    shown = shown_pair(app)
    assert ["accept (bulk 1)", "undo (bulk 1)"] == list(
        table_with(app, "annotator", "action")["action"]
    )
    assert shown in ids


def test_the_filters_and_decided_pairs_decide_what_a_bulk_takes(monkeypatch, pairs_db):
    store = server_store(pairs_db)
    ids, _ = store.review_queue_ids("ada", assigned=False)
    decide(store, ids[0], "bob", "reject")
    app = review(monkeypatch, pairs_db)
    name = store.pair(ids[1])["name"]
    app.session_state["f_search"] = name  # the page's own filter, as typed in its box
    preview(open_box(app.run(), "f_open"))
    assert list(table_with(app, "id", "test_strength", "instruction")["id"]) == [ids[1]]
    assert f"by you (text “{name}”)" in texts(app.markdown)
    app.radio(key="bulk_action").set_value("reject").run()
    assert "bulk_confirm" not in [b.key for b in app.button]  # of the accept: gone
    preview(app)  # the decision changed: previewed again
    app.button(key="bulk_confirm").click().run()
    assert store.decisions(ids[1]) == {"ada": "reject"}
    assert store.bulk_actions("ada")[0]["filters"] == {"search": name}
    assert store.decision_counts() == {"reject": 2}
    # Cleared, the filter takes every pair but the one bob decided...
    app.session_state["f_search"] = ""
    preview(app.run())
    taken = list(table_with(app, "id", "test_strength", "instruction")["id"])
    assert taken == ids[2:]
    # ...and with decided pairs included, bob's too (ada's own reject has nothing to change).
    app.checkbox(key="bulk_include_decided").check().run()
    preview(app)
    assert list(table_with(app, "id", "test_strength", "instruction")["id"]) == [ids[0], *ids[2:]]


def test_a_preview_that_no_longer_holds_is_refused(monkeypatch, pairs_db):
    app = preview(open_box(review(monkeypatch, pairs_db), "f_open"))
    store = server_store(pairs_db)
    ids, total = store.review_queue_ids("ada", assigned=False)
    decide(store, ids[0], "bob", "accept")  # meanwhile, in another tab
    app.button(key="bulk_confirm").click().run()
    assert f"now matches {total - 1} pairs, not the {total} previewed" in texts(app.error)
    assert store.bulk_actions() == [] and store.decisions(ids[0]) == {"bob": "accept"}


def test_the_pages_undo_takes_a_bulk_back_as_one(monkeypatch, pairs_db):
    app = preview(open_box(review(monkeypatch, pairs_db), "f_open"))
    store = server_store(pairs_db)
    app.button(key="bulk_confirm").click().run()
    assert store.decision_counts() == {"accept": 5}
    open_box(app, "f_open", False)
    app.button(key="undo_empty").click().run()  # the queue is empty: its Undo button
    assert not app.exception
    assert "Undid bulk accept 1 (5 pairs)" in texts(app.toast)
    assert store.decision_counts() == {}


def test_a_bulk_reject_carries_the_reasons_picked(monkeypatch, pairs_db):
    app = open_box(review(monkeypatch, pairs_db), "f_open")
    assert "bulk_reasons" not in [m.key for m in app.multiselect]  # an accept has none
    app.radio(key="bulk_action").set_value("reject").run()
    app.multiselect(key="bulk_reasons").set_value(["trivial", "duplicate"]).run()
    preview(app)
    assert "would be rejected by you for: trivial, duplicate" in texts(app.markdown)
    app.button(key="bulk_confirm").click().run()
    store = server_store(pairs_db)
    events = store.review_events()
    assert len(events) == 5
    assert {tuple(e["reasons"]) for e in events} == {("trivial", "duplicate")}
