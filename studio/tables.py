"""Tables, figures and code as Streamlit draws them: every table an `st.dataframe` (sortable,
searchable, a cell opened whole by a double click), numbers as numbers with a format,
statuses as an icon and a word; figures as `st.metric`; code as `st.code`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from studio.glossary import HELP, origins_help
from studio.shared import element_key

# A test's result as the tests table shows it: a mark seen at a glance (in every font, not
# an emoji), and a word that says it without colour.
FAILED, PASSED, NOT_RUN = "✗ failed", "✓ passed", "– not run"
# test_table's columns that only some pairs fill: arguments a call changed in place, and
# the mutants each input killed where test strength was measured
OPTIONAL_COLUMNS = ["expected args after", "actual args after", "mutants killed"]
_FAILED_ROW = "background-color: rgba(255, 75, 75, 0.18)"
# Texts wider than this many characters are cut in a cell; the cell opens whole.
_WIDE_TEXT = 40
_TABLE_HELP = (
    "Sort by a column's header, search with the magnifier above the table, and "
    "double-click a cell to read a long value whole."
)


def result_mark(failing: bool | None) -> str:
    """A test's result: failed, passed, or not run (the rewrite did not run on it)."""
    return NOT_RUN if failing is None else (FAILED if failing else PASSED)


def column_config(table: pd.DataFrame) -> dict[str, Any]:
    """Each column drawn as its type: integers whole, other numbers to three decimals,
    times as dates and times, true/false as a check box, long texts in a wide column; the
    studio's terms with their help text in the header."""
    config: dict[str, Any] = {}
    for name, dtype in table.dtypes.items():
        label = str(name)
        help_text = origins_help() if label == "origin" else HELP.get(label.replace("_", " "))
        if pd.api.types.is_datetime64_any_dtype(dtype):
            config[label] = st.column_config.DatetimeColumn(
                label, help=help_text, format="YYYY-MM-DD HH:mm:ss"
            )
        elif pd.api.types.is_bool_dtype(dtype):
            config[label] = st.column_config.CheckboxColumn(label, help=help_text)
        elif pd.api.types.is_integer_dtype(dtype):
            config[label] = st.column_config.NumberColumn(label, help=help_text, format="%d")
        elif pd.api.types.is_float_dtype(dtype):
            whole = table[name].dropna().map(float.is_integer).all()
            config[label] = st.column_config.NumberColumn(
                label, help=help_text, format="%d" if whole else "%.3f"
            )
        else:
            texts = table[name].dropna().astype(str)
            wide = bool(len(texts)) and texts.str.len().max() > _WIDE_TEXT
            config[label] = st.column_config.TextColumn(
                label, help=help_text, width="large" if wide else None
            )
    return config


def show_table(
    table: pd.DataFrame,
    key: str | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    failed_rows: Sequence[bool] | None = None,
    height: int | str = "auto",
) -> None:
    """`table` as a sortable, searchable grid, each column drawn as its type
    (`column_config`, overridden by `config`); with `failed_rows`, those rows are tinted
    red (beside their result word, never alone)."""
    shown: Any = table
    if failed_rows is not None:
        marks = list(failed_rows)
        # A styled table is drawn with the Styler's texts: numbers to two decimals, a
        # missing value empty.
        shown = table.style.apply(
            lambda row: [_FAILED_ROW if marks[row.name] else ""] * len(row), axis=1
        ).format(precision=2, na_rep="")
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=height,
        key=element_key(key) if key else None,
        column_config={**column_config(table), **(config or {})},
        placeholder="–",  # a missing value, as the studio writes it elsewhere
    )


def tests_table(tests: list[dict[str, Any]], key: str) -> None:
    """A pair's test table (`semi_core.review.test_table`): each test's result first (an
    icon and a word), a failing row also tinted; the optional columns only where filled."""
    frame = pd.DataFrame(tests)
    frame = frame.drop(columns=[c for c in OPTIONAL_COLUMNS if frame[c].isna().all()])
    failing = frame.pop("failing")
    frame.insert(0, "result", failing.map(result_mark))
    frame = frame.reset_index(drop=True)
    config = {
        "#": st.column_config.NumberColumn("#", format="%d", width=40),
        "result": st.column_config.TextColumn("result", width=100),
        "ms": st.column_config.NumberColumn("ms", format="%.1f"),
    }
    show_table(frame, key, config=config, failed_rows=list(failing.eq(True)))
    st.caption(_TABLE_HELP)


def metric_row(
    metrics: Sequence[tuple[str, object]], *, helps: Mapping[str, str] | None = None,
    row: Any = None,
) -> None:  # fmt: skip
    """Figures side by side (`st.metric`), each as wide as its value, so that no value is
    ever cut ("generated_error" whole); a row too long for the page wraps. A figure named
    by a term of the glossary carries its explanation, unless `helps` gives another.
    `row`: a horizontal container to add them to (else a new one)."""
    helps = helps or {}
    row = row or st.container(horizontal=True, gap="large")
    for label, value in metrics:
        explained = helps.get(label, HELP.get(label.lower()))
        row.metric(label, value, help=explained, width="content")


# The height of one line of st.code, and of its padding, in pixels: a block is given a
# fixed height (and scrolls) only when its lines would be taller than asked.
_CODE_LINE_PX, _CODE_PAD_PX = 22, 34


def code(
    text: str, language: str | None = "python", *, numbered: bool = True,
    max_height: int | None = None,
) -> None:  # fmt: skip
    """Code as `st.code`: its lines numbered (a test's error names a line), long lines
    wrapped so that none is cut off, and a copy button; taller than `max_height` pixels,
    it scrolls within that height."""
    lines = text.count("\n") + 1
    tall = max_height is not None and lines * _CODE_LINE_PX + _CODE_PAD_PX > max_height
    st.code(text, language=language, line_numbers=numbered, wrap_lines=True,
            height=max_height if tall else "content")  # fmt: skip


def both_codes(pair: Mapping[str, Any], original_label: str) -> None:
    """A pair's original code (the oracle, labelled `original_label`) and its rewrite,
    side by side."""
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{original_label}**", help=HELP["oracle"])
        code(pair["original_code"] or "")
    with right:
        st.markdown("**Rewrite**")
        code(pair["code"] or "")


def open_in_review(pair_id: str) -> None:
    """Go to the Review page showing `pair_id`, decided or not (a linked pair)."""
    st.session_state["review_pair"] = st.session_state["review_link"] = pair_id
    st.query_params["pair"] = pair_id
    st.switch_page("pages/review.py")


def pairs_to_review(pairs: pd.DataFrame, key: str, *, label: str = "Pair") -> str | None:
    """The pairs behind a selection as a table, one picker of them and a button that
    opens the picked one in Review; returns the picked pair (None when there are none)."""
    if pairs.empty:
        st.caption(
            "Nothing picked yet: click a chart's circles or bars, or choose from the "
            "lists above, to list their pairs."
        )
        return None
    show_table(pairs, f"{key}_table")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox(label, list(pairs["pair"]), key=f"{key}_pair")
    if right.button("Open in Review", key=f"{key}_open") and chosen:
        open_in_review(chosen)
    return chosen


def code_area_style(*keys: str) -> None:
    """The text areas of these widget keys (plain keys: letters, digits, "_" and "-") in
    a monospace font, lines kept whole: code and prompts are edited as code."""
    boxes = ",".join(f".st-key-{key} textarea" for key in keys)
    st.html(
        f"<style>{boxes}{{font-family:'Source Code Pro',ui-monospace,monospace;"
        "font-size:0.85rem;tab-size:4;white-space:pre;overflow-wrap:normal}</style>"
    )
