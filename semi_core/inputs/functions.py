"""Function mode: argument lists for a function, made in three rounds."""

from __future__ import annotations

import ast
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from semi_core.inputs.analysis import (
    _NO_DEFAULT,
    _Analysis,
    _find_function,
    _holds_str,
    _Param,
    _params,
    _rank_candidates,
    _typical,
    _typical_words,
)
from semi_core.inputs.candidates import (
    _Cand,
    _origin_rank,
    _Pot,
    _refused_or_missing_module,
    _select,
    _Size,
    _size_of,
)
from semi_core.inputs.doctests import _docstring_inputs
from semi_core.inputs.literals import (
    _boundary_variants,
    _equation_solutions,
    _literal_variants,
    _Literals,
    _mine_literals,
    _parts,
)
from semi_core.inputs.mutation import _mutations
from semi_core.inputs.types import (
    _FALLBACK,
    _ROUND1_MAX,
    _ROUND3_MAX,
    MAX_EXECUTIONS,
    NONE,
    STR,
    TestInput,
    Typ,
    _interleave,
    _stable_int,
    _type_of_value,
)
from semi_core.inputs.values import _canonical, _Ctx, _draw_values, _encode
from semi_core.sandbox import SandboxPool, Task


def _seed_inputs(seeds: Iterable[TestInput | str]) -> list[TestInput]:
    out = []
    for s in seeds:
        out.append(s if isinstance(s, TestInput) else TestInput(str(s), "llm"))
    return out


def _build_call(params: list[_Param], values: dict[str, Any]) -> str | None:
    """Argument text for values by parameter name (missing optional ones are omitted)."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    gap = False
    for p in params:
        if p.kind in ("pos", "posonly"):
            if p.name in values and not gap:
                args.append(values[p.name])
            elif p.name in values and p.kind == "pos":
                kwargs[p.name] = values[p.name]
            elif p.required:
                return None
            else:
                gap = True
        elif p.kind == "varargs":
            if not gap:  # (after a skipped optional parameter, *args cannot be passed)
                args += list(values.get(p.name, ()))
        elif p.kind == "kwonly" and p.name in values:
            kwargs[p.name] = values[p.name]
        elif p.kind == "kwonly" and p.required:
            return None
    return _encode(args, kwargs)


def _draw_calls(
    params: list[_Param], combo: dict[str, Typ], ctx: _Ctx, n: int, seed: int
) -> list[str]:
    varargs = {p.name for p in params if p.kind == "varargs"}
    types = {p.name: combo[p.name] for p in params if p.name in combo}
    out: list[str] = []
    for values in _draw_values(types, varargs, n, seed, ctx):
        text = _build_call(params, values)
        if text is not None and text not in out:
            out.append(text)
    return out


def _hopeless(cands: list[_Cand]) -> bool:
    """Every run failed in a way no input can change: the sandbox refused the code, or
    it needs a module or name that is not there. More inputs would fail the same way."""
    outcomes = [c.outcome for c in cands if c.outcome is not None]
    return bool(outcomes) and all(_refused_or_missing_module(o) for o in outcomes)


def _size_of_call(cand: _Cand) -> _Size:
    if cand.values is None:
        canon = _canonical(cand.text)
        cand.values = canon[1] if canon else ([], {})
    size = _Size()
    for value in [*cand.values[0], *cand.values[1].values()]:
        size = size.join(_size_of(value))
    return size


@dataclass
class _Function:
    """What the rounds read off the function once: signature, usage, literals, seeds."""

    entry: str
    func: ast.FunctionDef
    tree: ast.Module
    params: list[_Param]
    analysis: _Analysis
    lits: _Literals
    ctx: _Ctx
    rng: random.Random
    hseed: int

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params if p.kind in ("pos", "posonly")]


@dataclass
class _Round1:
    """Round 1's candidates, the type guesses made, and the probes that tried them."""

    cands: list[_Cand]
    combos: list[tuple[dict[str, Typ], str]]  # (types by name, origin)
    probes: list[tuple[_Cand, dict[str, Typ]]]
    unknown: list[_Param]  # required parameters whose type was probed


