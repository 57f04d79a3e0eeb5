"""The Review page in a real browser (the parts that live in the browser): opening a pair
from another page keeps the annotator, and the filters' box stays open while used.
Fixtures and the `Tab` driver are the ones of tests/test_browser.py."""

from __future__ import annotations

import shutil

import pytest

from semi_core.store import Store
from studio.tables import FAILED

from . import test_browser as browser_suite
from .test_browser import Studio, Tab

demo_database = browser_suite.demo_database
studio = browser_suite.studio
browser = browser_suite.browser
NAME_WARNING = "Enter your annotator name"


def test_open_in_review_from_rankings_keeps_the_annotator_and_shows_the_pair(studio, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = Tab(context, f"{studio.url}/rankings")
    box = tab.page.get_by_label("Annotator", exact=True)
    box.fill("ada")
    box.press("Enter")
    tab.idle()
    tab.page.get_by_role("tab", name="Buckets and sources").click()
    bar = tab.page.locator(".st-key-rank_buckets_0 .point").first
    bar.wait_for(timeout=30_000)
    bar.scroll_into_view_if_needed()
    bar.click(force=True)  # a bucket's bar (under Plotly's drag layer): its pairs are listed
    tab.page.locator("[data-testid='stCaptionContainer']", has_text="pairs match").wait_for(
        timeout=30_000
    )
    tab.idle()
    wanted = tab.page.get_by_role("combobox", name="Pair").input_value()
    tab.page.get_by_role("button", name="Open in Review").click()
    tab.page.wait_for_function(
        "() => document.querySelector(\"[data-testid='stMain'] h1\")?.innerText.trim()"
        " === 'Review'", timeout=60_000,
    )  # fmt: skip
    tab.idle()
    tab.no_exception()
    assert tab.page.get_by_text(NAME_WARNING).count() == 0
    assert tab.pair() == wanted
    assert "annotator=ada" in tab.page.url and f"pair={wanted}" in tab.page.url
    context.close()


def test_the_filters_box_stays_open_while_used_and_shows_every_status(studio, browser):
    from semi_core.validate import VERDICT_STATUSES

    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    tab = Tab(context, f"{studio.url}/review?annotator=ada")
    tab.caption()
    page = tab.page
    box = page.locator("[data-testid='stExpander']", has_text="Filters").first
    box.locator("summary").click()
    tab.idle()
    search = page.get_by_role("textbox", name="Search text")
    search.fill("no pair has this text")
    search.press("Enter")
    page.get_by_text("Nothing to review").wait_for(timeout=30_000)
    tab.idle()
    assert search.is_visible()
    search.fill("")  # back to its default: the box stays open
    search.press("Enter")
    tab.caption()
    tab.idle()
    assert search.is_visible() and box.locator("summary").inner_text().strip().endswith("Filters")
    # Every status chosen at once: each one shown whole inside the box.
    edge = box.bounding_box()
    for status in VERDICT_STATUSES:
        box.get_by_role("button", name=status, exact=True).click()
        tab.idle()
    for status in VERDICT_STATUSES:
        pill = box.get_by_role("button", name=status, exact=True)
        assert pill.is_visible() and pill.get_attribute("aria-pressed") in ("true", None)
        place = pill.bounding_box()
        assert edge["x"] <= place["x"] and place["x"] + place["width"] <= edge["x"] + edge["width"]
    for status in VERDICT_STATUSES:  # and all cleared again, one by one
        box.get_by_role("button", name=status, exact=True).click()
        tab.idle()
    assert search.is_visible()
    tab.no_exception()
    context.close()


LONG_LINE = "    return total  # " + "a comment long enough to run past half a laptop screen " * 3


@pytest.fixture
def studio_with_a_failing_pair(demo_database, tmp_path):
    """A studio whose first pair has a long line in its rewrite and a verdict of
    generated_error (every test of the rewrite raised), and that pair's id."""
    db = tmp_path / "failing.duckdb"
    shutil.copy(demo_database, db)
    with Store(db) as store:
        pair_id = store.review_queue("ada")[0]["id"]
        pair = store.generation(pair_id)
        store.update_generation(pair_id, pair["instruction"], pair["code"] + "\n" + LONG_LINE)
        runs = [{"test_case_id": case["id"], "side": "generated", "attempt": 1,
                 "status": "error", "output": "", "error": "ValueError: no",
                 "duration_ms": 1.0} for case in store.test_cases(pair_id)]  # fmt: skip
        store.record_validation("elsewhere", pair_id, [], runs, {
            "passed": 0, "usable": len(runs), "total": len(runs),
            "status": "generated_error"})  # fmt: skip
    running = Studio(db, tmp_path)
    yield running, pair_id
    running.stop()


def test_on_a_laptop_screen_the_verdict_is_whole_and_the_code_above_the_fold(
    studio_with_a_failing_pair, browser
):
    studio, pair_id = studio_with_a_failing_pair
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    tab = Tab(context, f"{studio.url}/review?annotator=ada&pair={pair_id}")
    assert tab.pair() == pair_id
    page = tab.page
    page.locator("[data-testid='stCode']").first.wait_for(timeout=30_000)
    tab.idle()
    tab.no_exception()
    # The verdict, whole: its value is not cut to "generated_e…".
    verdict = page.locator("[data-testid='stMetric']", has_text="Verdict")
    value = verdict.locator("[data-testid='stMetricValue']")
    assert value.inner_text().strip() == "generated_error"
    assert value.evaluate("e => [...e.querySelectorAll('*')].every("
                          "c => c.scrollWidth <= c.clientWidth + 1)")  # fmt: skip
    # Both blocks of code start above the fold, their lines numbered, no line cut off.
    blocks = page.locator("[data-testid='stCode']")
    assert blocks.count() == 2
    for i in range(2):
        block = blocks.nth(i)
        assert block.bounding_box()["y"] < 768
        pre = block.locator("pre")
        assert pre.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        assert block.locator(".linenumber").count() >= 3
    assert " ".join(LONG_LINE.split()) in " ".join(blocks.nth(1).inner_text().split())
    # and the tests start above the fold too
    tests = page.locator("[data-testid='stHeading']", has_text="Tests").first
    assert tests.bounding_box()["y"] + 30 < 768
    # No developer options in the header, and the failing tests are marked in the grid.
    assert page.get_by_role("button", name="Deploy").count() == 0
    failed = page.locator("[data-testid='stDataFrame'] td", has_text=FAILED)
    failed.first.wait_for(state="attached", timeout=30_000)
    tab.screenshot("review_laptop_failing_pair")
    # The edit box is a monospace area: code is edited as code.
    page.locator("[data-testid='stExpander']", has_text="Edit instruction and code").locator(
        "summary").click()  # fmt: skip
    box = page.get_by_role("textbox", name="Code")
    box.wait_for(timeout=30_000)
    assert "monospace" in box.evaluate("e => getComputedStyle(e).fontFamily")
    assert "monospace" not in page.get_by_role("textbox", name="Note (optional)").evaluate(
        "e => getComputedStyle(e).fontFamily")  # fmt: skip
    context.close()
