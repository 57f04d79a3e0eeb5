"""Ingestion of natural code: Python files and folders, every dataset format, flags,
rejections, bad input (costing only itself), duplicates and idempotent re-ingest."""

from __future__ import annotations

import gzip
import json
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semi_core.sources import ingest, normalized_code, snippets_from_python
from semi_core.store import content_id

from .conftest import memory_limit_mib, write

MODULE = """
    import math
    from collections import Counter

    SCALE = 10
    UNUSED = 99


    def _helper(x):
        return x * SCALE


    class Box:
        def __init__(self, value):
            self.value = value


    def area(radius):
        \"\"\"Area of a circle, scaled.\"\"\"
        return _helper(math.pi * radius ** 2)


    def boxed(v):
        return Box(v).value


    def most_common(words):
        return Counter(words).most_common(1)[0][0]


    if __name__ == "__main__":
        print(area(2))
"""


def snippets_by_name(store) -> dict[str, dict]:
    return {row["name"]: row for row in store.snippets(limit=1000)}


def run_standalone(code: str, entry: str, *args):
    """Execute a snippet of our own fixture code in a fresh namespace: it must need
    nothing from the file it came from."""
    namespace: dict = {"__name__": "snippet"}
    exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace[entry](*args)


# -- Python files and folders ----------------------------------------------------------


def test_each_top_level_function_becomes_a_snippet_that_runs_on_its_own(store, tmp_path):
    write(tmp_path / "geometry.py", MODULE)
    report = ingest(store, [tmp_path / "geometry.py"])
    found = snippets_by_name(store)
    assert set(found) == {"_helper", "area", "boxed", "most_common"}
    assert report.new == 4 and report.kinds == {"function": 4}

    area = found["area"]
    assert area["kind"] == "function" and area["entry_point"] == "area"
    assert "import math" in area["code"] and "SCALE = 10" in area["code"]
    assert "UNUSED" not in area["code"] and "Counter" not in area["code"]
    assert "__main__" not in area["code"]
    assert run_standalone(area["code"], "area", 1) == pytest.approx(31.4159, rel=1e-4)
    assert run_standalone(found["boxed"]["code"], "boxed", 7) == 7
    assert run_standalone(found["most_common"]["code"], "most_common", ["a", "b", "a"]) == "a"
    assert area["line"] == 17 and area["path"].endswith("geometry.py")


def test_a_file_reading_stdin_at_top_level_is_one_program(store, tmp_path):
    write(
        tmp_path / "sum_numbers.py",
        """
        import sys

        def parse(line):
            return [int(x) for x in line.split()]

        numbers = parse(sys.stdin.readline())
        print(sum(numbers))
        """,
    )
    write(
        tmp_path / "main_reads.py",
        """
        def main():
            n = int(input())
            print(n * 2)

        if __name__ == "__main__":
            main()
        """,
    )
    ingest(store, [tmp_path])
    found = snippets_by_name(store)
    assert found["sum_numbers"]["kind"] == "program"
    assert found["sum_numbers"]["entry_point"] is None
    assert found["main_reads"]["kind"] == "program"
    assert len(found) == 2  # the functions inside programs are not separate snippets


def test_folders_are_walked_recursively_skipping_venvs_vcs_caches_and_bad_files(store, tmp_path):
    write(tmp_path / "pkg" / "deep" / "mod.py", "def kept(a):\n    return a + 1\n")
    write(tmp_path / ".git" / "hook.py", "def in_git(a):\n    return a\n")
    write(tmp_path / "__pycache__" / "c.py", "def in_cache(a):\n    return a\n")
    write(tmp_path / "myenv" / "pyvenv.cfg", "home = /usr\n")
    write(tmp_path / "myenv" / "lib" / "x.py", "def in_venv(a):\n    return a\n")
    write(tmp_path / "node_modules" / "n.py", "def in_node(a):\n    return a\n")
    (tmp_path / "blob.py").write_bytes(b"def f():\x00\x01 return 1\n")
    (tmp_path / "latin.py").write_bytes("def g():\n    return 'caf\xe9'\n".encode("latin-1"))
    write(tmp_path / "notes.txt", "def not_python(): pass\n")

    report = ingest(store, [tmp_path])

    assert set(snippets_by_name(store)) == {"kept"}
    assert report.skipped_files == {"binary": 1, "not_utf8": 1}
    problems = [str(p) for p in report.problems]
    assert any("blob.py" in p and "binary" in p for p in problems)
    assert any("latin.py:2" in p and "UTF-8" in p for p in problems)


