"""The repair loop against the local OpenAI-compatible server over real HTTP, with real
DuckDB files and real sandbox workers: `semi run --repair-attempts 1` turns the
mismatches of a model wrong at first into validated pairs, every attempt is stored and
shown in Review, a model wrong twice leaves a mismatch with both attempts, and repair
requests go through the response cache and the retries as first requests do."""

from __future__ import annotations

from semi_core.generate.base import RepairTask
from semi_core.generate.openai_backend import OpenAIBackend
from semi_core.llm_server import LocalLLMServer
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.repair import REPAIRABLE, attempt_diffs, attempts, repair_task
from semi_core.review import current_decisions, decide, edit_pair, history
from semi_core.sources import ingest
from semi_core.store import Store

from . import test_pipeline
from .conftest import run_semi
from .test_app import open_box, review, server_store, wait_for_run
from .test_app_jobs import run_page
from .test_pipeline import FAST, FUNCTIONS

corpus = test_pipeline.corpus
pool = test_pipeline.pool

EVERY_SNIPPET = "def "  # a rule's needle found in every prompt of this corpus


def semi_run(db, server: LocalLLMServer, *args: str):
    result = run_semi("run", *args, "--backend", "openai", "--base-url", server.base_url,
                      "--model", server.model, "--inputs-per-pair", "6",
                      "--no-test-strength", db=db)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result


def openai_settings(server: LocalLLMServer, repair_attempts: int) -> PipelineSettings:
    return PipelineSettings(backend="openai", base_url=server.base_url, model=server.model,
                            repair_attempts=repair_attempts, **FAST)  # fmt: skip


def run_without_repair(store: Store, corpus, pool, server: LocalLLMServer) -> PipelineSettings:
    """Ingest the corpus and run it once without repair; returns the run's settings."""
    ingest(store, [corpus])
    settings = openai_settings(server, repair_attempts=0)
    run_pipeline(store, settings, pool=pool)
    return settings


def statuses(store: Store) -> dict[str, str]:
    return {v["generation_id"]: v["status"] for v in store.current_verdicts()}


def test_one_repair_validates_the_pairs_a_model_wrong_at_first_left_as_mismatches(
    tmp_path, corpus, monkeypatch
):
    # One store: the run without repair leaves mismatches, the run with it repairs them.
    db = tmp_path / "repair.duckdb"
    with LocalLLMServer(rules={EVERY_SNIPPET: "wrong_first"}) as server:
        semi_run(db, server, str(corpus), "--repair-attempts", "0")
        first_requests = server.request_count
        with Store(db) as store:
            mismatches = [g for g, s in statuses(store).items() if s == "mismatch"]
            assert not store.unvalidated_attempts("openai", server.model)
            # An annotator's rejection of a mismatch is made on the code it saw.
            decide(store, mismatches[0], "ada", "reject")
        assert len(mismatches) >= len(FUNCTIONS) - 1
        assert first_requests == len(FUNCTIONS)  # no repair asked for

        # Two retryable faults on the first repair requests: retried, not lost.
        server.clear_faults()
        server.add_rule("Failing tests", ["429", "500"])
        server.add_rule(EVERY_SNIPPET, "wrong_first")
        semi_run(db, server, "--repair-attempts", "1")
        repair_prompts = [r["prompt"] for r in server.requests[first_requests:]]
        assert server.faults_seen[first_requests:][:2] == ["429", "500"]

    with Store(db) as store:
        now = statuses(store)
        validated = [g for g in mismatches if now[g] == "validated"]
        assert len(validated) >= 0.8 * len(mismatches)
        # Every attempt is stored: the first, a mismatch; the repair, validated.
        for generation_id in validated:
            rows = attempts(store, generation_id)
            assert [r["attempt"] for r in rows] == [1, 2]
            assert [r["verdict_status"] for r in rows] == ["mismatch", "validated"]
            assert rows[0]["code"] != rows[1]["code"]
            assert store.generation(generation_id)["code"] == rows[1]["code"]
            assert attempt_diffs(rows)[1].startswith("--- attempt 1\n+++ attempt 2\n")
        assert store.decisions(mismatches[0]) == {}  # the rejection was on earlier code
        assert current_decisions(history(store, mismatches[0])) == {}
        run = store.runs(limit=1)[0]
        assert run["counts"]["yield"] == {"first_attempt": 0, "repaired": len(validated),
                                          "after_repair": len(validated)}  # fmt: skip
        first = next(r for r in store.runs() if r["counts"].get("validate", {}).get("done"))
        assert "yield" not in first["counts"]  # no repair asked for
    # A repair request shows the original, the rewrite and its failing tests.
    assert len(repair_prompts) == len(mismatches) + 2
    shown = next(p for p in repair_prompts if "def clamp" in p)
    assert shown.count("```python") == 2 and "Failing tests" in shown
    assert "expected (the original's output):" in shown and "the rewrite gave (wrong):" in shown
    assert shown.count("\nTest ") <= 3
    assert "after repair" in run_semi("runs", db=db).stdout

    # Review shows the attempts, each with its verdict, and the diff between them.
    app = review(monkeypatch, db)
    app.session_state["review_pair"] = app.session_state["review_link"] = validated[0]
    app.run()
    open_box(app, "attempts_open")
    assert not app.exception
    lines = [str(m.value) for m in app.markdown if "Attempt" in str(m.value)]
    assert lines[0].startswith("**Attempt 1** — mismatch")
    assert lines[1].startswith("**Attempt 2** — validated")
    diffs = [c for c in app.code if c.language == "diff"]
    assert len(diffs) == 1 and "+++ attempt 2" in diffs[0].value


