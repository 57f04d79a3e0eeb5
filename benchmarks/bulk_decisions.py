"""Bulk decisions at scale: a bulk accept over a filter matching about half of a large
store, its undo, and the Review page's store calls before, after and after the undo.

A database is filled with synthetic pairs as `benchmarks/ui_latency.py` fills one (its
`fill`: `Store.bulk_insert`, 100,000 pairs by default, with earlier decisions by other
annotators). Then, for the annotator "bench":

- the preview (a dry run: the count and a sample) of a bulk accept of the pairs of
  difficulty 0 to 0.5 (about half), pairs others decided left out;
- the bulk accept itself: one bulk action and one review event per pair, one statement;
- the Review page's store calls (`ui_latency.time_queries`: the queue with each kind of
  filter, a pair, its tests and history) and `decision_counts`, before the bulk (the
  baseline), after it (the annotator's log now holds the bulk's events) and after its
  undo (the log holds both), each as a ratio to the baseline measured in this run;
- `undo_last`, which undoes the bulk as one.

The Review calls slow down as the review log grows, whoever writes it. To tell the
bulk's own cost from the log's, a copy of the filled store gets the same decisions, and
then their undos, as ordinary review events (no bulk id: as if decided and undone one
pair at a time), and the same calls are timed there: **bulk / ordinary** is the ratio of
a log written by a bulk to the same log written by hand.

Target (issue 25): the bulk accept of about 50,000 pairs under 5 s at 100,000 pairs, and
Review as fast as before. Nothing is asserted: figures and ratios are printed.

    PYTHONPATH=. python benchmarks/bulk_decisions.py [--pairs 100000] [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
from ui_latency import fill, time_queries

from semi_core.bulk_decisions import bulk_decide
from semi_core.review import undo_last
from semi_core.store import Store

ANNOTATOR = "bench"
FILTERS = {"difficulty": (0.0, 0.5)}


def median_ms(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def review_timings(stores: list[Store], repeat: int) -> list[dict[str, float]]:
    """The Review page's store calls, and the overall decision counts, in median ms, for
    each store: one round on each in turn, `repeat` times, the first one changing each
    time, so that the machine's load weighs on all of them alike."""
    rounds: list[list[dict[str, float]]] = [[] for _ in stores]
    for turn in range(repeat):
        order = list(zip(stores, rounds, strict=True))
        for store, timings in order[::-1] if turn % 2 else order:
            figures = time_queries(store, ANNOTATOR, repeat=1)
            figures["decision_counts"] = median_ms(store.decision_counts, 1)
            timings.append(figures)
    return [
        {name: round(statistics.median(r[name] for r in timings), 1) for name in timings[0]}
        for timings in rounds
    ]


def write_ordinary(store: Store, decided: list[tuple[str, dict]]) -> None:
    """The bulk's decisions (pair and payload) as ordinary review events, no bulk id."""
    store.bulk_insert("review_events", pa.table({
        "generation_id": [pair for pair, _ in decided],
        "annotator": [ANNOTATOR] * len(decided), "action": ["accept"] * len(decided),
        "payload": [json.dumps(payload) for _, payload in decided],
    }))  # fmt: skip


def undo_ordinary(store: Store) -> None:
    """An ordinary undo event for each of the annotator's decisions."""
    mine = [(e["id"], e["generation_id"]) for e in store.review_events()
            if e["annotator"] == ANNOTATOR and e["action"] == "accept"]  # fmt: skip
    store.bulk_insert("review_events", pa.table({
        "generation_id": [pair for _, pair in mine], "annotator": [ANNOTATOR] * len(mine),
        "action": ["undo"] * len(mine),
        "payload": [json.dumps({"undoes": event}) for event, _ in mine],
    }))  # fmt: skip


def measure(folder: Path, pairs: int, repeat: int) -> dict[str, Any]:
    report: dict[str, Any] = {"pairs": pairs, "filters": {"difficulty": [0.0, 0.5]}}
    db, copy = folder / "bulk.duckdb", folder / "ordinary.duckdb"
    with Store(db) as store:
        started = time.perf_counter()
        fill(store, pairs)
        report["fill_s"] = round(time.perf_counter() - started, 1)
    shutil.copy(db, copy)
    with Store(db) as store, Store(copy) as ordinary:
        both = [store, ordinary]
        report["review_before_ms"], report["ordinary_before_ms"] = review_timings(both, repeat)
        counts_before = store.decision_counts()
        started = time.perf_counter()
        preview = bulk_decide(store, ANNOTATOR, "accept", FILTERS, dry_run=True)
        report["preview_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        done = bulk_decide(store, ANNOTATOR, "accept", FILTERS, expected=preview.count)
        report["bulk_accept_s"] = round(time.perf_counter() - started, 2)
        report["bulk_pairs"] = done.count
        decided = [(e["generation_id"], e["payload"]) for e in store.review_events()
                   if e["bulk_id"] is not None]  # fmt: skip
        write_ordinary(ordinary, decided)
        report["review_after_ms"], report["ordinary_after_ms"] = review_timings(both, repeat)
        started = time.perf_counter()
        undone = undo_last(store, ANNOTATOR)
        report["undo_s"] = round(time.perf_counter() - started, 2)
        report["undone_pairs"] = undone["bulk_undone"] if undone else 0
        undo_ordinary(ordinary)
        report["review_after_undo_ms"], report["ordinary_after_undo_ms"] = review_timings(
            both, repeat
        )
        report["counts_restored"] = store.decision_counts() == counts_before
    for stage in ("after", "after_undo"):
        report[f"ratio_{stage}"] = {
            name: round(ms / report["review_before_ms"][name], 2)
            for name, ms in report[f"review_{stage}_ms"].items()
        }
        report[f"bulk_over_ordinary_{stage}"] = {
            name: round(ms / report[f"ordinary_{stage}_ms"][name], 2)
            for name, ms in report[f"review_{stage}_ms"].items()
        }
    return report


def print_report(report: dict[str, Any]) -> None:
    print(f"{report['pairs']:,} pairs (filled in {report['fill_s']} s), load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"preview (dry run, count and sample): {report['preview_s']} s")
    print(f"bulk accept of {report['bulk_pairs']:,} pairs: {report['bulk_accept_s']} s "
          "(target: under 5 s)")  # fmt: skip
    print(f"undo of the bulk ({report['undone_pairs']:,} pairs): {report['undo_s']} s; "
          f"counts restored exactly: {report['counts_restored']}")  # fmt: skip
    print("\nReview store calls, median ms; ratio: to before; bulk/ord.: to the same log "
          "written as ordinary events")  # fmt: skip
    print(f"{'call':<22}{'before':>8}{'after':>8}{'ratio':>7}{'bulk/ord.':>10}"
          f"{'undone':>8}{'ratio':>7}{'bulk/ord.':>10}")  # fmt: skip
    for name, before in report["review_before_ms"].items():
        print(f"{name:<22}{before:>8}"
              f"{report['review_after_ms'][name]:>8}{report['ratio_after'][name]:>7}"
              f"{report['bulk_over_ordinary_after'][name]:>10}"
              f"{report['review_after_undo_ms'][name]:>8}{report['ratio_after_undo'][name]:>7}"
              f"{report['bulk_over_ordinary_after_undo'][name]:>10}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        report = measure(Path(folder), args.pairs, args.repeat)
    report["load_average"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
