"""Simulated pairs in a real studio and Chromium: Review keeps a pair's injected mistake
hidden until the annotator has decided, then reveals it; the scoreboard's list of
slipped pairs opens one in Review. Fixtures and the `Tab` driver are those of
tests/test_browser.py, the pairs those of tests/test_simulated_pages.py (made by the real
`semi` command)."""

from __future__ import annotations

import shutil

import pytest

from semi_core.scoreboard import scoreboard
from semi_core.store import Store

from . import test_browser as browser_suite
from . import test_simulated_pages as pages_suite
from .test_browser import Studio, Tab

browser = browser_suite.browser
simulated_template = pages_suite.simulated_template  # the pairs, made once
VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture
def studio(simulated_template, tmp_path):
    db = tmp_path / "studio.duckdb"
    shutil.copy(simulated_template, db)
    with Store(db) as store:  # read before the studio holds the file
        outcomes = store.simulated_outcomes()
        slipped = scoreboard(store).slipped_ids
    running = Studio(db, tmp_path)
    running.caught = [(r["id"], r["mistake"]) for r in outcomes if r["status"] == "mismatch"]
    running.slipped = slipped
    yield running
    running.stop()


def main_text(tab: Tab) -> str:
    return tab.page.locator("[data-testid='stMain']").inner_text()


def test_review_reveals_the_injected_mistake_only_after_the_decision(studio, browser):
    pair_id, mistake = studio.caught[0]
    tab = Tab(browser.new_context(viewport=VIEWPORT),
              f"{studio.url}/review?annotator=ada&pair={pair_id}")  # fmt: skip
    assert tab.pair() == pair_id
    before = main_text(tab)
    assert "simulated pair (practice)" in before
    assert "Reveal the injected mistake" not in before and mistake["description"] not in before

    tab.page.get_by_role("button", name="Reject").first.click()
    tab.wait_for_pair_after(pair_id)
    tab.page.goto(f"{studio.url}/review?annotator=ada&pair={pair_id}")
    tab.idle()
    assert tab.pair() == pair_id
    tab.page.get_by_text("Reveal the injected mistake").click()
    tab.page.get_by_text(mistake["description"]).wait_for(timeout=30_000)
    tab.idle()
    tab.no_exception()
    revealed = main_text(tab)
    assert mistake["kind"] in revealed and "caught by validation" in revealed
    tab.screenshot("review_revealed_mistake")


def test_a_slipped_pair_opens_in_review_from_the_scoreboard(studio, browser):
    tab = Tab(browser.new_context(viewport=VIEWPORT), f"{studio.url}/?annotator=ada")
    tab.page.get_by_text("Scoreboard: the simulated mistakes").wait_for(timeout=30_000)
    tab.no_exception()
    tab.page.locator(".st-key-overview_slipped_open button").click()
    tab.page.wait_for_url("**/review**", timeout=60_000)
    assert tab.pair() == studio.slipped[0]
    assert "simulated pair (practice)" in main_text(tab)