class _Streams:
    """Candidate texts with their origins, taken from in turns: typed/probe, literal,
    mutation. Round 3 takes what round 2 left."""

    def __init__(self, pot: _Pot, streams: list[list[tuple[str, str]]]) -> None:
        self.pot = pot
        self.streams = streams
        self.positions = [0] * len(streams)

    def take(self, budget: int) -> list[_Cand]:
        """Up to `budget` new candidates, one stream after the other."""
        batch: list[_Cand] = []
        streams, positions = self.streams, self.positions
        while len(batch) < budget and any(positions[i] < len(s) for i, s in enumerate(streams)):
            for i, stream in enumerate(streams):
                while positions[i] < len(stream):
                    text, origin = stream[positions[i]]
                    positions[i] += 1
                    cand = self.pot.add(text, origin)
                    if cand is not None:
                        batch.append(cand)
                        break
                if len(batch) >= budget:
                    break
        return batch


def _function_inputs(
    code: str,
    entry: str,
    pool: SandboxPool | None,
    seeds: list[TestInput],
    limit: int,
    seed: int,
) -> list[TestInput]:
    def make_task(text: str) -> Task:
        return Task(code=code, entry_point=entry, mode="function", args=text)

    pot = _Pot(pool, make_task, _size_of_call)
    checked = pool is not None
    seed_cands: list[_Cand] = []
    for s in seeds:
        canon = _canonical(s.text)
        if canon is not None:
            cand = pot.add(canon[0], s.origin, canon[1], shown=s.text)
            if cand is not None:
                seed_cands.append(cand)
    fn = _read_function(code, entry, seed)
    if fn is None:  # nothing to read: the seeds are all there is
        pot.run(seed_cands, trusted=seed_cands)
        return _select(pot, seed_cands, limit, checked)
    first = _round1(fn, pot, seed_cands, limit)
    if not checked or _hopeless(first.cands):
        return _select(pot, seed_cands, limit, checked)
    streams = _round2(fn, pot, seed_cands, first)
    _round3(fn, pot, streams)
    return _select(pot, seed_cands, limit, checked)


def _read_function(code: str, entry: str, seed: int) -> _Function | None:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    func = _find_function(tree, entry)
    if func is None:
        return None
    params = _params(func)
    analysis = _Analysis(func, tree)
    lits = _mine_literals(tree, func)
    ctx = _Ctx(
        chars=lits.chars,
        strings=tuple(lits.strs + lits.structured),
        ints=tuple(lits.ints[:12]),
        floats=tuple(lits.floats[:6]),
        seps=tuple(lits.seps[:3]),
        parts=tuple(_parts(lits)),
        digits=lits.numeric and not lits.seps,
    )
    rng = random.Random(_stable_int("inputs", seed, entry, code))
    hseed = _stable_int("draw", seed, entry, code)
    return _Function(entry, func, tree, params, analysis, lits, ctx, rng, hseed)


