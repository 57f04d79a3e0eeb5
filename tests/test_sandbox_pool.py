"""SandboxPool behaviour with real worker processes: modes, ordering, typed outcomes,
recovery from dying workers, lock-down, isolation between tests, clean shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from semi_core.sandbox import Limits, SandboxPool, Task, compare_outcomes


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(Limits(timeout_s=1.0, workers=2, max_tasks_per_worker=200)) as p:
        yield p


def fn(code: str, args: str = "", entry: str = "f") -> Task:
    return Task(code=textwrap.dedent(code), entry_point=entry, mode="function", args=args)


def prog(code: str, stdin: str = "") -> Task:
    return Task(code=textwrap.dedent(code), mode="program", stdin=stdin)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def _has_capability(bit: int) -> bool:
    with open("/proc/self/status") as fh:
        caps = next(line for line in fh if line.startswith("CapEff:")).split()[1]
    return bool(int(caps, 16) >> bit & 1)


def _in_sleep(pid: int) -> bool:
    """True while the process is in nanosleep/clock_nanosleep (x86-64 or arm64)."""
    try:
        with open(f"/proc/{pid}/syscall") as fh:
            number = fh.read().split()[0]
    except (OSError, IndexError):
        return False
    return number in {"35", "230", "101", "115"}


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1][0] == "Z"  # only a zombie left is still bad
    except OSError:
        return True


# --- the two modes -------------------------------------------------------------


def test_function_mode_with_keywords(pool):
    out = pool.run(
        fn("def f(a, xs, key='k'):\n    return [a] + xs + [key]\n", "1, [2, 3], key='x'")
    )
    assert out.status == "ok"
    assert out.value == [1, 2, 3, "x"]
    assert out.output == "[1, 2, 3, 'x']"
    assert out.duration_ms > 0


def test_program_mode_reads_stdin(pool):
    code = """
        import sys
        n = int(input())
        nums = list(map(int, sys.stdin.readline().split()))
        print(n * sum(nums))
        sys.stdout.write('done\\n')
    """
    out = pool.run(prog(code, "3\n1 2 3\n"))
    assert (out.status, out.stdout, out.output) == ("ok", "18\ndone\n", "18\ndone\n")


def test_program_mode_main_guard_and_exit(pool):
    code = """
        import sys
        def main():
            print('hi')
            sys.exit(0)
            print('never')
        if __name__ == "__main__":
            main()
    """
    out = pool.run(prog(code))
    assert (out.status, out.stdout) == ("ok", "hi\n")


def test_program_nonzero_exit_is_error(pool):
    out = pool.run(prog("print('a')\nexit(2)\n"))
    assert out.status == "error" and out.error_type == "SystemExit" and out.stdout == "a\n"


def test_function_mode_does_not_run_main_block(pool):
    code = "def f():\n    return 1\nif __name__ == '__main__':\n    input()\n"
    assert pool.run(fn(code)).value == 1


def test_open_zero_reads_stdin(pool):
    out = pool.run(prog("data = open(0).read().split()\nprint(sum(map(int, data)))\n", "4 5\n6"))
    assert out.stdout == "15\n"


def test_run_many_keeps_order_and_runs_in_parallel(pool):
    code = "import time\ndef f(i):\n    time.sleep(0.2)\n    return i * i\n"
    tasks = [fn(code, str(i)) for i in range(6)]
    t0 = time.monotonic()
    outs = pool.run_many(tasks)
    elapsed = time.monotonic() - t0
    assert [o.value for o in outs] == [i * i for i in range(6)]
    assert elapsed < 6 * 0.2  # two workers share the six sleeps


def test_mixed_batch_many_codes(pool):
    tasks = []
    for i in range(40):
        tasks.append(fn(f"def f(x):\n    return x + {i}\n", str(i)))
        tasks.append(prog(f"print(int(input()) * {i})\n", "2\n"))
    outs = pool.run_many(tasks)
    for i in range(40):
        assert outs[2 * i].value == 2 * i
        assert outs[2 * i + 1].stdout == f"{2 * i}\n"


# --- typed outcomes ------------------------------------------------------------


def test_error_has_type_message_and_line(pool):
    code = "def f(x):\n    y = x + 1\n    raise ValueError(f'bad input {y}')\n"
    out = pool.run(fn(code, "1"))
    assert (out.status, out.error_type, out.line) == ("error", "ValueError", 3)
    assert out.error == "ValueError: bad input 2 (line 3)"


def test_syntax_error(pool):
    out = pool.run(fn("def f(:\n    pass\n"))
    assert (out.status, out.error_type, out.line) == ("error", "SyntaxError", 1)


def test_rejected_names_line_and_reason(pool):
    out = pool.run(fn("def f():\n    x = 1\n    return f.__globals__\n"))
    assert out.status == "rejected"
    assert "line 3" in out.error and "__globals__" in out.error
    assert out.line == 3


def test_missing_entry_point(pool):
    out = pool.run(fn("def g():\n    return 1\n", entry="f"))
    assert out.status == "error" and "entry point 'f'" in out.error


def test_bad_argument_literal_is_invalid(pool):
    out = pool.run(fn("def f(x):\n    return x\n", "open('x')"))
    assert out.status == "invalid" and "ArgumentError" in out.error


def test_invalid_tasks_do_not_reach_workers(pool):
    outs = pool.run_many(
        [Task(code="x", mode="weird"), Task(code="def f(): pass"), fn("def f():\n    return 7\n")]
    )
    assert [o.status for o in outs] == ["invalid", "invalid", "ok"]


@pytest.fixture(scope="module")
def quick_pool():
    with SandboxPool(Limits(timeout_s=0.3, workers=2, kill_grace_s=0.2)) as p:
        yield p


def test_timeout_in_batch_does_not_spoil_other_tests(quick_pool):
    code = "def f(n):\n    while n > 2:\n        pass\n    return n\n"
    outs = quick_pool.run_many([fn(code, str(i)) for i in range(5)])
    assert [o.status for o in outs] == ["ok", "ok", "ok", "timeout", "timeout"]
    assert [o.value for o in outs[:3]] == [0, 1, 2]


def test_c_loop_in_batch_is_attributed_exactly(quick_pool):
    code = "def f(n):\n    if n == 2:\n        return sum(range(10**12))\n    return n\n"
    outs = quick_pool.run_many([fn(code, str(i)) for i in range(5)])
    assert [o.status for o in outs] == ["ok", "ok", "timeout", "ok", "ok"]
    assert [o.value for o in outs] == [0, 1, None, 3, 4]


def test_args_mutated_in_place_are_reported(pool):
    out = pool.run(fn("def f(xs):\n    xs.append(9)\n    xs.sort()\n", "[3, 1]"))
    assert out.value is None and out.args_after == ([[1, 3, 9]], {})


def test_values_are_comparison_ready(pool):
    code = """
        from collections import Counter, OrderedDict, deque, namedtuple
        from dataclasses import dataclass
        from decimal import Decimal
        from fractions import Fraction
        P = namedtuple('P', 'x y')
        @dataclass
        class Box:
            w: int
            tags: list
        def f():
            return (P(1, 2), Counter('aab'), OrderedDict(a=1), deque([1]), Decimal('1.50'),
                    Fraction(1, 3), Box(2, ['t']), {1, 2}, frozenset([3]), 2 + 1j,
                    float('nan'), b'x', (i for i in range(3)))
    """
    out = pool.run(fn(code))
    assert out.status == "ok" and out.comparable
    p, c, od, dq, dec, fr, box, st, fs, cx, nan, bs, gen = out.value
    assert p == (1, 2) and c == {"a": 2, "b": 1} and od == {"a": 1}
    assert (dq.type_name, dq.data) == ("deque", [1])
    assert (dec.data, fr.data) == ("1.50", (1, 3))
    assert (box.type_name, box.data) == ("Box", {"w": 2, "tags": ["t"]})
    assert st == {1, 2} and fs == frozenset([3]) and cx == 2 + 1j and nan != nan
    assert bs == b"x" and gen.data == [0, 1, 2]


def test_opaque_values_fall_back_to_a_digest(pool):
    code = "def f():\n    return f\n"
    a, b = pool.run(fn(code)), pool.run(fn(code))
    assert not a.comparable and a.output_digest == b.output_digest
    assert compare_outcomes(a, b) == (True, "")


def test_cyclic_value(pool):
    out = pool.run(fn("def f():\n    a = [1]\n    a.append(a)\n    return a\n"))
    assert out.status == "ok" and not out.comparable and out.output == "[1, [...]]"


def test_stdout_and_stderr_are_captured_in_function_mode(pool):
    code = (
        "import sys\ndef f():\n    print('out')\n    print('err', file=sys.stderr)\n    return 0\n"
    )
    out = pool.run(fn(code))
    assert (out.stdout, out.stderr) == ("out\n", "err\n")


def test_output_of_one_test_never_reaches_the_next_in_a_job(pool):
    # the sinks stay installed for a whole job and are emptied per test
    code = (
        "import sys\ndef f(n):\n    if n % 3 == 0:\n        print('out', n)\n"
        "    if n % 3 == 1:\n        print('err', n, file=sys.stderr)\n    return n\n"
    )
    outs = pool.run_many([fn(code, str(n)) for n in range(9)])
    for n, out in enumerate(outs):
        assert out.value == n
        assert out.stdout == (f"out {n}\n" if n % 3 == 0 else "")
        assert out.stderr == (f"err {n}\n" if n % 3 == 1 else "")
    program = Task(code="print(input())\n", mode="program", stdin="a\n")
    quiet = Task(code="x = 1\n", mode="program", stdin="b\n")
    assert [o.stdout for o in pool.run_many([program, quiet, program])] == ["a\n", "", "a\n"]


def test_large_output_is_cut_but_still_compared_exactly(pool):
    out = pool.run(fn("def f():\n    return list(range(20000))\n"))
    assert out.status == "ok" and len(out.output) < 20000 and out.value == list(range(20000))


# --- isolation between tests -----------------------------------------------------


def test_fixed_hash_and_random_seeds(pool):
    code = (
        "import random\ndef f():\n    return hash('abc'), random.random(), list({'a', 'b', 'c'})\n"
    )
    first = pool.run(fn(code))
    with SandboxPool(Limits(workers=1)) as other:
        second = other.run(fn(code))
    assert first.value == second.value


def test_module_state_is_fresh_per_test(pool):
    code = "calls = []\ndef f(x):\n    calls.append(x)\n    return len(calls)\n"
    assert [o.value for o in pool.run_many([fn(code, str(i)) for i in range(4)])] == [1] * 4


def test_decimal_context_does_not_leak(pool):
    spoil = fn("import decimal\ndef f():\n    decimal.getcontext().prec = 3\n    return 1\n")
    check = fn("from decimal import Decimal\ndef f():\n    return str(Decimal(1) / Decimal(7))\n")
    outs = pool.run_many([spoil, check])
    assert outs[1].value == "0.1428571428571428571428571429"


def test_recursion_limit_is_restored(pool):
    spoil = fn("import sys\ndef f():\n    sys.setrecursionlimit(50)\n    return 1\n")
    check = fn("def f(n=0):\n    return n if n >= 500 else f(n + 1)\n")
    assert pool.run_many([spoil, check])[1].value == 500


def test_deep_recursion_allowed_when_code_raises_the_limit(pool):
    code = (
        "import sys\nsys.setrecursionlimit(20000)\n"
        "def f(n=0):\n    return n if n >= 10000 else f(n + 1)\n"
    )
    assert pool.run(fn(code)).value == 10000


def test_outcomes_from_workers_are_whole_dataclass_instances(pool):
    """The pool builds Outcomes without calling their __init__ (speed): every
    field must still be set, in field order, with the dataclass's defaults."""
    import dataclasses

    from semi_core.sandbox import Outcome

    out = pool.run(fn("def f(xs):\n    xs.append(1)\n    return len(xs)\n", "[5]"))
    assert list(vars(out)) == [f.name for f in dataclasses.fields(Outcome)]
    expected = Outcome("ok", "2", 2, ([[5, 1]], {}), duration_ms=out.duration_ms)
    assert out == expected and repr(out) == repr(expected)