# -- flags and rejections ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "flag"),
    [
        ("def add(a, b):\n    return a + b\n", "no_docstring"),
        ("def pos(a):\n    if a > 0: return a\n    return 0\n", "nested_one_liner"),
        ("def grid(n):\n    return [[i * j for j in range(n)] for i in range(n)]\n",
         "nested_one_liner"),
        ("def swap(a, b):\n    t = a; a = b; b = t\n    return a, b\n", "semicolon_joined"),
        ("def twice(v):\n    double = lambda q: q * 2\n    return double(v)\n",
         "lambda_assigned"),
        ("def fn(a, b, c):\n    return a * b - c\n", "unclear_names"),
        ("def compute(s, l):\n    return s[:l]\n", "unclear_names"),
    ],
)  # fmt: skip
def test_flags_mark_what_semi_instruct_repairs(code, flag):
    (snippet,) = snippets_from_python(code, source="t", path="t.py")
    assert flag in snippet.flags
    assert snippet.rejection is None


def test_clean_code_has_no_flags():
    code = 'def total_price(items, rate):\n    """Sum with tax."""\n    return sum(items) * rate\n'
    (snippet,) = snippets_from_python(code, source="t", path="t.py")
    assert snippet.flags == []


def test_rejections_carry_a_reason(store, tmp_path):
    write(tmp_path / "broken.py", "def f(:\n    return 1\n")
    write(tmp_path / "constants.py", "LIMIT = 3\nNAMES = ['a']\n")
    long_body = "\n".join(f"    x{i} = {i}" for i in range(300))
    write(tmp_path / "long.py", f"def long_one():\n{long_body}\n    return 0\n")
    write(tmp_path / "aio.py", "async def fetch(url):\n    return url\n")

    report = ingest(store, [tmp_path])

    assert report.rejections == {"syntax_error": 1, "no_entry_point": 2, "too_long": 1}
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in store.snippets(limit=100)}
    assert rows["broken.py"]["rejection"] == "syntax_error"
    assert rows["broken.py"]["rejection_detail"].startswith("line 1:")
    assert rows["constants.py"]["rejection"] == "no_entry_point"
    assert rows["long.py"]["rejection"] == "too_long"
    assert "302 lines" in rows["long.py"]["rejection_detail"]
    assert "async" in rows["aio.py"]["rejection_detail"]
    assert store.counts().by_status["snippets"] == {
        "no_entry_point": 2, "syntax_error": 1, "too_long": 1,
    }  # fmt: skip


def test_max_lines_is_a_setting(store, tmp_path):
    write(tmp_path / "m.py", "def medium(a):\n" + "    a += 1\n" * 20 + "    return a\n")
    assert ingest(store, [tmp_path], max_lines=10).rejections == {"too_long": 1}


# -- datasets ------------------------------------------------------------------------------

ROWS = [
    {"code": "def inc(value):\n    return value + 1\n", "task": "t1", "stars": 5},
    {"code": "def dec(value):\n    return value - 1\n", "task": "t2", "stars": 3},
    {"code": "import sys\nprint(sys.stdin.read().upper())\n", "task": "t3", "stars": 1},
]


def write_dataset(path, rows, code_column="code"):
    rows = [{(code_column if k == "code" else k): v for k, v in r.items()} for r in rows]
    suffix = "".join(path.suffixes)
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif suffix == ".jsonl.gz":
        with gzip.open(path, "wt") as handle:
            handle.write("".join(json.dumps(r) + "\n" for r in rows))
    elif suffix == ".json":
        path.write_text(json.dumps(rows))
    elif suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif suffix == ".csv":
        import csv

        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".json", ".parquet", ".csv"])
