"""Studio latency on a large store, as an annotator feels it, against Streamlit's floors.

A database is filled with 100,000 synthetic pairs (snippets, generations, 5 test cases
and 10 test runs each, verdicts, some earlier decisions by other annotators) through
`Store.bulk_insert` — Arrow tables, one statement per table. The code and instructions
are HumanEval's, cycled, so that rows have realistic sizes. Then a real
`streamlit run app.py` serves it and headless Chromium (Debian's package, driven by
Playwright) measures:

- **accept → next pair**: from pressing `a` on the Review page to the next pair's id
  being shown (checked each frame), and to the script run being over (the whole page
  updated); against **a bare Streamlit button rerun**, a tiny app whose one button reruns
  the script and shows a changed value, timed the same way from the click, its clicks
  alternating with the accepts;
- **switching pages** in an open tab: from a click on a sidebar link until the page is
  wholly shown (see below), for each page; against **the one-line app's switch**, a
  two-page app of one line each with the studio's navigation (pages/ scripts, a
  st.page_link menu in the sidebar), its switches alternating with the studio's;
- **a selection in a Plotly chart → its pairs listed** (`--selections`): a click on a
  bar of Rankings' histogram until its pairs are listed and the run is over;
- **a new tab's first render** of each page (Overview, Run, Review and the pages that
  aggregate: Walkthrough, Rankings, Failures, Agreement, Export): from navigation until
  the whole page is shown — its script run over, nothing stale left, its last section
  visible and every chart on view drawn, as for a switch — in a new session (the browser
  loads and runs Streamlit's scripts, connects, and the server runs the page for it). A
  new tab is opened two ways: in the same browser profile, its HTTP cache warm (an
  annotator coming back: the scripts come from the cache, yet are parsed and run again),
  and in a new browser context, its cache cold (a first visit: every script is
  downloaded too). The first new-tab load of a page on a new server is measured apart,
  before the others: it computes the page's aggregates (later ones reuse them until the
  data changes), and the browser meets the page's element scripts for the first time.
  Each new tab also notes when the page's scripts had run (DOMContentLoaded), when it was
  connected to the server (WebSocket open) and when the page's title was shown (its
  first content; a second figure only, beside the whole page's);
- **Streamlit's own floor**: a one-line Streamlit app served with the studio's
  .streamlit/config.toml and opened the same two ways, in the same run; each page's new
  tabs alternate with new tabs of the floor (served at the same time), and a page's
  new-tab time is a ratio to those floor tabs (the machine's load moves both); and a page
  of the Run page's widgets with nothing behind them, what Streamlit alone costs a page
  with a form;
- **the studio's frame**: what studio/shared.py draws on every page — its menu, its
  sidebar, its store opened — over pages of one line, on an empty database, opened in
  new tabs between the same pages' tabs: what every page costs before its own content.

Targets: accept → next and each page switch at most 1.5× their floor at the median, a
selection's pairs listed under 1 s; a new tab's first render is reported beside its floor,
with no target. Each is repeated and the median and best are printed, with the load
average; on a shared machine the median carries other processes' CPU use, which is why
each figure is set against a floor measured at the same moments. `--queries` also times
the store calls the Review page makes, without a browser.

    python benchmarks/ui_latency.py [--pairs 100000] [--db FILE] [--accepts 15]
        [--renders 3] [--selections 8] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from semi_core.demo import human_eval_problems
from semi_core.review import history, test_table
from semi_core.store import Store, content_id

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
# Accept → next and a page switch, at the median, over their floors measured beside them.
TARGET_RATIO = 1.5
TARGET_SELECTION_S = 1.0
TESTS_PER_PAIR = 5
ORIGINS = ("llm", "typed", "mutation", "literal", "probe")
VERDICTS = ("validated",) * 14 + ("mismatch", "mismatch", "generated_error", "too_few_tests")
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


# -- filling a store ------------------------------------------------------------------------


def fill(store: Store, pairs: int, *, earlier_decisions: int = 5000) -> dict[str, float]:
    """Add `pairs` synthetic validated pairs to `store`; returns seconds per table."""
    problems = human_eval_problems()
    started = datetime(2025, 1, 1)
    run_id = "bench-validation"
    seconds: dict[str, float] = {}

    def timed(table: str, rows: pa.Table) -> None:
        clock = time.perf_counter()
        store.bulk_insert(table, rows)
        seconds[table] = round(time.perf_counter() - clock, 2)

    snippet_ids = [content_id("bench-snippet", str(i)) for i in range(pairs)]
    pair_ids = [content_id("bench-pair", str(i)) for i in range(pairs)]
    chosen = [problems[i % len(problems)] for i in range(pairs)]
    timed(
        "snippets",
        pa.table(
            {
                "id": snippet_ids,
                "source": [f"bench/source-{i % 4}" for i in range(pairs)],
                "path": [f"bench/source-{i % 4}/{p['task_id']}.py" for i, p in enumerate(chosen)],
                "line": [1] * pairs,
                "name": [f"{p['entry_point']}_{i}" for i, p in enumerate(chosen)],
                "kind": ["function"] * pairs,
                "entry_point": [p["entry_point"] for p in chosen],
                "code": [p["prompt"] + p["canonical_solution"] for p in chosen],
            }
        ),
    )
    timed(
        "generations",
        pa.table(
            {
                "id": pair_ids,
                "snippet_id": snippet_ids,
                "backend": ["offline"] * pairs,
                "prompt_hash": ["bench"] * pairs,
                "instruction": [
                    f"Write `{p['entry_point']}` (variant {i}).\n{p['prompt'].strip()[:600]}"
                    for i, p in enumerate(chosen)
                ],
                "code": [p["prompt"] + p["canonical_solution"] for p in chosen],
                "entry_point": [p["entry_point"] for p in chosen],
                "status": ["ok"] * pairs,
                "created_at": [started + timedelta(seconds=i) for i in range(pairs)],
            }
        ),
    )
    case_ids, case_pairs, positions, inputs, origins = [], [], [], [], []
    for i, pair_id in enumerate(pair_ids):
        for position in range(TESTS_PER_PAIR):
            text = f"{i}, {position}, [{position}, {i % 7}]"
            case_ids.append(content_id(pair_id, text))
            case_pairs.append(pair_id)
            positions.append(position)
            inputs.append(text)
            origins.append(ORIGINS[(i + position) % len(ORIGINS)])
    cases = len(case_ids)
    timed(
        "test_cases",
        pa.table(
            {
                "id": case_ids,
                "generation_id": case_pairs,
                "position": pa.array(positions, pa.int32()),
                "input": inputs,
                "origin": origins,
                "expected": [str(p * 3) for p in positions],
                "oracle_status": ["ok"] * cases,
            }
        ),
    )
    statuses = VERDICTS * (pairs // len(VERDICTS) + 1)
    run_status = [
        "wrong" if statuses[n // TESTS_PER_PAIR] == "mismatch" and n % TESTS_PER_PAIR == 0 else "ok"
        for n in range(cases)
    ]
    # A pair's test runs are numbered together, the original's then the rewrite's, as a
    # validation writes them: the store finds them by that range.
    order = [
        (side, n)
        for start in range(0, cases, TESTS_PER_PAIR)
        for side in ("original", "generated")
        for n in range(start, start + TESTS_PER_PAIR)
    ]
    timed(
        "test_runs",
        pa.table(
            {
                "id": [content_id(run_id, case_ids[n], side[0]) for side, n in order],
                "run_id": [run_id] * (2 * cases),
                "test_case_id": [case_ids[n] for _side, n in order],
                "side": [side for side, _n in order],
                "attempt": pa.array([1] * (2 * cases), pa.int32()),
                "status": ["ok" if side == "original" else run_status[n] for side, n in order],
                "output": [str(positions[n] * 3) for _side, n in order],
                "duration_ms": [0.05] * (2 * cases),
            }
        ),
    )
    passed = [TESTS_PER_PAIR - 1 if s == "mismatch" else TESTS_PER_PAIR for s in statuses[:pairs]]
    timed(
        "verdicts",
        pa.table(
            {
                "id": [content_id(p, run_id) for p in pair_ids],
                "generation_id": pair_ids,
                "run_id": [run_id] * pairs,
                "passed": pa.array(passed, pa.int32()),
                "usable": pa.array([TESTS_PER_PAIR] * pairs, pa.int32()),
                "total": pa.array([TESTS_PER_PAIR] * pairs, pa.int32()),
                "status": statuses[:pairs],
                "test_strength": [0.5 + (i % 50) / 100 for i in range(pairs)],
                "signals": ["{}"] * pairs,
                "difficulty": [(i * 7919 % 1000) / 1000 for i in range(pairs)],
            }
        ),
    )
    # Earlier work by other people: decisions spread over the store (and a few undone).
    decided = [pair_ids[(i * 37) % pairs] for i in range(min(earlier_decisions, pairs))]
    timed(
        "review_events",
        pa.table(
            {
                "generation_id": decided,
                "annotator": [f"annotator-{i % 3}" for i in range(len(decided))],
                "action": [("accept", "reject", "skip")[i % 3] for i in range(len(decided))],
            }
        ),
    )
    return seconds


def time_queries(store: Store, annotator: str = "bench", repeat: int = 5) -> dict[str, float]:
    """Median milliseconds of the store calls one Review page run makes, and of the
    queue with each kind of filter (read once per filter change, then kept)."""
    timings: dict[str, list[float]] = {}

    def clock(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        value = fn(*args, **kwargs)
        timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        return value

    queue_ids = store.review_queue_ids
    for _ in range(repeat):
        ids, _total = clock("review_queue_ids", queue_ids, annotator)
        pair = clock("pair", store.pair, ids[0])
        clock("test_table", test_table, store, ids[0], verdict=pair["verdict"])
        clock("history", history, store, ids[0])
        clock("decisions", store.decisions, ids[0])
        clock("queue: search", queue_ids, annotator, search="variant 99")
        clock("queue: status", queue_ids, annotator, statuses=["mismatch"])
        clock("queue: failure", queue_ids, annotator, failure="wrong")
        clock("queue: origin+source", queue_ids, annotator, origin="probe",
              source="bench/source-2")  # fmt: skip
        clock("review_queue (CLI)", store.review_queue, annotator)
        clock("counts (Overview)", store.counts)
    return {name: round(statistics.median(values), 1) for name, values in timings.items()}


# -- the browser ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_studio(
    db: Path, folder: Path, script: Path = ROOT / "app.py"
) -> tuple[subprocess.Popen, str]:
    """A real `streamlit run app.py` on `db`; returns the process and its URL."""
    port = free_port()
    env = {**os.environ, "SEMI_DB": str(db), "SEMI_LOAD_DEMO": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script),
         "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the studio did not start")


# Page → its URL path, its title, and its last section: what shows that the whole page is
# there. A page counts as rendered when its script run is over (IDLE), nothing stale is
# left, its last section is shown and every chart on view is drawn — what a person
# judges the page by, not its first element.
PAGES = {
    "overview": ("", "Overview", "h3:has-text('Recent runs')"),
    "run": ("run", "Run", "h3:has-text('Recent runs')"),
    "review": ("review", "Review", "h3:has-text('Decision history')"),
    "walkthrough": ("walkthrough", "Walkthrough", "h2:has-text('2 · Validation')"),
    "rankings": ("rankings", "Rankings", "h3:has-text('Pairs behind the selection')"),
    # Failures: its first view's note under the kinds' chart (the groups are a tab away).
    "failures": ("failures", "Failures", "text=Click a bar"),
    # Agreement: its settling buttons, or the note that ends it when nothing is in dispute.
    "agreement": (
        "agreement",
        "Agreement",
        "button:has-text('Final reject'), :text('No pair has been decided'), "
        ":text('has the same vote from all')",
    ),
    # Export: its options form, until a preview is asked for.
    "export": ("export", "Export", "button:has-text('Preview export')"),
}
# The pages switched between in one tab (the sidebar link text is the title).
SWITCH_ORDER = ("run", "review", "overview", "rankings", "failures", "walkthrough",
                "agreement", "export")  # fmt: skip
HELLO_APP = 'import streamlit as st\nst.title("Hello")\nst.write("A page with one line.")\n'
HELLO = ("", "Hello", "text=A page with one line.")
# The studio's frame over a page of one line, at a path as most pages are.
FRAME = ("run", "Hello", "text=A page with one line.")
# Streamlit's floor for accept → next: one button whose click reruns the script, and a
# caption showing the changed value (watched as the Review page's queue caption is).
BUTTON_APP = """import streamlit as st
st.title("Hello")
st.session_state.clicks = st.session_state.get("clicks", 0) + st.button("Next")
st.caption(f"Clicks: {st.session_state.clicks}")
"""
# Streamlit's floor for a page switch: two pages of one line, navigated as the studio is
# (pages/ scripts, Streamlit's page list off by the copied config, a page_link menu).
SWITCH_PAGES = {"app.py": "One", "pages/two.py": "Two"}
SWITCH_PAGE = """import streamlit as st
for path, label in {pages}:
    st.sidebar.page_link(path, label=label)
