"""Exports: schemas round-tripped (and loaded with Hugging Face `datasets`), selection by
review status, difficulty and source, order, exact mixing ratios, planted duplicates,
decontamination against HumanEval and a named benchmark, and the CLI on the demo data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from semi_core.dedup import ContaminationIndex, Deduplicator, normalize_code
from semi_core.demo import human_eval_path, human_eval_problems
from semi_core.export import (
    ExportError,
    ExportOptions,
    export,
    plan_export,
    read_dataset,
    write_plan,
)
from semi_core.rank import rank_all
from semi_core.review import decide, undo_last
from semi_core.sandbox import Limits
from semi_core.sandbox.jobs import exec_file
from semi_core.store import Store, content_id

from .conftest import run_semi

# Loading must never reach for the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

EASY = "def inc(x):\n    return x + 1\n"
MEDIUM = """
def clamp_double(x):
    # clamp to zero
    if x < 0:
        return 0
    return x * 2
"""
HARD = """
def collatz_marks(x):
    steps = 0
    while x > 1 and steps < 50:
        if x % 2 == 0:
            x //= 2
        else:
            x = 3 * x + 1
        steps += 1
    return [s for s in range(steps) if s % 3 == 0 or s % 5 == 0]
"""
PROGRAM = "import sys\n\nprint(sum(int(t) for t in sys.stdin.read().split()))\n"

# A planted near-duplicate family: the same function, renamed and reformatted.
WORD_COUNTS = '''
def word_counts(text):
    """Count how often each word occurs."""
    counts = {}
    for word in text.lower().split():
        word = word.strip(".,;:!?")
        if word:
            counts[word] = counts.get(word, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
'''
WORD_COUNTS_RENAMED = '''
def tally(s):
    """Tally the words of a text."""
    seen = {}
    for w in s.lower().split():
        w = w.strip(".,;:!?")
        if w:
            seen[w] = seen.get(w, 0) + 1
    return sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))
'''
WORD_COUNTS_REFORMATTED = """
def word_counts( text ):
    counts={}   # word -> count
    for word in text.lower().split():
        word=word.strip('.,;:!?')
        if word: counts[word]=counts.get(word,0)+1
    return sorted(counts.items(),
                  key=lambda item:(-item[1],item[0]))
"""
UNRELATED = """
def running_max(values):
    best = None
    out = []
    for v in values:
        best = v if best is None or v > best else best
        out.append(best)
    return out
"""
# Common idioms, nothing copied: must pass decontamination.
IDIOMS = """
def any_above(items, limit):
    for i, x in enumerate(items):
        if x > limit:
            return True
    return False
