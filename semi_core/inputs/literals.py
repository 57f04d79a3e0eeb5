"""Literals mined from the code, and the boundary values they make: numbers
around comparisons, split strings, solved equalities."""

from __future__ import annotations

import ast
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from semi_core.inputs.analysis import _CHAR_CLASSES
from semi_core.inputs.types import _interleave, _stable_int


@dataclass
class _Literals:
    ints: list[int] = field(default_factory=list)  # constants, ±1 around compared ones
    floats: list[float] = field(default_factory=list)
    strs: list[str] = field(default_factory=list)  # short string constants
    chars: str = ""  # their characters
    large_ok: bool = True  # no loop or recursion an input size could make slow
    seps: list[str] = field(default_factory=list)  # what the code splits strings on
    numeric: bool = False  # the code turns strings into numbers: int(s), float(s)
    structured: list[str] = field(default_factory=list)  # "3-11-2000", "a.txt", "1/5"
    arity: dict[str, int] = field(default_factory=dict)  # a, b = s.split("/"): {"/": 2}
    classes: list[str] = field(default_factory=list)  # character tests: isdigit, isupper
    lengths: dict[str, list[int]] = field(default_factory=dict)  # len(x) < 3: {"x": [2, 3, 4]}
    evals: bool = False  # the code evaluates text: eval(...)
    typechecks: bool = False  # isinstance(...): values of other types take other paths


def _mine_literals(tree: ast.Module, func: ast.FunctionDef) -> _Literals:
    """Constants of the function (and the helpers in its snippet): what the code
    compares against is where its behaviour changes."""
    lits = _Literals()
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Module, ast.AsyncFunctionDef))
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    compared: set[int] = set()
    compared_floats: list[float] = []
    split_names: dict[str, str] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                value = _number(operand)
                if isinstance(value, int):
                    compared.add(value)
                elif isinstance(value, float) and value not in compared_floats:
                    compared_floats.append(value)
        if isinstance(node, (ast.While,)):
            lits.large_ok = False
        if isinstance(node, ast.Call):
            fname = node.func.id if isinstance(node.func, ast.Name) else ""
            if fname in ("range", func.name):  # sized loops, recursion
                lits.large_ok = False
            if fname in ("int", "float") and node.args and _number(node.args[0]) is None:
                lits.numeric = True
            sep = _split_separator(node)
            if sep is not None and sep not in lits.seps:
                lits.seps.append(sep)
            if fname == "eval":
                lits.evals = True
            method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if method in _CHAR_CLASSES and method not in lits.classes:
                lits.classes.append(method)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            sep = _split_separator(node.value)
            target = node.targets[0]
            if sep is not None and isinstance(target, ast.Tuple):
                # a, b = s.split("/"): exactly two parts are expected
                lits.arity.setdefault(sep, len(target.elts))
            elif sep is not None and isinstance(target, ast.Name):
                split_names[target.id] = sep  # parts = s.split("."); len(parts) != 2
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "isinstance":
                lits.typechecks = True
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            # len(x) < 3: lengths 2, 3 and 4 are where the behaviour changes
            for sized, other in (
                (node.left, node.comparators[0]),
                (node.comparators[0], node.left),
            ):
                bound = _number(other)
                if (
                    isinstance(bound, int)
                    and 0 <= bound <= 40
                    and isinstance(sized, ast.Call)
                    and isinstance(sized.func, ast.Name)
                    and sized.func.id == "len"
                    and len(sized.args) == 1
                    and isinstance(sized.args[0], ast.Name)
                ):
                    sizes = lits.lengths.setdefault(sized.args[0].id, [])
                    for n in (bound, bound - 1, bound + 1):
                        if n >= 0 and n not in sizes:
                            sizes.append(n)
    ints: list[int] = []
    chars: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in docstrings:
            continue
        v = node.value
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, int) and abs(v) <= 10**12:
            ints.append(v)
        elif isinstance(v, float) and math.isfinite(v):
            if v not in lits.floats:
                lits.floats.append(v)
        elif isinstance(v, str) and len(v) <= 30:
            if v not in lits.strs:
                lits.strs.append(v)
            for c in v:
                if c not in chars and c.isprintable():
                    chars.append(c)
    for node in ast.walk(tree):  # negative constants are UnaryOp(-, 1)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = _number(node)
            if isinstance(value, int):
                ints.append(value)
    ordered: list[int] = []
    for v in sorted(compared) + ints:
        for w in (v, v - 1, v + 1) if v in compared else (v,):
            if w not in ordered:
                ordered.append(w)
    lits.ints = ordered[:24]
    # strings the code only returns ("Yes", "No") say little about its inputs: last
    returned = {
        n.value.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Return) and isinstance(n.value, ast.Constant)
    }
    lits.strs = sorted(lits.strs, key=lambda v: v in returned)[:16]
    # thresholds on floats: just below and above too (3.7 -> 3.69, 3.71)
    near = [round(f + d, 6) for f in compared_floats[:8] for d in (-0.01, 0.01)]
    lits.floats = list(dict.fromkeys(compared_floats + lits.floats + near))[:24]
    for name, sep in split_names.items():
        if lits.lengths.get(name) and lits.lengths[name][0] > 0:
            lits.arity.setdefault(sep, lits.lengths[name][0])
    if lits.evals:  # text that is evaluated: expression pieces are meaningful strings
        lits.strs += [op for op in ("+", "-", "*", "//", "**") if op not in lits.strs]
    lits.structured = _structured_strings(lits)
    for a, b in ("()", "[]", "{}", "<>"):  # a bracket the code checks has a partner
        if (a in chars) != (b in chars):
            chars.append(b if a in chars else a)
    lits.chars = "".join(chars[:40])
    return lits


