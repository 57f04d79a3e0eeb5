"""What the dashboard pages share: Plotly charts (their figures are built in
`studio.plots`), each with its numbers in a box under it, selections read back as the
fields of the marks selected, and a way from pairs to the Review page; and the tables.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from studio.plots import picked

# Up to this many rows, none of its texts longer than this, a table is drawn static (HTML,
# no grid script to load); a longer one gets the scrolling, sortable grid, whose cells also
# keep long texts (a test's big input or output) to one line.
SMALL_TABLE_ROWS = 30
SMALL_TABLE_TEXT = 400


def static_table(
    table: pd.DataFrame, *, row_style: Callable[[pd.Series], list[str]] | None = None
) -> None:
    """A small table drawn as plain HTML, each row styled by `row_style` (CSS per cell)
    when given. Neither st.table nor the grid: st.table makes a new tab load ~1 MB of
    Arrow and date scripts and parse every cell as Markdown (~0.4 s of the browser's time
    on this machine for a 5-row table). Every text is HTML-escaped, so text from the data
    (names, errors, test inputs, LLM output) shows as typed and is never markup."""
    st.html(table_html(table, row_style=row_style))


_TABLE_CSS = (
    "<style>.semi-table{overflow-x:auto;margin-bottom:1rem}"
    ".semi-table table{border-collapse:collapse;width:100%;font-size:0.875rem}"
    ".semi-table th,.semi-table td{border:1px solid rgba(49,51,63,0.1);padding:0.25rem 0.5rem;"
    "text-align:left;vertical-align:top;white-space:pre-wrap;overflow-wrap:anywhere}"
    ".semi-table th{font-weight:600;color:rgba(49,51,63,0.7)}"
    ".semi-table td.num{text-align:right;font-variant-numeric:tabular-nums}</style>"
)


def table_html(
    table: pd.DataFrame, *, row_style: Callable[[pd.Series], list[str]] | None = None
) -> str:
    """`table` as an escaped HTML table (see `static_table`)."""
    # Each cell is classed by its column's type: numbers align right.
    kinds = [' class="bool"' if pd.api.types.is_bool_dtype(t)
             else ' class="num"' if pd.api.types.is_numeric_dtype(t) else ""
             for t in table.dtypes]  # fmt: skip
    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in table.columns)
    # Row by row as plain tuples, each value of its column's own type; a styled row is
    # also handed to `row_style` as a Series.
    unstyled = [""] * len(table.columns)
    styles = ([row_style(row) for _, row in table.iterrows()] if row_style
              else [unstyled] * len(table))  # fmt: skip
    rows = []
    for values, row_styles in zip(table.itertuples(index=False, name=None), styles, strict=True):
        cells = "".join(
            f"<td{kind}" + (f' style="{html.escape(style)}"' if style else "")
            + f">{_cell(value)}</td>"
            for value, style, kind in zip(values, row_styles, kinds, strict=True)
        )  # fmt: skip
        rows.append(f"<tr>{cells}</tr>")
    body = "".join(rows)
    return (f'<div class="semi-table"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>{_TABLE_CSS}")  # fmt: skip


_METRICS_CSS = (
    "<style>.semi-metrics{display:flex;flex-wrap:wrap;gap:1rem;margin-bottom:1rem}"
    ".semi-metric{flex:1 1 8rem;min-width:0}"
    ".semi-metric .label{font-size:0.875rem;color:rgba(49,51,63,0.8)}"
    ".semi-metric .value{font-size:2.25rem;line-height:1.3;white-space:nowrap;overflow:hidden;"
    "text-overflow:ellipsis}</style>"
)


def metric_row(metrics: Sequence[tuple[str, object]]) -> None:
    """Figures side by side, each a label over a big value, as one HTML element: what a
    row of st.metric shows, without its script and its element per column (a new tab
    draws one element instead of a block, its columns and a metric in each)."""
    cells = "".join(
        f'<div class="semi-metric"><div class="label">{html.escape(label)}</div>'
        f'<div class="value">{html.escape(str(value))}</div></div>'
        for label, value in metrics
    )
    st.html(f'<div class="semi-metrics">{cells}</div>{_METRICS_CSS}')


def _cell(value: object) -> str:
    """A cell's text as a reader expects it: empty for a missing value, floats short."""
    if _missing(value):
        return ""
    if isinstance(value, float):
        return format(value, ".6g")
    return html.escape(str(value))


