"""The compile-time policy: what ordinary code needs compiles, what reaches internals
is refused with a line and a readable reason. Plus end-to-end runs of ordinary
constructs through real workers."""

from __future__ import annotations

import textwrap

import pytest

from semi_core.sandbox import Limits, SandboxPool, Task
from semi_core.sandbox.policy import compile_sandboxed

ALLOWED = {
    "augmented item/attr assignment": """
        class C:
            def __init__(self):
                self.n = 0
                self._cache = {}
            def bump(self):
                self.n += 1
                self._cache['k'] = self.n
        dp = [0] * 3
        dp[1] += 2
        dp[1:2] += [5]
    """,
    "underscore names": (
        "_x = 1\n_helper = lambda _: _ + _x\n__private = 3\nfor _ in range(2): pass\n"
    ),
    "main guard": "if __name__ == '__main__':\n    print(__name__)\n",
    "annotated assignment": "x: int = 1\ny: list[int]\nclass P:\n    a: int = 0\n",
    "dataclass": """
        from dataclasses import dataclass, field
        @dataclass(frozen=True, order=True)
        class P:
            x: int
            ys: tuple = ()
            zs: list = field(default_factory=list)
    """,
    "dunder methods": """
        class V:
            __slots__ = ('xs',)
            def __init__(self, xs): self.xs = xs
            def __repr__(self): return f'V({self.xs!r})'
            def __len__(self): return len(self.xs)
            def __iter__(self): return iter(self.xs)
            def __hash__(self): return hash(tuple(self.xs))
            def __eq__(self, o): return type(o) is type(self) and self.xs == o.xs
            def __lt__(self, o): return self.xs < o.xs
            def __getitem__(self, i): return self.xs[i]
            def __add__(self, o): return V(self.xs + o.xs)
            def __contains__(self, x): return x in self.xs
            def __bool__(self): return bool(self.xs)
    """,
    "super and class name": """
        class A:
            def __init__(self): self.k = type(self).__name__ + self.__class__.__name__
        class B(A):
            def __init__(self):
                super().__init__()
    """,
    "nonlocal and global": """
        total = 0
        def outer():
            c = 0
            def inc():
                nonlocal c
                c += 1
            inc()
            global total
            total += c
    """,
    "match statement": """
        def f(x):
            match x:
                case [a, b, *rest]: return a + b
                case {'k': v, **others}: return v
                case int(n) | float(n): return n
                case P(x=0): return 0
                case None: return None
                case _: return -1
    """,
    "tuple unpacking": "a, (b, c) = 1, (2, 3)\nfor i, (k, v) in enumerate({}.items()): pass\n",
    "walrus and comprehensions": "xs = [y for x in range(3) if (y := x * 2)]\n",
    "star args": "def f(*a, **k): return a, k\nf(*[1, 2], **{'x': 3})\n",
    "metaclass keyword": "from abc import ABCMeta\nclass A(metaclass=ABCMeta): pass\n",
    "future import": "from __future__ import annotations\ndef f(x: 'int') -> 'int': return x\n",
    "star import": "from math import *\nprint(sqrt(4))\n",
    "eval of text": "x = eval('1 + 2')\n",
    "try/finally/with": (
        "try:\n    pass\nexcept (ValueError, KeyError) as e:\n    raise\nfinally:\n    pass\n"
    ),
}

REFUSED = {
    "frame attribute": (
        "def f():\n    def g():\n        yield\n    return g().gi_frame\n",
        4,
        "gi_frame",
    ),
    "code object": ("def f():\n    return f.__code__\n", 2, "__code__"),
    "globals": ("def f():\n    return f.__globals__\n", 2, "__globals__"),
    "subclasses": ("x = ().__class__.__base__.__subclasses__()\n", 1, "__subclasses__"),
    "builtins name": ("__builtins__['x'] = 1\n", 1, "__builtins__"),
    "guard name": ("_getattr_ = 1\n", 1, "reserved"),
    "import name": ("x = __import__('os')\n", 1, "__import__"),
    "finalizer": ("class A:\n    def __del__(self):\n        pass\n", 2, "__del__"),
    "exception groups": ("try:\n    pass\nexcept* ValueError:\n    pass\n", 1, "except*"),
    "async": ("async def f():\n    pass\n", 1, "async"),
    "private from-import": ("from random import _os\n", 1, "private"),
    "mro walk": ("x = int.mro()\n", 1, "mro"),
    "dunder in pattern": ("match x:\n    case C(__class__=c):\n        pass\n", 2, "__class__"),
}


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_ordinary_constructs_compile(name):
    result = compile_sandboxed(textwrap.dedent(ALLOWED[name]))
    assert result.errors == [] and result.code is not None


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refusals_name_the_line_and_reason(name):
    source, line, word = REFUSED[name]
    result = compile_sandboxed(source)
    assert result.code is None
    assert result.errors[0].startswith(f"line {line}:"), result.errors
    assert word in " ".join(result.errors)


def test_syntax_errors_are_reported_not_raised():
    result = compile_sandboxed("def f(:\n")
    assert result.code is None and result.syntax_error is not None
    assert result.errors[0].startswith("line 1:")


def test_null_bytes_and_deep_nesting_do_not_raise():
    assert compile_sandboxed("x = 1\x00").code is None
    assert compile_sandboxed("x = " + "(" * 5000 + ")" * 5000).code is None


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(Limits(timeout_s=2.0, workers=2)) as p:
        yield p


