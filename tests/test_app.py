"""The studio in Streamlit's AppTest: every page on an empty and on a demo database, and
every action — start a run, accept, reject, skip, undo, note, edit and revalidate, rerun
validation, filters, sign in — checked against the store after each.

AppTest runs the app in this process: the store is the one `studio/shared.py` caches per
database file, so each test works on its own file and reads the truth through it."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from semi_core.assignment import set_overlap
from semi_core.auth import hash_password
from semi_core.demo import load_demo
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.store import Store
from studio.tables import FAILED

from .conftest import ROOT, code_blocks, held_by_another_process

PAGES = ("app.py", "pages/run.py", "pages/review.py")
FAST = dict(inputs_per_pair=5, test_strength=False)


def start_app(monkeypatch, db_path, load_demo_on_start: bool = False) -> AppTest:
    monkeypatch.setenv("SEMI_DB", str(db_path))
    monkeypatch.setenv("SEMI_LOAD_DEMO", "1" if load_demo_on_start else "0")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("SEMI_MODEL", raising=False)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    return app.run()


def server_store(db_path) -> Store:
    """The store the app's server process holds (AppTest runs in this process)."""
    from studio.shared import _open_store

    return _open_store(str(db_path))


class _TableReader(HTMLParser):
    """The header and cells of the HTML tables in a page's st.html bodies."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[object]]] = []
        self.cell: list[str] | None = None
        self.kind = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []
            self.kind = dict(attrs).get("class") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            text = "".join(self.cell)
            self.tables[-1][-1].append(text if tag == "th" else _typed(text, self.kind))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _typed(text: str, kind: str) -> object:
    """A cell's text back as the value shown, by its class (its column's type)."""
    if text == "":
        return None
    if kind == "num":
        return float(text) if any(c in text for c in ".en") else int(text)
    return {"True": True, "False": False}[text] if kind == "bool" else text


def html_tables(app: AppTest) -> list[pd.DataFrame]:
    """The HTML tables on the page (a chart's table of numbers, folded under it), in
    order, as data frames of the values a reader sees."""
    reader = _TableReader()
    for element in app.get("html"):
        reader.feed(element.proto.body)
    return [
        pd.DataFrame(rows[1:], columns=rows[0]) if rows else pd.DataFrame()
        for rows in reader.tables
    ]


def table_with(app: AppTest, *columns: str):
    """The first table on the page that has these columns (pages may add tables): a grid
    (st.dataframe), or a chart's table (HTML), its texts as a reader sees them."""
    tables = [d.value for d in app.dataframe] + html_tables(app)
    return next(t for t in tables if set(columns) <= set(t.columns))


def metrics(app: AppTest) -> dict[str, str]:
    """The figures of the page's metrics (`st.metric`: a label over a value), as shown."""
    return {m.label: m.value for m in app.metric}


def texts(elements) -> str:
    """The text of elements as a reader sees it (markdown escapes removed)."""
    return re.sub(r"\\(.)", r"\1", "\n".join(str(e.value) for e in elements))


def events(db_path) -> list[tuple[str, str, str]]:
    return [(e["annotator"], e["action"], e["generation_id"])
            for e in server_store(db_path).review_events()]  # fmt: skip


@pytest.fixture(scope="module")
def pairs_template(tmp_path_factory):
    """A database with the demo snippets and five validated pairs, made once."""
    path = tmp_path_factory.mktemp("template") / "pairs.duckdb"
    with Store(path) as store:
        load_demo(store)
        result = run_pipeline(store, PipelineSettings(limit=5, **FAST))
        assert result.state == "done"
    return path


@pytest.fixture
def pairs_db(pairs_template, tmp_path):
    path = tmp_path / "pairs.duckdb"
    shutil.copy(pairs_template, path)
    return path


def review(monkeypatch, db_path, annotator: str = "ada") -> AppTest:
    app = start_app(monkeypatch, db_path)
    app.switch_page("pages/review.py").run()
    app.sidebar.text_input(key="annotator").input(annotator).run()
    assert not app.exception
    return app


def open_box(app: AppTest, key: str, is_open: bool = True) -> AppTest:
    """Open (or close) the expander `key` as a click on it does: the Review page draws a
    box's content only while it is open."""
    app.session_state[key] = is_open
    return app.run()


def shown_pair(app: AppTest) -> str:
    """The id of the pair on the Review page, from its caption."""
    caption = next(c.value for c in app.caption if "in your queue" in c.value)
    return caption.split("id `")[1].split("`")[0]


# -- every page renders -----------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_database_with_a_hint(monkeypatch, db_path, page):
    app = start_app(monkeypatch, db_path)
    app.switch_page(page).run()
    if page == "pages/review.py":
        assert "annotator name" in texts(app.warning)
        app.sidebar.text_input(key="annotator").input("ada").run()
    assert not app.exception
    hints = texts(app.info)
    expected = {"app.py": "semi ingest", "pages/run.py": "Load the demo data",
                "pages/review.py": "No pairs yet"}[page]  # fmt: skip
    assert expected in hints


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_the_demo_data_and_pairs(monkeypatch, pairs_db, page):
    app = start_app(monkeypatch, pairs_db)
    app.switch_page(page).run()
    app.sidebar.text_input(key="annotator").input("ada").run()
    assert not app.exception
    assert app.title[0].value == {"app.py": "Overview", "pages/run.py": "Run",
                                  "pages/review.py": "Review"}[page]  # fmt: skip
    assert f"`{pairs_db}`" in texts(app.sidebar.caption)  # app.py's sidebar is there


def test_empty_database_shows_zero_counts_and_a_hint(monkeypatch, db_path):
    app = start_app(monkeypatch, db_path, load_demo_on_start=False)
    assert not app.exception
    assert metrics(app)["Snippets"] == "0"
    assert any("semi ingest" in info.value for info in app.info)


def test_first_start_loads_the_demo_and_shows_the_real_counts(monkeypatch, db_path):
    monkeypatch.setenv("SEMI_DEMO_LIMIT", "2")  # the demo's run, started too, kept short
    app = start_app(monkeypatch, db_path, load_demo_on_start=True)
    wait_for_run(db_path)
    assert not app.exception
    counts = server_store(db_path).counts()
    shown = metrics(app)
    assert int(shown["Snippets"]) == counts.entities["snippets"] > 164
    assert int(shown["Usable"]) == counts.by_status["snippets"]["usable"]
    # the snippets are listed when their box is opened (the grids there are charts' numbers)
    assert not [d for d in app.dataframe if "rejection_detail" in d.value.columns]
    table = table_with(open_box(app, "overview_snippets"), "rejection_detail")
    assert len(table) == min(500, counts.entities["snippets"])


def test_overview_shows_real_counts_and_recent_runs(monkeypatch, pairs_db):
    app = start_app(monkeypatch, pairs_db)
    counts = server_store(pairs_db).counts()
    shown = metrics(app)
    assert int(shown["Generations"]) == counts.entities["generations"] == 5
    assert int(shown["Validated"]) == counts.by_status["verdicts"].get("validated", 0)
    runs = table_with(app, "run")
    stored = server_store(pairs_db).runs()
    assert list(runs["run"]) == [r["id"] for r in stored] and set(runs["state"]) == {"done"}
    assert 5 in list(runs["generated"])


def test_search_filters_the_snippet_table(monkeypatch, db_path):
    with Store(db_path) as store:
        load_demo(store)
    app = open_box(start_app(monkeypatch, db_path, load_demo_on_start=False), "overview_snippets")
    app.text_input(key="overview_search").input("has_close_elements").run()
    table = table_with(app, "rejection_detail")
    assert list(table["name"]) == ["has_close_elements"]
    # closed and opened again, the box still holds the search
    open_box(open_box(app, "overview_snippets", False), "overview_snippets")
    assert list(table_with(app, "rejection_detail")["name"]) == ["has_close_elements"]
    app.selectbox(key="overview_which").select("rejected").run()
    assert app.info  # no rejected snippet matches that name


def test_a_held_database_shows_one_message_not_a_traceback(monkeypatch, db_path):
    with held_by_another_process(db_path) as holder:
        for page in PAGES:
            app = start_app(monkeypatch, db_path, load_demo_on_start=False)
            app.switch_page(page).run()
            assert not app.exception
            assert f"is in use by PID {holder.pid}" in texts(app.error)


# -- Run ----------------------------------------------------------------------------------------


def wait_for_run(db_path, timeout: float = 180) -> None:
    from studio.shared import _job_runner

    assert _job_runner(str(db_path)).wait(timeout)


def start_run(app: AppTest, **choices) -> AppTest:
    for key, value in choices.items():
        widget = {"backend": app.selectbox, "endpoint": app.text_input, "model": app.text_input,
                  "limit": app.number_input, "inputs": app.number_input,
                  "strength": app.checkbox, "source": app.radio, "path": app.text_input,
                  "concurrency": app.number_input}[key](key=f"run_{key}")  # fmt: skip
        widget.set_value(value)
    return app.button(key="FormSubmitter:run_settings-Start run").click().run()


def test_starting_a_run_makes_pairs_and_the_page_shows_them(monkeypatch, db_path):
    with Store(db_path) as store:
        load_demo(store)
    app = start_app(monkeypatch, db_path)
    app.switch_page("pages/run.py").run()
    start_run(app, limit=3, inputs=5, strength=False)
    assert not app.exception and not app.error
    assert "running" in texts(app.subheader) or "done" in texts(app.subheader)
    wait_for_run(db_path)
    counts = server_store(db_path).counts()
    assert counts.entities["generations"] == 3
    assert sum(counts.by_status["verdicts"].values()) == 3
    app.run()
    assert any(s.value.endswith(": done") for s in app.subheader)
    cards = [e.label for e in app.expander]
    assert len([c for c in cards if "tests pass" in c]) == 3  # instruction, code, tally
    assert any(language == "python" for _, language in code_blocks(app))
    run = server_store(db_path).runs(limit=1)[0]
    assert run["state"] == "done" and run["params"]["limit"] == 3


def test_a_run_with_the_openai_backend_and_no_endpoint_fails_with_a_clear_message(
    monkeypatch, pairs_db
):
    app = start_app(monkeypatch, pairs_db)
    app.switch_page("pages/run.py").run()
    start_run(app, backend="openai", limit=2)
    wait_for_run(pairs_db)
    app.run()
    assert not app.exception
    message = texts(app.error)
    assert "OPENAI_API_KEY" in message and "Traceback" not in message
    assert any(s.value.endswith(": failed") for s in app.subheader)
    assert server_store(pairs_db).runs(limit=1)[0]["state"] == "failed"


def test_a_running_run_can_be_cancelled_from_the_page(monkeypatch, pairs_db):
    app = start_app(monkeypatch, pairs_db)
    app.switch_page("pages/run.py").run()
    start_run(app, limit=0, strength=True)  # every snippet, with mutants: long enough
    assert any(s.value.endswith(": running") for s in app.subheader)
    app.button(key="cancel_run").click().run()
    wait_for_run(pairs_db)
    app.run()
    assert any(s.value.endswith(": cancelled") for s in app.subheader)
    assert server_store(pairs_db).runs(limit=1)[0]["state"] == "cancelled"


def test_a_path_to_ingest_must_exist(monkeypatch, pairs_db, tmp_path):
    app = start_app(monkeypatch, pairs_db)
    app.switch_page("pages/run.py").run()
    missing = str(tmp_path / "nowhere")
    start_run(app, source="A file, folder or dataset to ingest first", path=missing)
    assert f"No such file or folder on the server: {missing}" in texts(app.error)


def test_a_run_can_ingest_a_folder_first(monkeypatch, db_path, tmp_path):
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "small.py").write_text("def double(x):\n    return 2 * x\n")
    app = start_app(monkeypatch, db_path)
    app.switch_page("pages/run.py").run()
    start_run(app, source="A file, folder or dataset to ingest first", path=str(folder),
              inputs=5, strength=False)  # fmt: skip
    wait_for_run(db_path)
    store = server_store(db_path)
    assert [s["name"] for s in store.snippets()] == ["double"]
    assert store.counts().entities["generations"] == 1


