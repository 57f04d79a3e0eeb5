"""Training files out: selection, order, mixing, deduplication, decontamination, formats.

`plan_export(store, options)` decides what an export holds and returns an `ExportPlan`
whose `report` is the summary shown before anything is written; `write_plan(plan, out)`
writes it; `export(store, out, options)` does both. The CLI (`semi export`) and the
studio's Export page call these.

**Selection** (`status`): ``accepted`` — the pair's overall decision is accept: it was
settled so, or every annotator who voted on it accepted (or, with the majority rule, a
majority of enough votes did; see `semi_core.agreement`); ``validated`` — current verdict
validated and nobody voted yet; ``all`` — current verdict validated, whatever the review
said. Then an optional difficulty range (unranked pairs fall outside any range) and
sources. A pair in dispute (its voters disagree and nobody settled it) is never exported
as accepted: the report counts and lists the disputed pairs the selection leaves out, with
each annotator's vote. Only usable test cases (the oracle returned or raised) are
written; a case whose expected output was cut when stored is left out, as it would not
compare.

**Decontamination** runs first: a pair (instruction or code) or mixed-in record
(instruction, input or output) that shares a word n-gram with HumanEval (on by default) or
a named benchmark file is flagged and — unless `include_contaminated` — dropped. Then
**deduplication** (`semi_core.dedup`): pairs are taken accepted first, then by more usable
tests, then by id, and each one that (near-)duplicates a pair already kept is dropped;
mixed-in records are then compared with the kept pairs and with each other.

**Mixing**: `mix_ratio` R is the share of the written records that come from the mixed-in
file (0.5: one mixed-in record per pair). The file is read in full (a bad line costs that
line), shuffled with the seed, and taken record by record, skipping contaminated and
duplicate ones, until round(n·R/(1−R)) records are found for n pairs. When the file runs
short, pairs are held back (a seeded sample) so that the ratio still holds exactly: the
report says how many. With difficulty buckets as separate files, each file gets its own
mix at the same ratio.

**Order**: ``curriculum`` (difficulty score ascending, easy → hard), ``reverse`` (hard →
easy), ``shuffle`` (seeded). Unranked pairs come last in both ranked orders; mixed-in
records, which have no difficulty, are spread evenly through them.

**Schemas** (every record has ``id`` and ``origin``: ``semi-instruct`` or ``mix:<file>``):

* ``alpaca`` — instruction, input (empty for pairs), output (the code);
* ``chat`` — messages: system, user (the instruction), assistant (the code, fenced);
* ``full`` — instruction, input, code, entry_point, mode (function | program),
  test_cases (each with ``args`` — the argument list of a function call — or ``stdin`` —
  a program's input — the other one empty, so a case is fed to `semi exec` as it is;
  ``expected``: the repr of the original's value, its output, or ``raises: Type``; and
  ``origin``), difficulty (score, bucket, curriculum position, signals) and provenance
  (source, path, line, snippet id, name, backend, model, prompt template hash, validation
  run, verdict, review: the overall ``decision`` — accept, reject or disputed — and
  each annotator's vote, as ``"ada: accept; bob: reject"``, and the reasons of the
  rejects that count, as ``"bob: duplicate, trivial; lin (final): unsafe"``; for a
  mixed-in record its file and row).

Why empty strings rather than nulls or empty lists in places: `datasets` infers the types
of a JSON Lines file from its first 10 MB, and a field that is null (or an empty list)
throughout that part cannot take a value later in the file. Fields that can still be null
in that way (unmeasured test strength or solve rate, for example) are checked when the
file is written, and the report names them (Parquet has explicit types and never has the
problem).

Formats: JSON Lines (UTF-8) and Parquet (zstd), each loadable with Hugging Face
``datasets.load_dataset("json" | "parquet", data_files=…)``. Files are written to a
temporary name and renamed, so a failed export never leaves half a file.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from semi_core.agreement import DISPUTED, decision_rule
from semi_core.dedup import (
    DEFAULT_NGRAM,
    DEFAULT_THRESHOLD,
    ContaminationIndex,
    Deduplicator,
    Overlap,
)
from semi_core.generate.base import SIMULATED_BACKEND
from semi_core.records import (
    BUCKETS,
    DEFAULT_SYSTEM_PROMPT,
    PARQUET_SCHEMAS,
    UNRANKED,
    Item,
    empty_difficulty,
    empty_provenance,
    pair_item,
    render,
)
from semi_core.sources import table_suffix
from semi_core.store import Store

FORMATS = ("jsonl", "parquet")
SCHEMAS = ("alpaca", "chat", "full")
STATUSES = ("accepted", "validated", "all")
STATUS_LABELS = {
    "accepted": "accepted in review",
    "validated": "validated, not yet reviewed",
    "all": "all validated (any review decision)",
}
ORDERS = ("curriculum", "reverse", "shuffle")
DROP_REASONS = ("contaminated", "exact_duplicate", "near_duplicate", "held_back_for_ratio")
EXAMPLES_PER_REASON = 20

# Columns a mixed-in dataset may use (Alpaca-style first; OSS-Instruct uses problem/solution).
INSTRUCTION_COLUMNS = ("instruction", "problem", "prompt", "question", "query")
INPUT_COLUMNS = ("input",)
OUTPUT_COLUMNS = ("output", "solution", "response", "completion", "answer")
# Columns of a benchmark file that name an item rather than hold its text.
ID_COLUMNS = ("task_id", "id", "problem_id", "name", "question_id")


Progress = Callable[[str, int, int], None]  # (stage, done, total)


class ExportError(ValueError):
    """An export that cannot be done as asked, with a message for people."""


@dataclass
class ExportOptions:
    """What to export and how (see the module docstring)."""

    format: str | None = None  # jsonl | parquet; None: from the file name, else jsonl
    schema: str = "alpaca"
    status: str = "accepted"
    difficulty: tuple[float, float] | None = None
    sources: tuple[str, ...] = ()
    order: str = "curriculum"
    seed: int = 0
    buckets_as_files: bool = False
    mix_path: str | None = None
    mix_ratio: float | None = None
    decontaminate: tuple[str, ...] = ()  # benchmark files (JSONL, JSON, Parquet)
    humaneval: bool = True
    include_contaminated: bool = False
    ngram: int = DEFAULT_NGRAM
    dedup: bool = True
    near_dup_threshold: float = DEFAULT_THRESHOLD
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    include_simulated: bool = False  # pairs of the simulated backend carry known mistakes

    def check(self) -> None:
        """Raise ExportError for choices that make no sense."""
        for name, value, allowed in (
            ("format", self.format, (None, *FORMATS)),
            ("schema", self.schema, SCHEMAS),
            ("status", self.status, STATUSES),
            ("order", self.order, ORDERS),
        ):
            if value not in allowed:
                choices = ", ".join(a for a in allowed if a)
                raise ExportError(f"unknown {name} {value!r}; choose from {choices}")
        if self.difficulty is not None:
            low, high = self.difficulty
            if low > high:
                raise ExportError(f"the difficulty range {low}..{high} is empty")
        if (self.mix_path is None) != (self.mix_ratio is None):
            raise ExportError("mixing needs both a file (--mix) and a ratio (--ratio)")
        if self.mix_ratio is not None and not 0.0 < self.mix_ratio < 1.0:
            raise ExportError(
                f"the mix ratio is the share of mixed-in records in the output and must be "
                f"between 0 and 1 (exclusive), not {self.mix_ratio}"
            )
        if self.mix_path is not None and not Path(self.mix_path).is_file():
            raise ExportError(f"the mix file {self.mix_path} does not exist")
        for path in self.decontaminate:
            if not Path(path).is_file():
                raise ExportError(f"the benchmark file {path} does not exist")
        if not 0.0 < self.near_dup_threshold <= 1.0:
            raise ExportError("the near-duplicate threshold must be in (0, 1]")
        if self.ngram < 3:
            raise ExportError("the n-gram size for decontamination must be at least 3")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------
# Other datasets: the mixed-in set and benchmark files
# ---------------------------------------------------------------------------------------


def read_dataset(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(row number, record or None, problem) for each row of a JSONL, JSON or Parquet file
    (also .gz for the text formats). A malformed JSONL line yields None and a problem that
    names the file and line; the other lines are still read. Raises ExportError when the
    file as a whole cannot be read."""
    path = str(path)
    name = Path(path).name
    suffix = table_suffix(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        if suffix in (".jsonl", ".ndjson"):
            with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        value = json.loads(line.rstrip("\r\n"))
                    except json.JSONDecodeError as error:
                        problem = f"{name} line {number}: invalid JSON ({error.msg}); skipped"
                        yield number, None, problem
                        continue
                    if not isinstance(value, dict):
                        yield number, None, f"{name} line {number}: not a JSON object; skipped"
                        continue
                    yield number, value, ""
        elif suffix == ".json":
            with opener(path, "rt", encoding="utf-8") as handle:
                value = json.load(handle)
            rows = value if isinstance(value, list) else [value]
            for number, row in enumerate(rows, start=1):
                if isinstance(row, dict):
                    yield number, row, ""
                else:
                    yield number, None, f"{name} item {number}: not a JSON object; skipped"
        elif suffix == ".parquet":
            number = 0
            for batch in pq.ParquetFile(path).iter_batches(batch_size=5000):
                for row in batch.to_pylist():
                    number += 1
                    yield number, row, ""
        else:
            raise ExportError(f"{name}: unsupported file type (use JSONL, JSON or Parquet)")
    except (OSError, ValueError, pa.ArrowException) as error:
        if isinstance(error, ExportError):
            raise
        raise ExportError(f"cannot read {name}: {error}") from None


def _first_text(row: dict[str, Any], columns: Sequence[str]) -> str | None:
    for column in columns:
        value = row.get(column)
        if isinstance(value, str) and value.strip():
            return value
    return None


def read_mix(path: str) -> tuple[list[Item], list[str]]:
    """The records of an instruction dataset to mix in, and the rows that were skipped."""
    name = Path(path).name
    items: list[Item] = []
    problems: list[str] = []
    for number, row, problem in read_dataset(path):
        if row is None:
            problems.append(problem)
            continue
        instruction = _first_text(row, INSTRUCTION_COLUMNS)
        output = _first_text(row, OUTPUT_COLUMNS)
        if instruction is None or output is None:
            missing, columns = ("instruction", INSTRUCTION_COLUMNS) if instruction is None else (
                "output", OUTPUT_COLUMNS)  # fmt: skip
            where = "line" if table_suffix(path) in (".jsonl", ".ndjson") else "row"
            problems.append(
                f"{name} {where} {number}: no {missing} text (looked for the columns "
                f"{', '.join(columns)}); skipped"
            )
            continue
        extra = _first_text(row, INPUT_COLUMNS) or ""
        items.append(
            Item(
                id=f"{name}:{number}",
                origin=f"mix:{name}",
                instruction=instruction,
                input=extra,
                output=output,
                difficulty=empty_difficulty(),
                provenance=empty_provenance(str(path), number),
                source=str(path),
            )
        )
    return items, problems


def _benchmark_texts(row: dict[str, Any]) -> list[str]:
    """The texts of one benchmark item. HumanEval-style rows: prompt + canonical solution
    (one text: the solution continues the prompt) and the tests; others: every text column
    (lists of texts too, as MBPP's test_list), except id columns."""
    if isinstance(row.get("prompt"), str) and isinstance(row.get("canonical_solution"), str):
        texts = [row["prompt"] + row["canonical_solution"]]
        return texts + ([row["test"]] if isinstance(row.get("test"), str) else [])
    texts: list[str] = []
    for column, value in row.items():
        if column in ID_COLUMNS:
            continue
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            texts.extend(v for v in value if isinstance(v, str))
    return texts


def _item_id(row: dict[str, Any], fallback: str) -> str:
    for column in ID_COLUMNS:
        if row.get(column) is not None:
            return str(row[column])
    return fallback


# ---------------------------------------------------------------------------------------
# Report and plan
# ---------------------------------------------------------------------------------------


@dataclass
class Drop:
    """A record left out, and why."""

    id: str
    kind: str  # pair | mixed
    reason: str  # one of DROP_REASONS
    detail: str = ""
    of: str | None = None  # the record it duplicates
    similarity: float | None = None


@dataclass
class Flag:
    """A record that overlaps a benchmark (dropped unless contaminated ones are kept)."""

    id: str
    kind: str
    source: str | None
    instruction: str
    overlap: Overlap
    from_benchmark_itself: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "source": self.source,
                "instruction": self.instruction[:200], **self.overlap.to_dict(),
                "from_benchmark_itself": self.from_benchmark_itself}  # fmt: skip


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