def some_table(
    table: pd.DataFrame, key: str, *, row_style: Callable[[pd.Series], list[str]] | None = None
) -> None:
    """A table drawn static when small. A longer one shows its first rows static, and the
    whole of it in the scrolling, sortable grid once its box is opened (a tracked
    expander): a new tab then skips the grid's script (~0.7 MB of JavaScript). With a long
    text among the rows shown (a test's big input or output), the grid is drawn at once:
    its cells keep such a text to one line."""
    first = table.head(SMALL_TABLE_ROWS)
    if _longest_text(first) > SMALL_TABLE_TEXT:
        _grid(table, key, row_style)
    elif len(first) == len(table):
        static_table(table, row_style=row_style)
    else:
        head = st.container()  # filled below, once the box says whether the grid is shown
        box = st.expander(f"All {len(table)} rows, in a sortable grid", key=f"{key}_all",
                          on_change="rerun")  # fmt: skip
        if box.open:
            with box:
                _grid(table, key, row_style)
        else:
            with head:
                st.caption(f"The first {len(first)} of {len(table)} rows:")
                static_table(first, row_style=row_style)


# test_table's columns that only some pairs fill: arguments a call changed in place, and
# the mutants each input killed where test strength was measured
OPTIONAL_COLUMNS = ["expected args after", "actual args after", "mutants killed"]


def _test_mark(failing: bool | None) -> str:
    """A test's mark: ✗ failed, ✓ passed, – the rewrite did not run on it."""
    return "–" if failing is None else ("✗" if failing else "✓")


def _failing_red(row: pd.Series) -> list[str]:
    colour = "background-color: rgba(255, 75, 75, 0.25)" if row.iloc[0] == "✗" else ""
    return [colour] * len(row)


def tests_table(tests: list[dict[str, Any]], key: str) -> None:
    """A pair's test table (`semi_core.review.test_table`): failing rows marked twice, ✗ in
    the first column and a red row; the optional columns shown only where filled."""
    frame = pd.DataFrame(tests)
    frame = frame.drop(columns=[c for c in OPTIONAL_COLUMNS if frame[c].isna().all()])
    frame.insert(0, "", frame.pop("failing").map(_test_mark))
    some_table(frame, key, row_style=_failing_red)


def _grid(
    table: pd.DataFrame, key: str, row_style: Callable[[pd.Series], list[str]] | None
) -> None:
    shown = table.style.apply(row_style, axis=1) if row_style else table
    st.dataframe(shown, hide_index=True, width="stretch", key=key)


def _longest_text(table: pd.DataFrame) -> int:
    return max((len(v) for v in table.to_numpy().ravel() if isinstance(v, str)), default=0)


# Hover, zoom, pan and a legend that toggles series are Plotly's own; the mode bar keeps
# only what a reader of these charts uses (no logo, no image export).
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["toImage"]}


def chart(figure: go.Figure, table: pd.DataFrame | None = None, key: str | None = None) -> None:
    """A Plotly figure, with its numbers as a table in a box under it when given."""
    st.plotly_chart(figure, key=key, config=PLOTLY_CONFIG)
    if table is not None:
        numbers_table(table)


def numbers_table(table: pd.DataFrame) -> None:
    """A chart's numbers, in a box under it (closed: the chart tells them on hover)."""
    with st.expander("Numbers"):
        st.dataframe(table, hide_index=True, width="stretch")


def selectable_chart(
    figure: go.Figure, key: str, fields: Sequence[str], *,
    mode: str | Sequence[str] = ("points", "box"),
) -> list[dict[str, Any]]:  # fmt: skip
    """A Plotly figure a click (or a box, a lasso, as `mode` allows) selects from: returns
    the fields (`studio.plots.FIELDS`) of each mark selected. A double click clears."""
    event = st.plotly_chart(figure, key=key, on_select="rerun", selection_mode=mode,
                            config=PLOTLY_CONFIG)  # fmt: skip
    return picked(selection_points(event), fields)


def selection_points(state: Any) -> list[dict[str, Any]]:
    """The points of a Plotly chart's selection state (its widget value, or what
    session_state holds under its key), none when there is none."""
    try:
        points = state["selection"]["points"]
    except (KeyError, TypeError):
        return []
    return [p for p in points if isinstance(p, dict)] if isinstance(points, list) else []


