"""`ast.parse` is one thread at a time (CPython's AST constructor shares a recursion
counter between threads), and a forked child never inherits the lock held."""

from __future__ import annotations

import ast
import os
import signal

import semi_core._ast_lock as guard


def test_ast_parse_goes_through_the_lock():
    assert ast.parse is guard.parse
    assert isinstance(ast.parse("x = [1, 2]"), ast.Module)
    assert ast.literal_eval("{'a': (1, 2.5)}") == {"a": (1, 2.5)}


def test_a_child_forked_while_the_lock_is_held_can_still_parse():
    with guard._lock:  # as another thread may hold it when a worker is forked
        pid = os.fork()
        if pid == 0:  # the child: a deadlock would end in SIGALRM, not exit code 0
            signal.alarm(5)
            ast.parse("def f(x):\n    return x + 1\n")
            os._exit(0)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
