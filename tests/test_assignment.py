"""Assignment with overlap on a real DuckDB file: each annotator's queue holds pairs nobody
else holds; with an overlap share, that share of pairs goes to two annotators, blind to
each other; annotators may join at any time; progress per annotator."""

from __future__ import annotations

import pyarrow as pa
import pytest

from semi_core.assignment import overlap_place, progress, set_overlap
from semi_core.review import decide, history, may_see_votes
from semi_core.store import Store


def fill(store: Store, pairs: int) -> list[str]:
    """`pairs` usable generations (no verdicts: assignment does not read them)."""
    ids = [f"pair-{n:05d}" for n in range(pairs)]
    store.bulk_insert("snippets", pa.table({
        "id": [f"s{n}" for n in range(pairs)], "source": ["src"] * pairs,
        "path": ["m.py"] * pairs, "kind": ["function"] * pairs,
        "code": [f"def f{n}():\n    return {n}\n" for n in range(pairs)],
    }))  # fmt: skip
    store.bulk_insert("generations", pa.table({
        "id": ids, "snippet_id": [f"s{n}" for n in range(pairs)],
        "backend": ["offline"] * pairs, "status": ["ok"] * pairs,
        "instruction": ["Return a number."] * pairs, "code": ["def f():\n    return 1\n"] * pairs,
    }))  # fmt: skip
    return ids


def work_through(store: Store, annotators: tuple[str, ...]) -> dict[str, set[str]]:
    """Each annotator in turn reads their queue and rejects every pair in it, until every
    queue is empty; returns the pairs each one was given."""
    given: dict[str, set[str]] = {name: set() for name in annotators}
    while True:
        served = False
        for name in annotators:
            ids, _total = store.review_queue_ids(name)
            assert not given[name] & set(ids), "a decided pair came back"
            given[name] |= set(ids)
            if ids:
                served = True
                store.bulk_insert("review_events", pa.table({
                    "generation_id": ids, "annotator": [name] * len(ids),
                    "action": ["reject"] * len(ids)}))  # fmt: skip
        if not served:
            return given


def test_with_no_overlap_two_annotators_never_get_the_same_pair(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        ids = fill(store, 300)
        given = work_through(store, ("ada", "bob"))
        assert not given["ada"] & given["bob"]
        assert given["ada"] | given["bob"] == set(ids)
        assert given["ada"] and given["bob"]  # shared out, not all taken by the first


def test_with_overlap_a_tenth_of_pairs_go_to_both_blind(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        ids = fill(store, 2000)
        assert set_overlap(store, 0.1) == 0.1
        given = work_through(store, ("ada", "bob"))
        both = given["ada"] & given["bob"]
        assert given["ada"] | given["bob"] == set(ids)
        # Exactly the pairs the rule puts in the overlap share: about 10% of them.
        assert both == {pair for pair in ids if overlap_place(pair) < 0.1}
        assert 0.08 * len(ids) <= len(both) <= 0.12 * len(ids)


def test_an_overlap_pair_is_blind_until_each_has_decided(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        fill(store, 40)
        set_overlap(store, 1.0)  # every pair goes to two annotators
        first = store.review_queue_ids("ada")[0][0]
        decide(store, first, "ada", "reject", "wrong spec")
        assert first in store.review_queue_ids("bob")[0]
        assert not may_see_votes(history(store, first), "bob")  # ada's vote hidden
        assert first not in store.review_queue_ids("cy")[0]  # two hold it already
        decide(store, first, "bob", "reject")
        assert may_see_votes(history(store, first), "bob")
        assert store.holders(first) == {first: ["ada", "bob"]}


def test_late_annotators_get_only_free_pairs_and_a_decision_holds_its_pair(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        ids = fill(store, 60)
        ada = set(store.review_queue_ids("ada")[0])
        assert len(ada) == 20
        late = set(store.review_queue_ids("cy")[0])
        assert late and not late & ada
        # A pair decided from a link (not from the queue) is held by who decided it.
        outside = next(i for i in ids if i not in ada | late)
        decide(store, outside, "dan", "reject")
        assert outside not in store.review_queue_ids("eve", limit=100)[0]


def test_progress_counts_done_remaining_and_the_rate_over_active_time(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        ids = fill(store, 60)
        held = store.review_queue_ids("ada")[0]
        assert len(held) == 20
        # Three decisions a minute apart, then a day's pause, then one more a minute later.
        times = ["2026-01-01 10:00:00", "2026-01-01 10:01:00", "2026-01-01 10:02:00",
                 "2026-01-02 10:00:00", "2026-01-02 10:01:00"]  # fmt: skip
        store.bulk_insert("review_events", pa.table({
            "generation_id": held[:5], "annotator": ["ada"] * 5,
            "action": ["accept", "reject", "skip", "accept", "reject"],
            "created_at": pa.array(times).cast(pa.timestamp("us"))}))  # fmt: skip
        (row,) = progress(store)
        # done: 4 votes (a skip is none); remaining: 20 held - 4 voted; the day's pause
        # counts 10 minutes: 5 decisions over 2 + 10 + 1 = 13 minutes.
        assert (row["annotator"], row["done"], row["remaining"], row["decisions"]) == (
            "ada", 4, 16, 5)  # fmt: skip
        assert row["rate_per_hour"] == pytest.approx(5 / (13 / 60), abs=0.1)
        assert store.unassigned_pairs() == len(ids) - 20
        # A bulk action's events, all written at once, are done but are no pace.
        store.bulk_insert("review_events", pa.table({
            "generation_id": held[5:7], "annotator": ["ada"] * 2, "action": ["accept"] * 2,
            "bulk_id": [1, 1], "created_at": pa.array(["2026-01-02 10:01:30"] * 2).cast(
                pa.timestamp("us"))}))  # fmt: skip
        (row,) = progress(store)
        assert (row["done"], row["decisions"]) == (6, 5)
        assert row["rate_per_hour"] == pytest.approx(5 / (13 / 60), abs=0.1)


def test_the_overlap_setting_refuses_a_share_outside_0_to_1(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        with pytest.raises(ValueError, match="from 0 to 1"):
            set_overlap(store, 1.5)
        assert store.overlap() == 0.0


def test_a_queue_read_unassigned_lists_every_matching_pair_and_claims_nothing(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        ids = fill(store, 30)
        assert store.review_queue_ids("bob")[0]  # bob holds some
        assert store.review_queue_ids("ada", assigned=False) == (ids, 30)
        assert [row["id"] for row in store.review_queue("ada", assigned=False)] == ids
        assert "ada" not in {name for held in store.holders().values() for name in held}
