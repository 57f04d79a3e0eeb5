"""Program mode: stdin texts for a program, from the reads it makes."""

from __future__ import annotations

import ast
import random
import string
from dataclasses import dataclass

from semi_core.inputs.candidates import _Cand, _Pot, _select, _size_of_stdin
from semi_core.inputs.literals import _Literals, _mine_literals
from semi_core.inputs.mutation import _mutate
from semi_core.inputs.types import _ROUND1_MAX, MAX_EXECUTIONS, TestInput, _stable_int
from semi_core.sandbox import SandboxPool, Task

# ---------------------------------------------------------------------------
# program mode (stdin)
# ---------------------------------------------------------------------------

_GENERIC_STDIN = (
    "",
    "3\n",
    "5\n1 2 3 4 5\n",
    "hello world\n",
    "3\n1\n2\n3\n",
    "2 3\n",
    "0\n",
    "2\n1 2\n3 4\n",
    "abc\ndef\n",
    "10\n",
    "1.5 2.5\n",
)


@dataclass
class _Read:
    """One read of the program: what it parses the line into."""

    kind: str  # "int", "float", "ints", "floats", "words", "str", "rest"
    repeat: str | None = None  # name of the count variable of an enclosing loop
    assigns: str | None = None  # variable the read's value goes to (for counts)
    rest_kind: str = "str"  # for "rest": what each line looks like


def _read_calls(tree: ast.Module) -> list[_Read]:
    """The program's reads, in source order, with how each line is parsed."""
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    reads: list[tuple[int, int, _Read]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        text = ast.unparse(func)
        is_line = text in ("input", "sys.stdin.readline", "stdin.readline", "readline")
        is_rest = text in ("sys.stdin.read", "sys.stdin.readlines", "stdin.read", "open(0).read")
        if not (is_line or is_rest):
            continue
        kind = "str"
        # climb: int(input()), input().split(), map(int, input().split()), [int(x) for ...]
        cur: ast.AST = node
        split = False
        for _ in range(6):
            p = parents.get(cur)
            if p is None:
                break
            if isinstance(p, ast.Attribute) and p.attr in ("split", "splitlines"):
                split = True
            elif isinstance(p, ast.Call) and isinstance(p.func, ast.Name):
                if p.func.id in ("int", "float") and cur in p.args:
                    kind = p.func.id + ("s" if split else "")
                    break
                if p.func.id == "map" and p.args and isinstance(p.args[0], ast.Name):
                    if p.args[0].id in ("int", "float"):
                        kind = p.args[0].id + "s"
                        break
            elif isinstance(p, (ast.comprehension,)) and split:
                comp = parents.get(p)
                elt = getattr(comp, "elt", None)
                if isinstance(elt, ast.Call) and isinstance(elt.func, ast.Name):
                    if elt.func.id in ("int", "float"):
                        kind = elt.func.id + "s"
                break
            cur = p
        if kind == "str" and split:
            kind = "words"
        if is_rest:
            rest_kind = "ints" if "int(" in ast.unparse(tree) else "str"
            read = _Read("rest", rest_kind=rest_kind)
        else:
            read = _Read(kind)
        # the variable it is assigned to, and an enclosing `for _ in range(n)` loop
        anc = parents.get(node)
        while anc is not None and not isinstance(anc, ast.stmt):
            anc = parents.get(anc)
        if isinstance(anc, ast.Assign) and isinstance(anc.targets[0], ast.Name):
            read.assigns = anc.targets[0].id
        loop = parents.get(anc) if anc is not None else None
        while loop is not None:
            if isinstance(loop, (ast.For, ast.While)):
                if isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call):
                    call = loop.iter
                    if isinstance(call.func, ast.Name) and call.func.id == "range" and call.args:
                        arg = call.args[-1] if len(call.args) == 1 else call.args[1]
                        read.repeat = ast.unparse(arg)
                else:
                    read.repeat = "?"
                break
            loop = parents.get(loop)
        reads.append((node.lineno, node.col_offset, read))
    reads.sort(key=lambda r: (r[0], r[1]))
    return [r for _, _, r in reads]


