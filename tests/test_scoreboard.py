"""The scoreboard: simulated mistakes against what validation and review made of them, on a
tiny hand-made corpus with one mistake caught, one equivalent and one that slips."""

from __future__ import annotations

import json

import pytest

from semi_core.annotator_tests import add_test
from semi_core.generate.simulated import Mistake, equivalent_on_inputs
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.sandbox import Limits, SandboxPool
from semi_core.scoreboard import scoreboard
from semi_core.sources import ingest
from semi_core.store import content_id

from .conftest import run_semi, write

ORIGINALS = """
def gap(high, low):
    return high - low


def words(text):
    return text.strip().split()


def unlucky(x):
    if x == 13:
        return 0
    return x
"""

# name: (mistaken code, kind, line, before, after, the pair's test inputs)
MISTAKES = {
    "gap": ("def gap(high, low):\n    return low - high\n", "swapped_operands", 2,
            "    return high - low", "    return low - high", ["5, 3", "1, 2", "0, 0"]),
    "words": ("def words(text):\n    return text.split()\n", "string_handling", 2,
              "    return text.strip().split()", "    return text.split()",
              ["'a b'", "'  a  '", "''"]),
    "unlucky": ("def unlucky(x):\n    return x\n", "dropped_edge_case", 2,
                "    if x == 13:\n        return 0", "", ["1", "2", "3"]),
}  # fmt: skip
# Inputs that reach every branch: what the equivalence check runs on besides the pair's.
LARGE_SAMPLE = {"gap": ["7, 1"], "words": ["' x y '", "'\\tz'"], "unlucky": ["13", "12"]}


@pytest.fixture
def corpus(store, tmp_path):
    """The three pairs, stored as the simulated backend stores them, ids by name."""
    ingest(store, [str(write(tmp_path / "code" / "three.py", ORIGINALS))])
    snippets = {s["name"]: s for s in store.snippets()}
    ids = {}
    with SandboxPool(Limits(workers=2)) as pool:
        for name, (code, kind, line, before, after, inputs) in MISTAKES.items():
            snippet = snippets[name]
            equivalent = equivalent_on_inputs(snippet["code"], code, name, "function",
                                              inputs + LARGE_SAMPLE[name], pool)  # fmt: skip
            mistake = Mistake(kind, line, before, after, f"a {kind} mistake", equivalent)
            row = {"id": content_id(name, "simulated"), "snippet_id": snippet["id"],
                   "backend": "simulated", "model": "simulated-r1-s0", "prompt_hash": "h",
                   "instruction": f"Write `{name}`.", "code": code, "entry_point": name,
                   "status": "ok", "mistake": mistake.to_dict()}  # fmt: skip
            store.add_generation(row, [(text, "typed") for text in inputs])
            ids[name] = row["id"]
    return ids


def test_equivalence_is_measured_in_the_sandbox(store, corpus):
    truths = {name: store.pair(pair_id)["mistake"] for name, pair_id in corpus.items()}
    assert truths["gap"]["equivalent"] is False
    assert truths["words"]["equivalent"] is True  # split() ignores the spaces strip() drops
    assert truths["unlucky"]["equivalent"] is False  # 13 tells them apart
    assert truths["unlucky"] == {
        "kind": "dropped_edge_case", "line": 2, "before": "    if x == 13:\n        return 0",
        "after": "", "description": "a dropped_edge_case mistake", "equivalent": False,
    }  # fmt: skip


def test_stats_scores_validation_and_review_against_the_mistakes(store, corpus, db_path):
    before = scoreboard(store).counts  # an equivalent mistake needs no verdict to be scored
    assert (before["pending"], before["equivalent"]) == (2, 1)
    store.close()
    validated = run_semi("validate", "--no-test-strength", db=db_path)
    assert validated.returncode == 0, validated.stderr
    reviewed = run_semi("review", corpus["unlucky"], "reject", "--annotator", "ann", db=db_path)
    assert reviewed.returncode == 0, reviewed.stderr
    result = run_semi("stats", "--json", db=db_path)
    assert result.returncode == 0, result.stderr
    board = json.loads(result.stdout)["simulated"]
    assert {k: board[k] for k in ("injected", "caught_by_validation", "equivalent", "slipped",
                                  "caught_by_review", "missed_by_review", "pending")} == {
        "injected": 3, "caught_by_validation": 1, "equivalent": 1, "slipped": 1,
        "caught_by_review": 1, "missed_by_review": 0, "pending": 0,
    }  # fmt: skip
    assert board["slipped_ids"] == [corpus["unlucky"]]
    assert board["catch_rate"] == 0.5
    assert board["by_kind"]["swapped_operands"]["caught_by_validation"] == 1
    assert board["by_kind"]["string_handling"]["equivalent"] == 1
    assert board["by_kind"]["dropped_edge_case"]["slipped"] == 1
    assert board["by_kind"]["dropped_edge_case"]["caught_by_review"] == 1
    assert board["by_kind"]["dropped_edge_case"]["catch_rate"] == 0.0
    text = run_semi("stats", db=db_path)
    assert "Simulated mistakes" in text.stdout and corpus["unlucky"] in text.stdout


def test_an_accepted_slip_is_missed_by_review(store, corpus, db_path):
    store.close()
    assert run_semi("validate", "--no-test-strength", db=db_path).returncode == 0
    run_semi("review", corpus["unlucky"], "accept", "--annotator", "ann", db=db_path)
    board = json.loads(run_semi("stats", "--json", db=db_path).stdout)["simulated"]
    assert (board["caught_by_review"], board["missed_by_review"]) == (0, 1)


def test_stats_without_simulated_pairs_has_an_empty_scoreboard(db_path):
    result = run_semi("stats", "--json", db=db_path)
    board = json.loads(result.stdout)["simulated"]
    assert board["injected"] == 0 and board["by_kind"] == {} and board["slipped_ids"] == []
    assert board["catch_rate"] is None


def test_a_mistake_a_test_exposes_is_caught_though_the_sample_missed_it(store, tmp_path):
    """The equivalence sample can miss the one input that tells the codes apart; once a
    test shows it (here an annotator's), the mistake is caught, not equivalent."""
    ingest(store, [str(write(tmp_path / "code" / "three.py", ORIGINALS))])
    snippet = next(s for s in store.snippets() if s["name"] == "unlucky")
    code, kind, line, before, after, inputs = MISTAKES["unlucky"]
    with SandboxPool(Limits(workers=2)) as pool:  # a sample without 13: it sees no difference
        equivalent = equivalent_on_inputs(snippet["code"], code, "unlucky", "function",
                                          inputs, pool)  # fmt: skip
    assert equivalent is True
    mistake = Mistake(kind, line, before, after, "a dropped edge case", equivalent)
    row = {"id": "unlucky-sim", "snippet_id": snippet["id"], "backend": "simulated",
           "model": "simulated-r1-s0", "prompt_hash": "h", "instruction": "Write `unlucky`.",
           "code": code, "entry_point": "unlucky", "status": "ok",
           "mistake": mistake.to_dict()}  # fmt: skip
    store.add_generation(row, [(text, "typed") for text in inputs])
    settings = PipelineSettings(test_strength=False)
    run_pipeline(store, settings, stages=("validate",))
    assert add_test(store, "unlucky-sim", "ann", args="13", settings=settings).verdict == (
        "mismatch"
    )
    counts = scoreboard(store).by_kind["dropped_edge_case"]
    assert (counts["equivalent"], counts["caught_by_validation"]) == (0, 1)