st.title({title!r})
"""
# Streamlit's floor for a page with a form: the Run page's widgets, with no store and no
# data behind them (what such a page costs before any work of ours).
FORM_APP = """import streamlit as st
st.set_page_config(layout="wide")
st.sidebar.text_input("Annotator")
st.title("Hello")
st.caption("The Run page's widgets, nothing behind them.")
with st.form("settings"):
    st.radio("Source", ["stored", "path"], horizontal=True, captions=["a", "b"])
    st.text_input("Path to ingest")
    left, right = st.columns(2)
    left.selectbox("Backend", ["offline", "openai"])
    right.text_input("Model")
    left.text_input("Endpoint")
    right.text_input("API key", disabled=True)
    left.number_input("Concurrency", 1, 128, 8)
    right.number_input("Test inputs per pair", 3, 50, 10)
    left.number_input("At most this many snippets", 0, 1_000_000, 50)
    right.checkbox("Measure test strength", value=True)
    left.selectbox("Validation engine", ["local", "ray"])
    right.text_input("Ray cluster address")
    st.form_submit_button("Start run", type="primary")
st.write("A page with one line.")
"""

# The whole page is there: this title, the script run over, no stale element, every
# Plotly or Vega-Lite chart that is on view drawn, and every component of ours filled in
# by its script (code in its <pre>: it marks itself `data-drawn` once done).
PAGE_DONE_JS = """
title => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const h = document.querySelector("[data-testid='stMain'] h1");
  if (!h || h.innerText.trim() !== title) return false;
  // Nothing stale, and no element still loading its script (a skeleton in its place).
  const waiting = "[data-testid='stMain'] :is([data-stale='true'], [data-testid='stSkeleton'])";
  if (document.querySelector(waiting)) return false;
  const charts = "[data-testid='stMain'] [data-testid='stPlotlyChart']";
  for (const c of document.querySelectorAll(charts)) {
    if (c.offsetParent !== null && !c.querySelector('.main-svg')) return false;
  }
  const native = "[data-testid='stMain'] [data-testid='stVegaLiteChart']";
  for (const c of document.querySelectorAll(native)) {
    if (c.offsetParent !== null && !c.querySelector('canvas, svg.marks')) return false;
  }
  const ours = "[data-testid='stMain'] [data-testid='stBidiComponentIsolated']";
  for (const c of document.querySelectorAll(ours)) {
    if (!c.shadowRoot?.querySelector('[data-drawn]')) return false;
  }
  return true;
}
"""


def wait_rendered(page: Any, title: str, last: str) -> None:
    """Until the page titled `title` is wholly shown: the run over with every chart drawn
    (checked each frame), and its last section visible."""
    page.wait_for_function(PAGE_DONE_JS, arg=title, polling="raf", timeout=120_000)
    # After the run, what an earlier page left is gone: the section found is this page's.
    page.wait_for_selector(last, state="visible", timeout=120_000)


# In the page: note when a key goes down or a click lands (the first since `__eventAt` was
# cleared: a shortcut may click a button in turn), and watch a caption change.
WATCH_JS = """
() => {
  window.__eventAt = null;
  const noted = () => { window.__eventAt ??= performance.now(); };
  document.addEventListener('keydown', noted, true);
  document.addEventListener('click', noted, true);
}
"""
# The scripts a tab has loaded (from the network or the browser's cache): what it parses.
SCRIPT_BYTES_JS = """
() => performance.getEntriesByType('resource')
  .filter(e => e.initiatorType === 'script' || e.name.split('?')[0].endsWith('.js'))
  .reduce((sum, e) => sum + e.decodedBodySize, 0)