"""


def code(text: str) -> str:
    return text.strip("\n") + "\n"


def add_pair(
    store: Store,
    name: str,
    source_code: str,
    *,
    instruction: str | None = None,
    cases: tuple[tuple[str, str], ...] = (("1", "2"), ("2", "3"), ("3", "4")),
    kind: str = "function",
    status: str = "validated",
    source: str = "tests",
    entry: str | None = "auto",
) -> str:
    """A snippet, its generation and test cases, and a stored verdict: no sandbox needed."""
    source_code = code(source_code)
    if entry == "auto":
        entry = source_code.split("def ", 1)[1].split("(", 1)[0] if kind == "function" else None
    snippet_id = content_id(source, name, source_code)
    store.add_snippets(
        [{"id": snippet_id, "source": source, "path": f"{source}/{name}.py", "line": 1,
          "name": name, "kind": kind, "entry_point": entry, "language": "python",
          "code": source_code, "flags": []}]
    )  # fmt: skip
    generation_id = content_id(snippet_id, "gen")
    store.add_generation(
        {"id": generation_id, "snippet_id": snippet_id, "backend": "offline",
         "model": "offline-v1", "prompt_hash": "hash1", "code": source_code,
         "instruction": instruction or f"Write the function {name}.", "entry_point": entry,
         "status": "ok"},
        [(text, "typed") for text, _ in cases],
    )  # fmt: skip
    oracle = [
        {"id": content_id(generation_id, text), "expected": expected,
         "oracle_status": "raises" if expected.startswith("raises: ") else "ok"}
        for text, expected in cases
    ]  # fmt: skip
    passed = len(cases) if status == "validated" else 0
    store.record_validation(
        "run1", generation_id, oracle, [],
        {"passed": passed, "usable": len(cases), "total": len(cases), "status": status,
         "signals": {}},
    )  # fmt: skip
    return generation_id


def read_records(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def load_hf(path: Path, fmt: str, cache: Path):
    """Load a file the way a trainer would: Hugging Face `datasets` (pandas without it)."""
    try:
        import datasets
    except ImportError:  # the documented layout, read by pandas instead
        import pandas as pd

        frame = pd.read_parquet(path) if fmt == "parquet" else pd.read_json(path, lines=True)
        return frame.to_dict("records")
    builder = "json" if fmt == "jsonl" else "parquet"
    loaded = datasets.load_dataset(builder, data_files=str(path), split="train",
                                   cache_dir=str(cache))  # fmt: skip
    return list(loaded)


def write_jsonl(path: Path, rows: list, broken: dict[int, str] | None = None) -> Path:
    lines = [json.dumps(row) for row in rows]
    for index, text in (broken or {}).items():
        lines.insert(index, text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def pairs(store):
    """Three functions of rising difficulty, one program, all validated and ranked."""
    ids = {
        "easy": add_pair(store, "inc", EASY),
        "medium": add_pair(store, "clamp_double", MEDIUM, cases=(("-1", "0"), ("2", "4"),
                                                                 ("'a'", "raises: TypeError"))),
        "hard": add_pair(store, "collatz_marks", HARD, cases=(("7", "[0, 3, 5, 6, 9, 10, 12, 15]"),
                                                              ("1", "[]"), ("2", "[0]"))),
        "program": add_pair(store, "adder", PROGRAM, kind="program",
                            cases=(("1 2\n", "3\n"), ("", "0\n"), ("5 5 5", "15\n"))),
    }  # fmt: skip
    rank_all(store)
    return ids


ALL_CLEAN = {"status": "all", "humaneval": False}


# --- schemas and formats -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
@pytest.mark.parametrize("schema", ["alpaca", "chat", "full"])
def test_every_schema_round_trips(store, pairs, tmp_path, schema, fmt):
    out = tmp_path / f"pairs.{fmt}"
    report = export(store, out, ExportOptions(schema=schema, format=fmt, **ALL_CLEAN))
    assert report.files == [{"path": str(out), "bucket": None, "records": 4,
                             "bytes": out.stat().st_size}]  # fmt: skip
    records = {r["id"]: r for r in read_records(out)}
    assert set(records) == set(pairs.values())
    easy = records[pairs["easy"]]
    assert easy["origin"] == "semi-instruct"
    if schema == "alpaca":
        assert set(easy) == {"id", "origin", "instruction", "input", "output"}
        assert (easy["instruction"], easy["input"], easy["output"]) == (
            "Write the function inc.", "", code(EASY))  # fmt: skip
    elif schema == "chat":
        roles = [m["role"] for m in easy["messages"]]
        assert roles == ["system", "user", "assistant"]
        assert easy["messages"][1]["content"] == "Write the function inc."
        assert easy["messages"][2]["content"] == f"```python\n{code(EASY).rstrip()}\n```"
    else:
        assert (easy["code"], easy["entry_point"], easy["mode"]) == (code(EASY), "inc", "function")
        assert easy["test_cases"] == [
            {"args": "1", "stdin": "", "expected": "2", "origin": "typed"},
            {"args": "2", "stdin": "", "expected": "3", "origin": "typed"},
            {"args": "3", "stdin": "", "expected": "4", "origin": "typed"},
        ]
        medium = records[pairs["medium"]]
        assert medium["test_cases"][2]["expected"] == "raises: TypeError"
        program = records[pairs["program"]]
        assert program["mode"] == "program" and program["entry_point"] is None
        assert program["test_cases"][0] == {"args": "", "stdin": "1 2\n", "expected": "3\n",
                                            "origin": "typed"}  # fmt: skip
        assert easy["difficulty"]["bucket"] in ("easy", "medium", "hard")
        assert easy["difficulty"]["signals"]["tests_passed"] == 3
        assert 0 < easy["difficulty"]["score"] < records[pairs["hard"]]["difficulty"]["score"]
        provenance = easy["provenance"]
        assert provenance["source"] == "tests" and provenance["path"] == "tests/inc.py"
        assert (provenance["backend"], provenance["model"], provenance["prompt_hash"]) == (
            "offline", "offline-v1", "hash1")  # fmt: skip
        assert provenance["validation_run"] == "run1" and provenance["verdict"] == "validated"
        assert provenance["snippet_id"]
        assert provenance["review"] == {"decision": "", "decisions": "", "reject_reasons": ""}


def test_exported_test_cases_run_as_semi_exec_takes_them(store, pairs, tmp_path):
    out = tmp_path / "full.jsonl"
    export(store, out, ExportOptions(schema="full", **ALL_CLEAN))
    records = {r["id"]: r for r in read_records(out)}
    for key in ("medium", "program"):
        record = records[pairs[key]]
        source = tmp_path / f"{key}.py"
        source.write_text(record["code"], encoding="utf-8")
        inputs = tmp_path / f"{key}.inputs.jsonl"
        write_jsonl(inputs, record["test_cases"])  # the cases as they are
        limits = Limits(timeout_s=2.0, workers=1)
        results = list(exec_file(str(source), record["entry_point"], str(inputs),
                                 record["mode"], limits))  # fmt: skip
        for case, result in zip(record["test_cases"], results, strict=True):
            if case["expected"].startswith("raises: "):
                assert result["status"] == "error"
                assert case["expected"].removeprefix("raises: ") in result["error"]
            else:
                assert result["status"] == "ok"
                assert result["output"] == case["expected"]


def test_large_json_lines_files_keep_their_types_for_datasets(store, tmp_path, monkeypatch):
    """`datasets` infers JSON Lines types from the first chunk (10 MB) only: a program
    after many functions, or a reviewed pair after unreviewed ones, must still load; a
    field that is still empty throughout that chunk is named in the report."""
    import datasets

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    for i in range(12):
        add_pair(store, f"f{i}", f"def f{i}(x):\n    return x * {i} + {i * i}\n")
    program = add_pair(store, "adder", PROGRAM, kind="program", cases=(("1 2\n", "3\n"),))
    rank_all(store)
    out = tmp_path / "big.jsonl"
    options = ExportOptions(schema="full", order="curriculum", **ALL_CLEAN)
    export(store, out, options)
    records = read_records(out)
    reviewed = records[-1]["id"]
    decide(store, reviewed, "ada", "accept")
    first = len(json.dumps(records[0], ensure_ascii=False).encode()) + 1
    monkeypatch.setattr("semi_core.export.HF_JSON_CHUNK", first + 1)  # two records

    def load(name: str):
        cache = str(tmp_path / name)
        return datasets.load_dataset("json", data_files=str(out), split="train",
                                     cache_dir=cache, chunksize=first + 1)  # fmt: skip

    report = export(store, out, options)
    records = read_records(out)
    assert {records[0]["mode"], records[1]["mode"]} == {"function"} != {records[-1]["mode"]}
    assert records[-1]["provenance"]["review"]["decision"] == "accept"
    assert not [note for note in report.notes if "infers the types" in note]
    loaded = load("cache1")
    assert len(loaded) == 13
    assert next(r for r in loaded if r["id"] == program)["test_cases"][0]["stdin"] == "1 2\n"

    # A measurement only a later pair has: named in the report (and the loader would fail).
    store.record_validation("run2", reviewed, [], [], {
        "passed": 1, "usable": 1, "total": 1, "status": "validated", "test_strength": 0.5,
        "signals": {}})  # fmt: skip
    report = export(store, out, options)
    [note] = [note for note in report.notes if "infers the types" in note]
    assert "difficulty.signals.test_strength" in note and "Parquet" in note
    with pytest.raises(datasets.exceptions.DatasetGenerationError):
        load("cache2")


def test_files_load_with_hugging_face_datasets(store, pairs, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    mix = write_jsonl(tmp_path / "mix.jsonl", [
        {"instruction": f"Task {i}", "input": "", "output": f"def t{i}(a):\n    return a * {i}\n"}
        for i in range(10)
    ])  # fmt: skip
    for schema in ("alpaca", "chat", "full"):
        for fmt in ("jsonl", "parquet"):
            out = tmp_path / schema / f"train.{fmt}"
            options = ExportOptions(schema=schema, mix_path=str(mix), mix_ratio=0.5, **ALL_CLEAN)
            report = export(store, out, options)
            rows = load_hf(out, fmt, tmp_path / "cache")
            assert len(rows) == report.written == 8
            assert {row["origin"] for row in rows} == {"semi-instruct", "mix:mix.jsonl"}
            if schema == "full":
                program = next(r for r in rows if r["id"] == pairs["program"])
                assert program["test_cases"][0]["stdin"] == "1 2\n"


# --- selection and order -------------------------------------------------------------------


def test_selection_by_review_status(store, tmp_path):
    names = ["accepted", "rejected", "fresh", "undone", "disputed"]
    ids = {name: add_pair(store, name, f"def {name}(x):\n    return x * {i}\n")
           for i, name in enumerate(names)}  # fmt: skip
    ids["accepted_mismatch"] = add_pair(store, "accepted_mismatch", "def am(x):\n    return -x\n",
                                        status="mismatch")  # fmt: skip
    add_pair(store, "failed", "def failed(x):\n    return x\n", status="mismatch")
    decide(store, ids["accepted"], "ada", "accept")
    decide(store, ids["accepted_mismatch"], "ada", "accept")
    decide(store, ids["rejected"], "ada", "reject")
    decide(store, ids["undone"], "ada", "accept")
    undo_last(store, "ada")
    decide(store, ids["fresh"], "bob", "skip")  # a skip is not a decision
    decide(store, ids["disputed"], "ada", "accept")
    decide(store, ids["disputed"], "bob", "reject")  # a dispute, not the latest vote

    def selected(status: str) -> set[str]:
        plan = plan_export(store, ExportOptions(status=status, humaneval=False, dedup=False))
        return {item.id for items in plan.groups.values() for item in items}

    # accepted: the human decision rules, whatever the verdict says
    assert selected("accepted") == {ids["accepted"], ids["accepted_mismatch"]}
    assert selected("validated") == {ids["fresh"], ids["undone"]}
    assert selected("all") == {ids[n] for n in ("accepted", "rejected", "fresh", "undone",
                                                "disputed")}  # fmt: skip
    report = plan_export(store, ExportOptions(status="all", humaneval=False)).report
    assert any("1 validated pair that reviewers rejected" in note for note in report.notes)
    assert any("includes 1 pair in dispute" in line for line in report.summary())

    out = tmp_path / "accepted.jsonl"
    export(store, out, ExportOptions(status="accepted", schema="full", humaneval=False))
    record = next(r for r in read_records(out) if r["id"] == ids["accepted"])
    assert record["provenance"]["review"] == {"decision": "accept", "decisions": "ada: accept",
                                              "reject_reasons": ""}  # fmt: skip
    disputed = plan_export(store, ExportOptions(status="all", schema="full", humaneval=False))
    [item] = [i for i in disputed.groups[None] if i.id == ids["disputed"]]
    assert item.provenance["review"] == {"decision": "disputed",
                                         "decisions": "ada: accept; bob: reject",
                                         "reject_reasons": ""}  # fmt: skip


def test_nothing_accepted_says_what_to_do(store, pairs, tmp_path):
    report = export(store, tmp_path / "none.jsonl", ExportOptions(humaneval=False))
    assert report.written == 0 and (tmp_path / "none.jsonl").read_text() == ""
    assert any("No pair is accepted" in line for line in report.summary())


def test_difficulty_range_and_source(store, pairs):
    add_pair(store, "other_source", "def other(x):\n    return x - 1\n", source="elsewhere")
    rank_all(store)
    scores = {row["id"]: row["difficulty"] for row in store.export_rows("all")}
    low = scores[pairs["easy"]]
    plan = plan_export(store, ExportOptions(difficulty=(0.0, low), **ALL_CLEAN))
    chosen = {item.id for item in plan.groups[None]}
    assert chosen == {i for i, s in scores.items() if s <= low} and pairs["easy"] in chosen
    assert pairs["hard"] not in chosen
    plan = plan_export(store, ExportOptions(sources=("elsewhere",), **ALL_CLEAN))
    assert [item.provenance["source"] for item in plan.groups[None]] == ["elsewhere"]
    assert store.export_sources() == {"elsewhere": 1, "tests": 4}


def test_orders(store, pairs):
    def order(kind: str, seed: int = 0) -> list[str]:
        plan = plan_export(store, ExportOptions(order=kind, seed=seed, **ALL_CLEAN))
        return [item.id for item in plan.groups[None]]

    scores = {row["id"]: row["difficulty"] for row in store.export_rows("all")}
    curriculum = order("curriculum")
    assert [scores[i] for i in curriculum] == sorted(scores.values())
    assert curriculum.index(pairs["easy"]) < curriculum.index(pairs["hard"])
    assert order("reverse") == sorted(curriculum, key=lambda i: -scores[i])
    shuffled = [tuple(order("shuffle", seed)) for seed in range(6)]
    assert shuffled[0] == tuple(order("shuffle", 0))  # the seed decides
    assert len(set(shuffled)) > 1 and all(set(s) == set(curriculum) for s in shuffled)


def test_difficulty_buckets_as_separate_files(store, tmp_path):
    for i in range(9):
        body = "\n".join(f"    if x == {k}:\n        return {k * i}" for k in range(i + 1))
        add_pair(store, f"steps{i}", f"def steps{i}(x):\n{body}\n    return -1\n")
    rank_all(store)
    out = tmp_path / "curriculum.jsonl"
    report = export(store, out, ExportOptions(buckets_as_files=True, schema="full", **ALL_CLEAN))
    assert [Path(f["path"]).name for f in report.files] == [
        "curriculum.easy.jsonl", "curriculum.medium.jsonl", "curriculum.hard.jsonl"]  # fmt: skip
    for written in report.files:
        records = read_records(Path(written["path"]))
        assert len(records) == written["records"] == 3
        assert {r["difficulty"]["bucket"] for r in records} == {written["bucket"]}
    assert not out.exists()
    # Mixed in per bucket file, at the same ratio in each.
    mix = write_jsonl(tmp_path / "si.jsonl", mix_rows(12))
    report = export(store, out, ExportOptions(buckets_as_files=True, mix_path=str(mix),
                                              mix_ratio=0.5, **ALL_CLEAN))  # fmt: skip
    for written in report.files:
        origins = [r["origin"] for r in read_records(Path(written["path"]))]
        assert origins.count("mix:si.jsonl") == origins.count("semi-instruct") == 3


# --- mixing ---------------------------------------------------------------------------------


def mix_rows(count: int) -> list[dict]:
    return [{"instruction": f"Return {i} times the sum of a list.", "input": "",
             "output": f"def scaled_sum_{i}(xs):\n    return {i} * sum(xs) + {i * 7}\n"}
            for i in range(count)]  # fmt: skip


@pytest.mark.parametrize(("ratio", "mixed"), [(0.25, 2), (0.5, 6), (0.75, 18)])
def test_mix_ratio_is_exact_and_origin_kept(store, tmp_path, ratio, mixed):
    for i in range(6):
        add_pair(store, f"p{i}", f"def p{i}(x):\n    return x ** {i + 2} - {i}\n")
    rank_all(store)
    mix = write_jsonl(tmp_path / "code_alpaca.jsonl", mix_rows(40))
    out = tmp_path / "mixed.jsonl"
    options = ExportOptions(schema="alpaca", mix_path=str(mix), mix_ratio=ratio, **ALL_CLEAN)
    report = export(store, out, options)
    records = read_records(out)
    origins = [r["origin"] for r in records]
    assert (report.pairs, report.mixed) == (6, mixed)
    assert origins.count("mix:code_alpaca.jsonl") == mixed and origins.count("semi-instruct") == 6
    assert mixed / len(records) == ratio
    assert all(
        r["id"].startswith("code_alpaca.jsonl:") for r in records if r["origin"] != "semi-instruct"
    )
    # Mixed-in records are spread through the curriculum, not piled at one end.
    positions = [i for i, o in enumerate(origins) if o == "semi-instruct"]
    assert positions[0] < len(records) / 2 < positions[-1]


def test_mix_file_too_short_holds_pairs_back_to_keep_the_ratio(store, tmp_path):
    for i in range(6):
        add_pair(store, f"p{i}", f"def p{i}(x):\n    return x ** {i + 2} - {i}\n")
    mix = write_jsonl(tmp_path / "tiny.jsonl", mix_rows(2))
    report = plan_export(store, ExportOptions(mix_path=str(mix), mix_ratio=0.5,
                                              **ALL_CLEAN)).report  # fmt: skip
    assert (report.pairs, report.mixed) == (2, 2)
    assert report.dropped() == {"held_back_for_ratio": {"pair": 4, "mixed": 0}}
    assert any("held back" in note for note in report.notes)


def test_bad_mix_rows_cost_only_themselves(store, pairs, tmp_path):
    rows = mix_rows(8) + [{"instruction": "no answer here"}]
    mix = write_jsonl(tmp_path / "mix.jsonl", rows, broken={3: '{"instruction": "cut',
                                                            5: "[1, 2]"})  # fmt: skip
    report = plan_export(store, ExportOptions(mix_path=str(mix), mix_ratio=0.5,
                                              **ALL_CLEAN)).report  # fmt: skip
    assert report.mix_rows == 8 and report.mixed == 4
    assert report.problems == [
        "mix.jsonl line 4: invalid JSON (Unterminated string starting at); skipped",
        "mix.jsonl line 6: not a JSON object; skipped",
        "mix.jsonl line 11: no output text (looked for the columns output, solution, "
        "response, completion, answer); skipped",
    ]


def test_mix_parquet_with_oss_instruct_columns(store, pairs, tmp_path):
    import pyarrow as pa

    rows = [{"problem": r["instruction"], "solution": f"```python\n{r['output']}```",
             "lang": "python", "seed": "x"} for r in mix_rows(10)]  # fmt: skip
    mix = tmp_path / "oss_instruct.parquet"
    pq.write_table(pa.Table.from_pylist(rows), mix)
    report = plan_export(store, ExportOptions(mix_path=str(mix), mix_ratio=0.5,
                                              **ALL_CLEAN)).report  # fmt: skip
    assert report.mixed == 4 and not report.problems
    assert [n for n, row, _ in read_dataset(mix)][:3] == [1, 2, 3]


def test_options_are_checked(tmp_path):
    with pytest.raises(ExportError, match="both a file"):
        ExportOptions(mix_ratio=0.5).check()
    mix = write_jsonl(tmp_path / "m.jsonl", mix_rows(1))
    with pytest.raises(ExportError, match="between 0 and 1"):
        ExportOptions(mix_path=str(mix), mix_ratio=1.0).check()
    with pytest.raises(ExportError, match="unknown schema"):
        ExportOptions(schema="sharegpt").check()
    with pytest.raises(ExportError, match="does not exist"):
        ExportOptions(decontaminate=(str(tmp_path / "missing.jsonl"),)).check()
    with pytest.raises(ExportError, match="unsupported"):
        list(read_dataset(write_jsonl(tmp_path / "x.txt", [])))


# --- deduplication --------------------------------------------------------------------------


def test_normalisation_sees_through_renaming_and_layout():
    exact, tokens = normalize_code(WORD_COUNTS)
    assert normalize_code(WORD_COUNTS_REFORMATTED)[0] == exact  # comments, layout, quotes
    assert normalize_code(WORD_COUNTS_RENAMED)[1] == tokens  # bound names renamed
    assert normalize_code(UNRELATED)[1] != tokens
    # Calls to different helpers stay different even when every local is renamed.
    assert normalize_code("def f(x):\n    return g(x)\n")[1] != normalize_code(
        "def h(y):\n    return k(y)\n")[1]  # fmt: skip
    # An answer with a fenced block is compared by its code.
    assert normalize_code(f"Here it is:\n```python\n{WORD_COUNTS}```\nDone.")[0] == exact


def test_planted_duplicates_are_dropped_with_reasons(store, tmp_path):
    original = add_pair(store, "word_counts", WORD_COUNTS)
    renamed = add_pair(store, "tally", WORD_COUNTS_RENAMED)
    reformatted = add_pair(store, "word_counts_fmt", WORD_COUNTS_REFORMATTED)
    unrelated = add_pair(store, "running_max", UNRELATED)
    decide(store, original, "ada", "accept")  # the accepted copy is the one kept
    mix = write_jsonl(tmp_path / "si.jsonl", [
        {"instruction": "Count words.", "output": f"```python\n{WORD_COUNTS_RENAMED}```"},
        {"instruction": "Count words again.", "output": WORD_COUNTS_REFORMATTED},
        *mix_rows(10),
    ])  # fmt: skip
    options = ExportOptions(mix_path=str(mix), mix_ratio=0.5, seed=3, **ALL_CLEAN)
    report = plan_export(store, options).report
    by_id = {drop.id: drop for drop in report.drops}
    assert {item.id for item in plan_export(store, options).groups[None]
            if item.is_pair} == {original, unrelated}  # fmt: skip
    assert by_id[renamed].reason == "near_duplicate" and by_id[renamed].of == original
    assert by_id[renamed].similarity >= 0.85
    assert by_id[reformatted].reason == "exact_duplicate" and by_id[reformatted].of == original
    assert "without comments, docstrings and layout" in by_id[reformatted].detail
    # Mixed-in copies of a kept pair are dropped too, wherever the shuffle put them.
    mixed_drops = {d.id: d for d in report.drops if d.kind == "mixed"}
    assert set(mixed_drops) <= {"si.jsonl:1", "si.jsonl:2"}
    assert report.mixed == 2
    dropped = report.dropped()
    assert dropped["near_duplicate"]["pair"] == 1 and dropped["exact_duplicate"]["pair"] == 1
    examples = report.to_dict()["examples"]
    assert examples["near_duplicate"][0]["of"] == original
    # Without dedup everything stays.
    assert plan_export(store, ExportOptions(dedup=False, **ALL_CLEAN)).report.pairs == 4


def test_mixed_in_copies_of_pairs_are_dropped():
    dedup = Deduplicator()
    assert dedup.check("pair", WORD_COUNTS) is None
    assert dedup.check("mix:1", f"```python\n{WORD_COUNTS_RENAMED}```").reason == "near_duplicate"
    assert dedup.check("mix:2", UNRELATED) is None
    assert dedup.check("mix:3", UNRELATED).reason == "exact_duplicate"


# --- decontamination ------------------------------------------------------------------------


def planted_humaneval() -> str:
    """HumanEval/0's canonical solution under its own signature, docstring dropped (as an
    LLM rewrite of a scraped copy would look)."""
    problem = human_eval_problems()[0]
    signature = problem["prompt"].split('"""')[0].rstrip()
    return f"{signature}\n{problem['canonical_solution']}"


