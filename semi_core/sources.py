"""Natural code in: Python files and folders, and JSONL/JSON/Parquet/CSV datasets → snippets.

A *snippet* is one unit of natural code that can run on its own: a top-level function
together with what it needs from its file (imports, helpers, constants, classes it refers
to), or a whole file that reads standard input (a *program*). Each snippet carries flags
for what Semi-Instruct repairs, or a rejection with a reason when it cannot be used.

Ingestion is idempotent: a snippet's id is the hash of its code with comments and spacing
normalised, so the same code is stored once however often, or from wherever, it comes in.
Bad input costs only itself: each problem is reported with its file and line.
"""

from __future__ import annotations

import ast
import builtins
import functools
import gzip
import json
import os
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

import duckdb

from semi_core.code_shape import normalized_code, snippet_flags, too_long
from semi_core.store import SNIPPET_COLUMNS, Store, content_id

CODE_COLUMNS = ("code", "content", "solution", "canonical_solution", "output")
SKIP_DIRS = {
    ".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".tox", ".nox", ".venv", "venv", "env", ".eggs", "node_modules", "site-packages",
    "dist-packages",
}  # fmt: skip
MAX_LINES = 200
BATCH_SIZE = 2_000

BUILTIN_NAMES = set(dir(builtins))


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass
class Problem:
    """One piece of bad input: where it is and what is wrong with it."""

    where: str  # "path" or "path:line"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


SUMMARY_PROBLEMS = 200  # problems listed in a run's record (all are counted)


@dataclass
class IngestReport:
    """What an ingest did; printed by `semi ingest` and recorded with the run."""

    files: int = 0
    rows: int = 0
    found: int = 0  # snippets found, usable or rejected, duplicates included
    new: int = 0  # snippets stored by this ingest
    already_stored: int = 0  # found, but an earlier ingest stored them
    duplicates: int = 0  # repeats of a snippet seen earlier in this same ingest
    kinds: dict[str, int] = field(default_factory=dict)
    rejections: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)
    skipped_files: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["problems"] = [str(p) for p in self.problems]
        return data

    def summary(self, max_problems: int = SUMMARY_PROBLEMS) -> dict[str, Any]:
        """What a run records of its ingest: the counts, how many problems, and the first
        `max_problems` of them as {where, problem} (a run's record stays small)."""
        return {
            "new": self.new, "found": self.found, "files": self.files,
            "already_stored": self.already_stored, "duplicates": self.duplicates,
            "rejections": dict(self.rejections), "skipped_files": dict(self.skipped_files),
            "problems": len(self.problems),
            "problem_list": [{"where": p.where, "problem": p.message}
                             for p in self.problems[:max_problems]],
        }  # fmt: skip


def source_name(path: str | os.PathLike[str]) -> str:
    """How snippets ingested from `path` name their source."""
    return str(Path(path))


@dataclass
class Snippet:
    source: str
    path: str
    line: int | None
    name: str | None
    kind: str  # 'function' | 'program'
    entry_point: str | None
    code: str
    flags: list[str] = field(default_factory=list)
    rejection: str | None = None
    rejection_detail: str | None = None
    metadata: dict[str, Any] | None = None
    language: str = "python"

    @functools.cached_property
    def id(self) -> str:
        return content_id(self.language, normalized_code(self.code))

    def row(self) -> dict[str, Any]:
        return {column: getattr(self, column) for column in SNIPPET_COLUMNS}

    def __setattr__(self, name: str, value: Any) -> None:
        # The id depends on the code: forget a cached id when the code changes.
        if name in ("code", "language"):
            self.__dict__.pop("id", None)
        super().__setattr__(name, value)


# ---------------------------------------------------------------------------------------
# Python source → snippets
# ---------------------------------------------------------------------------------------


