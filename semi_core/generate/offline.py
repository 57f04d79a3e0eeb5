"""The offline backend: the embedded default. No network, deterministic.

It does by rule what the LLM does by prompt, so that the whole method can be shown and
tested without an API key:
- code: the original rewritten into proper form — lambdas bound to names become
  functions, then the code is formatted with black (which also splits semicolon chains
  and one-line compound statements), and a docstring is added where there was none;
- instruction: written from the signature, the docstring and the names, and — when there
  is no docstring — from input → output examples computed by running the original in
  the sandbox;
- test inputs: from `semi_core.inputs` (typed values, probing, literals, mutation,
  doctests).

Generations made here are labelled with backend "offline" in the store and the studio.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import black

from semi_core.generate.base import Backend, Generation, SnippetView, TestInput, register
from semi_core.inputs import examples_for_instruction
from semi_core.inputs.selection import SHORT_TIMEOUT_S, choose_inputs, short_limits
from semi_core.sandbox import SandboxPool

VERSION = "offline-v1"  # bump when the rules change: new rules make new generations
EXAMPLES_IN_INSTRUCTION = 3
# Candidate inputs are scored by the mutants they kill; many mutants loop forever, and a
# short timeout is what kills them cheaply (candidates are kept only where the original
# takes at most a fifth of it).
MUTANT_TIMEOUT_S = SHORT_TIMEOUT_S


# ---------------------------------------------------------------------------------------
# Code: the original in proper form
# ---------------------------------------------------------------------------------------


def _lambdas_to_functions(code: str) -> str:
    """`name = lambda a, b: expr` → `def name(a, b):\n    return expr`, at any depth."""
    tree = ast.parse(code)
    lines = code.splitlines(keepends=True)
    targets = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Lambda)
    ]
    # Replace from the bottom up so earlier line numbers stay valid.
    for node in sorted(targets, key=lambda n: n.lineno, reverse=True):
        first = lines[node.lineno - 1]
        if first[: node.col_offset].strip():  # shares its line with another statement
            continue
        indent = first[: node.col_offset]
        name = node.targets[0].id
        args = ast.unparse(node.value.args)
        body = ast.unparse(node.value.body)
        replacement = f"{indent}def {name}({args}):\n{indent}    return {body}\n"
        lines[node.lineno - 1 : node.end_lineno] = [replacement]
    return "".join(lines)


def _add_docstring(code: str, entry_point: str, docstring: str) -> str:
    """Insert a docstring as the first statement of `entry_point`, if it has none."""
    tree = ast.parse(code)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            if ast.get_docstring(node) is not None:
                return code
            first = node.body[0]
            lines = code.splitlines(keepends=True)
            indent = re.match(r"\s*", lines[first.lineno - 1]).group()
            text = docstring.replace('"""', "'''").replace("\\", "\\\\")
            body = "\n".join((indent + line).rstrip() for line in text.splitlines())
            lines.insert(first.lineno - 1, f'{indent}"""{body.strip()}\n{indent}"""\n')
            return "".join(lines)
    return code


def proper_form(code: str, entry_point: str | None, docstring: str | None) -> str:
    """The original rewritten into proper form (see the module docstring)."""
    code = _lambdas_to_functions(code)
    code = black.format_str(code, mode=black.Mode())
    if entry_point and docstring:
        code = black.format_str(_add_docstring(code, entry_point, docstring), mode=black.Mode())
    return code


# ---------------------------------------------------------------------------------------
# Instruction: from signature, docstring, names and examples
# ---------------------------------------------------------------------------------------


