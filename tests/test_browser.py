"""The studio in a real browser: a real `streamlit run app.py` server on a demo database
and headless Chromium (Debian's package) driven by Playwright. Every page is visited and
screenshotted (under screenshots/, git-ignored); pairs are reviewed with the keyboard, the
page is reloaded and must resume at the same pair; two reviewers at once lose nothing.
DuckDB is read once the server has let the file go: every decision must be there."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from semi_core.insights import bucket_counts
from semi_core.store import Store

from .conftest import ROOT, run_semi

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

# The studio's menu: the page links in its sidebar.
NAV_LINKS = "[data-testid='stSidebar'] [data-testid='stPageLink-NavLink']"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory) -> Path:
    """Demo snippets and eight validated pairs, made once with the real `semi` command."""
    db = tmp_path_factory.mktemp("template") / "demo.duckdb"
    assert run_semi("demo", db=db).returncode == 0
    prepared = run_semi("run", "--limit", "8", "--no-test-strength", "--inputs-per-pair", "5",
                        db=db)  # fmt: skip
    assert prepared.returncode == 0, prepared.stderr
    return db


class Studio:
    """A studio server on its own copy of the demo database."""

    def __init__(self, db: Path, folder: Path):
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SEMI_DB": str(db), "SEMI_LOAD_DEMO": "0"}
        self.server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
             "--server.port", str(self.port), "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        self.server.kill()
        pytest.fail("the studio did not start: " + self.server.stdout.read().decode()[-2000:])

    def stop(self) -> None:
        """Stop the server: it owns the database file until then."""
        if self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=30)

    def events(self) -> list[tuple[str, str, str]]:
        self.stop()
        with Store(self.db) as store:
            return [(e["annotator"], e["action"], e["generation_id"])
                    for e in store.review_events()]  # fmt: skip


@pytest.fixture
def studio(demo_database, tmp_path):
    db = tmp_path / "studio.duckdb"
    shutil.copy(demo_database, db)
    running = Studio(db, tmp_path)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Tab:
    """One browser tab on the studio, counting the messages it sends to the server."""

    def __init__(self, context, url: str):
        self.page = context.new_page()
        self.sent = 0
        self.page.on("websocket", self._watch)
        self.page.goto(url)
        self.idle()

    def _watch(self, socket_) -> None:
        socket_.on("framesent", self._count)

    def _count(self, _frame) -> None:
        self.sent += 1

    def idle(self) -> None:
        """The page has a title and Streamlit has finished running the script."""
        self.page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)
        self.page.wait_for_selector(IDLE, timeout=60_000)

    def no_exception(self) -> None:
        exceptions = self.page.locator("[data-testid='stException']")
        assert exceptions.count() == 0, exceptions.first.inner_text()

    def caption(self) -> str:
        caption = self.page.locator("[data-testid='stCaptionContainer']", has_text="in your queue")
        caption.wait_for(timeout=60_000)
        return caption.inner_text()

    def pair(self) -> str:
        return self.caption().split("id ")[1].split(" ")[0]

    def sign_in_as(self, name: str) -> None:
        box = self.page.get_by_label("Annotator", exact=True)
        box.fill(name)
        box.press("Enter")
        self.caption()
        self.idle()

    def press(self, key: str) -> str:
        """Press a shortcut with the focus on the page and wait for the next pair; returns
        the pair that was shown when the key was pressed. Streamlit binds shortcuts a
        moment after drawing a page: a key that sent nothing to the server is pressed
        again (a key that was sent is never repeated, so nothing is decided twice)."""
        self.idle()
        shown = self.pair()
        self.page.evaluate("document.activeElement && document.activeElement.blur()")
        for _ in range(5):
            before = self.sent
            self.page.keyboard.press(key)
            deadline = time.monotonic() + 3
            while self.sent == before and time.monotonic() < deadline:
                self.page.wait_for_timeout(50)
            if self.sent > before:
                break
        else:
            pytest.fail(f"the key {key!r} never reached the server")
        return shown

    def wait_for_pair_after(self, shown: str) -> str:
        self.page.wait_for_function(
            "old => { const c = [...document.querySelectorAll("
            "\"[data-testid='stCaptionContainer']\")].find(e => e.innerText.includes("
            "'in your queue'));"
            " return c && !c.innerText.includes('id ' + old + ' '); }",
            arg=shown, timeout=60_000,
        )  # fmt: skip
        self.idle()
        return self.pair()

    def screenshot(self, name: str) -> Path:
        """The whole page: Streamlit scrolls inside its main area, so the window is made
        as tall as the content for the picture."""
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        size = self.page.viewport_size
        height, previous = 0, -1
        while height != previous:  # the lower part of a page may still be drawing
            self.page.wait_for_timeout(400)
            previous, height = (
                height,
                self.page.evaluate(
                    "() => document.querySelector(\"[data-testid='stMain']\").scrollHeight"
                ),
            )
        self.page.set_viewport_size({"width": size["width"], "height": min(height, 8000)})
        self.page.wait_for_timeout(1500)  # redrawn for the new size (tables use a canvas)
        self.page.screenshot(path=str(path))
        self.page.set_viewport_size(size)
        assert path.stat().st_size > 10_000
        return path


def test_every_page_renders_in_the_browser_and_is_screenshotted(studio, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    # A deep link first, on a fresh server: the page must still come with the studio's sidebar
    # and layout (each page draws the frame, see studio/shared.py).
    tab = Tab(context, f"{studio.url}/review?annotator=ada")
    tab.no_exception()
    assert tab.page.get_by_text("Database:").count() == 1  # the studio's sidebar
    tab.caption()
    # The pair's code is drawn by st.code: as text, keywords coloured.
    keyword = tab.page.locator("[data-testid='stCode'] .token.keyword", has_text="def").first
    keyword.wait_for(timeout=30_000)
    plain = tab.page.locator("[data-testid='stCode'] pre").first
    colour = "e => getComputedStyle(e).color"
    assert keyword.evaluate(colour) != plain.evaluate(colour)
    assert tab.page.locator("[data-testid='stCode']", has_text="return").count() >= 2
    # Then every page the navigation lists, as a person clicks through them.
    links = tab.page.locator(NAV_LINKS)
    titles = [links.nth(i).inner_text().split("\n")[-1].strip() for i in range(links.count())]
    assert titles == [
        "Overview", "Run", "Review", "Walkthrough", "Rankings", "Failures", "Agreement",
        "Export", "Prompt and settings",
    ]  # fmt: skip
    for title in titles:
        links.filter(has_text=title).first.click()
        tab.page.wait_for_function(
            "t => { const h = document.querySelector(\"[data-testid='stMain'] h1\");"
            " return h && h.innerText.trim() === t; }",
            arg=title, timeout=60_000,
        )  # fmt: skip
        tab.idle()
        tab.no_exception()
        tab.screenshot(title.lower().replace(" ", "_"))
    # The prompt is edited as code: in a monospace area.
    template = tab.page.get_by_role("textbox", name="Template")
    assert "monospace" in template.evaluate("e => getComputedStyle(e).fontFamily")
    context.close()


def test_keyboard_review_is_in_duckdb_and_resumes_after_a_reload(studio, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = Tab(context, f"{studio.url}/review")
    tab.sign_in_as("ada")
    expected = []
    for key, action in [("a", "accept"), ("x", "reject"), ("s", "skip"), ("a", "accept")]:
        shown = tab.press(key)
        expected.append(("ada", action, shown))
        after = tab.wait_for_pair_after(shown)
        tab.no_exception()
    tab.screenshot("review_after_keys")
    assert f"pair={after}" in tab.page.url and "annotator=ada" in tab.page.url

    tab.page.reload()  # a new session: the name and the place come back from the URL
    tab.idle()
    assert tab.pair() == after
    # The box can be drawn empty for a moment before its value arrives: wait for the name.
    tab.page.wait_for_function(
        "() => document.querySelector(\"input[aria-label='Annotator']\")?.value === 'ada'"
    )
    shown = tab.press("x")  # and reviewing goes on from there
    expected.append(("ada", "reject", shown))
    assert shown == after
    tab.wait_for_pair_after(shown)
    context.close()

    assert studio.events() == expected
    with Store(studio.db) as store:
        queue = [row["id"] for row in store.review_queue("ada")]
    assert expected[2][2] == queue[-1]  # the skipped pair waits at the end of the queue
    assert not {e[2] for e in expected if e[1] != "skip"} & set(queue)


def test_two_reviewers_at_once_lose_nothing(studio, browser):
    tabs = {}
    for name in ("ada", "bob"):
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        tabs[name] = Tab(context, f"{studio.url}/review?annotator={name}")
        tabs[name].caption()
    expected = []
    # Three decisions each and a next pair shown to each: the eight pairs of the store, as
    # no pair goes to both.
    for _ in range(3):
        pressed = {}
        for name, key in (("ada", "a"), ("bob", "x")):  # both in flight at the same time
            pressed[name] = tabs[name].press(key)
        for name, shown in pressed.items():
            tabs[name].wait_for_pair_after(shown)
            expected.append((name, {"ada": "accept", "bob": "reject"}[name], shown))
    for tab in tabs.values():
        tab.no_exception()
    tabs["bob"].screenshot("review_two_reviewers")
    found = studio.events()
    assert sorted(found) == sorted(expected)
    assert len(found) == 6
    # Pairs of their own: with no overlap set, each queue holds pairs nobody else holds.
    assert not {e[2] for e in found if e[0] == "ada"} & {e[2] for e in found if e[0] == "bob"}


def test_a_click_on_a_rankings_chart_lists_the_pairs_behind_it(studio, browser, demo_database):
    """Rankings' charts are Plotly with Streamlit's selections, one view of them at a time
    (tabs): a click on a bucket's bar lists its pairs; a click in another chart replaces
    that pick (the latest decides) and clears the bar's selection; a double click clears
    the pick; another view drops it."""
    with Store(demo_database) as store:  # the studio's copy is held by its server
        buckets = [row["bucket"] for row in bucket_counts(store.source_breakdown())]
        count = store.validated_pairs(buckets=buckets[:1])[1]
    assert len(buckets) >= 2 and count > 0
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = Tab(context, f"{studio.url}/rankings?annotator=ada")
    page = tab.page
    # the page opens on the difficulty histogram alone; the other charts are a tab away
    page.locator(".st-key-rank_hist_0 .point").first.wait_for(timeout=30_000)
    assert page.locator(".st-key-rank_buckets_0").count() == 0
    page.get_by_role("tab", name="Buckets and sources").click()
    # a mark lies under Plotly's drag layer, which takes the click for it: forced
    bars = page.locator(".st-key-rank_buckets_0 .point")
    listed = page.locator("[data-testid='stCaptionContainer']", has_text="pairs match")

    bars.first.wait_for(timeout=30_000)
    bars.first.scroll_into_view_if_needed()
    bars.first.click(force=True)  # the first bucket's bar
    listed.filter(has_text=f"{count} pairs match").wait_for(timeout=30_000)
    page.get_by_text("Picked in the curriculum buckets").wait_for(timeout=30_000)
    tab.idle()
    tab.screenshot("rankings_bucket_picked")
    # a bar of the sources' chart: its pick replaces the bucket's
    source_bar = page.locator(".st-key-rank_sources_0 .point").first
    source_bar.scroll_into_view_if_needed()
    source_bar.click(force=True)
    page.get_by_text("Picked in per source").wait_for(timeout=30_000)
    page.locator(".st-key-rank_buckets_1").wait_for(timeout=30_000)  # drawn afresh
    tab.idle()
    # a double click in the chart clears its selection: nothing listed
    plot = page.locator(".st-key-rank_sources_0 .nsewdrag").first
    plot.dblclick()
    page.get_by_text("Nothing picked yet").wait_for(timeout=30_000)
    tab.idle()
    # a pick, then another view: the pick goes with its chart
    page.locator(".st-key-rank_buckets_1 .point").first.click(force=True)
    page.get_by_text("Picked in the curriculum buckets").wait_for(timeout=30_000)
    tab.idle()
    page.get_by_role("tab", name="Difficulty distribution").click()
    page.get_by_text("Nothing picked yet").wait_for(timeout=30_000)
    tab.no_exception()
    context.close()
