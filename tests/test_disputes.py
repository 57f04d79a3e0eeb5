"""Disputes stay disputes: a pair is accepted (or rejected) when it is settled so, or when
every annotator who voted on it agrees — or, with the majority setting, when strictly more
than half of enough votes agree. Any other pair with votes is disputed: counted as such,
never exported as accepted, and listed in the export's report with each annotator's vote.
A real DuckDB file, and the real `semi` command in a subprocess."""

from __future__ import annotations

import json

import pytest

from semi_core.agreement import (
    DecisionRule,
    agreement_table,
    decision_rule,
    set_decision_rule,
    settle,
    votes_by_pair,
)
from semi_core.export import ExportOptions, export, plan_export
from semi_core.review import decide, undo_last
from semi_core.store import Store

from .conftest import run_semi
from .test_export import add_pair, read_records

NO_BENCHMARK = {"humaneval": False}


def add_pairs(store: Store, *names: str) -> dict[str, str]:
    """Validated pairs, one per name, each with its own code (no two are duplicates)."""
    return {name: add_pair(store, name, f"def {name}(x):\n    return x * {i + 2} - {i}\n")
            for i, name in enumerate(names)}  # fmt: skip


def vote(store: Store, pair_id: str, **votes: str) -> None:
    for annotator, decision in votes.items():
        decide(store, pair_id, annotator, decision)


def test_split_votes_make_a_dispute_not_the_latest_vote(store):
    ids = add_pairs(store, "split", "agreed", "single", "skipped", "settled", "undone")
    vote(store, ids["split"], alice="reject", bob="accept")  # bob last: was "accept"
    vote(store, ids["agreed"], alice="accept", bob="accept")
    vote(store, ids["single"], alice="reject")
    vote(store, ids["skipped"], alice="accept", bob="skip")  # a skip is no vote
    vote(store, ids["settled"], alice="reject", bob="accept")
    settle(store, ids["settled"], "lead", "accept", "the spec allows it")
    vote(store, ids["settled"], carol="reject")  # a later vote does not reopen it
    vote(store, ids["undone"], alice="reject", bob="accept")
    undo_last(store, "bob")  # bob's accept is taken back: alice alone voted
    assert store.decision_counts() == {"accept": 3, "disputed": 1, "reject": 2}
    assert store.overall_decisions() == {
        ids["split"]: "disputed", ids["agreed"]: "accept", ids["single"]: "reject",
        ids["skipped"]: "accept", ids["settled"]: "accept", ids["undone"]: "reject",
    }  # fmt: skip
    # the settlement is no vote: the votes stay as the annotators cast them
    votes = {row["annotator"]: row["decision"] for row in store.annotator_decisions(ids["settled"])}
    assert votes == {"alice": "reject", "bob": "accept", "carol": "reject"}
    assert store.final_decisions() == {ids["settled"]: "accept"}
    undo_last(store, "lead")  # undoing the settlement reopens the dispute
    assert store.overall_decisions()[ids["settled"]] == "disputed"


def test_kappa_is_measured_on_votes_never_on_final_decisions(store):
    ids = add_pairs(store, "split", "agreed")
    vote(store, ids["split"], ada="accept", bob="reject")
    vote(store, ids["agreed"], ada="accept", bob="accept")
    settle(store, ids["split"], "bob", "accept")  # bob settles against his own vote
    assert votes_by_pair(store)[ids["split"]] == {"ada": "accept", "bob": "reject"}
    [row] = agreement_table(votes_by_pair(store))
    assert (row.shared, row.agreed) == (2, 1)
    assert store.overall_decisions()[ids["split"]] == "accept"


