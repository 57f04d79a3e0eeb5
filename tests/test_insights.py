"""The numbers behind the studio's charts, checked against the store: the aggregates the
store computes in SQL against a straightforward Python computation over every pair."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from statistics import mean, median

import pyarrow as pa
import pytest

from semi_core import insights
from semi_core.demo import load_demo
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.review import decide
from semi_core.store import Store


def test_empty_store(tmp_path):
    with Store(tmp_path / "e.duckdb") as store:
        assert [r["count"] for r in insights.funnel(store)] == [0] * 6
        assert all(v is None for v in insights.rates(store).values())
        assert insights.summaries(store)["difficulty"]["count"] == 0
        assert insights.distributions(store, {"difficulty": 5})["difficulty"]["bins"] == []
        assert insights.cells(store, ["tests", "cyclomatic"], 5) == {"tests": [], "cyclomatic": []}
        assert insights.source_breakdown(store) == []
        assert insights.failure_groups(store) == []
        assert insights.annotator_activity(store) == []
        assert store.validated_pairs(buckets=["easy"]) == ([], 0)


# -- the reference: every pair in Python ---------------------------------------------------


def validated(store: Store) -> list[dict]:
    """Every pair whose current verdict is validated, with its rank signals."""
    return [
        {**row, "rank": row["signals"].get("rank") or {}}
        for row in store.pair_overview()
        if row["verdict_status"] == "validated"
    ]


def python_bins(values: list[float], n: int) -> Counter:
    lo, hi = min(values), max(values)
    return Counter(0 if hi == lo else min(int((v - lo) / (hi - lo) * n), n - 1) for v in values)


def add_verdicts(store: Store, rows: list[dict], days: int = 1) -> None:
    """Later verdicts for existing pairs (they become the current ones)."""
    later = datetime.now() + timedelta(days=days)
    store.bulk_insert(
        "verdicts",
        pa.table(
            {
                "id": [f"extra-{days}-{i}" for i in range(len(rows))],
                "generation_id": [r["pair"] for r in rows],
                "run_id": ["extra"] * len(rows),
                "passed": pa.array([r.get("passed", 3) for r in rows], pa.int32()),
                "usable": pa.array([r.get("usable", 3) for r in rows], pa.int32()),
                "total": pa.array([3] * len(rows), pa.int32()),
                "status": [r["status"] for r in rows],
                "test_strength": pa.array([r.get("test_strength") for r in rows], pa.float64()),
                "signals": [json.dumps(r.get("signals", {})) for r in rows],
                "difficulty": pa.array([r.get("difficulty") for r in rows], pa.float64()),
                "created_at": [later + timedelta(seconds=i) for i in range(len(rows))],
            }
        ),
    )


@pytest.fixture(scope="module")
def ranked_store(tmp_path_factory):
    """The demo, eight pairs through the pipeline (validated, ranked), then later verdicts
    that change some pairs: a different difficulty and strength, one unranked, one no
    longer validated, two with the same difficulty."""
    path = tmp_path_factory.mktemp("insights") / "ranked.duckdb"
    with Store(path) as store:
        load_demo(store)
        run_pipeline(store, PipelineSettings(limit=8, inputs_per_pair=4, test_strength=False))
        pairs = validated(store)
        assert len(pairs) >= 5
        rank = pairs[0]["rank"]
        add_verdicts(
            store,
            [
                {"pair": pairs[0]["id"],
                 "status": "validated", "difficulty": 0.91, "test_strength": 0.4,
                 "signals": {"rank": {**rank, "bucket": "hard", "cyclomatic": 7}}},
                {"pair": pairs[1]["id"], "status": "validated", "difficulty": None,
                 "test_strength": 1.0, "signals": {}},
                {"pair": pairs[2]["id"], "status": "mismatch", "difficulty": None,
                 "signals": {"failing": [{"position": 2, "status": "wrong", "reason": "x"}]}},
                {"pair": pairs[3]["id"], "status": "validated", "difficulty": 0.91,
                 "test_strength": 0.4, "usable": 7,
                 "signals": {"rank": {**rank, "bucket": "hard", "cyclomatic": 7}}},
            ],
        )  # fmt: skip
    return path


def test_funnel_rates_and_activity_match_the_store(tmp_path):
    with Store(tmp_path / "d.duckdb") as store:
        load_demo(store)
        run_pipeline(store, PipelineSettings(limit=4, inputs_per_pair=4, test_strength=False))
        counts = store.counts()
        f = {r["stage"]: r["count"] for r in insights.funnel(store)}
        assert f["snippets"] == counts.entities["snippets"]
        assert f["usable"] == counts.by_status["snippets"]["usable"]
        assert f["generated"] == counts.by_status["generations"].get("ok", 0) == 4
        pairs = validated(store)
        assert len(pairs) == f["validated"] == counts.by_status["verdicts"].get("validated", 0)
        assert all(p["rank"]["bucket"] in ("easy", "medium", "hard") for p in pairs)
        decide(store, pairs[0]["id"], "ada", "accept")
        decide(store, pairs[1]["id"], "ada", "reject")
        decide(store, pairs[1]["id"], "bob", "skip")
        f = {r["stage"]: r["count"] for r in insights.funnel(store)}
        assert (f["accepted"], f["rejected"]) == (1, 1)
        assert insights.rates(store)["accepted / decided"] == 0.5
        activity = insights.annotator_activity(store)
        events = store.review_events()
        assert [a["annotator"] for a in activity] == ["ada", "bob"]
        ada = activity[0]
        assert (ada["accept"], ada["reject"], ada["skip"], ada["pairs"]) == (1, 1, 0, 2)
        assert ada["last"] == [e for e in events if e["annotator"] == "ada"][-1]["created_at"]
        assert activity[1]["skip"] == 1 and activity[1]["pairs"] == 1


def test_summaries_and_histograms_match_python(ranked_store):
    with Store(ranked_store) as store:
        pairs = validated(store)
        numbers = insights.distributions(store, {"difficulty": 4, "test_strength": 3}, True)
        for column, n in (("difficulty", 4), ("test_strength", 3)):
            values = [p[column] for p in pairs if p[column] is not None]
            assert len(values) >= 3  # the later verdicts left some measured
            summary = numbers[column]["summary"]
            assert summary["count"] == len(values)
            assert summary["mean"] == pytest.approx(mean(values), abs=1e-4)
            assert summary["median"] == pytest.approx(median(values), abs=1e-4)
            assert (summary["min"], summary["max"]) == (
                round(min(values), 4),
                round(max(values), 4),
            )
            # the bins hold every measured pair once, in the bin Python puts it in
            by_bin: Counter = Counter()
            for row in numbers[column]["bins"]:
                by_bin[row["bin"]] += row["pairs"]
                assert row["high"] > row["low"] or min(values) == max(values)
            assert by_bin == python_bins(values, n)
        # difficulty per bucket: each bin and bucket counted as Python counts it
        lo = min(p["difficulty"] for p in pairs if p["difficulty"] is not None)
        hi = max(p["difficulty"] for p in pairs if p["difficulty"] is not None)
        want = Counter(
            (min(int((p["difficulty"] - lo) / (hi - lo) * 4), 3), p["rank"].get("bucket"))
            for p in pairs
            if p["difficulty"] is not None
        )
        got = {(r["bin"], r["bucket"]): r["pairs"] for r in numbers["difficulty"]["bins"]}
        assert got == dict(want)
        assert insights.summaries(store) == {k: v["summary"] for k, v in numbers.items()}


def test_cells_sources_and_buckets_match_python(ranked_store):
    with Store(ranked_store) as store:
        pairs = validated(store)
        ranked = [p for p in pairs if p["difficulty"] is not None]
        grid = insights.cells(store, ["tests", "cyclomatic"], 5)
        for x, value in (("tests", lambda p: p["usable"]),
                         ("cyclomatic", lambda p: p["rank"].get("cyclomatic"))):  # fmt: skip
            want = Counter(
                (value(p), min(int(p["difficulty"] * 5), 4), p["rank"].get("bucket", "unranked"))
                for p in ranked
            )
            got = {(c["x"], c["bin"], c["bucket"]): c["pairs"] for c in grid[x]}
            assert got == dict(want)
            assert all(c["low"] <= c["mean_difficulty"] <= c["high"] for c in grid[x])
        # per source and bucket: count and mean difficulty (unranked counted as 0)
        groups = defaultdict(list)
        for p in pairs:
            groups[p["source"], p["rank"].get("bucket", "unranked")].append(p["difficulty"] or 0)
        breakdown = insights.source_breakdown(store)
        assert {
            (r["source"], r["bucket"]): (r["pairs"], r["mean_difficulty"]) for r in breakdown
        } == {k: (len(v), round(mean(v), 4)) for k, v in groups.items()}
        buckets = insights.bucket_counts(breakdown)
        assert {b["bucket"]: b["pairs"] for b in buckets} == dict(
            Counter(p["rank"].get("bucket", "unranked") for p in pairs)
        )
        assert sum(b["pairs"] for b in buckets) == len(pairs)


def test_pairs_behind_a_selection_match_python(ranked_store):
    with Store(ranked_store) as store:
        pairs = validated(store)
        hard = sorted((p for p in pairs if p["rank"].get("bucket") == "hard"),
                      key=lambda p: (p["difficulty"], p["id"]))  # fmt: skip
        rows, total = store.validated_pairs(buckets=["hard"])
        assert total == len(hard) >= 2 and [r["pair"] for r in rows] == [p["id"] for p in hard]
        rows, total = store.validated_pairs(buckets=["hard"], limit=1)
        assert (total, len(rows)) == (len(hard), 1)
        source = pairs[0]["source"]
        rows, total = store.validated_pairs(buckets=["hard"], sources=[source])
        assert total == sum(p["source"] == source for p in hard)
        # a cell: tests = 7, difficulty 0.91 in bin 4 of 5
        rows, total = store.validated_pairs(cells=[("tests", 7, 4)], bins=5)
        assert [r["pair"] for r in rows] == [
            p["id"] for p in pairs if p["usable"] == 7 and p["difficulty"] == 0.91
        ]
        rows, _ = store.validated_pairs(ids=[pairs[0]["id"]])
        assert rows[0]["difficulty"] == pairs[0]["difficulty"]
        assert rows[0]["tests"] == pairs[0]["usable"]


# -- failures ------------------------------------------------------------------------------

_EXCEPTION = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception|Exit|Interrupt))\b")


def python_detail(text: str | None) -> str:
    if not text or not text.strip():
        return "(no detail)"
    found = _EXCEPTION.search(text)
    return found.group(1) if found else text.strip().splitlines()[0][:80]


def python_refusal(reason: str | None) -> str:
    text = (reason or "").split("refused the rewrite:", 1)[-1].strip()
    return text.splitlines()[0][:80] if text else "(no reason)"


def python_failures(store: Store) -> list[tuple]:
    """(stage, kind, detail, pair or snippet, test) for every failure, in Python."""
    rows = []
    for s in store.snippets(limit=100_000, usable=False):
        # a number in an ingest detail (a line count) never splits a group
        detail = re.sub(r"[0-9]+", "N", python_detail(s["rejection_detail"]))
        rows.append(("ingest", s["rejection"], detail, s["id"], None))
    for g in store.failed_generations():
        rows.append(("generate", "generation error", python_detail(g["error"]), g["id"], None))
    for p in store.pair_overview():
        status = p["verdict_status"]
        if status is None or status == "validated":
            continue
        failing = p["signals"].get("failing") or []
        if status == "refused":
            kind, detail = "policy refusal", python_refusal(p["signals"].get("reason"))
        elif failing:
            first = failing[0]
            kind = "mismatch" if first["status"] == "wrong" else first["status"]
            detail = status if first["status"] == "wrong" else python_detail(first["reason"])
        else:
            kind, detail = status, python_detail(p["signals"].get("reason"))
        rows.append(("validate", kind, detail, p["id"],
                     failing[0]["position"] if failing else None))  # fmt: skip
    return rows


REASONS = [
    "Traceback (most recent call last):\n  File x\nZeroDivisionError: division by zero",
    "the rewrite raised a KeyboardInterrupt while running",
    "  first line of a plain message that is long enough to be cut " + "x" * 60 + "\nsecond",
    "line one\r\nline two",
    "   ",
    "",
    None,
]


def test_failure_groups_match_python(ranked_store, tmp_path):
    path = tmp_path / "failures.duckdb"
    path.write_bytes(ranked_store.read_bytes())
    with Store(path) as store:
        snippets = store.snippets(limit=20, usable=True)
        pairs = validated(store)
        n = len(REASONS)
        store.bulk_insert(
            "snippets",
            pa.table(
                {
                    "id": [f"rejected-{i}" for i in range(n)],
                    "source": ["t"] * n,
                    "path": ["t.py"] * n,
                    "kind": ["function"] * n,
                    "code": [f"def f{i}(): pass" for i in range(n)],
                    "rejection": ["syntax" if i % 2 else "no_entry_point" for i in range(n)],
                    "rejection_detail": REASONS,
                }
            ),
        )
        store.bulk_insert(
            "generations",
            pa.table(
                {
                    "id": [f"failed-{i}" for i in range(n)],
                    "snippet_id": [snippets[i % len(snippets)]["id"] for i in range(n)],
                    "backend": ["offline"] * n,
                    "status": ["failed"] * n,
                    "error": REASONS,
                }
            ),
        )
        add_verdicts(
            store,
            [
                {"pair": pairs[0]["id"], "status": "refused",
                 "signals": {"reason": "the sandbox refused the rewrite: import of os is "
                             "not allowed\nmore"}},
                {"pair": pairs[1]["id"], "status": "generated_error",
                 "signals": {"failing": [{"position": 3, "status": "error",
                                          "reason": REASONS[0]}]}},
                {"pair": pairs[3]["id"], "status": "timeout",
                 "signals": {"failing": [{"position": 0, "status": "timeout",
                                          "reason": "took over 2 s"}]}},
                {"pair": pairs[4]["id"], "status": "too_few_tests",
                 "signals": {"reason": REASONS[2]}},
            ],
            days=2,
        )  # fmt: skip
        reference = python_failures(store)
        groups = insights.failure_groups(store)
        want: dict[tuple, list] = defaultdict(list)
        for stage, kind, detail, key, _test in reference:
            want[stage, kind, detail].append(key)
        assert {(g["stage"], g["kind"], g["detail"]): g["count"] for g in groups} == {
            k: len(v) for k, v in want.items()
        }
        for g in groups:
            assert g["examples"] == sorted(want[g["stage"], g["kind"], g["detail"]])[:3]
        counts = [g["count"] for g in groups]
        assert counts == sorted(counts, reverse=True)
        assert ("validate", "policy refusal", "import of os is not allowed") in want
        # exception names, first lines cut to 80 characters, no text at all
        assert ("ingest", "no_entry_point", "ZeroDivisionError") in want
        assert ("ingest", "syntax", "KeyboardInterrupt") in want
        assert ("ingest", "no_entry_point", REASONS[2].strip()[:80]) in want
        assert ("ingest", "syntax", "line one") in want
        assert len(want["generate", "generation error", "(no detail)"]) == 3
        # one group's members, with the failing test, and the limit with the total
        for (stage, kind, detail), keys in want.items():
            members, total = insights.failure_members(store, stage, kind, detail)
            assert total == len(keys)
            assert [m["pair"] or m["snippet"] for m in members] == sorted(keys)
        tests = {r[3]: r[4] for r in reference if r[0] == "validate"}
        members, _ = insights.failure_members(store, "validate", "timeout", "took over 2 s")
        assert [m["test"] for m in members] == [tests[members[0]["pair"]]] == [0]
        members, total = insights.failure_members(store, "generate", "generation error",
                                                  "(no detail)", limit=1)  # fmt: skip
        assert (len(members), total) == (1, 3)


def test_snippets_too_long_by_any_count_are_one_group_each_with_its_message(tmp_path):
    from semi_core.sources import ingest

    from .conftest import write

    for lines in (12, 15, 40):
        body = "\n".join(f"    x{i} = {i}" for i in range(lines))
        write(tmp_path / "code" / f"long{lines}.py", f"def long{lines}():\n{body}\n    return 0\n")
    with Store(tmp_path / "long.duckdb") as store:
        assert ingest(store, [tmp_path / "code"], max_lines=10).rejections == {"too_long": 3}
        (group,) = insights.failure_groups(store)
        assert (group["stage"], group["kind"], group["count"]) == ("ingest", "too_long", 3)
        assert group["detail"] == "N lines (limit N)"
        members, total = insights.failure_members(store, "ingest", "too_long", group["detail"])
        assert total == 3
        assert sorted(m["message"] for m in members) == [
            "14 lines (limit 10)", "17 lines (limit 10)", "42 lines (limit 10)"]  # fmt: skip


def test_data_version_changes_with_what_the_aggregates_read(ranked_store, tmp_path):
    path = tmp_path / "version.duckdb"
    path.write_bytes(ranked_store.read_bytes())
    with Store(path) as store:
        first = store.data_version()
        assert store.data_version() == first  # nothing changed
        pair = validated(store)[0]
        verdict = store.latest_verdict(pair["id"])
        store.set_difficulty(verdict["id"], verdict["signals"], 0.123)
        second = store.data_version()
        assert second != first
        # a ranking that only moves a pair to another bucket changes it too
        signals = {**verdict["signals"], "rank": {**pair["rank"], "bucket": "easy"}}
        store.set_difficulty(verdict["id"], signals, 0.123)
        third = store.data_version()
        assert third != second
        with Store(path) as other:  # another Store on the file, in this process
            assert other.data_version() != third  # it may have been changed while closed
            fourth = store.data_version()
            assert other.data_version() == fourth
            decide(other, pair["id"], "ada", "accept")  # a write through either counts
            assert store.data_version() == other.data_version() != fourth
        fifth = store.data_version()
        store.pair(pair["id"])  # a read changes nothing
        assert store.data_version() == fifth
    with Store(tmp_path / "another.duckdb") as another:
        assert another.data_version()[0] != fifth[0]  # each file its own version
