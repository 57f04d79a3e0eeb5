"""Duplicates and benchmark overlap, for exports (`semi_core.export`).

**Exact duplicates** — the same code once comments, docstrings and layout are removed:
the code is parsed and printed back (`ast.unparse`), so reformatting never hides a copy.
Code that does not parse (an answer in prose, a fragment) is compared as its token
sequence.

**Near duplicates** — MinHash (`datasketch`) over shingles of 5 tokens of that same
normalised code, with the names the code binds itself (functions, parameters, assigned
variables, loop targets) renamed ``v0, v1, …`` in order of first appearance; names it only
uses (builtins, imports, helpers, attributes) are kept. Renaming variables therefore
changes nothing, while two one-liners that call different functions stay apart. LSH finds
candidates; a candidate counts when its estimated Jaccard similarity reaches the threshold
(0.85 by default, the value BigCode used for The Stack).

**Contamination** — word n-grams (identifiers and numbers, lowercased; n = 10 by default)
of benchmark texts; a text that shares any n-gram with a benchmark item is flagged, with
the overlapping passage of *our* text and the item it overlaps. On the demo data, n = 10
flags every HumanEval pair and no standard-library pair (n = 8 starts flagging
``statistics`` functions; n = 13, GPT-3's choice, misses rewrites sooner).
"""

from __future__ import annotations

import ast
import hashlib
import keyword
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

SHINGLE = 5
NUM_PERM = 128
DEFAULT_THRESHOLD = 0.85
DEFAULT_NGRAM = 10

_FENCE = re.compile(r"```[\w+.-]*[ \t]*\n(.*?)```", re.S)
_FALLBACK_TOKEN = re.compile(r"\w+|[^\w\s]")
_CODE_TOKEN = re.compile(r"\w+|[^\w\s]|\n")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")


def code_of(text: str) -> str:
    """The code in an answer: its fenced blocks when it has any, else the whole text."""
    blocks = _FENCE.findall(text or "")
    return "\n".join(blocks) if blocks else (text or "")


_SCOPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _strip_docstrings_and_bind(tree: ast.AST) -> set[str]:
    """Remove docstrings (in place) and return the names the code binds itself: renaming
    those does not change what it does. One walk: this runs for every exported record."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, _SCOPES):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
            if not isinstance(node, ast.Module):
                names.add(node.name)
        elif isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
    return names - set(keyword.kwlist)


def _tokens(canonical: str, bound: set[str]) -> list[str]:
    """Tokens of printed-back code (a regex: far faster than `tokenize`, and the layout is
    already canonical), with bound names renamed in order of first appearance."""
    tokens: list[str] = []
    renamed: dict[str, str] = {}
    previous = ""
    for text in _CODE_TOKEN.findall(canonical):
        if text in bound and previous != ".":
            text = renamed.setdefault(text, f"v{len(renamed)}")
        tokens.append(text)
        previous = text
    return tokens


def normalize_code(text: str) -> tuple[str, list[str]]:
    """(exact key, tokens for MinHash) of the code in `text` (see the module docstring)."""
    code = code_of(text)
    try:
        tree = ast.parse(code)
        bound = _strip_docstrings_and_bind(tree)
        canonical = ast.unparse(tree)
        tokens = _tokens(canonical, bound)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # Not Python we can parse: compare the token sequence, comments left in.
        canonical = " ".join(_FALLBACK_TOKEN.findall(code))
        tokens = canonical.split(" ") if canonical else []
    return hashlib.sha256(canonical.encode()).hexdigest()[:24], tokens


def minhash(tokens: list[str], num_perm: int = NUM_PERM) -> MinHash:
    """MinHash of the token shingles (the whole sequence when it is shorter than one)."""
    size = min(SHINGLE, len(tokens))
    shingles = {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}
    signature = MinHash(num_perm=num_perm)
    signature.update_batch([s.encode() for s in shingles])
    return signature


@dataclass(frozen=True)
class Duplicate:
    reason: str  # exact_duplicate | near_duplicate
    of: str  # the id of the record kept
    similarity: float


class Deduplicator:
    """Keeps the first of every group of (near-)duplicates, in the order it is shown them.

    `check(id, text)` answers whether the text duplicates one already kept; when it does
    not, the text is kept and later texts are compared with it too."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, num_perm: int = NUM_PERM):
        if not 0.0 < threshold <= 1.0:
            raise ValueError("the near-duplicate threshold must be in (0, 1]")
        self.threshold = threshold
        self.num_perm = num_perm
        self._exact: dict[str, str] = {}
        self._signatures: dict[str, MinHash] = {}
        # The LSH index is only a candidate filter; the estimated Jaccard decides.
        self._lsh = MinHashLSH(threshold=min(threshold, 0.99), num_perm=num_perm)

    def check(self, key: str, text: str) -> Duplicate | None:
        exact, tokens = normalize_code(text)
        if exact in self._exact:
            return Duplicate("exact_duplicate", self._exact[exact], 1.0)
        signature = minhash(tokens, self.num_perm) if tokens else None
        if signature is not None:
            best, best_similarity = None, 0.0
            for candidate in self._lsh.query(signature):
                similarity = signature.jaccard(self._signatures[candidate])
                if similarity > best_similarity or (
                    similarity == best_similarity and best is not None and candidate < best
                ):
                    best, best_similarity = candidate, similarity
            if best is not None and best_similarity >= self.threshold:
                return Duplicate("near_duplicate", best, round(best_similarity, 3))
        self._exact[exact] = key
        if signature is not None and key not in self._signatures:
            self._signatures[key] = signature
            self._lsh.insert(key, signature)
        return None


