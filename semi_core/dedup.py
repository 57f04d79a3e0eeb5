"""Duplicates and benchmark overlap, for exports (`semi_core.export`).

Code is read by a small lexer (one regular expression, no parsing: fast, and it never
fails — a prose answer is read the same way): comments and docstrings are dropped, string
quotes normalised, and layout reduced to logical lines and indentation changes, as
Python's tokenizer sees them (line breaks inside brackets do not count).

**Exact duplicates** — the same token sequence: code that differs only in comments,
docstrings, spacing, line breaks inside brackets or quote style is the same code.

**Near duplicates** — MinHash (`datasketch`, 128 permutations) over shingles of 5 tokens,
with the names the code binds itself (functions, classes, parameters, assignment, loop,
``as`` and lambda targets) renamed ``v0, v1, …`` in order of first appearance; names it
only uses (builtins, imports, helpers, attributes) are kept. Renaming variables therefore
changes nothing, while two one-liners that call different functions stay apart. LSH finds
candidates; a candidate counts when its estimated Jaccard similarity reaches the threshold
(0.85 by default, the value BigCode used for The Stack). Binding is recognised from the
tokens, not from a parse: a rare miss only lowers a similarity.

**Contamination** — word n-grams (identifiers and numbers, lowercased; n = 10 by default)
of benchmark texts; a text that shares any n-gram with a benchmark item is flagged, with
the overlapping passage of *our* text and the item it overlaps. On the demo data, n = 10
flags every HumanEval pair and no standard-library pair (n = 8 starts flagging
``statistics`` functions; n = 13, GPT-3's choice, misses rewrites sooner).
"""

from __future__ import annotations

import hashlib
import keyword
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

SHINGLE = 5
NUM_PERM = 128
DEFAULT_THRESHOLD = 0.85
DEFAULT_NGRAM = 10

_FENCE = re.compile(r"```[\w+.-]*[ \t]*\n(.*?)```", re.S)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_TRIPLE = r'"""[\s\S]*?"""' + "|" + r"'''[\s\S]*?'''"
_SINGLE = r'"(?:\\.|[^"\\\n])*"' + "|" + r"'(?:\\.|[^'\\\n])*'"
_LEX = re.compile(
    rf"(?P<s>[rRbBuUfF]{{0,2}}(?:{_TRIPLE}|{_SINGLE}))"
    r"|(?P<c>#[^\n]*)"
    r"|(?P<n>\n[ \t]*)"
    r"|(?P<w>\w+)"
    r"|(?P<o>\*\*=|//=|>>=|<<=|->|:=|==|!=|<=|>=|[-+*/%&|^@]=|\*\*|//|<<|>>|[^\w\s])"
)
_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")
_ASSIGN = frozenset({"=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=",
                     "|=", "^=", "@="})  # fmt: skip
_KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
NEWLINE, INDENT, DEDENT = "⏎", "→", "←"
_LAYOUT = frozenset({NEWLINE, INDENT, DEDENT})


def code_of(text: str) -> str:
    """The code in an answer: its fenced blocks when it has any, else the whole text."""
    blocks = _FENCE.findall(text or "")
    return "\n".join(blocks) if blocks else (text or "")


_COMPOUND = frozenset({"if", "elif", "else", "for", "while", "def", "class", "with", "try",
                       "except", "finally", "async", "match", "case"})  # fmt: skip


def lex(code: str) -> list[tuple[str, int]]:
    """(token, bracket depth) for the code's logical tokens: comments and docstrings
    dropped, each string as ``"`` + its body, layout as NEWLINE / INDENT / DEDENT. A body
    on its header's line (``if x: y``) reads as an indented block, a semicolon as a new
    line, and a comma just before a closing bracket is dropped: formatters change these."""
    out: list[tuple[str, int]] = []

    def newline() -> None:
        if out and out[-1][0] != NEWLINE:
            out.append((NEWLINE, 0))

    depth = 0
    stack = [0]
    pending = 0  # indentation of the line about to start
    line_start = True  # at the start of a physical line (outside brackets)
    statement_start = True  # the next token starts a statement
    header = False  # this statement starts with a compound keyword
    colon = False  # its header's ':' was just seen: a body may follow on the same line
    inline = False  # a body on the header's line is open (closed at the line's end)
    line_first = 0  # index in `out` of the current line's first token
    may_doc = True  # a string alone on this line is a docstring
    after_header = True  # the file's start, or the line after one ending in ':'
    for match in _LEX.finditer(code):
        kind, text = match.lastgroup, match.group()
        if kind == "c":
            continue
        if kind == "n":
            if depth:
                continue  # a line break inside brackets is layout
            if not line_start:
                if may_doc and len(out) == line_first + 1 and out[-1][0].startswith('"'):
                    out.pop()  # a docstring
                    after_header = False
                else:
                    after_header = bool(out) and out[-1][0] == ":"
                    newline()
                if inline:
                    out.append((DEDENT, 0))
                line_start = statement_start = True
                colon = inline = False
            pending = len(text) - 1
            continue
        if line_start:
            if pending > stack[-1]:
                stack.append(pending)
                out.append((INDENT, 0))
            else:
                while pending < stack[-1] and len(stack) > 1:
                    stack.pop()
                    out.append((DEDENT, 0))
            line_start = False
            line_first = len(out)
            may_doc = after_header
        if colon:  # `if x: y` reads as `if x:` and an indented `y`
            out.append((NEWLINE, 0))
            out.append((INDENT, 0))
            colon, inline, statement_start = False, True, True
        if statement_start:
            header = text in _COMPOUND
            statement_start = False
        if kind == "s":
            body = text.lstrip("rRbBuUfF")
            quotes = 3 if body[:3] in ('"""', "'''") else 1
            out.append(('"' + body[quotes:-quotes], depth))
            continue
        if text == ";" and depth == 0:
            newline()
            statement_start = True
            continue
        if text in _OPEN:
            depth += 1
        elif text in _CLOSE:
            depth = max(0, depth - 1)
            if out and out[-1][0] == ",":
                out.pop()  # a trailing comma
        elif text == ":" and depth == 0 and header and not inline:
            colon = True
        out.append((text, depth))
    if not line_start and may_doc and len(out) == line_first + 1 and out[-1][0].startswith('"'):
        out.pop()  # a docstring on the last line, with no newline after it
    return out