def test_a_message_that_cannot_be_pickled_keeps_statuses_and_texts():
    # the worker's fallback when a value cannot travel (no sandboxed code runs here)
    from semi_core.sandbox import wire, worker

    batch = worker._new_batch()
    unpicklable = {"status": "ok", "output": "<fn>", "value": lambda: 0, "duration_ms": 1.0}
    worker._add_result(batch, 7, {**unpicklable, "args_after": ([], {})})
    worker._add_result(batch, 8, {"status": "error", "error": "ValueError: x", "duration_ms": 2.0})
    sent: list[bytes] = []

    class Conn:
        def send_bytes(self, data: bytes) -> None:
            sent.append(data)

    worker._send(Conn(), ("d", 1, batch, False))  # type: ignore[arg-type]
    kind, job_id, columns, recycle = wire.loads_untrusted(sent[0])
    indices, statuses, outputs, values, args_after, durations, extras = columns
    assert (kind, job_id, recycle) == ("d", 1, False)
    assert (indices, statuses, outputs) == ([7, 8], ["ok", "error"], ["<fn>", ""])
    assert values == [None, None] and args_after == [None, None] and durations == [1.0, 2.0]
    assert extras[7]["comparable"] is False and len(extras[7]["output_digest"]) == 64
    assert extras[8]["error"] == "ValueError: x"


