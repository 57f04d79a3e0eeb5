"""Scale benchmark: ingest of a million snippets with bounded memory, the generation
stage's writes, and validation of tens of thousands of pairs with the local engine and on
Ray.

1. Corpus: every top-level function of the standard library (with what it needs from its
   file, as `semi ingest` cuts it) is copied under new names until there are `--snippets`
   rows, written to Parquet in chunks. A copy renames the function everywhere it appears
   (definition, recursive calls, docstring) with a per-copy suffix, so the normalised code
   really differs and every row is a distinct snippet. The file is cached in `--workdir`.
2. Ingest: `semi_core.sources.ingest` reads it into a fresh DuckDB file in a child
   process; the parent samples the child's memory and heap (its pool workers included;
   see `MEMORY_FIELDS`) and reports wall time, snippets per second, and the peaks until
   10%, 50% and 100%.
3. The generation stage's writes: see `generation_writes_benchmark`.
4. Validation: see `validation_benchmark`.
5. What DuckDB keeps from the queries a long run makes: see `query_retention_benchmark`.

    python benchmarks/scale.py [--snippets 1000000] [--pairs 50000] [--workdir DIR]
                               [--generation-writes 20000] [--query-retention 100000]
                               [--skip-ingest] [--skip-validation]
                               [--test-strength | --no-test-strength]
                               [--engines local ray] [--json]
"""

from __future__ import annotations

import argparse
import ctypes
import io
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import tokenize
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from semi_core.demo import load_demo
from semi_core.engines import revalidate
from semi_core.pipeline import BOUND_MEMORY_EVERY, PipelineSettings, run_pipeline
from semi_core.sources import iter_source_files, normalized_code, snippets_from_python
from semi_core.store import Store, content_id

CHUNK_ROWS = 20_000  # rows per Parquet row group while writing the corpus


# ---------------------------------------------------------------------------------------
# 1. The corpus
# ---------------------------------------------------------------------------------------


def stdlib_functions(limit: int | None = None) -> list[dict[str, str]]:
    """Usable top-level functions of the standard library, each once (by normalised code)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    seen: set[str] = set()
    found: list[dict[str, str]] = []
    for path in iter_source_files(root):
        if path.suffix != ".py":
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        relative = str(path.relative_to(root))
        for snippet in snippets_from_python(text, source="stdlib", path=relative):
            if snippet.rejection or snippet.kind != "function":
                continue
            key = normalized_code(snippet.code)
            if key in seen:
                continue
            seen.add(key)
            found.append({"code": snippet.code, "name": snippet.name, "module": relative})
            if limit and len(found) >= limit:
                return found
    return found


def rename_template(code: str, name: str) -> list[str] | None:
    """`code` cut around each place the function's name appears as a name (not as an
    attribute `x.name` or a keyword `name=`): joining the pieces with a new name renames
    the function consistently. None when the code cannot be tokenised."""
    pieces: list[str] = []
    lines = code.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    cut = 0
    for index, token in enumerate(tokens):
        if token.type != tokenize.NAME or token.string != name:
            continue
        before = tokens[index - 1].string if index else ""
        after = tokens[index + 1].string if index + 1 < len(tokens) else ""
        if before == "." or after == "=":
            continue
        start = offsets[token.start[0] - 1] + token.start[1]
        pieces.append(code[cut:start])
        cut = start + len(name)
    pieces.append(code[cut:])
    return pieces if len(pieces) > 1 else None


def cached_stdlib_functions(workdir: Path) -> list[dict[str, str]]:
    """`stdlib_functions()`, kept in `workdir` (finding them takes about a minute)."""
    cache = workdir / f"stdlib-functions-{sys.version_info[0]}.{sys.version_info[1]}.json"
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    functions = stdlib_functions()
    cache.write_text(json.dumps(functions), encoding="utf-8")
    return functions


def build_corpus(path: Path, snippets: int) -> dict[str, Any]:
    """Write `snippets` distinct function rows to Parquet; returns what was built."""
    started = time.perf_counter()
    bases = []
    for function in cached_stdlib_functions(path.parent):
        pieces = rename_template(function["code"], function["name"])
        if pieces is not None:
            bases.append((function, pieces))
    schema = pa.schema(
        [("code", pa.string()), ("entry_point", pa.string()), ("module", pa.string()),
         ("copy", pa.int32())]
    )  # fmt: skip
    written = 0
    partial = path.with_suffix(".partial")
    with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
        columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        copy = 0
        while written < snippets:
            for function, pieces in bases:
                if written >= snippets:
                    break
                # Copy 0 keeps the real name; copy k renames the function to name_vk.
                new_name = function["name"] if copy == 0 else f"{function['name']}_v{copy}"
                columns["code"].append(new_name.join(pieces))
                columns["entry_point"].append(new_name)
                columns["module"].append(function["module"])
                columns["copy"].append(copy)
                written += 1
                if len(columns["code"]) >= CHUNK_ROWS:
                    writer.write_table(pa.table(columns, schema=schema))
                    columns = {name: [] for name in schema.names}
            copy += 1
        if columns["code"]:
            writer.write_table(pa.table(columns, schema=schema))
    partial.rename(path)
    return {
        "rows": written,
        "distinct_functions": len(bases),
        "copies": copy,
        "seconds": round(time.perf_counter() - started, 1),
        "megabytes": round(path.stat().st_size / 1e6, 1),
    }


def corpus_path(workdir: Path, snippets: int) -> Path:
    return workdir / f"corpus-{snippets}.parquet"


# ---------------------------------------------------------------------------------------
# 2. Ingest, in a child process whose memory the parent samples
# ---------------------------------------------------------------------------------------

CHILD = """
import json, resource, sys, time
from semi_core.sources import ingest
from semi_core.store import Store

