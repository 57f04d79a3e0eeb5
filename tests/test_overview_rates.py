"""Overview's rates on a store where generations outnumber snippets (two backends
answered every snippet): each rate is a share of its own denominator, so 0–100%."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from semi_core import insights
from semi_core.llm_server import LocalLLMServer
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.sources import ingest
from semi_core.store import Store

from .conftest import ROOT, write
from .test_app import table_with

FAST = dict(inputs_per_pair=5, test_strength=False)
FUNCTIONS = {
    "double": "def double(x):\n    return 2 * x\n",
    "clamp": "def clamp(value, low, high):\n    return max(low, min(value, high))\n",
    "halve": "def halve(x):\n    return x / 2\n",
}


@pytest.fixture
def two_backends(db_path, tmp_path):
    """Every snippet with a pair from the offline backend and one from an LLM endpoint."""
    for name, code in FUNCTIONS.items():
        write(tmp_path / "corpus" / f"{name}.py", code)
    write(tmp_path / "corpus" / "broken.py", "def broken(:\n    pass\n")  # not usable
    with Store(db_path) as store:
        ingest(store, [tmp_path / "corpus"])
        assert run_pipeline(store, PipelineSettings(**FAST)).state == "done"
        with LocalLLMServer() as server:
            settings = PipelineSettings(backend="openai", base_url=server.base_url,
                                        model=server.model, **FAST)  # fmt: skip
            assert run_pipeline(store, settings).state == "done"
        counts = store.counts()
        assert counts.by_status["generations"]["ok"] > counts.by_status["snippets"]["usable"]
    return db_path


def test_every_rate_is_a_share_of_its_own_denominator(two_backends):
    with Store(two_backends) as store:
        rates = insights.rates(store)
    assert rates["generated / usable"] == 1.0  # every usable snippet has a pair
    assert all(0.0 <= value <= 1.0 for value in rates.values() if value is not None), rates


def test_the_overview_shows_no_rate_above_100_percent(monkeypatch, two_backends):
    monkeypatch.setenv("SEMI_DB", str(two_backends))
    monkeypatch.setenv("SEMI_LOAD_DEMO", "0")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not app.exception
    shown = table_with(app, "rate", "value")
    percents = [float(v.rstrip("%")) for v in shown["value"] if v != "–"]
    assert percents and all(0.0 <= p <= 100.0 for p in percents), shown.to_dict("records")