def _is_name(token: str) -> bool:
    return token[:1].isidentifier() and token not in _KEYWORDS


def _bound_names(tokens: list[tuple[str, int]]) -> set[str]:
    """Names the code binds itself, recognised from the tokens: renaming those does not
    change what the code does."""
    bound: set[str] = set()
    n = len(tokens)
    line_start = 0
    for i, (text, depth) in enumerate(tokens):
        if text in _LAYOUT:
            line_start = i + 1
        elif text in ("def", "class", "as"):
            if i + 1 < n and _is_name(tokens[i + 1][0]):
                bound.add(tokens[i + 1][0])
        elif text in ("for", "lambda"):
            # loop targets up to `in`; lambda parameters up to `:`
            stop = "in" if text == "for" else ":"
            j = i + 1
            while j < n and not (tokens[j][0] == stop and tokens[j][1] == depth):
                name = tokens[j][0]
                if _is_name(name) and tokens[j - 1][0] != ".":
                    if text == "for" or tokens[j - 1][0] in ("lambda", ",", "*", "**"):
                        bound.add(name)
                j += 1
        elif text == "(" and i >= 2 and tokens[i - 2][0] == "def":
            # parameters: names right after `(`, `,`, `*` or `**` at this bracket depth
            j = i + 1
            while j < n and tokens[j][1] >= depth:
                name, level = tokens[j]
                if level == depth and _is_name(name) and tokens[j - 1][0] in ("(", ",", "*", "**"):
                    bound.add(name)
                j += 1
        elif text == ":=":
            if _is_name(tokens[i - 1][0]):
                bound.add(tokens[i - 1][0])
        elif text in _ASSIGN and depth == 0:
            # assignment targets: this statement's names before the `=`, at depth 0, not
            # attributes, subscripts, calls or annotations
            annotation = False
            for j in range(line_start, i):
                name = tokens[j][0]
                if name == ":":
                    annotation = True
                elif name in _ASSIGN or name == ",":
                    annotation = False
                elif (
                    not annotation
                    and tokens[j][1] == 0
                    and _is_name(name)
                    and (j == line_start or tokens[j - 1][0] != ".")
                    and tokens[j + 1][0] not in (".", "[", "(")
                ):
                    bound.add(name)
    return bound


def normalize_code(text: str) -> tuple[str, list[str]]:
    """(exact key, tokens for MinHash) of the code in `text` (see the module docstring)."""
    tokens = lex(code_of(text) + "\n")  # with or without a final newline: the same code
    plain = [token for token, _ in tokens]
    exact = hashlib.sha256("\x00".join(plain).encode()).hexdigest()[:24]
    bound = _bound_names(tokens)
    renamed: dict[str, str] = {}
    out = []
    previous = ""
    for token in plain:
        if token in bound and previous != ".":
            token = renamed.setdefault(token, f"v{len(renamed)}")
        out.append(token)
        previous = token
    return exact, out


def _hash32(data: bytes) -> int:
    # CRC-32: C speed and the same in every process. It only names a shingle; the
    # MinHash permutations do the scrambling.
    return zlib.crc32(data)


_TEMPLATES: dict[int, MinHash] = {}


def minhash(tokens: list[str], num_perm: int = NUM_PERM) -> MinHash:
    """MinHash of the token shingles (the whole sequence when it is shorter than one)."""
    template = _TEMPLATES.get(num_perm)
    if template is None:  # the permutations are drawn once, not for every signature
        template = _TEMPLATES[num_perm] = MinHash(num_perm=num_perm, hashfunc=_hash32)
    size = min(SHINGLE, len(tokens))
    shingles = {"\x00".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}
    signature = template.copy()
    signature.update_batch([shingle.encode() for shingle in shingles])
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
        grams = self._grams
        for name, text in fields.items():
            words = [w.lower() for w in _WORD.findall(text or "")]  # no spans: most are clean
            hits: list[tuple[int, tuple[str, str]]] = []
            for i in range(len(words) - n + 1):
                found = grams.get(tuple(words[i : i + n]))
                if found is not None:
                    hits.append((i, found))
            if not hits:
                continue
            total += len(hits)
            spans = [m.span() for m in _WORD.finditer(text)]
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
