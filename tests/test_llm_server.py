"""The local OpenAI-compatible server itself, through the plain `openai` client."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx2
import openai
import pytest

from semi_core.llm_server import (
    FAULTS,
    FaultScript,
    LocalLLMServer,
    default_pair,
    find_snippet,
    wrong_code,
)

ADD_PROMPT = "Kind: function\nEntry point: add\n\n```python\ndef add(a, b):\n    return a + b\n```"
PROGRAM_PROMPT = "Kind: program\n\n```python\nn = int(input())\nprint(n * 2)\n```"


def client_for(server: LocalLLMServer, **options) -> openai.OpenAI:
    return openai.OpenAI(api_key="unused", base_url=server.base_url, max_retries=0, **options)


def ask(client: openai.OpenAI, prompt: str = ADD_PROMPT, **arguments):
    return client.chat.completions.create(
        model="semi-local", messages=[{"role": "user", "content": prompt}], **arguments
    )


def test_models_endpoint_lists_the_model():
    with LocalLLMServer(model="tiny-coder") as server:
        models = client_for(server).models.list()
    assert [m.id for m in models] == ["tiny-coder"]


def test_default_answer_is_a_correct_pair_of_the_prompted_code():
    with LocalLLMServer() as server:
        completion = ask(client_for(server))
    answer = json.loads(completion.choices[0].message.content)
    assert answer["entry_point"] == "add"
    assert answer["code"] == "def add(a, b):\n    return a + b\n"
    assert "add(a, b)" in answer["instruction"]
    assert len(answer["test_inputs"]) == 3
    assert completion.usage.total_tokens > 0
    assert completion.choices[0].finish_reason == "stop"


def test_snippet_finding_and_guessed_inputs():
    code, kind, entry_point = find_snippet(PROGRAM_PROMPT)
    assert kind == "program" and entry_point is None and "input()" in code
    pair = default_pair(PROGRAM_PROMPT)
    assert pair["entry_point"] is None and all(i.endswith("\n") for i in pair["test_inputs"])
    typed = default_pair(
        "```python\ndef helper():\n    pass\n\n"
        "def count(words: list[str], sep: str, limit=3) -> int:\n"
        '    """Count the words."""\n    return len(words)\n```'
    )
    assert typed["entry_point"] == "count"  # the last function when none is named
    assert typed["instruction"].endswith("Count the words.")  # from the docstring
    assert typed["test_inputs"][0] == "[1, 2, 3], 'abc'"  # defaults are left out


def test_wrong_code_really_computes_something_else():
    namespace: dict = {}
    exec(wrong_code("def add(a, b):\n    return a + b\n", "add"), namespace)
    assert namespace["add"](1, 2) == 4
    assert wrong_code("print(1)\n", None).endswith("print('WRONG')\n")


def test_wrong_code_fault_keeps_the_pair_well_formed():
    with LocalLLMServer(rules={"def add": "wrong_code"}) as server:
        answer = json.loads(ask(client_for(server)).choices[0].message.content)
    assert answer["entry_point"] == "add" and "_original_add" in answer["code"]


def test_fault_queue_then_normal_answers_and_counters():
    with LocalLLMServer(faults=["429", "500", None, "truncated"]) as server:
        client = client_for(server)
        with pytest.raises(openai.RateLimitError):
            ask(client)
        with pytest.raises(openai.InternalServerError):
            ask(client)
        assert ask(client).choices[0].finish_reason == "stop"
        truncated = ask(client).choices[0]
        assert truncated.finish_reason == "length"
        with pytest.raises(json.JSONDecodeError):
            json.loads(truncated.message.content)
        ask(client)
        assert server.faults_seen == ["429", "500", None, "truncated", None]
        assert server.request_count == 5 and server.max_in_flight == 1
        server.reset_counters()
        assert server.request_count == 0 and server.requests == []


def test_rules_match_text_in_the_last_user_message_only():
    script = FaultScript(rules={"def add": ["500", None, "429"], "flaky": "503"})
    assert [script.next_fault("def add(x)") for _ in range(4)] == ["500", None, "429", None]
    assert script.next_fault("flaky one") == "503" and script.next_fault("flaky") == "503"
    with LocalLLMServer(rules={"def add": "500"}) as server:
        client = client_for(server)
        system = {"role": "system", "content": "example: def add(a, b)"}
        user = {"role": "user", "content": PROGRAM_PROMPT}
        client.chat.completions.create(model="m", messages=[system, user])  # no fault
        with pytest.raises(openai.InternalServerError):
            ask(client)


def test_unknown_faults_are_refused():
    with pytest.raises(ValueError, match="unknown fault"):
        LocalLLMServer(faults=["teapot"])
    assert {"429", "500", "slow", "malformed", "truncated", "wrong_schema"} <= set(FAULTS)


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("malformed", lambda text: pytest.raises(json.JSONDecodeError, json.loads, text)),
        ("wrong_schema", lambda text: "instruction" not in json.loads(text)),
        ("prose", lambda text: text.startswith("Sure!")),
        ("fenced", lambda text: text.startswith("```json")),
        ("empty", lambda text: text == ""),
    ],
)
def test_content_faults(fault, check):
    with LocalLLMServer(faults=[fault]) as server:
        text = ask(client_for(server)).choices[0].message.content
    assert check(text) is not False


def test_transport_faults():
    with LocalLLMServer(faults=["disconnect", "bad_body", "slow"], slow_s=0.5) as server:
        client = client_for(server, timeout=0.2)
        with pytest.raises(openai.APIConnectionError):
            ask(client)
        raw = client.chat.completions.with_raw_response.create(
            model="m", messages=[{"role": "user", "content": ADD_PROMPT}]
        )
        assert raw.http_response.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            raw.parse()
        with pytest.raises(openai.APITimeoutError):
            ask(client)


def test_latency_and_max_in_flight():
    with LocalLLMServer(latency_ms=100) as server:
        client = client_for(server)
        started = time.perf_counter()
        ask(client)
        assert time.perf_counter() - started >= 0.1
        with ThreadPoolExecutor(5) as pool:
            list(pool.map(lambda _: ask(client), range(5)))
        assert server.max_in_flight == 5


def test_streaming_with_usage():
    with LocalLLMServer(stream_pieces=5) as server:
        stream = ask(client_for(server), stream=True, stream_options={"include_usage": True})
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert json.loads(text)["entry_point"] == "add"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.completion_tokens > 0
    assert server.requests[0]["stream"] is True


def test_json_schema_can_be_refused():
    schema = {
        "type": "json_schema",
        "json_schema": {"name": "pair", "schema": {"type": "object"}, "strict": True},
    }
    with LocalLLMServer(json_schema=False) as server:
        client = client_for(server)
        with pytest.raises(openai.BadRequestError, match="json_schema"):
            ask(client, response_format=schema)
        assert ask(client).choices[0].message.content
    with LocalLLMServer() as server:
        assert ask(client_for(server), response_format=schema).choices[0].message.content
        assert server.requests[0]["response_format"] == "json_schema"


def test_command_line_entry():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "semi_core.llm_server",
            "--port",
            "0",
            "--latency-ms",
            "5",
            "--rule",
            "def add=500",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        base_url = line.strip().rsplit(" ", 1)[-1]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        client = openai.OpenAI(api_key="unused", base_url=base_url, max_retries=0)
        assert [m.id for m in client.models.list()] == ["semi-local"]
        with pytest.raises(openai.InternalServerError):
            ask(client)
        assert ask(client, PROGRAM_PROMPT).choices[0].message.content
        stats = httpx2.get(base_url.removesuffix("/v1") + "/_stats").json()
        assert stats["requests"] == 2
    finally:
        process.terminate()
        process.wait(timeout=10)
