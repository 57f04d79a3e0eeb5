"""Plain functions behind `semi exec`: read JSONL, run through a pool, yield JSON-line dicts.

Every yielded dict has `id`, `index`, `status`, `output`, `error`, `stdout` and
`duration_ms`. A malformed input line yields `status: "invalid"` with
`error: "line N: ..."` and the other lines still run. Lines are processed in
blocks, so large files stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from .outcome import MODES, Limits, Outcome, Task
from .pool import SandboxPool

BLOCK = 256  # tasks per run_many call: keeps memory flat and workers busy


def _invalid(task_id: Any, index: int | None, error: str) -> dict[str, Any]:
    return {
        "id": task_id,
        "index": index,
        "status": "invalid",
        "output": "",
        "error": error,
        "stdout": "",
        "duration_ms": 0.0,
    }


def _line(task_id: Any, index: int, outcome: Outcome) -> dict[str, Any]:
    return {"id": task_id, "index": index, **outcome.to_json_dict()}


def _args_text(value: Any) -> str:
    """`args` is normally the text inside a call's parentheses; a JSON list of
    values is accepted too and turned into that text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(repr(v) for v in value)
    raise ValueError('"args" must be a string like "1, [2, 3], key=\'x\'" or a list')


def _input_to_task(code: str, entry: str | None, mode: str, item: Any) -> Task:
    if mode == "program":
        if isinstance(item, dict) and "stdin" in item:
            stdin = item["stdin"]
        elif isinstance(item, str):
            stdin = item
        else:
            raise ValueError('a program input needs "stdin"')
        if not isinstance(stdin, str):
            raise ValueError('"stdin" must be a string')
        return Task(code=code, entry_point=entry, mode="program", stdin=stdin)
    if not isinstance(item, dict) or "args" not in item:
        raise ValueError('a function input needs "args"')
    return Task(code=code, entry_point=entry, mode="function", args=_args_text(item["args"]))


def _read_jsonl(path: str) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, parsed value or None, error or None) for each non-blank line."""
    with open(path, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                yield number, json.loads(raw), None
            except json.JSONDecodeError as exc:
                yield number, None, f"line {number}: invalid JSON ({exc.msg})"


def _run_blocks(
    pending: Iterable[tuple[Any, int | None, Task | dict[str, Any]]], pool: SandboxPool
) -> Iterator[dict[str, Any]]:
    """Run tasks in blocks, yielding results (and pre-made error dicts) in order."""
    block: list[tuple[Any, int | None, Task | dict[str, Any]]] = []

    def flush() -> Iterator[dict[str, Any]]:
        tasks = [t for _, _, t in block if isinstance(t, Task)]
        outcomes = iter(pool.run_many(tasks)) if tasks else iter(())
        for task_id, index, t in block:
            if isinstance(t, Task):
                yield _line(task_id, index if index is not None else 0, next(outcomes))
            else:
                yield t
        block.clear()

    for entry in pending:
        block.append(entry)
        if sum(isinstance(t, Task) for _, _, t in block) >= BLOCK:
            yield from flush()
    if block:
        yield from flush()


def exec_file(
    path: str,
    entry_point: str | None,
    inputs_path: str,
    mode: str,
    limits: Limits,
    pool: SandboxPool | None = None,
) -> Iterator[dict[str, Any]]:
    """Run the code in `path` on each input of `inputs_path` (JSONL: {"args": ...} or
    {"stdin": ...} per line). `id` is the file path, `index` the input's position."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (expected 'function' or 'program')")
    if mode == "function" and not entry_point:
        raise ValueError("function mode needs an entry point (--entry NAME)")
    code = Path(path).read_text(encoding="utf-8")
    task_id = str(path)

    def pending() -> Iterator[tuple[Any, int | None, Task | dict[str, Any]]]:
        for index, (number, item, error) in enumerate(_read_jsonl(inputs_path)):
            if error:
                yield task_id, index, _invalid(task_id, index, error)
                continue
            try:
                yield task_id, index, _input_to_task(code, entry_point, mode, item)
            except ValueError as exc:
                yield task_id, index, _invalid(task_id, index, f"line {number}: {exc}")

    with nullcontext(pool) if pool is not None else SandboxPool(limits) as p:
        yield from _run_blocks(pending(), p)


def exec_batch(
    tasks_path: str, limits: Limits, pool: SandboxPool | None = None
) -> Iterator[dict[str, Any]]:
    """Run every task of `tasks_path`, one JSON object per line:
    {"id", "code", "entry_point", "mode", "inputs": [{"args": ...} | {"stdin": ...}]}."""

    def pending() -> Iterator[tuple[Any, int | None, Task | dict[str, Any]]]:
        for number, item, error in _read_jsonl(tasks_path):
            if error:
                yield None, None, _invalid(None, None, error)
                continue
            problem = _task_problem(item)
            task_id = item.get("id") if isinstance(item, dict) else None
            if problem:
                yield task_id, None, _invalid(task_id, None, f"line {number}: {problem}")
                continue
            mode = item.get("mode", "function")
            for index, inp in enumerate(item["inputs"]):
                try:
                    task = _input_to_task(item["code"], item.get("entry_point"), mode, inp)
                except ValueError as exc:
                    yield (
                        task_id,
                        index,
                        _invalid(task_id, index, f"line {number}: input {index}: {exc}"),
                    )
                    continue
                yield task_id, index, task

    with nullcontext(pool) if pool is not None else SandboxPool(limits) as p:
        yield from _run_blocks(pending(), p)


def _task_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "each line must be a JSON object"
    if not isinstance(item.get("code"), str):
        return '"code" must be a string'
    mode = item.get("mode", "function")
    if mode not in MODES:
        return f'"mode" must be "function" or "program", not {mode!r}'
    if mode == "function" and not isinstance(item.get("entry_point"), str):
        return 'function mode needs "entry_point"'
    if not isinstance(item.get("inputs"), list):
        return '"inputs" must be a list'
    return None
