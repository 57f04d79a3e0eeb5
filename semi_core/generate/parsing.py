"""Read an LLM's answer into a pair, tolerantly.

Servers with structured output return exactly the JSON object of `PAIR_SCHEMA`; others
wrap it in prose or a fenced block, or write a Python dict. `parse_pair` finds the object
wherever it is, checks it, and raises `AnswerError` with a reason when the answer is not
a usable pair (the caller records that as a failed generation, keeping the raw text).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from semi_core.sandbox.args import ArgumentError, parse_call_args

# The answer's shape. Strict-mode compatible: every property required, no extras.
PAIR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "instruction": {"type": "string"},
        "code": {"type": "string"},
        "entry_point": {"type": ["string", "null"]},
        "test_inputs": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["instruction", "code", "entry_point", "test_inputs"],
    "additionalProperties": False,
}

_INPUT_KEYS = ("test_inputs", "inputs")  # models often shorten the name
_FENCED_CODE = re.compile(r"^\s*```[\w+-]*[ \t]*\n(.*?)\n?```\s*$", re.DOTALL)
_MAX_DECODE_ATTEMPTS = 200  # bounds the scan of a long prose answer


class AnswerError(ValueError):
    """The answer is not a usable pair; the message says why."""


@dataclass(frozen=True)
class ParsedPair:
    instruction: str
    code: str
    entry_point: str | None
    inputs: list[str]
    dropped_inputs: list[str] = field(default_factory=list)  # unusable inputs, with reasons


def _decode_objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object that starts at some `{` of `text`, outermost first."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    position, attempts = text.find("{"), 0
    while position != -1 and attempts < _MAX_DECODE_ATTEMPTS:
        attempts += 1
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            position = text.find("{", position + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        position = text.find("{", end)  # skip what was decoded: its inner braces too
    return found


def _python_dict(text: str) -> dict[str, Any] | None:
    """A Python dict literal between the first `{` and the last `}` (single quotes, True)."""
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end <= start:
        return None
    try:
        value = ast.literal_eval(text[start : end + 1])
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _unwrap(answer: dict[str, Any]) -> dict[str, Any]:
    """`{"pair": {...}}` or `{"result": {...}}`: the one nested object that looks like a pair."""
    if "instruction" not in answer and len(answer) == 1:
        (inner,) = answer.values()
        if isinstance(inner, dict) and "instruction" in inner:
            return inner
    return answer


def extract_answer_object(text: str) -> dict[str, Any]:
    """The JSON object in an answer: the whole text, or the first object that looks like a
    pair inside prose or a fenced block, or a Python dict literal. Raises AnswerError."""
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        raise AnswerError("empty answer")
    try:
        whole = json.loads(stripped)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        return _unwrap(whole)
    objects = _decode_objects(stripped)
    pair_like = [o for o in objects if "instruction" in o or "code" in o]
    if pair_like:
        return pair_like[0]
    literal = _python_dict(stripped)
    if literal is not None:
        return literal
    if objects:
        return _unwrap(objects[0])
    raise AnswerError("no JSON object in the answer")


def _strip_fence(code: str) -> str:
    match = _FENCED_CODE.match(code)
    return match.group(1) if match else code


def _input_text(item: Any) -> str | None:
    """An input as text: strings as they are; a list of values becomes an argument list;
    `{"input": ...}`-style objects give their text."""
    if isinstance(item, str):
        return item
    if isinstance(item, list):
        return ", ".join(repr(value) for value in item)
    if isinstance(item, dict):
        for key in ("input", "args", "stdin", "arguments"):
            if key in item:
                return _input_text(item[key])
        return None
    if isinstance(item, int | float | bool) or item is None:
        return repr(item)
    return None


def _top_level_functions(tree: ast.Module) -> list[str]:
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]


def _choose_entry_point(
    answered: Any, hint: str | None, functions: list[str], kind: str
) -> str | None:
    if kind == "program":
        return None
    candidates = [answered if isinstance(answered, str) else None, hint]
    for name in candidates:
        if name and name in functions:
            return name
    if len(functions) == 1:
        return functions[0]
    named = answered if isinstance(answered, str) and answered else hint
    if not functions:
        raise AnswerError("the generated code defines no function, but a function was asked for")
    raise AnswerError(f"the entry point {named!r} is not a function of the generated code")


def parse_pair(text: str, kind: str = "function", entry_point: str | None = None) -> ParsedPair:
    """Read an answer into a checked pair. `kind` and `entry_point` are the original's:
    a function must stay a function, and its name is the fallback entry point."""
    answer = extract_answer_object(text)
    instruction = answer.get("instruction")
    code = answer.get("code")
    inputs_key = next((key for key in _INPUT_KEYS if key in answer), None)
    missing = [
        name
        for name, present in (
            ("instruction", isinstance(instruction, str) and instruction.strip()),
            ("code", isinstance(code, str) and code.strip()),
            ("test_inputs", inputs_key is not None),
        )
        if not present
    ]
    if missing:
        keys = ", ".join(sorted(map(str, answer))) or "none"
        raise AnswerError(f"the answer lacks {', '.join(missing)} (its keys: {keys})")
    raw_inputs = answer[inputs_key]
    if not isinstance(raw_inputs, list):
        raise AnswerError(f"test_inputs is a {type(raw_inputs).__name__}, not a list")

    code = _strip_fence(code).strip("\n") + "\n"
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        raise AnswerError(f"the generated code is not valid Python: {error}") from None
    chosen = _choose_entry_point(
        answer.get("entry_point"), entry_point, _top_level_functions(tree), kind
    )

    inputs: list[str] = []
    dropped: list[str] = []
    for item in raw_inputs:
        text_input = _input_text(item)
        if text_input is None:
            dropped.append(f"{item!r}: not an input")
            continue
        if kind == "function":
            try:
                parse_call_args(text_input)
            except ArgumentError as error:
                dropped.append(f"{text_input!r}: {error}")
                continue
        if text_input not in inputs:
            inputs.append(text_input)
    return ParsedPair(instruction.strip(), code, chosen, inputs, dropped)
