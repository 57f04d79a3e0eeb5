"""The simulated backend: offline pairs with one known, recorded rewrite mistake in a share
of them; the demo run through it; offline instructions that read like a task."""

from __future__ import annotations

import ast
import json

import pytest

from semi_core.generate.base import SnippetView
from semi_core.generate.offline import OfflineBackend
from semi_core.generate.simulated import KINDS, SimulatedBackend, inject_mistake
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.sandbox import Limits, SandboxPool
from semi_core.sources import ingest

from .conftest import run_semi, write

# One small hand-written function per mistake kind, each with a site of that kind only
# where the kind is named (other kinds may apply too: the kind is forced below).
FUNCTIONS = {
    "off_by_one": (
        "def total_before(xs, n):\n"
        '    """Sum of the first n items."""\n'
        "    total = 0\n"
        "    for i in range(n):  # the first n\n"
        "        total += xs[i]\n"
        "    return total\n"
    ),
    "dropped_edge_case": (
        "def mean(values):\n"
        "    if not values:\n"
        "        return 0.0\n"
        "    return sum(values) / len(values)\n"
    ),
    "swapped_operands": (
        "def gap(high, low):\n    # distance from low up to high\n    return high - low\n"
    ),
    "return_type": "def pair(a, b):\n    return [a, b]\n",
    "exception_behaviour": (
        "def ratio(a, b):\n"
        "    if b == 0:\n"
        '        raise ZeroDivisionError("b is zero")\n'
        "    return a / b\n"
    ),
    "lost_ordering": "def unique(items):\n    return list(dict.fromkeys(items))\n",
    "division": "def halves(n):\n    return n // 2\n",
    "string_handling": "def words(text):\n    return text.lower().split()\n",
}


def _signature(code: str, name: str) -> str:
    function = next(n for n in ast.parse(code).body if isinstance(n, ast.FunctionDef))
    assert function.name == name
    return ast.dump(function.args)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_makes_plausible_code_that_differs_in_the_recorded_lines(kind):
    code = FUNCTIONS[kind]
    name = code.split("(")[0].removeprefix("def ")
    made = inject_mistake(code, name, key="test", kinds=[kind])
    assert made is not None, f"no {kind} site found"
    mistaken, mistake = made
    assert mistake.kind == kind and mistake.description
    assert _signature(mistaken, name) == _signature(code, name)  # parses, same signature
    old, new = code.splitlines(), mistaken.splitlines()
    before = mistake.before.splitlines()
    after = mistake.after.splitlines()
    assert before and before != after
    assert old[mistake.line - 1 : mistake.line - 1 + len(before)] == before
    # the recorded lines are the only change: put them back and the code is the original
    rebuilt = new[: mistake.line - 1] + before + new[mistake.line - 1 + len(after) :]
    assert rebuilt == old
    assert "#" not in code or "#" in mistaken  # comments stay


def test_a_function_without_any_site_gets_no_mistake():
    assert inject_mistake("def same(x):\n    return x\n", "same", key="k") is None


SNIPPETS = (
    "def scale(values, factor):\n"
    "    result = []\n"
    "    for i in range(len(values)):\n"
    "        result.append(values[i] * factor)\n"
    "    return result\n"
    "\n\n"
    "def first_word(text):\n"
    "    parts = text.strip().split()\n"
    "    if not parts:\n"
    "        return ''\n"
    "    return parts[0]\n"
    "\n\n"
    "def average(a, b):\n"
    "    return (a + b) / 2\n"
    "\n\n"
    "def order(items):\n"
    "    return sorted(items, reverse=True)\n"
)


@pytest.fixture
def corpus(store, tmp_path):
    path = write(tmp_path / "code" / "small.py", SNIPPETS)
    ingest(store, [str(path)])
    return store


def _run(store, **settings):
    base = dict(inputs_per_pair=8, test_strength=False, workers=2)
    return run_pipeline(store, PipelineSettings(**{**base, **settings}),
                        stages=("generate", "validate"))  # fmt: skip


def _generations(store, backend):
    snippet_ids = [s["id"] for s in store.snippets()]
    return [g for sid in snippet_ids for g in store.snippet_generations(sid)
            if g["backend"] == backend]  # fmt: skip


def test_every_pair_gets_a_recorded_mistake_at_rate_one_and_it_round_trips(corpus):
    store = corpus
    _run(store, backend="simulated", mistake_rate=1.0)
    offline = OfflineBackend(SandboxPool(Limits(workers=1)))
    try:
        generations = _generations(store, "simulated")
        assert len(generations) == 4
        for generation in generations:
            pair = store.pair(generation["id"])
            mistake = pair["mistake"]
            assert mistake["kind"] in KINDS
            assert mistake["equivalent"] in (True, False)
            snippet = store.snippet(pair["snippet_id"])
            correct = offline.generate(SnippetView.from_row(snippet)).code
            lines = correct.splitlines()
            assert lines[mistake["line"] - 1] == mistake["before"].splitlines()[0]
            assert pair["code"] != correct
            assert pair["verdict"] is not None
    finally:
        offline.pool.close()


