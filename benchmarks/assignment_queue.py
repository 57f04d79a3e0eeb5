"""The review queue with assignment, against the queue without it, on a large store.

A store is filled with `--pairs` synthetic validated pairs (`ui_latency.fill`: the same
pairs as the latency benchmark, some decided earlier by three other annotators), then
most of them are handed out to `--others` annotators (as their queues would have), and
the times of the Review page's hot path are set against a baseline measured in the same
run, alternating with it:

- **baseline**: the queue's ids as they were read before assignment (the same SQL, all
  pairs, nothing claimed);
- **queue**: `Store.review_queue_ids` (held and free pairs, claiming up to CLAIM_AHEAD),
  with overlap 0 and with overlap 0.1;
- **accept → next**: `decide` then `review_queue_ids`, against `decide` without holding
  the pair, then the baseline read.

    python benchmarks/assignment_queue.py [--pairs 100000] [--others 3] [--repeat 15]
        [--db FILE] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_latency import fill  # noqa: E402

from semi_core.assignment import set_overlap  # noqa: E402
from semi_core.review import decide  # noqa: E402
from semi_core.store import Store  # noqa: E402
from semi_core.store.schema import overlap_place_sql  # noqa: E402


def baseline_ids(store: Store, annotator: str) -> tuple[list[str], int]:
    """The queue's ids read as before assignment: every pair, none claimed."""
    sql, params = store._queue_sql(annotator, limit=1000)
    rows = store.cursor().execute(sql, params).fetchall()
    return [row[0] for row in rows], (rows[0][3] if rows else 0)


def hand_out(store: Store, others: int) -> int:
    """Give 90% of the pairs nobody holds to `others` annotators in turns (what their
    queues would have claimed over time); returns how many."""
    sql = "SELECT id FROM generations WHERE id NOT IN (SELECT generation_id FROM assignments)"
    ids = sorted(row[0] for row in store.cursor().execute(sql).fetchall())
    given = ids[: len(ids) * 9 // 10]
    with store.transaction() as cur:
        cur.register("given", pa.table({
            "generation_id": given,
            "annotator": [f"annotator-{i % others}" for i in range(len(given))],
        }))  # fmt: skip
        cur.execute("INSERT INTO assignments (generation_id, annotator, slot, place) "
                    f"SELECT generation_id, annotator, 0, {overlap_place_sql('generation_id')} "
                    "FROM given")  # fmt: skip
        cur.unregister("given")
    return len(given)


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


def measure(store: Store, repeat: int) -> dict[str, Any]:
    timings: dict[str, list[float]] = {}

    def clock(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        value = fn(*args, **kwargs)
        timings.setdefault(name, []).append(time.perf_counter() - started)
        return value

    report: dict[str, Any] = {}
    for overlap in (0.0, 0.1):
        set_overlap(store, overlap)
        for _ in range(repeat):
            clock(f"baseline overlap {overlap}", baseline_ids, store, "bench")
            clock(f"queue overlap {overlap}", store.review_queue_ids, "bench")
    for n in range(repeat):
        ids, _ = store.review_queue_ids("bench")
        started = time.perf_counter()
        decide(store, ids[0], "bench", "reject")
        store.review_queue_ids("bench")
        timings.setdefault("accept → next", []).append(time.perf_counter() - started)
        # The same decision as before assignment: no pair held by it, the old queue read.
        other = f"baseline-{n}"
        first = baseline_ids(store, other)[0][0]
        hold, store.hold = store.hold, lambda *args: None
        try:
            started = time.perf_counter()
            decide(store, first, other, "reject")
            baseline_ids(store, other)
            timings.setdefault("accept → next, baseline", []).append(time.perf_counter() - started)
        finally:
            store.hold = hold
    report["ms"] = {name: median_ms(values) for name, values in timings.items()}
    ms = report["ms"]
    report["ratio"] = {
        "queue/baseline, overlap 0": round(ms["queue overlap 0.0"] / ms["baseline overlap 0.0"], 2),
        "queue/baseline, overlap 0.1": round(
            ms["queue overlap 0.1"] / ms["baseline overlap 0.1"], 2
        ),
        "accept → next/baseline": round(ms["accept → next"] / ms["accept → next, baseline"], 2),
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--db", help="reuse (or create) this database file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    db = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="semi-assign-")) / "b.duckdb"
    with Store(db) as store:
        if store.count_snippets() == 0:
            fill(store, args.pairs)
        report: dict[str, Any] = {"pairs": store.counts().entities["generations"]}
        if store.unassigned_pairs() > report["pairs"] // 2:
            report["handed_out"] = hand_out(store, args.others)
        report.update(measure(store, args.repeat))
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for name, value in {**report["ms"], **report["ratio"]}.items():
            print(f"{name:32} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