def test_a_model_wrong_twice_leaves_a_mismatch_with_both_attempts_kept(store, corpus, pool):
    ingest(store, [corpus])
    with LocalLLMServer(rules={"def gcd": "wrong_code"}) as server:
        settings = openai_settings(server, repair_attempts=1)
        result = run_pipeline(store, settings, pool=pool)
        assert result.state == "done"
        assert server.request_count == len(FUNCTIONS) + 1  # gcd's one repair request
    gcd = next(g for g in statuses(store) if store.pair(g)["name"] == "gcd")
    rows = attempts(store, gcd)
    assert [(r["attempt"], r["status"], r["verdict_status"]) for r in rows] == [
        (1, "ok", "mismatch"),
        (2, "ok", "mismatch"),
    ]
    assert statuses(store)[gcd] == "mismatch"
    assert result.counts["repair"]["repaired"] == 0
    assert result.counts["yield"]["after_repair"] == result.counts["yield"]["first_attempt"]
    # A pair at its repair limit is not asked for again.
    assert not store.repair_candidates("openai", server.model, 1, REPAIRABLE)


def test_repair_requests_hit_the_response_cache_and_are_retried(store, corpus, pool):
    with LocalLLMServer(rules={EVERY_SNIPPET: "wrong_first"}) as server:
        run_without_repair(store, corpus, pool, server)
        candidates = store.repair_candidates("openai", server.model, 1, REPAIRABLE)
        tasks: list[RepairTask] = [repair_task(store, row) for row in candidates[:2]]
        backend = OpenAIBackend(base_url=server.base_url, model=server.model, cache=store,
                                backoff_s=0.01)  # fmt: skip
        try:
            before = server.request_count
            server.clear_faults()
            server.add_rule("Failing tests", ["429"])
            first = {t.generation_id: a for t, a in backend.repair_many(tasks, concurrency=2)}
            assert server.request_count == before + 3  # one retried after the 429
            again = {t.generation_id: a for t, a in backend.repair_many(tasks, concurrency=2)}
            assert server.request_count == before + 3  # answered from the cache
        finally:
            backend.close()
    assert all(answer.status == "ok" and not answer.cached for answer in first.values())
    assert sorted(answer.usage["attempts"] for answer in first.values()) == [1, 2]
    assert all(answer.cached for answer in again.values())
    assert {g: a.code for g, a in again.items()} == {g: a.code for g, a in first.items()}


def test_repair_attempts_with_a_backend_that_cannot_repair_are_refused(db_path, corpus):
    result = run_semi("run", str(corpus), "--backend", "offline", "--repair-attempts", "1",
                      db=db_path)  # fmt: skip
    assert result.returncode != 0
    assert "the offline backend does not repair pairs" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_generate_repairs_the_pairs_already_found_failing(tmp_path, corpus):
    db = tmp_path / "generate.duckdb"
    with LocalLLMServer(rules={EVERY_SNIPPET: "wrong_first"}) as server:
        semi_run(db, server, str(corpus), "--repair-attempts", "0")
        result = run_semi("generate", "--backend", "openai", "--base-url", server.base_url,
                          "--model", server.model, "--repair-attempts", "1",
                          "--no-test-strength", db=db)  # fmt: skip
        assert result.returncode == 0, result.stderr
    with Store(db) as store:
        assert sum(s == "validated" for s in statuses(store).values()) >= 0.8 * len(FUNCTIONS)
        ranked = [v for v in store.current_verdicts(["validated"]) if v["difficulty"] is None]
        assert not ranked  # the repaired pairs are ranked


