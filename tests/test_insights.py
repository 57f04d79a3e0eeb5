"""The numbers behind the studio's charts, checked against the store."""

from __future__ import annotations

from semi_core import insights
from semi_core.demo import load_demo
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.review import decide
from semi_core.store import Store


def test_empty_store(tmp_path):
    with Store(tmp_path / "e.duckdb") as store:
        assert [r["count"] for r in insights.funnel(store)] == [0] * 6
        assert all(v is None for v in insights.rates(store).values())
        assert insights.summaries(store)["difficulty"]["count"] == 0
        assert insights.failure_groups(insights.failure_rows(store)) == []
        assert insights.annotator_activity(store) == []


def test_numbers_match_the_store(tmp_path):
    with Store(tmp_path / "d.duckdb") as store:
        load_demo(store)
        run_pipeline(store, PipelineSettings(limit=4, inputs_per_pair=4, test_strength=False))
        counts = store.counts()
        f = {r["stage"]: r["count"] for r in insights.funnel(store)}
        assert f["snippets"] == counts.entities["snippets"]
        assert f["usable"] == counts.by_status["snippets"]["usable"]
        assert f["generated"] == counts.by_status["generations"].get("ok", 0) == 4
        pairs = insights.ranked_pairs(store)
        assert len(pairs) == f["validated"] == counts.by_status["verdicts"].get("validated", 0)
        assert sum(b["pairs"] for b in insights.bucket_counts(pairs)) == len(pairs)
        assert sum(r["pairs"] for r in insights.source_breakdown(pairs)) == len(pairs)
        assert all(p["bucket"] in ("easy", "medium", "hard") for p in pairs)
        decide(store, pairs[0]["pair"], "ada", "accept")
        decide(store, pairs[1]["pair"], "ada", "reject")
        f = {r["stage"]: r["count"] for r in insights.funnel(store)}
        assert (f["accepted"], f["rejected"]) == (1, 1)
        assert insights.rates(store)["accepted / decided"] == 0.5
        activity = insights.annotator_activity(store)
        assert activity[0]["annotator"] == "ada" and activity[0]["pairs"] == 2
        # rejected demo snippets are ingest failures, grouped by reason
        rows = insights.failure_rows(store)
        ingest = [r for r in rows if r["stage"] == "ingest"]
        assert len(ingest) == sum(
            n for k, n in counts.by_status["snippets"].items() if k != "usable"
        )
        groups = insights.failure_groups(rows)
        assert sum(g["count"] for g in groups) == len(rows)


def test_failure_kinds_from_verdict_signals():
    # the grouping reads the verdict's own words: exception types and refusal reasons
    assert insights._detail("Traceback ... ZeroDivisionError: division by zero") == (
        "ZeroDivisionError"
    )
    assert insights._refusal("the sandbox refused the rewrite: import of os is not allowed") == (
        "import of os is not allowed"
    )