def test_the_majority_setting_decides_with_enough_votes(store):
    ids = add_pairs(store, "two_one", "one_two", "one_one", "two_two")
    vote(store, ids["two_one"], ada="accept", bob="accept", cy="reject")
    vote(store, ids["one_two"], ada="accept", bob="reject", cy="reject")
    vote(store, ids["one_one"], ada="accept", bob="reject")
    vote(store, ids["two_two"], ada="accept", bob="accept", cy="reject", dee="reject")
    assert decision_rule(store) == DecisionRule("unanimous", 3)
    assert set(store.overall_decisions().values()) == {"disputed"}

    assert set_decision_rule(store, "majority", 3) == DecisionRule("majority", 3)
    assert decision_rule(store) == DecisionRule("majority", 3)
    assert store.overall_decisions() == {
        ids["two_one"]: "accept", ids["one_two"]: "reject",
        ids["one_one"]: "disputed",  # fewer votes than the minimum
        ids["two_two"]: "disputed",  # half is not a majority
    }  # fmt: skip
    set_decision_rule(store, "majority", 4)  # three votes are too few now
    assert store.overall_decisions()[ids["two_one"]] == "disputed"
    set_decision_rule(store, "majority", 2)  # two votes are enough, but 1-1 is a tie
    assert store.overall_decisions()[ids["one_one"]] == "disputed"
    assert store.overall_decisions()[ids["two_one"]] == "accept"
    set_decision_rule(store, "unanimous")
    assert store.decision_counts() == {"disputed": 4}
    assert decision_rule(store) == DecisionRule("unanimous", 2)  # the minimum is kept


def test_a_bad_rule_is_one_clear_sentence_and_changes_nothing(store):
    with pytest.raises(ValueError, match="unknown decision rule 'loudest'; choose from"):
        set_decision_rule(store, "loudest")
    with pytest.raises(ValueError, match="at least 1"):
        set_decision_rule(store, "majority", 0)
    assert decision_rule(store) == DecisionRule("unanimous", 3)
    # written by hand, past the checks: what is not understood counts as its default
    for minimum in ("many", 2.5, 0, True):
        store.set_setting("majority_min_votes", minimum)
        assert decision_rule(store).majority_min_votes == 3
    store.set_setting("decision_rule", "loudest")
    assert decision_rule(store).rule == "unanimous"
    store.set_setting("decision_rule", "majority")
    assert decision_rule(store) == DecisionRule("majority", 3)
    ids = add_pairs(store, "two_one")
    vote(store, ids["two_one"], ada="accept", bob="accept", cy="reject")
    assert store.overall_decisions() == {ids["two_one"]: "accept"}


def test_export_leaves_disputed_pairs_out_and_lists_them(store, tmp_path):
    ids = add_pairs(store, "split", "agreed", "fresh")
    vote(store, ids["split"], alice="reject", bob="accept")
    vote(store, ids["agreed"], alice="accept", bob="accept")
    out = tmp_path / "accepted.jsonl"
    report = export(store, out, ExportOptions(schema="full", **NO_BENCHMARK))
    [record] = read_records(out)
    assert record["id"] == ids["agreed"]
    review = {"decision": "accept", "decisions": "alice: accept; bob: accept",
              "reject_reasons": ""}  # fmt: skip
    assert record["provenance"]["review"] == review
    listed = {
        "count": 1,
        "left_out": True,
        "rule": "unanimous",
        "pairs": [{"id": ids["split"], "votes": {"alice": "reject", "bob": "accept"}}],
    }
    assert report.to_dict()["disputed"] == listed
    assert any(line.startswith("1 pair in dispute left out") for line in report.summary())
    # not yet reviewed: a disputed pair has votes, so it is not among them either
    plan = plan_export(store, ExportOptions(status="validated", **NO_BENCHMARK))
    assert [item.id for item in plan.groups[None]] == [ids["fresh"]]
    assert plan.report.to_dict()["disputed"] == listed
    # all validated pairs, whatever the review said: included, and said so
    plan = plan_export(store, ExportOptions(status="all", schema="full", **NO_BENCHMARK))
    [item] = [item for item in plan.groups[None] if item.id == ids["split"]]
    assert item.provenance["review"]["decision"] == "disputed"
    assert plan.report.to_dict()["disputed"] == {**listed, "left_out": False}
    assert any("includes 1 pair in dispute" in line for line in plan.report.summary())
    # settled: exported as accepted, no longer in dispute
    settle(store, ids["split"], "lead", "accept")
    report = plan_export(store, ExportOptions(**NO_BENCHMARK)).report
    assert report.pairs == 2 and report.to_dict()["disputed"]["count"] == 0


