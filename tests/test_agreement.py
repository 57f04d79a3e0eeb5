"""Agreement between annotators: kappa against known values, and final decisions that
settle a disagreement and win in the store's counts."""

from __future__ import annotations

import pytest

from semi_core.agreement import agreement_table, cohen_kappa, disagreements, settle, votes_by_pair
from semi_core.demo import load_demo
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.review import ReviewError, decide, undo_last
from semi_core.store import MIGRATIONS, Store


def test_kappa_textbook_example():
    # 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> p_o 0.7, p_e 0.5, kappa 0.4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_kappa_edges():
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["a", "a"], ["a", "a"]) == 1.0  # one label throughout, all agree
    assert cohen_kappa(["a", "b"], ["b", "a"]) == pytest.approx(-1.0)
    assert cohen_kappa(["a", "b", "a", "b"], ["a", "b", "a", "b"]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        cohen_kappa(["a"], [])


def test_agreement_table_counts_shared_pairs_only():
    votes = {
        "p1": {"ada": "accept", "bob": "accept", "cy": "reject"},
        "p2": {"ada": "reject", "bob": "accept"},
        "p3": {"ada": "accept"},
    }
    table = {(row.first, row.second): row for row in agreement_table(votes)}
    assert set(table) == {("ada", "bob"), ("ada", "cy"), ("bob", "cy")}
    ab = table["ada", "bob"]
    assert (ab.shared, ab.agreed, ab.percent) == (2, 1, 50.0)
    # ada: accept, reject; bob: accept, accept -> p_o 0.5, p_e 0.5, kappa 0
    assert ab.kappa == pytest.approx(0.0)
    assert table["ada", "cy"].to_dict()["percent_agreement"] == 0.0


@pytest.fixture(scope="module")
def pair_ids(tmp_path_factory):
    path = tmp_path_factory.mktemp("agree") / "a.duckdb"
    with Store(path) as store:
        load_demo(store)
        # Validated: a pair without a verdict cannot be accepted.
        settings = PipelineSettings(limit=3, inputs_per_pair=3, test_strength=False)
        run_pipeline(store, settings, stages=("generate", "validate"))
        ids = [row["id"] for row in store.pair_overview()]
    assert len(ids) == 3
    return path, ids


def test_votes_disagreements_and_final_decision(pair_ids, tmp_path):
    import shutil

    path = tmp_path / "copy.duckdb"
    shutil.copy(pair_ids[0], path)
    p1, p2, p3 = pair_ids[1]
    with Store(path) as store:
        decide(store, p1, "ada", "accept")
        decide(store, p1, "bob", "reject")
        decide(store, p2, "ada", "accept")
        decide(store, p2, "bob", "accept")
        decide(store, p3, "ada", "skip")
        assert votes_by_pair(store) == {p1: {"ada": "accept", "bob": "reject"},
                                        p2: {"ada": "accept", "bob": "accept"}}  # fmt: skip
        assert [d["pair"] for d in disagreements(store)] == [p1]
        # ada and bob disagree on p1: a dispute, whoever decided last
        assert store.decision_counts() == {"accept": 1, "disputed": 1}
        assert disagreements(store)[0]["decision"] == "disputed"
        settle(store, p1, "lead", "accept", "clear spec")
        assert store.decision_counts() == {"accept": 2}
        assert disagreements(store)[0]["final"] == "accept"
        assert disagreements(store)[0]["decision"] == "accept"
        # the final event is no vote: agreement is measured on ada and bob only
        assert votes_by_pair(store)[p1] == {"ada": "accept", "bob": "reject"}
        # a later ordinary decision does not override the final one
        decide(store, p1, "bob", "reject")
        assert store.decision_counts() == {"accept": 2}
        # the final decision can be undone like any other
        undo_last(store, "lead")
        assert store.final_decisions() == {}
        assert store.decision_counts() == {"accept": 1, "disputed": 1}
        with pytest.raises(ReviewError):
            settle(store, p1, "lead", "skip")
        with pytest.raises(ReviewError):
            settle(store, "nope", "lead", "accept")


def test_settings_roundtrip(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        assert store.migrations() == [step.__name__ for step in MIGRATIONS]
        assert store.get_setting("min_usable_tests", 3) == 3
        store.set_setting("min_usable_tests", 5)
        store.set_setting("min_usable_tests", 4)
        store.set_setting("llm", {"base_url": "http://localhost:8000/v1", "model": "m"})
        assert store.get_setting("min_usable_tests") == 4
        assert store.settings()["llm"]["model"] == "m"