"""
# The text of the first caption that holds `marker`.
CAPTION_JS = """
marker => [...document.querySelectorAll("[data-testid='stCaptionContainer']")]
  .map(e => e.innerText).find(t => t.includes(marker)) || ''
"""
SIDEBAR_LINK = "[data-testid='stSidebar'] [data-testid='stPageLink-NavLink']"


# In a new tab, before its scripts run: note when its WebSocket to the server opens, and
# when the page's title is first shown (its first content: a second figure, beside the
# whole page's, which is the one the target is about).
CONNECT_WATCH_JS = """
(() => {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => { window.__connectedAt ??= performance.now(); });
    }
  };
  const watch = new MutationObserver(() => {
    if (document.querySelector("[data-testid='stMain'] h1")) {
      window.__titleAt = performance.now();
      watch.disconnect();
    }
  });
  document.addEventListener('DOMContentLoaded', () => {
    watch.observe(document.body, { childList: true, subtree: true });
  });
})();
"""
PHASES_JS = """
() => ({ scripts: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
         connected: window.__connectedAt ?? null, title: window.__titleAt ?? null })
"""
PHASES = ("scripts", "connected", "title")
VIEWPORT = {"width": 1400, "height": 1000}


def new_tabs(browser: Any, context: Any, url: str, page_spec: tuple[str, str, str],
             times: int, query: str = "", *, cold_cache: bool = False,
             found: dict[str, list] | None = None) -> list[float]:  # fmt: skip
    """Open the page in a new tab, `times` times: the browser loads Streamlit's scripts,
    connects, and the server runs app.py and the page for a new session. The tab is a
    new page of `context` (the HTTP cache warm from earlier tabs), or with `cold_cache`
    the page of a new browser context (nothing cached). `found` collects how much
    JavaScript each tab loaded (decoded size, cached or not: what it parses) and when
    its scripts had run and it was connected (seconds from navigation)."""
    path, title, last = page_spec
    seconds = []
    for _ in range(times):
        owner = browser.new_context(viewport=VIEWPORT) if cold_cache else context
        page = owner.new_page()
        page.add_init_script(CONNECT_WATCH_JS)
        started = time.perf_counter()
        page.goto(f"{url}/{path}{query}", wait_until="commit")
        wait_rendered(page, title, last)
        seconds.append(time.perf_counter() - started)
        if found is not None:
            found.setdefault("script_bytes", []).append(page.evaluate(SCRIPT_BYTES_JS))
            phases = page.evaluate(PHASES_JS)
            for phase in PHASES:
                if phases[phase] is not None:
                    found.setdefault(phase, []).append(phases[phase] / 1000)
        page.close()
        if cold_cache:
            owner.close()
    return seconds


def tab_facts(found: dict[str, list]) -> tuple[int, dict[str, float]]:
    """What `new_tabs` found, as medians: kB of JavaScript loaded, and the seconds at
    which the scripts had run, the tab was connected and the page's title was shown."""
    phases = {phase: round(statistics.median(found[phase]), 3)
              for phase in PHASES if found.get(phase)}  # fmt: skip
    return round(statistics.median(found["script_bytes"]) / 1024), phases