def test_cli_export_leaves_a_disputed_pair_out_and_reports_it(db_path, tmp_path):
    """Alice rejects a pair, then Bob accepts it: `semi export --status accepted` leaves it
    out and reports it as disputed; a pair both accepted is written."""
    with Store(db_path) as store:
        ids = add_pairs(store, "split", "agreed")
    for pair, annotator, decision in [
        (ids["split"], "alice", "reject"), (ids["split"], "bob", "accept"),
        (ids["agreed"], "alice", "accept"), (ids["agreed"], "bob", "accept"),
    ]:  # fmt: skip
        result = run_semi("review", pair, decision, "--annotator", annotator, db=db_path)
        assert result.returncode == 0, result.stderr

    out = tmp_path / "accepted.jsonl"
    text = run_semi("export", str(out), "--status", "accepted", db=db_path)
    assert text.returncode == 0, text.stderr
    assert [record["id"] for record in read_records(out)] == [ids["agreed"]]
    assert "1 pair in dispute left out" in text.stdout
    assert f"disputed {ids['split']}: alice reject, bob accept" in text.stdout

    as_json = run_semi("export", str(out), "--status", "accepted", "--json", db=db_path)
    report = json.loads(as_json.stdout)
    assert report["pairs"] == 1
    assert report["disputed"] == {
        "count": 1, "left_out": True, "rule": "unanimous",
        "pairs": [{"id": ids["split"], "votes": {"alice": "reject", "bob": "accept"}}],
    }  # fmt: skip

    planned = tmp_path / "planned.jsonl"
    dry = run_semi("export", str(planned), "--dry-run", db=db_path)
    assert dry.returncode == 0 and not planned.exists()
    assert f"disputed {ids['split']}: alice reject, bob accept" in dry.stdout
    dry = json.loads(run_semi("export", str(planned), "--dry-run", "--json", db=db_path).stdout)
    assert dry["disputed"]["count"] == 1 and not dry["wrote"]

    stats = json.loads(run_semi("stats", "--json", db=db_path).stdout)
    assert stats["by_status"]["decisions"] == {"accept": 1, "disputed": 1}
    assert "disputed: 1" in run_semi("stats", db=db_path).stdout

    settled = run_semi("settle", ids["split"], "accept", "--annotator", "lead", db=db_path)
    assert settled.returncode == 0, settled.stderr
    report = json.loads(run_semi("export", str(out), "--json", db=db_path).stdout)
    assert report["pairs"] == 2 and report["disputed"]["count"] == 0


def test_cli_majority_setting(db_path, tmp_path):
    with Store(db_path) as store:
        ids = add_pairs(store, "two_one")
        vote(store, ids["two_one"], ada="accept", bob="accept", cy="reject")
    shown = run_semi("decision-rule", "--json", db=db_path)
    assert json.loads(shown.stdout) == {"rule": "unanimous", "majority_min_votes": 3}
    out = tmp_path / "accepted.jsonl"
    report = json.loads(run_semi("export", str(out), "--json", db=db_path).stdout)
    assert report["pairs"] == 0 and report["disputed"]["count"] == 1

    changed = run_semi("decision-rule", "majority", "--min-votes", "3", db=db_path)
    assert changed.returncode == 0, changed.stderr
    assert "majority" in changed.stdout
    report = json.loads(run_semi("export", str(out), "--json", db=db_path).stdout)
    assert report["pairs"] == 1 and report["disputed"]["count"] == 0
    assert [record["id"] for record in read_records(out)] == [ids["two_one"]]

    bad = run_semi("decision-rule", "majority", "--min-votes", "0", db=db_path)
    assert bad.returncode == 1 and "at least 1" in bad.stderr
    assert "Traceback" not in bad.stderr
    shown = run_semi("decision-rule", db=db_path)
    assert "majority" in shown.stdout and "3" in shown.stdout
