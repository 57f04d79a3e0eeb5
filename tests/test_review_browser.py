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
    chart = tab.page.locator(".pickable:has([data-pick*='\"bucket\"'])")
    chart.locator(".seg").first.click()  # a bucket's bar: its pairs are listed
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
