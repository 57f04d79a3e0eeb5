"""Code shown as highlighted text, without st.code's script.

st.code's highlighter registers every Prism language when it loads: about half a
second of the browser's time in each new tab of a page that shows code, the largest
single cost of such a page. Here Pygments splits the code into tokens on the server
and a few lines of JavaScript put each token into the page as text (`textContent`,
never markup), coloured by its kind: LLM output stays inert text, as with st.code.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import streamlit as st
from pygments import lex
from pygments.lexer import Lexer
from pygments.lexers import DiffLexer, PythonLexer, TextLexer
from pygments.token import Comment, Generic, Keyword, Name, Number, Operator, String, _TokenType

_LEXERS: dict[str, type[Lexer]] = {"python": PythonLexer, "diff": DiffLexer}
# Token kind → CSS class; the first match wins (Name.Function before Name, etc.).
_CLASSES: tuple[tuple[_TokenType, str], ...] = (
    (Comment, "comment"),
    (String, "string"),
    (Number, "number"),
    (Keyword, "keyword"),
    (Operator.Word, "keyword"),
    (Name.Builtin, "builtin"),
    (Name.Function, "definition"),
    (Name.Class, "definition"),
    (Name.Decorator, "decorator"),
    (Generic.Inserted, "inserted"),
    (Generic.Deleted, "deleted"),
    (Generic.Heading, "hunk"),
    (Generic.Subheading, "hunk"),
)

_CSS = """
.code { position: relative; margin: 0 0 1rem 0; }
pre { margin: 0; padding: 1rem 2.5rem 1rem 1rem; border-radius: 0.5rem; overflow-x: auto;
  background: var(--st-secondary-background-color, #f0f2f6); color: var(--st-text-color, #31333f);
  font-family: "Source Code Pro", ui-monospace, monospace; font-size: 0.875rem; line-height: 1.6; }
pre.wrap { white-space: pre-wrap; overflow-wrap: anywhere; }
button { position: absolute; top: 0.4rem; right: 0.4rem; opacity: 0; border: 0; cursor: pointer;
  border-radius: 0.3rem; padding: 0.1rem 0.4rem; font-size: 0.75rem;
  background: var(--st-background-color, #fff); color: var(--st-text-color, #31333f); }
.code:hover button, button:focus { opacity: 0.85; }
.keyword { color: #7c3aed; } .string { color: #15803d; } .number { color: #b45309; }
.comment { color: #6b7280; font-style: italic; } .builtin { color: #0e7490; }
.definition { color: #1d4ed8; } .decorator { color: #be185d; } .hunk { color: #6b7280; }
.inserted { color: #166534; background: #dcfce7; } .deleted { color: #991b1b; background: #fee2e2; }
"""
_HTML = '<div class="code"><pre></pre><button type="button" title="Copy">Copy</button></div>'
_JS = """
export default function ({ data, parentElement }) {
  const pre = parentElement.querySelector("pre");
  pre.className = data.wrap ? "wrap" : "";
  pre.replaceChildren(...data.tokens.map(([kind, text]) => {
    if (!kind) return document.createTextNode(text);
    const span = document.createElement("span");
    span.className = kind;
    span.textContent = text;  // text, never markup
    return span;
  }));
  pre.dataset.drawn = "";  // drawn: for the studio's latency benchmark
  const button = parentElement.querySelector("button");
  button.onclick = async () => {
    await navigator.clipboard?.writeText(pre.textContent);
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1200);
  };
}
"""
_code_component = st.components.v2.component("code_view", html=_HTML, css=_CSS, js=_JS)


def _css_class(kind: _TokenType) -> str:
    return next((name for parent, name in _CLASSES if kind in parent), "")


@lru_cache(maxsize=1024)
def code_tokens(text: str, language: str | None) -> tuple[tuple[str, str], ...]:
    """`text` as (CSS class, text) pieces, neighbours of one class merged; joined, the
    pieces give `text` back, its line endings made "\n" (as Pygments reads it). Unknown
    or no language: one plain piece."""
    lexer = _LEXERS.get(language or "", TextLexer)(stripnl=False, stripall=False, ensurenl=False)
    pieces: list[list[str]] = []
    for kind, value in lex(text, lexer):
        css_class = _css_class(kind)
        if pieces and pieces[-1][0] == css_class:
            pieces[-1][1] += value
        else:
            pieces.append([css_class, value])
    return tuple((css_class, value) for css_class, value in pieces)


_PLAIN_KEY = re.compile(r"[A-Za-z0-9-]+(_[A-Za-z0-9-]+)*")


def element_key(*parts: object) -> str:
    """A component key made from `parts` (names, ids, any text from the data): the parts
    joined by "_" when that is plain, else the plain prefix and a hash of them all.
    Streamlit refuses a component key holding "__" (its own delimiter), so a key made
    from a name like `_private_helper` must not carry the name as it is."""
    joined = "_".join(str(part) for part in parts)
    if _PLAIN_KEY.fullmatch(joined):
        return joined
    digest = hashlib.sha256(repr(tuple(map(str, parts))).encode("utf-8", "replace"))
    prefix = re.sub(r"[^A-Za-z0-9-]+", "-", str(parts[0]) if parts else "").strip("-")
    return f"{prefix}-{digest.hexdigest()[:16]}" if prefix else digest.hexdigest()[:16]


def code_view(text: str, language: str | None = "python", *, key: str, wrap: bool = False) -> None:
    """Show `text` as a block of code (`language` "python", "diff" or None for plain
    text), with a copy button; `wrap` wraps long lines. `key` names the block on the page
    (any text: see `element_key`)."""
    _code_component(
        data={"tokens": code_tokens(text, language), "language": language, "wrap": wrap},
        key=element_key(key),
    )