def _stdin_from_reads(reads: list[_Read], rng: random.Random, lits: _Literals, size: int) -> str:
    """One stdin text following the reads (counts read earlier decide repetitions)."""
    lines: list[str] = []
    env: dict[str, int] = {}
    last_int: int | None = None

    def number(kind: str) -> str:
        pool = [v for v in lits.ints if -(10**6) < v < 10**6]
        if pool and rng.random() < 0.3:
            return str(rng.choice(pool))
        if kind.startswith("float"):
            return str(round(rng.uniform(-size, size), 2))
        return str(rng.randint(-2 if size > 3 else 0, size))

    def word() -> str:
        if lits.strs and rng.random() < 0.3:
            choice = rng.choice(lits.strs)
            if choice.strip() and "\n" not in choice:
                return choice.strip()
        n = rng.randint(1, 6)
        return (
            "".join(rng.choice(lits.chars or string.ascii_lowercase) for _ in range(n)).strip()
            or "a"
        )

    def line_for(read: _Read, count_hint: int | None) -> str:
        kind = read.kind
        if kind in ("int", "float"):
            return number(kind)
        if kind in ("ints", "floats"):
            n = count_hint if count_hint is not None else rng.randint(1, size)
            return " ".join(number(kind) for _ in range(n))
        if kind == "words":
            return " ".join(word() for _ in range(rng.randint(1, 4)))
        return word()

    handled_loops: set[str] = set()
    for i, read in enumerate(reads):
        if read.kind == "rest":
            n = rng.randint(1, size)
            for _ in range(n):
                if read.rest_kind == "ints":
                    lines.append(" ".join(number("int") for _ in range(rng.randint(1, 3))))
                else:
                    lines.append(" ".join(word() for _ in range(rng.randint(1, 3))))
            break
        if read.repeat:
            if read.repeat in handled_loops:
                continue
            group = [r for r in reads[i:] if r.repeat == read.repeat]
            handled_loops.add(read.repeat)
            count = env.get(read.repeat)
            if count is None:
                count = rng.randint(1, size) if read.repeat == "?" else rng.randint(1, 3)
            for _ in range(max(0, min(count, 20))):
                for r in group:
                    lines.append(line_for(r, None))
            continue
        hint = (
            last_int if (read.kind in ("ints", "floats") and last_int and last_int <= 50) else None
        )
        text = line_for(read, hint)
        if read.kind == "int":
            value = int(text)
            if read.assigns and value < 0:  # a count: keep it usable
                value = abs(value)
                text = str(value)
            if read.assigns:
                env[read.assigns] = value
            last_int = value if value > 0 else None
        lines.append(text)
    return "\n".join(lines) + ("\n" if lines else "")


def _mutate_stdin(text: str, rng: random.Random, lits: _Literals) -> str:
    """Change one token (a number ±1, a word edited) or drop/duplicate the last line."""
    lines = text.split("\n")
    tokens = [(i, j) for i, line in enumerate(lines) for j, _ in enumerate(line.split(" ")) if line]
    if not tokens:
        return str(rng.randint(0, 9)) + "\n"
    i, j = rng.choice(tokens)
    parts = lines[i].split(" ")
    token = parts[j]
    try:
        number = int(token)
        parts[j] = str(_mutate(number, rng, lits))
    except ValueError:
        try:
            parts[j] = str(_mutate(float(token), rng, lits))
        except ValueError:
            parts[j] = _mutate(token, rng, lits).replace("\n", " ").strip() or "a"
    lines[i] = " ".join(parts)
    return "\n".join(lines)


def _program_inputs(
    code: str,
    pool: SandboxPool | None,
    seeds: list[TestInput],
    limit: int,
    seed: int,
) -> list[TestInput]:
    def make_task(text: str) -> Task:
        return Task(code=code, entry_point=None, mode="program", stdin=text)

    pot = _Pot(pool, make_task, lambda c: _size_of_stdin(c.text))
    checked = pool is not None
    seed_cands = [c for s in seeds if (c := pot.add(s.text, s.origin)) is not None]
    rng = random.Random(_stable_int("stdin", seed, code))
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    lits = _Literals()
    reads: list[_Read] = []
    if tree is not None:
        lits = _mine_literals(tree, ast.FunctionDef(name="", args=None, body=tree.body))  # type: ignore[arg-type]
        reads = _read_calls(tree)
    round1 = list(seed_cands)
    if reads:
        for size in (1, 2, 3, 4, 5, 3, 6, 8, 2, 10, 4, 7):
            cand = pot.add(_stdin_from_reads(reads, rng, lits, size), "probe")
            if cand is not None:
                round1.append(cand)
    generic = []
    for text in _GENERIC_STDIN:
        if len(round1) >= _ROUND1_MAX:
            break
        cand = pot.add(text, "probe")
        if cand is not None:
            round1.append(cand)
            generic.append(cand)
    pot.run(round1, trusted=seed_cands + generic)
    if not checked:
        return _select(pot, seed_cands, limit, checked)
    # round 2: mutate what works, and mined constants as whole lines
    budget = MAX_EXECUTIONS - pot.executions
    ok = pot.ok()
    round2: list[_Cand] = []
    for attempt in range(budget * 3):
        if len(round2) >= budget or not ok:
            break
        base = ok[attempt % len(ok)]
        if attempt % 4 == 3 and (lits.ints or lits.strs):
            values = [str(v) for v in lits.ints] + [s for s in lits.strs if "\n" not in s]
            base_lines = base.text.split("\n")
            k = rng.randrange(max(1, len(base_lines) - 1))
            base_lines[k] = rng.choice(values)
            text, origin = "\n".join(base_lines), "literal"
        else:
            text, origin = _mutate_stdin(base.text, rng, lits), "mutation"
        cand = pot.add(text, origin)
        if cand is not None:
            round2.append(cand)
    pot.run(round2)
    return _select(pot, seed_cands, limit, checked)
