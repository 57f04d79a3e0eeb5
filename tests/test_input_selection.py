"""Inputs chosen by what they catch: the candidate pool, the kills and greedy set cover."""

from __future__ import annotations

import ast
import textwrap

import pytest

from semi_core.generate.base import TestInput as Input
from semi_core.generate.offline import MUTANT_TIMEOUT_S, OfflineBackend
from semi_core.inputs import synthesize_inputs
from semi_core.inputs.selection import argument_variants, choose_inputs, greedy_cover
from semi_core.llm_server import LocalLLMServer
from semi_core.mutants import generate_mutants, measure_strength
from semi_core.sandbox import Limits, SandboxPool, Task
from semi_core.validate import ValidationSettings, validate_generation

CLAMP_SUM = textwrap.dedent(
    """
    def clamp_sum(xs: list[int]) -> int:
        total = 0
        for x in xs:
            if x >= 100:
                total += 100
            elif x < 0:
                continue
            else:
                total += x
        return total
    """
).lstrip()


@pytest.fixture(scope="module")
def pools():
    with (
        SandboxPool(Limits(timeout_s=2.0, workers=2)) as pool,
        SandboxPool(Limits(timeout_s=MUTANT_TIMEOUT_S, workers=2, kill_grace_s=0.1)) as short_pool,
    ):
        yield pool, short_pool


def killed(code: str, entry: str, texts: list[str], pools) -> int:
    pool, short_pool = pools
    expected = pool.run_many(Task(code=code, entry_point=entry, args=t) for t in texts)
    result = measure_strength(
        generate_mutants(code), entry, "function", texts, expected, short_pool
    )
    return result.killed


def test_greedy_cover_takes_the_input_that_kills_most_first():
    kills = [{0, 1}, {2}, {0, 1, 2}, {3}, set()]
    assert greedy_cover(kills, 3) == [2, 3]  # nothing else kills a mutant not yet killed
    assert greedy_cover(kills, 1) == [2]
    assert greedy_cover([{0}, {0}, {1}], 5) == [0, 2]  # a tie goes to the earlier one
    assert greedy_cover([], 3) == [] and greedy_cover([set()], 3) == []


def test_greedy_cover_takes_at_most_two_inputs_on_which_the_original_raises():
    kills = [{0, 1, 2}, {3, 4}, {5, 6}, {7}]
    assert greedy_cover(kills, 4, raising={0, 1, 2}) == [0, 1, 3]


def test_argument_variants_change_one_argument_at_a_time():
    code = "def f(xs, word, n):\n    return n > 10\n"
    texts = {v.text for v in argument_variants([Input("[4, 5], 'ab', 3", "typed")], code)}
    for expected in [
        "[], 'ab', 3", "[4], 'ab', 3", "[4, 4, 5], 'ab', 3", "[5, 4], 'ab', 3",  # containers
        "[4, 5], '', 3", "[4, 5], ' ', 3", "[4, 5], 'é', 3",  # empty, whitespace, unicode
        "[4, 5], 'ab', 0", "[4, 5], 'ab', -3", "[4, 5], 'ab', 1000000",  # zero, negative, large
        "[4, 5], 'ab', 9", "[4, 5], 'ab', 10", "[4, 5], 'ab', 11",  # around the code's 10
    ]:  # fmt: skip
        assert expected in texts
    assert all(v.origin == "mutation" for v in argument_variants([Input("1", "x")], code))


