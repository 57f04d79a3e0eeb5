"""exec_file / exec_batch: the JSON-line dicts behind `semi exec`."""

from __future__ import annotations

import json

import pytest

from semi_core.sandbox import Limits, SandboxPool
from semi_core.sandbox.jobs import exec_batch, exec_file

FIELDS = {"id", "index", "status", "output", "error", "stdout", "duration_ms"}


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(Limits(timeout_s=1.0, workers=2)) as p:
        yield p


def write_lines(path, lines):
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return str(path)


def test_exec_file_function_mode(tmp_path, pool):
    src = tmp_path / "sol.py"
    src.write_text("def f(a, b=0):\n    return a * 10 + b\n")
    inputs = write_lines(
        tmp_path / "in.jsonl",
        [
            {"args": "1"},
            {"args": "2, b=3"},
            "{not json",
            {"stdin": "x"},
            {"args": [4, 5]},
            "",
            {"args": "open('x')"},
        ],
    )
    rows = list(exec_file(str(src), "f", inputs, "function", Limits(), pool=pool))
    assert [set(r) for r in rows] == [FIELDS] * 6
    assert [r["status"] for r in rows] == ["ok", "ok", "invalid", "invalid", "ok", "invalid"]
    assert [r["output"] for r in rows if r["status"] == "ok"] == ["10", "23", "45"]
    assert rows[2]["error"].startswith("line 3: invalid JSON")
    assert rows[3]["error"] == 'line 4: a function input needs "args"'
    assert [r["index"] for r in rows] == list(range(6))
    assert all(r["id"] == str(src) for r in rows)


def test_exec_file_program_mode(tmp_path, pool):
    src = tmp_path / "prog.py"
    src.write_text("print(sum(map(int, input().split())))\n")
    inputs = write_lines(tmp_path / "in.jsonl", [{"stdin": "1 2\n"}, {"stdin": "5 5 5\n"}])
    rows = list(exec_file(str(src), None, inputs, "program", Limits(), pool=pool))
    assert [(r["status"], r["stdout"]) for r in rows] == [("ok", "3\n"), ("ok", "15\n")]


def test_exec_file_needs_entry_in_function_mode(tmp_path):
    with pytest.raises(ValueError):
        list(exec_file(str(tmp_path / "x.py"), None, str(tmp_path / "i"), "function", Limits()))


def test_exec_batch(tmp_path, pool):
    tasks = write_lines(
        tmp_path / "tasks.jsonl",
        [
            {
                "id": "a",
                "code": "def f(x):\n    return x + 1\n",
                "entry_point": "f",
                "mode": "function",
                "inputs": [{"args": "1"}, {"args": "2"}],
            },
            "[broken",
            {
                "id": "b",
                "code": "print(input()[::-1])\n",
                "mode": "program",
                "inputs": [{"stdin": "abc\n"}, {"args": "1"}],
            },
            {"id": "c", "code": "x", "mode": "nope", "inputs": []},
            {
                "id": "d",
                "code": "def f():\n    while True:\n        pass\n",
                "entry_point": "f",
                "inputs": [{"args": ""}],
            },
        ],
    )
    rows = list(exec_batch(tasks, Limits(), pool=pool))
    got = [(r["id"], r["index"], r["status"]) for r in rows]
    assert got == [
        ("a", 0, "ok"),
        ("a", 1, "ok"),
        (None, None, "invalid"),
        ("b", 0, "ok"),
        ("b", 1, "invalid"),
        ("c", None, "invalid"),
        ("d", 0, "timeout"),
    ]
    assert rows[2]["error"].startswith("line 2: invalid JSON")
    assert rows[3]["stdout"] == "cba\n"
    assert rows[5]["error"].startswith("line 4:")
    assert all(set(r) == FIELDS for r in rows)
    assert json.loads(json.dumps(rows)) == rows  # every line is JSON-serializable


def test_exec_batch_with_its_own_pool(tmp_path):
    tasks = write_lines(
        tmp_path / "t.jsonl",
        [
            {
                "id": 1,
                "code": "def f():\n    return 'hi'\n",
                "entry_point": "f",
                "inputs": [{"args": ""}],
            },
        ],
    )
    rows = list(exec_batch(tasks, Limits(workers=1)))
    assert rows[0]["output"] == "'hi'" and rows[0]["status"] == "ok"