def _round1(fn: _Function, pot: _Pot, seed_cands: list[_Cand], limit: int) -> _Round1:
    """Seeds, doctests, typed draws and type probes, run together."""
    params, lits = fn.params, fn.lits
    defined = {n.name for n in fn.tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    round1: list[_Cand] = list(seed_cands)
    for text in _docstring_inputs(fn.func, fn.entry, params, defined)[: max(limit, 12)]:
        cand = pot.add(text, "doctest")
        if cand is not None:
            round1.append(cand)

    if not any(p.required for p in params):
        cand = pot.add("", "typed", ([], {}))  # a call with no arguments
        if cand is not None:
            round1.append(cand)

    # required parameters with no usable annotation get their type probed
    # (*args too: its type is the type of each extra argument)
    filled = [p for p in params if p.required or p.kind == "varargs"]
    unknown = [p for p in filled if p.annotated is None]
    typed_ok = all(p.annotated is not None for p in params if p.required)
    combos: list[tuple[dict[str, Typ], str]] = []
    if typed_ok:
        combo = {p.name: p.annotated for p in filled if p.annotated}
        combos.append((combo, "typed"))
        for text in _draw_calls(params, combo, fn.ctx, 8, fn.hseed):
            cand = pot.add(text, "typed")
            if cand is not None:
                round1.append(cand)
    probe_cands: list[tuple[_Cand, dict[str, Typ]]] = []
    varargs = {p.name for p in params if p.kind == "varargs"}
    if unknown:
        for p in unknown:
            p.candidates, p.hinted = _rank_candidates(p, fn.analysis)
        base = {p.name: p.annotated for p in filled if p.annotated}
        base.update({p.name: p.candidates[0] for p in unknown})
        trials: list[dict[str, Typ]] = [dict(base)]
        for rank in range(1, 6):  # one parameter off its best guess at a time
            for p in unknown:
                if rank < len(p.candidates):
                    trials.append({**base, p.name: p.candidates[rank]})
        if len(unknown) > 1:  # every parameter the same type: add(x, y), merge(a, b)
            for t in _FALLBACK[:4]:
                trials.append({**base, **{p.name: t for p in unknown}})
        room = max(6, _ROUND1_MAX - len(round1))
        shaped = [s for s in lits.structured if lits.seps and s not in ("0", "10", "-3")]
        for combo in trials:
            if len(probe_cands) >= room:
                break
            attempts = [
                {
                    name: [_typical(t, i), _typical(t, i + 1)]
                    if name in varargs
                    else _typical(t, i)
                    for i, (name, t) in enumerate(combo.items())
                }
            ]
            if shaped and STR in combo.values():  # code that splits strings: "1/5", "a.txt"
                attempts.append(
                    {
                        name: shaped[i % len(shaped)] if t == STR else value
                        for i, ((name, t), value) in enumerate(
                            zip(combo.items(), attempts[0].values(), strict=True)
                        )
                    }
                )
            words = [w for w in lits.strs if w.strip()]
            if lits.numeric and not lits.seps:  # int(c) for c in s: strings of digits
                words = ["1234", "7", "305", "86", *words]
            if words and any(_holds_str(t) for t in combo.values()):
                # the code's own strings where strings go: "+" for code that evals text
                attempts.append(
                    {
                        name: _typical_words(t, i, words) if name not in varargs else value
                        for i, ((name, t), value) in enumerate(
                            zip(combo.items(), attempts[0].values(), strict=True)
                        )
                    }
                )
            for values in attempts:
                text = _build_call(params, values)
                if text is None:
                    continue
                cand = pot.add(text, "probe")
                if cand is None:
                    probe_cands.append((pot.cands[text], combo))
                    continue
                probe_cands.append((cand, combo))
                round1.append(cand)
    trusted = [c for c in round1 if c.origin != "typed"]
    pot.run(round1, trusted=trusted)
    return _Round1(round1, combos, probe_cands, unknown)


def _round2(fn: _Function, pot: _Pot, seed_cands: list[_Cand], first: _Round1) -> _Streams:
    """From what works: draws of the working type guesses, the code's literals and
    boundaries put into working inputs, and mutations of the seeds, in turns."""
    lits, rng, combos = fn.lits, fn.rng, first.combos
    # slow code (a timeout, or a run near one) keeps the small value sizes of round 1
    fn.ctx.small = pot.too_slow or any(
        c.outcome is not None and c.outcome.duration_ms > pot._fast_ms for c in first.cands
    )

    # which type guesses work
    if first.probes:
        chosen = _working_combos(first.probes, first.unknown)
        combos += [(combo, "probe") for combo in chosen]
        for cand, combo in first.probes:
            cand.offtype = combo not in chosen
    optional_types = _optional_types(fn)

    budget = MAX_EXECUTIONS - pot.executions  # stream sizes; round 3 keeps its share
    bases = [c for c in pot.ok() if not c.offtype]
    if not bases:  # nothing ran OK yet: start from inputs the code rejected on purpose
        bases = [c for c in pot.cands.values() if c.benign_error and not c.offtype][:4]
    bases.sort(key=lambda c: (c not in seed_cands, _origin_rank(c.origin), c.order))
    base_values = []
    for c in bases:
        if c.values is None:
            canon = _canonical(c.text)
            c.values = canon[1] if canon else None
        if c.values is not None:
            base_values.append(c.values)

    typed_texts = _typed_texts(fn, combos, optional_types, budget)
    literal_texts = _literal_texts(fn, pot, base_values)

    # mutate seeds and doctests (as EvalPlus does); typed/probe ones when there are none
    firsthand = [c.values for c in bases if c in seed_cands or c.origin == "doctest"]
    mutation_bases = [v for v in firsthand if v is not None][:8] or base_values[:3]
    mutation_texts = _mutations(mutation_bases, rng, lits, max(6, budget // 3))

    # fill the budget: typed/probe, literal and mutation in turns
    streams = _Streams(
        pot,
        [
            typed_texts,
            [(t, "literal") for t in literal_texts],
            [(t, "mutation") for t in mutation_texts],
        ],
    )
    pot.run(streams.take(budget - _ROUND3_MAX))
    return streams


def _optional_types(fn: _Function) -> dict[str, Typ]:
    """Optional parameters with a known type (annotation, literal default or usage)."""
    optional_types: dict[str, Typ] = {}
    for p in fn.params:
        if p.required or p.kind == "varargs":
            continue
        if p.annotated is not None:
            optional_types[p.name] = p.annotated
        elif p.default is not _NO_DEFAULT and p.default is not None:
            optional_types[p.name] = _type_of_value(p.default)
        elif p.default is None:
            ranked = fn.analysis.usage_of_name(p.name).ranked()
            if ranked and ranked[0][0] in ("int", "float", "str", "bool"):
                optional_types[p.name] = ("union", NONE, ranked[0])
    return optional_types


def _typed_texts(
    fn: _Function,
    combos: list[tuple[dict[str, Typ], str]],
    optional_types: dict[str, Typ],
    budget: int,
) -> list[tuple[str, str]]:
    """Draws of each working type guess, with their origins."""
    params = fn.params
    quota_typed = max(4, budget * 2 // 5)
    streams_typed: list[list[tuple[str, str]]] = []
    if combos:
        for k, (combo, origin) in enumerate(combos):
            # the best-backed guess (first) gets half the draws
            share = quota_typed // 2 if k == 0 else quota_typed // (2 * max(1, len(combos) - 1))
            full = dict(combo)
            texts = _draw_calls(params, full, fn.ctx, max(3, share) + 4, fn.hseed + 1 + k)
            streams_typed.append([(t, origin) for t in texts])
            if optional_types and k == 0:  # also pass the optional parameters
                full.update(optional_types)
                texts = _draw_calls(params, full, fn.ctx, 6, fn.hseed + 101)
                streams_typed.append([(t, origin) for t in texts])
    return _interleave(streams_typed)


def _literal_texts(
    fn: _Function, pot: _Pot, base_values: list[tuple[list[Any], dict[str, Any]]]
) -> list[str]:
    """The code's literals and boundaries put into working inputs, one argument at a
    time; the boundary-made ones are marked as aimed in the pot."""
    lits, rng = fn.lits, fn.rng
    per_argument: list[list[str]] = []
    names = fn.names
    boundary: list[str] = []
    solutions = _equation_solutions(fn.func, names)
    for args, kwargs in base_values[:8]:
        found = _boundary_variants(list(args), names, lits, rng)
        for env in solutions:  # a * a + b * b == c * c: 3, 4, 5
            new = list(args)
            for name, number in env.items():
                k = names.index(name)
                if k < len(new) and type(new[k]) in (int, float):
                    new[k] = number
            found.insert(0, new)
        boundary += [t for new in found if (t := _encode(new, kwargs)) is not None]
    boundary = list(dict.fromkeys(boundary))
    per_argument.append(boundary)
    pot.aimed.update(boundary[:24])
    for args, kwargs in base_values[:2]:
        variants = [_literal_variants(value, lits) for value in args]
        for i, options in enumerate(variants):
            texts = []
            for variant in options:
                new = list(args)
                new[i] = variant
                text = _encode(new, kwargs)
                if text is not None:
                    texts.append(text)
            per_argument.append(texts)
        if len(args) > 1:  # every argument mined at once: bf("Earth", "Mars")
            joint = []
            for k in range(8):
                step = (1, 3, 2, 5, 4, 6, 7, 2)[k]  # pairs at varied distances
                new = [opts[(k + i * step) % len(opts)] if opts else a for i, (a, opts) in
                       enumerate(zip(args, variants, strict=True))]  # fmt: skip
                text = _encode(new, kwargs)
                if text is not None:
                    joint.append(text)
            per_argument.append(joint)
    # in turns over the arguments, so one long list does not crowd the others out
    return list(dict.fromkeys(_interleave(per_argument)))


def _round3(fn: _Function, pot: _Pot, streams: _Streams) -> None:
    """Around the inputs with a rare outcome, then what round 2 left, up to the budget.

    A validator answers "No" to almost everything; its few "Yes" inputs sit next to
    the boundaries of its checks, so their neighbours are the ones worth running."""
    round3: list[_Cand] = []
    for text, origin in _rare_neighbours(pot, fn.names, fn.lits, fn.rng):
        if len(round3) >= MAX_EXECUTIONS - pot.executions:
            break
        cand = pot.add(text, origin)
        if cand is not None:
            round3.append(cand)
    pot.run(round3)
    if pot.executions < MAX_EXECUTIONS:
        pot.run(streams.take(MAX_EXECUTIONS - pot.executions))


def _rare_neighbours(
    pot: _Pot, names: list[str], lits: _Literals, rng: random.Random
) -> list[tuple[str, str]]:
    """Boundary variants and small mutations of the inputs whose outcome (output or
    error type) is the rarest so far, rarest first, in turns over those inputs."""
    runs = [c for c in pot.cands.values() if c.outcome is not None and not c.offtype]
    runs = [c for c in runs if c.ok or c.benign_error]
    if len(runs) < 4:
        return []
    counts: dict[str, int] = {}
    for c in runs:
        counts[_outcome_key(c)] = counts.get(_outcome_key(c), 0) + 1
    rare = sorted(runs, key=lambda c: (counts[_outcome_key(c)], c.order))
    rare = [c for c in rare if counts[_outcome_key(c)] * 4 <= len(runs)][:3]
    streams: list[list[tuple[str, str]]] = []
    for c in rare:
        if c.values is None:
            canon = _canonical(c.text)
            c.values = canon[1] if canon else None
        if c.values is None:
            continue
        args, kwargs = c.values
        out = []
        for new in _boundary_variants(list(args), names, lits, rng):
            text = _encode(new, kwargs)
            if text is not None:
                out.append((text, "literal"))
        per_argument = []  # each argument set to the code's constants, one at a time
        for i, value in enumerate(args):
            options = [[*args[:i], v, *args[i + 1 :]] for v in _literal_variants(value, lits)]
            per_argument.append([(t, "literal") for o in options if (t := _encode(o, kwargs))])
        out = _interleave([out, _interleave(per_argument)])
        out += [(t, "mutation") for t in _mutations([(list(args), dict(kwargs))], rng, lits, 6)]
        streams.append(out)
    return _interleave(streams)


def _outcome_key(c: _Cand) -> str:
    o = c.outcome
    if o is None:
        return ""
    return o.output if o.status == "ok" else f"!{o.error_type}"


def _working_combos(
    probe_cands: list[tuple[_Cand, dict[str, Typ]]], unknown: list[_Param]
) -> list[dict[str, Typ]]:
    """The type guesses the original ran OK on (else raised a deliberate error on),
    those best backed by the code's usage first: `word == "start"` also runs on a list,
    but a str is meant."""

    def evidence(combo: dict[str, Typ]) -> int:
        return sum(combo.get(p.name) in p.hinted for p in unknown)

    good = [combo for cand, combo in probe_cands if cand.ok]
    if not good:
        good = [combo for cand, combo in probe_cands if cand.benign_error][:2]
    unique: list[dict[str, Typ]] = []
    for combo in good:
        if combo not in unique:
            unique.append(combo)
    if not unique:
        return []
    best = max(evidence(c) for c in unique)
    top = [c for c in unique if evidence(c) == best]
    # one consistent type when the code says what it wants (a str is also iterable, a
    # list also compares equal ...); a hedge over a few when nothing says
    return top[:1] if best > 0 else top[:3]
