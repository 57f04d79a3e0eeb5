"""Reject reasons in a real browser: the keys 1-9 toggle the reasons' tags on Review (the
buttons that bind them are never shown, and take no room in the row of decisions), and
the reject carries the reasons picked.
Fixtures and the `Tab` driver are the ones of tests/test_browser.py."""

from __future__ import annotations

from semi_core.store import Store

from . import test_browser as browser_suite
from .test_browser import Tab

demo_database = browser_suite.demo_database
studio = browser_suite.studio
browser = browser_suite.browser
TAGS = ".st-key-review_reasons"  # the picked reasons' box on Review


def test_digit_keys_toggle_reasons_and_the_reject_keeps_them(studio, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = Tab(context, f"{studio.url}/review")
    tab.sign_in_as("ada")
    page = tab.page
    assert not page.locator(".st-key-reason_keys").is_visible()  # the key buttons: hidden
    note = page.get_by_role("textbox", name="Note (optional)").bounding_box()
    undo = page.get_by_role("button", name="Undo").bounding_box()
    assert abs(note["y"] - undo["y"]) < undo["height"]  # one row: buttons, reasons, note
    picked = page.locator(f"{TAGS} [data-tag]")
    # trivial on, unsafe on, trivial off, duplicate on: each key's tags shown before the next
    for key, count in (("4", 1), ("6", 2), ("4", 1), ("5", 2)):
        shown = tab.press(key)
        page.wait_for_function(
            f"n => document.querySelectorAll(\"{TAGS} [data-tag]\").length === n",
            arg=count, timeout=30_000,
        )  # fmt: skip
        tab.idle()
    assert [" ".join(t.inner_text().split()) for t in picked.all()] == [
        "6 · unsafe", "5 · duplicate"]  # fmt: skip
    assert tab.press("x") == shown
    tab.wait_for_pair_after(shown)
    tab.no_exception()
    context.close()
    studio.stop()
    with Store(studio.db) as store:
        last = store.review_events()[-1]
    assert (last["action"], last["generation_id"], last["reasons"]) == (
        "reject", shown, ["duplicate", "unsafe"])  # fmt: skip
