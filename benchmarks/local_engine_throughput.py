"""The local validation engine before and after it ran one pool per worker, on the same
demo pairs in one run.

    python benchmarks/local_engine_throughput.py [--pairs 150] [--workers 2]

1. Pairs: the demo data, rewritten by the offline backend (`--pairs` snippets).
2. "one pool": what the local engine did first — one pool of `--workers` workers, one
   pair at a time (the oracle, the rewrite and each mutant round are sequential batches,
   so the other workers mostly wait).
3. "pools": the local engine now — `--workers` single-worker pools, a driver thread each.

Each is a revalidation run of the same pairs (test strength on), in interleaved rounds of
`--round` pairs (both engines stay open, as in one real run). Prints pairs
per second, the ratio, the resident memory summed over the sandbox processes (shared
pages counted in each; sampled when most processes are up), the load average, and
whether both runs stored the same verdicts and test runs (timings aside).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from semi_core.demo import load_demo
from semi_core.engines import Item, ValidationEngine, revalidate
from semi_core.engines.local import LocalEngine
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.sandbox import Limits, SandboxPool
from semi_core.store import Store
from semi_core.validate import (
    ValidationResult,
    ValidationSettings,
    mutant_pool_for,
    validate_generation,
)

TIMING = {"oracle_ms", "generated_ms"}


class OnePoolEngine(ValidationEngine):
    """The first local engine, kept here as the baseline: one shared pool, pair by pair."""

    name = "one-pool"
    batch_size = 4

    def __init__(self, settings: ValidationSettings, limits: Limits) -> None:
        self.settings = settings
        self.pool = SandboxPool(limits)
        self._mutants = mutant_pool_for(self.pool, settings)
        self.mutant_pool = self._mutants.__enter__()

    @classmethod
    def create(cls, settings: ValidationSettings, limits: Limits, **options: Any) -> OnePoolEngine:
        return cls(settings, limits)

    def validate_batches(
        self, batches: Iterable[list[Item]]
    ) -> Iterator[list[tuple[dict[str, Any], ValidationResult]]]:
        for batch in batches:
            yield [
                (s, validate_generation(s, c, self.pool, self.settings, self.mutant_pool))
                for s, c in batch
            ]

    def close(self) -> None:
        self._mutants.__exit__(None, None, None)
        self.pool.close()


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    children = [int(c) for c in handle.read().split()]
                found += children
                todo += children
        except OSError:
            continue
    return found


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            children += [int(c) for c in handle.read().split()]
    return children


def _measure(
    name: str,
    engine: ValidationEngine,
    store: Store,
    ids: list[str],
    into: dict[str, Any],
    owners: dict[int, str],
) -> None:
    """Validate `ids` with `engine` (run id `name`), adding its wall time, statuses, load
    average and peak sandbox memory to `into`. `owners`: which engine started each pool
    process (a direct child of this process): the other engine's idle pools are not
    counted."""
    running = threading.Event()
    running.set()

    def sample() -> None:
        while running.is_set():
            mine = []
            for child in _children(os.getpid()):
                # a pool starting forks this (large) process for a moment before its
                # zygote execs: only a child that has exec'd is a pool's
                if owners.setdefault(child, name) == name and _rss_mb([child]) < 100:
                    mine += [child, *_descendants(child)]
            rss = _rss_mb(mine)
            if (len(mine), rss) > (into["processes"], into["rss_mb"]):
                into.update(rss_mb=rss, processes=len(mine))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    into["load"].append(os.getloadavg()[0])
    started = time.perf_counter()
    counts = revalidate(store, None, ids, name, engine.settings, engine=engine)
    into["seconds"] += time.perf_counter() - started
    running.clear()
    sampler.join()
    into["statuses"].update({k: v for k, v in counts["statuses"].items() if v})


def _stored(store: Store, run_id: str, gid: str) -> tuple:
    verdict = next(v for v in store.verdict_history(gid) if v["run_id"] == run_id)
    runs = sorted(
        tuple((k, v) for k, v in row.items() if k not in ("id", "run_id", "duration_ms"))
        for row in store.test_runs(run_id, gid)
    )
    return (verdict["status"], verdict["passed"], verdict["usable"], verdict["test_strength"],
            tuple(runs))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=150)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--round", type=int, default=25, help="pairs per interleaved round")
    options = parser.parse_args()
    db = Path(tempfile.mkdtemp()) / "bench.duckdb"
    pipeline = PipelineSettings(workers=options.workers)
    settings, limits = pipeline.validation(), pipeline.limits()  # what `semi run` uses
    with Store(db) as store:
        load_demo(store)
        run_pipeline(store, PipelineSettings(limit=options.pairs), stages=("generate",))
        ids = [s["id"] for s in store.generations_to_validate()]
        print(f"{len(ids)} pairs, {options.workers} workers, {os.cpu_count()} CPUs")
        resources = ExitStack()
        owners: dict[int, str] = {}  # pool processes started as an engine opens are its own
        engines: dict[str, ValidationEngine] = {}
        for name, engine_class in (("one-pool", OnePoolEngine), ("pools", LocalEngine)):
            engines[name] = resources.enter_context(engine_class(settings, limits))
            for child in _children(os.getpid()):
                owners.setdefault(child, name)
        figures = {
            name: {
                "seconds": 0.0,
                "rss_mb": 0.0,
                "processes": 0,
                "load": [],
                "statuses": Counter(),
            }  # fmt: skip
            for name in engines
        }
        # Interleaved rounds, the first engine alternating: a machine shared with other
        # work changes speed over minutes, and both engines then see the same changes.
        with resources:
            for number, start in enumerate(range(0, len(ids), options.round)):
                chunk = ids[start : start + options.round]
                order = list(engines) if number % 2 == 0 else list(reversed(engines))
                for name in order:
                    _measure(name, engines[name], store, chunk, figures[name], owners)
        differing = [g for g in ids if _stored(store, "one-pool", g) != _stored(store, "pools", g)]
        for gid in differing:  # what differs, so that a timing-dependent cause shows
            before, after = _stored(store, "one-pool", gid), _stored(store, "pools", gid)
            rows = [(dict(b), dict(a)) for b, a in zip(before[4], after[4], strict=False) if b != a]
            print(f"  differs {gid}: {before[:4]} vs {after[:4]}; {len(rows)} test runs differ")
            for b, a in rows[:3]:
                changed = {k: (b[k], a.get(k)) for k in b if b[k] != a.get(k)}
                print(f"    {b['side']} {b['attempt']} {changed}")
        same = len(ids) - len(differing)
    for name, f in figures.items():
        loads = f["load"]
        print(f"{name:8}: {f['seconds']:7.1f} s  {len(ids) / f['seconds']:.2f} pairs/s  "
              f"sandbox RSS peak {f['rss_mb']:.0f} MB in {f['processes']} processes  "
              f"1-min load {min(loads):.1f}..{max(loads):.1f}  {dict(f['statuses'])}")  # fmt: skip
    ratio = figures["one-pool"]["seconds"] / figures["pools"]["seconds"]
    print(f"speed-up: {ratio:.2f}x; identical stored results: {same}/{len(ids)}")


if __name__ == "__main__":
    main()
