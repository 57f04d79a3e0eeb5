"""Sign-in in Streamlit's AppTest, with accounts in the secrets: a visitor who has not
signed in sees the sign-in and nothing else on every page; an annotator reviews but finds
no action of an admin; an admin does it all; failed sign-ins are slowed down by the
server, across sessions."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from semi_core.auth import SIGN_IN_THROTTLE, hash_password
from semi_core.demo import load_demo
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.review import decide
from semi_core.store import Store

from .conftest import ROOT
from .test_app import events, server_store, shown_pair, start_run, texts, wait_for_run

ACCOUNTS = {"ada": hash_password("ada's password"), "lin": hash_password("lin's password")}
ROLES = {"lin": "admin"}
PAGES = {
    "app.py": "Overview", "pages/run.py": "Run", "pages/review.py": "Review",
    "pages/walkthrough.py": "Walkthrough", "pages/rankings.py": "Rankings",
    "pages/failures.py": "Failures", "pages/agreement.py": "Agreement",
    "pages/export.py": "Export", "pages/settings.py": "Prompt and settings",
}  # fmt: skip
# page -> the buttons only an admin is given there
ADMIN_ACTIONS = {
    "pages/run.py": {"Start run"},
    "pages/settings.py": {"Save settings", "Save as new version", "Save the decision rule"},
    "pages/export.py": {"Preview export"},
    "pages/walkthrough.py": {"Generate"},
    "pages/agreement.py": {"Final accept", "Final reject"},
}


@pytest.fixture(autouse=True)
def no_failures_remembered():
    """The server's memory of failed sign-ins lives in this process: each test starts
    without any, and leaves none for the tests after it."""
    SIGN_IN_THROTTLE.clear()
    yield
    SIGN_IN_THROTTLE.clear()


@pytest.fixture(scope="module")
def disputed_template(tmp_path_factory):
    """The demo snippets, three validated pairs, one of them in dispute."""
    path = tmp_path_factory.mktemp("signin") / "pairs.duckdb"
    with Store(path) as store:
        load_demo(store)
        settings = PipelineSettings(limit=3, inputs_per_pair=5, test_strength=False)
        assert run_pipeline(store, settings).state == "done"
        first = store.pair_overview()[0]["id"]
        decide(store, first, "ada", "accept")
        decide(store, first, "bob", "reject")
    return path


@pytest.fixture
def disputed_db(disputed_template, tmp_path):
    path = tmp_path / "pairs.duckdb"
    shutil.copy(disputed_template, path)
    return path


def open_studio(monkeypatch, db_path) -> AppTest:
    monkeypatch.setenv("SEMI_DB", str(db_path))
    monkeypatch.setenv("SEMI_LOAD_DEMO", "0")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SEMI_MODEL", "SEMI_PROMPT_TEMPLATE"):
        monkeypatch.delenv(name, raising=False)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.secrets["annotators"] = ACCOUNTS
    app.secrets["roles"] = ROLES
    return app.run()


def sign_in(app: AppTest, name: str, password: str) -> AppTest:
    app.text_input(key="sign_in_name").input(name)
    app.text_input(key="sign_in_password").input(password)
    return app.button(key="FormSubmitter:sign_in-Sign in").click().run()


def buttons(app: AppTest) -> set[str]:
    return {button.label for button in app.button}


def test_a_visitor_who_has_not_signed_in_sees_the_sign_in_and_nothing_else(
    monkeypatch, disputed_db
):
    app = open_studio(monkeypatch, disputed_db)
    for page in PAGES:
        app.switch_page(page).run()
        assert not app.exception
        assert [title.value for title in app.title] == ["Sign in"], page
        assert buttons(app) == {"Sign in"}, page
        assert not app.sidebar.caption and not app.sidebar.button  # no database, no sign-out
        assert not app.dataframe and not app.get("html")  # no page content


def test_a_deep_link_opens_its_page_once_signed_in(monkeypatch, disputed_db):
    app = open_studio(monkeypatch, disputed_db)
    app.switch_page("pages/export.py").run()
    sign_in(app, "lin", "lin's password")
    assert not app.exception
    assert app.title[0].value == "Export"
    assert "Signed in as **lin** · admin" in texts(app.sidebar.caption)


def test_an_annotator_reviews_but_finds_no_action_of_an_admin(monkeypatch, disputed_db):
    app = open_studio(monkeypatch, disputed_db)
    sign_in(app, "ada", "ada's password")
    assert "Signed in as **ada** · annotator" in texts(app.sidebar.caption)
    for page, title in PAGES.items():
        app.switch_page(page).run()
        assert not app.exception, page
        assert app.title[0].value == title
        assert not buttons(app) & ADMIN_ACTIONS.get(page, set()), page
        if page in ADMIN_ACTIONS:
            assert "only an admin may" in texts(app.info).lower(), page
    before = server_store(disputed_db).settings()
    app.switch_page("pages/review.py").run()
    pair = shown_pair(app)
    app.button(key="accept").click().run()
    assert ("ada", "accept", pair) in events(disputed_db)
    assert server_store(disputed_db).settings() == before


def test_an_admin_changes_settings_and_has_every_action(monkeypatch, disputed_db):
    app = open_studio(monkeypatch, disputed_db)
    sign_in(app, "lin", "lin's password")
    for page, actions in ADMIN_ACTIONS.items():
        app.switch_page(page).run()
        assert not app.exception, page
        assert actions <= buttons(app), page
    app.switch_page("pages/settings.py").run()
    app.number_input(key="settings_min_tests").set_value(4)
    app.button(key="FormSubmitter:settings_form-Save settings").click().run()
    assert "Settings saved." in texts(app.success)
    assert server_store(disputed_db).settings()["min_usable_tests"] == 4
    app.switch_page("pages/review.py").run()
    pair = shown_pair(app)
    app.button(key="accept").click().run()
    assert ("lin", "accept", pair) in events(disputed_db)


def test_while_an_admin_s_run_goes_on_an_annotator_finds_no_cancel(monkeypatch, disputed_db):
    admin = open_studio(monkeypatch, disputed_db)
    sign_in(admin, "lin", "lin's password")
    admin.switch_page("pages/run.py").run()
    start_run(admin, limit=0, strength=True)  # every snippet, with mutants: long enough
    assert "Cancel run" in buttons(admin)
    annotator = open_studio(monkeypatch, disputed_db)  # another session of the same server
    sign_in(annotator, "ada", "ada's password")
    annotator.switch_page("pages/run.py").run()
    assert not {"Cancel run", "Start run"} & buttons(annotator)
    assert server_store(disputed_db).runs(limit=1)[0]["state"] == "running"
    admin.button(key="cancel_run").click().run()
    wait_for_run(disputed_db)
    assert server_store(disputed_db).runs(limit=1)[0]["state"] == "cancelled"


def test_signing_out_leaves_only_the_sign_in(monkeypatch, disputed_db):
    app = open_studio(monkeypatch, disputed_db)
    sign_in(app, "lin", "lin's password")
    app.switch_page("pages/settings.py").run()
    app.sidebar.button(key="sign_out").click().run()
    assert [title.value for title in app.title] == ["Sign in"]
    assert buttons(app) == {"Sign in"}


def test_failed_sign_ins_are_slowed_down_by_the_server_not_the_session(monkeypatch, disputed_db):
    app = open_studio(monkeypatch, disputed_db)
    for _ in range(5):
        sign_in(app, "ada", "a guess")
        assert texts(app.error) == "Unknown name or wrong password."
    sign_in(app, "ada", "ada's password")  # right, but too late
    assert texts(app.error).startswith("Too many failed sign-ins: try again in ")
    assert [title.value for title in app.title] == ["Sign in"]
    fresh = open_studio(monkeypatch, disputed_db)  # a new session does not start afresh
    sign_in(fresh, "ada", "ada's password")
    assert texts(fresh.error).startswith("Too many failed sign-ins")
    assert [title.value for title in fresh.title] == ["Sign in"]
    sign_in(fresh, "lin", "lin's password")  # another account is not locked out
    assert not fresh.error
    assert fresh.title[0].value == "Overview"


def test_accounts_that_cannot_be_read_keep_every_page_closed(monkeypatch, disputed_db):
    monkeypatch.setenv("SEMI_DB", str(disputed_db))
    monkeypatch.setenv("SEMI_LOAD_DEMO", "0")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.secrets["annotators"] = ["ada", "lin"]  # a list, not a table of name = hash
    app.run()
    for page in PAGES:
        app.switch_page(page).run()
        assert not app.exception
        assert "Nobody can sign in until the secrets are fixed" in texts(app.error)
        assert not app.title and not app.button, page
