"""Validation engines: the same pairs validated by the local engine and by Ray actors on a
real local Ray instance (two CPUs) give identical verdicts and identical stored test runs;
`semi validate --engine local` never imports Ray, and `--engine ray --address` reaches a
running Ray instance."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import ray

from semi_core.engines import EngineError, make_engine, revalidate, validate_pending
from semi_core.engines.local import LocalEngine
from semi_core.engines.ray_engine import check_reachable
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.sandbox import Limits, SandboxPool
from semi_core.store import Store
from semi_core.validate import ValidationSettings

from .conftest import ROOT, run_semi, write
from .test_pipeline import FUNCTIONS

PROGRAM = "n = int(input())\nprint(sum(i * i for i in range(n)))\n"
# Rewrites that must not validate: another value (mismatch), an exception (error).
WRONG = {
    "clamp": "def clamp(value, low, high):\n    return min(value, high)\n",
    "gcd": "def gcd(a, b):\n    raise ValueError('no')\n",
}
LIMITS = Limits(timeout_s=1.0, workers=1)  # one worker per Ray actor: two actors on 2 CPUs
SETTINGS = ValidationSettings(mutant_budget=6)
TIMING = {"oracle_ms", "generated_ms"}  # the only signals allowed to differ between runs


@pytest.fixture(scope="module")
def ray_instance():
    """One local Ray instance with two CPUs for the whole module (its start-up is the
    expensive part), shut down afterwards."""
    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             object_store_memory=100 * 1024 * 1024)  # fmt: skip
    print(f"\nRay started in {time.perf_counter() - started:.1f}s")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(LIMITS) as opened:
        yield opened


def build_store(path, corpus, pool: SandboxPool) -> list[str]:
    """Real pairs: the corpus ingested and rewritten by the offline backend, two of the
    rewrites then made wrong. Returns the generation ids (content hashes: the same in
    every store built from the same corpus)."""
    with Store(path) as store:
        run_pipeline(store, PipelineSettings(inputs_per_pair=6), stages=("ingest", "generate"),
                     paths=[str(corpus)], pool=pool)  # fmt: skip
        subjects = store.generations_to_validate()
        for subject in subjects:
            name = store.snippet(subject["snippet_id"])["name"]
            if name in WRONG:
                store.update_generation(subject["id"], f"Write {name}.", WRONG[name])
        return [subject["id"] for subject in subjects]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    for name, code in FUNCTIONS.items():
        write(folder / f"{name}.py", code)
    write(folder / "squares.py", PROGRAM)
    return folder


def outcome_of(store: Store, run_id: str, generation_id: str) -> dict:
    """Everything a validation run stored for a pair, without timings."""
    verdict = next(v for v in store.verdict_history(generation_id) if v["run_id"] == run_id)
    signals = {k: v for k, v in json.loads(verdict["signals"]).items()
               if k not in TIMING}  # fmt: skip
    runs = [
        {k: v for k, v in row.items() if k not in ("id", "run_id", "duration_ms")}
        for row in store.test_runs(run_id, generation_id)
    ]
    cases = [(c["id"], c["expected"], c["oracle_status"]) for c in store.test_cases(generation_id)]
    return {
        "verdict": (verdict["status"], verdict["passed"], verdict["usable"], verdict["total"],
                    verdict["test_strength"]),
        "signals": signals,
        "runs": sorted(runs, key=lambda r: (r["position"], r["side"], r["attempt"])),
        "cases": cases,
    }  # fmt: skip


def test_local_and_ray_engines_give_identical_verdicts_and_test_runs(
    tmp_path, corpus, pool, ray_instance
):
    local_db, ray_db = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    ids = build_store(local_db, corpus, pool)
    assert build_store(ray_db, corpus, pool) == ids and len(ids) == len(FUNCTIONS) + 1

    with Store(local_db) as store:
        local_counts = validate_pending(store, pool, "v1", SETTINGS)
        local = {gid: outcome_of(store, "v1", gid) for gid in ids}
    # Small batches and pages: several batches in flight on two actors at once, and
    # pages read while earlier ones are still out.
    with (
        Store(ray_db) as store,
        make_engine("ray", SETTINGS, LIMITS, batch_size=2) as engine,
    ):
        assert len(engine.actors) == 2  # two CPUs, one worker per actor
        ray_counts = validate_pending(store, None, "v1", SETTINGS, page_size=3, engine=engine)
        remote = {gid: outcome_of(store, "v1", gid) for gid in ids}
        assert store.count_generations_to_validate() == 0

    assert ray_counts == local_counts
    statuses = local_counts["statuses"]
    assert statuses["mismatch"] >= 1 and statuses["generated_error"] >= 1
    assert statuses["validated"] >= 5
    for gid in ids:
        assert remote[gid] == local[gid], gid
    strengths = [o["verdict"][4] for o in local.values() if o["verdict"][0] == "validated"]
    assert any(s is not None and s > 0 for s in strengths)  # mutants ran on both sides


def test_revalidation_on_ray_is_a_new_run_matching_the_local_one(
    tmp_path, corpus, pool, ray_instance
):
    ids = build_store(tmp_path / "db.duckdb", corpus, pool)
    with Store(tmp_path / "db.duckdb") as store:
        revalidate(store, pool, ids, "local", SETTINGS)
        seen = []
        counts = revalidate(store, None, ids, "ray", SETTINGS, engine="ray", limits=LIMITS,
                            on_result=lambda s, r: seen.append(s["id"]))  # fmt: skip
        assert counts["validated_total"] == len(ids) and sorted(seen) == sorted(ids)
        for gid in ids:
            assert [v["run_id"] for v in store.verdict_history(gid)] == ["local", "ray"]
            local, remote = outcome_of(store, "local", gid), outcome_of(store, "ray", gid)
            assert remote["verdict"] == local["verdict"] and remote["runs"] == local["runs"]


def test_a_ray_engine_stopped_early_records_only_finished_batches(
    tmp_path, corpus, pool, ray_instance
):
    ids = build_store(tmp_path / "db.duckdb", corpus, pool)
    with (
        Store(tmp_path / "db.duckdb") as store,
        make_engine("ray", SETTINGS, LIMITS, batch_size=2) as engine,
    ):
        results = []
        counts = validate_pending(store, None, "v1", SETTINGS, engine=engine,
                                  on_result=lambda s, r: results.append(s["id"]),
                                  should_stop=lambda: len(results) >= 2)  # fmt: skip
        assert counts["stopped"] and counts["validated_total"] == len(results) == 2
        assert store.count_generations_to_validate() == len(ids) - 2
        # the same engine finishes the rest: nothing twice, nothing lost
        rest = validate_pending(store, None, "v1", SETTINGS, engine=engine)
        assert rest["validated_total"] == len(ids) - 2 and not rest["stopped"]
        assert sorted(v["generation_id"] for v in store.current_verdicts()) == sorted(ids)


def test_a_killed_ray_actor_is_restarted_and_its_batches_run_again(
    tmp_path, corpus, pool, ray_instance
):
    ids = build_store(tmp_path / "db.duckdb", corpus, pool)
    with (
        Store(tmp_path / "db.duckdb") as store,
        make_engine("ray", SETTINGS, LIMITS, batch_size=2) as engine,
    ):
        victim = ray.get(engine.actors[0].where.remote())["pid"]
        killed = []

        def kill_once(subject: dict, result: object) -> None:
            if not killed:  # an actor dies with batches queued, its pools with it
                os.kill(victim, signal.SIGKILL)
                killed.append(subject["id"])

        counts = validate_pending(store, None, "ray", SETTINGS, engine=engine,
                                  on_result=kill_once)  # fmt: skip
        assert killed and counts["validated_total"] == len(ids)
        assert ray.get(engine.actors[0].where.remote())["pid"] != victim  # a new process
        revalidate(store, pool, ids, "local", SETTINGS)
        for gid in ids:
            assert [v["run_id"] for v in store.verdict_history(gid)] == ["ray", "local"]
            local, remote = outcome_of(store, "local", gid), outcome_of(store, "ray", gid)
            assert remote["verdict"] == local["verdict"] and remote["runs"] == local["runs"]


NO_RAY_PROBE = """
import sys
from semi_core.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
print("ray imported:", "ray" in sys.modules, "exit:", code)
"""


def test_semi_validate_with_the_local_engine_never_imports_ray(tmp_path, corpus, pool):
    db = tmp_path / "db.duckdb"
    ids = build_store(db, corpus, pool)
    probe = subprocess.run(
        [sys.executable, "-c", NO_RAY_PROBE, "--db", str(db), "validate", "--engine", "local",
         "--workers", "1", "--no-test-strength"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert "ray imported: False exit: 0" in probe.stdout, probe.stderr
    with Store(db) as store:
        assert len(store.current_verdicts()) == len(ids)
        (run,) = [r for r in store.runs() if r["kind"] == "validate"]
        assert run["params"]["engine"] == "local" and run["state"] == "done"


def test_semi_validate_on_a_running_ray_instance_by_address(tmp_path, corpus, pool, ray_instance):
    db = tmp_path / "db.duckdb"
    ids = build_store(db, corpus, pool)
    address = ray_instance.get_runtime_context().gcs_address
    done = run_semi("validate", "--engine", "ray", "--address", address, "--workers", "1",
                    "--no-test-strength", db=db)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Store(db) as store:
        verdicts = store.current_verdicts()
        assert len(verdicts) == len(ids)
        assert {v["status"] for v in verdicts} >= {"validated", "mismatch", "generated_error"}
        (run,) = [r for r in store.runs() if r["kind"] == "validate"]
        assert (run["params"]["engine"], run["params"]["ray_address"]) == ("ray", address)


def test_an_unknown_engine_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown validation engine 'spark'"):
        make_engine("spark", SETTINGS, LIMITS)


def test_an_unreachable_ray_address_fails_at_once_without_starting_ray(monkeypatch):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = []
    monkeypatch.setattr(ray, "init", lambda *a, **k: started.append(a or k))
    address = f"127.0.0.1:{port}"
    for given in (address, f"ray://{address}"):
        with pytest.raises(EngineError, match=f"cannot reach the Ray cluster at {given} "):
            make_engine("ray", SETTINGS, LIMITS, address=given)
    assert started == []  # the check comes before Ray is even asked


def test_a_listening_address_passes_the_reachability_check():
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        check_reachable(f"127.0.0.1:{listening.getsockname()[1]}")  # no error
    check_reachable("auto")  # not host:port: left to Ray


def test_the_local_engine_runs_one_pool_per_worker_and_keeps_input_order(tmp_path, corpus, pool):
    """Pairs spread over two single-worker pools come back as one pool gives them, batch
    by batch in input order; a caller's one-worker pool is used as it is."""
    build_store(tmp_path / "db.duckdb", corpus, pool)
    with Store(tmp_path / "db.duckdb") as store:
        subjects = store.generations_to_validate()
        cases = store.test_cases_of(subjects)
    items = [(subject, cases[subject["id"]]) for subject in subjects]
    batches = [items[start : start + 3] for start in range(0, len(items), 3)]
    with LocalEngine(SETTINGS, LIMITS, pool) as alone:
        assert alone.pools == 1 and alone._slots.get()[0] is pool
    with LocalEngine(SETTINGS, LIMITS, pool) as alone:
        serial = list(alone.validate_batches(batches))
    with LocalEngine(SETTINGS, Limits(timeout_s=1.0, workers=2)) as engine:
        assert engine.pools == 2 and engine.batch_size >= 4
        parallel = list(engine.validate_batches(batches))
    assert [[s["id"] for s, _r in done] for done in parallel] == [
        [s["id"] for s, _c in batch] for batch in batches
    ]

    def stable(result):  # a result without its run times
        runs = [{k: v for k, v in r.items() if k != "duration_ms"} for r in result.test_runs]
        signals = {k: v for k, v in result.verdict["signals"].items() if k not in TIMING}
        return result.oracle, runs, {**result.verdict, "signals": signals}

    assert [[stable(r) for _s, r in done] for done in parallel] == [
        [stable(r) for _s, r in done] for done in serial
    ]