def progress(rows):
    print("@progress", json.dumps({"rows": rows}), flush=True)

with Store(sys.argv[2]) as store:
    started = time.perf_counter()
    report = ingest(store, [sys.argv[1]], on_rows=progress)
    seconds = time.perf_counter() - started
    stored = store.count_snippets()
    duckdb_memory = store.engine_memory_mb()
own, helpers = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print("@result", json.dumps({"report": report.to_dict() | {"problems": report.problems[:5]},
                  "seconds": seconds, "stored": stored, "duckdb_memory_mb": duckdb_memory,
                  "cpu_seconds": own.ru_utime + own.ru_stime + helpers.ru_utime + helpers.ru_stime,
                  "main_max_rss_mb": own.ru_maxrss / 1024}, default=str), flush=True)
"""


# What a sample records of each process, from /proc/PID/smaps_rollup: its proportional set
# size (shared pages split between their users, so the workers forked from one process
# are not counted twice), and the part of it that is the processes' own heap. The rest of
# PSS is mapped files, mostly shared libraries: their share moves with how many other
# programs on the machine map the same library, by tens of MB, whatever this run does.
MEMORY_FIELDS = {"Pss": "memory", "Pss_Anon": "heap"}
Sample = tuple[int, dict[str, int]]  # (work done so far, MEMORY_FIELDS summed over the tree)


def _memory_kib(pid: int) -> dict[str, int]:
    """`MEMORY_FIELDS` of one process, in KiB (its RSS for both without smaps_rollup)."""
    found = dict.fromkeys(MEMORY_FIELDS.values(), 0)
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            field, _, value = line.partition(":")
            if field in MEMORY_FIELDS:
                found[MEMORY_FIELDS[field]] = int(value.split()[0])
        return found
    except OSError:
        pass
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return dict.fromkeys(found, int(line.split()[1]))
    return found


_KCMP = {"x86_64": 312, "aarch64": 272}.get(os.uname().machine)  # kcmp(2)'s number
_KCMP_VM = 1
_LIBC = ctypes.CDLL(None, use_errno=True)


def _same_address_space(pid: int, other: int) -> bool:
    """Whether two processes share one address space: a child between `vfork` (how
    `subprocess` starts a program) and `exec` reports its parent's pages as its own, so a
    sample taken then would count the parent twice."""
    if _KCMP is None:
        return False
    return _LIBC.syscall(_KCMP, pid, other, _KCMP_VM, 0, 0) == 0


def _tree_memory_kib(pid: int) -> dict[str, int]:
    """`MEMORY_FIELDS` of a process and all its descendants, summed, in KiB (Linux /proc)."""
    total = dict.fromkeys(MEMORY_FIELDS.values(), 0)
    pending = [(pid, None)]
    while pending:
        current, parent = pending.pop()
        try:
            if parent is None or not _same_address_space(parent, current):
                for name, kib in _memory_kib(current).items():
                    total[name] += kib
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend((int(child), current) for child in children)
        except (OSError, ValueError):
            continue
    return total


@contextmanager
def memory_sampled(
    pid: int, done: dict[str, int], every_s: float, store: Store | None = None
) -> Iterator[list[Sample]]:
    """Sample the memory of process `pid` and its descendants every `every_s` seconds
    while the block runs, each sample with the work `done["count"]` then. With `store`
    (open in this process), also the heap beside DuckDB's cache of table blocks: the
    cache is bounded by DuckDB's memory limit, the rest is what may grow with the work."""
    samples: list[Sample] = []
    finished = threading.Event()

    def sample() -> None:
        while not finished.is_set():
            kib = _tree_memory_kib(pid)
            if store is not None:
                cache_kib = int(store.engine_memory_mb().get("base_table", 0) * 1e6 / 1024)
                kib["heap_beside_cache"] = kib["heap"] - cache_kib
                kib["duckdb_cache"] = cache_kib
            samples.append((done["count"], kib))
            finished.wait(every_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield samples
    finally:
        finished.set()
        sampler.join()


def _remove_database(db: Path) -> None:
    """A database file left by an earlier run, and its write-ahead log, removed."""
    for stale in (db, db.with_suffix(db.suffix + ".wal")):
        stale.unlink(missing_ok=True)


def ingest_benchmark(corpus: Path, rows: int, db: Path) -> dict[str, Any]:
    """Ingest `corpus` into a fresh database `db` in a child process, sampling memory."""
    _remove_database(db)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(corpus), str(db)],
        stdout=subprocess.PIPE,
        text=True,
    )
    progress = {"count": 0}
    result: dict[str, Any] = {}
    assert child.stdout is not None
    with memory_sampled(child.pid, progress, 0.2) as samples:
        for line in child.stdout:  # progress and result lines; anything else is passed on
            tag, _, payload = line.partition(" ")
            if tag == "@progress":
                progress["count"] = json.loads(payload)["rows"]
            elif tag == "@result":
                result = json.loads(payload)
            else:
                print(line, end="", file=sys.stderr)
        child.wait()
    if child.returncode != 0 or not result:
        raise SystemExit(f"ingest child failed with exit code {child.returncode}")

    report = result["report"]
    return {
        "rows": rows,
        "seconds": round(result["seconds"], 1),
        "snippets_per_second": round(rows / result["seconds"]),
        "new": report["new"],
        "duplicates": report["duplicates"],
        "already_stored": report["already_stored"],
        "rejections": report["rejections"],
        "stored": result["stored"],
        "cpu_seconds": round(result["cpu_seconds"], 1),
        **_memory_figures(samples, rows),
        "ingest_process_max_rss_mb": round(result["main_max_rss_mb"], 1),
        # what DuckDB holds at the end: an index it touched would stay, growing with the rows
        "duckdb_memory_mb": result["duckdb_memory_mb"],
        "database_mb": round(db.stat().st_size / 1e6, 1),
    }