def measure_browser(
    url: str, *, renders: int, accepts: int, pages: tuple[str, ...] = tuple(PAGES),
    switch_url: str, button_url: str, floor_url: str | None = None,
    frame_url: str | None = None, selections: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """First render of each page in `pages` (in a fresh tab, and on switching to it in the
    studio, alternating with switches of the two-page app at `switch_url`), then accept →
    next pair (alternating with clicks of the button app at `button_url`). With
    `floor_url` (the one-line app's server), each new tab of a page is preceded by a new
    tab of the floor, so that each page is compared with the floor measured at the same
    moments (another process's load moves both); with `frame_url` (the studio's frame over
    one-line pages), by a new tab of the frame too."""
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {"new_tab_s": {}, "first_visit_s": {}, "switch_s": {},
                               "switch_floor_s": [], "accept_shown_s": [],
                               "accept_idle_s": [], "button_shown_s": [],
                               "button_idle_s": [], "unnoticed": {"accept": 0, "button": 0},
                               "script_kb": {}, "phases_s": {}, "first_tab_s": {},
                               "floor_beside_s": {}, "frame_beside_s": {}}  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        # The server's first session pays one-time imports; the browser caches scripts.
        new_tabs(browser, context, url, PAGES["review"], 1, "?annotator=warmup")
        if floor_url:
            new_tabs(browser, context, floor_url, HELLO, 1)
        if frame_url:  # its root first: a deep link on a fresh server skips app.py
            new_tabs(browser, context, frame_url, ("", *FRAME[1:]), 1)
            new_tabs(browser, context, frame_url, FRAME, 1)
        for name in pages:
            # This page's first tab on this server, measured apart: its aggregates are
            # computed, and the browser meets the page's own element scripts (Streamlit
            # loads each element's script when the element is first drawn). After it, the
            # cache holds them, as for an annotator coming back to the page.
            results["first_tab_s"][name] = new_tabs(
                browser, context, url, PAGES[name], 1, "?annotator=bench"
            )[0]
            found: dict[str, list] = {}
            for _ in range(renders):
                if floor_url:
                    results["floor_beside_s"].setdefault(name, []).extend(
                        new_tabs(browser, context, floor_url, HELLO, 1)
                    )
                if frame_url:
                    results["frame_beside_s"].setdefault(name, []).extend(
                        new_tabs(browser, context, frame_url, FRAME, 1)
                    )
                results["new_tab_s"].setdefault(name, []).extend(
                    new_tabs(browser, context, url, PAGES[name], 1, "?annotator=bench", found=found)
                )
            results["script_kb"][name], results["phases_s"][name] = tab_facts(found)
            results["first_visit_s"][name] = new_tabs(
                browser, context, url, PAGES[name], renders, "?annotator=bench", cold_cache=True
            )
        # Switching pages in one tab: the scripts are loaded, the server runs the page. Each
        # switch is followed by one in the two-page floor's tab, so both see the same load.
        page = context.new_page()
        page.goto(f"{url}/?annotator=bench")
        wait_rendered(page, "Overview", PAGES["overview"][2])
        floor_page = context.new_page()
        floor_page.goto(switch_url)
        floor_titles = list(SWITCH_PAGES.values())
        wait_rendered(floor_page, floor_titles[0], f"h1:has-text('{floor_titles[0]}')")
        for _ in range(renders):
            for name in [n for n in SWITCH_ORDER if n in pages]:
                _path, title, last = PAGES[name]
                results["switch_s"].setdefault(name, []).append(switch(page, title, last))
                floor_titles.reverse()
                results["switch_floor_s"].append(
                    switch(floor_page, floor_titles[0], f"h1:has-text('{floor_titles[0]}')")
                )
        page.close()
        floor_page.close()
        if selections and "rankings" in pages:
            results["selection_s"] = measure_selection(context, url, selections)
        # Accept → next, each accept followed by a click in the button floor's tab.
        page = context.new_page()
        page.goto(f"{url}/review?annotator=bench")
        wait_rendered(page, "Review", PAGES["review"][2])
        floor_page = context.new_page()
        floor_page.goto(button_url)
        wait_rendered(floor_page, "Hello", "text=Clicks:")
        button = floor_page.get_by_role("button", name="Next")
        turns = (("accept", page, lambda: page.keyboard.press("a"), "in your queue"),
                 ("button", floor_page, button.click, "Clicks:"))  # fmt: skip
        for _name, tab, _act, _marker in turns:
            tab.evaluate(WATCH_JS)
        for _ in range(accepts):
            for name, tab, act, marker in turns:
                timed = timed_change(tab, act, marker)
                if timed is None:  # unnoticed (pressed too early): again next round
                    results["unnoticed"][name] += 1
                else:
                    results[f"{name}_shown_s"].append(timed[0])
                    results[f"{name}_idle_s"].append(timed[1])
        browser.close()
    return results


def switch(page: Any, title: str, last: str) -> float:
    """Seconds from a click on the sidebar link titled `title` to that page wholly shown."""
    page.bring_to_front()
    link = page.locator(SIDEBAR_LINK, has_text=title)
    started = time.perf_counter()
    link.click()
    wait_rendered(page, title, last)
    return time.perf_counter() - started


def timed_change(page: Any, act: Any, marker: str) -> tuple[float, float] | None:
    """Seconds from `act` (a key pressed or a click, noted in the page by WATCH_JS) to the
    caption holding `marker` changed (checked each frame), and to the script run over; None
    when the page did not notice it."""
    page.bring_to_front()
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_timeout(600)  # a person reads the page; shortcuts are live by then
    page.evaluate("document.activeElement && document.activeElement.blur()")
    before = page.evaluate(CAPTION_JS, marker)
    page.evaluate("window.__eventAt = null")
    act()
    try:
        shown_at = page.wait_for_function(
            f"([marker, before]) => ({CAPTION_JS})(marker) !== before && performance.now()",
            arg=[marker, before], polling="raf", timeout=10_000,
        ).json_value()  # fmt: skip
    except Exception:
        return None
    idle_at = page.wait_for_function(
        f"() => document.querySelector({json.dumps(IDLE)}) && performance.now()",
        polling="raf", timeout=60_000,
    ).json_value()  # fmt: skip
    event_at = page.evaluate("window.__eventAt")
    return (shown_at - event_at) / 1000, (idle_at - event_at) / 1000


# The bars of Rankings' difficulty histogram (under whatever key round the page drew them).
HISTOGRAM_BARS = "[class*='st-key-rank_hist_'] .point"


def measure_selection(context: Any, url: str, times: int) -> list[float]:
    """A selection in a Plotly chart -> its pairs listed: on Rankings, a click on a bar of
    the difficulty histogram (the first two in turn) until the list's first pair is
    another one and the script run is over (the whole page updated)."""
    page = context.new_page()
    page.goto(f"{url}/rankings?annotator=bench")
    wait_rendered(page, "Rankings", PAGES["rankings"][2])
    bars = page.locator(HISTOGRAM_BARS)
    pair = page.get_by_role("combobox", name="Pair")
    seconds = []
    for i in range(times):
        bar = bars.nth(i % 2)
        bar.scroll_into_view_if_needed()
        page.wait_for_timeout(300)  # a person aims
        before = pair.input_value() if pair.count() else ""
        started = time.perf_counter()
        bar.click(force=True)  # the bar lies under Plotly's drag layer, which takes it
        while not (pair.count() and pair.input_value() != before):
            page.wait_for_timeout(5)
        page.wait_for_selector(IDLE, timeout=60_000)
        seconds.append(time.perf_counter() - started)
    page.close()
    return seconds


def serve(folder: Path, files: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """A server of the app made of `files` (path → source, app.py its main script) written
    to `folder`, on an empty database there; as `start_studio` returns. It runs under the
    studio's own server settings (.streamlit/config.toml: no file watcher, no forced
    collection after a run, no automatic page list), so that a ratio compares pages, not
    settings."""
    for path, source in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(source)
    (folder / ".streamlit").mkdir(exist_ok=True)
    shutil.copy(ROOT / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    return start_studio(folder / "empty.duckdb", folder, folder / "app.py")


def start_floor(folder: Path, app: str = HELLO_APP) -> tuple[subprocess.Popen, str]:
    """A server of the one-line app (or `app`), as `start_studio` returns."""
    return serve(folder / ("floor" if app == HELLO_APP else "form_floor"), {"app.py": app})


def start_switch_floor(folder: Path) -> tuple[subprocess.Popen, str]:
    """A server of the two one-line pages that a page switch is set against."""
    pages = list(SWITCH_PAGES.items())
    return serve(folder / "switch_floor", {path: SWITCH_PAGE.format(pages=pages, title=title)
                                           for path, title in pages})  # fmt: skip


def start_frame(folder: Path) -> tuple[subprocess.Popen, str]:
    """The studio's frame with nothing in its pages: what every page draws first (the
    menu, the annotator box, the store opened, see studio/shared.py) over one line, served
    with the studio's config on an empty database; as `start_studio` returns."""
    frame = folder / "frame"
    shutil.copytree(ROOT / "studio", frame / "studio", dirs_exist_ok=True)
    page = "from studio.shared import get_store\nget_store()\n" + HELLO_APP
    scripts = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    return serve(frame, {str(path.relative_to(ROOT)): page for path in scripts})


def measure_baseline(folder: Path, renders: int, app: str = HELLO_APP) -> dict[str, Any]:
    """A one-line Streamlit app (or `app`) opened like the studio's pages, in a new tab
    (cache warm) and on a first visit (cache cold), served with the studio's config:
    Streamlit's own floor on this machine."""
    from playwright.sync_api import sync_playwright

    server, url = start_floor(folder, app)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT)
            new_tabs(browser, context, url, HELLO, 1)
            found: dict[str, list] = {}
            floor = {
                "new_tab_s": new_tabs(browser, context, url, HELLO, renders, found=found),
                "first_visit_s": new_tabs(browser, context, url, HELLO, renders,
                                          cold_cache=True),
            }  # fmt: skip
            floor["script_kb"], floor["phases_s"] = tab_facts(found)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return floor


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "best": round(min(values), 3),
            "worst": round(max(values), 3)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--db", help="reuse (or create) this database file")
    parser.add_argument("--renders", type=int, default=3, help="first renders per page")
    parser.add_argument("--accepts", type=int, default=15)
    parser.add_argument("--selections", type=int, default=10,
                        help="clicks on a Rankings bar, timed to its pairs listed")  # fmt: skip
    parser.add_argument("--queries", action="store_true", help="time store calls only")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--pages", help=f"comma-separated pages to measure (default: all of {', '.join(PAGES)})"
    )
    args = parser.parse_args(argv)
    pages = tuple(args.pages.split(",")) if args.pages else tuple(PAGES)
    if unknown := set(pages) - set(PAGES):
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    folder = Path(tempfile.mkdtemp(prefix="semi-ui-latency-"))
    db = Path(args.db) if args.db else folder / "bench.duckdb"
    report: dict[str, Any] = {"pairs": args.pairs}
    with Store(db) as store:
        if store.count_snippets() == 0:
            clock = time.perf_counter()
            report["fill_s"] = fill(store, args.pairs)
            report["fill_total_s"] = round(time.perf_counter() - clock, 1)
        report["pairs"] = store.counts().entities["generations"]
        report["store_calls_ms"] = time_queries(store)
    if not args.queries:
        load_at_start = os.getloadavg()
        server, url = start_studio(db, folder)
        floor_server, floor_url = start_floor(folder)
        frame_server, frame_url = start_frame(folder)
        switch_server, switch_url = start_switch_floor(folder)
        button_server, button_url = serve(folder / "button_floor", {"app.py": BUTTON_APP})
        try:
            found = measure_browser(url, renders=args.renders, accepts=args.accepts, pages=pages,
                                    switch_url=switch_url, button_url=button_url,
                                    floor_url=floor_url, frame_url=frame_url,
                                    selections=args.selections)  # fmt: skip
        finally:
            for running in (server, floor_server, frame_server, switch_server, button_server):
                running.terminate()
                running.wait(timeout=30)
        floor = measure_baseline(folder, args.renders)
        form = measure_baseline(folder, args.renders, FORM_APP)
        for key, measured in (("floor", floor), ("form_floor", form)):
            report[key] = {**measured, "new_tab_s": summary(measured["new_tab_s"]),
                           "first_visit_s": summary(measured["first_visit_s"])}  # fmt: skip
        for way in ("new_tab_s", "first_visit_s"):
            report[way] = {k: summary(v) for k, v in found[way].items()}
        # A first visit against the floor's first visits, measured after the pages.
        first_visit_floor = report["floor"]["first_visit_s"]["median"]
        report["first_visit_to_floor"] = {
            k: round(v["median"] / first_visit_floor, 2) for k, v in report["first_visit_s"].items()
        }
        # A page's new tabs against the floor's tabs opened between them (same moments).
        report["floor_beside_s"] = {k: summary(v) for k, v in found["floor_beside_s"].items()}
        report["frame_beside_s"] = {k: summary(v) for k, v in found["frame_beside_s"].items()}
        report["new_tab_to_floor"] = {
            k: round(v["median"] / report["floor_beside_s"][k]["median"], 2)
            for k, v in report["new_tab_s"].items()
        }
        report["new_tab_first_on_new_server_s"] = {
            k: round(v, 3) for k, v in found["first_tab_s"].items()
        }
        report["new_tab_phases_s"] = found["phases_s"]
        report["load_average"] = {"start": load_at_start, "end": os.getloadavg()}
        report["script_kb"] = found["script_kb"]
        report["switch_s"] = {k: summary(v) for k, v in found["switch_s"].items()}
        report["switch_floor_s"] = summary(found["switch_floor_s"])
        switch_floor = report["switch_floor_s"]["median"]
        report["switch_to_floor"] = {
            k: round(v["median"] / switch_floor, 2) for k, v in report["switch_s"].items()
        }
        # Every switch of the studio's, whatever the page, over every switch of the floor's.
        all_switches = [t for v in found["switch_s"].values() for t in v]
        report["switch_all_s"] = summary(all_switches)
        report["switch_all_to_floor"] = round(report["switch_all_s"]["median"] / switch_floor, 2)
        for key in ("accept_shown_s", "accept_idle_s", "button_shown_s", "button_idle_s"):
            report[key] = summary(found[key] or [float("nan")])
        report["accept_to_button"] = round(
            report["accept_shown_s"]["median"] / report["button_shown_s"]["median"], 2
        )
        report["unnoticed"] = found["unnoticed"]
        if found.get("selection_s"):
            report["selection_s"] = summary(found["selection_s"])
        report["targets_met"] = {
            "accept_next": report["accept_to_button"] <= TARGET_RATIO,
            "switch_each_page": all(r <= TARGET_RATIO for r in report["switch_to_floor"].values()),
            "switch_overall": report["switch_all_to_floor"] <= TARGET_RATIO,
        }
        if "selection_s" in report:
            report["targets_met"]["selection"] = (
                report["selection_s"]["median"] < TARGET_SELECTION_S
            )
    shutil.rmtree(folder, ignore_errors=True)  # the filled database too, unless --db
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


def print_report(report: dict[str, Any]) -> None:
    print(f"{report['pairs']} pairs")
    for name, ms in report["store_calls_ms"].items():
        print(f"  store {name:<24} {ms:8.1f} ms (median)")
    if "new_tab_s" not in report:
        return
    start, end = report["load_average"]["start"], report["load_average"]["end"]
    print(f"  load average (1, 5, 15 min): at start {start[0]:.2f} {start[1]:.2f} "
          f"{start[2]:.2f}, at end {end[0]:.2f} {end[1]:.2f} {end[2]:.2f}")  # fmt: skip
    print_table(report)
    floor = report["floor"]
    tab, visit, phases = floor["new_tab_s"], floor["first_visit_s"], floor["phases_s"]
    print(f"  a one-line Streamlit app ({floor['script_kb']} kB of JavaScript), served alone "
          f"after the studio: new tab median {tab['median']:.2f} s (best {tab['best']:.2f} s; "
          f"scripts run at {phases.get('scripts', 0):.2f} s, connected at "
          f"{phases.get('connected', 0):.2f} s, title shown at "
          f"{phases.get('title', 0):.2f} s), first visit median {visit['median']:.2f} s "
          f"(best {visit['best']:.2f} s)")  # fmt: skip
    form = report["form_floor"]
    print(f"  the Run page's widgets alone, no data ({form['script_kb']} kB of JavaScript): "
          f"new tab median {form['new_tab_s']['median']:.2f} s (best "
          f"{form['new_tab_s']['best']:.2f} s), first visit median "
          f"{form['first_visit_s']['median']:.2f} s")  # fmt: skip
    print("  new tabs in detail (a new tab has the browser's cache warm, an annotator coming "
          "back; a first visit has it cold):")  # fmt: skip
    for name, tab in report["new_tab_s"].items():
        visit, phases = report["first_visit_s"][name], report["new_tab_phases_s"][name]
        print(f"    {name:<12} new tab best {tab['best']:.2f} s; the studio's frame over a "
              f"one-line page between them: median "
              f"{report['frame_beside_s'][name]['median']:.2f} s; scripts run at "
              f"{phases.get('scripts', 0):.2f} s, connected at "
              f"{phases.get('connected', 0):.2f} s, title (first content) shown at "
              f"{phases.get('title', 0):.2f} s; first on a new server "
              f"{report['new_tab_first_on_new_server_s'][name]:.2f} s; first visit: median "
              f"{visit['median']:.2f} s ({report['first_visit_to_floor'][name]:.2f}× the "
              f"floor's); {report['script_kb'][name]} kB of JavaScript")  # fmt: skip
    w, b = report["accept_idle_s"], report["button_idle_s"]
    print(f"  accept → whole page updated: median {w['median'] * 1000:.0f} ms, best "
          f"{w['best'] * 1000:.0f} ms (the button app's run over: median "
          f"{b['median'] * 1000:.0f} ms)")  # fmt: skip
    if any(report["unnoticed"].values()):
        print(f"  keys or clicks the page did not notice: {report['unnoticed']}")
    print(f"  targets met: {report['targets_met']}")


def print_table(report: dict[str, Any]) -> None:
    """The figures an annotator feels, each beside its floor (medians; ratio and target)."""
    rows = []

    def row(what: str, studio: float, floor: float | None, ratio: float | None,
            target: str) -> None:  # fmt: skip
        rows.append((what, f"{studio * 1000:.0f} ms",
                     "" if floor is None else f"{floor * 1000:.0f} ms",
                     "" if ratio is None else f"{ratio:.2f}×", target))  # fmt: skip

    bound = f"≤ {TARGET_RATIO}×"
    row("accept → next pair shown", report["accept_shown_s"]["median"],
        report["button_shown_s"]["median"], report["accept_to_button"], bound)  # fmt: skip
    floor = report["switch_floor_s"]["median"]
    for name, switch in report["switch_s"].items():
        row(f"switch to {name}", switch["median"], floor, report["switch_to_floor"][name], bound)
    row("switch, all pages", report["switch_all_s"]["median"], floor,
        report["switch_all_to_floor"], bound)  # fmt: skip
    if "selection_s" in report:
        row("chart selection → pairs listed", report["selection_s"]["median"], None, None,
            f"< {TARGET_SELECTION_S:.0f} s")  # fmt: skip
    for name, tab in report["new_tab_s"].items():
        row(f"new tab: {name}", tab["median"], report["floor_beside_s"][name]["median"],
            report["new_tab_to_floor"][name], "none")  # fmt: skip
    header = ("median of", "studio", "floor", "ratio", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print("  floors, served in the same run and measured between the studio's: a button "
          "rerun (accept), a two-page app's switch (switches), the one-line app's new "
          "tab (new tabs)")  # fmt: skip
    for r in [header, *rows]:
        cells = [c.rjust(w) for c, w in zip(r, widths, strict=True)]
        print("  " + "  ".join([r[0].ljust(widths[0]), *cells[1:]]))


if __name__ == "__main__":
    sys.exit(main())
