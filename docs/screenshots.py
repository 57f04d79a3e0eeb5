"""The README's screenshots, made again from the studio itself: a demo store run through
the simulated backend, a real `streamlit run app.py` server and headless Chromium.

    python docs/screenshots.py [--limit 40] [--out docs]

Writes review.png and rankings.png at a laptop's window size (1366 x 900). Needs what the
tests need (Playwright and Debian's chromium package).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SHOTS = {
    "review.png": "/review?annotator=ada",
    "rankings.png": "/rankings?annotator=ada",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_store(db: Path, limit: int) -> None:
    """The demo data with `limit` snippets run through the simulated backend."""
    command = [sys.executable, "-m", "semi_core.cli", "--db", str(db), "demo", "--run",
               "--limit", str(limit)]  # fmt: skip
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def start_studio(db: Path, port: int) -> subprocess.Popen:
    # Started in the database's folder and given its name alone: the sidebar shows
    # "demo.duckdb", not where this machine keeps it.
    env = {**os.environ, "SEMI_DB": db.name, "SEMI_LOAD_DEMO": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.headless", "true"],
        cwd=db.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the studio did not start")


def shoot(url: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        for name, path in SHOTS.items():
            page.goto(url + path)
            page.wait_for_selector(IDLE, timeout=120_000)
            page.wait_for_timeout(2500)  # charts and grids draw after the script run ends
            page.screenshot(path=str(out / name))
            print(out / name)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=40, help="demo snippets to run")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        demo_store(db, args.limit)
        port = free_port()
        server = start_studio(db, port)
        try:
            shoot(f"http://127.0.0.1:{port}", args.out)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
