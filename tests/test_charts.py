"""The HTML that studio/charts.py draws: tables show each value as its column's type,
styled rows and escaped text; bars and circles carry what a click on them picks."""

from __future__ import annotations

import html
import json
import re

import pandas as pd

from studio.charts import PALETTE, html_bars, html_cells, table_html


def cells(table: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1])
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)] for row in rows]


def picks(figure: str) -> list[dict]:
    return [json.loads(html.unescape(p)) for p in re.findall(r'data-pick="(.*?)"', figure)]


def test_a_table_shows_each_value_as_its_column_has_it():
    # Numbers only: row by row, a count must not turn into a float (1.23457e+06).
    table = pd.DataFrame({"pairs": [1234567, 3], "mean": [0.5, 1 / 3]})
    assert cells(table_html(table)) == [["1234567", "0.5"], ["3", "0.333333"]]
    mixed = pd.DataFrame({"name": ["<b>x</b>", None], "failing": [True, False]})
    drawn = table_html(mixed, row_style=lambda row: ["color: red" if row["failing"] else ""] * 2)
    assert cells(drawn) == [["<b>x</b>", "True"], ["", "False"]]  # text stays text
    assert "<b>" not in drawn and drawn.count('style="color: red"') == 2


def test_bars_carry_their_category_as_what_a_click_picks():
    table = pd.DataFrame({"source": ["a", "a", "b"], "bucket": ["hard", "easy", "easy"],
                          "pairs": pd.array([2, 3, 4], dtype="int64")})  # fmt: skip
    figure = html_bars(table, "source", "pairs", color="bucket", series=["easy", "hard"],
                       pick=True)  # fmt: skip
    assert picks(figure) == [{"source": "a"}, {"source": "a"}, {"source": "b"}]
    assert picks(html_bars(table, "source", "pairs")) == []  # nothing to pick unless asked
    # colours by the order given, whatever the table's order; the legend in that order
    legend = re.findall(r'background:(#\w+)"></span>(\w+)</span>', figure)
    assert legend == [(PALETTE[0], "easy"), (PALETTE[1], "hard")]


def test_cells_are_circles_sized_by_their_count_and_picked_by_their_fields():
    table = pd.DataFrame({"tests": [3, 5, None], "difficulty": [0.25, 0.75, 0.5],
                          "pairs": [1, 4, 9], "bucket": ["easy", "hard", "easy"],
                          "bin": [5, 15, 10]})  # fmt: skip
    figure = html_cells(table, "tests", "difficulty", "pairs", "bucket", pick=["tests", "bin"])
    # the cell with no x value has no place: left out
    assert picks(figure) == [{"tests": 3.0, "bin": 5}, {"tests": 5.0, "bin": 15}]
    sizes = [float(w) for w in re.findall(r"width:([\d.]+)px", figure)]
    assert sizes == [15.0, 30.0]  # area in proportion to the count: half the width for 1/4
    places = re.findall(r"left:([\d.]+)%;bottom:([\d.]+)%", figure)
    assert places == [("4.000", "25.000"), ("96.000", "75.000")]


def test_missing_values_pick_null_and_colour_one_series():
    table = pd.DataFrame({"source": ["a", "b", "c"], "bucket": ["easy", None, float("nan")],
                          "pairs": [1, 2, 3]})  # fmt: skip
    figure = html_bars(table, "source", "pairs", color="bucket", labels=True, pick=True)
    # a missing bucket is one series (drawn, with one colour), not a KeyError per NaN
    legend = re.findall(r'background:(#\w+)"></span>(\w*)</span>', figure)
    assert [name for _, name in legend] == ["easy", ""]
    # a bar's total label picks what its bar picks: each category twice
    assert picks(figure) == [{"source": s} for s in "abc" for _ in range(2)]
    missing = pd.DataFrame({"tests": [1.0], "difficulty": [0.5], "pairs": [1],
                            "bucket": ["easy"], "bin": [pd.NA]})  # fmt: skip
    figure = html_cells(missing, "tests", "difficulty", "pairs", "bucket", pick=["tests", "bin"])
    assert picks(figure) == [{"tests": 1.0, "bin": None}]  # JSON, not NaN
