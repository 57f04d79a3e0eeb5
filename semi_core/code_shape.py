"""The shape of natural code: its normalisation (the basis of a snippet's id), the flags
for what Semi-Instruct repairs, and the size limits past which a snippet is rejected."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

MAX_CHARS = 20_000

# Single-letter names that are idiomatic, not unclear.
IDIOMATIC_SHORT_NAMES = {"i", "j", "k", "n", "m", "x", "y", "_"}


# Normalisation keeps string literals as they are and drops comments and layout: a gap
# (spaces, newlines, comments) becomes one space between two word characters and nothing
# elsewhere. A regular expression does in under a second what `tokenize` does in tens.
# A string prefix (r, b, f...) is copied like any other letter, so the pattern starts
# only at a quote, a space or a '#', which lets the regex engine skip the rest quickly.
_STRING = "|".join(
    [
        r'"""[\s\S]*?"""',  # triple-quoted, may hold '#' and newlines
        r"'''[\s\S]*?'''",
        r'"(?:\\.|[^"\\\n])*"',
        r"'(?:\\.|[^'\\\n])*'",
    ]
)
_GAP = r"(?:\s|#[^\n]*+)++"  # possessive: a gap is never cut short to end before a word
_PIECES = re.compile(rf"({_STRING})|((?<=\w){_GAP}(?=\w))|{_GAP}")


def _normalize_piece(match: re.Match[str]) -> str:
    # A string is kept; a gap between two word characters becomes one space; others go.
    return match[1] or (" " if match[2] else "")


def normalized_code(code: str) -> str:
    """The code without comments or layout, so reformatting does not make it new code."""
    return _PIECES.sub(_normalize_piece, code).strip()


def _all_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree`, in no particular order: one pass that the flag tests share
    (several `ast.walk` passes were most of the cost of ingesting a snippet)."""
    found = []
    stack = [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST) and not isinstance(value, ast.expr_context):
                stack.append(value)
    return found


def _statement_bodies(nodes: list[ast.AST]) -> Iterator[list[ast.stmt]]:
    for node in nodes:
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                yield body
        for handler in getattr(node, "handlers", []) or []:
            yield handler.body


def _has_semicolon_joins(nodes: list[ast.AST]) -> bool:
    for body in _statement_bodies(nodes):
        for first, second in zip(body, body[1:], strict=False):
            if first.end_lineno == second.lineno:
                return True
    return False


def _nesting_depth(node: ast.AST) -> int:
    """How deeply comprehensions, lambdas and conditional expressions nest in `node`."""
    nested = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda, ast.IfExp)
    own = 1 if isinstance(node, nested) else 0
    return own + max((_nesting_depth(child) for child in ast.iter_child_nodes(node)), default=0)


def _has_nested_one_liners(nodes: list[ast.AST]) -> bool:
    for node in nodes:
        # A compound statement whose body shares its header's line: `if x: return y`.
        if isinstance(node, ast.If | ast.For | ast.While | ast.With):
            if node.body and node.body[0].lineno == node.lineno:
                return True
        if isinstance(node, ast.stmt) and not isinstance(
            node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef
        ):
            if node.lineno == node.end_lineno and _nesting_depth(node) >= 2:
                return True
    return False


def _has_assigned_lambdas(nodes: list[ast.AST]) -> bool:
    return any(
        isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Lambda)
        for node in nodes
    )


def _has_unclear_names(
    function: ast.FunctionDef | ast.AsyncFunctionDef, nodes: list[ast.AST]
) -> bool:
    """Short, non-idiomatic names: a function named in two letters or less, or two or
    more one-letter parameters or locals beyond the idiomatic i, j, k, n, m, x, y.
    `nodes` are the function's nodes."""
    if len(function.name) <= 2:
        return True
    names = {arg.arg for arg in function.args.args + function.args.kwonlyargs}
    names |= {
        node.id for node in nodes if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    return len([n for n in names if len(n) == 1 and n not in IDIOMATIC_SHORT_NAMES]) >= 2


# Cheap tests on the text that every flagged snippet passes: the exact test on the syntax
# tree runs only when its text test passes, which most code does not. Each is a necessary
# condition, never a guess, so the flags are exactly those of the tree tests alone.
# A body on its header's line: a header keyword starts the line, text follows a colon.
_HEADER_WITH_BODY = re.compile(r"^[^\S\n]*(?:if|elif|for|while|with)\b[^\n]*:[^\S\n]*[^\s#]", re.M)
# Two nested comprehensions, lambdas or conditional expressions on one line need two of
# their keywords on that line.
# A keyword is never glued to a letter or "_" before it (a digit may be: `1if x else 2`).
_NESTABLE = r"(?<![^\W\d])(?:for|lambda|if)\b"
_TWO_NESTABLE_ON_A_LINE = re.compile(rf"{_NESTABLE}[^\n]*?{_NESTABLE}")
_ONE_LETTER_WORD = re.compile(r"\b[^\W\d]\b")


def _may_have_unclear_names(code: str) -> bool:
    return len(set(_ONE_LETTER_WORD.findall(code)) - IDIOMATIC_SHORT_NAMES) >= 2


def snippet_flags(
    tree: ast.AST, function: ast.FunctionDef | None, code: str | None = None
) -> list[str]:
    """What Semi-Instruct would repair in this code, as short flag names.

    `code`, the text `tree` was parsed from (or text containing it), lets the tree be
    left unwalked where the text shows that no flag can apply; the flags are the same."""
    flags = []
    if function is not None and ast.get_docstring(function) is None:
        flags.append("no_docstring")
    checks = {
        "nested_one_liner": code is None
        or bool(_HEADER_WITH_BODY.search(code) or _TWO_NESTABLE_ON_A_LINE.search(code)),
        "semicolon_joined": code is None or ";" in code,
        "lambda_assigned": code is None or "lambda" in code,
        "unclear_names": function is not None
        and (len(function.name) <= 2 or code is None or _may_have_unclear_names(code)),
    }
    if not any(checks.values()):
        return flags
    nodes = _all_nodes(tree)
    if checks["nested_one_liner"] and _has_nested_one_liners(nodes):
        flags.append("nested_one_liner")
    if checks["semicolon_joined"] and _has_semicolon_joins(nodes):
        flags.append("semicolon_joined")
    if checks["lambda_assigned"] and _has_assigned_lambdas(nodes):
        flags.append("lambda_assigned")
    if checks["unclear_names"] and function is not None and _has_unclear_names(function, nodes):
        flags.append("unclear_names")
    return flags


def too_long(code: str, max_lines: int) -> str | None:
    lines = len(code.splitlines())
    if lines > max_lines:
        return f"{lines} lines (limit {max_lines})"
    if len(code) > MAX_CHARS:
        return f"{len(code)} characters (limit {MAX_CHARS})"
    return None
