"""Compile-time policy: RestrictedPython 9's transformer, extended for ordinary code.

RestrictedPython refuses several constructs that natural code uses every day
(`dp[i] += 1`, `self.n += 1`, `self._cache`, `__repr__`, `x: int = 0`,
`nonlocal`, `match`). We subclass its `RestrictingNodeTransformer` and allow
them *by routing them through the same runtime guards* (`_getattr_`, `_write_`)
rather than by switching guards off. What stays refused is reported with its
line and a sentence a person understands.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from types import CodeType
from typing import Any

from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer

SANDBOX_FILENAME = "<sandbox>"

# Dunder methods a class body may define. `__del__` is left out on purpose:
# finalizers run at unpredictable times (possibly during another test).
MAGIC_METHODS = frozenset(
    """
    __init__ __new__ __post_init__ __repr__ __str__ __format__ __bytes__ __hash__ __bool__
    __len__ __length_hint__ __iter__ __next__ __reversed__ __contains__ __getitem__ __setitem__
    __delitem__ __missing__ __call__ __enter__ __exit__ __getattr__ __copy__ __deepcopy__
    __eq__ __ne__ __lt__ __le__ __gt__ __ge__ __index__ __int__ __float__ __complex__
    __round__ __trunc__ __floor__ __ceil__ __neg__ __pos__ __abs__ __invert__
    __add__ __sub__ __mul__ __matmul__ __truediv__ __floordiv__ __mod__ __divmod__ __pow__
    __lshift__ __rshift__ __and__ __xor__ __or__
    __radd__ __rsub__ __rmul__ __rmatmul__ __rtruediv__ __rfloordiv__ __rmod__ __rdivmod__
    __rpow__ __rlshift__ __rrshift__ __rand__ __rxor__ __ror__
    __iadd__ __isub__ __imul__ __imatmul__ __itruediv__ __ifloordiv__ __imod__ __ipow__
    __ilshift__ __irshift__ __iand__ __ixor__ __ior__
    __class_getitem__ __init_subclass__ __set_name__ __get__ __set__ __delete__
    """.split()
)

# Dunder names a class body may assign (`__slots__ = ("x",)`).
CLASS_DUNDER_ASSIGN = frozenset({"__slots__", "__match_args__", "__hash__", "__doc__"})

# Dunder names code may read as variables.
READABLE_DUNDER_NAMES = frozenset({"__name__", "__doc__", "__file__", "__debug__"})

# Dunder attributes code may read (`type(self).__name__`, `super().__init__`,
# `self.__class__`, `other.__eq__`, `cls.__annotations__`). Everything else that
# starts and ends with "__" (`__globals__`, `__subclasses__`, `__code__`,
# `__builtins__`, `__mro__`, `__traceback__` ...) is refused. The runtime guard
# applies further rules by object (e.g. `__dict__` only on sandbox objects).
READABLE_DUNDER_ATTRS = (
    MAGIC_METHODS
    | {
        "__name__",
        "__qualname__",
        "__doc__",
        "__module__",
        "__class__",
        "__dict__",
        "__slots__",
        "__annotations__",
        "__wrapped__",
        "__members__",
        "__match_args__",
        "__cause__",
        "__context__",
        "__dataclass_fields__",
    }
) - {"__getattr__", "__get__", "__set__", "__delete__", "__set_name__", "__init_subclass__"}

# Attributes refused whatever the object: RestrictedPython's inspect list
# (frames, code objects, generator/coroutine internals) plus a few more.
DENIED_ATTRS = frozenset(INSPECT_ATTRIBUTES) | {"f_lineno", "tb_lasti", "gi_running", "mro"}

# Leaf nodes that carry no names and no code: nothing in the policy inspects them.
_INERT = frozenset(
    cls
    for base in (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)
    for cls in base.__subclasses__()
) | {ast.Constant}

# Node types whose RestrictedPython 9 visitor is exactly `return
# self.node_contents_visit(node)`; dispatching them straight there saves a call.
_PASS_THROUGH = frozenset(
    {
        ast.Raise,
        ast.Assert,
        ast.Delete,
        ast.Pass,
        ast.If,
        ast.While,
        ast.Break,
        ast.Continue,
        ast.Try,
        ast.withitem,
        ast.arguments,
        ast.arg,
        ast.Return,
        ast.Yield,
        ast.YieldFrom,
        ast.Expr,
        ast.UnaryOp,
        ast.BinOp,
        ast.BoolOp,
        ast.Compare,
        ast.keyword,
        ast.IfExp,
        ast.Slice,
        ast.List,
        ast.Tuple,
        ast.Set,
        ast.Dict,
        ast.FormattedValue,
        ast.JoinedStr,
        ast.Starred,
        ast.Expression,
        ast.alias,
    }
)

# Fields that never hold nodes whatever the node type (names, flags, contexts,
# operators): the visit skips them. The checks on names (`id`, `attr`, `name`,
# `arg` ...) are made by the visitor of the node that carries them.
_SCALAR_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "asname", "name", "module", "level", "kind"}
    | {"is_async", "simple", "conversion", "type_comment", "kwd_attrs", "rest"}
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}

_GUARD_NAME = re.compile(r"^_[A-Za-z0-9]+(_[A-Za-z0-9]+)*_$|^_tmp\d+$|^_print$")


def _stamp(new: ast.AST, old: ast.AST, *more: ast.AST) -> ast.AST:
    """Give freshly made nodes the location of the node they replace (so the
    whole tree needs no fix_missing_locations pass, which is half the cost)."""
    lineno = getattr(old, "lineno", 1)
    col = getattr(old, "col_offset", 0)
    end_lineno = getattr(old, "end_lineno", lineno)
    end_col = getattr(old, "end_col_offset", col)
    for n in (new, *more):
        n.lineno, n.col_offset = lineno, col  # type: ignore[attr-defined]
        n.end_lineno, n.end_col_offset = end_lineno, end_col  # type: ignore[attr-defined]
    return new


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def attribute_problem(name: str) -> str | None:
    """Why reading attribute `name` is refused statically, or None when it may be read."""
    if name in DENIED_ATTRS:
        return f'"{name}" reaches interpreter internals (frames, code objects or the class tree)'
    if name.endswith("__roles__"):
        return f'"{name}" is reserved'
    if is_dunder(name) and name not in READABLE_DUNDER_ATTRS:
        return f'"{name}" is a special attribute that sandboxed code may not use'
    return None


@dataclass
class CompileResult:
    code: CodeType | None
    errors: list[str]  # "line 3: ..." sentences; empty when compiled
    syntax_error: SyntaxError | None = None


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictingNodeTransformer + what ordinary code needs, still routed through guards."""

    _dispatch_cache: dict[type, object] = {}

    def __init__(
        self,
        errors: list[str] | None = None,
        warnings: list[str] | None = None,
        used_names: dict[str, bool] | None = None,
    ) -> None:
        super().__init__(errors, warnings, used_names)
        self._scopes: list[str] = ["module"]

    # --- speed: RestrictedPython's generated nodes call fix_missing_locations
    # on every new node (quadratic on deep expressions). We copy the location
    # of the top node only and fix the whole tree once after the visit.
    def visit(self, node: ast.AST) -> Any:
        cls = node.__class__
        method = self._dispatch_cache.get(cls)
        if method is None:
            if cls in _PASS_THROUGH:  # RestrictedPython's visitor only visits children
                method = type(self).node_contents_visit
            else:
                method = getattr(type(self), "visit_" + cls.__name__, None)
                if method is None:
                    method = type(self).generic_visit
            self._dispatch_cache[cls] = method
        return method(self, node)  # type: ignore[operator]

    def node_contents_visit(self, node: Any) -> Any:
        # ast.NodeTransformer.generic_visit, minus its generator and minus visits
        # of leaf nodes that no rule looks at (contexts, operators, constants):
        # they are most of a tree, and the policy is pure Python.
        visit = self.visit
        fields = _CHILD_FIELDS.get(node.__class__)
        if fields is None:
            fields = _CHILD_FIELDS[node.__class__] = tuple(
                f for f in node._fields if f not in _SCALAR_FIELDS
            )
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                if not value:
                    continue
                new: list[ast.AST] = []
                changed = False
                for item in value:
                    if isinstance(item, ast.AST) and type(item) not in _INERT:
                        result = visit(item)
                        if result is not item:
                            changed = True
                            if result is None:
                                continue
                            if not isinstance(result, ast.AST):
                                new.extend(result)
                                continue
                        new.append(result)
                    else:
                        new.append(item)
                if changed:
                    value[:] = new
            elif isinstance(value, ast.AST) and type(value) not in _INERT:
                result = visit(value)
                if result is None:
                    delattr(node, name)
                elif result is not value:
                    setattr(node, name, result)
        return node

    def error(self, node: ast.AST, info: str) -> None:
        lineno = getattr(node, "lineno", None)
        self.errors.append(f"line {lineno}: {info}")

    # --- names -----------------------------------------------------------
    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        if name is None or name in ("_", "__"):
            return
        if name[0] != "_":  # the common case: no dunder, private or guard name
            if name.endswith("__roles__"):
                self.error(node, f'"{name}" is a reserved name')
            return
        if name.endswith("__roles__"):
            self.error(node, f'"{name}" is a reserved name')
        elif is_dunder(name):
            in_class = self._scopes[-1] == "class"
            if allow_magic_methods and in_class and name in MAGIC_METHODS:
                return
            ctx = getattr(node, "ctx", None)
            if isinstance(ctx, ast.Load) and name in READABLE_DUNDER_NAMES:
                return
            if in_class and isinstance(ctx, ast.Store) and name in CLASS_DUNDER_ASSIGN:
                return
            if name == "__del__":
                self.error(
                    node, '"__del__" finalizers are not allowed (they run at unpredictable times)'
                )
            else:
                self.error(
                    node, f'"{name}" is a special name that sandboxed code may not define or use'
                )
        elif name.startswith("_") and _GUARD_NAME.match(name):
            self.error(node, f'"{name}" is reserved for the sandbox\'s guards')

    def visit_Name(self, node: ast.Name) -> Any:
        # Unlike RestrictedPython we keep `print` a plain builtin (ours writes to
        # the captured stdout), so no print-collector rewrite happens here; and
        # `used_names` (only read by RestrictedPython's own eval helper) is not kept.
        name = node.id
        if name[0] != "_" and not name.endswith("__roles__"):
            return node  # the common case of check_name, without the call
        self.check_name(node, name)
        return node

    # --- attributes ------------------------------------------------------
    def _check_attr(self, node: ast.AST, name: str) -> None:
        problem = attribute_problem(name)
        if problem:
            self.error(node, problem)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        # Same rewrite as RestrictedPython (`a.b` -> `_getattr_(a, "b")`,
        # `a.b = c` -> `_write_(a).b = c`) with our name rules: `self._x` is fine.
        self._check_attr(node, node.attr)
        node.value = self.visit(node.value)
        if isinstance(node.ctx, ast.Load):
            func = ast.Name("_getattr_", ast.Load())
            const = ast.Constant(node.attr)
            new = ast.Call(func=func, args=[node.value, const], keywords=[])
            return _stamp(new, node, func, const)
        func = ast.Name("_write_", ast.Load())
        node.value = _stamp(ast.Call(func=func, args=[node.value], keywords=[]), node.value, func)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        node.value = self.visit(node.value)
        node.slice = self.visit(node.slice)
        if isinstance(node.ctx, ast.Load):
            func = ast.Name("_getitem_", ast.Load())
            new = ast.Call(func=func, args=[node.value, node.slice], keywords=[])
            return _stamp(new, node, func)
        func = ast.Name("_write_", ast.Load())
        node.value = _stamp(ast.Call(func=func, args=[node.value], keywords=[]), node.value, func)
        return node

    def guard_iter(self, node: Any) -> Any:
        node = self.node_contents_visit(node)
        # `for a, b in x` gets no `_iter_unpack_sequence_` wrapper: it only
        # applies `_getiter_` to each element, and ours is the builtin iter
        func = ast.Name("_getiter_", ast.Load())
        new_iter = ast.Call(func=func, args=[node.iter], keywords=[])
        node.iter = _stamp(new_iter, node.iter, func)
        return node

    def visit_Assign(self, node: ast.Assign) -> Any:
        # Same reasoning for `a, b = b, a + b`: native unpacking (see guard_iter).
        return self.node_contents_visit(node)

    # --- statements RestrictedPython refuses but ordinary code needs ------
    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        # `dp[i] += 1` becomes `_write_(dp)[i] += 1`; `self.n += 1` becomes
        # `_write_(self).n += 1`: the container/object still passes the write
        # guard, and the attribute name passed the static check. Names
        # (`n += 1`) stay native: RestrictedPython's `_inplacevar_` only exists
        # to guard iteration inside in-place ops, and our `_getiter_` performs
        # no per-item checks, so native code is equivalent and faster.
        node.value = self.visit(node.value)
        target = node.target
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            node.target = self.visit(target)
        else:
            self.check_name(target, getattr(target, "id", None))
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        # Annotations are ordinary expressions: visit (and guard) all parts.
        return self.node_contents_visit(node)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> Any:
        # Rebinding an enclosing function's local is harmless; guard names are
        # globals and cannot be targeted by `nonlocal`.
        for name in node.names:
            self.check_name(node, name)
        return node

    def visit_Global(self, node: ast.Global) -> Any:
        for name in node.names:
            self.check_name(node, name)
        return node

    def visit_Call(self, node: ast.Call) -> Any:
        # RestrictedPython refuses eval()/exec() outright. Ours are builtins that
        # compile their source text with this same policy and run it with the
        # sandbox's globals, so they need no special treatment here.
        # *args/**kwargs stay native: `_apply_` exists to guard iteration of the
        # star arguments, which our `_getiter_` does not restrict anyway.
        return self.node_contents_visit(node)

    def check_import_names(self, node: Any) -> Any:
        for alias in node.names:
            if alias.name != "*":
                self.check_name(node, alias.name.split(".")[0])
            if isinstance(node, ast.ImportFrom) and alias.name.startswith("_"):
                # `from m import _x` reads attributes natively, past the guards
                self.error(node, f'importing the private name "{alias.name}" is not allowed')
            if alias.asname:
                self.check_name(node, alias.asname)
        return self.node_contents_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        self.check_name(node, node.name, allow_magic_methods=True)
        self.check_function_argument_names(node)
        self._scopes.append("function")
        try:
            return self.node_contents_visit(node)
        finally:
            self._scopes.pop()

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        self.check_function_argument_names(node)
        self._scopes.append("function")
        try:
            return self.node_contents_visit(node)
        finally:
            self._scopes.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        # RestrictedPython rewrites every class to `metaclass=__metaclass__` (our
        # runtime marks sandbox classes there) and refuses `metaclass=`. We pass
        # an explicit metaclass (`class A(metaclass=ABCMeta)`) on to ours instead,
        # and keep other class keywords, which RestrictedPython drops.
        keywords = [self.visit(k) for k in node.keywords]
        node.keywords = []
        self._scopes.append("class")
        try:
            new = super().visit_ClassDef(node)
        finally:
            self._scopes.pop()
        for kw in keywords:
            if kw.arg == "metaclass":
                kw = _stamp(ast.keyword(arg="sandbox_metaclass", value=kw.value), kw)
            elif kw.arg is None:
                self.error(node, "**kwargs in a class statement are not supported")
            new.keywords.append(kw)
        return ast.copy_location(new, node)

    def visit_Module(self, node: ast.Module) -> Any:
        return self.node_contents_visit(node)

    def visit_TryStar(self, node: ast.AST) -> Any:
        self.error(node, "except* (exception groups) is not supported in the sandbox")

    def visit_AsyncFunctionDef(self, node: ast.AST) -> Any:
        self.error(node, "async functions are not supported in the sandbox")

    # --- match statements: patterns bind names and read attributes natively,
    # so every bound name and every keyword attribute gets the static checks.
    def visit_Match(self, node: ast.Match) -> Any:
        return self.node_contents_visit(node)

    def visit_match_case(self, node: ast.match_case) -> Any:
        return self.node_contents_visit(node)

    def _visit_pattern(self, node: ast.AST) -> Any:
        return self.node_contents_visit(node)

    visit_MatchSingleton = visit_MatchSequence = visit_MatchOr = _visit_pattern

    def _check_dotted(self, node: ast.AST, expr: ast.expr) -> None:
        # Pattern values and classes must stay plain dotted names (the compiler
        # requires it), so they are read natively: check every attribute name.
        while isinstance(expr, ast.Attribute):
            self._check_attr(node, expr.attr)
            if expr.attr.startswith("_"):
                self.error(node, f'patterns may not read "{expr.attr}"')
            expr = expr.value
        if isinstance(expr, ast.Name):
            self.check_name(expr, expr.id)

    def visit_MatchValue(self, node: ast.MatchValue) -> Any:
        if isinstance(node.value, (ast.Attribute, ast.Name)):
            self._check_dotted(node, node.value)
            return node
        return self.node_contents_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> Any:
        self.check_name(node, node.name)
        return self.node_contents_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> Any:
        self.check_name(node, node.name)
        return node

    def visit_MatchMapping(self, node: ast.MatchMapping) -> Any:
        self.check_name(node, node.rest)
        return self.node_contents_visit(node)

    def visit_MatchClass(self, node: ast.MatchClass) -> Any:
        for attr in node.kwd_attrs:
            self._check_attr(node, attr)
            if attr.startswith("_"):
                self.error(node, f'class patterns may not read "{attr}"')
        if node.patterns:
            # Positional class patterns read attributes named by __match_args__,
            # which we cannot check here; allow them only for builtin types such
            # as `int(x)` / `str(s)` (single positional capture).
            if not (isinstance(node.cls, ast.Name) and len(node.patterns) == 1):
                self.error(
                    node,
                    "positional class patterns are not supported; "
                    "use keyword patterns like Point(x=0)",
                )
        self._check_dotted(node, node.cls)
        node.patterns = [self.visit(p) for p in node.patterns]
        node.kwd_patterns = [self.visit(p) for p in node.kwd_patterns]
        return node


