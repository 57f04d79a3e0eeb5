"""The Run page with data a new user brings: an answer streamed for a snippet whose name
starts with an underscore, a cancelled run in the recent runs, and the ingest report of a
path with broken lines and unreadable files."""

from __future__ import annotations

import json
import re
import threading

from hypothesis import given
from hypothesis import strategies as st
from streamlit.components.v2.bidi_component.main import _make_trigger_id

from semi_core.llm_server import LocalLLMServer
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.sources import ingest
from studio.shared import element_key

from .conftest import write
from .test_app import table_with
from .test_app_jobs import run_page

FAST = dict(inputs_per_pair=5, test_strength=False)


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
    from studio.shared import _job_runner, _open_store

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


def corpus_of(tmp_path, count: int):
    """`count` small functions, one file each."""
    for index in range(count):
        write(
            tmp_path / "corpus" / f"f{index:02}.py",
            f"def f{index:02}(x):\n    return x + {index}\n",
        )
    return tmp_path / "corpus"


def test_a_cancelled_run_keeps_its_counts_and_its_cards_say_it_stopped(
    monkeypatch, db_path, tmp_path
):
    from studio.shared import _job_runner, _open_store

    app = run_page(monkeypatch, db_path)
    store = _open_store(str(db_path))
    ingest(store, [corpus_of(tmp_path, 4)])
    runner = _job_runner(str(db_path))
    on_event = runner._on_event

    def cancel_after_the_first_pair(event):  # the user clicks Cancel once a pair is shown
        on_event(event)
        if event.stage == "generate" and event.item:
            runner.cancel()

    monkeypatch.setattr(runner, "_on_event", cancel_after_the_first_pair)
    runner.start(PipelineSettings(**FAST))
    assert runner.wait(120)
    assert runner.status().result.state == "cancelled"
    (run,) = store.runs(limit=1)
    assert run["state"] == "cancelled" and run["counts"]["generate"]["done"] == 1
    app.run()
    assert not app.exception
    labels = [re.sub(r"\\(.)", r"\1", e.label) for e in app.expander]  # as a reader sees them
    assert labels and not any("validating next" in label for label in labels), labels
    assert any("not validated (run cancelled)" in label for label in labels), labels
    recent = table_with(app, "run", "state", "generated")
    assert recent.loc[recent["run"] == run["id"], "generated"].tolist() == [1]


def test_a_run_on_the_endpoints_first_model_records_that_model(monkeypatch, db_path, tmp_path):
    from studio.shared import _open_store

    app = run_page(monkeypatch, db_path)
    store = _open_store(str(db_path))
    ingest(store, [corpus_of(tmp_path, 2)])
    with LocalLLMServer() as server:
        settings = PipelineSettings(backend="openai", base_url=server.base_url, model=None,
                                    **FAST)  # fmt: skip
        result = run_pipeline(store, settings, stages=("generate",))
    assert result.state == "done"
    (run,) = store.runs(limit=1)
    assert run["params"]["model"] == server.model
    app.run()
    recent = table_with(app, "run", "backend", "model")
    assert recent.loc[recent["run"] == run["id"], "model"].tolist() == [server.model]


def messy_folder(tmp_path):
    """A folder a new user might bring: good functions, a JSONL file with a broken line,
    and a Python file that is not UTF-8."""
    folder = tmp_path / "new_code"
    write(folder / "good.py", "def newest(x):\n    return x * 7\n")
    (folder / "rows.jsonl").write_text(
        json.dumps({"code": "def from_rows(a):\n    return a - 1\n"}) + "\n{this is not json\n"
    )
    (folder / "latin.py").write_bytes("def cafe():\n    return 'caf\xe9'\n".encode("latin-1"))
    return folder


def test_a_run_given_a_path_works_on_the_snippets_just_ingested_first(store, tmp_path):
    ingest(store, [corpus_of(tmp_path, 6)])  # stored earlier, not generated yet
    paths = [str(messy_folder(tmp_path))]
    settings = PipelineSettings(limit=2, **FAST)
    result = run_pipeline(store, settings, stages=("ingest", "generate"), paths=paths)
    assert result.state == "done"
    generated = {s["name"] for s in store.snippets(limit=100) if store.snippet_generations(s["id"])}
    assert generated == {"newest", "from_rows"}


def test_the_run_page_reports_what_an_ingest_skipped(monkeypatch, db_path, tmp_path):
    from studio.shared import _job_runner, _open_store

    app = run_page(monkeypatch, db_path)
    ingest(_open_store(str(db_path)), [corpus_of(tmp_path, 6)])
    folder = messy_folder(tmp_path)
    app.run()
    app.radio(key="run_source").set_value("A file, folder or dataset to ingest first")
    app.text_input(key="run_path").input(str(folder))
    app.number_input(key="run_limit").set_value(2)
    app.checkbox(key="run_strength").uncheck()
    app.button(key="FormSubmitter:run_settings-Start run").click().run()
    runner = _job_runner(str(db_path))
    assert runner.wait(120)
    assert runner.status().result.state == "done"
    app.run()
    assert not app.exception
    warning = "\n".join(re.sub(r"\\(.)", r"\1", w.value) for w in app.warning)
    assert "2 problems" in warning, warning
    problems = table_with(app, "where", "problem")
    assert f"{folder / 'rows.jsonl'}:2" in problems["where"].tolist()
    assert f"{folder / 'latin.py'}:2" in problems["where"].tolist()
    cards = [re.sub(r"\\(.)", r"\1", e.label) for e in app.expander]
    assert sorted(label.split(" — ")[0] for label in cards if " — " in label) == [
        "from_rows", "newest"]  # fmt: skip


def test_a_run_given_a_path_validates_the_pairs_of_what_it_just_read_first(store, tmp_path):
    ingest(store, [corpus_of(tmp_path, 6)])
    run_pipeline(store, PipelineSettings(**FAST), stages=("generate",))  # left unvalidated
    paths = [str(messy_folder(tmp_path))]
    settings = PipelineSettings(limit=2, **FAST)
    stages = ("ingest", "generate", "validate")
    assert run_pipeline(store, settings, stages=stages, paths=paths).state == "done"
    validated = {
        s["name"]
        for s in store.snippets(limit=100)
        for g in store.snippet_generations(s["id"])
        if store.latest_verdict(g["id"])
    }
    assert validated == {"newest", "from_rows"}
