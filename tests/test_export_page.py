"""The Export page (Streamlit's AppTest): choices, the summary before writing, flagged pairs
with their overlapping text, and the download of exactly what was previewed."""

from __future__ import annotations

import gc
import io
import json
import zipfile
from pathlib import Path

from streamlit.testing.v1 import AppTest

from semi_core.rank import rank_all
from semi_core.review import decide
from semi_core.store import Store

from .conftest import ROOT, code_blocks
from .test_export import (
    EASY,
    HARD,
    MEDIUM,
    UNRELATED,
    WORD_COUNTS,
    WORD_COUNTS_RENAMED,
    add_pair,
    mix_rows,
    planted_humaneval,
    write_jsonl,
)


def make_store(db_path) -> dict[str, str]:
    with Store(db_path) as store:
        ids = {
            "easy": add_pair(store, "inc", EASY),
            "medium": add_pair(store, "clamp_double", MEDIUM),
            "hard": add_pair(store, "collatz_marks", HARD),
            "unrelated": add_pair(store, "running_max", UNRELATED),
            "words": add_pair(store, "word_counts", WORD_COUNTS),
            "renamed": add_pair(store, "tally", WORD_COUNTS_RENAMED),
            "planted": add_pair(store, "close_elements", planted_humaneval()),
        }
        rank_all(store)
        decide(store, ids["easy"], "ada", "accept")
    return ids


def open_page(monkeypatch, db_path) -> AppTest:
    """The page as the studio shows it: through app.py, then switched to."""
    monkeypatch.setenv("SEMI_DB", str(db_path))
    monkeypatch.setenv("SEMI_LOAD_DEMO", "0")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page("pages/export.py")
    app.run()
    assert not app.exception
    return app


def click(app: AppTest, label: str) -> AppTest:
    [button] = [b for b in app.button if b.label == label]
    button.click().run()
    assert not app.exception, app.exception
    return app


def metrics(app: AppTest) -> dict[str, int]:
    return {m.label: int(m.value) for m in app.metric}


def test_preview_shows_the_summary_and_flagged_pairs_with_their_text(monkeypatch, db_path):
    ids = make_store(db_path)
    app = open_page(monkeypatch, db_path)
    assert not app.metric  # nothing is planned before the preview
    app.selectbox(key="x_status").select("all")
    click(app, "Preview export")
    shown = metrics(app)
    assert shown["Selected pairs"] == 7
    assert shown["Flagged"] == 1 and shown["Dropped"] == 2  # the planted copy, one duplicate
    assert shown["Records"] == shown["Pairs"] == 5
    texts = " ".join(t.value for t in app.text)
    assert "Dropped as contaminated: 1 pair." in texts
    assert "Dropped as near duplicate: 1 pair." in texts
    # The flagged pair, with the overlapping text as code (never HTML).
    [expander] = [e for e in app.expander if ids["planted"] in e.label]
    assert "HumanEval/0" in expander.label
    assert any("distance = abs(elem - elem2)" in block for block, _ in code_blocks(expander))
    assert not any(m.proto.allow_html for m in app.markdown)


def test_write_offers_exactly_the_previewed_records(monkeypatch, db_path):
    make_store(db_path)
    app = open_page(monkeypatch, db_path)
    app.selectbox(key="x_status").select("all")
    app.selectbox(key="x_schema").select("full")
    click(app, "Preview export")
    records = metrics(app)["Records"]
    click(app, "Write export")
    download = app.session_state["export_download"]
    assert download["file_name"] == "semi-instruct.jsonl"
    lines = download["data"].decode("utf-8").splitlines()
    assert len(lines) == records
    assert {json.loads(line)["mode"] for line in lines} == {"function"}
    assert app.get("download_button")[0].label == "Download semi-instruct.jsonl"
    assert "Written: semi" in app.success[0].value


def test_buckets_and_a_mix_from_a_server_path(monkeypatch, db_path, tmp_path):
    make_store(db_path)
    mix = write_jsonl(tmp_path / "code_alpaca.jsonl", mix_rows(20), broken={2: "{oops"})
    app = open_page(monkeypatch, db_path)
    app.selectbox(key="x_status").select("all")
    app.selectbox(key="x_format").select("parquet")
    app.checkbox(key="x_buckets").check()
    app.checkbox(key="x_use_mix").check()
    app.text_input(key="x_mix_path").input(str(mix))
    click(app, "Preview export")
    shown = metrics(app)
    assert shown["Mixed in"] == shown["Pairs"] == 5  # the default share is one half
    assert any("could not be read" in e.label for e in app.expander)
    click(app, "Write export")
    download = app.session_state["export_download"]
    assert download["file_name"] == "semi-instruct.zip"
    names = zipfile.ZipFile(io.BytesIO(download["data"])).namelist()
    assert all(name.startswith("semi-instruct.") and name.endswith(".parquet") for name in names)
    assert sum(records for _, records in download["files"]) == 10


def test_a_bad_choice_is_one_clear_message(monkeypatch, db_path):
    make_store(db_path)
    app = open_page(monkeypatch, db_path)
    app.checkbox(key="x_use_mix").check()  # no file given
    click(app, "Preview export")
    assert "needs both a file" in app.error[0].value
    assert not app.metric


def test_an_empty_store_says_how_to_get_pairs(monkeypatch, db_path):
    Store(db_path).close()
    app = open_page(monkeypatch, db_path)
    assert "No validated pairs yet" in app.info[0].value
    click(app, "Preview export")
    assert metrics(app)["Records"] == 0
    [write] = [b for b in app.button if b.label == "Write export"]
    assert write.disabled


def test_the_session_folder_holds_nothing_written_and_goes_with_the_session(monkeypatch, db_path):
    make_store(db_path)
    app = open_page(monkeypatch, db_path)
    click(app, "Preview export")
    click(app, "Write export")
    folder = Path(app.session_state["export_dir"].name)
    assert folder.is_dir() and not any(folder.rglob("*.jsonl"))  # offered from memory
    assert app.session_state["export_download"]["data"]
    del app  # the session's state dropped, as Streamlit does when a tab has gone
    gc.collect()
    assert not folder.exists()
