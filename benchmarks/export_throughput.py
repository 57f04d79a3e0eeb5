"""Export throughput on a large store: the bulk query, decontamination, deduplication,
mixing and writing, for 100,000 pairs by default.

The store is filled through `Store.bulk_insert` with synthetic validated, ranked pairs:
each function is 6–14 statements drawn from a pool of templates with random names and
constants (distinct code, realistic length), 5 usable test cases each, and every 50th
pair a renamed copy of an earlier one (a planted near duplicate). A mix file of
`--mix-rows` Alpaca-style records is written next to it.

Printed, per phase: seconds and records per second — `export_rows` (the one bulk
query), `plan` with and without deduplication (decontamination against HumanEval on),
and `write` in JSONL and Parquet (full schema).

    python benchmarks/export_throughput.py [--pairs 100000] [--mix-rows 20000] [--db FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from semi_core.export import ExportOptions, plan_export, write_plan
from semi_core.store import Store, content_id

NAMES = ["total", "items", "count", "value", "result", "index", "limit", "acc", "best", "row"]
TEMPLATES = [
    "{a} = {b} + {k}",
    "{a} = [{b} * {k} for {c} in range({k})]",
    "if {a} > {k}:\n        {b} = {a} - {k}",
    "for {c} in range({k}):\n        {a} += {c} * {b}",
    "{a} = sorted({b}, key=lambda {c}: -{c}) if isinstance({b}, list) else {b}",
    "while {a} < {k}:\n        {a} += {b} or 1",
    "{a} = {{{c}: {c} ** {k} for {c} in range({b} % {k} + 1)}}",
    "try:\n        {a} = {b} // {k}\n    except ZeroDivisionError:\n        {a} = 0",
    "{a} = max({b}, {k}) if {b} else min({a}, {k})",
    "{a} = '{word}'.join(str({c}) for {c} in range({k}))",
]


def synthetic_function(rng: random.Random, index: int) -> str:
    names = [f"{rng.choice(NAMES)}_{rng.randrange(1000)}" for _ in range(4)]
    lines = [f"def task_{index}({names[0]}, {names[1]}):"]
    lines.append(f"    {names[2]} = {names[3]} = 0")
    for _ in range(rng.randrange(6, 15)):
        a, b, c = rng.sample(names, 3)
        text = rng.choice(TEMPLATES).format(a=a, b=b, c=c, k=rng.randrange(2, 99),
                                            word=rng.choice(NAMES))  # fmt: skip
        lines.append("    " + text)
    lines.append(f"    return {names[2]}, {names[3]}")
    return "\n".join(lines) + "\n"


def fill(store: Store, pairs: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    codes = []
    for i in range(pairs):
        if i % 50 == 49:  # a renamed copy of an earlier pair
            codes.append(codes[i - 25].replace("task_", "job_"))
        else:
            codes.append(synthetic_function(rng, i))
    snippet_ids = [content_id("export-bench", str(i)) for i in range(pairs)]
    pair_ids = [content_id("export-bench-pair", str(i)) for i in range(pairs)]
    store.bulk_insert("snippets", pa.table({
        "id": snippet_ids, "source": [f"bench/{i % 4}" for i in range(pairs)],
        "path": [f"bench/{i % 4}/f{i}.py" for i in range(pairs)], "line": [1] * pairs,
        "name": [f"task_{i}" for i in range(pairs)], "kind": ["function"] * pairs,
        "entry_point": [f"task_{i}" for i in range(pairs)], "code": codes,
    }))  # fmt: skip
    store.bulk_insert("generations", pa.table({
        "id": pair_ids, "snippet_id": snippet_ids, "backend": ["offline"] * pairs,
        "model": ["offline-v1"] * pairs, "prompt_hash": ["bench"] * pairs,
        "instruction": [f"Write task_{i}: combine the two arguments step by step as shown."
                        for i in range(pairs)],
        "code": codes, "entry_point": [f"task_{i}" for i in range(pairs)],
        "status": ["ok"] * pairs,
    }))  # fmt: skip
    case_ids, owners, positions, inputs = [], [], [], []
    for i, pair_id in enumerate(pair_ids):
        for position in range(5):
            text = f"{i % 97}, {position}"
            case_ids.append(content_id(pair_id, text))
            owners.append(pair_id)
            positions.append(position)
            inputs.append(text)
    cases = len(case_ids)
    store.bulk_insert("test_cases", pa.table({
        "id": case_ids, "generation_id": owners, "position": pa.array(positions, pa.int32()),
        "input": inputs, "origin": ["typed"] * cases, "expected": ["(0, 0)"] * cases,
        "oracle_status": ["ok"] * cases,
    }))  # fmt: skip
    buckets = ("easy", "medium", "hard")
    difficulty = [rng.random() for _ in range(pairs)]
    store.bulk_insert("verdicts", pa.table({
        "id": [content_id(p, "run") for p in pair_ids], "generation_id": pair_ids,
        "run_id": ["bench-run"] * pairs, "passed": pa.array([5] * pairs, pa.int32()),
        "usable": pa.array([5] * pairs, pa.int32()), "total": pa.array([5] * pairs, pa.int32()),
        "status": ["validated"] * pairs, "test_strength": [None] * pairs,
        "signals": [json.dumps({"rank": {"score": d, "bucket": buckets[min(2, int(d * 3))]}})
                    for d in difficulty],
        "difficulty": difficulty,
    }))  # fmt: skip


def timed(label: str, records: int, action):
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"{label:<38} {seconds:8.2f} s   {records / seconds if seconds else 0:10.0f} /s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--mix-rows", type=int, default=20_000)
    parser.add_argument("--db", help="an existing database to export (no filling)")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="export-bench-"))
    db = options.db or str(folder / "bench.duckdb")
    with Store(db) as store:
        if not options.db:
            timed("fill (bulk insert)", options.pairs, lambda: fill(store, options.pairs))
        n = len(timed("export_rows (one query)", options.pairs,
                      lambda: store.export_rows("all")))  # fmt: skip
        mix = folder / "mix.jsonl"
        rng = random.Random(1)
        with open(mix, "w", encoding="utf-8") as handle:
            for i in range(options.mix_rows):
                record = {"instruction": f"Write helper {i}.", "input": "",
                          "output": synthetic_function(rng, 10**7 + i)}  # fmt: skip
                handle.write(json.dumps(record) + "\n")
        base = {"status": "all", "schema": "full"}
        timed("plan: select + HumanEval, no dedup", n,
              lambda: plan_export(store, ExportOptions(dedup=False, **base)))  # fmt: skip
        plan = timed("plan: select + HumanEval + dedup", n,
                     lambda: plan_export(store, ExportOptions(**base)))  # fmt: skip
        report = plan.report
        print(f"    {report.pairs} pairs kept; dropped: {report.dropped()}")
        mixed = timed("plan: + dedup + mix 0.2", n,
                      lambda: plan_export(store, ExportOptions(mix_path=str(mix), mix_ratio=0.2,
                                                               **base)))  # fmt: skip
        print(f"    {mixed.report.pairs} pairs + {mixed.report.mixed} mixed in")
        for fmt in ("jsonl", "parquet"):
            out = folder / f"out.{fmt}"
            timed(f"write {fmt} (full schema)", report.written,
                  lambda out=out: write_plan(plan, out))  # fmt: skip
            print(f"    {out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
