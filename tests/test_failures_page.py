"""Mismatches shown: four rewrites of one original, each wrong in its own way, validated
by real sandbox workers, are classified by signature from the store; the Review page
shows a mismatching pair's summary line and its failing test side by side with the
first difference marked; the Failures page groups the pairs by signature, each one click
from Review."""

from __future__ import annotations

import pytest

from semi_core.mismatch import group_by_signature, mismatches
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.store import Store

from . import test_add_test
from .test_add_test import open_pair
from .test_app import server_store, shown_pair, start_app, table_with
from .test_app_part2 import view

ORIGINAL = """
def tally(value):
    if value == 0:
        raise ZeroDivisionError("no items")
    return [{"name": "n", "share": 10 // value}]
"""
# Each rewrite differs from the original in one way; the inputs are 0, 1, 2 and 5.
REWRITES = {
    "wrong-value": ORIGINAL.replace("10 // value}", "10 // value + (value == 5)}"),
    "wrong-type": ORIGINAL.replace("10 // value}", "str(10 // value)}"),
    "unexpected": ORIGINAL.replace("    return [", "    if value == 5:\n"
                                   "        raise ValueError('five')\n    return ["),
    "missing": ORIGINAL.replace('raise ZeroDivisionError("no items")', "return []"),
}  # fmt: skip
SIGNATURE_OF = {"wrong-value": "wrong value", "wrong-type": "wrong type",
                "unexpected": "unexpected exception", "missing": "missing exception"}  # fmt: skip
SETTINGS = PipelineSettings(test_strength=False, timeout_s=1.0)
pairs = test_add_test.pairs  # a copy of this module's `template` for each test


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("mismatches") / "pairs.duckdb"
    with Store(path) as store:
        store.add_snippets([{"id": "tally", "source": "src", "path": "tally.py", "line": 1,
                             "name": "tally", "kind": "function", "entry_point": "tally",
                             "language": "python", "code": ORIGINAL, "flags": [],
                             "rejection": None, "rejection_detail": None,
                             "metadata": None}])  # fmt: skip
        for pair_id, code in REWRITES.items():
            store.add_generation({"id": pair_id, "snippet_id": "tally", "backend": "offline",
                                  "model": "m", "prompt_hash": pair_id, "status": "ok",
                                  "instruction": "Count the share.", "code": code,
                                  "entry_point": "tally"},
                                 [(text, "typed") for text in ("0", "1", "2", "5")])  # fmt: skip
        run_pipeline(store, SETTINGS, stages=("validate",), generation_ids=list(REWRITES))
        statuses = {pair_id: store.latest_verdict(pair_id)["status"] for pair_id in REWRITES}
        assert statuses == {"wrong-value": "mismatch", "wrong-type": "mismatch",
                            "unexpected": "generated_error", "missing": "mismatch"}  # fmt: skip
    return path


def test_mismatches_are_classified_by_signature_from_the_store(pairs):
    with Store(pairs) as store:
        found = {m["pair"]: m for m in mismatches(store)}
    assert {pair: m["signature"] for pair, m in found.items()} == SIGNATURE_OF
    assert found["wrong-value"]["call"] == "tally(5)"
    assert found["wrong-value"]["difference"] == "at `[0]['share']`: expected `2`, got `3`"
    assert found["wrong-type"]["difference"] == "at `[0]['share']`: expected `10`, got `'10'`"
    assert found["missing"]["difference"] == "expected ZeroDivisionError, got `[]`"
    assert found["unexpected"]["difference"].startswith("expected a value `[{'name': 'n'")
    groups = group_by_signature(list(found.values()))
    assert [(g["signature"], g["count"]) for g in groups] == [
        ("wrong value", 1), ("wrong type", 1), ("unexpected exception", 1),
        ("missing exception", 1)]  # fmt: skip


def html_bodies(app) -> str:
    return "\n".join(element.proto.body for element in app.get("html"))


def test_review_shows_the_summary_line_and_the_marked_difference(monkeypatch, pairs):
    app = open_pair(monkeypatch, pairs, "wrong-value")
    assert not app.exception
    bodies = html_bodies(app)
    summary = (
        "1 of 4 tests differ; first at <code>tally(5)</code>: at <code>[0][&#x27;share&#x27;]"
        "</code>: expected <code>2</code>, got <code>3</code>"
    )
    assert summary in bodies
    # side by side: the original's and the rewrite's output, the first difference marked
    detail = bodies.split('<div class="semi-mismatch">')[1]
    expected_side, actual_side = detail.split("<pre>")[1:3]
    assert expected_side.startswith(
        "[{&#x27;name&#x27;: &#x27;n&#x27;, &#x27;share&#x27;: <mark>2</mark>}]"
    )
    assert actual_side.startswith(
        "[{&#x27;name&#x27;: &#x27;n&#x27;, &#x27;share&#x27;: <mark>3</mark>}]"
    )
    # an exception against a value is said so
    app = open_pair(monkeypatch, pairs, "missing")
    assert "expected ZeroDivisionError, got <code>[]</code>" in html_bodies(app)
    assert "missing exception" in html_bodies(app)


def test_failures_groups_mismatches_by_signature_with_a_link_to_review(monkeypatch, pairs):
    app = start_app(monkeypatch, pairs)
    app.switch_page("pages/failures.py").run()
    app.sidebar.text_input(key="annotator").input("ada").run()
    assert not app.exception
    view(app, "Mismatches by signature", "fail_view")
    groups = table_with(app, "signature", "count")
    counted = dict(zip(groups["signature"], groups["count"], strict=True))
    assert counted == {signature: 1 for signature in SIGNATURE_OF.values()}
    app.selectbox(key="mismatch_signature").select("missing exception").run()
    listed = table_with(app, "pair", "difference")
    assert list(listed["pair"]) == ["missing"]
    assert app.selectbox(key="mismatch_pairs_pair").value == "missing"
    app.button(key="mismatch_pairs_open").click().run()
    assert not app.exception
    assert app.title[0].value == "Review" and shown_pair(app) == "missing"
    assert server_store(pairs).pair("missing")["verdict"]["status"] == "mismatch"