_WITHOUT_CLASS = {
    "isdigit": "ab-c",
    "isnumeric": "ab-c",
    "isdecimal": "ab-c",
    "isalpha": "4#1 2",
    "isupper": "ab1",
    "islower": "AB1",
    "isspace": "a1b",
    "isalnum": "#- ?",
}


def _classed_strings(lits: _Literals) -> list[str]:
    """Strings with a counted number of characters of each class the code tests for
    (`x.isdigit()` then `t > 3`): a letter, then k characters of the class, for k around
    the small numbers the code compares against."""
    counts = [v for v in lits.ints if 0 <= v <= 6][:6] or [1, 2, 3]
    per_class: list[list[str]] = []
    for method in lits.classes[:3]:
        char = _CHAR_CLASSES[method]
        lead = "b" if char != "k" else "7"  # starts with a character of another class
        per_class.append([lead + char * k for k in counts])
        per_class.append([char * k + lead + "x" for k in counts])
        per_class.append([_WITHOUT_CLASS[method]])  # none of the class at all
    # runs of a character the code looks for: "a  b" and "a   b" for `c == " "`
    for char in [s for s in lits.strs if len(s) == 1][:2]:
        per_class.append(["a" + char * max(1, k) + "b" for k in counts])
    return list(dict.fromkeys(_interleave(per_class)))


def _split_separator(node: ast.Call) -> str | None:
    """`s.split("-")`, `s.split(sep=".")`, `s.partition("/")` -> the separator;
    `s.split()` -> " "."""
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in (
        "split",
        "rsplit",
        "partition",
        "rpartition",
    ):
        return None
    args = list(node.args) + [k.value for k in node.keywords if k.arg == "sep"]
    if not args:
        return " " if func.attr in ("split", "rsplit") else None
    first = args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
        return first.value
    return None


def _parts(lits: _Literals) -> list[str]:
    """Pieces to join with the code's separators: its words, else small numbers."""
    words = [s for s in lits.strs if s and s.strip() == s and not any(p in s for p in lits.seps)]
    numbers = [str(v) for v in lits.ints if 0 <= v <= 9999][:12]
    return words[:12] or numbers or ["1", "2", "12"]


def _structured_strings(lits: _Literals) -> list[str]:
    """Strings shaped like what the code splits: parts (its own constants, small
    numbers, words) joined by its separators, e.g. "12-31-2000", "name.txt", "1/5"."""
    out: list[str] = []
    rng = random.Random(_stable_int("structured", lits.seps, lits.strs, lits.ints))
    names = ["example", "a1", "x", "File", *_classed_strings(lits)]
    for sep in lits.seps[:3]:
        words = [s for s in lits.strs if s and sep not in s and s.strip() == s][:10]
        mined = [str(v) for v in lits.ints if 0 <= v <= 9999][:16]
        numbers = mined + [n for n in ("1", "2", "3", "5", "6", "10", "12") if n not in mined]
        arity = lits.arity.get(sep)
        for k in range(24 if arity else 10):
            if arity:  # mostly the count the code unpacks; one fewer or more now and then
                n = arity if k % 6 != 5 else max(1, arity + (1 if k % 12 == 5 else -1))
            else:
                n = (2, 2, 3, 2, 4)[k % 5] if sep != " " else 1 + k % 4
            style = k % 3 if words else 0  # numbers only, words only, a name + words
            if lits.numeric and arity and k % 4:
                style = 0
            if style == 0:
                parts = [rng.choice(numbers) for _ in range(n)]
            elif style == 1:
                parts = [rng.choice(words) for _ in range(n)]
            else:
                parts = [names[k % len(names)] if k >= 8 else rng.choice(names[:4])]
                parts += [rng.choice(words) for _ in range(n - 1)]
            text = sep.join(parts)
            if text not in out:
                out.append(text)
        if len(words) > 2 and not arity:  # all of its words, backwards and shuffled
            shuffled = list(words)
            rng.shuffle(shuffled)
            out[:0] = [sep.join(words[::-1]), sep.join(shuffled)]
    if lits.numeric:
        out += ["0", "10", "-3", "2.5", "-2.5", "14.5", "007"]
    out += [c for c in _classed_strings(lits) if c not in out]
    return out


