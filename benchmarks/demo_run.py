"""The whole method on the demo data with the offline backend, measured.

    python benchmarks/demo_run.py [--db FILE] [--limit N]

Prints: the run time per stage, verdicts per status and the share validated; the
offline backend's quality (the rewrite runs, an instruction is written, at least five
distinct test inputs) and the mix of test-input origins; test strength.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from semi_core.demo import load_demo
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="database file (default: a new temporary one)")
    parser.add_argument("--limit", type=int, help="at most this many snippets")
    parser.add_argument("--no-test-strength", action="store_true")
    options = parser.parse_args()
    db = options.db or str(Path(tempfile.mkdtemp()) / "demo.duckdb")

    with Store(db) as store:
        load_demo(store)
        settings = PipelineSettings(limit=options.limit,
                                    test_strength=not options.no_test_strength)  # fmt: skip
        started = time.perf_counter()
        result = run_pipeline(store, settings, on_event=_print_progress)
        seconds = time.perf_counter() - started
        print(f"\nrun {result.run_id}: {result.state} in {seconds:.1f} s")
        for stage, counts in result.counts.items():
            print(f"  {stage}: {counts}")
        _report(store)


_last = [0.0]


def _print_progress(event) -> None:
    now = time.monotonic()
    if now - _last[0] > 10 or event.done == event.total:
        _last[0] = now
        print(f"  {event.stage}: {event.done}/{event.total} ({event.rate:.2f}/s)", flush=True)


def _report(store: Store) -> None:
    generations = store.report_generations()
    total = len(generations)
    runs = sum(1 for g in generations if g["rewrite_ok_runs"] > 0)
    with_instruction = sum(1 for g in generations if (g["instruction"] or "").strip())
    both = sum(1 for g in generations if g["rewrite_ok_runs"] > 0 and g["instruction"])
    functions = [g for g in generations if g["kind"] == "function"]
    five = sum(1 for g in functions if g["distinct_inputs"] >= 5)
    print(f"\noffline generations: {total}")
    print(f"  rewrite runs on some input and instruction written: {both} ({both / total:.1%})")
    print(f"  rewrite runs: {runs}; instruction written: {with_instruction}")
    print(f"  functions with >= 5 distinct inputs: {five}/{len(functions)} "
          f"({five / max(len(functions), 1):.1%})")  # fmt: skip
    print(
        f"  mean inputs per pair: {statistics.mean(g['distinct_inputs'] for g in generations):.1f}"
    )
    origins = Counter()
    for g in generations:
        origins.update(g["origins"] or {})
    print(f"  origins: {dict(origins.most_common())}")

    verdicts = store.current_verdicts()
    statuses = Counter(v["status"] for v in verdicts)
    print(f"\nverdicts: {dict(statuses.most_common())}")
    print(f"  share validated: {statuses['validated'] / max(len(verdicts), 1):.1%}")
    strengths = [v["test_strength"] for v in verdicts if v["test_strength"] is not None]
    if strengths:
        print(f"  mean test strength of validated pairs: {statistics.mean(strengths):.1%} "
              f"over {len(strengths)} pairs")  # fmt: skip


if __name__ == "__main__":
    main()
