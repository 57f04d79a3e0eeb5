"""Reject reasons and guidelines in the studio (AppTest): reasons picked on Review (from
the list, or by their keys) are stored with the reject, shown in the history, found by
the filter and written by the `full` export; guidelines saved on Prompt and settings
become versions and show beside the pair (in the sidebar, folded); the reason list is
edited there; Failures counts the rejects per reason. Fixtures and helpers are those of
tests/test_app.py."""

from __future__ import annotations

from semi_core import guidelines
from semi_core.export import ExportOptions, export

from . import test_app
from .test_app import open_box, review, server_store, shown_pair, texts
from .test_app_part2 import open_page, plotly_charts, view
from .test_export import read_records

pairs_template = test_app.pairs_template
pairs_db = test_app.pairs_db
RULES = "# Review rules\n\n- Reject an instruction that names no **input**.\n"


def review_events(db_path) -> list[dict]:
    return server_store(db_path).review_events()


def test_reasons_picked_on_review_go_with_the_reject_into_the_full_export(
    monkeypatch, pairs_db, tmp_path
):
    app = review(monkeypatch, pairs_db)
    first = shown_pair(app)
    assert app.multiselect(key="review_reasons").options == [
        f"{n} · {name}" for n, name in enumerate(guidelines.DEFAULT_REASONS, 1)
    ]
    # a reason picked from the list, others by their keys (a key's button: its shortcut's action)
    app.multiselect(key="review_reasons").set_value(["trivial"]).run()
    app.button(key="reason_key_6").click().run()  # 6 · unsafe
    app.button(key="reason_key_4").click().run()  # 4 · trivial again: off
    app.button(key="reason_key_5").click().run()  # 5 · duplicate
    assert app.multiselect(key="review_reasons").value == ["unsafe", "duplicate"]
    app.button(key="reject").click().run()
    assert not app.exception
    last = review_events(pairs_db)[-1]
    assert (last["action"], last["generation_id"]) == ("reject", first)
    assert last["reasons"] == ["duplicate", "unsafe"]

    # the next pair starts with no reason picked; reasons picked, then an accept: the
    # accept carries none
    second = shown_pair(app)
    assert app.multiselect(key="review_reasons").value == []
    app.button(key="reason_key_1").click().run()
    app.button(key="accept").click().run()
    assert not app.exception
    assert (review_events(pairs_db)[-1]["action"], review_events(pairs_db)[-1]["reasons"]) == (
        "accept", [])  # fmt: skip

    # the filter by reason finds the reject, decided as it is, and its history shows them
    app.session_state["f_reason"] = "unsafe"
    app.run()
    assert shown_pair(app) == first
    history = next(d.value for d in app.dataframe if "reasons" in d.value.columns)
    assert list(history["reasons"]) == ["duplicate, unsafe"]
    app.session_state["f_reason"] = "trivial"
    app.run()
    assert "Nothing to review with these filters" in texts(app.info)

    out = tmp_path / "full.jsonl"
    export(server_store(pairs_db), out, ExportOptions(status="all", schema="full", humaneval=False,
                                                      dedup=False))  # fmt: skip
    records = {r["id"]: r["provenance"]["review"] for r in read_records(out)}
    assert records[first]["reject_reasons"] == "ada: duplicate, unsafe"
    assert records[second] == {"decision": "accept", "decisions": "ada: accept",
                               "reject_reasons": ""}  # fmt: skip


def test_guidelines_saved_in_settings_show_folded_beside_the_pair(monkeypatch, pairs_db):
    app = open_page(monkeypatch, pairs_db, "pages/settings.py", annotator="lin")
    app.text_area(key="settings_guidelines").input(RULES).run()
    assert RULES.strip() in [m.value.strip() for m in app.markdown]  # the preview
    app.button(key="settings_save_guidelines").click().run()
    assert "Saved guidelines version 1." in texts(app.success)
    app.text_area(key="settings_guidelines").input(RULES + "- Unsafe code: reject.\n").run()
    app.button(key="settings_save_guidelines").click().run()
    assert "Saved guidelines version 2." in texts(app.success)
    store = server_store(pairs_db)
    assert [(v["version"], v["author"]) for v in guidelines.versions(store)] == [
        (2, "lin"), (1, "lin")]  # fmt: skip
    versions = next(d.value for d in app.dataframe if "characters" in d.value.columns)
    assert list(versions["version"]) == [2, 1]
    # saving the same text again makes no version
    app.button(key="settings_save_guidelines").click().run()
    assert "unchanged" in texts(app.error) and len(guidelines.versions(store)) == 2

    app.switch_page("pages/review.py").run()
    assert not app.exception
    assert not any("Unsafe code" in m.value for m in app.sidebar.markdown)  # folded
    open_box(app, "guidelines_open")
    shown = [m.value.strip() for m in app.sidebar.markdown]
    assert RULES.strip() + "\n- Unsafe code: reject." in shown
    assert "Version 2 · lin" in texts(app.sidebar.caption)


def test_the_reason_list_is_edited_in_settings_and_used_on_review(monkeypatch, pairs_db):
    app = open_page(monkeypatch, pairs_db, "pages/settings.py")
    app.text_area(key="settings_reasons").input("off topic\nunsafe, really\n")
    app.button(key="FormSubmitter:reasons_form-Save the reasons").click().run()
    assert "comma or a semicolon" in texts(app.error)
    assert guidelines.reasons(server_store(pairs_db)) == list(guidelines.DEFAULT_REASONS)
    app.text_area(key="settings_reasons").input("off topic\n\nunsafe\n")
    app.button(key="FormSubmitter:reasons_form-Save the reasons").click().run()
    assert "Saved 2 reject reasons." in texts(app.success)
    assert guidelines.reasons(server_store(pairs_db)) == ["off topic", "unsafe"]

    app.switch_page("pages/review.py").run()
    app.sidebar.text_input(key="annotator").input("ada").run()
    pair = shown_pair(app)
    assert app.multiselect(key="review_reasons").options == ["1 · off topic", "2 · unsafe"]
    app.button(key="reason_key_1").click().run()
    app.button(key="reject").click().run()
    last = review_events(pairs_db)[-1]
    assert (last["generation_id"], last["reasons"]) == (pair, ["off topic"])


def test_failures_counts_the_rejects_per_reason(monkeypatch, pairs_db):
    store = server_store(pairs_db)
    pairs = store.review_queue_ids("ada")[0]
    from semi_core.review import decide

    decide(store, pairs[0], "ada", "reject", reasons=["trivial", "unsafe"])
    decide(store, pairs[1], "ada", "reject", reasons=["trivial"])
    decide(store, pairs[1], "bob", "reject", reasons=["trivial"])
    decide(store, pairs[2], "ada", "accept")
    app = open_page(monkeypatch, pairs_db, "pages/failures.py")
    assert "failures_reasons" not in plotly_charts(app)  # drawn when its tab is opened
    app = view(app, "Reject reasons", "fail_view")
    [bars] = plotly_charts(app)["failures_reasons"]["data"]
    assert (bars["x"], bars["y"]) == (["trivial", "unsafe"], [3, 1])
    assert bars["customdata"] == [[2], [1]]  # pairs
