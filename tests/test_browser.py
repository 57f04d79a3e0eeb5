"""The studio in a real browser: a real `streamlit run` server and headless Chromium
(Debian's package) driven by Playwright. Every page is visited and screenshotted; a
review decision made with the keyboard shortcut lands in DuckDB."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from semi_core.store import Store

from .conftest import ROOT, run_semi

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A studio server on a database holding demo snippets and a few validated pairs."""
    folder = tmp_path_factory.mktemp("studio")
    db = folder / "studio.duckdb"
    assert run_semi("demo", db=db).returncode == 0
    prepared = run_semi("run", "--limit", "6", "--no-test-strength", db=db)
    assert prepared.returncode == 0, prepared.stderr
    port = free_port()
    env = {**os.environ, "SEMI_DB": str(db), "SEMI_LOAD_DEMO": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        server.kill()
        pytest.fail("the studio did not start: " + server.stdout.read().decode()[-2000:])
    yield {"url": f"http://127.0.0.1:{port}", "db": db, "server": server}
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp']", timeout=60_000)
    wait_idle(page)
    return page


def wait_idle(page) -> None:
    """Wait until Streamlit has rendered a page title and finished running the script
    (its running indicator stays away for a moment)."""
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)
    quiet = 0
    deadline = time.monotonic() + 60
    while quiet < 3 and time.monotonic() < deadline:
        running = page.locator("[data-testid='stStatusWidget']").count() > 0
        quiet = 0 if running else quiet + 1
        page.wait_for_timeout(300)


def assert_no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.content()[:3000]


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


@pytest.mark.parametrize("name", ["overview", "run", "review"])
def test_every_page_renders_without_an_exception(studio, browser, name):
    page = open_page(browser, f"{studio['url']}/{'' if name == 'overview' else name}")
    assert_no_exception(page)
    screenshot(page, name)
    if name == "overview":
        assert page.get_by_text("Snippets", exact=True).count() >= 1
    page.close()


def test_a_decision_by_keyboard_shortcut_is_written_to_duckdb(studio, browser):
    page = open_page(browser, f"{studio['url']}/review")
    page.get_by_label("Annotator", exact=True).fill("ada")
    page.get_by_label("Annotator", exact=True).press("Enter")
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_role("heading", name="Instruction").wait_for(timeout=30_000)
    pair_caption = page.get_by_text("in your queue").inner_text()
    page.evaluate("document.activeElement && document.activeElement.blur()")  # keys to the page
    page.keyboard.press("a")
    page.get_by_text("accept recorded for").wait_for(timeout=30_000)  # the toast
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "review_after_accept")
    page.close()

    studio["server"].terminate()  # the server owns the file; read it once it has let go
    studio["server"].wait(timeout=20)
    with Store(studio["db"]) as store:
        events = store.review_events()
    assert [(e["annotator"], e["action"]) for e in events] == [("ada", "accept")]
    assert events[0]["generation_id"] in pair_caption
