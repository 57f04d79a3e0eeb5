"""The Run page in a real browser while an LLM's answer streams: a snippet whose name
starts with an underscore is shown being written, and the page raises nothing. Fixtures
and the `Tab` driver are the ones of tests/test_browser.py."""

from __future__ import annotations

from semi_core.llm_server import LocalLLMServer

from . import test_browser as browser_suite
from .conftest import write
from .test_browser import Tab

demo_database = browser_suite.demo_database
studio = browser_suite.studio
browser = browser_suite.browser


def test_an_answer_streamed_for_an_underscore_name_is_drawn_without_an_error(
    studio, browser, tmp_path
):
    corpus = write(
        tmp_path / "corpus" / "helpers.py", "def _private_helper(x):\n    return x + 1\n"
    )
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    # Pieces slow enough that the page, redrawn each second while a run goes on, shows
    # the answer half written.
    with LocalLLMServer(token_delay_ms=500, stream_pieces=12) as server:
        tab = Tab(context, f"{studio.url}/run")
        page = tab.page
        page.get_by_text("A file, folder or dataset to ingest first").click()
        page.get_by_role("textbox", name="Path to ingest").fill(str(corpus.parent))
        page.get_by_role("combobox", name="Backend").click()
        page.get_by_role("option", name="openai").click()
        page.get_by_role("textbox", name="Endpoint (openai)").fill(server.base_url)
        page.get_by_role("textbox", name="Model (openai)").fill(server.model)
        page.get_by_role("spinbutton", name="At most this many snippets (0 = all)").fill("1")
        page.get_by_text("Measure test strength (mutants; slower)").click()
        page.get_by_role("button", name="Start run").click()
        page.get_by_text("Being written: _private_helper").wait_for(timeout=60_000)
        tab.no_exception()
        page.get_by_text("_private_helper —").wait_for(timeout=120_000)  # its pair's card
        tab.idle()
        tab.no_exception()
    context.close()