def test_every_dataset_format_is_read_with_metadata_kept(store, tmp_path, suffix):
    path = write_dataset(tmp_path / f"data{suffix}", ROWS)
    report = ingest(store, [path])
    assert report.problems == []
    assert report.rows == 3 and report.new == 3
    found = snippets_by_name(store)
    assert found["inc"]["entry_point"] == "inc" and found["inc"]["kind"] == "function"
    assert found["data"]["kind"] == "program"  # the stdin row
    full = store.snippet(found["dec"]["id"])
    metadata = json.loads(full["metadata"])
    assert metadata["task"] == "t2" and str(metadata["stars"]) == "3"
    assert full["line"] == 2


@pytest.mark.parametrize("column", ["code", "content", "solution", "output"])
def test_common_code_column_names_are_found(store, tmp_path, column):
    path = write_dataset(tmp_path / "d.jsonl", ROWS[:2], code_column=column)
    assert ingest(store, [path]).new == 2


def test_code_column_can_be_chosen(store, tmp_path):
    rows = [{"snippet_text": r["code"], "code": "not python at all ("} for r in ROWS[:2]]
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = ingest(store, [path], code_column="snippet_text")
    assert report.new == 2 and report.rejections == {}
    missing = ingest(store, [path], code_column="nope")
    assert "no code column (nope)" in str(missing.problems[0])


def test_human_eval_style_rows_join_prompt_and_solution(store, tmp_path):
    row = {
        "task_id": "X/0",
        "prompt": 'def add(a, b):\n    """Add two numbers."""\n',
        "canonical_solution": "    return a + b\n",
        "entry_point": "add",
        "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n",
    }
    path = tmp_path / "he.jsonl"
    path.write_text(json.dumps(row) + "\n")
    ingest(store, [path])
    (snippet,) = store.snippets()
    assert snippet["entry_point"] == "add" and snippet["rejection"] is None
    assert run_standalone(snippet["code"], "add", 2, 3) == 5


# -- bad input costs only itself -------------------------------------------------------------


def test_a_broken_jsonl_line_costs_only_that_line(store, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        json.dumps(ROWS[0]) + "\n"
        "{this is not json\n"
        "\n" + json.dumps(ROWS[1]) + "\n"
        '["a list, not an object"]\n'
        + json.dumps({"code": None, "task": "empty"}) + "\n"
        + json.dumps({"code": 42}) + "\n"
    )  # fmt: skip
    report = ingest(store, [path])
    assert set(snippets_by_name(store)) == {"inc", "dec"}
    problems = [str(p) for p in report.problems]
    assert f"{path}:2: invalid JSON" in problems[0]
    assert f"{path}:5: not a JSON object" in problems
    assert f"{path}:6: empty or non-text 'code'" in problems
    assert f"{path}:7: empty or non-text 'code'" in problems
    assert len(problems) == 4