def _is_main_guard(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def _reads_stdin(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Name):
            if child.func.id == "input":
                return True
        if isinstance(child, ast.Attribute) and child.attr == "stdin":
            return True
        if isinstance(child, ast.Name) and child.id == "stdin":
            return True
    return False


def _defined_names(node: ast.stmt) -> set[str]:
    """The module-level names a statement binds."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    if isinstance(node, ast.Try):  # try: import fast except ImportError: fallback
        return set().union(*(_defined_names(n) for n in node.body + node.orelse))
    names = set()
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        targets = [node.target]
    for target in targets:
        names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _used_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - BUILTIN_NAMES


def _program_reads_stdin(tree: ast.Module) -> bool:
    """Top-level code reads stdin directly, or through a function it calls by name."""
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if _reads_stdin(node):
            return True
        called = {
            c.func.id
            for c in ast.walk(node)
            if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
        }
        if any(name in functions and _reads_stdin(functions[name]) for name in called):
            return True
    return False


def _segment(source_lines: list[str], node: ast.stmt) -> str:
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return "".join(source_lines[start - 1 : node.end_lineno]).rstrip() + "\n"


class ModuleIndex:
    """What each module-level statement of a file defines and uses, computed once per file
    so that finding every function's dependencies stays linear in the file's size."""

    def __init__(self, tree: ast.Module, source_lines: list[str]):
        self.tree = tree
        self.source_lines = source_lines
        self.providers: dict[str, list[ast.stmt]] = {}
        self.star_imports: list[ast.stmt] = []
        self._uses: dict[int, set[str]] = {}
        for node in tree.body:
            if _is_main_guard(node):
                continue
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                self.star_imports.append(node)
                continue
            for name in _defined_names(node):
                self.providers.setdefault(name, []).append(node)

    def uses(self, node: ast.AST) -> set[str]:
        if id(node) not in self._uses:
            self._uses[id(node)] = _used_names(node)
        return self._uses[id(node)]

    def unit(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        """The function plus the module-level statements it needs, in the file's order."""
        needed: set[int] = set()
        pending = list(self.uses(function))
        seen_names: set[str] = set()
        local = _local_names(function)
        unresolved = False
        while pending:
            name = pending.pop()
            if name in seen_names:
                continue
            seen_names.add(name)
            providers = [n for n in self.providers.get(name, []) if n is not function]
            if not providers:
                unresolved = unresolved or name not in local
                continue
            for node in providers:
                if id(node) not in needed:
                    needed.add(id(node))
                    pending.extend(self.uses(node))
        if unresolved:
            needed |= {id(node) for node in self.star_imports}

        chosen = [node for node in self.tree.body if id(node) in needed]
        imports = [n for n in chosen if isinstance(n, ast.Import | ast.ImportFrom | ast.Try)]
        others = [n for n in chosen if n not in imports]
        parts = [_segment(self.source_lines, n) for n in imports]
        if imports:
            parts.append("\n")
        for node in others:
            parts.append(_segment(self.source_lines, node) + "\n")
        parts.append(_segment(self.source_lines, function))
        return "".join(parts)


def _local_names(function: ast.FunctionDef) -> set[str]:
    args = function.args
    names = {a.arg for a in args.args + args.kwonlyargs + args.posonlyargs}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def snippets_from_python(
    code: str,
    *,
    source: str,
    path: str,
    line_offset: int = 0,
    metadata: dict[str, Any] | None = None,
    entry_point: str | None = None,
    max_lines: int = MAX_LINES,
) -> list[Snippet]:
    """Split one Python source text into snippets (rejected ones included, with reasons).

    `entry_point` names the function to use when the text is one unit (a dataset row);
    without it every top-level function of a file becomes a snippet of its own.
    """
    base = {"source": source, "path": path, "metadata": metadata}
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None)
        return [
            Snippet(
                **base,
                line=line_offset + (line or 1),
                name=entry_point,
                kind="function",
                entry_point=entry_point,
                code=code,
                rejection="syntax_error",
                rejection_detail=f"line {line}: {getattr(error, 'msg', error)}",
            )
        ]

    # Reading stdin needs the word `input` or `stdin` in the text.
    if ("input" in code or "stdin" in code) and _program_reads_stdin(tree):
        snippet = Snippet(
            **base,
            line=line_offset + 1,
            name=Path(path).name.split(".")[0],
            kind="program",
            entry_point=None,
            code=code,
            flags=snippet_flags(tree, None, code),
        )
        if reason := too_long(code, max_lines):
            snippet.rejection, snippet.rejection_detail = "too_long", reason
        return [snippet]

    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if entry_point is not None:
        functions = [f for f in functions if f.name == entry_point] or functions[-1:]
    if not functions:
        return [
            Snippet(
                **base,
                line=line_offset + 1,
                name=entry_point or Path(path).stem,
                kind="function",
                entry_point=None,
                code=code,
                rejection="no_entry_point",
                rejection_detail="no top-level function and no reading of standard input",
            )
        ]

    # A dataset row is one unit already; a file is cut into units by what each function uses.
    index = ModuleIndex(tree, code.splitlines(keepends=True)) if entry_point is None else None
    snippets = []
    for function in functions:
        if index is not None:
            unit = index.unit(function)
        else:  # a dataset row is one unit already: keep all of it
            unit = code if code.endswith("\n") else code + "\n"
        snippet = Snippet(
            **base,
            line=line_offset + function.lineno,
            name=function.name,
            kind="function",
            entry_point=function.name,
            code=unit,
            flags=snippet_flags(function, function, unit),
        )
        if isinstance(function, ast.AsyncFunctionDef):
            snippet.rejection = "no_entry_point"
            snippet.rejection_detail = f"{function.name} is async; only plain calls are run"
        elif reason := too_long(unit, max_lines):
            snippet.rejection, snippet.rejection_detail = "too_long", reason
        snippets.append(snippet)
    return snippets


