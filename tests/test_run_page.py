"""The Run page with data a new user brings: an answer streamed for a snippet whose name
starts with an underscore, a cancelled run in the recent runs, and the ingest report of a
path with broken lines and unreadable files."""

from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st
from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.testing.v1 import AppTest

from pages._code_view import element_key
from semi_core.llm_server import LocalLLMServer
from semi_core.pipeline import PipelineSettings
from semi_core.sources import ingest

from .conftest import ROOT, write

FAST = dict(inputs_per_pair=5, test_strength=False)


def run_page(monkeypatch, db_path) -> AppTest:
    monkeypatch.setenv("SEMI_DB", str(db_path))
    monkeypatch.setenv("SEMI_LOAD_DEMO", "0")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page("pages/run.py").run()
    return app


@given(st.text(), st.text(min_size=1))
def test_an_element_key_made_from_any_text_passes_streamlits_own_check(prefix, name):
    # Streamlit joins a component's id (ending in its key) and an event name with "__",
    # and refuses an id that holds "__" itself.
    key = element_key(prefix, name)
    _make_trigger_id(f"$$ID-0123456789abcdef-{key}", "events")
    assert element_key(prefix, name) == key  # the same element keeps its key across reruns
    assert element_key(prefix, name + "x") != key


def test_an_answer_streamed_for_an_underscore_name_is_shown_while_it_is_written(
    monkeypatch, db_path, tmp_path
):
    from pages._shared import _job_runner, _open_store

    write(tmp_path / "corpus" / "helpers.py", "def _private_helper(x):\n    return x + 1\n")
    app = run_page(monkeypatch, db_path)
    store = _open_store(str(db_path))
    ingest(store, [tmp_path / "corpus"])
    runner = _job_runner(str(db_path))
    streaming, release = threading.Event(), threading.Event()
    on_token = runner._on_token

    def hold_the_stream(snippet, piece):  # the answer stays half written until released
        on_token(snippet, piece)
        streaming.set()
        release.wait(120)

    monkeypatch.setattr(runner, "_on_token", hold_the_stream)
    with LocalLLMServer(token_delay_ms=1) as server:
        settings = PipelineSettings(backend="openai", base_url=server.base_url,
                                    model=server.model, **FAST)  # fmt: skip
        runner.start(settings, stages=("generate",))
        try:
            assert streaming.wait(120)
            app.run()
            assert not app.exception, [e.value for e in app.exception]
            assert "Being written:** \\_private\\_helper" in "\n".join(
                m.value for m in app.markdown
            )
        finally:
            release.set()
            assert runner.wait(120)
    assert runner.status().result.state == "done"
