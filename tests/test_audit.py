"""Audit sampling on a real DuckDB file and through the `semi` command: a stratified,
seeded sample of the validated pairs, decided blind, and the share people accept with its
95% Wilson interval, checked against numbers worked out by hand."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from semi_core.audit import AuditError, allocate, audit_report, draw_audit, wilson_interval
from semi_core.review import decide
from semi_core.store import Store

from .conftest import run_semi

BUCKETS = ["easy"] * 30 + ["medium"] * 20 + ["hard"] * 10


def fill(store: Store) -> list[str]:
    """60 validated pairs (30 easy, 20 medium, 10 hard; two sources) and 10 mismatches."""
    n = len(BUCKETS) + 10
    ids = [f"pair-{i:03d}" for i in range(n)]
    store.bulk_insert("snippets", pa.table({
        "id": [f"s{i}" for i in range(n)], "source": [f"src-{i % 2}" for i in range(n)],
        "path": ["m.py"] * n, "kind": ["function"] * n,
        "code": [f"def f{i}():\n    return {i}\n" for i in range(n)],
    }))  # fmt: skip
    store.bulk_insert("generations", pa.table({
        "id": ids, "snippet_id": [f"s{i}" for i in range(n)], "backend": ["offline"] * n,
        "status": ["ok"] * n, "instruction": ["Return it."] * n, "code": ["x = 1\n"] * n,
    }))  # fmt: skip
    buckets = BUCKETS + ["easy"] * 10
    store.bulk_insert("verdicts", pa.table({
        "id": [f"v{i}" for i in range(n)], "generation_id": ids, "run_id": ["run"] * n,
        "passed": [3] * n, "usable": [3] * n, "total": [3] * n,
        "status": ["validated"] * len(BUCKETS) + ["mismatch"] * 10,
        "signals": [json.dumps({"rank": {"bucket": b}}) for b in buckets],
        "difficulty": [0.5] * n,
    }))  # fmt: skip
    return ids


def test_wilson_interval_against_hand_computed_values():
    # 8 of 10: p = 0.8, z² = 3.8415; centre (0.8 + 0.19207) / 1.38415 = 0.71674,
    # half-width 1.96 · sqrt(0.016 + 0.009604) / 1.38415 = 0.22658.
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    low, high = wilson_interval(0, 5)  # none of 5: [0, z² / (n + z²)] = [0, 0.4345]
    assert (low, round(high, 4)) == (0.0, 0.4345)
    assert wilson_interval(0, 0) is None


def test_allocation_is_proportional_with_one_per_stratum_when_possible():
    assert allocate({"easy": 30, "medium": 20, "hard": 10}, 10) == {
        "easy": 5, "medium": 3, "hard": 2}  # fmt: skip
    assert allocate({"a": 50, "b": 45, "c": 5}, 3) == {"a": 1, "b": 1, "c": 1}
    assert allocate({"a": 50, "b": 45, "c": 5}, 2) == {"a": 1, "b": 1, "c": 0}
    assert allocate({"a": 3, "b": 1}, 10) == {"a": 3, "b": 1}  # never more than there are


def test_an_audit_is_a_seeded_stratified_sample_of_validated_pairs(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        ids = fill(store)
        audit = draw_audit(store, 10, "bucket", seed=7)
        assert (audit.population, audit.strata) == (60, {"easy": 5, "medium": 3, "hard": 2})
        items = store.audit_items(audit.id)
        assert len(items) == 10 and {i["generation_id"] for i in items} <= set(ids[:60])
        for item in items:  # each pair in its own stratum
            assert BUCKETS[ids.index(item["generation_id"])] == item["stratum"]
        again = draw_audit(store, 10, "bucket", seed=7)
        assert (again.id, again.new) == (audit.id, False)  # the same draw
        assert len(store.audits()) == 1
        other = draw_audit(store, 10, "bucket", seed=8)
        assert other.id != audit.id
        assert {i["generation_id"] for i in store.audit_items(other.id)} != {
            i["generation_id"] for i in items}  # fmt: skip
        by_source = draw_audit(store, 4, "source", seed=7)
        assert by_source.strata == {"src-0": 2, "src-1": 2}


def test_an_audit_needs_validated_pairs_and_a_size_of_one_at_least(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        with pytest.raises(AuditError, match="no validated pairs"):
            draw_audit(store, 5)
        fill(store)
        with pytest.raises(AuditError, match="at least 1"):
            draw_audit(store, 0)
        with pytest.raises(AuditError, match="unknown stratification"):
            draw_audit(store, 5, "colour")


def test_the_audit_share_counts_blind_audit_decisions_with_a_wilson_interval(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        fill(store)
        audit = draw_audit(store, 10, "bucket", seed=7)
        pairs = [i["generation_id"] for i in store.audit_items(audit.id)]
        for n, pair in enumerate(pairs):
            decide(store, pair, f"person-{n % 3}", "accept" if n < 8 else "reject",
                   audit=audit.id)  # fmt: skip
        # A decision made outside the audit counts as a decision, not in the audit.
        decide(store, pairs[8], "outsider", "accept")
        report = audit_report(store)
        overall = report["overall"]
        assert (overall["accepted"], overall["decided"], overall["sampled"]) == (8, 10, 10)
        assert overall["share"] == 0.8 and overall["interval"] == [0.4902, 0.9433]
        assert sum(row["decided"] for row in report["strata"]) == 10
        assert {row["stratum"] for row in report["strata"]} == {"easy", "medium", "hard"}
        # The audit's decisions are ordinary decisions too.
        assert store.decision_counts() == {"accept": 8, "disputed": 1, "reject": 1}
        # Two audit votes that differ split the pair: it leaves the decided count.
        decide(store, pairs[0], "second", "reject", audit=audit.id)
        overall = audit_report(store)["overall"]
        assert (overall["accepted"], overall["decided"], overall["split"]) == (7, 9, 1)


def test_the_audit_queue_offers_each_pair_until_someone_has_judged_it_blind(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        fill(store)
        audit = draw_audit(store, 6, "bucket", seed=2)
        pairs = sorted(i["generation_id"] for i in store.audit_items(audit.id))
        # Held and decided outside the audit (seeing the verdict): still to judge blind.
        assert pairs[0] in store.review_queue_ids("outsider", search=pairs[0])[0]
        decide(store, pairs[0], "outsider", "accept")
        assert pairs[0] in store.review_queue_ids("ada", audit=audit.id)[0]
        decide(store, pairs[0], "ada", "accept", audit=audit.id)
        queue, total = store.review_queue_ids("bob", audit=audit.id)
        assert pairs[0] not in queue and (set(queue), total) == (set(pairs[1:]), 5)


def test_semi_audit_and_stats_report_the_share_and_its_interval(tmp_path, db_path):
    empty = run_semi("audit", "--sample", "5", db=db_path)
    assert empty.returncode == 1 and "no validated pairs" in empty.stderr
    with Store(db_path) as store:
        fill(store)
    zero = run_semi("audit", "--sample", "0", db=db_path)
    assert zero.returncode == 1 and "at least 1" in zero.stderr
    drawn = run_semi("audit", "--sample", "10", "--by", "bucket", "--seed", "3", "--json",
                     db=db_path)  # fmt: skip
    assert drawn.returncode == 0, drawn.stderr
    drawn = json.loads(drawn.stdout)
    assert drawn["sampled"] == 10 and drawn["strata"] == {"easy": 5, "medium": 3, "hard": 2}
    queue = run_semi("queue", "--audit", "--annotator", "ada", "--json", db=db_path)
    assert queue.returncode == 0, queue.stderr
    rows = json.loads(queue.stdout)
    assert rows and all(set(row) == {"id", "name", "audit", "my_decision"} for row in rows)
    for n, row in enumerate(rows[:4]):
        decision = "accept" if n < 3 else "reject"
        result = run_semi("review", row["id"], decision, "--audit", drawn["id"],
                          "--annotator", "ada", db=db_path)  # fmt: skip
        assert result.returncode == 0, result.stderr
    outside = run_semi("review", rows[0]["id"], "accept", "--audit", "audit-nope",
                       "--annotator", "ada", db=db_path)  # fmt: skip
    assert outside.returncode == 1 and "is not in audit 'audit-nope'" in outside.stderr
    stats = json.loads(run_semi("stats", "--json", db=db_path).stdout)
    overall = stats["audit"]["overall"]
    # 3 of 4: p = 0.75, z²/n = 0.9604; centre 1.2302 / 1.9604 = 0.6275, half-width
    # 1.96 · sqrt(0.046875 + 0.060023) / 1.9604 = 0.3269: [0.3006, 0.9544].
    assert (overall["accepted"], overall["decided"], overall["sampled"]) == (3, 4, 10)
    assert overall["interval"] == [0.3006, 0.9544]
    assert stats["annotators"][0]["annotator"] == "ada" and stats["annotators"][0]["done"] == 4
    text = run_semi("stats", db=db_path)
    assert "share people accept" in text.stdout


def test_semi_overlap_sets_the_share_of_pairs_two_annotators_get(db_path):
    assert json.loads(run_semi("overlap", "--json", db=db_path).stdout) == {"overlap": 0.0}
    assert run_semi("overlap", "0.1", db=db_path).returncode == 0
    assert json.loads(run_semi("overlap", "--json", db=db_path).stdout) == {"overlap": 0.1}
    wrong = run_semi("overlap", "2", db=db_path)
    assert wrong.returncode == 1 and "from 0 to 1" in wrong.stderr