def _format_syntax_error(exc: SyntaxError) -> str:
    text = (exc.text or "").strip()
    where = f" at {text!r}" if text else ""
    return f"line {exc.lineno}: {exc.msg}{where}"


def compile_sandboxed(
    source: str, filename: str = SANDBOX_FILENAME, mode: str = "exec"
) -> CompileResult:
    """Parse, apply the policy and compile. Never raises for bad input."""
    try:
        tree = ast.parse(source, filename, mode)
    except SyntaxError as exc:
        return CompileResult(None, [_format_syntax_error(exc)], exc)
    except (ValueError, MemoryError, RecursionError) as exc:  # null bytes, absurd nesting
        err = SyntaxError(str(exc) or type(exc).__name__)
        return CompileResult(None, [f"line None: {err.msg}"], err)
    errors: list[str] = []
    policy = SandboxPolicy(errors, [], {})
    try:
        policy.visit(tree)
    except RecursionError:
        errors.append("line None: the code is nested too deeply to check")
    if errors:
        return CompileResult(None, _dedupe(errors))
    try:
        try:
            code = compile(tree, filename, mode, dont_inherit=True)
        except (TypeError, ValueError):  # a generated node without a location
            code = compile(ast.fix_missing_locations(tree), filename, mode, dont_inherit=True)
    except SyntaxError as exc:  # e.g. 'return' outside function, found by the compiler
        return CompileResult(None, [_format_syntax_error(exc)], exc)
    except (ValueError, RecursionError, MemoryError) as exc:
        return CompileResult(None, [f"line None: cannot compile: {exc}"])
    return CompileResult(code, [])


def _dedupe(errors: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for e in errors:
        seen.setdefault(e, None)
    return list(seen)
