"""The studio starts (Streamlit's AppTest) on an empty and on a demo database, and shows
the store's real counts."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from semi_core.demo import load_demo
from semi_core.store import Store

from .conftest import ROOT


def start_app(monkeypatch, db_path, load_demo_on_start: bool) -> AppTest:
    monkeypatch.setenv("SEMI_DB", str(db_path))
    monkeypatch.setenv("SEMI_LOAD_DEMO", "1" if load_demo_on_start else "0")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    return app.run()


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def test_empty_database_shows_zero_counts_and_a_hint(monkeypatch, db_path):
    app = start_app(monkeypatch, db_path, load_demo_on_start=False)
    assert not app.exception
    assert metrics(app)["Snippets"] == "0"
    assert any("semi ingest" in info.value for info in app.info)


def test_first_start_loads_the_demo_and_shows_the_real_counts(monkeypatch, db_path):
    app = start_app(monkeypatch, db_path, load_demo_on_start=True)
    assert not app.exception
    # The app's server process holds the database; read the truth the same way it does.
    from pages._shared import _open_store

    counts = _open_store(str(db_path)).counts()
    shown = metrics(app)
    assert int(shown["Snippets"]) == counts.entities["snippets"] > 164
    assert int(shown["Usable"]) == counts.by_status["snippets"]["usable"]
    table = app.dataframe[0].value
    assert len(table) == min(500, counts.entities["snippets"])


def test_search_filters_the_snippet_table(monkeypatch, db_path):
    with Store(db_path) as store:
        load_demo(store)
    app = start_app(monkeypatch, db_path, load_demo_on_start=False)
    app.text_input(key="overview_search").input("has_close_elements").run()
    table = app.dataframe[0].value
    assert list(table["name"]) == ["has_close_elements"]
    app.selectbox(key="overview_which").select("rejected").run()
    assert app.info  # no rejected snippet matches that name


@pytest.mark.parametrize("held", [True])
def test_a_held_database_shows_one_message_not_a_traceback(monkeypatch, db_path, held):
    import subprocess
    import sys

    from .test_store import HOLDER

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        app = start_app(monkeypatch, db_path, load_demo_on_start=False)
        assert not app.exception
        assert f"is in use by PID {holder.pid}" in app.error[0].value
    finally:
        holder.kill()
        holder.wait()
