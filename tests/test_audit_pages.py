"""Audit, assignment and agreement in the studio (AppTest): Overview draws an audit and
shows its share accepted with the 95% Wilson interval and each annotator's progress;
Review's Audit queue hides the verdict and the scores and records its decisions as the
audit's; Prompt and settings saves the overlap; Agreement shows kappa's n and interval.
Fixtures and helpers are those of tests/test_app.py."""

from __future__ import annotations

import pyarrow as pa

from semi_core.audit import audit_report, draw_audit
from semi_core.review import decide
from semi_core.store import Store

from . import test_app
from .test_app import metrics, review, server_store, shown_pair, start_app, table_with, texts
from .test_app_part2 import view
from .test_audit import fill

pairs_template = test_app.pairs_template
pairs_db = test_app.pairs_db


def test_overview_draws_an_audit_and_shows_the_share_accepted_with_its_interval(
    monkeypatch, db_path
):
    with Store(db_path) as store:
        fill(store)  # 60 validated pairs: 30 easy, 20 medium, 10 hard
    app = view(start_app(monkeypatch, db_path), "Audit", "overview_view")
    assert "No audit yet." in texts(app.caption)
    app.number_input(key="audit_n").set_value(10)
    app.number_input(key="audit_seed").set_value(7)
    app.button(key="FormSubmitter:audit_form-Draw an audit sample").click().run()
    assert not app.exception
    assert "Drew 10 of 60 validated pairs" in texts(app.success)
    store = server_store(db_path)
    (audit,) = store.audits()
    pairs = [item["generation_id"] for item in store.audit_items(audit["id"])]
    for n, pair in enumerate(pairs):
        decide(store, pair, f"person-{n % 2}", "accept" if n < 8 else "reject",
               audit=audit["id"])  # fmt: skip
    app.run()
    # 8 of 10 accepted: Wilson [0.4902, 0.9433], worked out in tests/test_audit.py.
    shown = metrics(app)
    assert shown["Accepted in the audit"] == "80.0%"
    assert shown["95% interval"] == "49.0% – 94.3%"
    assert shown["Decided"] == "10 of 10"
    table = table_with(app, "bucket", "share accepted", "95% interval")
    assert list(table["bucket"]) == ["easy", "hard", "medium", "all"]
    assert list(table["sampled"]) == [5, 2, 3, 10]
    # Progress: each person decided 5 pairs and holds no other.
    view(app, "Annotator activity", "overview_view")
    progress = table_with(app, "annotator", "done", "remaining", "rate_per_hour")
    assert list(progress["done"]) == [5, 5] and list(progress["remaining"]) == [0, 0]


def test_the_audit_queue_hides_the_verdict_and_the_scores(monkeypatch, pairs_db):
    with Store(pairs_db) as store:
        audit = draw_audit(store, 3, "bucket", seed=1)
        audited = {item["generation_id"] for item in store.audit_items(audit.id)}
    app = review(monkeypatch, pairs_db)
    assert {"Verdict", "Difficulty", "Test strength"} <= set(metrics(app))
    app.segmented_control(key="review_mode").set_value("Audit").run()
    assert not app.exception
    pair = shown_pair(app)
    assert pair in audited
    assert not {"Verdict", "Difficulty", "Test strength", "Tests passed"} & set(metrics(app))
    tests = table_with(app, "#", "input")
    assert not {"result", "status", "actual", "failing"} & set(tests.columns)
    assert not [b for b in app.button if b.key in ("rerun",)]  # a rerun shows a verdict
    assert "verdict, the scores and the test outcomes are hidden" in texts(app.caption)
    app.button(key="accept").click().run()
    assert not app.exception
    (event,) = [e for e in server_store(pairs_db).review_events(pair) if e["action"] == "accept"]
    assert event["payload"]["audit"] == audit.id and event["annotator"] == "ada"
    overall = audit_report(server_store(pairs_db), audit.id)["overall"]
    assert (overall["accepted"], overall["decided"]) == (1, 1)
    assert server_store(pairs_db).decisions(pair) == {"ada": "accept"}  # an ordinary one too


def test_the_settings_page_saves_the_overlap(monkeypatch, pairs_db):
    app = start_app(monkeypatch, pairs_db)
    app.switch_page("pages/settings.py").run()
    app.number_input(key="settings_overlap").set_value(0.1)
    app.button(key="FormSubmitter:overlap_form-Save the overlap").click().run()
    assert not app.exception
    assert server_store(pairs_db).overlap() == 0.1
    assert "10% of pairs go to two annotators" in texts(app.success)


def test_agreement_shows_each_kappa_with_its_n_and_interval(monkeypatch, db_path):
    with Store(db_path) as store:
        ids = fill(store)[:50]
        # The textbook table of tests/test_agreement.py: kappa 0.4, interval [0.146, 0.654].
        ada = ["accept"] * 25 + ["reject"] * 25
        bob = ["accept"] * 20 + ["reject"] * 5 + ["accept"] * 10 + ["reject"] * 15
        store.bulk_insert("review_events", pa.table({
            "generation_id": ids * 2, "annotator": ["ada"] * 50 + ["bob"] * 50,
            "action": ada + bob}))  # fmt: skip
    app = start_app(monkeypatch, db_path)
    app.switch_page("pages/agreement.py").run()
    assert not app.exception
    table = table_with(app, "n", "kappa 95% low", "kappa 95% high")
    row = table.iloc[0]
    assert (row["n"], row["kappa"], row["kappa 95% low"], row["kappa 95% high"]) == (
        50, 0.4, 0.146, 0.654)  # fmt: skip
