"""The server's OPENAI_API_KEY goes only to the endpoint its environment names or to the
one saved in the studio's settings: a run naming any other endpoint does not carry it.
Checked on the Authorization header the real local OpenAI-compatible server receives."""

from __future__ import annotations

import pytest

from semi_core.generate.base import SnippetView
from semi_core.generate.openai_backend import (
    PLACEHOLDER_API_KEY,
    OpenAIBackend,
    may_receive_server_key,
)
from semi_core.llm_server import LocalLLMServer
from semi_core.pipeline import PipelineSettings

from .conftest import run_semi, write

SERVER_KEY = "sk-the-server-s-own-key"


def snippet(name: str) -> SnippetView:
    """A new snippet each time: the store caches answers, and a cached one sends nothing."""
    return SnippetView(id=name, code=f"def {name}(a, b):\n    return a + b\n",
                       kind="function", entry_point=name)  # fmt: skip


@pytest.fixture
def servers(monkeypatch):
    """Two local endpoints: the one the environment names, and another one."""
    with LocalLLMServer() as configured, LocalLLMServer() as other:
        monkeypatch.setenv("OPENAI_API_KEY", SERVER_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", configured.base_url)
        monkeypatch.delenv("SEMI_MODEL", raising=False)
        yield configured, other


def authorization_sent(server: LocalLLMServer, store, base_url: str | None) -> str:
    """The Authorization header of the one request a run's backend sends to `server`."""
    settings = PipelineSettings(backend="openai", base_url=base_url, model=server.model)
    backend = OpenAIBackend.from_settings(settings, store=store)
    before = len(server.requests)
    try:
        assert backend.generate(snippet(f"f{before}")).status == "ok"
    finally:
        backend.close()
    (request,) = server.requests[before:]
    return request["authorization"]


def test_the_key_goes_to_the_endpoint_the_environment_names(servers, store):
    configured, _ = servers
    assert authorization_sent(configured, store, None) == f"Bearer {SERVER_KEY}"
    assert authorization_sent(configured, store, configured.base_url + "/") == (
        f"Bearer {SERVER_KEY}")  # fmt: skip


def test_another_local_endpoint_gets_no_key_until_it_is_saved_in_the_settings(servers, store):
    _, other = servers
    assert authorization_sent(other, store, other.base_url) == f"Bearer {PLACEHOLDER_API_KEY}"
    store.set_setting("base_url", other.base_url)  # what the settings page saves
    assert authorization_sent(other, store, other.base_url) == f"Bearer {SERVER_KEY}"


def test_a_remote_endpoint_not_configured_is_refused_with_one_sentence(servers, store):
    settings = PipelineSettings(backend="openai", base_url="https://collector.example/v1",
                                model="m")  # fmt: skip
    with pytest.raises(ValueError) as refused:
        OpenAIBackend.from_settings(settings, store=store)
    message = str(refused.value)
    assert "OPENAI_API_KEY" in message and "https://collector.example/v1" in message
    assert SERVER_KEY not in message


def test_a_key_given_with_the_run_is_sent_where_the_run_says(servers):
    _, other = servers
    backend = OpenAIBackend(base_url=other.base_url, model=other.model, api_key="sk-own")
    try:
        backend.generate(snippet("mine"))
    finally:
        backend.close()
    assert other.requests[-1]["authorization"] == "Bearer sk-own"


def test_the_rule_as_a_function(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://llm.internal:8000/v1")
    assert may_receive_server_key(None)
    assert may_receive_server_key("HTTP://LLM.internal:8000/v1/")
    assert not may_receive_server_key("http://llm.internal:8001/v1")
    assert may_receive_server_key("https://saved.example/v1", "https://saved.example/v1")
    assert not may_receive_server_key("https://saved.example/v1/other", "https://saved.example/v1")
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert may_receive_server_key(None)  # OpenAI's own endpoint, the client's default
    assert may_receive_server_key("https://api.openai.com/v1")
    assert not may_receive_server_key("https://api.openai.com.evil.example/v1")


def test_the_command_line_refuses_a_remote_endpoint_with_the_sentence(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", SERVER_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    db = tmp_path / "cli.duckdb"
    source = write(tmp_path / "code" / "add.py", "def add(a, b):\n    return a + b\n")
    assert run_semi("ingest", str(source), db=db).returncode == 0
    refused = run_semi("generate", "--backend", "openai", "--model", "m",
                       "--base-url", "https://collector.example/v1", db=db)  # fmt: skip
    assert refused.returncode != 0
    assert "OPENAI_API_KEY is sent only to the endpoint in OPENAI_BASE_URL" in refused.stderr
    assert "Traceback" not in refused.stderr and SERVER_KEY not in refused.stderr
