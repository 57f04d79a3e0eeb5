"""What studio/tables.py draws, in Streamlit's AppTest: tables as grids whose columns keep
their type and format, a test table whose failing rows are marked in words and tinted,
figures shown whole, code as `st.code` (numbered, wrapped, verbatim); the glossary names
every origin; the header offers no developer options."""

from __future__ import annotations

import json
import re
import textwrap
import tomllib

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from semi_core.generate.base import ORIGINS
from semi_core.rank import RankSettings
from studio.glossary import HELP
from studio.glossary import ORIGINS as EXPLAINED
from studio.tables import FAILED, NOT_RUN, PASSED

from .conftest import ROOT, code_blocks


def drawn(body: str) -> AppTest:
    """A one-page app running `body` (with pandas as pd and studio.tables imported)."""
    script = "import pandas as pd\nimport streamlit as st\nfrom studio import tables\n"
    app = AppTest.from_string(script + textwrap.dedent(body), default_timeout=30).run()
    assert not app.exception, app.exception
    return app


def column_types(app: AppTest, index: int = 0) -> dict[str, dict]:
    """Each column's configuration as sent to the browser (its type and format)."""
    columns = json.loads(app.dataframe[index].proto.columns)
    return {name: {"type": c.get("type_config", {}).get("type"),
                   "format": c.get("type_config", {}).get("format")}
            for name, c in columns.items()}  # fmt: skip


def test_a_table_shows_each_value_as_its_column_has_it():
    app = drawn("""
        frame = pd.DataFrame({"pairs": [1234567, 3], "mean": [0.5, 1 / 3],
                              "name": ["<b>x</b>", None], "failing": [True, False],
                              "started": pd.to_datetime(["2026-01-02 03:04:05", None])})
        tables.show_table(frame, "t")
    """)
    (grid,) = app.dataframe
    # numbers stay numbers (a count never a float), text stays text: the grid draws no markup
    assert grid.value["pairs"].tolist() == [1234567, 3]
    assert grid.value["name"][0] == "<b>x</b>" and pd.isna(grid.value["name"][1])
    types = column_types(app)
    assert types["pairs"] == {"type": "number", "format": "%d"}
    assert types["mean"] == {"type": "number", "format": "%.3f"}
    assert types["failing"]["type"] == "checkbox"  # a box, never the word False
    assert types["started"]["type"] == "datetime"  # a time, never a count of milliseconds


def test_the_tests_table_marks_a_failing_test_in_words_and_colour():
    app = drawn("""
        rows = [{"#": i, "input": str(i), "origin": "typed", "expected": "1", "actual": a,
                 "expected args after": None, "actual args after": None, "status": s,
                 "error": None, "ms": 1.5, "mutants killed": None, "failing": f}
                for i, (a, s, f) in enumerate([("1", "ok", False), ("2", "wrong", True),
                                               (None, "not_run", None)])]
        tables.tests_table(rows, "tests")
    """)
    (grid,) = app.dataframe
    shown = grid.value
    assert list(shown.columns[:2]) == ["result", "#"] and "failing" not in shown.columns
    assert list(shown["result"]) == [PASSED, FAILED, NOT_RUN]
    # columns no row fills are left out
    assert not {"expected args after", "actual args after", "mutants killed"} & set(shown)
    # the failing row, and only it, is tinted red (beside its word)
    styles = grid.proto.arrow_data.styler.styles
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", styles)
    tinted = {int(row) for selectors, style in rules if "rgba(255, 75, 75" in style
              for row in re.findall(r"_row(\d+)_", selectors)}  # fmt: skip
    assert tinted == {1}
    assert (
        "origin" in column_types(app)
        and "Where a test input came from" in (json.loads(grid.proto.columns)["origin"]["help"])
    )


def test_a_figure_is_shown_whole_with_its_help():
    app = drawn("""
        tables.metric_row([("Verdict", "generated_error"), ("Tests passed", "3/5")],
                          helps={"Verdict": "what validation concluded"})
    """)
    assert {m.label: m.value for m in app.metric} == {
        "Verdict": "generated_error", "Tests passed": "3/5"}  # fmt: skip
    assert app.metric[0].proto.help == "what validation concluded"
    # each as wide as its value: never cut to "generated_e…"
    (row,) = [b for b in app.main.children.values() if b.type == "flex_container"]
    for metric in row.children.values():
        assert metric.type == "metric"


@settings(max_examples=20, deadline=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=60).map(str.strip))
def test_code_is_shown_verbatim_numbered_and_wrapped(text: str) -> None:
    hostile = f"<script>alert(1)</script> **bold** {text}"
    app = drawn(f"tables.code({hostile!r}, 'python')\ntables.code('-a\\n+b', 'diff')")
    blocks = code_blocks(app)
    # as typed, markup and all (st.code drops one line break at either end)
    assert blocks == [(hostile, "python"), ("-a\n+b", "diff")]
    first = app.code[0].proto
    assert first.show_line_numbers and first.wrap_lines  # a test's error names a line


def test_every_origin_and_term_has_its_help():
    assert set(EXPLAINED) == set(ORIGINS)
    for term in ("oracle", "test strength", "difficulty", "verdict"):
        assert 20 < len(HELP[term]) < 400
    # how difficulty is scored, as semi_core/rank.py scores it: every weight, every value
    # at which a signal's part is one half, the solve rate's weight
    rank = RankSettings()
    said = HELP["difficulty"]
    for _signal, weight, half in rank.weights:
        assert f"({weight:.0%})" in said and f"{half:g} " in said
    assert f"{rank.solve_rate_weight:.0%}" in said


def test_the_header_shows_no_deploy_button():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] in ("viewer", "minimal")
