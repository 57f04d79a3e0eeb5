"""The Review page in a real browser (the parts that live in the browser): opening a pair
from another page keeps the annotator, and the filters' box stays open while used.
Fixtures and the `Tab` driver are the ones of tests/test_browser.py."""

from __future__ import annotations

from . import test_browser as browser_suite
from .test_browser import Tab

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
    bar = tab.page.locator(".st-key-rank_buckets_0 .point").first
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
