"""The rows behind the studio's newer charts, checked against the store: pairs as points,
a run's verdicts over time, failures by source, annotators' throughput, and the pairs
behind a histogram's bar or a failure kind's bar."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pyarrow as pa
import pytest

from semi_core import insights
from semi_core.demo import load_demo
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.review import decide
from semi_core.store import Store


@pytest.fixture(scope="module")
def run_store(tmp_path_factory):
    """The demo, twelve pairs from the simulated backend (some mistakes: failures) with
    test strength measured, validated and ranked."""
    path = tmp_path_factory.mktemp("chart_data") / "run.duckdb"
    with Store(path) as store:
        load_demo(store)
        settings = PipelineSettings(limit=12, inputs_per_pair=4, backend="simulated",
                                    mistake_rate=0.5)  # fmt: skip
        result = run_pipeline(store, settings)
        assert result.state == "done"
    return path, result.run_id


def current(store: Store) -> list[dict]:
    return store.pair_overview()


def test_pairs_as_points_with_their_instruction_capped_by_a_repeatable_sample(run_store):
    path, _ = run_store
    with Store(path) as store:
        ranked = [r for r in current(store) if r["verdict_status"] == "validated"
                  and r["difficulty"] is not None and r["test_strength"] is not None]  # fmt: skip
        assert len(ranked) >= 4
        points, total = insights.pair_points(store, limit=1000)
        assert total == len(points) == len(ranked)
        by_id = {r["id"]: r for r in ranked}
        for point in points:
            pair = by_id[point["pair"]]
            assert (point["difficulty"], point["test_strength"]) == (
                pair["difficulty"], pair["test_strength"])  # fmt: skip
            instruction = store.pair(point["pair"])["instruction"]
            assert point["instruction"] == instruction[:120]
        few, total = insights.pair_points(store, limit=3)
        assert len(few) == 3 and total == len(ranked)
        assert insights.pair_points(store, limit=3)[0] == few  # the same sample each time
        assert {p["pair"] for p in few} <= set(by_id)


def test_a_runs_verdicts_over_time_are_running_totals_per_status(run_store):
    path, run_id = run_store
    with Store(path) as store:
        stored = Counter(
            status for (status,) in store.cursor().execute(
                "SELECT status FROM verdicts WHERE run_id = ?", [run_id]).fetchall()
        )  # fmt: skip
        rows = insights.verdict_timeline(store, run_id, steps=10)
        assert len({r["at"] for r in rows}) <= 11
        for status, count in stored.items():
            line = [r["verdicts"] for r in rows if r["status"] == status]
            assert line == sorted(line) and line[-1] == count  # never dips; ends at the total
        assert insights.verdict_timeline(store, "no such run") == []


def test_failures_by_source_add_up_to_the_failure_groups(run_store):
    path, _ = run_store
    with Store(path) as store:
        rows = insights.failure_kinds_by_source(store)
        groups = insights.failure_groups(store)
        assert sum(r["count"] for r in rows) == sum(g["count"] for g in groups) > 0
        by_kind = Counter()
        for g in groups:
            by_kind[g["stage"], g["kind"]] += g["count"]
        drawn = Counter()
        for r in rows:
            drawn[r["stage"], r["kind"]] += r["count"]
        assert drawn == by_kind
        sources = {s["source"] for s in store.snippets(limit=10_000)}
        assert {r["source"] for r in rows} <= sources


def test_a_kinds_failures_are_every_group_of_that_kind(run_store):
    path, _ = run_store
    with Store(path) as store:
        groups = insights.failure_groups(store)
        stage, kind = groups[0]["stage"], groups[0]["kind"]
        members, total = insights.failure_members(store, stage, kind, None)
        assert total == sum(g["count"] for g in groups if (g["stage"], g["kind"]) == (stage, kind))
        assert len(members) == total and {m["kind"] for m in members} == {kind}
        assert insights.failure_members(store, stage, kind, None, limit=1)[1] == total
        # one source's share of the kind: as failures by source counts it
        for row in insights.failure_kinds_by_source(store):
            if (row["stage"], row["kind"]) == (stage, kind):
                found, n = insights.failure_members(store, stage, kind, None, 1000, row["source"])
                assert n == len(found) == row["count"]


def test_the_pairs_behind_a_histogram_bar_are_those_the_bar_counts(run_store):
    path, _ = run_store
    with Store(path) as store:
        bins = insights.distributions(store, {"difficulty": 5}, True)["difficulty"]["bins"]
        per_bin = Counter()
        for row in bins:
            per_bin[row["bin"]] += row["pairs"]
        for bin_, count in per_bin.items():
            rows, total = store.validated_pairs(difficulty_bins=[bin_], bins=5)
            assert total == count
            low = min(r["low"] for r in bins if r["bin"] == bin_)
            high = max(r["high"] for r in bins if r["bin"] == bin_)
            assert all(low - 1e-4 <= r["difficulty"] <= high + 1e-4 for r in rows)
        both = store.validated_pairs(difficulty_bins=list(per_bin), bins=5)[1]
        assert both == sum(per_bin.values())


def test_throughput_counts_decisions_per_annotator_per_step(run_store, tmp_path):
    path, _ = run_store
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(path.read_bytes())
    with Store(copy) as store:
        assert insights.annotator_throughput(store) == ([], "minute")
        ids = [r["id"] for r in current(store) if r["verdict_status"] == "validated"][:3]
        decide(store, ids[0], "ada", "accept")
        decide(store, ids[1], "ada", "reject")
        decide(store, ids[2], "bob", "skip")
        # a day earlier: the events span more than two hours, so hours are the step
        earlier = datetime.now() - timedelta(days=1)
        store.bulk_insert("review_events", pa.table({
            "id": [10_000], "generation_id": [ids[0]], "annotator": ["bob"],
            "action": ["accept"], "note": [None], "payload": [None], "created_at": [earlier],
        }))  # fmt: skip
        rows, unit = insights.annotator_throughput(store)
        assert unit == "hour"
        per = Counter()
        for r in rows:
            per[r["annotator"], r["action"]] += r["events"]
        assert per == {("ada", "accept"): 1, ("ada", "reject"): 1, ("bob", "skip"): 1,
                       ("bob", "accept"): 1}  # fmt: skip
        assert len({r["at"] for r in rows if r["annotator"] == "bob"}) == 2
    assert [insights.throughput_unit(s) for s in (60, 3 * 3600, 4 * 86400)] == [
        "minute", "hour", "day"]  # fmt: skip
    with pytest.raises(ValueError, match="unit must be one of"):
        Store(copy).decisions_over_time("week")