# ---------------------------------------------------------------------------------------
# Contamination
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overlap:
    """Why a text is flagged: the benchmark item it overlaps and the shared passage."""

    benchmark: str
    item: str
    field: str  # which field of our record holds the passage
    text: str  # the longest overlapping passage, as it reads in our record
    ngrams: int  # how many of our n-grams the benchmarks hold, over all fields

    def to_dict(self) -> dict[str, object]:
        return {"benchmark": self.benchmark, "item": self.item, "field": self.field,
                "text": self.text, "ngrams": self.ngrams}  # fmt: skip


MAX_PASSAGE = 600


class ContaminationIndex:
    """Word n-grams of benchmark texts, to flag records that overlap them."""

    def __init__(self, n: int = DEFAULT_NGRAM):
        if n < 3:
            raise ValueError("n-grams shorter than 3 words would flag almost everything")
        self.n = n
        self._grams: dict[tuple[str, ...], tuple[str, str]] = {}
        self.items: Counter[str] = Counter()  # benchmark -> items indexed

    def __len__(self) -> int:
        return len(self._grams)

    def add(self, benchmark: str, item: str, texts: Iterable[str]) -> None:
        """Index one benchmark item (its texts are indexed separately: no n-gram spans two)."""
        self.items[benchmark] += 1
        for text in texts:
            words = [w.lower() for w in _WORD.findall(text or "")]
            for i in range(len(words) - self.n + 1):
                self._grams.setdefault(tuple(words[i : i + self.n]), (benchmark, item))

    def check(self, fields: dict[str, str]) -> Overlap | None:
        """The overlap of a record's fields with the benchmarks, or None when clean."""
        if not self._grams:
            return None
        best: tuple[int, str, str, str, str] | None = None  # (words, field, text, bench, item)
        total = 0
        n = self.n
        for name, text in fields.items():
            spans = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text or "")]
            words = [w for _, _, w in spans]
            hits: list[tuple[int, tuple[str, str]]] = []
            for i in range(len(words) - n + 1):
                found = self._grams.get(tuple(words[i : i + n]))
                if found is not None:
                    hits.append((i, found))
            total += len(hits)
            # Merge overlapping windows into passages; keep the longest one.
            start = end = -1
            owners: Counter[tuple[str, str]] = Counter()
            for i, owner in [*hits, (10**12, ("", ""))]:
                if i <= end:
                    end = i + n
                    owners[owner] += 1
                    continue
                if start >= 0 and (best is None or end - start > best[0]):
                    bench, item = owners.most_common(1)[0][0]
                    passage = text[spans[start][0] : spans[end - 1][1]]
                    best = (end - start, name, passage, bench, item)
                start, end = i, i + n
                owners = Counter({owner: 1})
        if best is None:
            return None
        _, name, passage, bench, item = best
        if len(passage) > MAX_PASSAGE:
            passage = passage[:MAX_PASSAGE] + " …"
        return Overlap(benchmark=bench, item=item, field=name, text=passage, ngrams=total)