# --- workers: lock-down, recycling, dying ---------------------------------------


def test_workers_are_locked_down(pool):
    info = pool.probe()
    limits = info["rlimits"]
    assert limits["RLIMIT_FSIZE"] == [0, 0]
    assert limits["RLIMIT_CORE"] == [0, 0]
    assert limits["RLIMIT_NPROC"] == [0, 0]
    assert limits["RLIMIT_AS"][0] == pool.limits.memory_mb * 1024 * 1024
    assert limits["RLIMIT_NOFILE"][0] <= 16
    assert info["cwd"] == "/" and max(info["fds"]) <= 4
    if os.geteuid() == 0 and _has_capability(7):  # CAP_SETUID: privileges can be dropped
        assert info["uid"] == 65534 and info["gid"] == 65534
    if pool.network_isolated:
        assert info["netns"] != os.readlink("/proc/self/ns/net")
    if pool.filesystem_read_only:  # even trusted code in the worker cannot create files
        assert info["tmp_writable"] is False
    if _has_capability(21):  # CAP_SYS_ADMIN: both namespaces must have been set up
        assert pool.network_isolated and pool.filesystem_read_only


def test_workers_are_recycled(pool):
    # a worker is replaced after the job that takes it past max_tasks_per_worker
    with SandboxPool(Limits(workers=1, max_tasks_per_worker=5)) as small:
        outs = small.run_many([fn(f"def f():\n    return {i}\n") for i in range(40)])
        assert [o.value for o in outs] == list(range(40))
        assert small.stats["workers_started"] >= 3
        assert small.stats["workers_killed"] >= 2