# ---------------------------------------------------------------------------------------
# 3. Pairs: the generation stage's writes, and their validation
# ---------------------------------------------------------------------------------------


BASE_PAIRS = 120  # pairs the offline generator writes; the rest are copies of them
CLONE_CHUNK = 5_000  # pairs bulk-inserted at a time


def generated_pairs(store: Store, base: int = BASE_PAIRS) -> list[tuple[dict, list[dict]]]:
    """The offline generator's pairs of `base` demo snippets (real code, real generated
    test inputs), each with its test cases: the originals the benchmark copies."""
    load_demo(store)
    run_pipeline(store, PipelineSettings(limit=base), stages=("generate",))
    generations = [store.generation(row["id"]) for row in store.generations_to_validate()]
    return [(g, store.test_cases(g["id"])) for g in generations if g is not None]


def _copy_id(original: dict[str, Any], copy: int) -> str:
    """The id of the `copy`-th copy of a generated pair."""
    return content_id(original["id"], "scale-copy", str(copy))


def generation_writes_benchmark(db: Path, pairs: int) -> dict[str, Any]:
    """The generation stage's writes at scale: `pairs` pairs stored one at a time, as the
    stage stores each as its generator answers (`Store.add_generation`: the generation
    and its test inputs), into a fresh database `db`. They are copies of the offline
    generator's pairs under new ids, so no generator runs: what is measured is the store.
    Pairs per second, and the peaks of this process's memory until 10%, 50% and 100%."""
    _remove_database(db)
    with Store(db) as store:
        originals = generated_pairs(store)
        done = {"count": 0}
        load_before = load_average()
        started = time.perf_counter()
        with memory_sampled(os.getpid(), done, 0.5, store) as samples:
            store.bound_work_memory()  # as the stage bounds DuckDB's memory
            try:
                for copy in range(pairs):
                    original, cases = originals[copy % len(originals)]
                    row = {**original, "id": _copy_id(original, copy)}
                    store.add_generation(row, [(case["input"], case["origin"])
                                               for case in cases])  # fmt: skip
                    done["count"] += 1
                    if done["count"] % BOUND_MEMORY_EVERY == 0:
                        store.bound_work_memory()
            finally:
                store.restore_memory_limit()
        seconds = time.perf_counter() - started
        return {
            "pairs": pairs,
            "seconds": round(seconds, 1),
            "pairs_per_second": round(pairs / seconds, 1),
            **_memory_figures(samples, pairs),
            "duckdb_memory_mb": store.engine_memory_mb(),
            "load_average": f"{load_before} -> {load_average()}",
        }


