"""Background runs as the Run page sees them: the newest pairs (generation merged with its
validation), answers followed while an LLM streams them, plain failure messages, and a
run against a real OpenAI-compatible endpoint over HTTP chosen on the page."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from semi_core.jobs import JobRunner, JobStatus, describe_failure
from semi_core.llm_server import LocalLLMServer
from semi_core.pipeline import PipelineSettings, ProgressEvent, run_pipeline
from semi_core.sources import ingest

from .conftest import ROOT, code_blocks, write

FUNCTIONS = {
    "double": "def double(x):\n    return 2 * x\n",
    "clamp": "def clamp(value, low, high):\n    return max(low, min(value, high))\n",
    "count_vowels": "def count_vowels(text):\n    return sum(1 for c in text if c in 'aeiou')\n",
}
FAST = dict(inputs_per_pair=5, test_strength=False)


@pytest.fixture
def corpus(tmp_path):
    for name, code in FUNCTIONS.items():
        write(tmp_path / "corpus" / f"{name}.py", code)
    return tmp_path / "corpus"


def test_newest_pairs_merge_each_generation_with_its_validation(store, corpus):
    ingest(store, [corpus])
    runner = JobRunner(store)
    runner.start(PipelineSettings(**FAST))
    assert runner.wait(120)
    status = runner.status()
    assert status.result.state == "done" and status.error is None
    assert len(status.pairs) == len(FUNCTIONS)
    assert status.pairs[0]["generation_id"] == status.recent[0]["generation_id"]  # newest first
    for pair in status.pairs:
        stored = store.generation(pair["generation_id"])
        verdict = store.latest_verdict(pair["generation_id"])
        assert (pair["instruction"], pair["code"]) == (stored["instruction"], stored["code"])
        assert (pair["verdict"], pair["passed"], pair["usable"]) == (
            verdict["status"], verdict["passed"], verdict["usable"])  # fmt: skip
        assert pair["snippet"] in FUNCTIONS


def test_a_pair_generated_before_the_window_is_read_from_the_store(store, corpus):
    ingest(store, [corpus])
    run_pipeline(store, PipelineSettings(**FAST), stages=("generate",))
    runner = JobRunner(store)
    runner.start(PipelineSettings(**FAST), stages=("validate",))  # a run that only validates
    assert runner.wait(120)
    pairs = runner.status().pairs
    assert len(pairs) == len(FUNCTIONS)
    assert all(p["instruction"] and p["code"] and p["verdict"] for p in pairs)


def test_the_run_page_names_the_snippet_of_a_pair_generated_before_its_window(store, tmp_path):
    """A run of more pairs than the Run page keeps: a pair whose generation left the
    window comes back with its validation, read from the store, and still has its name."""
    for name in ("double", "triple", "quadruple"):
        write(tmp_path / "corpus" / f"{name}.py", f"def {name}(x):\n    return x * 2\n")
    ingest(store, [tmp_path / "corpus"])
    runner = JobRunner(store, recent_items=1)
    runner.start(PipelineSettings(inputs_per_pair=5, test_strength=False))
    assert runner.wait(120)
    [pair] = runner.status().pairs
    assert pair["verdict"] and pair["snippet"] in ("double", "triple", "quadruple")


def test_streamed_pieces_gather_per_snippet_until_its_pair_is_done(store):
    runner = JobRunner(store)
    snippet = SimpleNamespace(id="s1", name="median")
    for piece in ('{"instruction": ', '"Return the median', ' of a list."'):
        runner._on_token(snippet, piece)
    assert runner.status().streams == {"median": '{"instruction": "Return the median of a list."'}
    runner._on_event(ProgressEvent("r", "generate", 1, 0, 1, 0.1, item={
        "generation_id": "g1", "snippet": "median", "status": "ok", "instruction": "I",
        "code": "C", "inputs": 3, "error": None}))  # fmt: skip
    status = runner.status()
    assert status.streams == {}
    expected = {"generation_id": "g1", "snippet": "median", "status": "ok", "instruction": "I",
                "code": "C", "inputs": 3, "error": None}  # fmt: skip
    assert status.pairs == [expected]


def test_failures_read_as_one_plain_sentence():
    assert describe_failure(ValueError("no API key: set OPENAI_API_KEY")) == (
        "The run stopped: no API key: set OPENAI_API_KEY")  # fmt: skip
    assert "RuntimeError: boom" in describe_failure(RuntimeError("boom"))


def run_page(monkeypatch, db_path) -> AppTest:
    monkeypatch.setenv("SEMI_DB", str(db_path))
    monkeypatch.setenv("SEMI_LOAD_DEMO", "0")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page("pages/run.py").run()
    return app


def test_the_run_page_shows_an_answer_being_written(monkeypatch, db_path):
    from studio.shared import _job_runner

    app = run_page(monkeypatch, db_path)
    runner = _job_runner(str(db_path))
    with runner._lock:  # a run in flight whose backend is streaming an answer
        runner._status = JobStatus(running=True, run_id="r1")
    runner._on_token(SimpleNamespace(name="median"), '{"instruction": "<b>Return</b>')
    app.run()
    assert "Being written:" in "\n".join(m.value for m in app.markdown)
    assert '{"instruction": "<b>Return</b>' in [text for text, _ in code_blocks(app)]  # as text
    with runner._lock:
        runner._status = JobStatus(running=False, run_id=None)


def test_a_run_against_a_local_openai_endpoint_chosen_on_the_page(monkeypatch, db_path, corpus):
    from studio.shared import _job_runner, _open_store

    app = run_page(monkeypatch, db_path)
    store = _open_store(str(db_path))
    ingest(store, [corpus])
    runner = _job_runner(str(db_path))
    with LocalLLMServer(latency_ms=20) as server:
        app.selectbox(key="run_backend").select("openai")
        app.text_input(key="run_endpoint").input(server.base_url)
        app.text_input(key="run_model").input(server.model)
        app.number_input(key="run_inputs").set_value(5)
        app.checkbox(key="run_strength").uncheck()
        app.button(key="FormSubmitter:run_settings-Start run").click().run()
        assert not app.error
        assert runner.wait(120)
        assert server.request_count == len(FUNCTIONS)
    status = runner.status()
    assert status.error is None and status.result.state == "done"
    generations = [store.generation(p["generation_id"]) for p in status.pairs]
    assert {g["backend"] for g in generations} == {"openai"}
    assert {g["model"] for g in generations} == {server.model}
    app.run()
    assert sum("tests pass" in e.label for e in app.expander) == len(FUNCTIONS)


def test_a_background_run_follows_llm_answers_as_they_stream(store, corpus, monkeypatch):
    ingest(store, [corpus])
    runner = JobRunner(store)
    seen: list[tuple[str, str]] = []
    original = runner._on_token
    monkeypatch.setattr(
        runner, "_on_token", lambda s, p: (seen.append((s.name, p)), original(s, p))
    )
    with LocalLLMServer(latency_ms=20, token_delay_ms=5) as server:
        settings = PipelineSettings(backend="openai", base_url=server.base_url,
                                    model=server.model, **FAST)  # fmt: skip
        runner.start(settings, stages=("generate",))
        assert runner.wait(120)
    assert runner.status().result.state == "done"
    assert {name for name, _ in seen} == set(FUNCTIONS)
    assert len(seen) > len(FUNCTIONS)  # several pieces per answer
    assert runner.status().streams == {}  # each cleared when its pair was stored
