"""Sign-in in a real browser: a studio server whose folder has its own
`.streamlit/secrets.toml` with an annotator and an admin. A visitor who has not signed in
finds no action on any page's URL; the annotator reviews but cannot change the settings;
the admin does both. DuckDB is read once the server has let the file go."""

from __future__ import annotations

import shutil

import pytest

from semi_core.auth import hash_password
from semi_core.store import Store

from . import test_browser as shared

Studio, Tab = shared.Studio, shared.Tab
browser, demo_database = shared.browser, shared.demo_database  # the same fixtures

PATHS = ("", "run", "review", "walkthrough", "rankings", "failures", "agreement", "export",
         "settings")  # fmt: skip
ADMIN_BUTTONS = ("Start run", "Save settings", "Preview export")

# The studio's menu: the page links in its sidebar.
NAV_LINKS = "[data-testid='stSidebar'] [data-testid='stPageLink-NavLink']"


SECRETS = (
    "[annotators]\n"
    f'ada = "{hash_password("ada password")}"\n'
    f'lin = "{hash_password("lin password")}"\n'
    "\n[roles]\n"
    'lin = "admin"\n'
)


def studio_with_secrets(demo_database, folder, secrets_toml: str) -> Studio:
    """A studio started in a folder of its own, with its own `.streamlit/secrets.toml`."""
    (folder / ".streamlit").mkdir(parents=True)
    (folder / ".streamlit" / "secrets.toml").write_text(secrets_toml, encoding="utf-8")
    db = folder / "studio.duckdb"
    shutil.copy(demo_database, db)
    return Studio(db, folder)


@pytest.fixture
def signin_studio(demo_database, tmp_path):
    """A studio whose secrets list ada (an annotator) and lin (an admin)."""
    running = studio_with_secrets(demo_database, tmp_path / "studio", SECRETS)
    yield running
    running.stop()


def heading(tab: Tab, title: str) -> None:
    """Wait for the page titled `title` to be drawn in full, with no exception."""
    tab.page.locator("[data-testid='stMain'] h1", has_text=title).first.wait_for(timeout=60_000)
    tab.idle()
    tab.no_exception()


def sign_in(tab: Tab, name: str, password: str, lands_on: str) -> None:
    heading(tab, "Sign in")
    tab.page.get_by_label("Name", exact=True).fill(name)
    tab.page.get_by_label("Password", exact=True).fill(password)
    tab.page.get_by_role("button", name="Sign in").click()
    heading(tab, lands_on)


def go_to(tab: Tab, title: str) -> None:
    """Through the navigation, as a person does (a new URL would be a new session)."""
    tab.page.locator(NAV_LINKS).filter(has_text=title).first.click()
    heading(tab, title)


def button_count(tab: Tab, label: str) -> int:
    return tab.page.get_by_role("button", name=label).count()


def test_a_visitor_who_has_not_signed_in_finds_no_action_on_any_page(signin_studio, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    # A deep link first, on a fresh server (Streamlit's pages/ folder handling).
    tab = Tab(context, f"{signin_studio.url}/export")
    for path in ("export", *PATHS):
        tab.page.goto(f"{signin_studio.url}/{path}")
        tab.idle()
        for label in ADMIN_BUTTONS:
            assert button_count(tab, label) == 0, (path, label)
        heading(tab, "Sign in")
        assert tab.page.locator(NAV_LINKS).count() == 0, path
        assert tab.page.get_by_text("Database:").count() == 0, path
        assert button_count(tab, "Sign in") == 1
    tab.screenshot("sign_in")
    context.close()


def test_an_annotator_reviews_but_cannot_change_settings_and_an_admin_does_both(
    signin_studio, browser
):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    ada = Tab(context, f"{signin_studio.url}/review")
    sign_in(ada, "ada", "ada password", lands_on="Review")
    accepted_by_ada = ada.press("a")
    ada.wait_for_pair_after(accepted_by_ada)
    go_to(ada, "Prompt and settings")
    assert button_count(ada, "Save settings") == 0
    assert ada.page.get_by_text("only an admin may", exact=False).count() == 1
    context.close()

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    lin = Tab(context, f"{signin_studio.url}/settings")
    sign_in(lin, "lin", "lin password", lands_on="Prompt and settings")
    minimum = lin.page.get_by_label("Minimum number of usable tests")
    minimum.fill("6")
    minimum.press("Tab")
    lin.page.get_by_role("button", name="Save settings").click()
    lin.page.get_by_text("Settings saved.").wait_for(timeout=60_000)
    go_to(lin, "Review")
    accepted_by_lin = lin.press("a")
    lin.wait_for_pair_after(accepted_by_lin)
    context.close()

    assert signin_studio.events() == [("ada", "accept", accepted_by_ada),
                                      ("lin", "accept", accepted_by_lin)]  # fmt: skip
    with Store(signin_studio.db) as store:
        assert store.settings()["min_usable_tests"] == 6


def test_a_secrets_file_that_does_not_parse_opens_no_page(demo_database, tmp_path, browser):
    broken = SECRETS.replace('lin = "admin"', "lin = admin")  # not TOML: a bare word
    studio = studio_with_secrets(demo_database, tmp_path / "broken", broken)
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        for path in ("settings", ""):
            tab.goto(f"{studio.url}/{path}")
            tab.get_by_text("Nobody can sign in until the secrets are fixed").wait_for(
                timeout=60_000
            )
            tab.wait_for_selector(shared.IDLE, timeout=60_000)
            assert tab.get_by_role("button").filter(has_text="Save settings").count() == 0
            assert tab.locator("[data-testid='stMain'] h1").count() == 0
            assert tab.locator(NAV_LINKS).count() == 0
        context.close()
    finally:
        studio.stop()