def test_decontamination_catches_a_planted_humaneval_solution(store, tmp_path):
    planted = add_pair(store, "close_elements", planted_humaneval(),
                       instruction="Tell whether two numbers of a list are close.")  # fmt: skip
    clean = {add_pair(store, "running_max", UNRELATED), add_pair(store, "any_above", IDIOMS),
             add_pair(store, "word_counts", WORD_COUNTS)}  # fmt: skip
    report = plan_export(store, ExportOptions(status="all")).report
    assert report.benchmarks == {"HumanEval": 164}
    assert [flag.id for flag in report.contaminated] == [planted]
    flag = report.contaminated[0]
    assert (flag.overlap.benchmark, flag.overlap.item, flag.overlap.field) == (
        "HumanEval", "HumanEval/0", "code")  # fmt: skip
    assert "distance = abs(elem - elem2)" in flag.overlap.text
    assert not flag.from_benchmark_itself
    assert report.dropped() == {"contaminated": {"pair": 1, "mixed": 0}}
    assert report.pairs == len(clean)
    # Kept on request, still reported.
    kept = plan_export(store, ExportOptions(status="all", include_contaminated=True)).report
    assert kept.pairs == 4 and len(kept.contaminated) == 1 and not kept.dropped()
    assert "kept" in " ".join(kept.summary())