def prepare_pairs(store: Store, pairs: int, base: int = BASE_PAIRS) -> list[str]:
    """`pairs` generations waiting for validation, cheaply: the offline generator rewrites
    `base` demo snippets (real code, real generated test inputs), then each pair is copied
    with its test cases under new ids (Store.bulk_insert) until there are `pairs`.
    Copies validate like their original: the same work, which is what is measured."""
    generated = generated_pairs(store, base)
    ids = [generation["id"] for generation, _ in generated]
    copy = 0
    while len(ids) < pairs:
        generations: dict[str, list[Any]] = {name: [] for name in GENERATION_COLUMNS}
        test_cases: dict[str, list[Any]] = {name: [] for name in CASE_COLUMNS}
        while len(ids) < pairs and len(generations["id"]) < CLONE_CHUNK:
            original, cases = generated[copy % len(generated)]
            clone_id = _copy_id(original, copy)
            copy += 1
            ids.append(clone_id)
            for name in GENERATION_COLUMNS:
                generations[name].append(clone_id if name == "id" else original[name])
            for case in cases:
                test_cases["id"].append(content_id(clone_id, case["id"]))
                test_cases["generation_id"].append(clone_id)
                for name in ("position", "input", "origin"):
                    test_cases[name].append(case[name])
        if "usage" in generations:
            generations["usage"] = [json.dumps(u) if u else None for u in generations["usage"]]
        store.bulk_insert("generations", pa.table(generations))
        store.bulk_insert(
            "test_cases",
            pa.table({**test_cases, "position": pa.array(test_cases["position"], pa.int32())}),
        )
    return ids


GENERATION_COLUMNS = (
    "id", "snippet_id", "backend", "model", "prompt_hash", "instruction", "code",
    "entry_point", "raw_response", "usage", "status",
)  # fmt: skip
CASE_COLUMNS = ("id", "generation_id", "position", "input", "origin")


