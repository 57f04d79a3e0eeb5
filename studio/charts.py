"""Chart helpers the dashboard pages share: every chart with a plain table of the same
numbers, the points a click picks read back as their fields, and a way from pairs to the
Review page.

Every chart is plain HTML built here (`html_bars`, `html_cells`), each mark telling its
numbers on hover; no chart script is loaded. A new tab of a page drawn with Vega-Lite
paid for Vega's ~0.8 MB of JavaScript and ~0.1 s per chart of the browser's time
(Rankings, with four, took 2.38 s in a new tab with them and 1.85 s without, at 100,000
pairs); Plotly's script was ~4.7 MB. A chart a click picks from (Rankings') is the same
HTML inside a small component that only marks and reports what was clicked
(`chart_and_table(..., pickable=True)`)."""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

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


def chart_and_table(
    chart: str, table: pd.DataFrame, key: str, *, pickable: bool = False
) -> list[dict[str, Any]]:
    """A chart (HTML from `html_bars` or `html_cells`) with its numbers as a plain table
    folded under it (an HTML <details>: it opens in the browser, without a rerun, and
    costs a new tab one element instead of a tab bar and two tabs). With `pickable`, a
    click on a mark picks it (shift-click adds or drops one, a click beside the marks
    clears): returns each picked mark's fields ({field: value}, as the chart was built
    with `pick`), else nothing. `key` names the chart."""
    folded = f'<details class="semi-fold"><summary>Table</summary>{table_html(table)}</details>'
    if not pickable:
        st.html(chart + folded + _FOLD_CSS)  # the chart and its table: one element
        return []
    # What the browser reported picked (this session's state, read before the chart is
    # drawn), kept to the marks the chart has now: a mark gone since (the data changed)
    # or one the browser made up picks nothing. The chart is drawn with those marked.
    state = st.session_state.get(key)
    reported = state.get("picked") if isinstance(state, dict) else None
    marks = _marks(chart)
    kept = [text for text, mark in marks.items()
            if isinstance(reported, list) and mark in reported]  # fmt: skip
    _pickable_chart(data={"html": chart, "picked": kept}, key=key, default={"picked": []},
                    on_picked_change=lambda: None)  # fmt: skip
    st.html(folded + _FOLD_CSS)
    return [marks[text] for text in kept]


def _marks(chart: str) -> dict[str, dict[str, Any]]:
    """A chart's marks: each `data-pick` text, and the fields it picks."""
    texts = dict.fromkeys(html.unescape(t) for t in re.findall(r'data-pick="([^"]*)"', chart))
    return {text: json.loads(text) for text in texts}


# The chart's own markup, every text from the data escaped on the server (as for st.html);
# the script only marks what is picked and reports it.
_PICK_JS = """
export default function ({ data, parentElement, setStateValue }) {
  const root = parentElement.querySelector(".pickable");
  root.innerHTML = data.html;
  root.dataset.drawn = "";  // drawn: for the studio's latency benchmark
  const picked = new Set(data.picked);  // as the server has them
  const show = () => {
    root.classList.toggle("some", picked.size > 0);
    for (const mark of root.querySelectorAll("[data-pick]")) {
      mark.classList.toggle("picked", picked.has(mark.dataset.pick));
    }
  };
  show();
  root.onclick = (event) => {
    const mark = event.target.closest("[data-pick]");
    const before = JSON.stringify([...picked].sort());
    if (!mark) {
      if (!event.target.closest(".plot, .rows")) return;  // a legend or an axis title
      picked.clear();
    } else if (event.shiftKey) {
      if (!picked.delete(mark.dataset.pick)) picked.add(mark.dataset.pick);
    } else {
      const again = picked.size === 1 && picked.has(mark.dataset.pick);
      picked.clear();
      if (!again) picked.add(mark.dataset.pick);
    }
    if (JSON.stringify([...picked].sort()) === before) return;
    show();
    setStateValue("picked", [...picked].map((text) => JSON.parse(text)));
  };
}
"""
_PICK_CSS = """
.pickable { user-select: none; }  /* a shift-click picks; it selects no text */
.pickable [data-pick] { cursor: pointer; }
.pickable.some [data-pick]:not(.picked) { opacity: 0.3; }
.pickable .picked { outline: 2px solid rgba(49, 51, 63, 0.8); outline-offset: -1px; }
.pickable .picked:is(.top, .hlabel) { outline: none; }  /* a bar's total picks the bar */
"""
_pickable_chart = st.components.v2.component(
    "pickable_chart", html='<div class="pickable"></div>', css=_PICK_CSS, js=_PICK_JS
)