def test_decontamination_against_a_named_benchmark_file(store, tmp_path):
    mbpp_code = (
        "def remove_Occ(s,ch): \r\n    for i in range(len(s)): \r\n        if (s[i] == ch): \r\n"
        "            s = s[0 : i] + s[i + 1:] \r\n            break\r\n"
        "    for i in range(len(s) - 1,-1,-1):  \r\n        if (s[i] == ch): \r\n"
        "            s = s[0 : i] + s[i + 1:] \r\n            break\r\n    return s "
    )
    mbpp = write_jsonl(tmp_path / "mbpp.jsonl", [
        {"task_id": 11, "text": "Write a python function to remove first and last occurrence "
         "of a given character from the string.", "code": mbpp_code,
         "test_list": ['assert remove_Occ("hello","l") == "heo"']},
        {"task_id": 12, "text": "Something else entirely", "code": "def x():\n    pass"},
    ], broken={1: "{not json"})  # fmt: skip
    copied = add_pair(store, "remove_occ", mbpp_code.replace("\r\n", "\n"),
                      cases=(("'hello', 'l'", "'heo'"),))  # fmt: skip
    clean = {add_pair(store, "running_max", UNRELATED), add_pair(store, "any_above", IDIOMS),
             add_pair(store, "word_counts", WORD_COUNTS)}  # fmt: skip
    # Three pairs stay, so three mixed-in records are needed and all three rows are looked
    # at: the one that copies MBPP's task text is flagged, one pair is held back.
    mix = write_jsonl(tmp_path / "si.jsonl", [
        {"instruction": "Write a python function to remove first and last occurrence of a "
         "given character from the string.", "output": "def f(s, c):\n    return s"},
        *mix_rows(2),
    ])  # fmt: skip
    options = ExportOptions(status="all", humaneval=False, decontaminate=(str(mbpp),),
                            mix_path=str(mix), mix_ratio=0.5, seed=1)  # fmt: skip
    plan = plan_export(store, options)
    report = plan.report
    assert report.benchmarks == {"mbpp.jsonl": 2}
    assert report.problems == ["mbpp.jsonl line 2: invalid JSON (Expecting property name "
                               "enclosed in double quotes); skipped"]  # fmt: skip
    flagged = {flag.id: flag for flag in report.contaminated}
    assert set(flagged) == {copied, "si.jsonl:1"}
    assert flagged[copied].overlap.item == "11" and flagged[copied].overlap.field == "code"
    assert "s = s[0 : i] + s[i + 1:]" in flagged[copied].overlap.text
    assert (flagged["si.jsonl:1"].kind, flagged["si.jsonl:1"].overlap.field) == (
        "mixed", "instruction")  # fmt: skip
    assert report.dropped() == {"contaminated": {"pair": 1, "mixed": 1},
                                "held_back_for_ratio": {"pair": 1, "mixed": 0}}  # fmt: skip
    kept = {item.id for item in plan.groups[None]}
    assert (report.pairs, report.mixed) == (2, 2) and kept - {"si.jsonl:2", "si.jsonl:3"} < clean


