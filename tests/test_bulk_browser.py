"""Review's Bulk decision panel in a real browser: preview, confirm and undo clicked
through, the queue emptied by the bulk and back after the undo, and every decision in the
DuckDB file once the server has let it go. Fixtures and the `Tab` driver are the ones of
tests/test_browser.py."""

from __future__ import annotations

import re

from semi_core.store import Store

from . import test_browser as browser_suite
from .test_browser import Tab

demo_database = browser_suite.demo_database
studio = browser_suite.studio
browser = browser_suite.browser


def test_bulk_accept_preview_confirm_and_undo(studio, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = Tab(context, f"{studio.url}/review?annotator=ada")
    page = tab.page
    total = int(re.search(r"of (\d+) in your queue", tab.caption())[1])
    assert total > 1
    panel = page.locator("[data-testid='stExpander']", has_text="Filters").first
    panel.locator("summary").click()
    tab.idle()
    panel.get_by_role("button", name="Preview").click()
    counted = panel.get_by_text(f"{total} pairs would be accepted by you (no filter)")
    counted.wait_for(timeout=30_000)
    tab.idle()
    sample = panel.locator("[data-testid='stDataFrame']").first
    sample.wait_for(timeout=30_000)
    assert sample.is_visible()
    tab.screenshot("review_bulk_preview")
    panel.get_by_role("button", name=f"Confirm: accept {total} pairs").click()
    page.get_by_text("Nothing to review with these filters").wait_for(timeout=60_000)
    tab.idle()
    assert panel.get_by_text(f"{total} pairs accepted").is_visible()
    panel.get_by_role("button", name="Undo this bulk action").click()
    panel.get_by_text(f"{total} decisions taken back").wait_for(timeout=60_000)
    caption = tab.caption()
    assert f"of {total} in your queue" in caption
    tab.no_exception()
    context.close()
    studio.stop()
    with Store(studio.db) as store:
        events = store.review_events()
        assert [e["action"] for e in events] == ["accept"] * total + ["undo"] * total
        assert {e["bulk_id"] for e in events} == {1}
        assert store.decision_counts() == {}
        (bulk,) = store.bulk_actions("ada")
        assert bulk["count"] == total and bulk["undone_at"] is not None
