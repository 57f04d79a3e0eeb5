"""Hostile programs against the sandbox: each gets a typed non-ok outcome (or does
no harm), leaves nothing on disk, and the pool then answers an ordinary task
correctly. One test per program; they share a pool (module scope), which is the
point: the pool must survive all of them in sequence.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from semi_core.sandbox import Limits, SandboxPool, Task

NON_OK = {"error", "timeout", "memory", "rejected", "violation", "crashed"}
ORDINARY = Task(code="def add(a, b):\n    return a + b\n", entry_point="add", args="2, 3")


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(Limits(timeout_s=0.5, memory_mb=256, workers=2, kill_grace_s=0.3)) as p:
        yield p


@pytest.fixture(scope="module")
def trap(tmp_path_factory) -> Path:
    """A world-writable directory: if an escape wrote anything, it would land here."""
    d = tmp_path_factory.mktemp("sandbox_trap")
    d.chmod(d.stat().st_mode | stat.S_IRWXU | stat.S_IRWXG | stat.S_IRWXO)
    return d


def _run(
    pool: SandboxPool,
    trap: Path,
    code: str,
    *,
    mode: str = "function",
    stdin: str = "",
    expect: set[str] | None = None,
) -> str:
    code = code.replace("TRAP", str(trap))
    before = set(os.listdir(trap))
    core_before = {p for p in os.listdir("/") if p.startswith("core")}
    out = pool.run(
        Task(code=code, entry_point="f" if mode == "function" else None, mode=mode, stdin=stdin)
    )
    assert out.status in (expect or NON_OK), (out.status, out.error, out.output)
    if out.status != "ok":
        assert out.error, "a non-ok outcome must say why"
    assert set(os.listdir(trap)) == before, "the program left files behind"
    assert {p for p in os.listdir("/") if p.startswith("core")} == core_before
    nxt = pool.run(ORDINARY)
    assert (nxt.status, nxt.value) == ("ok", 5), (nxt.status, nxt.error)
    return out.status


# --- loops, regexes, memory, processes ---------------------------------------


def test_infinite_python_loop(pool, trap):
    assert _run(pool, trap, "def f():\n    while True:\n        pass\n") == "timeout"


def test_c_level_loop_sum_range(pool, trap):
    assert _run(pool, trap, "def f():\n    return sum(range(10**12))\n") == "timeout"


def test_c_level_loop_factorial(pool, trap):
    code = "import math\ndef f():\n    return math.factorial(10**7) % 7\n"
    assert _run(pool, trap, code) == "timeout"


def test_catastrophic_regex(pool, trap):
    code = "import re\ndef f():\n    return bool(re.match(r'(a+)+$', 'a' * 40 + 'b'))\n"
    assert _run(pool, trap, code) == "timeout"


def test_memory_bomb_string(pool, trap):
    assert _run(pool, trap, "def f():\n    return len('a' * 10**10)\n") == "memory"


def test_memory_bomb_bytearray(pool, trap):
    assert _run(pool, trap, "def f():\n    return len(bytearray(10**10))\n") == "memory"


def test_memory_bomb_growing_list(pool, trap):
    code = "def f():\n    xs = []\n    while True:\n        xs.append([0] * 100000)\n"
    assert _run(pool, trap, code, expect={"memory", "timeout"}) in {"memory", "timeout"}


def test_fork_bomb_via_os(pool, trap):
    code = "import os\ndef f():\n    while True:\n        os.fork()\n"
    assert _run(pool, trap, code) == "violation"


def test_fork_bomb_via_subprocess(pool, trap):
    code = "import subprocess\ndef f():\n    subprocess.Popen(['sh', '-c', 'touch TRAP/x'])\n"
    assert _run(pool, trap, code) == "violation"


def test_multiprocessing(pool, trap):
    code = "import multiprocessing\ndef f():\n    multiprocessing.Process(target=print).start()\n"
    assert _run(pool, trap, code) == "violation"


def test_threads(pool, trap):
    code = "import threading\ndef f():\n    threading.Thread(target=lambda: None).start()\n"
    assert _run(pool, trap, code) == "violation"


def test_low_level_threads(pool, trap):
    code = "import _thread\ndef f():\n    _thread.start_new_thread(print, ())\n"
    assert _run(pool, trap, code) == "violation"


def test_kill_parent(pool, trap):
    code = "import os\ndef f():\n    os.kill(os.getppid(), 9)\n"
    assert _run(pool, trap, code) == "violation"
    assert not pool.closed


# --- files, secrets, network -------------------------------------------------


def test_file_write(pool, trap):
    code = "def f():\n    with open('TRAP/pwned.txt', 'w') as fh:\n        fh.write('x')\n"
    assert _run(pool, trap, code) == "violation"


def test_file_write_swallowed(pool, trap):
    code = (
        "def f():\n    try:\n        open('TRAP/pwned.txt', 'w')\n"
        "    except BaseException:\n        pass\n    return 1\n"
    )
    assert _run(pool, trap, code) == "violation"


def test_read_secret_file(pool, trap):
    assert _run(pool, trap, "def f():\n    return open('/etc/shadow').read()\n") == "violation"


def test_read_file_via_io_module(pool, trap):
    code = "import io\ndef f():\n    return io.open('/etc/passwd').read()\n"
    assert _run(pool, trap, code) == "violation"


def test_pathlib_write(pool, trap):
    code = "import pathlib\ndef f():\n    pathlib.Path('TRAP/p').write_text('x')\n"
    assert _run(pool, trap, code) == "violation"


def test_environment_secrets(pool, trap):
    assert _run(pool, trap, "import os\ndef f():\n    return dict(os.environ)\n") == "violation"


def test_socket(pool, trap):
    code = "import socket\ndef f():\n    s = socket.socket()\n    s.connect(('1.1.1.1', 80))\n"
    assert _run(pool, trap, code) == "violation"


def test_urllib(pool, trap):
    code = "import urllib.request\ndef f():\n    urllib.request.urlopen('http://example.com')\n"
    assert _run(pool, trap, code) == "violation"


# --- os / subprocess / ctypes reached directly and through allowed modules -------


def test_os_system_direct(pool, trap):
    code = "import os\ndef f():\n    return os.system('touch TRAP/pwned')\n"
    assert _run(pool, trap, code) == "violation"


def test_from_os_import_system(pool, trap):
    code = "from os import system\ndef f():\n    system('touch TRAP/pwned')\n"
    assert _run(pool, trap, code) == "violation"


def test_os_through_typing_sys(pool, trap):
    code = "import typing\ndef f():\n    return typing.sys.modules['os'].system('id')\n"
    assert _run(pool, trap, code) == "violation"


def test_os_through_random_private_module(pool, trap):
    code = "import random\ndef f():\n    return random._os.system('id')\n"
    assert _run(pool, trap, code) == "violation"


def test_sys_modules(pool, trap):
    code = "import sys\ndef f():\n    return sys.modules['os'].listdir('/')\n"
    assert _run(pool, trap, code) == "violation"


def test_ctypes(pool, trap):
    code = "import ctypes\ndef f():\n    return ctypes.CDLL(None).system(b'id')\n"
    assert _run(pool, trap, code) == "violation"


def test_dunder_import(pool, trap):
    assert _run(pool, trap, "def f():\n    return __import__('os')\n") == "rejected"


def test_importlib(pool, trap):
    code = "import importlib\ndef f():\n    return importlib.import_module('os')\n"
    assert _run(pool, trap, code) == "violation"


def test_builtins_module(pool, trap):
    code = "import builtins\ndef f():\n    return builtins.open('/etc/passwd').read()\n"
    assert _run(pool, trap, code) == "violation"


def test_star_import_cannot_rebind_guards(pool, trap):
    # RestrictedPython 4.0 forbade star imports because they could shadow guard
    # names; ours import only a proxy's public allow-list
    code = "from collections import *\ndef f():\n    return Counter('ab')['a']\n"
    assert _run(pool, trap, code, expect={"ok"}) == "ok"


def test_private_name_import_from_proxy(pool, trap):
    assert _run(pool, trap, "from math import _attrs\ndef f():\n    return 1\n") == "rejected"


# --- frames, generators, coroutines, code objects ----------------------------


def test_generator_gi_frame(pool, trap):
    # RestrictedPython CVE-2023-37271: generator frames reach f_globals / f_builtins
    code = "def f():\n    def g():\n        yield 1\n    return g().gi_frame.f_globals\n"
    assert _run(pool, trap, code) == "rejected"


def test_generator_frame_by_getattr(pool, trap):
    code = (
        "def f():\n    def g():\n        yield 1\n    fr = getattr(g(), 'gi_' + 'frame')\n"
        "    return getattr(fr, 'f_' + 'builtins')\n"
    )
    assert _run(pool, trap, code) == "violation"


def test_traceback_frame_walk(pool, trap):
    code = (
        "def f():\n    try:\n        1 / 0\n    except Exception as e:\n"
        "        tb = getattr(e, '__trace' + 'back__')\n        return tb\n"
    )
    assert _run(pool, trap, code) == "violation"


def test_coroutine_cr_frame(pool, trap):
    code = "async def g():\n    pass\ndef f():\n    return g().cr_frame\n"
    assert _run(pool, trap, code) == "rejected"


def test_code_object(pool, trap):
    code = "def f():\n    return f.__code__.co_code\n"
    assert _run(pool, trap, code) == "rejected"


def test_code_object_by_getattr(pool, trap):
    code = "def f():\n    return getattr(f, '__co' + 'de__')\n"
    assert _run(pool, trap, code) == "violation"


def test_function_globals(pool, trap):
    code = "def f():\n    return getattr(f, '__glob' + 'als__')['__builtins__']\n"
    assert _run(pool, trap, code) == "violation"


# --- class-tree walks and format strings ----------------------------------------


def test_subclasses_walk_static(pool, trap):
    code = "def f():\n    return ().__class__.__bases__[0].__subclasses__()\n"
    assert _run(pool, trap, code) == "rejected"


def test_subclasses_walk_dynamic(pool, trap):
    code = (
        "def f():\n    base = getattr((), '__cl' + 'ass__').__base__\n"
        "    return base.__subclasses__()\n"
    )
    assert _run(pool, trap, code) in {"rejected", "violation"}


def test_subclasses_via_type_dict(pool, trap):
    code = "def f():\n    return getattr(type, '__di' + 'ct__')['__subclasses__'](object)\n"
    assert _run(pool, trap, code) == "violation"


def test_subclasses_via_attrgetter(pool, trap):
    code = "import operator\ndef f():\n    return operator.attrgetter('__subclasses__')(object)()\n"
    assert _run(pool, trap, code) == "violation"


def test_format_string_attribute_access(pool, trap):
    # RestrictedPython CVE-2023-41039: str.format walks attributes past the guards
    code = "def f():\n    return '{0.__class__.__init__.__globals__}'.format(f)\n"
    assert _run(pool, trap, code) == "violation"


def test_format_map_attribute_access(pool, trap):
    code = "def f():\n    return '{x.__globals__}'.format_map({'x': f})\n"
    assert _run(pool, trap, code) == "violation"


def test_string_formatter(pool, trap):
    # RestrictedPython 8.4 advisory (GHSA-hp3v-5vw7-fx9w): string.Formatter.get_field
    code = (
        "import string\ndef f():\n"
        "    return string.Formatter().get_field('0.__globals__', [f], {})\n"
    )
    assert _run(pool, trap, code) == "violation"


def test_fstring_dunder(pool, trap):
    assert _run(pool, trap, "def f():\n    return f'{f.__globals__}'\n") == "rejected"


def test_attribute_error_obj_leak(pool, trap):
    # RestrictedPython CVE-2024-47532: AttributeError.obj leaks the looked-up object
    code = (
        "import math\ndef f():\n    try:\n        math.nope\n"
        "    except AttributeError as e:\n        return e.obj\n"
    )
    assert _run(pool, trap, code, expect=NON_OK) in NON_OK


def test_getattr_with_str_subclass_name(pool, trap):
    # RestrictedPython 7.2/7.3: safer_getattr fooled by a name that is not a plain str
    code = (
        "class S(str):\n    def startswith(self, *a):\n        return False\n"
        "def f():\n    return getattr(f, S('__globals__'))\n"
    )
    assert _run(pool, trap, code) == "error"  # TypeError: names must be exact str


# --- builtins tampering, eval/exec --------------------------------------------


def test_builtins_name(pool, trap):
    code = "def f():\n    __builtins__['len'] = None\n"
    assert _run(pool, trap, code) == "rejected"


def test_globals_builtins(pool, trap):
    code = "def f():\n    return globals()['__builtins__']\n"
    assert _run(pool, trap, code) == "violation"


def test_guard_rebinding(pool, trap):
    code = "_getattr_ = getattr\ndef f():\n    return 1\n"
    assert _run(pool, trap, code) == "rejected"


def test_exec_smuggles_import(pool, trap):
    code = "def f():\n    exec(\"__import__('os').system('touch TRAP/x')\")\n"
    assert _run(pool, trap, code) == "violation"


def test_exec_with_fresh_globals(pool, trap):
    code = "def f():\n    exec(\"open('TRAP/x', 'w')\", {})\n"
    assert _run(pool, trap, code) == "violation"


def test_eval_as_library_callback(pool, trap):
    code = (
        "import heapq\ndef f():\n    return list(heapq.merge([\"open('TRAP/x','w')\"], key=eval))\n"
    )
    assert _run(pool, trap, code) == "violation"


def test_compile_builtin(pool, trap):
    assert _run(pool, trap, "def f():\n    return compile('1', 'x', 'eval')\n") == "violation"


def test_monkeypatch_library_class(pool, trap):
    code = (
        "import collections\ndef f():\n"
        "    collections.Counter.most_common = lambda self, n=None: []\n"
    )
    assert _run(pool, trap, code) == "violation"
    check = pool.run(
        Task(
            code="import collections\ndef f():\n"
            "    return collections.Counter('aab').most_common(1)\n",
            entry_point="f",
        )
    )
    assert check.value == [("a", 2)]


def test_exception_group_escape(pool, trap):
    # RestrictedPython CVE-2025-22153: try/except* escape
    code = (
        "def f():\n    try:\n        raise ExceptionGroup('g', [ValueError()])\n"
        "    except* ValueError as eg:\n        return eg\n"
    )
    assert _run(pool, trap, code) == "rejected"


# --- signals, exits, swallowing, recursion, floods ------------------------------


def test_signal_handler(pool, trap):
    code = (
        "import signal\ndef f():\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "    while True:\n        pass\n"
    )
    assert _run(pool, trap, code) == "violation"


def test_system_exit_swallowed_forever(pool, trap):
    code = (
        "import sys\ndef f():\n    while True:\n        try:\n            sys.exit(0)\n"
        "        except BaseException:\n            pass\n"
    )
    assert _run(pool, trap, code) == "timeout"


def test_timeout_swallowed(pool, trap):
    code = (
        "def f():\n    while True:\n        try:\n            while True:\n"
        "                pass\n        except BaseException:\n            pass\n"
    )
    assert _run(pool, trap, code) == "timeout"


def test_violation_swallowed_then_ok(pool, trap):
    code = (
        "def f():\n    try:\n        import socket\n    except BaseException:\n"
        "        pass\n    return 1\n"
    )
    assert _run(pool, trap, code) == "violation"


def test_recursion_bomb(pool, trap):
    assert _run(pool, trap, "def f(n=0):\n    return f(n + 1)\n") == "error"


def test_recursion_bomb_with_raised_limit(pool, trap):
    code = "import sys\nsys.setrecursionlimit(10**9)\ndef f(n=0):\n    return f(n + 1)\n"
    assert _run(pool, trap, code) in NON_OK


def test_stdout_flood(pool, trap):
    code = "def f():\n    while True:\n        print('x' * 10000)\n"
    assert _run(pool, trap, code) == "violation"


def test_stderr_flood(pool, trap):
    code = "import sys\ndef f():\n    while True:\n        sys.stderr.write('y' * 10000)\n"
    assert _run(pool, trap, code) == "violation"


def test_program_mode_flood(pool, trap):
    code = "while True:\n    print('z' * 1000)\n"
    assert _run(pool, trap, code, mode="program") == "violation"


def test_sleep(pool, trap):
    assert _run(pool, trap, "import time\ndef f():\n    time.sleep(60)\n") == "timeout"


def test_finalizer_class_refused(pool, trap):
    code = (
        "class A:\n    def __del__(self):\n        while True:\n            pass\n"
        "def f():\n    return A()\n"
    )
    assert _run(pool, trap, code) == "rejected"


def test_dynamic_class_with_finalizer(pool, trap):
    # `type(int)` is the real `type`; a class made with it may carry __del__.
    # Its finalizer runs under the job's timer and cannot reach anything.
    code = (
        "def loop(self):\n    while True:\n        pass\n"
        "def f():\n    cls = type(int)('A', (), {'__del__': loop})\n    cls()\n    return 1\n"
    )
    assert _run(pool, trap, code, expect=NON_OK | {"ok"}) in NON_OK | {"ok"}