def test_overlap_passage_is_the_longest_shared_run():
    index = ContaminationIndex(n=4)
    index.add("bench", "b/1", ["alpha beta gamma delta epsilon zeta eta theta"])
    found = index.check({"text": "x y alpha beta gamma delta epsilon, q r s"})
    assert found.text == "alpha beta gamma delta epsilon" and found.ngrams == 2
    assert index.check({"text": "alpha beta gamma zeta"}) is None


def test_demo_humaneval_pairs_are_flagged_and_the_summary_says_why(store, tmp_path):
    problem = human_eval_problems()[2]
    add_pair(store, problem["entry_point"], problem["prompt"] + problem["canonical_solution"],
             source=str(human_eval_path()), cases=(("3.5", "0.5"), ("1.25", "0.25"),
                                                   ("7.0", "0.0")))  # fmt: skip
    add_pair(store, "running_max", UNRELATED)
    report = plan_export(store, ExportOptions(status="all")).report
    assert [flag.from_benchmark_itself for flag in report.contaminated] == [True]
    summary = " ".join(report.summary())
    assert "1 of the flagged pairs come from HumanEval itself" in summary
    assert "flagging them is correct" in summary


def test_cut_expected_outputs_are_left_out(store, tmp_path):
    add_pair(store, "big", "def big(n):\n    return list(range(n))\n",
             cases=(("3", "[0, 1, 2]"), ("9999", "[0, 1, 2… [48890 more characters]"),
                    ("0", "[]")))  # fmt: skip
    out = tmp_path / "full.jsonl"
    report = export(store, out, ExportOptions(schema="full", **ALL_CLEAN))
    assert [c["args"] for c in read_records(out)[0]["test_cases"]] == ["3", "0"]
    assert report.test_cases_cut == 1 and any("cut" in note for note in report.notes)


