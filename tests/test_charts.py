"""The HTML tables that studio/charts.py draws: each value as its column's type, styled
rows and escaped text. (The charts are Plotly figures: tests/test_plots.py.)"""

from __future__ import annotations

import html
import re

import pandas as pd

from studio.charts import table_html


def cells(table: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1])
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)] for row in rows]


def test_a_table_shows_each_value_as_its_column_has_it():
    # Numbers only: row by row, a count must not turn into a float (1.23457e+06).
    table = pd.DataFrame({"pairs": [1234567, 3], "mean": [0.5, 1 / 3]})
    assert cells(table_html(table)) == [["1234567", "0.5"], ["3", "0.333333"]]
    mixed = pd.DataFrame({"name": ["<b>x</b>", None], "failing": [True, False]})
    drawn = table_html(mixed, row_style=lambda row: ["color: red" if row["failing"] else ""] * 2)
    assert cells(drawn) == [["<b>x</b>", "True"], ["", "False"]]  # text stays text
    assert "<b>" not in drawn and drawn.count('style="color: red"') == 2