def _validate_once(
    store: Store, ids: list[str], engine: str, run_id: str, test_strength: bool
) -> dict[str, Any]:
    """Validate `ids` with `engine`, sampling this process tree's memory meanwhile."""
    # What `semi run --engine ...` uses; test strength runs the tests against mutants of
    # the code too, about ten times the work of the tests alone.
    pipeline = PipelineSettings(engine=engine, test_strength=test_strength)
    done = {"count": 0}

    def count(*_: Any) -> None:
        done["count"] += 1

    load_before = load_average()
    started = time.perf_counter()
    with memory_sampled(os.getpid(), done, 0.5, store) as samples:
        counts = revalidate(
            store, None, ids, run_id, pipeline.validation(), on_result=count, engine=engine,
            limits=pipeline.limits(),
        )  # fmt: skip
    seconds = time.perf_counter() - started
    return {
        "pairs": len(ids),
        "seconds": round(seconds, 1),
        "pairs_per_second": round(len(ids) / seconds, 2),
        "statuses": {k: v for k, v in counts["statuses"].items() if v},
        **_memory_figures(samples, len(ids)),
        # What DuckDB itself reports holding at the end: its block cache, rows not yet
        # checkpointed, and any index (the tables a run writes have none).
        "duckdb_memory_mb": store.engine_memory_mb(),
        "load_average": f"{load_before} -> {load_average()}",
    }


def _memory_figures(samples: list[Sample], total: int) -> dict[str, Any]:
    """The highest memory and heap sampled (MB), overall and until 10%, 50% and 100% of
    `total` was done: flat when memory does not grow with the work."""

    def peak(kind: str, fraction: float) -> float:
        upto = [kib[kind] for done, kib in samples if done <= fraction * total]
        return round(max(upto or [0]) / 1024, 1)

    return {
        "peak_memory_mb": peak("memory", 1.0),
        **{f"peak_{kind}_mb_until": {f"{share:.0%}": peak(kind, share) for share in (0.1, 0.5, 1)}
           for kind in samples[0][1] if samples},
    }  # fmt: skip


ENGINES = ("local", "ray")


def validation_benchmark(
    workdir: Path, pairs: int, test_strength: bool = True, engines: Sequence[str] = ENGINES
) -> dict[str, Any]:
    """Validate the same `pairs` pairs with the local engine and on a local Ray instance
    (started by the Ray engine); pairs per second for each, their ratio, peak memory (the
    driver, its sandbox workers, and the Ray processes it started). Each engine starts
    from its own copy of the same prepared database, so neither pays for the rows the
    other wrote."""
    prepared_db = workdir / "validation-prepared.duckdb"
    for engine in ("prepared", *ENGINES):
        for stale in workdir.glob(f"validation-{engine}.duckdb*"):
            stale.unlink()
    started = time.perf_counter()
    with Store(prepared_db) as store:
        ids = prepare_pairs(store, pairs)
    results: dict[str, Any] = {
        "pairs": len(ids),
        "test_strength": test_strength,
        "prepare_seconds": round(time.perf_counter() - started, 1),
    }
    for engine in engines:
        db = workdir / f"validation-{engine}.duckdb"
        shutil.copyfile(prepared_db, db)  # closed above: the file holds everything
        with Store(db) as store:
            results[engine] = _validate_once(store, ids, engine, f"scale-{engine}", test_strength)
        print(f"validation ({engine}): {results[engine]}", file=sys.stderr, flush=True)
    if set(ENGINES) <= set(engines):
        local, ray = results["local"]["pairs_per_second"], results["ray"]["pairs_per_second"]
        results["ray_over_local"] = round(ray / local, 2) if local else None
    return results


# ---------------------------------------------------------------------------------------
# 5. What DuckDB keeps from a long run's queries
# ---------------------------------------------------------------------------------------

# A small query that builds a hash table, as most of a validation batch's statements do
# (a join with the batch's rows, a grouping).
RETENTION_QUERY = "SELECT count(*) FROM range(10) a(x) JOIN range(?, ? + 100) b(x) USING (x)"
RETENTION_SHARES = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)


def _retention_child(queries: int, heap_mb: Any) -> None:
    con = duckdb.connect()  # in memory and empty: no table's rows to keep
    marks = {int(queries * share): i for i, share in enumerate(RETENTION_SHARES)}
    for done in range(queries + 1):
        if done in marks:
            heap_mb[marks[done]] = _memory_kib(os.getpid())["heap"] / 1024
        con.execute(RETENTION_QUERY, [done % 7, done % 7]).fetchall()


