"""Training records: what an export writes for a pair or a mixed-in record, rendered in
each schema (alpaca, chat, full), and the Parquet types of each schema's columns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

BUCKETS = ("easy", "medium", "hard")
UNRANKED = "unranked"
SEMI_INSTRUCT = "semi-instruct"
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful programming assistant. Answer the task with correct, clean Python code."
)
_TRUNCATED = re.compile(r"… \[\d+ more characters\]$")


@dataclass
class Item:
    """One record to write, from a pair or from the mixed-in file, before its schema."""

    id: str
    origin: str  # "semi-instruct" or "mix:<file name>"
    instruction: str
    input: str
    output: str  # a pair's code; a mixed-in record's answer
    entry_point: str | None = None
    mode: str | None = None
    test_cases: list[dict[str, Any]] = field(default_factory=list)
    difficulty: dict[str, Any] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    bucket: str = UNRANKED
    accepted: bool = False
    source: str | None = None

    @property
    def is_pair(self) -> bool:
        return self.origin == SEMI_INSTRUCT

    def texts(self) -> dict[str, str]:
        """The fields that decontamination reads."""
        if self.is_pair:
            return {"instruction": self.instruction, "code": self.output}
        return {"instruction": self.instruction, "input": self.input, "output": self.output}


_SIGNAL_KEYS = ("tests_usable", "tests_passed", "code_lines", "code_nodes", "cyclomatic",
                "instruction_words", "solve_rate", "test_strength")  # fmt: skip


def pair_item(row: dict[str, Any]) -> tuple[Item, int]:
    """An export item from a Store.export_rows row; also how many test cases were cut."""
    mode = "program" if row["kind"] == "program" else "function"
    cases, cut = [], 0
    for case in row["cases"] or []:
        if case["expected"] is not None and _TRUNCATED.search(case["expected"]):
            cut += 1
            continue
        # Both keys on every case (the one that does not apply is empty): a JSON Lines
        # reader that infers types from the first records must see both as text.
        program = mode == "program"
        cases.append({"args": "" if program else case["input"],
                      "stdin": case["input"] if program else "",
                      "expected": case["expected"], "origin": case["origin"]})  # fmt: skip
    signals = row["signals"] or {}
    rank = signals.get("rank") or {}
    bucket = rank.get("bucket") if rank.get("bucket") in BUCKETS else UNRANKED
    difficulty = {
        "score": row["difficulty"],
        "bucket": bucket if row["difficulty"] is not None else None,
        "curriculum_position": rank.get("curriculum_position"),
        "weak_tests": signals.get("weak_tests"),
        "signals": {key: rank.get(key) for key in _SIGNAL_KEYS},
    }
    difficulty["signals"]["test_strength"] = row["test_strength"]
    provenance = {
        "source": row["source"],
        "path": row["path"],
        "line": row["line"],
        "row": None,
        "snippet_id": row["snippet_id"],
        "name": row["name"],
        "backend": row["backend"],
        "model": row["model"],
        "prompt_hash": row["prompt_hash"],
        "validation_run": row["run_id"],
        "verdict": row["verdict_status"],
        "tests_passed": row["passed"],
        "tests_usable": row["usable"],
        "review": {
            "decision": row["decision"] or "",
            "decisions": "; ".join(
                f"{d['annotator']}: {d['decision']}" for d in row["decisions"] or []
            ),
            "reject_reasons": "; ".join(
                f"{r['annotator']}{' (final)' if r['final'] else ''}: {', '.join(r['reasons'])}"
                for r in row.get("reject_reasons") or []
            ),
        },
    }
    item = Item(
        id=row["id"],
        origin=SEMI_INSTRUCT,
        instruction=row["instruction"] or "",
        input="",
        output=row["code"] or "",
        entry_point=row["entry_point"] if mode == "function" else None,
        mode=mode,
        test_cases=cases,
        difficulty=difficulty,
        provenance=provenance,
        score=row["difficulty"],
        bucket=bucket if row["difficulty"] is not None else UNRANKED,
        accepted=row["decision"] == "accept",
        source=row["source"],
    )
    return item, cut


def empty_provenance(source: str, row: int) -> dict[str, Any]:
    return {"source": source, "path": None, "line": None, "row": row, "snippet_id": None,
            "name": None, "backend": None, "model": None, "prompt_hash": None,
            "validation_run": None, "verdict": None, "tests_passed": None,
            "tests_usable": None,
            "review": {"decision": "", "decisions": "", "reject_reasons": ""}}  # fmt: skip


def empty_difficulty() -> dict[str, Any]:
    return {"score": None, "bucket": None, "curriculum_position": None, "weak_tests": None,
            "signals": dict.fromkeys(_SIGNAL_KEYS)}  # fmt: skip


def render(item: Item, schema: str, system_prompt: str = DEFAULT_SYSTEM_PROMPT) -> dict[str, Any]:
    """One record of the chosen schema."""
    if schema == "alpaca":
        return {"id": item.id, "origin": item.origin, "instruction": item.instruction,
                "input": item.input, "output": item.output}  # fmt: skip
    if schema == "chat":
        user = item.instruction + (f"\n\n{item.input}" if item.input else "")
        answer = f"```python\n{item.output.rstrip()}\n```" if item.is_pair else item.output
        return {
            "id": item.id,
            "origin": item.origin,
            "messages": [
                {"role": "system", "content": system_prompt},
                {"role": "user", "content": user},
                {"role": "assistant", "content": answer},
            ],
        }
    return {
        "id": item.id,
        "origin": item.origin,
        "instruction": item.instruction,
        "input": item.input,
        "code": item.output,
        "entry_point": item.entry_point,
        "mode": item.mode,
        "test_cases": item.test_cases,
        "difficulty": item.difficulty,
        "provenance": item.provenance,
    }


# Parquet schemas: explicit, so that every export of a schema has the same columns and
# types (an all-null column would otherwise come out typeless).
_STRING = pa.string()
PARQUET_SCHEMAS = {
    "alpaca": pa.schema(
        [
            ("id", _STRING),
            ("origin", _STRING),
            ("instruction", _STRING),
            ("input", _STRING),
            ("output", _STRING),
        ]
    ),  # fmt: skip
    "chat": pa.schema(
        [
            ("id", _STRING),
            ("origin", _STRING),
            ("messages", pa.list_(pa.struct([("role", _STRING), ("content", _STRING)]))),
        ]
    ),  # fmt: skip
    "full": pa.schema(
        [
            ("id", _STRING),
            ("origin", _STRING),
            ("instruction", _STRING),
            ("input", _STRING),
            ("code", _STRING),
            ("entry_point", _STRING),
            ("mode", _STRING),
            (
                "test_cases",
                pa.list_(
                    pa.struct(
                        [
                            ("args", _STRING),
                            ("stdin", _STRING),
                            ("expected", _STRING),
                            ("origin", _STRING),
                        ]
                    )
                ),
            ),
            (
                "difficulty",
                pa.struct(
                    [
                        ("score", pa.float64()),
                        ("bucket", _STRING),
                        ("curriculum_position", pa.int64()),
                        ("weak_tests", pa.bool_()),
                        (
                            "signals",
                            pa.struct(
                                [
                                    ("tests_usable", pa.int64()),
                                    ("tests_passed", pa.int64()),
                                    ("code_lines", pa.int64()),
                                    ("code_nodes", pa.int64()),
                                    ("cyclomatic", pa.int64()),
                                    ("instruction_words", pa.int64()),
                                    ("solve_rate", pa.float64()),
                                    ("test_strength", pa.float64()),
                                ]
                            ),
                        ),
                    ]
                ),
            ),
            (
                "provenance",
                pa.struct(
                    [
                        ("source", _STRING),
                        ("path", _STRING),
                        ("line", pa.int64()),
                        ("row", pa.int64()),
                        ("snippet_id", _STRING),
                        ("name", _STRING),
                        ("backend", _STRING),
                        ("model", _STRING),
                        ("prompt_hash", _STRING),
                        ("validation_run", _STRING),
                        ("verdict", _STRING),
                        ("tests_passed", pa.int64()),
                        ("tests_usable", pa.int64()),
                        (
                            "review",
                            pa.struct(
                                [
                                    ("decision", _STRING),
                                    ("decisions", _STRING),
                                    ("reject_reasons", _STRING),
                                ]
                            ),
                        ),
                    ]
                ),
            ),
        ]
    ),  # fmt: skip
}