def test_recycling_pool_keeps_a_locked_down_spare_and_close_ends_it():
    # once workers are being recycled, the next one is forked ahead of need
    small = SandboxPool(Limits(workers=1, max_tasks_per_worker=5))
    outs = small.run_many([fn(f"def f():\n    return {i}\n") for i in range(40)])
    assert [o.value for o in outs] == list(range(40))
    zygote = small._zygote.pid  # noqa: SLF001 - the test needs the real process tree
    small._collect_spawns()  # noqa: SLF001 - read the zygote's answer: the spare's pid
    assert len(small._spare) == 1  # noqa: SLF001
    spare = small._spare[0]  # noqa: SLF001
    assert spare.pid in _children(zygote)
    info = small.probe()  # the spare is what the next spawn hands out, locked down
    assert info["pid"] == spare.pid and info["rlimits"]["RLIMIT_NPROC"] == [0, 0]
    small._collect_spawns()  # noqa: SLF001 - and taking it forked the next spare
    assert len(small._spare) == 1 and small._spare[0].pid != spare.pid  # noqa: SLF001
    assert small.run(fn("def f():\n    return 7\n")).value == 7
    workers = _children(zygote)
    small.close()
    assert _gone(zygote) and all(_gone(w) for w in workers)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV, signal.SIGTERM])
def test_worker_killed_mid_task_is_crashed_and_replaced(sig):
    with SandboxPool(Limits(workers=1, timeout_s=5.0)) as p:
        p.run(fn("def f():\n    return 0\n"))  # warm: one worker exists
        zygote = p._zygote.pid  # noqa: SLF001 - the test needs the real process tree
        victims = _children(zygote)
        assert victims

        def kill_later() -> None:
            # wait until the worker sleeps inside the task (not idle in read), so
            # the death happens mid-task even on a loaded machine
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not _in_sleep(victims[0]):
                time.sleep(0.02)
            for pid in victims:
                os.kill(pid, sig)

        killer = threading.Thread(target=kill_later)
        killer.start()
        out = p.run(fn("import time\ndef f():\n    time.sleep(3)\n    return 1\n"))
        killer.join()
        assert out.status == "crashed", out
        assert signal.Signals(sig).name in out.error
        assert p.run(fn("def f():\n    return 42\n")).value == 42
        assert all(_gone(pid) for pid in victims)