def name_words(name: str) -> str:
    """`computeArea_v2` → "compute area v2"."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name.strip("_"))
    return " ".join(spaced.replace("_", " ").lower().split())


def _signature(function: ast.FunctionDef) -> str:
    signature = f"{function.name}({ast.unparse(function.args)})"
    if function.returns is not None:
        signature += f" -> {ast.unparse(function.returns)}"
    return signature


def _docstring_prose(docstring: str) -> str:
    """The descriptive part of a docstring: up to its examples or parameter sections."""
    kept = []
    for line in docstring.strip().splitlines():
        if re.match(r"\s*(>>>|Examples?\b|For example|Example:)", line):
            break
        kept.append(line.strip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _example_lines(call: str, examples: list[tuple[str, str]], program: bool) -> list[str]:
    if program:
        return [
            f"- given the input `{stdin.strip()!s}` it prints `{out.strip()}`"
            for stdin, out in examples
        ]
    return [f"- `{call}({args})` returns `{out}`" for args, out in examples]


# What a returned expression gives, by its shape (None: cannot tell from the code).
_NUMBER_CALLS = ("len", "sum", "int", "float", "abs", "round", "min", "max", "pow", "ord")
_STRING_METHODS = ("join", "format", "upper", "lower", "strip", "replace", "title")
_NAMED_CALLS = {"sorted": "a list", "list": "a list", "str": "a string", "bool": "True or False",
                "tuple": "a tuple", "dict": "a dictionary", "set": "a set"}  # fmt: skip


def _shape(value: ast.expr | None) -> str | None:
    if value is None:
        return "nothing"
    if isinstance(value, ast.Compare | ast.BoolOp) or (
        isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not)
    ):
        return "True or False"
    if isinstance(value, ast.Constant):
        return {bool: "True or False", int: "a number", float: "a number", str: "a string",
                type(None): "nothing"}.get(type(value.value))  # fmt: skip
    shapes = {ast.List: "a list", ast.ListComp: "a list", ast.Tuple: "a tuple",
              ast.Dict: "a dictionary", ast.DictComp: "a dictionary", ast.Set: "a set",
              ast.SetComp: "a set", ast.JoinedStr: "a string"}  # fmt: skip
    if type(value) in shapes:
        return shapes[type(value)]
    if isinstance(value, ast.BinOp) and not isinstance(value.op, ast.Add | ast.Mod | ast.Mult):
        return "a number"
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name):
            return "a number" if func.id in _NUMBER_CALLS else _NAMED_CALLS.get(func.id)
        if isinstance(func, ast.Attribute) and func.attr in _STRING_METHODS:
            return "a string"
    return None


def _example_shape(examples: list[tuple[str, str]]) -> str | None:
    """What every example output is, when they agree (None: they do not, or are unknown)."""
    shapes = set()
    for _, output in examples:
        try:
            shapes.add(_shape(ast.parse(output, mode="eval").body))
        except (SyntaxError, ValueError, RecursionError):
            return None
    return shapes.pop() if len(shapes) == 1 else None


def _returns(function: ast.FunctionDef, examples: list[tuple[str, str]]) -> str:
    """What the function returns, in words: from the shapes of its return statements, else
    from its example outputs."""

    def own_returns(node: ast.AST) -> list[ast.Return]:
        found = []
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Return):
                found.append(child)
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                found += own_returns(child)
        return found

    shapes = {_shape(r.value) for r in own_returns(function)} - {"nothing"}
    if not shapes:
        return "returns nothing"
    if len(shapes) == 1 and None not in shapes:
        return f"returns {shapes.pop()}"
    shown = _example_shape(examples)
    return f"returns {shown}" if shown and shown != "nothing" else "returns the result"


_PREDICATE = re.compile(r"^(is|has|can|should|are|contains)_?(?=[a-zA-Z])")


def _task_sentence(function: ast.FunctionDef, params: list[str], returns: str) -> str:
    """The instruction's opening: the function to write, what it takes and gives."""
    named = name_words(function.name)
    taking = f" that takes {_and_list(f'`{p}`' for p in params)} and" if params else " that"
    purpose = ""
    if returns == "returns True or False" and params and _PREDICATE.match(function.name):
        returns = f"returns True when `{params[0]}` {named}, else False"
    elif named.replace(" ", "") != function.name.lower():
        purpose = f" In short, it should {named}."
    return f"Write a Python function `{_signature(function)}`{taking} {returns}.{purpose}"