def test_load_the_demo_data_from_an_empty_run_page(monkeypatch, db_path):
    app = start_app(monkeypatch, db_path)
    app.switch_page("pages/run.py").run()
    app.button(key="load_demo").click().run()
    assert not app.exception
    assert server_store(db_path).count_snippets() > 164


# -- Review --------------------------------------------------------------------------------------


def test_accept_reject_skip_and_undo_are_written_at_once_with_the_annotator(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    first = shown_pair(app)
    assert app.query_params["pair"] == [first] or app.query_params["pair"] == first

    app.button(key="accept").click().run()
    assert events(pairs_db) == [("ada", "accept", first)]
    second = shown_pair(app)
    assert second != first and "accept recorded" in texts(app.toast)

    app.text_input(key=f"note_{second}").input("names are unclear").run()
    app.button(key="reject").click().run()
    assert events(pairs_db)[-1] == ("ada", "reject", second)
    assert server_store(pairs_db).review_events()[-1]["note"] == "names are unclear"
    third = shown_pair(app)

    app.button(key="skip").click().run()
    assert events(pairs_db)[-1] == ("ada", "skip", third)
    assert shown_pair(app) not in (first, second, third)

    app.button(key="undo").click().run()  # undoes the skip: back to that pair
    assert events(pairs_db)[-1][:2] == ("ada", "undo")
    assert shown_pair(app) == third
    assert server_store(pairs_db).decisions(second) == {"ada": "reject"}
    assert "Undid skip" in texts(app.toast)


def test_the_place_is_kept_by_pair_id_across_a_new_session(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    app.button(key="skip").click().run()  # the first pair goes to the end of the queue
    place = shown_pair(app)
    # A reload: a new session with the URL's query parameters (annotator and pair).
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    again.query_params.update({"annotator": "ada", "pair": place})
    again.run()
    again.switch_page("pages/review.py").run()
    assert not again.exception
    assert again.sidebar.text_input(key="annotator").value == "ada"
    assert shown_pair(again) == place


def test_a_link_to_a_pair_already_decided_opens_that_pair(monkeypatch, pairs_db):
    store = server_store(pairs_db)
    first = store.review_queue("ada")[0]["id"]
    from semi_core.review import decide

    decide(store, first, "ada", "accept")  # decided in another tab: out of ada's queue
    monkeypatch.setenv("SEMI_DB", str(pairs_db))
    monkeypatch.setenv("SEMI_LOAD_DEMO", "0")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params.update({"annotator": "ada", "pair": first})
    app.run()
    app.switch_page("pages/review.py").run()
    assert shown_pair(app) == first
    assert "not in your queue" in texts(app.caption)
    # A filter changed: back to the queue, which has every pair but the decided one.
    open_box(app, "f_open")
    app.checkbox(key="f_decided").check().run()
    app.checkbox(key="f_decided").uncheck().run()
    assert shown_pair(app) != first and "in your queue" in texts(app.caption)


def test_votes_are_independent_until_this_annotator_decides(monkeypatch, pairs_db):
    with Store(pairs_db) as store:
        set_overlap(store, 1.0)  # every pair goes to two annotators
    ada = review(monkeypatch, pairs_db, "ada")
    pair = shown_pair(ada)
    ada.text_input(key=f"note_{pair}").input("looks right").run()
    ada.button(key="accept").click().run()
    bob = review(monkeypatch, pairs_db, "bob")
    assert shown_pair(bob) == pair  # ada's decision does not take it from bob's queue
    bob.button(key="reject").click().run()
    assert server_store(pairs_db).decisions(pair) == {"ada": "accept", "bob": "reject"}
    cy = review(monkeypatch, pairs_db, "cy")  # a third reviewer: the others' votes hidden
    assert pair not in server_store(pairs_db).review_queue_ids("cy")[0]  # two hold it
    cy.session_state["review_pair"] = cy.session_state["review_link"] = pair  # a link
    cy.run()
    assert shown_pair(cy) == pair
    assert "No decisions yet." in texts(cy.caption)
    assert "ada" not in texts(cy.caption) and "looks right" not in html_text(cy)
    cy.button(key="skip").click().run()  # a skip is no vote: still hidden
    cy.session_state["review_pair"] = cy.session_state["review_link"] = pair
    cy.run()
    assert "ada" not in texts(cy.caption) and "looks right" not in html_text(cy)
    cy.button(key="accept").click().run()
    cy.session_state["review_pair"] = cy.session_state["review_link"] = pair
    cy.run()
    history = table_with(cy, "annotator")
    assert list(zip(history["annotator"], history["action"], strict=True)) == [
        ("ada", "accept"), ("bob", "reject"), ("cy", "skip"), ("cy", "accept")]  # fmt: skip
    assert "ada: accept · bob: reject · cy: accept" in texts(cy.caption)
    assert "looks right" in html_text(cy)


def html_text(app: AppTest) -> str:
    """Everything the page's tables (grids) and HTML hold, as one text."""
    tables = [d.value.to_csv(index=False) for d in app.dataframe]
    return "".join([*tables, *(e.proto.body for e in app.get("html"))])


def test_edit_and_revalidate_records_the_edit_and_shows_changed_tests(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    pair_id = shown_pair(app)
    store = server_store(pairs_db)
    before = store.generation(pair_id)
    broken = before["code"] + "\n\n" + "\n".join(
        ["_original = " + before["entry_point"], f"def {before['entry_point']}(*args):",
         "    return 'changed'"])  # fmt: skip
    assert not app.text_area  # the form is drawn when its box is opened
    open_box(app, "edit_open")
    form_areas = [a for a in app.text_area if a.label in ("Instruction", "Code")]
    form_areas[0].input("Say what the code does.")
    form_areas[1].input(broken)
    app.button(key=f"FormSubmitter:edit_{pair_id}-Save and revalidate").click().run()
    assert not app.exception
    after = store.generation(pair_id)
    assert (after["instruction"], after["code"]) == ("Say what the code does.", broken)
    edit = store.review_events(pair_id)[-1]
    assert edit["action"] == "edit" and edit["payload"]["before"]["code"] == before["code"]
    assert len(store.verdict_history(pair_id)) == 2
    assert store.latest_verdict(pair_id)["status"] != "validated"
    assert "Tests changed by the edit" in texts(app.markdown)
    changes = table_with(app, "before")  # the changed tests
    assert set(changes["after"]) - {"ok"}
    # the pair's test table marks exactly its failing tests
    from semi_core.review import test_table

    failing = {row["#"] for row in test_table(store, pair_id) if row["failing"]}
    shown = table_with(app, "#", "expected")
    assert failing and set(shown["#"][shown["result"] == FAILED]) == failing


def test_an_edit_that_does_not_parse_is_refused_with_the_reason(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    pair_id = shown_pair(app)
    code = next(a for a in open_box(app, "edit_open").text_area if a.label == "Code")
    code.input("def broken(:\n")
    app.button(key=f"FormSubmitter:edit_{pair_id}-Save and revalidate").click().run()
    assert "does not parse" in texts(app.error)
    assert server_store(pairs_db).review_events(pair_id) == []


def test_rerun_validation_adds_a_validation_run_to_the_history(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    pair_id = shown_pair(app)
    app.button(key="rerun").click().run()
    assert not app.exception
    assert len(server_store(pairs_db).verdict_history(pair_id)) == 2


def test_filters_reach_the_queue(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    store = server_store(pairs_db)
    queue = store.review_queue("ada")
    name = queue[2]["name"]
    open_box(app, "f_open")
    app.text_input(key="f_search").input(name).run()
    assert shown_pair(app) == queue[2]["id"]
    assert "1 of 1 in your queue" in texts(app.caption)
    # The box closed, its widgets are not drawn, and the filter still holds.
    open_box(app, "f_open", False)
    assert "f_search" not in [t.key for t in app.text_input]
    assert "f_status" not in [b.key for b in app.button_group]
    assert shown_pair(app) == queue[2]["id"] and "1 of 1 in your queue" in texts(app.caption)
    assert app.expander[0].label == "Filters (active)"
    open_box(app, "f_open")
    assert app.text_input(key="f_search").value == name
    app.text_input(key="f_search").input("it's a 'quoted' %_ search").run()  # bound, not spliced
    assert not app.exception and "Nothing to review" in texts(app.info)
    app.text_input(key="f_search").input("").run()
    source = queue[0]["source"]
    app.selectbox(key="f_source").select(source).run()
    assert "in your queue" in texts(app.caption)
    app.button_group(key="f_status").select("refused").run()
    assert "Nothing to review" in texts(app.info)


def test_llm_text_is_shown_as_text_never_as_markup(monkeypatch, pairs_db):
    app = review(monkeypatch, pairs_db)
    pair_id = shown_pair(app)
    store = server_store(pairs_db)
    hostile = "<script>alert(1)</script> **bold** [link](http://x) :red[x]"
    code = "def f():\n    return '<script>alert(1)</script>'"
    store.update_generation(pair_id, hostile, code)
    app.run()
    assert code in [text for text, _ in code_blocks(app)]  # a code block: shown verbatim
    # The instruction is Markdown (as a model reads it), its HTML never run: shown by
    # st.markdown without HTML, which Streamlit draws as text.
    (instruction,) = [m for m in app.markdown if m.value == hostile]
    assert not instruction.proto.allow_html
    assert all("<script>" not in m.value for m in app.markdown if m.proto.allow_html)
    # A note is data too: the history table (HTML) shows it as typed, escaped, never markup.
    app.text_input(key=f"note_{pair_id}").input(hostile).run()
    app.button(key="skip").click().run()
    app.session_state["review_pair"] = pair_id
    app.run()
    assert list(table_with(app, "annotator", "note")["note"]) == [hostile]
    assert all("<script>" not in e.proto.body for e in app.get("html"))


# -- sign in --------------------------------------------------------------------------------------


def test_with_accounts_a_reviewer_signs_in_and_decisions_carry_the_account(monkeypatch, pairs_db):
    monkeypatch.setenv("SEMI_DB", str(pairs_db))
    monkeypatch.setenv("SEMI_LOAD_DEMO", "0")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.secrets["annotators"] = {"ada": hash_password("correct horse")}
    app.run()
    app.switch_page("pages/review.py").run()
    assert [title.value for title in app.title] == ["Sign in"]  # and nothing of Review
    name, password = app.text_input
    name.input("ada")
    password.input("wrong")
    app.button[0].click().run()
    assert "wrong password" in texts(app.error)
    name, password = app.text_input
    name.input("ada")
    password.input("correct horse")
    app.button[0].click().run()
    assert not app.exception
    assert "Signed in as **ada**" in texts(app.sidebar.caption)
    pair = shown_pair(app)
    app.button(key="accept").click().run()
    assert events(pairs_db) == [("ada", "accept", pair)]


def test_the_run_page_refuses_to_start_without_snippets(monkeypatch, db_path):
    app = start_app(monkeypatch, db_path)
    app.switch_page("pages/run.py").run()
    start_run(app)
    assert "no snippets to work on" in texts(app.error)
    from studio.shared import _job_runner

    assert _job_runner(str(db_path)).status().run_id is None
