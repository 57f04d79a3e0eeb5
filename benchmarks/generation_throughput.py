"""Generation throughput: pairs per second through the OpenAI-compatible backend.

The local OpenAI-compatible server (`semi_core.llm_server`) runs in its own process and
answers every request after a fixed latency (default 200 ms), like a model server with
spare capacity. The backend generates pairs for HumanEval's problems (their code as the
natural snippets, cycled to the wanted count; the response cache is off) at each
concurrency, through the real `openai` client over HTTP.

With a fixed latency L and c requests in flight, the ideal is c / L pairs per second;
the ratio to it is what the backend's own overhead (client, parsing, threads) costs.
Target: at least 90% of the ideal at concurrency 32.

Each concurrency first sends c untimed requests, so that the connection pool is open
(a one-time cost of a run, not a per-pair one). Each run is repeated (`--repeat`, default
3) and the best is reported with the median beside it: on a shared machine, other
processes' CPU use shows up as lost throughput, since client and server need CPU too
(about 3 ms of client CPU per request, mostly the openai/httpx stack, and 1 ms of
server CPU).

    python benchmarks/generation_throughput.py [--latency-ms 200] [--concurrency 1 8 32]
        [--pairs-per-slot 32] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2

from semi_core.demo import human_eval_problems
from semi_core.generate.base import SnippetView
from semi_core.generate.openai_backend import OpenAIBackend

TARGET_AT_32 = 0.90


def humaneval_snippets(count: int, tag: str) -> list[SnippetView]:
    """HumanEval's functions (prompt + canonical solution), cycled to `count` snippets;
    `tag` makes each run's prompts distinct."""
    problems = human_eval_problems()
    snippets = []
    for i in range(count):
        problem = problems[i % len(problems)]
        code = problem["prompt"] + problem["canonical_solution"]
        snippets.append(
            SnippetView(
                id=f"{tag}-{i}",
                code=f"# {tag} {i}\n{code}",
                kind="function",
                entry_point=problem["entry_point"],
            )
        )
    return snippets


def start_server(latency_ms: float) -> tuple[subprocess.Popen, str]:
    """The local server in a child process (its own interpreter, its own GIL)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "semi_core.llm_server",
            "--port",
            "0",
            "--latency-ms",
            str(latency_ms),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if "http://" not in line:
        process.kill()
        raise RuntimeError(f"the local server did not start: {line!r}")
    return process, line.strip().rsplit(" ", 1)[-1]


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by process `pid` (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_stats(base_url: str, reset: bool = False) -> dict[str, Any]:
    """The server's counters (requests, most in flight); `reset` zeroes them after."""
    url = base_url.removesuffix("/v1") + "/_stats" + ("?reset=1" if reset else "")
    return httpx2.get(url).json()


def measure(
    base_url: str, concurrency: int, count: int, latency_s: float, server_pid: int
) -> dict[str, Any]:
    backend = OpenAIBackend(base_url=base_url, model="semi-local", concurrency=concurrency)
    try:
        warm = humaneval_snippets(concurrency, f"warm-c{concurrency}")
        list(backend.generate_many(warm, concurrency))
        snippets = humaneval_snippets(count, f"run-c{concurrency}")
        server_stats(base_url, reset=True)
        server_cpu = process_cpu_s(server_pid)
        client_cpu = time.process_time()
        started = time.perf_counter()
        results = [g for _, g in backend.generate_many(snippets, concurrency)]
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        if server_cpu is not None:
            server_cpu = process_cpu_s(server_pid) - server_cpu
        stats = server_stats(base_url)
    finally:
        backend.close()
    pairs_per_s = len(results) / elapsed
    ideal = concurrency / latency_s
    return {
        "concurrency": concurrency,
        "pairs": len(results),
        "ok": sum(g.status == "ok" for g in results),
        "requests": stats["requests"],
        "server_max_in_flight": stats["max_in_flight"],
        "seconds": round(elapsed, 3),
        "pairs_per_s": round(pairs_per_s, 2),
        "ideal_per_s": round(ideal, 2),
        "ratio": round(pairs_per_s / ideal, 3),
        # CPU per pair: what the client (this process) and the server need, for reading
        # the ratio on a busy machine.
        "client_cpu_ms": round(client_cpu / len(results) * 1000, 2),
        "server_cpu_ms": round(server_cpu / len(results) * 1000, 2) if server_cpu else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument(
        "--pairs-per-slot",
        type=int,
        default=32,
        # A corpus is thousands of pairs: measure the steady state, where the last
        # round's stragglers (one latency, whatever the run's size) weigh little.
        help="pairs per concurrency slot (at least 64 pairs per run)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs per concurrency; the best is reported (the least disturbed by other "
        "processes on the machine), with the median ratio beside it",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line per run")
    args = parser.parse_args(argv)

    process, base_url = start_server(args.latency_ms)
    rows = []
    try:
        for concurrency in args.concurrency:
            count = max(64, concurrency * args.pairs_per_slot)
            count -= count % concurrency  # whole rounds: a partial last round isn't overhead
            runs = [
                measure(base_url, concurrency, count, args.latency_ms / 1000, process.pid)
                for _ in range(max(args.repeat, 1))
            ]
            best = max(runs, key=lambda run: run["pairs_per_s"])
            best["median_ratio"] = statistics.median(run["ratio"] for run in runs)
            best["runs"] = len(runs)
            rows.append(best)
    finally:
        process.terminate()
        process.wait(timeout=10)

    if args.json:
        for row in rows:
            print(json.dumps(row))
    else:
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(
            f"local OpenAI-compatible server, {args.latency_ms:g} ms per answer, cache off; "
            f"best of {args.repeat} runs; load average {load} on {os.cpu_count()} cores"
        )
        print(
            f"{'conc.':>5} {'pairs':>6} {'ok':>5} {'seconds':>8} {'pairs/s':>8} "
            f"{'ideal/s':>8} {'ratio':>6} {'(median)':>8} {'max in flight':>13} "
            f"{'CPU ms/pair: client':>19} {'server':>6}"
        )
        for row in rows:
            print(
                f"{row['concurrency']:>5} {row['pairs']:>6} {row['ok']:>5} {row['seconds']:>8.2f} "
                f"{row['pairs_per_s']:>8.2f} {row['ideal_per_s']:>8.2f} {row['ratio']:>6.1%} "
                f"{row['median_ratio']:>8.1%} {row['server_max_in_flight']:>13} "
                f"{row['client_cpu_ms']:>19.2f} {row['server_cpu_ms'] or 0:>6.2f}"
            )
    at_32 = [row for row in rows if row["concurrency"] == 32]
    if at_32 and not args.json:
        verdict = "met" if at_32[0]["ratio"] >= TARGET_AT_32 else "NOT met"
        print(f"target at concurrency 32: >= {TARGET_AT_32:.0%} of ideal: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
