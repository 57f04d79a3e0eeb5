"""The pipeline over a real DuckDB file and real sandbox workers: the stages end to end,
progress events, cancel, crash and resume (a real `semi run` killed with SIGKILL), and
an LLM that writes wrong code for some snippets."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from semi_core.jobs import JobRunner
from semi_core.llm_server import LocalLLMServer
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.sandbox import SandboxPool
from semi_core.sources import ingest
from semi_core.store import Store

from .conftest import ROOT, memory_limit_mib, run_semi, write

FUNCTIONS = {
    "clamp": "def clamp(value, low, high):\n    return max(low, min(value, high))\n",
    "count_vowels": "def count_vowels(text):\n    return sum(1 for c in text if c in 'aeiou')\n",
    "second_largest": (
        "def second_largest(numbers):\n"
        "    ordered = sorted(set(numbers))\n"
        "    if len(ordered) < 2:\n"
        "        raise ValueError('need two distinct numbers')\n"
        "    return ordered[-2]\n"
    ),
    "is_palindrome": "def is_palindrome(word):\n    w = word.lower(); return w == w[::-1]\n",
    "running_total": (
        "def running_total(values):\n    out=[]\n    t=0\n    for v in values:\n"
        "        t+=v; out.append(t)\n    return out\n"
    ),
    "celsius": "to_f = lambda c: c * 9 / 5 + 32\n\ndef celsius(c):\n    return round(to_f(c), 2)\n",
    "word_lengths": "def word_lengths(sentence):\n    return [len(w) for w in sentence.split()]\n",
    "gcd": "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n",
}


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(PipelineSettings().limits()) as opened:
        yield opened


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    for name, code in FUNCTIONS.items():
        write(folder / f"{name}.py", code)
    return folder


FAST = dict(inputs_per_pair=6, mutant_budget=8)


def store_counts(store: Store) -> dict:
    counts = store.counts()
    return {
        "snippets": counts.entities["snippets"],
        "generations": counts.entities["generations"],
        "test_cases": counts.entities["test_cases"],
        "verdicts": counts.entities["verdicts"],
        "verdict_statuses": counts.by_status["verdicts"],
    }


def test_all_stages_end_to_end_with_progress_events(store, corpus, pool):
    events = []
    result = run_pipeline(
        store, PipelineSettings(**FAST), stages=("ingest", "generate", "validate", "rank"),
        paths=[str(corpus)], on_event=events.append, pool=pool,
    )  # fmt: skip
    assert result.state == "done"
    assert result.counts["ingest"]["new"] == len(FUNCTIONS)
    assert result.counts["generate"]["done"] == len(FUNCTIONS)
    statuses = result.counts["validate"]["statuses"]
    assert sum(statuses.values()) == len(FUNCTIONS)
    assert statuses.get("validated", 0) >= 6  # the offline rewrite keeps behaviour

    generate_events = [e for e in events if e.stage == "generate"]
    assert [e.done for e in generate_events] == list(range(len(FUNCTIONS) + 1))
    assert all(e.total == len(FUNCTIONS) for e in generate_events)
    assert generate_events[-1].rate > 0 and generate_events[-1].eta_s == 0
    assert generate_events[-1].item["instruction"].startswith("Write a Python function")

    (run,) = [r for r in store.runs() if r["id"] == result.run_id]
    assert run["state"] == "done" and run["params"]["inputs_per_pair"] == 6
    assert run["counts"]["validate"]["statuses"] == statuses

    ranked = store.current_verdicts(["validated"])
    assert all(v["difficulty"] is not None for v in ranked)

    again = run_pipeline(store, PipelineSettings(**FAST), pool=pool)
    assert again.counts["generate"]["done"] == 0 and again.counts["validate"]["done"] == 0


def test_the_generation_stage_bounds_duckdbs_memory_and_gives_the_limit_back(store, corpus, pool):
    # As ingest and validation do: DuckDB would otherwise keep every block the stage
    # writes, up to its default limit (most of the machine).
    ingest(store, [str(corpus)])
    store.cursor().execute("SET memory_limit = '5GiB'")
    during = []

    def note_limit(event) -> None:
        if event.stage == "generate" and event.done:
            during.append(memory_limit_mib(store))

    settings = PipelineSettings(**FAST, limit=3)
    run_pipeline(store, settings, stages=("generate",), on_event=note_limit, pool=pool)
    assert len(during) == 3 and all(mib <= store.WORK_CACHE_MB + 200 for mib in during)
    assert memory_limit_mib(store) == 5120
    cancelled = run_pipeline(store, settings, stages=("generate",), pool=pool,
                             should_stop=lambda: True)  # fmt: skip
    assert cancelled.state == "cancelled"
    assert memory_limit_mib(store) == 5120


def test_a_cancelled_run_stops_and_the_next_one_finishes_the_work(store, corpus, pool):
    ingest(store, [corpus])
    events = []
    cancelled = run_pipeline(
        store, PipelineSettings(**FAST), on_event=events.append, pool=pool,
        should_stop=lambda: sum(e.stage == "generate" and e.done > 0 for e in events) >= 3,
    )  # fmt: skip
    assert cancelled.state == "cancelled"
    assert store.counts().entities["generations"] == 3
    assert [r["state"] for r in store.runs() if r["id"] == cancelled.run_id] == ["cancelled"]

    finished = run_pipeline(store, PipelineSettings(**FAST), pool=pool)
    assert finished.state == "done"
    assert finished.counts["generate"]["done"] == len(FUNCTIONS) - 3
    assert store.counts().entities["verdicts"] == len(FUNCTIONS)


def test_background_runner_reports_progress_and_can_cancel(store, corpus, pool):
    ingest(store, [corpus])
    runner = JobRunner(store)
    runner.start(PipelineSettings(**FAST), stages=("generate",))
    with pytest.raises(RuntimeError, match="already in progress"):
        runner.start(PipelineSettings(**FAST))
    deadline = time.monotonic() + 60
    while not runner.status().recent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runner.cancel()
    assert runner.wait(60)
    status = runner.status()
    assert not status.running and status.result.state == "cancelled"
    assert status.recent[0]["stage"] == "generate"
    assert 0 < status.stages["generate"]["done"] < len(FUNCTIONS)


def test_revalidation_of_chosen_pairs_is_a_new_run_in_history(store, corpus, pool):
    run_pipeline(store, PipelineSettings(**FAST), stages=("ingest", "generate", "validate"),
                 paths=[str(corpus)], pool=pool)  # fmt: skip
    target = store.current_verdicts(["validated"])[0]["generation_id"]
    again = run_pipeline(store, PipelineSettings(**FAST), stages=("validate",),
                         generation_ids=[target], pool=pool)  # fmt: skip
    history = store.verdict_history(target)
    assert len(history) == 2
    assert store.latest_verdict(target)["run_id"] == again.run_id


def test_killed_run_resumes_to_exactly_the_counts_of_an_uninterrupted_run(tmp_path):
    # Three renamed copies of each function: enough work that a kill at half the run's
    # time lands inside it rather than in the process's start-up or exit.
    corpus = tmp_path / "corpus"
    for copy in range(3):
        for name, code in FUNCTIONS.items():
            write(corpus / f"{name}_{copy}.py", code.replace(f"def {name}(", f"def {name}_{copy}("))
    args = ["run", str(corpus), "--inputs-per-pair", "6", "--no-test-strength"]
    reference_db = tmp_path / "reference.duckdb"
    started = time.monotonic()
    assert run_semi(*args, db=reference_db).returncode == 0
    uninterrupted_s = time.monotonic() - started
    with Store(reference_db) as store:
        expected = store_counts(store)
    assert expected["generations"] == 3 * len(FUNCTIONS)

    # A kill must land inside the run: after its start is recorded and before its end.
    # Start-up time varies with the machine's load, so a kill that came too early or too
    # late is tried again a little later or earlier, on a fresh file.
    fraction = 0.5
    for attempt in range(6):
        db = tmp_path / f"killed_{attempt}.duckdb"
        victim = subprocess.Popen(
            [sys.executable, "-m", "semi_core.cli", "--db", str(db), *args],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(uninterrupted_s * fraction)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        with Store(db) as store:
            partial = store_counts(store)
            states = [r["state"] for r in store.runs() if r["kind"] == "pipeline"]
        if not states:
            fraction += 0.15  # killed during start-up
        elif partial == expected:
            fraction -= 0.15  # killed after the work was done
        else:
            break
    else:
        pytest.fail("no kill landed inside the run")
    assert states == ["running"]

    resumed = run_semi(*args, db=db)
    assert resumed.returncode == 0, resumed.stderr
    with Store(db) as store:
        assert store_counts(store) == expected
        states = sorted(r["state"] for r in store.runs() if r["kind"] == "pipeline")
        assert states == ["done", "interrupted"]


def test_an_llm_writing_wrong_code_gives_mismatches_with_failing_tests(store, corpus, pool):
    ingest(store, [corpus])
    wrong = {"def gcd": "wrong_code", "def clamp": "wrong_code"}
    with LocalLLMServer(latency_ms=5, rules=wrong) as server:
        settings = PipelineSettings(backend="openai", base_url=server.base_url,
                                    model=server.model, concurrency=4, **FAST)  # fmt: skip
        result = run_pipeline(store, settings, pool=pool)
    assert result.state == "done"
    by_name = {}
    for verdict in store.current_verdicts():
        pair = store.pair(verdict["generation_id"])
        by_name[pair["name"]] = (verdict, pair)
    for name in ("gcd", "clamp"):
        verdict, pair = by_name[name]
        assert verdict["status"] == "mismatch", (name, verdict)
        failing = [r for r in store.test_runs(verdict["run_id"], pair["id"])
                   if r["side"] == "generated" and r["status"] != "ok"]  # fmt: skip
        assert failing and all(r["output"] is not None for r in failing)
    correct = [v for n, (v, _) in by_name.items() if n not in ("gcd", "clamp")]
    assert sum(v["status"] == "validated" for v in correct) >= 4
    assert json.loads(json.dumps(result.counts))  # the counts are recordable as they are


def test_generation_pages_cover_every_pending_snippet_once(store, corpus):
    ingest(store, [corpus])
    write(corpus / "more.py", "def triple(x):\n    return 3 * x\n")
    ingest(store, [corpus])
    key = ("offline", None, "p")
    everything = [row["id"] for row in store.snippets_to_generate(*key)]
    pages, after = [], None
    while page := store.snippets_to_generate(*key, 3, after):
        pages.append([row["id"] for row in page])
        after = (page[-1]["path"], page[-1]["order_line"], page[-1]["id"])
    assert [len(page) for page in pages] == [3, 3, 3]
    assert [i for page in pages for i in page] == everything
    assert store.count_snippets_to_generate(*key) == len(FUNCTIONS) + 1