REAL_CODE = {
    "dp with augmented items": (
        """
        def f(n):
            dp = [0] * (n + 1)
            dp[0] = 1
            for i in range(1, n + 1):
                for c in (1, 2):
                    if i >= c:
                        dp[i] += dp[i - c]
            return dp[n]
    """,
        "10",
        89,
    ),
    "class with counters and repr": (
        """
        class Counter:
            def __init__(self):
                self.n = 0
                self._seen = set()
            def add(self, x):
                if x not in self._seen:
                    self._seen.add(x)
                    self.n += 1
                return self
            def __repr__(self):
                return f'{type(self).__name__}({self.n})'
            def __len__(self):
                return self.n
        def f(xs):
            c = Counter()
            for x in xs:
                c.add(x)
            return repr(c), len(c)
    """,
        "[1, 2, 2, 3]",
        ("Counter(3)", 3),
    ),
    "dataclass ordering": (
        """
        from dataclasses import dataclass, field
        @dataclass(order=True)
        class Job:
            priority: int
            name: str = field(compare=False)
        def f(pairs):
            return [j.name for j in sorted(Job(p, n) for p, n in pairs)]
    """,
        "[[3, 'c'], [1, 'a'], [2, 'b']]",
        ["a", "b", "c"],
    ),
    "enum and match": (
        """
        from enum import Enum
        class Op(Enum):
            ADD = '+'
            MUL = '*'
        def f(op, a, b):
            match Op(op):
                case Op.ADD:
                    return a + b
                case Op.MUL:
                    return a * b
    """,
        "'*', 6, 7",
        42,
    ),
    "heapq bisect collections": (
        """
        import heapq, bisect
        from collections import defaultdict, deque
        from functools import lru_cache
        from itertools import accumulate
        def f(xs):
            h = list(xs)
            heapq.heapify(h)
            smallest = [heapq.heappop(h) for _ in range(2)]
            pos = bisect.bisect_left(sorted(xs), 5)
            groups = defaultdict(list)
            for x in xs:
                groups[x % 2].append(x)
            q = deque(xs)
            q.rotate(1)
            @lru_cache(maxsize=None)
            def fib(n):
                return n if n < 2 else fib(n - 1) + fib(n - 2)
            return smallest, pos, dict(groups), list(q)[0], fib(30), list(accumulate(xs))[-1]
    """,
        "[7, 3, 9, 1]",
        ([1, 3], 2, {1: [7, 3, 9, 1]}, 1, 832040, 20),
    ),
    "str.format and f-strings": (
        """
        def f(name, n):
            return '{} has {:03d} items'.format(name, n) + f' ({n / 3:.2f})' + '%s!' % name
    """,
        "'box', 7",
        "box has 007 items (2.33)box!",
    ),
    "private helper and main guard": (
        """
        import sys
        _MEMO = {}
        def _helper(x):
            if x not in _MEMO:
                _MEMO[x] = x * x
            return _MEMO[x]
        def f(x):
            sys.setrecursionlimit(5000)
            return _helper(x)
        if __name__ == '__main__':
            print(f(int(input())))
    """,
        "12",
        144,
    ),
    "generators and closures": (
        """
        def f(n):
            def gen():
                a, b = 0, 1
                while True:
                    yield a
                    a, b = b, a + b
            total = 0
            def add(v):
                nonlocal total
                total += v
            g = gen()
            for _ in range(n):
                add(next(g))
            return total
    """,
        "10",
        88,
    ),
    "json re math statistics": (
        """
        import json, re, math, statistics, string, textwrap, unicodedata, hashlib
        def f(s):
            nums = [int(m) for m in re.findall(r'\\d+', s)]
            return (json.dumps({'n': nums}), math.prod(nums), statistics.mean(nums),
                    string.ascii_lowercase[:3], textwrap.shorten('a b c d e', 5),
                    unicodedata.name('a'), hashlib.md5(s.encode()).hexdigest()[:6])
    """,
        "'a1b22c3'",
        None,
    ),  # checked part by part below
}


@pytest.mark.parametrize("name", sorted(REAL_CODE))
def test_ordinary_code_runs(pool, name):
    code, args, expected = REAL_CODE[name]
    entry = "f"
    out = pool.run(Task(code=textwrap.dedent(code), entry_point=entry, args=args))
    assert out.status == "ok", out.error
    if name == "json re math statistics":  # too long to write out: check the parts
        value = out.value
        assert value[0] == '{"n": [1, 22, 3]}' and value[1] == 66
        assert value[3] == "abc" and value[5] == "LATIN SMALL LETTER A"
        assert len(value[6]) == 6
        return
    assert out.value == expected


def test_pass_through_shortcut_matches_restrictedpython():
    """The policy dispatches some node types straight to the child visit because
    RestrictedPython's visitor for them does nothing else. If an upgrade adds a
    check to one of them, this fails instead of silently skipping the check."""
    import ast as ast_mod
    import inspect

    from RestrictedPython.transformer import RestrictingNodeTransformer

    from semi_core.sandbox.policy import _PASS_THROUGH

    for cls in _PASS_THROUGH:
        method = getattr(RestrictingNodeTransformer, "visit_" + cls.__name__)
        fn = ast_mod.parse(textwrap.dedent(inspect.getsource(method))).body[0]
        body = [
            stmt
            for stmt in fn.body
            if not (isinstance(stmt, ast_mod.Expr) and isinstance(stmt.value, ast_mod.Constant))
        ]
        assert [ast_mod.unparse(stmt) for stmt in body] == [
            "return self.node_contents_visit(node)"
        ], cls.__name__