def latest_pick(seen: dict[str, Any], now: dict[str, Any], latest: str | None) -> str | None:
    """Which of a page's pickers (charts and lists) holds the pick that counts: the first
    whose pick is new since the last run (`seen`), else the one that counted before while
    it still picks something. One pick counts at a time: picks never combine."""
    for name, pick in now.items():
        if pick and pick != seen.get(name):
            return name
    return latest if latest is not None and now.get(latest) else None


ANY = "(any)"


class OnePick:
    """A page's pickers, its charts (`charts`: name -> the fields its marks pick) and its
    lists (`lists`: name -> the selectbox's key, `ANY` for no pick), of which one pick
    counts at a time (`latest_pick`): the others are cleared, a chart by drawing it afresh
    under a new key (`key`), a list by setting it back to `ANY`. Built before any of them
    is drawn in the run."""

    def __init__(self, prefix: str, charts: dict[str, Sequence[str]],
                 lists: dict[str, str] | None = None) -> None:  # fmt: skip
        self.prefix, self.charts, self.lists = prefix, charts, lists or {}
        state = st.session_state.setdefault(f"{prefix}_picks",
                                            {"seen": {}, "latest": None, "round": {}})  # fmt: skip
        self._round = state["round"]
        # Each chart's selection as Streamlit holds it before the chart is drawn again.
        now = {name: picked(selection_points(st.session_state.get(self.key(name))), fields)
               for name, fields in charts.items()}  # fmt: skip
        now |= {name: [] if st.session_state.get(key, ANY) == ANY else [st.session_state[key]]
                for name, key in self.lists.items()}  # fmt: skip
        self.latest = latest_pick(state["seen"], now, state["latest"])
        for name, pick in now.items():
            if pick and name != self.latest:
                if name in charts:
                    self._round[name] = self._round.get(name, 0) + 1
                else:
                    st.session_state[self.lists[name]] = ANY
                now[name] = []
        state["seen"], state["latest"] = now, self.latest
        self.chosen: list[Any] = now[self.latest] if self.latest else []

    def key(self, name: str) -> str:
        """A chart's widget key now; a new round draws it afresh, unselected."""
        return f"{self.prefix}_{name}_{self._round.get(name, 0)}"

    def chart(self, name: str, figure: go.Figure, mode: str | Sequence[str] = ("points", "box")
              ) -> None:  # fmt: skip
        """Draw the chart `name` (its selection is read in `__init__`)."""
        selectable_chart(figure, self.key(name), self.charts[name], mode=mode)


def _missing(value: object) -> bool:
    """None, NaN, pd.NA or NaT: a value that is not there."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _open(pair_id: str) -> None:
    # The Review page shows a linked pair (`review_link`) decided or not.
    st.session_state["review_pair"] = st.session_state["review_link"] = pair_id
    st.query_params["pair"] = pair_id


def pairs_to_review(pairs: pd.DataFrame, key: str) -> None:
    """The pairs behind a selection as a table, and a button that opens one in Review."""
    if pairs.empty:
        st.caption(
            "Nothing picked yet: click a bar or a circle in a chart (or draw a box "
            "or a lasso round points), or choose from the lists above, to list their pairs."
        )
        return
    some_table(pairs, f"{key}_table")
    ids = list(pairs["pair"])
    left, right = st.columns([3, 1])
    chosen = left.selectbox("Pair", ids, key=f"{key}_pair")
    if right.button("Open in Review", key=f"{key}_open") and chosen:
        _open(chosen)
        st.switch_page("pages/review.py")


@st.cache_resource(show_spinner=False)
def _pool(timeout_s: float, memory_mb: int, workers: int) -> Any:
    from semi_core.pipeline import PipelineSettings

    limits = PipelineSettings(timeout_s=timeout_s, memory_mb=memory_mb, workers=workers).limits()
    from semi_core.sandbox.pool import SandboxPool

    return SandboxPool(limits)


def get_pool(timeout_s: float, memory_mb: int, workers: int) -> Any:
    """The server's sandbox pool for live steps (one per set of limits): warm workers are
    shared by every session instead of started per click."""
    return _pool(float(timeout_s), int(memory_mb), int(workers))
