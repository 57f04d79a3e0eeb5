"""Type-aware mutation of working inputs (as EvalPlus does)."""

from __future__ import annotations

import random
import string
from typing import Any

from semi_core.inputs.literals import _Literals
from semi_core.inputs.values import _encode


def _mutate(value: Any, rng: random.Random, lits: _Literals, depth: int = 0) -> Any:
    """One small, type-preserving change of a value."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        choice = rng.randrange(6)
        if choice == 0:
            return value + 1
        if choice == 1:
            return value - 1
        if choice == 2:
            return -value
        if choice == 3 and lits.ints:
            return rng.choice(lits.ints)
        if choice == 4:
            return value * 2 + rng.randrange(3)
        return rng.randint(-10, 20)
    if isinstance(value, float):
        choice = rng.randrange(5)
        if choice == 0:
            return -value
        if choice == 1:
            return round(value + rng.choice((0.5, 1.0, -1.0)), 6)
        if choice == 2:
            return round(value * 2, 6)
        if choice == 3:
            return 0.0
        return round(rng.uniform(-10, 10), 2)
    if isinstance(value, str):
        # the code splits strings: change them a token at a time (also adding tokens)
        sep = next((s for s in lits.seps if s in value), lits.seps[0] if lits.seps else None)
        if sep is not None and rng.random() < 0.7:
            return _mutate_tokens(value, sep, rng, lits)
        pool = lits.chars or string.ascii_letters
        choice = rng.randrange(7)
        if not value or choice == 0:  # insert a character
            pos = rng.randint(0, len(value))
            return value[:pos] + rng.choice(pool + " ") + value[pos:]
        if choice == 1:  # delete one
            pos = rng.randrange(len(value))
            return value[:pos] + value[pos + 1 :]
        if choice == 2:  # replace one
            pos = rng.randrange(len(value))
            return value[:pos] + rng.choice(pool) + value[pos + 1 :]
        if choice == 3:
            return value + value
        if choice == 4:
            return value.swapcase()
        if choice == 5:
            return value[::-1]
        return value[: len(value) // 2]
    if isinstance(value, (list, tuple)):
        items = list(value)
        choice = rng.randrange(6)
        if isinstance(value, tuple) and items:
            choice = 5  # a tuple keeps its length (it is often a record)
        if not items or choice == 0:  # append
            new = _mutate(items[-1], rng, lits, depth + 1) if items else rng.randint(0, 9)
            items.append(new)
        elif choice == 1:  # remove one
            del items[rng.randrange(len(items))]
        elif choice == 2:
            rng.shuffle(items)
        elif choice == 3:  # duplicate one
            items.insert(rng.randrange(len(items) + 1), rng.choice(items))
        elif choice == 4:
            items.reverse()
        else:  # mutate one element
            i = rng.randrange(len(items))
            items[i] = _mutate(items[i], rng, lits, depth + 1) if depth < 3 else items[i]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        d = dict(value)
        if d and rng.random() < 0.4:
            del d[rng.choice(list(d))]
        elif d and rng.random() < 0.6:
            k = rng.choice(list(d))
            d[k] = _mutate(d[k], rng, lits, depth + 1)
        else:
            k = _mutate(next(iter(d)), rng, lits, depth + 1) if d else "k"
            try:
                d[k] = _mutate(next(iter(d.values())), rng, lits, depth + 1) if d else 1
            except TypeError:
                pass
        return d
    if isinstance(value, (set, frozenset)):
        items = sorted(value, key=repr)
        if items and rng.random() < 0.5:
            items.pop(rng.randrange(len(items)))
        else:
            items.append(_mutate(items[0], rng, lits, depth + 1) if items else 0)
        try:
            return type(value)(items)
        except TypeError:
            return value
    return value


def _mutate_tokens(value: str, sep: str, rng: random.Random, lits: _Literals) -> str:
    """Change a separated string ("one two", "a.txt") a token at a time."""
    tokens = value.split(sep)
    choice = rng.randrange(4)
    words = [s for s in lits.strs if s and sep not in s] or tokens
    i = rng.randrange(len(tokens))
    if choice == 0 and len(tokens) > 1:
        del tokens[i]
    elif choice == 1:
        tokens.insert(i, rng.choice(tokens + words))
    elif choice == 2:
        tokens[i] = rng.choice(words)
    else:
        rng.shuffle(tokens)
    return sep.join(tokens)


def _mutations(
    bases: list[tuple[list[Any], dict[str, Any]]], rng: random.Random, lits: _Literals, n: int
) -> list[str]:
    out: list[str] = []
    if not bases:
        return out
    for attempt in range(n * 4):
        if len(out) >= n:
            break
        args, kwargs = bases[attempt % len(bases)]
        args = list(args)
        kwargs = dict(kwargs)
        slots = [("a", i) for i in range(len(args))] + [("k", k) for k in kwargs]
        if not slots:
            break
        for _ in range(1 if rng.random() < 0.75 else 2):  # mostly one change at a time
            where, key = rng.choice(slots)
            if where == "a":
                args[key] = _mutate(args[key], rng, lits)
            else:
                kwargs[key] = _mutate(kwargs[key], rng, lits)
        text = _encode(args, kwargs)
        if text is not None and text not in out:
            out.append(text)
    return out