@dataclass
class ExportReport:
    """What an export selected, wrote and left out, and why."""

    options: dict[str, Any]
    selected: int = 0  # pairs matching the selection
    pairs: int = 0  # pairs written
    mixed: int = 0  # mixed-in records written
    mix_rows: int = 0  # usable rows of the mixed-in file
    mix_examined: int = 0  # of them, how many were looked at to fill the ratio
    drops: list[Drop] = field(default_factory=list)
    contaminated: list[Flag] = field(default_factory=list)
    benchmarks: dict[str, int] = field(default_factory=dict)  # benchmark -> items indexed
    buckets: dict[str, int] = field(default_factory=dict)  # pairs written per bucket
    files: list[dict[str, Any]] = field(default_factory=list)  # path, bucket, records, bytes
    test_cases: int = 0
    test_cases_cut: int = 0  # usable cases left out: expected output was cut when stored
    problems: list[str] = field(default_factory=list)  # unreadable rows of other files
    # pairs in dispute that the selection's filters let through: {id, votes}
    disputed: list[dict[str, Any]] = field(default_factory=list)
    rule: str = ""  # the decision rule in force (see semi_core.agreement)
    simulated_left_out: int = 0  # pairs of the simulated backend the selection dropped
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    wrote: bool = False  # the files were written (False: a plan, the summary before writing)

    @property
    def written(self) -> int:
        return self.pairs + self.mixed

    @property
    def disputed_left_out(self) -> bool:
        """Whether the disputed pairs are left out: only `all` takes them."""
        return self.options["status"] != "all"

    def dropped(self) -> dict[str, dict[str, int]]:
        """{reason: {"pair": n, "mixed": n}} for the reasons that occurred."""
        counts: dict[str, Counter[str]] = {}
        for drop in self.drops:
            counts.setdefault(drop.reason, Counter())[drop.kind] += 1
        return {
            reason: {"pair": counts[reason]["pair"], "mixed": counts[reason]["mixed"]}
            for reason in DROP_REASONS
            if reason in counts
        }

    def examples(self, per_reason: int = EXAMPLES_PER_REASON) -> dict[str, list[dict]]:
        shown: dict[str, list[dict]] = {}
        for drop in self.drops:
            bucket = shown.setdefault(drop.reason, [])
            if len(bucket) < per_reason:
                bucket.append(asdict(drop))
        return shown

    def summary(self) -> list[str]:
        """The report in a few sentences, for people."""
        lines = [
            f"{_count(self.selected, 'pair')} selected "
            f"({STATUS_LABELS[self.options['status']]}); {_count(self.written, 'record')} "
            + ("written" if self.wrote else "to write")
            + f": {_count(self.pairs, 'pair')}"
            + (f" + {self.mixed} mixed in" if self.options.get("mix_path") else "")
            + f", {_count(self.test_cases, 'test case')}."
        ]
        for reason, kinds in self.dropped().items():
            parts = [_count(n, "pair" if kind == "pair" else "mixed-in record")
                     for kind, n in kinds.items() if n]  # fmt: skip
            lines.append(f"Dropped as {reason.replace('_', ' ')}: {', '.join(parts)}.")
        if self.disputed and self.disputed_left_out:
            lines.append(
                f"{_count(len(self.disputed), 'pair')} in dispute left out (voters disagree, "
                "not settled): settle on the Agreement page or with `semi settle`."
            )
        elif self.disputed:
            lines.append(f"Status 'all' includes {_count(len(self.disputed), 'pair')} in dispute.")
        if self.benchmarks:
            checked = ", ".join(f"{name} ({n} items)" for name, n in self.benchmarks.items())
            kept = " (kept: contaminated records are included)" if self.options.get(
                "include_contaminated") else ""  # fmt: skip
            flagged = _count(len(self.contaminated), "record")
            lines.append(f"Decontamination against {checked}: {flagged} flagged{kept}.")
        if self.simulated_left_out:
            lines.append(
                f"{_count(self.simulated_left_out, 'simulated pair')} left out (made with known "
                "mistakes for demonstrations; include them with --include-simulated, or on the "
                "Export page)."
            )
        lines.extend(self.notes)
        if self.problems:
            lines.append(f"{len(self.problems)} rows of other files could not be read.")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "options": self.options,
            "selected": self.selected,
            "written": self.written,
            "pairs": self.pairs,
            "mixed": self.mixed,
            "mix_rows": self.mix_rows,
            "mix_examined": self.mix_examined,
            "dropped": self.dropped(),
            "examples": self.examples(),
            "contaminated": [flag.to_dict() for flag in self.contaminated],
            "benchmarks": self.benchmarks,
            "buckets": self.buckets,
            "files": self.files,
            "test_cases": self.test_cases,
            "test_cases_cut": self.test_cases_cut,
            "problems": self.problems,
            "disputed": {
                "count": len(self.disputed),
                "left_out": self.disputed_left_out,
                "rule": self.rule,
                "pairs": self.disputed,
            },
            "simulated_left_out": self.simulated_left_out,
            "notes": self.notes,
            "summary": self.summary(),
            "wrote": self.wrote,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class ExportPlan:
    """An export decided but not written: the records of each file, in order."""

    options: ExportOptions
    groups: dict[str | None, list[Item]]  # bucket (None: one file) -> items in order
    report: ExportReport