def test_the_run_page_maps_repair_attempts_and_reports_the_yield(monkeypatch, db_path, corpus):
    app = run_page(monkeypatch, db_path)
    store = server_store(db_path)
    ingest(store, [corpus])
    start = "FormSubmitter:run_settings-Start run"
    app.number_input(key="run_repair_attempts").set_value(1)
    app.button(key=start).click().run()  # the offline backend: refused, nothing started
    assert "the offline backend does not repair pairs" in " ".join(e.value for e in app.error)
    assert not [r for r in store.runs() if r["kind"] == "pipeline"]
    with LocalLLMServer(rules={EVERY_SNIPPET: "wrong_first"}) as server:
        app.selectbox(key="run_backend").select("openai")
        app.text_input(key="run_endpoint").input(server.base_url)
        app.text_input(key="run_model").input(server.model)
        app.checkbox(key="run_strength").uncheck()
        app.button(key=start).click().run()
        assert not app.error
        wait_for_run(db_path, 120)
    [run] = [r for r in store.runs() if r["kind"] == "pipeline"]
    assert run["state"] == "done" and run["counts"]["repair"]["requests"] >= 1
    found = run["counts"]["yield"]
    assert found["after_repair"] >= 0.8 * len(FUNCTIONS) and found["first_attempt"] == 0
    app.run()
    caption = f"{found['first_attempt']} at the first attempt, {found['after_repair']} after repair"
    assert any(caption in str(c.value) for c in app.caption)
    # The newest pairs show their repaired code's verdict.
    cards = [e.label for e in app.expander if " — " in e.label]
    assert cards and all("— validated" in label for label in cards)


def test_a_run_stopped_after_storing_a_repair_validates_it_first_next_time(store, corpus, pool):
    with LocalLLMServer(rules={EVERY_SNIPPET: "wrong_first"}) as server:
        settings = run_without_repair(store, corpus, pool, server)
        answered = []
        settings.repair_attempts = 1
        stopped = run_pipeline(
            store, settings, pool=pool,
            on_event=lambda e: answered.append(e.done) if e.stage == "repair" else None,
            should_stop=lambda: bool(answered and answered[-1] >= 1),
        )  # fmt: skip
        assert stopped.state == "cancelled" and stopped.counts["repair"]["done"] == 1
        [waiting] = store.unvalidated_attempts("openai", server.model)
        assert store.pair(waiting)["attempt"] == 2
        assert store.latest_verdict(waiting)["status"] == "mismatch"  # attempt 1's
        requests = server.request_count
        resumed = run_pipeline(store, settings, pool=pool)
    assert resumed.state == "done"
    assert not store.unvalidated_attempts("openai", server.model)
    assert [r["verdict_status"] for r in attempts(store, waiting)] == ["mismatch", "validated"]
    # The stored repair is validated, not asked for again; the others, asked for by the
    # stopped run while in flight, come from the response cache: no new request.
    assert resumed.counts["repair"]["requests"] == len(FUNCTIONS) - 1
    assert server.request_count == requests
    assert waiting not in {row["id"] for row in store.repair_candidates(
        "openai", server.model, 1, REPAIRABLE)}  # fmt: skip
    assert resumed.counts["yield"]["after_repair"] >= 0.8 * len(FUNCTIONS) - 1


def test_an_unusable_repair_answer_is_kept_and_the_next_round_asks_again(store, corpus, pool):
    with LocalLLMServer(rules={"def gcd": "wrong_code"}) as server:
        settings = run_without_repair(store, corpus, pool, server)
        server.clear_faults()  # gcd's first repair answer is broken JSON, the second right
        server.add_rule("def gcd", ["malformed"])
        settings.repair_attempts = 2
        result = run_pipeline(store, settings, pool=pool)
    assert result.counts["repair"]["rounds"] == 2
    assert result.counts["repair"]["failed"] == 1 and result.counts["repair"]["repaired"] == 1
    gcd = next(g for g in statuses(store) if store.pair(g)["name"] == "gcd")
    rows = attempts(store, gcd)
    assert [(r["attempt"], r["status"], r["verdict_status"]) for r in rows] == [
        (1, "ok", "mismatch"),
        (2, "failed", None),
        (3, "ok", "validated"),
    ]
    assert rows[1]["error"].startswith("unusable answer")
    assert statuses(store)[gcd] == "validated"
    diffs = attempt_diffs(rows)
    assert diffs[1] == "" and diffs[2].startswith("--- attempt 1\n+++ attempt 3\n")


def test_a_pair_an_annotator_edited_is_not_repaired(store, corpus, pool):
    with LocalLLMServer(rules={EVERY_SNIPPET: "wrong_first"}) as server:
        settings = run_without_repair(store, corpus, pool, server)
        edited = next(g for g, s in statuses(store).items() if s == "mismatch")
        pair = store.generation(edited)
        edit_pair(store, edited, "ada", pair["instruction"], pair["code"] + "\n# mine\n")
        settings.repair_attempts = 1
        result = run_pipeline(store, settings, pool=pool)
    assert result.counts["repair"]["requests"] == len(FUNCTIONS) - 1
    assert store.generation(edited)["code"].endswith("# mine\n")
    assert [r["attempt"] for r in attempts(store, edited)] == [1]
