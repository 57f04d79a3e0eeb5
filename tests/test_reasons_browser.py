"""Reject reasons in a real browser: the keys 1-9 toggle the reasons' tags on Review (the
buttons that bind them are never shown), and the reject carries the reasons picked.
Fixtures and the `Tab` driver are the ones of tests/test_browser.py."""

from __future__ import annotations

from semi_core.store import Store

from . import test_browser as browser_suite
from .test_browser import Tab

demo_database = browser_suite.demo_database
studio = browser_suite.studio
browser = browser_suite.browser


def test_digit_keys_toggle_reasons_and_the_reject_keeps_them(studio, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = Tab(context, f"{studio.url}/review")
    tab.sign_in_as("ada")
    page = tab.page
    assert not page.locator(".st-key-reason_keys").is_visible()  # the key buttons: hidden
    tags = page.get_by_role("toolbar", name="Reject reasons")
    pressed = tags.locator("button[aria-pressed='true']")
    # trivial on, unsafe on, trivial off, duplicate on: each key's tags shown before the next
    for key, count in (("4", 1), ("6", 2), ("4", 1), ("5", 2)):
        shown = tab.press(key)
        page.wait_for_function(
            "n => document.querySelectorAll(\"[aria-label='Reject reasons'] "
            "button[aria-pressed='true']\").length === n", arg=count, timeout=30_000,
        )  # fmt: skip
        tab.idle()
    assert sorted(b.inner_text() for b in pressed.all()) == ["5 · duplicate", "6 · unsafe"]
    assert tab.press("x") == shown
    tab.wait_for_pair_after(shown)
    tab.no_exception()
    context.close()
    studio.stop()
    with Store(studio.db) as store:
        last = store.review_events()[-1]
    assert (last["action"], last["generation_id"], last["reasons"]) == (
        "reject", shown, ["duplicate", "unsafe"])  # fmt: skip