def test_rate_zero_and_the_offline_backend_inject_nothing(corpus):
    store = corpus
    _run(store, backend="simulated", mistake_rate=0.0)
    _run(store, backend="offline")
    simulated, offline = _generations(store, "simulated"), _generations(store, "offline")
    assert len(simulated) == len(offline) == 4
    for generation in simulated + offline:
        assert store.pair(generation["id"])["mistake"] is None
    codes = [{store.pair(g["id"])["code"] for g in group} for group in (simulated, offline)]
    assert codes[0] == codes[1]
    # the rate is part of a simulated generation's identity: another rate, new pairs
    _run(store, backend="simulated", mistake_rate=1.0)
    assert len(_generations(store, "simulated")) == 8


def test_reruns_give_the_same_mistakes(store, tmp_path):
    path = write(tmp_path / "code" / "small.py", SNIPPETS)
    snippets = ingest(store, [str(path)])
    assert snippets.new == 4
    with SandboxPool(Limits(workers=2)) as pool:
        backend = SimulatedBackend(pool, inputs_per_pair=6, mistake_rate=0.5, seed=3)
        views = [SnippetView.from_row(s) for s in store.snippets()]
        try:
            first = [backend.generate(v).mistake for v in views]
            second = [backend.generate(v).mistake for v in views]
        finally:
            backend.close()
    assert first == second


def test_export_leaves_simulated_pairs_out_unless_asked(corpus, db_path, tmp_path):
    _run(corpus, backend="simulated", mistake_rate=0.0)
    _run(corpus, backend="offline")
    corpus.close()
    out = tmp_path / "out.jsonl"
    default = run_semi("export", str(out), "--status", "all", "--no-dedup", "--json",
                       db=db_path)  # fmt: skip
    assert default.returncode == 0, default.stderr
    report = json.loads(default.stdout)
    assert report["simulated_left_out"] == 4
    assert report["pairs"] == 4
    assert any("simulated" in line for line in report["summary"])
    included = run_semi("export", str(out), "--status", "all", "--no-dedup", "--json",
                        "--include-simulated", db=db_path)  # fmt: skip
    assert included.returncode == 0, included.stderr
    report = json.loads(included.stdout)
    assert report["simulated_left_out"] == 0
    assert report["pairs"] == 8


def test_demo_run_on_a_subset_shows_a_mismatch(db_path):
    result = run_semi("demo", "--run", "--limit", "12", "--mistake-rate", "1", db=db_path)
    assert result.returncode == 0, result.stderr
    stats = run_semi("stats", "--json", db=db_path)
    data = json.loads(stats.stdout)
    assert data["by_status"]["verdicts"].get("mismatch", 0) >= 1
    assert data["simulated"]["injected"] >= 1
    runs = json.loads(run_semi("runs", "--json", db=db_path).stdout)
    (params,) = [run["params"] for run in runs if run["kind"] == "pipeline"]
    assert params["backend"] == "simulated"


def test_offline_instruction_reads_like_a_task(store):
    with SandboxPool(Limits(workers=1)) as pool:
        snippet = SnippetView(id="a", code="def add3(x):\n    return x + 3\n",
                              kind="function", entry_point="add3", name="add3")  # fmt: skip
        instruction = OfflineBackend(pool, inputs_per_pair=5).generate(snippet).instruction
    first = instruction.splitlines()[0]
    assert first == "Write a Python function `add3(x)` that takes `x` and returns a number."
    assert "The function should" not in instruction
    assert "Examples:" in instruction


def test_semi_run_takes_the_simulated_backend_and_its_rate(tmp_path, db_path):
    path = write(tmp_path / "code" / "small.py", SNIPPETS)
    result = run_semi("run", str(path), "--backend", "simulated", "--mistake-rate", "1",
                      "--no-test-strength", db=db_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    runs = json.loads(run_semi("runs", "--json", db=db_path).stdout)
    (params,) = [run["params"] for run in runs if run["kind"] == "pipeline"]
    assert (params["backend"], params["mistake_rate"]) == ("simulated", 1)
    board = json.loads(run_semi("stats", "--json", db=db_path).stdout)["simulated"]
    assert board["injected"] == 4 and board["pending"] == 0
    refused = run_semi("run", "--backend", "simulated", "--mistake-rate", "2", db=db_path)
    assert refused.returncode == 2 and "mistake-rate" in refused.stderr