def test_a_malformed_csv_row_costs_only_that_row(store, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(
        'code,task\n"def one(a):\n    return a",t1\nbroken row with, too, many, fields\n'
        '"def two(a):\n    return a",t2\n'
    )
    report = ingest(store, [path])
    assert set(snippets_by_name(store)) == {"one", "two"}
    assert any("malformed CSV row" in str(p) for p in report.problems)


def test_an_unreadable_file_costs_only_itself(store, tmp_path):
    (tmp_path / "a_corrupt.parquet").write_bytes(b"PAR1 this is not parquet")
    write(tmp_path / "b_fine.py", "def fine(a):\n    return a\n")
    report = ingest(store, [tmp_path, tmp_path / "missing.py"])
    assert set(snippets_by_name(store)) == {"fine"}
    problems = [str(p) for p in report.problems]
    assert any("a_corrupt.parquet: cannot read" in p for p in problems)
    assert any("missing.py: no such file or folder" in p for p in problems)


def test_a_dataset_without_a_code_column_is_reported(store, tmp_path):
    path = tmp_path / "other.jsonl"
    path.write_text('{"text": "hello", "label": 1}\n')
    report = ingest(store, [path])
    assert report.new == 0
    assert "no code column" in str(report.problems[0])
    assert "text" in str(report.problems[0])


# -- duplicates and idempotence ---------------------------------------------------------------


def test_duplicates_after_normalising_are_counted_and_stored_once(store, tmp_path):
    write(tmp_path / "a.py", "def same(a, b):\n    return a + b\n")
    write(tmp_path / "b.py", "# a comment\ndef same(a,b):\n\n    return a+b   # why\n")
    write(tmp_path / "c.py", "def same(a, b):\n    return a - b\n")
    report = ingest(store, [tmp_path])
    assert report.found == 3 and report.duplicates == 1 and report.new == 2
    assert store.count_snippets() == 2


def test_reingesting_the_same_input_changes_nothing(store, tmp_path):
    write(tmp_path / "geometry.py", MODULE)
    write_dataset(tmp_path / "d.parquet", ROWS)
    first = ingest(store, [tmp_path])
    before = store.snippets(limit=1000)
    second = ingest(store, [tmp_path])
    assert first.new == 7
    assert second.new == 0 and second.already_stored == 7
    assert store.snippets(limit=1000) == before


def test_each_ingest_is_recorded_as_a_run(store, tmp_path):
    write(tmp_path / "m.py", "def inc(a):\n    return a + 1\n")
    ingest(store, [tmp_path])
    (run,) = store.runs()
    assert run["kind"] == "ingest" and run["state"] == "done"
    assert run["counts"]["new"] == 1 and run["params"]["paths"] == [str(tmp_path)]


comment = st.text(alphabet="abc xyz", max_size=10).map(lambda t: f"  # {t}")


@settings(max_examples=50, deadline=None)
@given(comment, st.integers(min_value=0, max_value=3))
def test_comments_and_blank_lines_do_not_change_the_id(trailing_comment, blank_lines):
    original = "def area(width, height):\n    return width * height\n"
    variant = (
        "# header\n" + "\n" * blank_lines
        + "def area(width,  height):" + trailing_comment
        + "\n\n    return width*height\n"
    )  # fmt: skip
    assert normalized_code(variant) == normalized_code(original)
    assert content_id("python", normalized_code(variant)) == content_id(
        "python", normalized_code(textwrap.dedent(original))
    )


# -- large inputs: helper processes, repeats across batches ---------------------------------


def varied_rows(count: int) -> list[dict]:
    """Dataset rows of every kind: functions, programs, broken code, and repeats (every
    fifth row repeats an earlier one with other comments and spacing)."""
    rows = []
    for i in range(count):
        if i % 5 == 4:
            earlier = rows[i - 3]["code"]
            rows.append({"code": "# again\n" + earlier.replace(" + ", "+"), "n": i})
        elif i % 7 == 3:
            rows.append({"code": f"import sys\nprint(len(sys.stdin.read()) * {i})\n", "n": i})
        elif i % 11 == 5:
            rows.append({"code": f"def broken_{i}(:\n    return {i}\n", "n": i})
        else:
            body = "    t = a; a = b; b = t\n" if i % 3 == 0 else ""
            rows.append({"code": f"def add_{i}(a, b):\n{body}    return a + b + {i}\n", "n": i})
    return rows


def stored_snippets(store) -> list[tuple]:
    return sorted(
        (s["id"], s["name"], s["kind"], s["line"], s["code"], tuple(s["flags"]), s["rejection"])
        for s in store.snippets(limit=10_000)
    )


def test_helper_processes_cut_a_dataset_exactly_as_this_process_does(tmp_path):
    from semi_core.sources import IngestReport, RowAnalyser, snippets_from_table
    from semi_core.store import Store

    path = write_dataset(tmp_path / "many.parquet", varied_rows(1200))
    analyser = RowAnalyser(workers=2)
    try:
        batches = list(
            snippets_from_table(
                path, IngestReport(), source="s", code_column=None, max_lines=200,
                analyser=analyser,
            )
        )  # fmt: skip
        assert analyser.in_helpers
    finally:
        analyser.close()
    assert sum(len(batch) for batch in batches) == 1200

    reports, contents = [], []
    for workers in (0, 2):
        with Store(tmp_path / f"w{workers}.duckdb") as store:
            reports.append(ingest(store, [path], workers=workers).to_dict())
            contents.append(stored_snippets(store))
    for report in reports:
        report.pop("seconds")
    assert reports[0] == reports[1]
    assert contents[0] == contents[1]
    assert reports[0]["duplicates"] == 240 and reports[0]["new"] == 960
    assert reports[0]["kinds"] == {"function": 823, "program": 137}
    assert reports[0]["rejections"] == {"syntax_error": 75}


def test_repeats_are_counted_across_batches_and_ingests(store, tmp_path, monkeypatch):
    import semi_core.sources as sources

    monkeypatch.setattr(sources, "BATCH_SIZE", 7)  # many small batches: repeats cross them
    path = write_dataset(tmp_path / "rows.jsonl", varied_rows(100))
    first = ingest(store, [path])
    assert first.found == 100 and first.duplicates == 20 and first.new == 80
    assert store.count_snippets() == 80
    # Again, together with a copy: the copy's rows are repeats of this ingest's own.
    copy = write_dataset(tmp_path / "copy.jsonl", varied_rows(100))
    second = ingest(store, [path, copy])
    assert second.new == 0 and second.already_stored == 80
    assert second.duplicates == 120


def test_an_ingest_bounds_the_database_memory_and_restores_it_after(store, tmp_path):
    # DuckDB caches every block up to its limit (most of the machine): an ingest lowers
    # it so that the stored snippets do not pile up in memory, then gives it back.
    before = memory_limit_mib(store)
    assert before > 1024  # DuckDB's default: most of the machine
    during: list[float] = []
    path = write_dataset(tmp_path / "rows.jsonl", varied_rows(50))
    ingest(store, [path], on_rows=lambda rows: during.append(memory_limit_mib(store)))
    assert during and all(60 < limit < 70 for limit in during)  # 64 MB + what is held
    assert abs(memory_limit_mib(store) - before) < 0.2 * 1024  # DuckDB shows it rounded

    with pytest.raises(RuntimeError):  # a failed ingest gives it back too
        ingest(store, [path], on_rows=lambda rows: (_ for _ in ()).throw(RuntimeError("stop")))
    assert abs(memory_limit_mib(store) - before) < 0.2 * 1024


def test_snippets_hold_no_index_in_memory_and_keep_their_ids_unique(store):
    # DuckDB keeps an index it has touched in memory whole, which grew an ingest with the
    # corpus: snippets have none (m014), and adding them keeps ids unique by itself.
    rows = [
        {"id": f"{n:016x}", "source": "s", "path": "p", "line": n, "name": "f",
         "kind": "function", "entry_point": "f", "language": "python", "flags": [],
         "code": f"def f():\n    return {n}\n"}
        for n in range(30_000)
    ]  # fmt: skip
    indexes_before = store.engine_memory_mb().get("art_index", 0)
    assert store.add_snippets(rows) == 30_000
    assert store.engine_memory_mb().get("art_index", 0) == indexes_before
    again = [*rows[:5], {**rows[5], "code": "def g():\n    return 0\n"}]
    fresh = [{**rows[0], "id": "new", "line": -1}, {**rows[0], "id": "new", "line": -2}]
    assert store.add_snippets(again + fresh) == 1  # the first of a repeated id is kept
    assert store.count_snippets() == 30_001
    assert store.snippet(rows[5]["id"])["code"] == rows[5]["code"]
    assert store.snippet("new")["line"] == -1
