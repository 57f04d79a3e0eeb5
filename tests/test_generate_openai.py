"""The OpenAI-compatible backend against the local server, over real HTTP.

The unmodified `openai` client talks to `semi_core.llm_server.LocalLLMServer` on
127.0.0.1; faults are scripted per snippet by a rule keyed on the snippet's function
name. The response cache is a real DuckDB file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from semi_core.generate.base import BACKENDS, SnippetView
from semi_core.generate.openai_backend import PLACEHOLDER_API_KEY, OpenAIBackend
from semi_core.generate.parsing import AnswerError, extract_answer_object, parse_pair
from semi_core.generate.prompt import TemplateError, load_template, parse_template, save_template
from semi_core.llm_server import LocalLLMServer
from semi_core.store import Store, content_id

HAS_CLOSE = SnippetView(
    id="he0",
    code=(
        "def has_close(numbers, threshold):\n"
        "    for i, a in enumerate(numbers):\n"
        "        for j, b in enumerate(numbers):\n"
        "            if i != j and abs(a - b) < threshold: return True\n"
        "    return False\n"
    ),
    kind="function",
    entry_point="has_close",
    flags=("no_docstring", "nested_one_liner"),
)
DOUBLER = SnippetView(
    id="prog1",
    code="n=int(input())\nprint(n*2)\n",
    kind="program",
    entry_point=None,
)


def function_snippet(name: str) -> SnippetView:
    """A small natural function whose name is the rule needle for the server."""
    return SnippetView(
        id=f"id-{name}",
        code=f"def {name}(xs):\n    t=0\n    for x in xs: t+=x\n    return t\n",
        kind="function",
        entry_point=name,
    )


@pytest.fixture
def server():
    with LocalLLMServer(latency_ms=2, slow_s=1.0) as running:
        yield running


def make_backend(server: LocalLLMServer, **overrides) -> OpenAIBackend:
    settings = dict(
        base_url=server.base_url,
        model=server.model,
        api_key="test-key",
        timeout_s=5.0,
        max_retries=2,
        backoff_s=0.01,
        backoff_max_s=0.05,
    )
    settings.update(overrides)
    return OpenAIBackend(**settings)


# ---------------------------------------------------------------------------------------
# Normal answers
# ---------------------------------------------------------------------------------------


def test_registered_as_openai():
    assert BACKENDS["openai"] is OpenAIBackend


def test_normal_answer_parses_into_a_pair(server):
    backend = make_backend(server)
    result = backend.generate(HAS_CLOSE)
    assert result.status == "ok", result.error
    assert "has_close(numbers, threshold)" in result.instruction
    assert "def has_close(numbers, threshold):" in result.code
    assert result.entry_point == "has_close"
    assert len(result.inputs) >= 3
    assert {i.origin for i in result.inputs} == {"llm"}
    assert json.loads(result.raw_response)["entry_point"] == "has_close"
    assert result.usage["total_tokens"] > 0 and result.usage["attempts"] == 1
    assert result.cached is False
    # Structured output was asked for, with the pair's JSON schema.
    assert server.request_count == 1
    assert server.requests[0]["response_format"] == "json_schema"
    assert "has_close" in server.requests[0]["prompt"]


def test_program_keeps_program_form(server):
    result = make_backend(server).generate(DOUBLER)
    assert result.status == "ok", result.error
    assert result.entry_point is None
    assert all(i.text.endswith("\n") for i in result.inputs)  # stdin texts


@pytest.mark.parametrize("fault", ["prose", "fenced"])
def test_tolerant_parser_reads_json_in_prose_and_fences(server, fault):
    snippet = function_snippet(f"total_{fault}")
    server.add_rule(snippet.entry_point, fault)
    result = make_backend(server).generate(snippet)
    assert result.status == "ok", result.error
    assert result.entry_point == snippet.entry_point
    assert not result.raw_response.lstrip().startswith("{")  # really was wrapped


# ---------------------------------------------------------------------------------------
# Faults: recorded as failed generations with the raw text, or retried
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error_part"),
    [
        ("malformed", "unusable answer"),
        ("truncated", "cut off"),
        ("wrong_schema", "lacks instruction, code, test_inputs"),
        ("empty", "empty answer"),
        ("bad_body", "not a chat completion"),
    ],
)
def test_bad_answers_fail_with_raw_text_and_no_retry(server, fault, error_part):
    snippet = function_snippet(f"total_{fault}")
    server.add_rule(snippet.entry_point, fault)
    result = make_backend(server).generate(snippet)
    assert result.status == "failed"
    assert error_part in result.error
    assert result.instruction is None and result.inputs == []
    if fault != "empty":
        assert result.raw_response  # kept for inspection
    assert server.request_count == 1  # a bad answer is not a transient fault


@pytest.mark.parametrize("fault", ["429", "500", "503", "disconnect"])
def test_transient_faults_are_retried_until_success(server, fault):
    snippet = function_snippet(f"total_{fault}")
    server.add_rule(snippet.entry_point, [fault, fault])  # twice, then normal answers
    result = make_backend(server, max_retries=2).generate(snippet)
    assert result.status == "ok", result.error
    assert result.usage["attempts"] == 3
    assert server.faults_seen == [fault, fault, None]


def test_persistent_rate_limit_fails_after_the_retries(server):
    snippet = function_snippet("always_limited")
    server.add_rule("always_limited", "429")
    result = make_backend(server, max_retries=3).generate(snippet)
    assert result.status == "failed"
    assert result.error.startswith("HTTP 429")
    assert "rate_limit_exceeded" in result.raw_response  # the server's error body
    assert result.usage["attempts"] == 4
    assert server.request_count == 4


def test_slow_answer_times_out_and_is_retried(server):
    slow_once = function_snippet("slow_once")
    always_slow = function_snippet("always_slow")
    server.add_rule("slow_once", ["slow"])
    server.add_rule("always_slow", "slow")
    backend = make_backend(server, timeout_s=0.3, max_retries=1)
    started = time.perf_counter()
    ok = backend.generate(slow_once)
    failed = backend.generate(always_slow)
    elapsed = time.perf_counter() - started
    assert ok.status == "ok" and ok.usage["attempts"] == 2
    assert failed.status == "failed" and failed.error.startswith("timeout")
    assert failed.usage["attempts"] == 2
    assert server.request_count == 4
    assert elapsed < 2.5  # the per-request timeout cut every slow answer short


def test_bad_request_is_not_retried(server):
    snippet = function_snippet("refused")
    server.add_rule("refused", "400")
    result = make_backend(server, structured_output=False).generate(snippet)
    assert result.status == "failed" and result.error.startswith("HTTP 400")
    assert server.request_count == 1


def test_server_without_json_schema_gets_plain_requests():
    with LocalLLMServer(json_schema=False) as server:
        backend = make_backend(server)
        first = backend.generate(function_snippet("first_one"))
        second = backend.generate(function_snippet("second_one"))
    assert first.status == "ok" and second.status == "ok"
    # Refused once (400), asked again without the schema, never sent it again.
    assert [r["response_format"] for r in server.requests] == ["json_schema", None, None]
    assert first.usage["attempts"] == 1


def test_a_run_with_every_fault_completes_and_records_each_failure(server, store):
    faults = {
        "f_ok": None,
        "f_prose": "prose",
        "f_fenced": "fenced",
        "f_malformed": "malformed",
        "f_truncated": "truncated",
        "f_wrong_schema": "wrong_schema",
        "f_bad_body": "bad_body",
        "f_slow": "slow",
        "f_limited": "429",
        "f_broken": "500",
        "f_flaky": ["500"],
    }
    for name, fault in faults.items():
        if fault is not None:
            server.add_rule(name, fault)
    snippets = [function_snippet(name) for name in faults]
    backend = make_backend(server, timeout_s=0.3, max_retries=1)
    results = dict((s.entry_point, g) for s, g in backend.generate_many(snippets, concurrency=4))
    assert set(results) == set(faults)
    ok = {name for name, g in results.items() if g.status == "ok"}
    assert ok == {"f_ok", "f_prose", "f_fenced", "f_flaky"}
    for name, generation in results.items():
        if generation.status == "failed":
            assert generation.error
            if name not in ("f_slow",):  # a timed-out request has no text at all
                assert generation.raw_response, name
    # Each outcome stored as a generation row, failed ones with their raw text.
    for snippet in snippets:
        generation = results[snippet.entry_point]
        row_id = content_id(snippet.id, backend.name, backend.model, backend.prompt_hash)
        store.add_generation(
            {
                "id": row_id,
                "snippet_id": snippet.id,
                "backend": backend.name,
                "model": backend.model,
                "prompt_hash": backend.prompt_hash,
                "instruction": generation.instruction,
                "code": generation.code,
                "entry_point": generation.entry_point,
                "raw_response": generation.raw_response,
                "usage": generation.usage,
                "status": generation.status,
                "error": generation.error,
            },
            [(i.text, i.origin) for i in generation.inputs],
        )
    stored = store.generation(
        content_id("id-f_malformed", "openai", backend.model, backend.prompt_hash)
    )
    assert stored["status"] == "failed" and stored["raw_response"].startswith("{")
    assert stored["usage"]["attempts"] == 1


# ---------------------------------------------------------------------------------------
# Cache
# ---------------------------------------------------------------------------------------


def test_rerun_is_answered_from_the_cache_with_zero_requests(server, db_path: Path):
    snippets = [function_snippet(f"cached_{i}") for i in range(6)] + [DOUBLER]
    with Store(db_path) as store:
        first = dict(make_backend(server, cache=store).generate_many(snippets, concurrency=3))
    assert server.request_count == len(snippets)
    assert not any(g.cached for g in first.values())

    server.reset_counters()
    with Store(db_path) as reopened:  # the cache lives in the DuckDB file
        again = dict(make_backend(server, cache=reopened).generate_many(snippets, concurrency=3))
    assert server.request_count == 0
    assert all(g.cached and g.status == "ok" for g in again.values())
    for snippet in snippets:
        assert again[snippet].instruction == first[snippet].instruction
        assert again[snippet].code == first[snippet].code
        assert again[snippet].inputs == first[snippet].inputs
        assert again[snippet].usage["total_tokens"] == first[snippet].usage["total_tokens"]


def test_failed_answers_are_not_cached(server, store):
    snippet = function_snippet("broken_once")
    server.add_rule("broken_once", ["malformed"])
    backend = make_backend(server, cache=store)
    assert backend.generate(snippet).status == "failed"
    assert backend.generate(snippet).status == "ok"  # asked again, not replayed
    assert backend.generate(snippet).cached
    assert server.request_count == 2


def test_prompt_or_parameter_changes_miss_the_cache(server, store, tmp_path):
    snippet = function_snippet("keyed")
    base = make_backend(server, cache=store)
    base.generate(snippet)
    warmer = make_backend(server, cache=store, temperature=0.7)
    edited = tmp_path / "edited.md"
    edited.write_text(load_template().text.replace("clean Python solution", "tidy solution"))
    reworded = make_backend(server, cache=store, template_path=edited)
    assert len({base.prompt_hash, warmer.prompt_hash, reworded.prompt_hash}) == 3
    assert not warmer.generate(snippet).cached
    assert not reworded.generate(snippet).cached
    assert make_backend(server, cache=store).generate(snippet).cached
    assert server.request_count == 3


# ---------------------------------------------------------------------------------------
# Concurrency
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
def test_concurrency_bounds_requests_in_flight(concurrency):
    snippets = [function_snippet(f"parallel_{i}") for i in range(12)]
    with LocalLLMServer(latency_ms=60) as server:
        backend = make_backend(server)
        started = time.perf_counter()
        results = list(backend.generate_many(snippets, concurrency=concurrency))
        elapsed = time.perf_counter() - started
    assert len(results) == 12 and all(g.status == "ok" for _, g in results)
    assert server.max_in_flight == concurrency
    assert elapsed >= 12 / concurrency * 0.06 * 0.9


def test_connection_pool_grows_to_the_concurrency():
    snippets = [function_snippet(f"pooled_{i}") for i in range(12)]
    with LocalLLMServer(latency_ms=60) as server:
        backend = make_backend(server, concurrency=2)  # a pool of two connections
        list(backend.generate_many(snippets, concurrency=6))
        backend.close()
    assert server.max_in_flight == 6


# ---------------------------------------------------------------------------------------
# Streaming
# ---------------------------------------------------------------------------------------


def test_streaming_passes_tokens_as_they_arrive(server, store):
    pieces: list[str] = []
    backend = make_backend(server, cache=store)
    result = backend.generate(HAS_CLOSE, on_token=pieces.append)
    assert result.status == "ok", result.error
    assert len(pieces) > 3 and "".join(pieces) == result.raw_response
    assert result.usage["completion_tokens"] > 0
    assert server.requests[0]["stream"] is True
    # From the cache, the whole answer arrives as one piece.
    replayed: list[str] = []
    assert backend.generate(HAS_CLOSE, on_token=replayed.append).cached
    assert replayed == [result.raw_response]


def test_streaming_faults(server):
    truncated = function_snippet("stream_cut")
    limited = function_snippet("stream_limited")
    server.add_rule("stream_cut", "truncated")
    server.add_rule("stream_limited", ["429"])
    backend = make_backend(server)
    cut = backend.generate(truncated, on_token=lambda piece: None)
    assert cut.status == "failed" and "cut off" in cut.error and cut.raw_response
    retried = backend.generate(limited, on_token=lambda piece: None)
    assert retried.status == "ok" and retried.usage["attempts"] == 2


# ---------------------------------------------------------------------------------------
# Settings: environment, keys, model discovery
# ---------------------------------------------------------------------------------------


def test_settings_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("SEMI_MODEL", "from-env")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    backend = OpenAIBackend()
    assert backend.model == "from-env"
    assert backend._api_key == PLACEHOLDER_API_KEY  # a local server needs no key
    assert backend.generate(HAS_CLOSE).status == "ok"
    assert server.requests[-1]["model"] == "from-env"


def test_model_is_discovered_from_a_local_server(server, monkeypatch):
    monkeypatch.delenv("SEMI_MODEL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    backend = OpenAIBackend(base_url=server.base_url)
    assert backend.model == server.model


def test_a_remote_endpoint_without_key_is_refused(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        OpenAIBackend(base_url="https://llm.example.com/v1", model="m")


def test_openai_itself_needs_a_named_model(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("SEMI_MODEL", raising=False)
    with pytest.raises(ValueError, match="SEMI_MODEL"):
        OpenAIBackend(api_key="sk-test")  # no request is sent


def test_from_settings_uses_the_store_as_cache(server, store):
    from semi_core.pipeline import PipelineSettings

    settings = PipelineSettings(backend="openai", model="m", base_url=server.base_url)
    backend = OpenAIBackend.from_settings(settings, pool=None, store=store)
    assert backend.cache is store and backend.model == "m"


# ---------------------------------------------------------------------------------------
# The prompt template
# ---------------------------------------------------------------------------------------


def test_packaged_template_renders_the_snippet():
    template = load_template()
    assert template.path.endswith("generate_v1.md") and len(template.hash) == 16
    messages = template.render(HAS_CLOSE)
    roles = [m["role"] for m in messages]
    assert roles[0] == "system" and roles[-1] == "user"
    assert roles.count("assistant") >= 2  # few-shot examples
    for example in (m for m in messages if m["role"] == "assistant"):
        parse_pair(
            example["content"], "function" if 'entry_point": "' in example["content"] else "program"
        )
    last = messages[-1]["content"]
    assert HAS_CLOSE.code.strip() in last
    assert "Entry point: has_close" in last and "nested_one_liner" in last
    assert "$" not in "".join(m["content"] for m in messages)
    assert "Kind: program" in template.render(DOUBLER)[-1]["content"]


def test_template_path_from_the_environment(tmp_path, monkeypatch, server):
    saved = save_template(load_template().text + "\nBe brief.\n", tmp_path / "prompts")
    assert Path(saved.path).name == f"generate_{saved.hash}.md"
    monkeypatch.setenv("SEMI_PROMPT_TEMPLATE", saved.path)
    assert load_template().hash == saved.hash
    assert make_backend(server).template.hash == saved.hash


def test_broken_templates_are_refused():
    with pytest.raises(TemplateError, match="marker"):
        parse_template("just text")
    with pytest.raises(TemplateError, match="last message"):
        parse_template("<!-- role: user -->\n$code\n<!-- role: assistant -->\nhi")
    with pytest.raises(TemplateError, match=r"\$code"):
        parse_template("<!-- role: system -->\nhi\n<!-- role: user -->\nno code here")


# ---------------------------------------------------------------------------------------
# The tolerant parser
# ---------------------------------------------------------------------------------------

PAIR = {
    "instruction": "Add two numbers.",
    "code": "def add(a, b):\n    return a + b\n",
    "entry_point": "add",
    "test_inputs": ["1, 2", "-1, 1"],
}


def test_parser_finds_json_after_braces_in_prose():
    text = f"Using {{braces}} in prose, the pair is: {json.dumps(PAIR)} -- done {{}}"
    assert extract_answer_object(text) == PAIR


def test_parser_accepts_python_dicts_and_wrappers():
    assert parse_pair(repr(PAIR)).entry_point == "add"
    assert parse_pair(json.dumps({"pair": PAIR})).instruction == "Add two numbers."


def test_parser_normalises_inputs_and_drops_unusable_ones():
    answer = dict(PAIR, test_inputs=[[1, 2], "x + 1", "1, 2", {"input": "3, 4"}, 5])
    pair = parse_pair(json.dumps(answer))
    assert pair.inputs == ["1, 2", "3, 4", "5"]
    assert len(pair.dropped_inputs) == 1 and "x + 1" in pair.dropped_inputs[0]


def test_parser_strips_a_fence_inside_the_code_field():
    answer = dict(PAIR, code="```python\ndef add(a, b):\n    return a + b\n```")
    assert parse_pair(json.dumps(answer)).code == "def add(a, b):\n    return a + b\n"


def test_parser_entry_point_rules():
    renamed = dict(PAIR, entry_point="plus")  # the only function is taken
    assert parse_pair(json.dumps(renamed), "function", "add").entry_point == "add"
    helpers = dict(PAIR, code=PAIR["code"] + "\ndef other():\n    pass\n", entry_point="nope")
    with pytest.raises(AnswerError, match="not a function"):
        parse_pair(json.dumps(helpers), "function", "missing")
    no_function = dict(PAIR, code="print(1)\n")
    with pytest.raises(AnswerError, match="defines no function"):
        parse_pair(json.dumps(no_function), "function", "add")
    assert parse_pair(json.dumps(no_function), "program", None).entry_point is None


def test_parser_rejects_code_that_does_not_parse():
    with pytest.raises(AnswerError, match="not valid Python"):
        parse_pair(json.dumps(dict(PAIR, code="def add(a, b:\n    return\n")))