def _and_list(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def function_instruction(
    function: ast.FunctionDef, examples: list[tuple[str, str]]
) -> tuple[str, str]:
    """(instruction, docstring for the rewrite) for a function snippet."""
    docstring = ast.get_docstring(function)
    prose = _docstring_prose(docstring) if docstring else ""
    params = [a.arg for a in function.args.args + function.args.kwonlyargs if a.arg != "self"]
    signature = _signature(function)
    returns = _returns(function, examples)
    if prose:
        lines = [f"Write a Python function `{signature}`.", "", prose]
    else:
        lines = [_task_sentence(function, params, returns)]
        if examples:
            lines += ["", "It should behave as these examples show."]
    if examples:
        lines += ["", "Examples:"] + _example_lines(function.name, examples, program=False)
    summary = f"{name_words(function.name).capitalize()}."
    if returns not in ("returns the result", "returns nothing"):
        summary = f"{summary[:-1]}: {returns.replace('returns', 'return', 1)}."
    new_docstring = prose or summary
    if examples and not docstring:
        args, out = examples[0]
        new_docstring += f"\n\nExample: {function.name}({args}) returns {out}."
    return "\n".join(lines), new_docstring


def program_instruction(tree: ast.Module, name: str, examples: list[tuple[str, str]]) -> str:
    docstring = ast.get_docstring(tree)
    lines = [
        "Write a Python program that reads its input from standard input and prints the "
        "result to standard output."
    ]
    if docstring:
        lines += ["", _docstring_prose(docstring)]
    elif name:
        lines += ["", f"The program should {name_words(name)}."]
    if examples:
        lines += ["", "Examples:"] + _example_lines(name, examples, program=True)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# The backend
# ---------------------------------------------------------------------------------------


@register
class OfflineBackend(Backend):
    """Rule-based rewriting; needs a sandbox pool to compute examples and test inputs."""

    name = "offline"

    def __init__(self, pool: SandboxPool, inputs_per_pair: int = 10, seed: int = 0):
        self.pool = pool
        self.inputs_per_pair = inputs_per_pair
        self.seed = seed
        self.model = VERSION
        self._short_pools: dict[float, SandboxPool] = {}

    def short_pool(self, timeout_s: float) -> SandboxPool:
        """A second pool like the run's with a shorter timeout, for code that may loop
        (mutants, mistakes); it starts on first use and lives as long as the backend."""
        limits = short_limits(self.pool.limits, timeout_s)
        if limits.timeout_s not in self._short_pools:
            self._short_pools[limits.timeout_s] = SandboxPool(limits)
        return self._short_pools[limits.timeout_s]

    def close(self) -> None:
        for short_pool in self._short_pools.values():
            short_pool.close()
        self._short_pools.clear()

    def test_inputs(self, code: str, entry_point: str | None, kind: str) -> list[TestInput]:
        """The pair's test inputs: synthesized, then chosen by the mutants they kill."""
        return choose_inputs(
            code,
            entry_point,
            kind,
            pool=self.pool,
            short_pool=self.short_pool(MUTANT_TIMEOUT_S),
            limit=self.inputs_per_pair,
            seed=self.seed,
        )

    @classmethod
    def from_settings(cls, settings, *, pool: SandboxPool, store=None) -> OfflineBackend:
        return cls(pool, inputs_per_pair=settings.inputs_per_pair, seed=settings.seed)

    @property
    def prompt_hash(self) -> str:
        rules = Path(__file__).read_bytes()  # the rules are this file
        digest = hashlib.sha256(rules + f"{self.inputs_per_pair}:{self.seed}".encode())
        return digest.hexdigest()[:16]

    def generate(self, snippet: SnippetView) -> Generation:
        try:
            tree = ast.parse(snippet.code)
        except SyntaxError as error:
            return Generation.failed(f"the original does not parse: {error}")
        inputs = self.test_inputs(snippet.code, snippet.entry_point, snippet.kind)
        examples = examples_for_instruction(
            snippet.code, snippet.entry_point, self.pool, inputs, k=EXAMPLES_IN_INSTRUCTION
        )
        if snippet.kind == "program":
            instruction = program_instruction(tree, snippet.name or "", examples)
            docstring = None
        else:
            function = next(
                (
                    n
                    for n in tree.body
                    if isinstance(n, ast.FunctionDef) and n.name == snippet.entry_point
                ),
                None,
            )
            if function is None:
                return Generation.failed(f"no function named {snippet.entry_point!r}")
            instruction, docstring = function_instruction(function, examples)
        try:
            code = proper_form(snippet.code, snippet.entry_point, docstring)
        except (black.InvalidInput, SyntaxError, ValueError) as error:
            return Generation.failed(f"cannot reformat the original: {error}")
        return Generation(
            instruction=instruction,
            code=code,
            entry_point=snippet.entry_point,
            inputs=[TestInput(i.text, i.origin) for i in inputs],
            raw_response="",
            usage=None,
        )