# ---------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------


def _mix_count(pairs: int, ratio: float) -> int:
    """Mixed-in records for `pairs` pairs so that they make `ratio` of the output."""
    return math.floor(pairs * ratio / (1.0 - ratio) + 0.5)


def _same_file(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except (OSError, ValueError):
        return a == b


def _load_benchmarks(
    options: ExportOptions, report: ExportReport
) -> tuple[ContaminationIndex, dict[str, str]]:
    """The n-gram index of every benchmark, and each benchmark's file (to tell when a pair
    comes from the benchmark itself, as the demo's HumanEval pairs do)."""
    index = ContaminationIndex(options.ngram)
    files: dict[str, str] = {}
    if options.humaneval:
        from semi_core.demo import human_eval_path, human_eval_problems

        for problem in human_eval_problems():
            index.add("HumanEval", problem["task_id"], _benchmark_texts(problem))
        files["HumanEval"] = str(human_eval_path())
    for path in options.decontaminate:
        name = Path(path).name
        for number, row, problem in read_dataset(path):
            if row is None:
                report.problems.append(problem)
                continue
            index.add(name, _item_id(row, f"{name}:{number}"), _benchmark_texts(row))
        files[name] = str(path)
    report.benchmarks = dict(index.items)
    return index, files


def _order(items: list[Item], order: str, rng: random.Random) -> list[Item]:
    if order == "shuffle":
        shuffled = sorted(items, key=lambda item: item.id)
        rng.shuffle(shuffled)
        return shuffled
    sign = 1.0 if order == "curriculum" else -1.0
    return sorted(
        items,
        key=lambda item: (item.score is None, sign * (item.score or 0.0), item.id),
    )


def _interleave(pairs: list[Item], mixed: list[Item]) -> list[Item]:
    """Spread the mixed-in records evenly through the ordered pairs."""
    if not mixed or not pairs:
        return pairs + mixed
    keyed = [((i + 0.5) / len(pairs), 0, item) for i, item in enumerate(pairs)]
    keyed += [((j + 0.5) / len(mixed), 1, item) for j, item in enumerate(mixed)]
    keyed.sort(key=lambda entry: (entry[0], entry[1]))
    return [item for _, _, item in keyed]


def plan_export(
    store: Store, options: ExportOptions, on_progress: Progress | None = None
) -> ExportPlan:
    """Decide what an export holds, without writing anything (the summary before writing)."""
    options.check()
    started = time.perf_counter()
    progress = on_progress or (lambda stage, done, total: None)
    report = ExportReport(options=options.to_dict())
    rng = random.Random(options.seed)

    progress("select", 0, 1)
    report.rule = decision_rule(store).rule
    rows = store.export_rows(options.status, difficulty=options.difficulty,
                             sources=list(options.sources) or None,
                             with_disputed=True)  # fmt: skip
    report.disputed = [
        {"id": row["id"], "votes": {d["annotator"]: d["decision"] for d in row["decisions"]}}
        for row in rows if row["decision"] == DISPUTED
    ]  # fmt: skip
    if report.disputed_left_out:
        rows = [row for row in rows if row["decision"] != DISPUTED]
    if not options.include_simulated:
        kept = [row for row in rows if row["backend"] != SIMULATED_BACKEND]
        report.simulated_left_out = len(rows) - len(kept)
        rows = kept
    items: list[Item] = []
    for row in rows:
        item, cut = pair_item(row)
        report.test_cases_cut += cut
        items.append(item)
    report.selected = len(items)
    progress("select", 1, 1)

    index, benchmark_files = _load_benchmarks(options, report)

    def contaminated(item: Item, kind: str) -> bool:
        overlap = index.check(item.texts())
        if overlap is None:
            return False
        itself = _same_file(item.source, benchmark_files.get(overlap.benchmark))
        report.contaminated.append(
            Flag(item.id, kind, item.source, item.instruction, overlap, itself)
        )
        if options.include_contaminated:
            return False
        detail = f"{overlap.benchmark} {overlap.item}: {overlap.text[:120]}"
        report.drops.append(Drop(item.id, kind, "contaminated", detail))
        return True

    dedup = Deduplicator(options.near_dup_threshold) if options.dedup else None

    def duplicate(item: Item, kind: str) -> bool:
        if dedup is None:
            return False
        found = dedup.check(item.id, item.output)
        if found is None:
            return False
        detail = "same code without comments, docstrings and layout" if (
            found.reason == "exact_duplicate") else (
            f"MinHash similarity {found.similarity:.2f} of renamed code tokens")  # fmt: skip
        report.drops.append(Drop(item.id, kind, found.reason, detail, found.of,
                                 found.similarity))  # fmt: skip
        return True

    # Pairs: the best of each duplicate group is seen first and kept.
    kept: list[Item] = []
    preferred = sorted(items, key=lambda i: (not i.accepted, -len(i.test_cases), i.id))
    for done, item in enumerate(preferred, start=1):
        if not contaminated(item, "pair") and not duplicate(item, "pair"):
            kept.append(item)
        if done % 500 == 0 or done == len(preferred):
            progress("check pairs", done, len(preferred))

    groups: dict[str | None, list[Item]] = {}
    if options.buckets_as_files:
        for bucket in (*BUCKETS, UNRANKED):
            members = [item for item in kept if item.bucket == bucket]
            if members:
                groups[bucket] = members
    else:
        groups[None] = kept

    mixed_by_group: dict[str | None, list[Item]] = {key: [] for key in groups}
    if options.mix_path is not None and options.mix_ratio is not None:
        mixed_by_group = _mix(options, groups, report, rng, contaminated, duplicate, progress)

    ordered: dict[str | None, list[Item]] = {}
    for key, members in groups.items():
        pairs = _order(members, options.order, rng)
        mixed = mixed_by_group.get(key, [])
        if options.order == "shuffle":
            combined = pairs + mixed
            rng.shuffle(combined)
        else:
            combined = _interleave(pairs, mixed)
        ordered[key] = combined
        report.pairs += len(pairs)
        report.mixed += len(mixed)
        for item in pairs:
            report.buckets[item.bucket] = report.buckets.get(item.bucket, 0) + 1
            report.test_cases += len(item.test_cases)
    _add_notes(options, report, rows)
    report.seconds = time.perf_counter() - started
    return ExportPlan(options=options, groups=ordered, report=report)


def _mix(
    options: ExportOptions,
    groups: dict[str | None, list[Item]],
    report: ExportReport,
    rng: random.Random,
    contaminated: Callable[[Item, str], bool],
    duplicate: Callable[[Item, str], bool],
    progress: Progress,
) -> dict[str | None, list[Item]]:
    """Choose the mixed-in records of each group; hold pairs back if the file runs short."""
    ratio = float(options.mix_ratio or 0.0)
    pool, problems = read_mix(str(options.mix_path))
    report.problems.extend(problems)
    report.mix_rows = len(pool)
    rng.shuffle(pool)
    target = sum(_mix_count(len(members), ratio) for members in groups.values())
    chosen: list[Item] = []
    for item in pool:
        if len(chosen) >= target:
            break
        report.mix_examined += 1
        if not contaminated(item, "mixed") and not duplicate(item, "mixed"):
            chosen.append(item)
        if report.mix_examined % 500 == 0:
            progress("mix", len(chosen), target)
    progress("mix", len(chosen), target)

    sizes = {key: len(members) for key, members in groups.items()}
    if len(chosen) < target:
        # The file ran short: keep as many pairs as its records allow at this ratio, fewer
        # from each group in proportion, then trim until every group's mix fits.
        total = sum(sizes.values())
        keep = min(total, math.floor(len(chosen) * (1.0 - ratio) / ratio + 1e-9))
        shares = {key: n * keep / total for key, n in sizes.items()}
        sizes = {key: math.floor(share) for key, share in shares.items()}
        by_remainder = sorted(shares, key=lambda key: (sizes[key] - shares[key], str(key)))
        for key in by_remainder[: keep - sum(sizes.values())]:
            sizes[key] += 1
        while sum(_mix_count(n, ratio) for n in sizes.values()) > len(chosen):
            largest = max(sizes, key=lambda key: (sizes[key], str(key)))
            sizes[largest] -= 1
        for key, members in groups.items():
            held = len(members) - sizes[key]
            if held <= 0:
                continue
            back = set(id(item) for item in rng.sample(members, held))
            for item in members:
                if id(item) in back:
                    report.drops.append(
                        Drop(item.id, "pair", "held_back_for_ratio",
                             f"the mix file has too few usable records for ratio {ratio}")
                    )  # fmt: skip
            groups[key] = [item for item in members if id(item) not in back]
        report.notes.append(
            f"The mix file has only {len(chosen)} usable records for a ratio of {ratio}: "
            f"{sum(1 for d in report.drops if d.reason == 'held_back_for_ratio')} pairs were "
            "held back so that the ratio holds."
        )
    out: dict[str | None, list[Item]] = {}
    start = 0
    for key in groups:
        count = _mix_count(len(groups[key]), ratio)
        out[key] = chosen[start : start + count]
        start += count
    return out


def _add_notes(options: ExportOptions, report: ExportReport, rows: list[dict]) -> None:
    itself = [flag for flag in report.contaminated if flag.from_benchmark_itself]
    if itself:
        by_benchmark = Counter(flag.overlap.benchmark for flag in itself)
        for benchmark, count in by_benchmark.items():
            report.notes.append(
                f"{count} of the flagged pairs come from {benchmark} itself (the store holds "
                f"{benchmark}'s own problems, as the demo data does): flagging them is "
                f"correct — a model trained on them cannot be evaluated fairly on {benchmark}."
            )
    if report.selected == 0 and options.status == "accepted":
        report.notes.append(
            "No pair is accepted in review yet: review pairs first, or export pairs that "
            "are validated and not yet reviewed (status 'validated') or all validated pairs "
            "(status 'all')."
        )
    if options.status == "all":
        rejected = sum(1 for row in rows if row["decision"] == "reject")
        if rejected:
            report.notes.append(
                f"Status 'all' includes {_count(rejected, 'validated pair')} that reviewers "
                "rejected."
            )
    if report.test_cases_cut:
        report.notes.append(
            f"{report.test_cases_cut} test cases were left out: their expected output was "
            "too long and was cut when stored."
        )


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


def resolve_format(options: ExportOptions, out_path: str | os.PathLike[str]) -> str:
    """The format asked for, else the one the file name says (.parquet), else JSONL."""
    if options.format:
        return options.format
    return "parquet" if table_suffix(out_path) == ".parquet" else "jsonl"


def output_paths(
    out_path: str | os.PathLike[str], fmt: str, keys: Sequence[str | None]
) -> dict[str | None, Path]:
    """The file of each group: OUT itself, or OUT's stem with the bucket (pairs.easy.jsonl)."""
    out = Path(out_path)
    suffix = "." + fmt
    name = out.name
    for ending in (suffix, suffix + ".gz"):
        if name.endswith(ending):
            name = name[: -len(ending)]
            break
    return {key: out.parent / (f"{name}{suffix}" if key is None else f"{name}.{key}{suffix}")
            for key in keys}  # fmt: skip


HF_JSON_CHUNK = 10 << 20  # bytes of a JSON Lines file that `datasets` reads to infer types


def _leaf_paths(fields: Sequence[pa.Field], prefix: tuple[str, ...] = ()) -> list[tuple]:
    paths: list[tuple] = []
    for f in fields:
        if pa.types.is_struct(f.type):
            paths += _leaf_paths([f.type.field(i) for i in range(f.type.num_fields)],
                                 (*prefix, f.name))  # fmt: skip
        else:
            paths.append((*prefix, f.name))
    return paths


class _FirstChunkCheck:
    """Finds fields that are empty (null, or an empty list) in every record of the part of
    a JSON Lines file that `datasets` infers types from, yet set later: loading the file
    would then fail with "Couldn't cast array of type … to null"."""

    def __init__(self, schema: pa.Schema):
        self.unseen = set(_leaf_paths(list(schema)))
        self.late: set[tuple] = set()
        self.bytes = 0

    @staticmethod
    def _value(record: dict[str, Any], path: tuple) -> Any:
        for key in path:
            record = record.get(key) if isinstance(record, dict) else None
        return record

    def see(self, record: dict[str, Any], size: int) -> None:
        first = self.bytes <= HF_JSON_CHUNK  # the reader finishes the line it stops in
        self.bytes += size
        for path in list(self.unseen):
            if self._value(record, path) not in (None, []):
                self.unseen.discard(path)
                if not first:
                    self.late.add(path)

    def fields(self) -> list[str]:
        return sorted(".".join(path) for path in self.late)


def write_plan(
    plan: ExportPlan, out_path: str | os.PathLike[str], on_progress: Progress | None = None
) -> ExportReport:
    """Write a planned export; returns its report with the files written."""
    started = time.perf_counter()
    progress = on_progress or (lambda stage, done, total: None)
    options, report = plan.options, plan.report
    fmt = resolve_format(options, out_path)
    if options.buckets_as_files:
        paths = output_paths(out_path, fmt, list(plan.groups))
    else:  # one file: exactly the name asked for
        paths = {None: Path(out_path)}
    total = sum(len(items) for items in plan.groups.values())
    done = 0
    report.files = []
    for key, items in plan.groups.items():
        path = paths[key]
        path.parent.mkdir(parents=True, exist_ok=True)
        records = [render(item, options.schema, options.system_prompt) for item in items]
        temporary = path.with_name(f".{path.name}.partial")
        try:
            if fmt == "parquet":
                table = pa.Table.from_pylist(records, schema=PARQUET_SCHEMAS[options.schema])
                pq.write_table(table, temporary, compression="zstd")
            else:
                check = _FirstChunkCheck(PARQUET_SCHEMAS[options.schema])
                with open(temporary, "w", encoding="utf-8") as handle:
                    for record in records:
                        line = json.dumps(record, ensure_ascii=False) + "\n"
                        handle.write(line)
                        if check.unseen:
                            check.see(record, len(line.encode("utf-8")))
                if check.late:
                    report.notes.append(
                        f"{path.name}: Hugging Face datasets infers the types of a JSON Lines "
                        f"file from its first {HF_JSON_CHUNK >> 20} MB, where these fields are "
                        f"always empty though later records set them: "
                        f"{', '.join(check.fields())}. Load it with explicit features, or "
                        "export Parquet (typed) instead."
                    )
            os.replace(temporary, path)
        finally:
            if temporary.exists():
                temporary.unlink()
        done += len(items)
        progress("write", done, total)
        report.files.append({"path": str(path), "bucket": key, "records": len(records),
                             "bytes": path.stat().st_size})  # fmt: skip
    report.seconds += time.perf_counter() - started
    report.wrote = True
    return report


def export(
    store: Store,
    out_path: str | os.PathLike[str],
    options: ExportOptions | None = None,
    on_progress: Progress | None = None,
) -> ExportReport:
    """Plan and write an export (see the module docstring); returns its report."""
    plan = plan_export(store, options or ExportOptions(), on_progress)
    return write_plan(plan, out_path, on_progress)