def _pick_attribute(fields: dict[str, Any]) -> str:
    """A mark's `data-pick` attribute: the fields a click on it picks, as JSON (a missing
    value as null, numpy numbers as plain ones, anything else as its text)."""
    plain = {name: None if _missing(value) else value.item() if hasattr(value, "item")
             else value for name, value in fields.items()}  # fmt: skip
    return f' data-pick="{html.escape(json.dumps(plain, allow_nan=False, default=str))}"'


def _missing(value: object) -> bool:
    """None, NaN, pd.NA or NaT: a value that is not there."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


# Streamlit's own chart colours, so that the charts look like the rest of the studio.
PALETTE = ("#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700",
           "#ffd16a", "#6d3fc0", "#d5dae5")  # fmt: skip
_BARS_CSS = (
    "<style>.semi-chart{font-size:0.75rem;color:rgba(49,51,63,0.8);margin-bottom:1rem}"
    ".semi-chart .legend{display:flex;flex-wrap:wrap;gap:0.75rem;margin-bottom:0.25rem}"
    ".semi-chart .swatch{display:inline-block;width:0.7rem;height:0.7rem;margin-right:0.25rem;"
    "vertical-align:-0.05rem}"
    ".semi-chart .plot{display:flex;align-items:stretch}"
    ".semi-chart .yaxis{display:flex;flex-direction:column;justify-content:space-between;"
    "text-align:right;padding-right:0.35rem;min-width:2.5rem;font-variant-numeric:tabular-nums}"
    ".semi-chart .cols{flex:1;display:flex;position:relative;border-left:1px solid #c9ccd3;"
    "border-bottom:1px solid #c9ccd3}"
    ".semi-chart .col{flex:1;position:relative;min-width:0}"
    ".semi-chart .seg{position:absolute;left:var(--gap);right:var(--gap)}"
    ".semi-chart .seg:hover,.semi-chart .hseg:hover{opacity:0.75}"
    ".semi-chart .top{position:absolute;left:0;right:0;text-align:center;"
    "font-variant-numeric:tabular-nums}"
    ".semi-chart .zero{position:absolute;left:0;right:0;border-top:1px solid #8c8f96}"
    ".semi-chart .xaxis{display:flex;margin-left:2.85rem}"
    ".semi-chart .xaxis div{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;"
    "white-space:nowrap;text-align:center;padding-top:0.2rem}"
    ".semi-chart .xaxis.ticks div{overflow:visible;text-align:left}"
    ".semi-chart .title{text-align:center;padding-top:0.1rem}"
    ".semi-chart .rows{display:grid;grid-template-columns:minmax(4rem,max-content) 1fr;"
    "gap:0.3rem 0.5rem;align-items:center}"
    ".semi-chart .track{position:relative;height:1.4rem;margin-right:4rem}"
    ".semi-chart .hseg{height:100%}"
    ".semi-chart .hlabel{padding-left:0.3rem;font-variant-numeric:tabular-nums}"
    ".semi-chart .area{flex:1;position:relative;border-left:1px solid #c9ccd3;"
    "border-bottom:1px solid #c9ccd3}"
    ".semi-chart .dot{position:absolute;border-radius:50%;transform:translate(-50%,50%)}"
    ".semi-chart .dot:hover{opacity:0.75}"
    ".semi-chart .xnum{position:relative;height:1.2rem;margin-left:2.85rem}"
    ".semi-chart .xnum span{position:absolute;transform:translateX(-50%);padding-top:0.2rem;"
    "font-variant-numeric:tabular-nums}</style>"
)


_FOLD_CSS = (
    "<style>.semi-fold{margin:-0.5rem 0 1rem 0;font-size:0.875rem}"
    ".semi-fold summary{cursor:pointer;color:rgba(49,51,63,0.7);margin-bottom:0.5rem}</style>"
)


def html_bars(
    table: pd.DataFrame, category: str, value: str, *, horizontal: bool = False,
    color: str | None = None, height: int = 280, labels: bool = False,
    tooltip: Sequence[str] = (), domain: Sequence[float] = (),
    ticks: dict[Any, str] | None = None, gap: int = 4, axis_title: str | None = None,
    series: Sequence[Any] = (), pick: bool = False,
) -> str:  # fmt: skip
    """Bars of `value` per `category` (stacked by `color`, in the table's order) as plain
    HTML. Hovering a bar shows its numbers (and the `tooltip` columns); `labels` writes
    each bar's total at its end; `domain` fixes the value axis; `ticks` names only some
    categories on the axis ({category: text}); `series` gives the colours' order (else
    the table's), so that charts side by side colour a series alike; with `pick`, a click
    on a bar picks its category (see `chart_and_table`). Every text is escaped: data stays
    text. Each bar carries its category, series and value as data attributes, for tests."""
    order = list(dict.fromkeys(table[category]))
    table = _present(table, color)
    colours = _colours(table[color] if color else [None], series)
    stacks: dict[Any, list[tuple[Any, float, dict[str, Any]]]] = {c: [] for c in order}
    for row in table.to_dict("records"):
        number = row[value]
        if _missing(number):
            continue
        stacks[row[category]].append((row[color] if color else None, float(number), row))
    ups = [sum(v for _, v, _ in parts if v > 0) for parts in stacks.values()]
    downs = [sum(v for _, v, _ in parts if v < 0) for parts in stacks.values()]
    low = min(domain[0] if domain else 0.0, *downs, 0.0)
    high = max(domain[1] if domain else 0.0, *ups, 0.0)
    span = (high - low) or 1.0

    def where(number: float) -> float:  # share of the axis from its low end, in percent
        return 100 * (number - low) / span

    def picks(name: Any) -> str:  # a bar, or its total, picks its category
        return _pick_attribute({category: name}) if pick else ""

    def bar(part: tuple[Any, float, dict[str, Any]], start: float, css: str) -> str:
        name, number, row = part
        told = [f"{category}: {row[category]}", *([f"{color}: {name}"] if color else []),
                f"{value}: {_short(number)}",
                *(f"{extra}: {_short(row[extra])}" for extra in tooltip)]  # fmt: skip
        size = abs(number) / span * 100
        origin = where(min(start, start + number))
        place = (f"left:{origin:.3f}%;width:{size:.3f}%" if horizontal
                 else f"bottom:{origin:.3f}%;height:{size:.3f}%")  # fmt: skip
        return (f'<div class="{css}" title="{html.escape(chr(10).join(told))}" '
                f'data-category="{html.escape(str(row[category]))}" '
                f'data-series="{html.escape(str(name if name is not None else ""))}" '
                f'data-value="{number!r}"' + picks(row[category])
                + f' style="{place};background:{colours[name]}"></div>')  # fmt: skip

    def stacked(parts: list, css: str) -> tuple[str, float, float]:
        up = down = 0.0
        drawn = []
        for part in parts:
            if part[1] >= 0:
                drawn.append(bar(part, up, css))
                up += part[1]
            else:
                drawn.append(bar(part, down, css))
                down += part[1]
        return "".join(drawn), up, down

    legend = _legend(colours) if color else ""
    if horizontal:
        rows = []
        for name, parts in stacks.items():
            drawn, up, down = stacked(parts, "hseg")
            total = up + down
            label = f'<span class="hlabel"{picks(name)} style="position:absolute;' \
                f'left:{where(up):.3f}%">{_short(total)}</span>' if labels else ""  # fmt: skip
            track = f'<div style="position:absolute;inset:0">{drawn}</div>{label}'
            rows.append(f'<div>{html.escape(str(name))}</div><div class="track">{track}</div>')
        body = f'<div class="rows">{"".join(rows)}</div>'
        return f'<div class="semi-chart">{legend}{body}</div>{_BARS_CSS}'
    columns = []
    for name, parts in stacks.items():
        drawn, up, down = stacked(parts, "seg")
        if labels:
            drawn += (f'<div class="top"{picks(name)} style="bottom:{where(up):.3f}%">'
                      f"{_short(up + down)}</div>")  # fmt: skip
        columns.append(f'<div class="col">{drawn}</div>')
    zero = f'<div class="zero" style="bottom:{where(0):.3f}%"></div>' if low < 0 else ""
    y_axis = f'<div class="yaxis"><div>{_short(high)}</div><div>{_short(low)}</div></div>'
    names = [html.escape(ticks.get(c, "") if ticks is not None else str(c)) for c in order]
    axis_class = "xaxis ticks" if ticks is not None else "xaxis"
    x_axis = f'<div class="{axis_class}">' + "".join(f"<div>{n}</div>" for n in names) + "</div>"
    title = f'<div class="title">{html.escape(axis_title)}</div>' if axis_title else ""
    plot = (f'<div class="plot" style="height:{height}px;--gap:{gap}px">{y_axis}'
            f'<div class="cols">{zero}{"".join(columns)}</div></div>')  # fmt: skip
    return f'<div class="semi-chart">{legend}{plot}{x_axis}{title}</div>{_BARS_CSS}'


def html_cells(
    table: pd.DataFrame, x: str, y: str, size: str, color: str, *, series: Sequence[Any] = (),
    tooltip: Sequence[str] = (), pick: Sequence[str] = (), height: int = 300,
    x_title: str | None = None, y_title: str | None = None,
) -> str:  # fmt: skip
    """Cells as circles at (`x`, `y`, with `y` from 0 to 1), each circle's area in
    proportion to its `size` (6 px across at the least) and coloured by its `color` (in
    the order of `series`, else the table's): a scatter of counted cells, as plain HTML.
    Hovering a circle shows its numbers and the `tooltip` columns; with `pick`, a click on
    it picks those fields (see `chart_and_table`). Every text is escaped: data stays text."""
    table = _present(table[table[x].notna() & table[y].notna()], color)  # placed cells only
    colours = _colours(table[color], series)
    low, high = (float(table[x].min()), float(table[x].max())) if len(table) else (0.0, 0.0)
    span = (high - low) or 1.0
    largest = (float(table[size].max()) if len(table) else 0.0) or 1.0

    def across(value: float) -> float:  # percent of the width, circles kept off the edges
        return 4 + 92 * (float(value) - low) / span

    dots = []
    for row in table.to_dict("records"):
        told = [f"{name}: {_short(row[name])}" for name in (x, y, color, size, *tooltip)]
        diameter = max(6.0, 30 * math.sqrt(float(row[size]) / largest))
        dots.append(
            f'<div class="dot" title="{html.escape(chr(10).join(told))}"'
            + (_pick_attribute({name: row[name] for name in pick}) if pick else "")
            + f' style="left:{across(row[x]):.3f}%;bottom:{100 * float(row[y]):.3f}%;'
            f"width:{diameter:.1f}px;height:{diameter:.1f}px;"
            f'background:{colours[row[color]]}"></div>'
        )  # fmt: skip
    ticks = sorted({low, high, round((low + high) / 2)})
    x_axis = '<div class="xnum">' + "".join(
        f'<span style="left:{across(t):.3f}%">{_short(t)}</span>' for t in ticks
    ) + "</div>"  # fmt: skip
    titles = [f'<div class="title">{html.escape(t)}</div>' for t in (x_title,) if t]
    legend = _legend(colours)
    if y_title:
        legend = f"<div>{html.escape(y_title)} ↑</div>{legend}"
    plot = (f'<div class="plot" style="height:{height}px"><div class="yaxis"><div>1</div>'
            f'<div>0</div></div><div class="area">{"".join(dots)}</div></div>')  # fmt: skip
    return f'<div class="semi-chart">{legend}{plot}{x_axis}{"".join(titles)}</div>{_BARS_CSS}'


def _colours(names: Sequence[Any], order: Sequence[Any]) -> dict[Any, str]:
    """A colour per series name present: by its place in `order`, the others after it as
    they come (a series absent from one chart leaves its colour unused, so that charts
    side by side colour each series alike)."""
    present = set(names)
    every = dict.fromkeys([*order, *names])  # each name once, in the colours' order
    return {name: PALETTE[place % len(PALETTE)]
            for place, name in enumerate(every) if name in present}  # fmt: skip


def _present(table: pd.DataFrame, color: str | None) -> pd.DataFrame:
    """`table` with a missing value of its `color` column as None: one series of its own
    (NaN is not equal to itself, so each would be a series apart)."""
    if not color:
        return table
    values = table[color].astype(object)
    return table.assign(**{color: values.where(values.notna(), None)})


def _legend(colours: dict[Any, str]) -> str:
    return '<div class="legend">' + "".join(
        f'<span><span class="swatch" style="background:{colour}"></span>'
        f"{html.escape('' if name is None else str(name))}</span>"
        for name, colour in colours.items()
    ) + "</div>"  # fmt: skip


def _short(number: object) -> str:
    """A number as a chart's label shows it: integers whole, others to 3 digits."""
    if isinstance(number, int | float) and not isinstance(number, bool):
        if float(number).is_integer():
            return str(int(number))
        return format(float(number), ".3g")
    return str(number)


def binned_bars(
    bins: Sequence[dict[str, Any]],
    column: str,
    key: str,
    *,
    height: int = 280,
) -> None:
    """A histogram drawn from rows the store binned ({bin, low, high, bucket, pairs}):
    one bar per bin (stacked by bucket when the rows have one), with the same rows as
    its table."""
    table = pd.DataFrame(list(bins))
    table.insert(0, column, [f"{lo:.3f}–{hi:.3f}" for lo, hi in zip(table["low"], table["high"],
                                                                     strict=True)])  # fmt: skip
    buckets = [b for b in dict.fromkeys(table["bucket"]) if b is not None]
    shown = [column, *(["bucket"] if buckets else []), "pairs"]
    # A bar per bin, side by side from low to high; the axis names every few bins' low end.
    rows = table.assign(bucket=table["bucket"].fillna(""))
    every = max(1, len(table) // 5)
    lows = zip(table[column], table["low"], strict=True)
    ticks = {name: f"{low:.2f}" for i, (name, low) in enumerate(lows) if i % every == 0}
    figure = html_bars(rows, column, "pairs", color="bucket" if buckets else None,
                       height=height, ticks=ticks, gap=1, axis_title=column)  # fmt: skip
    chart_and_table(figure, table[shown], key)


def _open(pair_id: str) -> None:
    # The Review page shows a linked pair (`review_link`) decided or not.
    st.session_state["review_pair"] = st.session_state["review_link"] = pair_id
    st.query_params["pair"] = pair_id


def pairs_to_review(pairs: pd.DataFrame, key: str) -> None:
    """The pairs behind a selection as a table, and a button that opens one in Review."""
    if pairs.empty:
        st.caption(
            "Nothing picked yet: click a chart's circles or bars, or choose from the "
            "lists above, to list their pairs."
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