def test_chosen_inputs_kill_more_mutants_than_todays_with_as_many_inputs(pools):
    pool, short_pool = pools
    today = synthesize_inputs(CLAMP_SUM, "clamp_sum", "function", pool=pool, limit=3)
    chosen = choose_inputs(CLAMP_SUM, "clamp_sum", "function", pool=pool,
                           short_pool=short_pool, limit=3)  # fmt: skip
    assert len(chosen) == len(today) == 3
    today_kills = killed(CLAMP_SUM, "clamp_sum", [t.text for t in today], pools)
    chosen_kills = killed(CLAMP_SUM, "clamp_sum", [t.text for t in chosen], pools)
    assert chosen_kills > today_kills
    again = choose_inputs(CLAMP_SUM, "clamp_sum", "function", pool=pool,
                          short_pool=short_pool, limit=3)  # fmt: skip
    assert again == chosen  # deterministic
    outcomes = pool.run_many(Task(code=CLAMP_SUM, entry_point="clamp_sum", args=t.text)
                             for t in chosen)  # fmt: skip
    assert all(o.status == "ok" for o in outcomes)


def test_code_without_mutants_keeps_todays_inputs(pools):
    pool, short_pool = pools
    code = "def ident(x):\n    pass\n"
    today = synthesize_inputs(code, "ident", "function", pool=pool, limit=4)
    assert choose_inputs(code, "ident", "function", pool=pool, short_pool=short_pool,
                         limit=4) == today  # fmt: skip


def test_the_offline_backend_uses_the_chosen_inputs(pools):
    pool, short_pool = pools
    backend = OfflineBackend(pool, inputs_per_pair=3)
    try:
        inputs = backend.test_inputs(CLAMP_SUM, "clamp_sum", "function")
    finally:
        backend.close()
    chosen = choose_inputs(CLAMP_SUM, "clamp_sum", "function", pool=pool,
                           short_pool=short_pool, limit=3)  # fmt: skip
    assert inputs == chosen


def test_the_verdict_says_which_inputs_did_the_killing(pools):
    pool, short_pool = pools
    subject = {"id": "g", "code": CLAMP_SUM, "entry_point": "clamp_sum", "kind": "function",
               "original_code": CLAMP_SUM, "original_entry_point": "clamp_sum"}  # fmt: skip
    texts = ["[]", "[-1, 5, 100, 250]", "[3]"]
    cases = [{"id": str(i), "position": i, "input": t} for i, t in enumerate(texts)]
    result = validate_generation(subject, cases, pool, ValidationSettings(min_usable_tests=1))
    signals = result.verdict["signals"]
    by_input = signals["kills_by_input"]
    assert sum(k["killed"] for k in by_input) == signals["mutants_killed"] > 0
    assert {k["position"] for k in by_input} <= {0, 1, 2}
    assert by_input[0]["position"] == 1  # the varied list kills the most
    assert [k["killed"] for k in by_input] == sorted((k["killed"] for k in by_input), reverse=True)


GRADE = textwrap.dedent(
    """
    def grade(score):
        if score >= 90:
            return "A"
        if score >= 60:
            return "B"
        if score < 0:
            raise ValueError("negative")
        return "C"
    """
).lstrip()


def test_an_llm_runs_inputs_are_chosen_by_the_mutants_they_kill(tmp_path, pools):
    from semi_core.llm_server import guess_argument_lists
    from semi_core.pipeline import PipelineSettings, run_pipeline
    from semi_core.store import Store

    from .conftest import write

    path = write(tmp_path / "grades.py", GRADE)
    llm_texts = guess_argument_lists(ast.parse(GRADE).body[0])  # what the server answers
    with Store(tmp_path / "llm.duckdb") as store, LocalLLMServer(latency_ms=1) as server:
        settings = PipelineSettings(backend="openai", base_url=server.base_url,
                                    model=server.model, inputs_per_pair=3)  # fmt: skip
        result = run_pipeline(store, settings, stages=("ingest", "generate"), paths=[str(path)])
        assert result.state == "done" and server.request_count == 1
        [generation] = store.pair_overview()
        cases = store.test_cases(generation["id"])
    assert all(c["origin"] == "llm" for c in cases if c["input"] in llm_texts)
    texts = [c["input"] for c in cases]
    assert len(texts) == len(llm_texts) == 3
    # The server's inputs all expect "C"; chosen by what they catch, as many inputs kill more.
    assert killed(GRADE, "grade", texts, pools) > killed(GRADE, "grade", llm_texts, pools)
