"""The backend contract, for every backend: a snippet in; instruction, code, entry point
and test inputs with their origins out — and the offline backend's own rules."""

from __future__ import annotations

import ast

import pytest

from semi_core.generate.base import ORIGINS, SnippetView
from semi_core.generate.offline import OfflineBackend, proper_form
from semi_core.generate.openai_backend import OpenAIBackend
from semi_core.llm_server import LocalLLMServer
from semi_core.sandbox import Limits, SandboxPool, Task, parse_call_args

MESSY = SnippetView(
    id="messy",
    code=(
        "import math\n\n"
        "def hyp(a, b):\n"
        "    sq = lambda v: v * v; total = sq(a) + sq(b)\n"
        "    if total < 0: return 0\n"
        "    return math.sqrt(total)\n"
    ),
    kind="function",
    entry_point="hyp",
    name="hyp",
)
DOCUMENTED = SnippetView(
    id="documented",
    code=(
        "def count_words(text: str) -> int:\n"
        '    """Count the words of a text, split on whitespace."""\n'
        "    return len(text.split())\n"
    ),
    kind="function",
    entry_point="count_words",
    name="count_words",
)
PROGRAM = SnippetView(
    id="program",
    code="n = int(input())\nprint(sum(range(n + 1)))\n",
    kind="program",
    entry_point=None,
    name="triangle",
)


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(Limits(timeout_s=2.0, workers=2)) as opened:
        yield opened


@pytest.fixture(scope="module")
def llm_server():
    with LocalLLMServer(latency_ms=1) as server:
        yield server


@pytest.fixture(params=["offline", "openai"])
def backend(request, pool, llm_server):
    if request.param == "offline":
        made = OfflineBackend(pool, inputs_per_pair=8)
    else:
        made = OpenAIBackend(base_url=llm_server.base_url, model=llm_server.model)
    yield made
    made.close()


@pytest.mark.parametrize("snippet", [MESSY, DOCUMENTED, PROGRAM], ids=lambda s: s.id)
def test_every_backend_answers_with_a_runnable_pair(backend, pool, snippet):
    result = backend.generate(snippet)
    assert result.status == "ok", result.error
    assert result.instruction and len(result.instruction) > 20
    tree = ast.parse(result.code)
    assert result.entry_point == snippet.entry_point
    if snippet.kind == "function":
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert snippet.entry_point in names
    assert result.inputs, "a backend gives test inputs"
    assert all(i.origin in ORIGINS for i in result.inputs)
    first = result.inputs[0]
    if snippet.kind == "function":
        parse_call_args(first.text)  # a literal argument list
        outcome = pool.run(Task(code=result.code, entry_point=result.entry_point,
                                mode="function", args=first.text))  # fmt: skip
    else:
        outcome = pool.run(Task(code=result.code, mode="program", stdin=first.text))
    assert outcome.status in ("ok", "error"), outcome.error  # it runs (errors are answers)
    assert isinstance(backend.prompt_hash, str) and len(backend.prompt_hash) == 16


def test_generate_many_keeps_every_snippet(backend):
    results = dict(
        (snippet.id, result)
        for snippet, result in backend.generate_many([MESSY, DOCUMENTED, PROGRAM], 2)
    )
    assert set(results) == {"messy", "documented", "program"}
    assert all(r.status == "ok" for r in results.values())


# -- the offline backend's rules -----------------------------------------------------------


def test_offline_rewrite_is_proper_form(pool):
    code = OfflineBackend(pool).generate(MESSY).code
    assert "lambda" not in code and "def sq(v):" in code
    assert ";" not in code
    assert "if total < 0:\n        return 0" in code
    function = next(n for n in ast.parse(code).body if isinstance(n, ast.FunctionDef))
    assert ast.get_docstring(function)


def test_offline_instruction_uses_examples_when_there_is_no_docstring(pool):
    result = OfflineBackend(pool).generate(MESSY)
    assert "`hyp(a, b)`" in result.instruction
    assert "Examples:" in result.instruction
    assert "returns" in result.instruction


def test_offline_instruction_uses_the_docstring(pool):
    result = OfflineBackend(pool).generate(DOCUMENTED)
    assert "Count the words of a text" in result.instruction
    assert "count_words(text: str) -> int" in result.instruction


def test_offline_program_instruction_talks_about_standard_input(pool):
    result = OfflineBackend(pool).generate(PROGRAM)
    assert "standard input" in result.instruction
    assert all(not i.text.startswith("(") for i in result.inputs)


def test_offline_backend_is_deterministic(pool):
    first = OfflineBackend(pool).generate(MESSY)
    second = OfflineBackend(pool).generate(MESSY)
    assert (first.instruction, first.code, first.inputs) == (
        second.instruction, second.code, second.inputs
    )  # fmt: skip


def test_proper_form_keeps_comments_and_behaviour_text():
    code = "def f(x):  # keep me\n    y = x+1; return y\n"
    rewritten = proper_form(code, "f", "Add one.")
    assert "# keep me" in rewritten
    assert '"""Add one.' in rewritten
    assert "y = x + 1\n    return y" in rewritten
