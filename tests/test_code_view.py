"""Code shown by studio/code_view.py: Pygments' pieces give the text back whole, each
with the class that colours it, and markup in the text stays text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from studio.code_view import code_tokens

CODE = """@cache
def add(a, b=1):  # sum
    return a + b if a is not None else "none"
"""


@given(text=st.text(), language=st.sampled_from(["python", "diff", None, "cobol"]))
def test_the_pieces_give_the_text_back_whole(text: str, language: str | None) -> None:
    joined = "".join(piece for _, piece in code_tokens(text, language))
    assert joined == text.replace("\r\n", "\n").replace("\r", "\n")


def test_python_tokens_are_classed_by_their_kind() -> None:
    pieces = code_tokens(CODE, "python")
    classed = {piece.strip(): css_class for css_class, piece in pieces if piece.strip()}
    assert classed["@cache"] == "decorator"
    assert classed["def"] == "keyword" and classed["add"] == "definition"
    assert classed["# sum"] == "comment" and classed['"none"'] == "string"
    assert classed["1"] == "number" and classed["is"] == classed["not"] == "keyword"
    # Neighbours of one class are merged: no two pieces in a row share a class.
    assert all(a[0] != b[0] for a, b in zip(pieces, pieces[1:], strict=False))


def test_diff_lines_are_marked_inserted_or_deleted() -> None:
    diff = "--- original\n+++ generated\n@@ -1 +1 @@\n-return a\n+return b\n"
    classes = dict((piece, css_class) for css_class, piece in code_tokens(diff, "diff"))
    assert classes["-return a"] == "deleted" and classes["+return b"] == "inserted"
    assert classes["@@ -1 +1 @@"] == "hunk"


def test_plain_text_is_one_piece_and_markup_stays_text() -> None:
    hostile = "<script>alert(1)</script> **bold** [link](http://x)"
    assert code_tokens(hostile, None) == (("", hostile),)