def test_close_leaves_no_processes():
    p = SandboxPool(Limits(workers=2))
    p.run_many([fn("def f():\n    return 1\n")] * 8)
    zygote = p._zygote.pid  # noqa: SLF001
    workers = _children(zygote)
    assert workers
    p.close()
    p.close()  # idempotent
    assert _gone(zygote) and all(_gone(w) for w in workers)
    assert zygote not in _children(os.getpid())


def _spawn_script(body: str) -> subprocess.Popen[str]:
    script = textwrap.dedent("""
        import os, sys
        from semi_core.sandbox import SandboxPool, Limits, Task
        p = SandboxPool(Limits(workers=2))
        p.run_many([Task(code='def f():\\n    return 1\\n', entry_point='f')] * 4)
        z = p._zygote.pid
        kids = open(f'/proc/{z}/task/{z}/children').read().split()
        print(z, *kids, flush=True)
    """) + textwrap.dedent(body)
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)


def _wait_gone(pids: list[int], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(_gone(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


def test_interpreter_exit_cleans_up():
    proc = _spawn_script("")  # no close(): the atexit hook must do it
    pids = [int(x) for x in proc.stdout.readline().split()]
    assert proc.wait(timeout=30) == 0
    assert len(pids) >= 2 and _wait_gone(pids)


def test_parent_killed_cleans_up():
    proc = _spawn_script("import time\ntime.sleep(60)\n")
    pids = [int(x) for x in proc.stdout.readline().split()]
    proc.kill()
    proc.wait(timeout=30)
    assert _wait_gone(pids), "zygote/workers outlived a SIGKILLed parent"


def test_absurdly_deep_result_is_opaque_not_fatal(pool):
    code = """
        import sys
        sys.setrecursionlimit(100000)
        def f():
            x = []
            for _ in range(50000):
                x = [x]
            return x
    """
    out = pool.run(fn(code))
    assert out.status in ("ok", "error") and not (out.status == "ok" and out.comparable)
    assert compare_outcomes(out, out)[0] in (True, False)  # never raises
    assert pool.run(fn("def f():\n    return 3\n")).value == 3


def test_dotted_entry_point(pool):
    code = """
        from typing import List
        class Solution:
            def twoSum(self, nums: List[int], target: int) -> List[int]:
                seen = {}
                for i, x in enumerate(nums):
                    if target - x in seen:
                        return [seen[target - x], i]
                    seen[x] = i
    """
    out = pool.run(fn(code, "[2, 7, 11, 15], 9", entry="Solution.twoSum"))
    assert (out.status, out.value) == ("ok", [0, 1])
    assert pool.run(fn(code, "[1]", entry="Solution.missing")).status == "error"


def test_pool_survives_its_zygote_dying():
    with SandboxPool(Limits(workers=2)) as p:
        assert p.run(fn("def f():\n    return 1\n")).value == 1
        os.kill(p._zygote.pid, signal.SIGKILL)  # noqa: SLF001 - simulate a crash
        p._zygote.wait()  # noqa: SLF001
        outs = p.run_many([fn(f"def f():\n    return {i}\n") for i in range(10)])
        assert [o.value for o in outs] == list(range(10))


def test_large_jobs_and_large_outputs_do_not_deadlock():
    # jobs bigger than a socket buffer, to a worker busy sending big results
    filler = "# " + "x" * 200 + "\n"
    tasks = [prog(filler * 400 + f"print('{i}' * 600000)\n") for i in range(6)]
    done: list = []
    with SandboxPool(Limits(workers=1, timeout_s=5.0)) as p:
        runner = threading.Thread(target=lambda: done.append(p.run_many(tasks)), daemon=True)
        runner.start()
        runner.join(60)
        assert not runner.is_alive(), "run_many deadlocked"
    assert [len(o.stdout) for o in done[0]] == [600001] * 6


def test_closed_pool_answers_instead_of_raising():
    p = SandboxPool(Limits(workers=1))
    p.close()
    out = p.run(fn("def f():\n    return 1\n"))
    assert out.status == "crashed" and "closed" in out.error