def test_write_is_atomic_and_parquet_keeps_one_schema(store, pairs, tmp_path):
    plan = plan_export(store, ExportOptions(schema="full", format="parquet", **ALL_CLEAN))
    first = write_plan(plan, tmp_path / "a.parquet")
    assert not list(tmp_path.glob(".*partial"))
    empty = export(store, tmp_path / "b.parquet", ExportOptions(schema="full", format="parquet",
                                                                humaneval=False))  # fmt: skip
    assert empty.written == 0 and first.written == 4
    assert pq.read_schema(tmp_path / "a.parquet") == pq.read_schema(tmp_path / "b.parquet")


# --- the command line on the demo data ------------------------------------------------------


def test_cli_export_of_the_demo_loads_and_matches_semi_stats(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    db = tmp_path / "demo.duckdb"
    assert run_semi("demo", db=db).returncode == 0
    run = run_semi("run", "--limit", "10", "--no-test-strength", "--inputs-per-pair", "5", db=db)
    assert run.returncode == 0, run.stderr
    stats = json.loads(run_semi("stats", "--json", db=db).stdout)
    validated = stats["by_status"]["verdicts"]["validated"]
    assert validated >= 5

    out = tmp_path / "demo.jsonl"
    result = run_semi("export", str(out), "--status", "all", "--schema", "full",
                      "--include-contaminated", "--no-dedup", db=db)  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = load_hf(out, "jsonl", tmp_path / "cache")
    assert len(rows) == validated
    assert f"{validated} records written" in result.stdout

    # With the defaults on: what was written plus what was dropped is what was selected.
    out = tmp_path / "demo.parquet"
    result = run_semi("export", str(out), "--status", "all", "--order", "shuffle", "--json",
                      db=db)  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    dropped = sum(sum(kinds.values()) for kinds in report["dropped"].values())
    assert report["selected"] == validated == report["written"] + dropped
    assert len(load_hf(out, "parquet", tmp_path / "cache")) == report["written"]

    # Nothing accepted yet: an empty file and a hint; a bad option is one clear line.
    result = run_semi("export", str(tmp_path / "accepted.jsonl"), db=db)
    assert result.returncode == 0 and "No pair is accepted" in result.stdout
    result = run_semi("export", str(tmp_path / "x.jsonl"), "--ratio", "0.5", db=db)
    assert result.returncode == 1 and "needs both a file" in result.stderr