# ---------------------------------------------------------------------------------------
# Files and folders
# ---------------------------------------------------------------------------------------

# Tabular files are parsed by DuckDB (fast, streaming, typed) into plain dicts in batches.
# This SQL reads an input file, not the store's data, so it lives here with the other
# readers of datasets rather than in the store.

TABULAR_READERS = {
    ".parquet": "read_parquet(?)",
    ".csv": "read_csv(?, ignore_errors = true, store_rejects = true, all_varchar = true)",
    ".jsonl": "read_json(?, format = 'newline_delimited', sample_size = -1)",
    ".ndjson": "read_json(?, format = 'newline_delimited', sample_size = -1)",
    ".json": "read_json(?, format = 'auto', sample_size = -1)",
}


@dataclass
class TableRead:
    """A tabular file opened for reading: its columns, a row stream, and rejected rows."""

    columns: list[str]
    batches: Iterator[list[dict[str, Any]]]
    rejected: Callable[[], list[tuple[int, str]]]


def table_suffix(path: str | os.PathLike[str]) -> str:
    """The format suffix of a dataset file, looking through compression (`.jsonl.gz`)."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in (".gz", ".zst"):
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def read_table(path: str, batch_size: int = 5000) -> TableRead:
    """Open a Parquet, CSV, JSON or JSONL file through DuckDB.

    Raises `duckdb.Error` when the file cannot be parsed as a whole (for example a JSONL
    file with a malformed line: the caller then falls back to line-by-line reading so one
    broken line costs only itself).
    """
    suffix = table_suffix(path)
    reader = TABULAR_READERS[suffix]
    db = duckdb.connect()
    # The read lasts as long as the whole ingest: DuckDB would draw a progress bar for it.
    db.execute("SET enable_progress_bar = false")
    cur = db.execute(f"SELECT * FROM {reader}", [path])
    columns = [d[0] for d in cur.description]
    json_columns = {d[0] for d in cur.description if str(d[1]).upper() == "JSON"}

    def batches() -> Iterator[list[dict[str, Any]]]:
        try:
            while rows := cur.fetchmany(batch_size):
                batch = [dict(zip(columns, row, strict=True)) for row in rows]
                for record in batch:
                    for column in json_columns:  # mixed-type columns come back as JSON text
                        if isinstance(record[column], str):
                            record[column] = json.loads(record[column])
                yield batch
        finally:
            db.close()

    def rejected() -> list[tuple[int, str]]:
        if suffix != ".csv":
            return []
        try:
            with duckdb.connect() as probe:
                probe.execute(f"SELECT count(*) FROM {reader}", [path]).fetchall()
                return probe.execute(
                    "SELECT line, first(error_message ORDER BY column_idx) FROM reject_errors "
                    "GROUP BY line ORDER BY line"
                ).fetchall()
        except duckdb.Error:
            return []

    return TableRead(columns=columns, batches=batches(), rejected=rejected)


PYTHON_SUFFIXES = {".py"}
TABULAR_SUFFIXES = set(TABULAR_READERS)


def _is_virtualenv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").exists()


def iter_source_files(root: Path) -> Iterator[Path]:
    """Python and dataset files under `root`, skipping virtualenvs, VCS folders and caches."""
    if root.is_file():
        yield root
        return
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not _is_virtualenv(here / d))
        for name in sorted(files):
            suffix = table_suffix(name)
            if suffix in PYTHON_SUFFIXES or suffix in TABULAR_SUFFIXES:
                yield here / name


def _read_python_file(path: Path, report: IngestReport) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as error:
        report.problems.append(Problem(str(path), f"cannot read: {error.strerror}"))
        return None
    if b"\x00" in data:
        report.skipped_files["binary"] = report.skipped_files.get("binary", 0) + 1
        report.problems.append(Problem(str(path), "skipped: binary file"))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        report.skipped_files["not_utf8"] = report.skipped_files.get("not_utf8", 0) + 1
        line = data[: error.start].count(b"\n") + 1
        report.problems.append(Problem(f"{path}:{line}", "skipped: not valid UTF-8"))
        return None


def _pick_code_column(columns: list[str], wanted: str | None) -> str | None:
    if wanted:
        return wanted if wanted in columns else None
    lowered = {c.lower(): c for c in columns}
    return next((lowered[name] for name in CODE_COLUMNS if name in lowered), None)


def _row_code(record: dict[str, Any], column: str) -> str | None:
    """The code of a dataset row; a HumanEval-style row keeps its body apart from the
    signature (`prompt` + `canonical_solution`), so the two are joined back together."""
    code = record.get(column)
    if not isinstance(code, str) or not code.strip():
        return None
    prompt = record.get("prompt")
    if column == "canonical_solution" and isinstance(prompt, str):
        return prompt + code
    return code


def _jsonl_records_one_by_one(path: Path, report: IngestReport) -> Iterator[list[dict[str, Any]]]:
    """Line-by-line reading of a JSONL file that DuckDB refused as a whole: each broken
    line is reported and skipped, every other line is kept."""
    batch: list[dict[str, Any]] = []
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                report.problems.append(Problem(f"{path}:{number}", f"invalid JSON: {error.msg}"))
                continue
            if not isinstance(record, dict):
                report.problems.append(Problem(f"{path}:{number}", "not a JSON object"))
                continue
            record["__line__"] = number
            batch.append(record)
            if len(batch) >= BATCH_SIZE:
                yield batch
                batch = []
    if batch:
        yield batch


# Large datasets are cut into snippets in helper processes: parsing with `ast` and
# hashing never run the code, and the main process keeps to reading and storing.
PARALLEL_MIN_ROWS = 1_000  # a table batch at least this large starts the helper processes
ROW_CHUNK = 500  # rows per task sent to a helper process

# What a helper process returns for one snippet: its id, name, kind, entry point, flags,
# rejection and its detail, and its code when that differs from the row's own text.
Analysis = tuple[str, str | None, str, str | None, list[str], str | None, str | None, str | None]


def analyse_rows(path: str, rows: list[tuple[str, str]], max_lines: int) -> list[list[Analysis]]:
    """The snippets of dataset rows (code, entry point), for each row, as `Analysis`
    tuples. Pure parsing: this runs in helper processes and never runs the code."""
    results = []
    for code, entry_point in rows:
        found = snippets_from_python(
            code, source="", path=path, entry_point=entry_point, max_lines=max_lines
        )
        results.append(
            [
                (
                    s.id,
                    s.name,
                    s.kind,
                    s.entry_point,
                    s.flags,
                    s.rejection,
                    s.rejection_detail,
                    None if s.code == code else s.code,
                )  # fmt: skip
                for s in found
            ]
        )
    return results


class RowAnalyser:
    """Cuts dataset rows into snippets: in this process for small inputs, in a pool of
    helper processes (started on the first large batch, one per core) for large ones.

    `workers`: None chooses by size; 0 or 1 keeps everything in this process; 2 or more
    always uses that many helper processes."""

    def __init__(self, workers: int | None = None):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _pool_for(self, rows: int) -> ProcessPoolExecutor | None:
        if self._pool is None:
            if self.workers is None:
                cores = os.cpu_count() or 1
                if cores < 2 or rows < PARALLEL_MIN_ROWS:
                    return None
                size = cores
            elif self.workers < 2:
                return None
            else:
                size = self.workers
            # fork where there is fork: a spawned helper would import the caller's main
            # script again (running an unguarded script twice). The helpers only parse
            # Python; they never touch the store or DuckDB inherited from this process.
            method = "fork" if "fork" in get_all_start_methods() else "spawn"
            self._pool = ProcessPoolExecutor(size, mp_context=get_context(method))
        return self._pool

    @property
    def in_helpers(self) -> bool:
        """Whether rows are being cut in helper processes."""
        return self._pool is not None

    @property
    def lookahead(self) -> int:
        """Batches to keep in flight: while helpers cut the next, this process stores."""
        return 2 if self._pool is not None else 0

    def submit(
        self, path: str, rows: list[tuple[str, str]], max_lines: int
    ) -> Callable[[], list[list[Analysis]]]:
        """Start cutting `rows`; the returned function waits for and returns the result."""
        pool = self._pool_for(len(rows))
        if pool is None:
            done = analyse_rows(path, rows, max_lines)
            return lambda: done
        futures = [
            pool.submit(analyse_rows, path, rows[i : i + ROW_CHUNK], max_lines)
            for i in range(0, len(rows), ROW_CHUNK)
        ]
        return lambda: [result for future in futures for result in future.result()]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


@dataclass
class _TableRow:
    line: int
    code: str
    metadata: dict[str, Any]


def _table_snippets(
    rows: list[_TableRow], analyses: list[list[Analysis]], *, source: str, path: str
) -> list[Snippet]:
    snippets = []
    for row, found in zip(rows, analyses, strict=True):
        for sid, name, kind, entry, flags, rejection, detail, code in found:
            snippet = Snippet(
                source=source, path=path, line=row.line, name=name, kind=kind,
                entry_point=entry, code=row.code if code is None else code, flags=flags,
                rejection=rejection, rejection_detail=detail, metadata=row.metadata,
            )  # fmt: skip
            snippet.__dict__["id"] = sid  # computed by the analysis, from this same code
            snippets.append(snippet)
    return snippets


def snippets_from_table(
    path: Path,
    report: IngestReport,
    *,
    source: str,
    code_column: str | None,
    max_lines: int,
    analyser: RowAnalyser | None = None,
) -> Iterator[list[Snippet]]:
    """Snippets from a dataset file, batch by batch; other columns become metadata.

    Memory stays bounded: DuckDB streams the file, and at most a few batches are being
    cut (by `analyser`, in helper processes for large files) while one is handed out."""
    own_analyser = analyser is None
    analyser = analyser or RowAnalyser(workers=0)
    try:
        table = read_table(str(path))
        columns, batches = table.columns, table.batches
    except duckdb.Error as error:
        if table_suffix(path) not in {".jsonl", ".ndjson"}:
            report.problems.append(Problem(str(path), f"cannot read: {_first_line(error)}"))
            return
        columns, batches, table = [], _jsonl_records_one_by_one(path, report), None
    in_flight: deque[tuple[list[_TableRow], Callable[[], list[list[Analysis]]]]] = deque()
    row_number = 0
    try:
        for batch in batches:
            if not columns:
                columns = sorted({key for record in batch for key in record} - {"__line__"})
            column = _pick_code_column(columns, code_column)
            if column is None:
                wanted = code_column or " / ".join(CODE_COLUMNS)
                report.problems.append(
                    Problem(
                        str(path), f"no code column ({wanted}); columns are {', '.join(columns)}"
                    )
                )
                return
            rows: list[_TableRow] = []
            entries: list[tuple[str, str]] = []
            for record in batch:
                row_number += 1
                line = record.pop("__line__", row_number)
                report.rows += 1
                code = _row_code(record, column)
                if code is None:
                    report.problems.append(
                        Problem(f"{path}:{line}", f"empty or non-text {column!r}")
                    )
                    continue
                metadata = {k: _jsonable(v) for k, v in record.items() if k != column}
                entry = record.get("entry_point")
                rows.append(_TableRow(line, code, metadata))
                entries.append((code, entry if isinstance(entry, str) and entry else ""))
            in_flight.append((rows, analyser.submit(str(path), entries, max_lines)))
            while len(in_flight) > analyser.lookahead:
                done_rows, result = in_flight.popleft()
                yield _table_snippets(done_rows, result(), source=source, path=str(path))
        while in_flight:
            done_rows, result = in_flight.popleft()
            yield _table_snippets(done_rows, result(), source=source, path=str(path))
    finally:
        if own_analyser:
            analyser.close()
    if table is not None:
        for line, message in table.rejected():
            report.problems.append(Problem(f"{path}:{line}", f"malformed CSV row: {message}"))


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


# ---------------------------------------------------------------------------------------
# Ingest: the action behind `semi ingest` and the studio's ingest button
# ---------------------------------------------------------------------------------------

ProgressCallback = Callable[[int, str], None]


def ingest(
    store: Store,
    paths: Iterable[str | os.PathLike[str]],
    *,
    code_column: str | None = None,
    max_lines: int = MAX_LINES,
    on_file: ProgressCallback | None = None,
    on_rows: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Read natural code from files, folders and datasets into the store.

    `on_file(files_done, path)` is called after each file, `on_rows(rows_done)` after each
    batch of dataset rows, for progress display. `workers`: see `RowAnalyser`.

    Memory stays flat however large the input: files and datasets are read in batches,
    each batch is stored in one statement, and the ids met so far (to count repeats) are
    kept in the store's ingest ledger, not in Python.
    """
    started = time.perf_counter()
    paths = [str(p) for p in paths]
    run_id = uuid.uuid4().hex[:16]
    store.start_run(
        run_id, "ingest", {"paths": paths, "code_column": code_column, "max_lines": max_lines}
    )
    report = IngestReport()
    pending: list[Snippet] = []
    analyser = RowAnalyser(workers)

    def flush() -> None:
        if not pending:
            return
        distinct = list(dict.fromkeys(s.id for s in pending))
        met_before = store.ingest_ledger_holds(distinct)
        stored = store.existing_snippet_ids(i for i in distinct if i not in met_before)
        met_now: set[str] = set()
        fresh = []
        for snippet in pending:
            sid = snippet.id
            if sid in met_before or sid in met_now:
                report.duplicates += 1
                continue
            met_now.add(sid)
            report.kinds[snippet.kind] = report.kinds.get(snippet.kind, 0) + 1
            if snippet.rejection:
                report.rejections[snippet.rejection] = (
                    report.rejections.get(snippet.rejection, 0) + 1
                )
            for flag in snippet.flags:
                report.flags[flag] = report.flags.get(flag, 0) + 1
            if sid in stored:
                report.already_stored += 1
            else:
                fresh.append(snippet.row())
        report.new += store.add_snippets(fresh)
        store.add_to_ingest_ledger(met_now)
        pending.clear()

    def accept(snippets: Iterable[Snippet]) -> None:
        for snippet in snippets:
            report.found += 1
            pending.append(snippet)
        if len(pending) >= BATCH_SIZE:
            flush()

    def rows_done() -> None:
        if on_rows:
            on_rows(report.rows)

    store.start_ingest_ledger()
    try:
        _ingest_paths(
            paths,
            report,
            accept,
            code_column=code_column,
            max_lines=max_lines,
            on_file=on_file,
            on_batch=rows_done,
            analyser=analyser,
        )
        flush()
    except BaseException:
        report.seconds = round(time.perf_counter() - started, 3)
        store.finish_run(run_id, "failed", report.to_dict())
        raise
    finally:
        analyser.close()
        store.end_ingest_ledger()
    report.seconds = round(time.perf_counter() - started, 3)
    store.finish_run(run_id, "done", report.to_dict())
    return report


def _ingest_paths(
    paths: list[str],
    report: IngestReport,
    accept: Callable[[Iterable[Snippet]], None],
    *,
    code_column: str | None,
    max_lines: int,
    on_file: ProgressCallback | None,
    on_batch: Callable[[], None],
    analyser: RowAnalyser,
) -> None:
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            report.problems.append(Problem(str(root), "no such file or folder"))
            continue
        source = source_name(root)
        for path in iter_source_files(root):
            report.files += 1
            suffix = table_suffix(path)
            if suffix in TABULAR_SUFFIXES:
                for batch in snippets_from_table(
                    path,
                    report,
                    source=source,
                    code_column=code_column,
                    max_lines=max_lines,
                    analyser=analyser,
                ):
                    accept(batch)
                    on_batch()
            elif suffix in PYTHON_SUFFIXES or root.is_file():
                text = _read_python_file(path, report)
                if text is not None:
                    accept(
                        snippets_from_python(
                            text, source=source, path=str(path), max_lines=max_lines
                        )
                    )
            if on_file:
                on_file(report.files, str(path))