def query_retention_benchmark(queries: int) -> dict[str, Any]:
    """The heap of a fresh process that runs `queries` small hash-join queries on an empty
    in-memory database, at 0, 10, 25, 50, 75 and 100% of them. DuckDB keeps some memory
    of every such query (it is not in `duckdb_memory()`; a new cursor keeps it, closing
    the database frees it): it grows with the number of queries a run makes, not with the
    rows stored, and levels off. A validation's batches run a few such statements each."""
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: its heap alone
    heap_mb = spawn.Array("d", len(RETENTION_SHARES))
    child = spawn.Process(target=_retention_child, args=(queries, heap_mb))
    started = time.perf_counter()
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"the query retention process failed (exit code {child.exitcode})")
    return {
        "queries": queries,
        "seconds": round(time.perf_counter() - started, 1),
        "heap_mb_after": {f"{share:.0%}": round(mb, 1)
                          for share, mb in zip(RETENTION_SHARES, heap_mb, strict=True)},
    }  # fmt: skip


# ---------------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snippets", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=50_000)
    parser.add_argument("--workdir", type=Path, help="where the corpus is cached")
    parser.add_argument(
        "--generation-writes", type=int, default=20_000, metavar="PAIRS",
        help="pairs the generation stage's writes are measured on (0: skip)",
    )  # fmt: skip
    parser.add_argument(
        "--query-retention", type=int, default=100_000, metavar="QUERIES",
        help="small join queries run to measure what DuckDB keeps of them (0: skip)",
    )  # fmt: skip
    parser.add_argument("--skip-validation", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument(
        "--test-strength",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="validate with test strength (mutants): about ten times the work",
    )
    parser.add_argument(
        "--engines", nargs="+", choices=ENGINES, default=list(ENGINES),
        help="validation engines to measure (both by default, and their ratio)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="semi-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"load_average_before": load_average()}

    if not options.skip_ingest:
        corpus = corpus_path(workdir, options.snippets)
        if corpus.exists():
            results["corpus"] = {"rows": pq.ParquetFile(corpus).metadata.num_rows, "cached": True}
        else:
            results["corpus"] = build_corpus(corpus, options.snippets)
        if not options.json:
            print(f"corpus: {corpus} {results['corpus']}", flush=True)

        results["ingest"] = ingest_benchmark(corpus, options.snippets, workdir / "ingest.duckdb")
        results["load_average_after_ingest"] = load_average()
        if not options.json:
            ingest_figures = results["ingest"]
            print(
                f"ingest: {ingest_figures['rows']} snippets in {ingest_figures['seconds']} s "
                f"({ingest_figures['snippets_per_second']}/s, "
                f"{ingest_figures['cpu_seconds']} CPU s), "
                f"peak memory {ingest_figures['peak_memory_mb']} MB "
                f"(until {ingest_figures['peak_memory_mb_until']}; of it heap "
                f"{ingest_figures['peak_heap_mb_until']}; DuckDB at the end "
                f"{ingest_figures['duckdb_memory_mb']}); "
                f"new {ingest_figures['new']}, duplicates {ingest_figures['duplicates']}, "
                f"load {results['load_average_after_ingest']}",
                flush=True,
            )
    if options.generation_writes:
        results["generation_writes"] = generation_writes_benchmark(
            workdir / "generation-writes.duckdb", options.generation_writes
        )
        if not options.json:
            print(f"generation stage's writes: {results['generation_writes']}", flush=True)
    if not options.skip_validation:
        results["validation"] = validation_benchmark(
            workdir, options.pairs, test_strength=options.test_strength, engines=options.engines
        )
        if not options.json:
            figures = results["validation"]
            for engine in options.engines:
                print(f"validation {engine}: {figures[engine]}")
            if "ray_over_local" in figures:
                print(f"ray / local: {figures['ray_over_local']}")
    if options.query_retention:
        results["query_retention"] = query_retention_benchmark(options.query_retention)
        if not options.json:
            print(f"what DuckDB keeps of small join queries: {results['query_retention']}")
    if options.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
