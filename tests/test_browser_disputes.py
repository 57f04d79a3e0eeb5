"""Two annotators in two browser contexts: their votes are independent, Agreement counts
both, and the pair they disagree on stays out of an export of accepted pairs, named in
its report. Fixtures and the `Tab` driver are the ones of tests/test_browser.py."""

from __future__ import annotations

import json
import re

from . import test_browser as browser_suite
from .conftest import run_semi
from .test_browser import Tab

demo_database = browser_suite.demo_database
studio = browser_suite.studio
browser = browser_suite.browser

ALICE_NOTE = "alice-thinks-the-rewrite-drops-a-case"


def _main_text(tab: Tab) -> str:
    return tab.page.locator("[data-testid='stMain']").inner_text()


def _decide(tab: Tab, button: str, note: str | None = None) -> None:
    if note:
        box = tab.page.get_by_placeholder("Note, kept with your decision (optional)")
        box.fill(note)
        box.press("Tab")
        tab.idle()
    shown = tab.pair()
    tab.page.get_by_role("button", name=re.compile(f"^{button}")).first.click()
    tab.wait_for_pair_after(shown)


def test_two_annotators_vote_blind_and_their_dispute_stays_out_of_the_export(
    studio, browser, tmp_path
):
    alice = Tab(browser.new_context(viewport={"width": 1400, "height": 1000}),
                f"{studio.url}/review?annotator=alice")  # fmt: skip
    disputed = alice.pair()
    _decide(alice, "Reject", ALICE_NOTE)

    bob = Tab(browser.new_context(viewport={"width": 1400, "height": 1000}),
              f"{studio.url}/review?annotator=bob&pair={disputed}")  # fmt: skip
    assert bob.pair() == disputed
    before = _main_text(bob)
    assert "alice" not in before and ALICE_NOTE not in before
    assert "show once you have accepted or rejected this pair" in before
    _decide(bob, "Accept")
    shared = bob.pair()  # the next pair: both accept it
    _decide(bob, "Accept")

    # Alice, deciding on her own, has not seen bob's vote on the pair they share next.
    alice.page.goto(f"{studio.url}/review?annotator=alice&pair={shared}")
    alice.idle()
    assert alice.pair() == shared
    assert "bob" not in _main_text(alice)
    _decide(alice, "Accept")

    # Once bob has decided, a link to the disputed pair shows him alice's vote and note.
    bob.page.goto(f"{studio.url}/review?annotator=bob&pair={disputed}")
    bob.idle()
    assert bob.pair() == disputed
    bob.page.get_by_text("alice: reject").wait_for(timeout=30_000)

    agreement = Tab(bob.page.context, f"{studio.url}/agreement")
    agreement.no_exception()
    # both votes on both shared pairs count: the kappa bar's label in the Plotly chart
    bar = agreement.page.locator(".st-key-agreement_kappa .xtick text")
    bar.filter(has_text="alice · bob (n=2)").wait_for(timeout=30_000)
    figures = agreement.page.locator("[data-testid='stMetric']").all_inner_texts()
    assert any("several annotators" in f and f.strip().endswith("2") for f in figures), figures
    assert any("In dispute" in f and f.strip().endswith("1") for f in figures), figures

    export = Tab(alice.page.context, f"{studio.url}/export")
    export.page.get_by_role("button", name="Preview export").click()
    export.page.get_by_text("1 pair in dispute was left out").wait_for(timeout=60_000)
    export.no_exception()

    studio.stop()  # the studio owns the file; the CLI may open it now
    out = tmp_path / "accepted.jsonl"
    result = run_semi("export", str(out), "--status", "accepted", "--schema", "full", "--json",
                      db=studio.db)  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [pair["id"] for pair in report["disputed"]["pairs"]] == [disputed]
    assert report["disputed"]["pairs"][0]["votes"] == {"alice": "reject", "bob": "accept"}
    written = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert written == [shared]