def _number(node: ast.expr) -> int | float | None:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return -inner if inner is not None else None
    return None


def _literal_variants(value: Any, lits: _Literals) -> list[Any]:
    """Boundary and mined values of the same type as `value`."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        out = [*lits.ints, 0, 1, -1, 2, 100]
        if lits.large_ok:
            out.append(10**9)
        if lits.typechecks:  # isinstance(x, int): the same number as a float, too
            out[1:1] = [float(value), value + 0.5]
        return out
    if isinstance(value, float):
        return [*lits.floats, *(float(i) for i in lits.ints[:6]), 0.0, 1.0, -1.0, 0.5, 1e6]
    if isinstance(value, str):
        # the code's strings and strings shaped like what it splits, in turns
        out = [*_interleave([lits.structured, lits.strs]), "", " "]
        if value:
            out.append(value + value[::-1])  # a palindrome: x[::-1] == x turns true
        if lits.chars:
            out += [lits.chars, lits.chars[::-1], lits.chars[:1] * 3]
        out += [value.upper(), value + value, "a", "A1 b2"]
        return out
    if isinstance(value, list):
        out: list[Any] = [[]]
        if value:
            first = value[0]
            out += [[first], value + value, sorted(value, key=repr)[::-1], [first] * 3]
            out.append(value + value[::-1])  # a palindrome
            try:  # sorted, and sorted with one value twice: order checks turn true
                ordered = sorted(value)
                out += [ordered, sorted([*ordered, ordered[len(ordered) // 2]])]
            except TypeError:
                pass
            if all(type(v) is int for v in value):  # negative, several digits
                out.append([-(abs(v) * 10 + 3) if k % 2 == 0 else v for k, v in enumerate(value)])
            # every constant the code compares against, in one list: many boundaries at once
            if type(first) is float and lits.floats:
                out += [lits.floats[:12], lits.floats[12:24] or lits.floats[::-1]]
            elif type(first) is int and lits.ints:
                out += [lits.ints[:12], lits.ints[::-1][:12]]
            out += [[v] for v in _literal_variants(first, lits)[:6]]
        else:
            out += [[v] for v in _literal_variants(0, lits)[:4]]
        return out
    if isinstance(value, tuple):
        return [tuple(v) for v in _literal_variants(list(value), lits) if len(v) == len(value)]
    if isinstance(value, dict):
        out = [{}]
        if value:
            k, v = next(iter(value.items()))
            out += [{k: w} for w in _literal_variants(v, lits)[:4]]
        return out
    if isinstance(value, (set, frozenset)):
        return [type(value)(), type(value)(list(value)[:1])]
    return []


_ARITH_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b if abs(b) <= 4 else None,
}


def _arith(node: ast.expr, env: dict[str, int]) -> Any:
    """The value of an arithmetic expression over the parameters (`a * a + b * b`),
    computed by this small interpreter, never by Python's `eval`; None for anything
    else (calls, attributes, other names)."""
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _arith(node.operand, env)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH_OPS:
        left, right = _arith(node.left, env), _arith(node.right, env)
        if left is None or right is None:
            return None
        try:
            return _ARITH_OPS[type(node.op)](left, right)
        except (ArithmeticError, ValueError):
            return None
    return None


def _equation_solutions(func: ast.FunctionDef, names: list[str]) -> list[dict[str, int]]:
    """Small ints making the code's equalities between arithmetic of its parameters
    true (`a * a + b * b == c * c` -> a=3, b=4, c=5): a cheap search over small ranges,
    for branches random numbers almost never take."""
    out: list[dict[str, int]] = []
    params = set(names)
    for node in ast.walk(func):
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
            continue
        if not isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            continue
        sides = (node.left, node.comparators[0])
        used = sorted({n.id for side in sides for n in ast.walk(side) if isinstance(n, ast.Name)})
        if not used or not set(used) <= params or len(used) > 3:
            continue
        if len(used) < 2 and not any(isinstance(side, ast.BinOp) for side in sides):
            continue  # x == 3 is the literal stream's job
        span = {1: range(-20, 41), 2: range(0, 21), 3: range(1, 14)}[len(used)]
        found: list[dict[str, int]] = []
        for values in _product(span, len(used)):
            env = dict(zip(used, values, strict=True))
            left, right = _arith(sides[0], env), _arith(sides[1], env)
            if left is not None and left == right:
                found.append(env)
        # the most telling first: no zeros, distinct values, small
        found.sort(key=lambda e: (sum(v == 0 for v in e.values()), len(set(e.values())) < len(e),
                                  sum(abs(v) for v in e.values())))  # fmt: skip
        out += [e for e in found[:3] if e not in out]
    return out[:9]


def _product(span: range, n: int) -> Iterable[tuple[int, ...]]:
    if n == 0:
        yield ()
        return
    for head in span:
        for rest in _product(span, n - 1):
            yield (head, *rest)


def _atoms(value: Any, depth: int = 0) -> list[Any]:
    """The numbers and strings inside a container (nested ones too)."""
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return [value]
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple, set, frozenset)) and depth < 3:
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [a for v in items for a in _atoms(v, depth + 1)]
    return []


def _resized(value: Any, n: int, rng: random.Random, alphabet: str) -> list[Any]:
    """Values like `value` (a str or a list) of length `n`: the value cut or repeated,
    and for strings also two random ones over the code's characters."""
    if isinstance(value, str):
        out = [(value * (n // max(1, len(value)) + 1))[:n] if value else "a" * n]
        out += ["".join(rng.choice(alphabet) for _ in range(n)) for _ in range(2)]
        return out
    if isinstance(value, list):
        return [[value[i % len(value)] for i in range(n)] if value else list(range(1, n + 1))]
    return []


def _boundary_variants(
    args: list[Any], names: list[str], lits: _Literals, rng: random.Random
) -> list[list[Any]]:
    """Inputs on both sides of the code's own boundaries, from one working input:

    - lengths around `len(x) < 3` (2, 3 and 4 characters or items);
    - each part of a split string (`m, d, y = s.split("-")`, parts made numbers) set to
      the numbers the code compares against, one part at a time;
    - a number or string argument set to a value found in another argument
      (`lst[i][j] == x`: x taken from lst), so searches and counts find something."""
    streams: list[list[list[Any]]] = []
    alphabet = (lits.chars or "aeiou") + "bcdxyzBC"
    numbers = [v for v in lits.ints if 0 <= v <= 9999][:12]
    for i, value in enumerate(args):
        out: list[list[Any]] = []
        name = names[i] if i < len(names) else ""
        for n in lits.lengths.get(name, [])[:6]:
            out += [[*args[:i], v, *args[i + 1 :]] for v in _resized(value, n, rng, alphabet)]
        sep = None
        if isinstance(value, str):
            sep = next((s for s in lits.seps if len(value.split(s)) == lits.arity.get(s, -1)), None)
        if sep is not None:
            # parts made numbers: the numbers compared against; else the code's words and
            # strings with counted character classes ("b777" for isdigit and t > 3)
            words = [s for s in lits.strs if s and sep not in s and s.strip() == s]
            pieces = (
                [str(w) for w in numbers]
                if lits.numeric
                else _interleave([words, _classed_strings(lits)])
            )
            if pieces:
                tokens = value.split(sep)
                per_token = []
                for j in range(len(tokens)):
                    per_token.append(
                        [
                            sep.join([*tokens[:j], w, *tokens[j + 1 :]])
                            for w in pieces[:16]
                            if w != tokens[j]
                        ]
                    )
                out += [[*args[:i], v, *args[i + 1 :]] for v in _interleave(per_token)]
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            found = [
                a
                for j, other in enumerate(args)
                if j != i and not isinstance(other, (int, float, str))
                for a in _atoms(other)
                if type(a) is type(value)
            ]
            picks = [found[0], found[-1], found[len(found) // 2]] if found else []
            out += [[*args[:i], a, *args[i + 1 :]] for a in dict.fromkeys(picks)]
        streams.append(out)
    return _interleave(streams)
