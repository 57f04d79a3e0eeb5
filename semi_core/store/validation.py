"""Validation: the pairs to validate, their test cases, the oracle's answers, test runs and
verdicts, and the difficulty that ranking writes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from semi_core.store.core import StoreBase, StoreError, content_id, placeholders
from semi_core.store.schema import reserve_numbers
from semi_core.store.snippets import source_filter

# One pair's validation as the store records it: generation id, the oracle's answer per
# test case, the test runs, the verdict.
Validation = tuple[str, Sequence[dict[str, Any]], Sequence[dict[str, Any]], dict[str, Any]]


class ValidationQueries(StoreBase):
    def generations_to_validate(
        self,
        limit: int | None = None,
        after: tuple[Any, str] | None = None,
        sources: Sequence[str] | None = None,
        other_sources: bool = False,
    ) -> list[dict[str, Any]]:
        """Generations that succeeded and have no verdict yet, with their snippet's code,
        oldest first. `after` is the (created_at, id) of the last row of the previous page:
        keyset paging, so pages stay right while earlier pages are still being validated.
        `sources` and `other_sources` as in `snippets_to_generate`."""
        after_sql = "AND (g.created_at, g.id) > (?, ?) " if after is not None else ""
        source_sql, source_params = source_filter(sources, other_sources)
        return self._rows(
            "SELECT g.id, g.snippet_id, g.code, g.entry_point, s.code AS original_code, "
            "s.entry_point AS original_entry_point, s.kind, g.first_test_case, "
            "g.last_test_case, g.created_at FROM generations g "
            "JOIN snippets s ON s.id = g.snippet_id WHERE g.status = 'ok' AND NOT EXISTS "
            f"(SELECT 1 FROM verdicts v WHERE v.generation_id = g.id) {source_sql}{after_sql}"
            "ORDER BY g.created_at, g.id LIMIT ?",
            [*source_params, *(after or ()), limit if limit is not None else 2**62],
        )

    def count_generations_to_validate(self) -> int:
        """How many rows `generations_to_validate` would give (a progress total)."""
        return (
            self.cursor()
            .execute(
                "SELECT count(*) FROM generations g WHERE g.status = 'ok' AND NOT EXISTS "
                "(SELECT 1 FROM verdicts v WHERE v.generation_id = g.id)"
            )
            .fetchone()[0]
        )

    def validation_subjects(self, generation_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The same rows as `generations_to_validate`, for chosen generations (revalidation)."""
        if not generation_ids:
            return []
        return self._rows(
            "SELECT g.id, g.snippet_id, g.code, g.entry_point, s.code AS original_code, "
            "s.entry_point AS original_entry_point, s.kind, g.first_test_case, "
            "g.last_test_case FROM generations g "
            f"JOIN snippets s ON s.id = g.snippet_id WHERE g.id IN {placeholders(generation_ids)} "
            "ORDER BY g.created_at, g.id",
            generation_ids,
        )

    def test_cases(self, generation_id: str) -> list[dict[str, Any]]:
        """A generation's test cases in order, found by its range of numbers."""
        return self.test_cases_of(self._test_case_ranges([generation_id])).get(generation_id, [])

    def _test_case_ranges(self, generation_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Each generation's id and range of test case numbers, as `test_cases_of` takes."""
        return self._rows(
            "SELECT id, first_test_case, last_test_case FROM generations "
            f"WHERE id IN {placeholders(generation_ids)}",
            generation_ids,
        )

    # Ranges of test case numbers closer than this are read as one span: reading a few
    # rows of other generations costs less than another query.
    TEST_CASE_GAP = 2048

    def test_cases_of(
        self, generations: Sequence[Mapping[str, Any]]
    ) -> dict[str, list[dict[str, Any]]]:
        """The test cases of many generations: {generation id: cases}. Each generation is
        a row with its `id` and the range of its test cases' numbers (`first_test_case`,
        `last_test_case`, as `generations_to_validate` gives them; none when it has no
        test cases). Near ranges are read as one span, which zone maps find
        without an index."""
        cases: dict[str, list[dict[str, Any]]] = {row["id"]: [] for row in generations}
        ranged = sorted(
            (row["first_test_case"], row["last_test_case"], row["id"])
            for row in generations
            if row.get("first_test_case") is not None
        )
        spans: list[list[int]] = []
        for first, last, _ in ranged:
            if spans and first - spans[-1][1] <= self.TEST_CASE_GAP:
                spans[-1][1] = max(spans[-1][1], last)
            else:
                spans.append([first, last])
        wanted = {generation_id for _, _, generation_id in ranged}
        rows = [
            row
            for first, last in spans
            for row in self._rows(
                "SELECT * FROM test_cases WHERE seq BETWEEN ? AND ?", [first, last]
            )
            if row["generation_id"] in wanted  # a span holds other generations' too
        ]
        for row in sorted(rows, key=lambda row: (row["generation_id"], row["position"])):
            cases[row["generation_id"]].append(row)
        return cases

    def record_validation(
        self,
        run_id: str,
        generation_id: str,
        oracle: Sequence[dict[str, Any]],
        test_runs: Sequence[dict[str, Any]],
        verdict: dict[str, Any],
    ) -> None:
        """Store one generation's validation in one transaction: the oracle's answer per
        test case, every test run, and the verdict. A crash leaves none of it, so a
        resumed run validates the generation again from scratch."""
        self.record_validations(run_id, [(generation_id, oracle, test_runs, verdict)])

    def record_validations(
        self,
        run_id: str,
        validations: Sequence[Validation],
    ) -> None:
        """Store many validations — (generation id, oracle, test runs, verdict) each, as
        `record_validation` takes them — in one transaction: all of them or none. A
        validation made on test cases read before a test was added to its pair is left
        out (see `_on_current_test_cases`)."""
        if len({generation_id for generation_id, *_ in validations}) < len(validations):
            raise StoreError("a pair is recorded twice in one batch of validations")
        with self._write_lock:  # no test is added between the check and the write
            self._record_validations(run_id, self._on_current_test_cases(validations))

    def _on_current_test_cases(
        self,
        validations: Sequence[Validation],
    ) -> list[Validation]:
        """The validations whose oracle answered the pair's test cases as numbered now.
        Adding a test numbers a pair's test cases again: a validation that read them
        before (a run in flight) misses the added test, and its verdict, recorded last,
        would become current and drop it. Its oracle names the numbers it read."""
        read: dict[str, tuple[int, int]] = {}
        for generation_id, oracle, _, _ in validations:
            numbers = [case.get("seq") for case in oracle]
            if numbers and None not in numbers:  # rows without numbers cannot be compared
                read[generation_id] = (min(numbers), max(numbers))
        if not read:
            return list(validations)
        now = {row["id"]: (row["first_test_case"], row["last_test_case"])
               for row in self._test_case_ranges(list(read))}  # fmt: skip
        return [v for v in validations if v[0] not in read or now.get(v[0]) == read[v[0]]]

    def _record_validations(
        self,
        run_id: str,
        validations: Sequence[Validation],
    ) -> None:
        if not validations:
            return
        # Set-based: a few statements over Arrow tables whatever the batch size, as each
        # statement costs DuckDB milliseconds.
        oracle_rows = [case for _, oracle, _, _ in validations for case in oracle]
        run_rows = [(generation_id, run) for generation_id, _, runs, _ in validations
                    for run in runs]  # fmt: skip
        oracle_table = pa.table({
            "id": pa.array([case["id"] for case in oracle_rows], pa.string()),
            "seq": pa.array([case.get("seq") for case in oracle_rows], pa.int64()),
            "expected": pa.array([case["expected"] for case in oracle_rows], pa.string()),
            "oracle_status": pa.array([case["oracle_status"] for case in oracle_rows],
                                      pa.string()),
        })  # fmt: skip
        # Each pair's test runs get consecutive numbers, its verdict the first and last
        # (see `m001_baseline`).
        numbers = reserve_numbers(self.cursor(), "test_run_seq", len(run_rows))
        runs_table = pa.table({
            "seq": pa.array(numbers, pa.int64()),
            "id": pa.array([content_id(run_id, run["test_case_id"], run["side"],
                                       str(run["attempt"])) for _, run in run_rows],
                           pa.string()),
            "test_case_id": pa.array([run["test_case_id"] for _, run in run_rows], pa.string()),
            "side": pa.array([run["side"] for _, run in run_rows], pa.string()),
            "attempt": pa.array([run["attempt"] for _, run in run_rows], pa.int32()),
            "status": pa.array([run["status"] for _, run in run_rows], pa.string()),
            "output": pa.array([run.get("output") for _, run in run_rows], pa.string()),
            "error": pa.array([run.get("error") for _, run in run_rows], pa.string()),
            "stdout": pa.array([run.get("stdout") for _, run in run_rows], pa.string()),
            "duration_ms": pa.array([run.get("duration_ms") for _, run in run_rows],
                                    pa.float64()),
        })  # fmt: skip
        verdicts = [(generation_id, verdict) for generation_id, _, _, verdict in validations]
        ranges, taken = [], 0
        for _, _, runs, _ in validations:
            mine = numbers[taken : taken + len(runs)]
            ranges.append((min(mine), max(mine)) if mine else (None, None))
            taken += len(runs)
        verdicts_table = pa.table({
            "first_test_run": pa.array([first for first, _ in ranges], pa.int64()),
            "last_test_run": pa.array([last for _, last in ranges], pa.int64()),
            "id": pa.array([content_id(g, run_id) for g, _ in verdicts], pa.string()),
            "generation_id": pa.array([g for g, _ in verdicts], pa.string()),
            "passed": pa.array([v["passed"] for _, v in verdicts], pa.int32()),
            "usable": pa.array([v["usable"] for _, v in verdicts], pa.int32()),
            "total": pa.array([v["total"] for _, v in verdicts], pa.int32()),
            "status": pa.array([v["status"] for _, v in verdicts], pa.string()),
            "test_strength": pa.array([v.get("test_strength") for _, v in verdicts],
                                      pa.float64()),
            "signals": pa.array([json.dumps(v.get("signals") or {}) for _, v in verdicts],
                                pa.string()),
            "difficulty": pa.array([v.get("difficulty") for _, v in verdicts], pa.float64()),
        })  # fmt: skip
        with self.transaction() as cur:
            cur.register("oracle_rows", oracle_table)
            cur.register("run_rows", runs_table)
            cur.register("verdict_rows", verdicts_table)
            try:
                # Answers are written by test case number, found by zone maps; by id (a
                # scan of the table: test cases have no index) only for rows
                # given without one.
                numbered = sum(case.get("seq") is not None for case in oracle_rows)
                if numbered:
                    cur.execute(
                        "UPDATE test_cases SET expected = o.expected, oracle_status = "
                        "o.oracle_status FROM oracle_rows o "
                        "WHERE o.seq IS NOT NULL AND test_cases.seq = o.seq"
                    )
                if numbered < len(oracle_rows):
                    cur.execute(
                        "UPDATE test_cases SET expected = o.expected, oracle_status = "
                        "o.oracle_status FROM oracle_rows o "
                        "WHERE o.seq IS NULL AND test_cases.id = o.id"
                    )
                self._drop_earlier_records_of_this_run(cur, run_id)
                # Plain inserts, as an upsert costs DuckDB far more and grows with the
                # table; earlier rows of this run were just dropped.
                cur.execute(
                    "INSERT INTO test_runs (seq, id, run_id, test_case_id, side, attempt, "
                    "status, output, error, stdout, duration_ms) SELECT seq, id, ?, "
                    "test_case_id, side, attempt, status, output, error, stdout, duration_ms "
                    "FROM run_rows",
                    [run_id],
                )
                # A repaired pair's latest attempt keeps its first verdict: the one
                # usable attempt without a verdict, as a pair is repaired only once its
                # latest attempt has one. The small table alone, no join on generations.
                cur.execute(
                    "UPDATE generation_attempts SET verdict_id = v.id FROM verdict_rows v "
                    "WHERE generation_attempts.generation_id = v.generation_id "
                    "AND generation_attempts.verdict_id IS NULL "
                    "AND generation_attempts.status = 'ok'"
                )
                cur.execute(
                    "INSERT INTO verdicts (id, generation_id, run_id, passed, usable, total, "
                    "status, test_strength, signals, difficulty, first_test_run, "
                    "last_test_run) SELECT id, generation_id, ?, passed, usable, total, "
                    "status, test_strength, signals, difficulty, first_test_run, "
                    "last_test_run FROM verdict_rows",
                    [run_id],
                )
            finally:
                for name in ("oracle_rows", "run_rows", "verdict_rows"):
                    cur.unregister(name)

    def _drop_earlier_records_of_this_run(
        self, cur: duckdb.DuckDBPyConnection, run_id: str
    ) -> None:
        """When a validation run records a pair it had recorded before (a run id reused),
        the new record replaces the old whole: its verdict and every one of its test runs.
        A pair's test runs and verdict are written in one transaction, so a pair without
        a verdict of this run has no test runs of it either: one look at the verdicts."""
        # The run id first: its verdicts sit in few blocks, and the id column (hashes) is
        # compared only there (verdicts have no index).
        again = cur.execute(
            "SELECT generation_id, first_test_run, last_test_run FROM verdicts "
            "WHERE run_id = ? AND id IN (SELECT id FROM verdict_rows)",
            [run_id],
        ).fetchall()
        if not again:
            return
        # Read within this transaction (`cur` is this thread's cursor), all pairs at once.
        cases = self.test_cases_of(self._test_case_ranges([g for g, _, _ in again]))
        for generation_id, first, last in again:
            ids = [case["id"] for case in cases.get(generation_id, [])]
            if first is not None and ids:
                cur.execute(
                    "DELETE FROM test_runs WHERE seq BETWEEN ? AND ? AND run_id = ? AND "
                    "list_contains(?, test_case_id)",
                    [first, last, run_id, ids],
                )
        cur.execute(
            "DELETE FROM verdicts WHERE run_id = ? AND id IN (SELECT id FROM verdict_rows)",
            [run_id],
        )

    def latest_verdict(self, generation_id: str) -> dict[str, Any] | None:
        rows = self._rows(
            "SELECT * FROM current_verdicts WHERE generation_id = ?",
            [generation_id],
        )
        if rows:
            rows[0]["signals"] = json.loads(rows[0]["signals"]) if rows[0]["signals"] else {}
        return rows[0] if rows else None

    def verdict_history(self, generation_id: str) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT * FROM verdicts WHERE generation_id = ? ORDER BY created_at, id",
            [generation_id],
        )

    def test_runs(self, run_id: str, generation_id: str) -> list[dict[str, Any]]:
        """Every test run of one validation run of a generation, with its test case."""
        # Three lookups joined here: as one statement DuckDB scans every test case, and
        # the pair's own test runs are picked out of its range fastest in Python.
        found = self._rows(
            "SELECT first_test_run, last_test_run FROM verdicts WHERE generation_id = ? "
            "AND run_id = ?",
            [generation_id, run_id],
        )
        if not found or found[0]["first_test_run"] is None:
            return []
        cases = {row["id"]: row for row in self.test_cases(generation_id)}
        runs = self._rows(
            "SELECT test_case_id, side, attempt, status, output, error, stdout, duration_ms "
            "FROM test_runs WHERE seq BETWEEN ? AND ? AND run_id = ?",
            [found[0]["first_test_run"], found[0]["last_test_run"], run_id],
        )
        rows = []
        for run in runs:
            case = cases.get(run.pop("test_case_id"))
            if case is None:  # another pair's, numbered inside this range
                continue
            rows.append({key: case[key] for key in ("position", "input", "origin", "expected",
                                                     "oracle_status")} | run)  # fmt: skip
        rows.sort(key=lambda row: (row["position"], row["side"], row["attempt"]))
        return rows

    def current_verdicts(self, statuses: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The latest verdict of every generation (optionally of some statuses)."""
        rows = self._rows(
            "SELECT * FROM current_verdicts "
            "WHERE ? IS NULL OR status IN (SELECT unnest(?::VARCHAR[])) ORDER BY generation_id",
            [None if statuses is None else 1, list(statuses or [])],
        )
        for row in rows:
            row["signals"] = json.loads(row["signals"]) if row["signals"] else {}
        return rows

    def set_difficulty(self, verdict_id: str, signals: dict[str, Any], difficulty: float) -> None:
        with self.transaction() as cur:
            cur.execute(
                "UPDATE verdicts SET signals = ?, difficulty = ? WHERE id = ?",
                [json.dumps(signals), difficulty, verdict_id],
            )

    def set_difficulties(self, rows: Sequence[tuple[str, dict[str, Any], float]]) -> None:
        """Many (verdict_id, signals, difficulty) updates in one statement (ranking)."""
        if not rows:
            return
        table = pa.table({
            "id": pa.array([vid for vid, _, _ in rows], pa.string()),
            "signals": pa.array([json.dumps(signals) for _, signals, _ in rows], pa.string()),
            "difficulty": pa.array([difficulty for _, _, difficulty in rows], pa.float64()),
        })  # fmt: skip
        with self.transaction() as cur:
            cur.register("difficulty_rows", table)
            try:
                cur.execute(
                    "UPDATE verdicts SET signals = d.signals::JSON, difficulty = d.difficulty "
                    "FROM difficulty_rows d WHERE verdicts.id = d.id"
                )
            finally:
                cur.unregister("difficulty_rows")

    _CURRENT_VALIDATED = "(SELECT * FROM current_verdicts WHERE status = 'validated')"

    def ranking_subjects(
        self,
        after: str | None = None,
        limit: int | None = None,
        generation_ids: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Current verdicts that are `validated`, with their pair's instruction and code
        and the snippet's kind: what ranking reads, in one query, in generation id order;
        a page of at most `limit` after the generation id `after` (keyset paging); only
        the pairs `generation_ids` when given."""
        current, params = self._CURRENT_VALIDATED, [after or ""]
        if generation_ids is not None:
            # DuckDB filters on the pairs' ids before picking the current verdicts.
            current = (
                f"(SELECT * FROM current_verdicts WHERE generation_id IN "
                f"{placeholders(generation_ids)} AND status = 'validated')"
            )
            params = [*generation_ids, after or ""]
        rows = self._rows(
            "SELECT v.id AS verdict_id, v.generation_id, v.run_id, v.passed, v.usable, "
            "v.total, v.test_strength, v.signals, v.difficulty, g.instruction, g.code, "
            f"g.entry_point, s.kind FROM {current} v "
            "JOIN generations g ON g.id = v.generation_id "
            "JOIN snippets s ON s.id = g.snippet_id "
            "WHERE v.generation_id > ? ORDER BY v.generation_id"
            + ("" if limit is None else f" LIMIT {int(limit)}"),
            params,
        )
        for row in rows:
            row["signals"] = json.loads(row["signals"]) if row["signals"] else {}
        return rows

    def place_ranked(self, buckets: Sequence[str]) -> dict[str, int]:
        """Write the bucket and curriculum position of every current `validated` verdict
        that has a difficulty score into its signals' "rank", in one statement: positions
        follow the score (then the generation id); the buckets (`buckets`, easiest first)
        are tertiles of the scores, equal scores sharing one, and fixed thirds of the
        score under three pairs — `rank.assign_buckets`, in SQL. Returns {bucket: n}."""
        placed = (
            "SELECT id, row_number() OVER (ORDER BY difficulty, generation_id) AS position, "
            "CASE WHEN count(*) OVER () < 3 THEN least(2, floor(difficulty * 3))::INTEGER "
            "ELSE least(2, (rank() OVER (ORDER BY difficulty) - 1) * 3 // count(*) OVER ()) "
            f"END AS bucket FROM {self._CURRENT_VALIDATED} WHERE difficulty IS NOT NULL"
        )
        with self.transaction() as cur:
            cur.execute(
                "UPDATE verdicts SET signals = json_merge_patch(signals, json_object('rank', "
                "json_object('bucket', (?::VARCHAR[])[p.bucket + 1], 'curriculum_position', "
                f"p.position))) FROM ({placed}) p WHERE verdicts.id = p.id",
                [list(buckets)],
            )
            counts = cur.execute(
                "SELECT signals->>'$.rank.bucket', count(*) FROM "
                f"{self._CURRENT_VALIDATED} WHERE difficulty IS NOT NULL GROUP BY ALL"
            ).fetchall()
        return {bucket: dict(counts).get(bucket, 0) for bucket in buckets}

    def report_generations(self) -> list[dict[str, Any]]:
        """Per generation, for quality reports: kind, instruction, distinct inputs, their
        origins, and how many test runs of the rewrite ended ok."""
        return self._rows(
            """
            SELECT g.id, s.kind, g.status, g.instruction,
                coalesce(t.distinct_inputs, 0) AS distinct_inputs, t.origins,
                coalesce(r.ok_runs, 0) AS rewrite_ok_runs
            FROM generations g JOIN snippets s ON s.id = g.snippet_id
            LEFT JOIN (SELECT generation_id, count(DISTINCT input) AS distinct_inputs,
                              histogram(origin) AS origins
                       FROM test_cases GROUP BY generation_id) t ON t.generation_id = g.id
            LEFT JOIN (SELECT c.generation_id, count(*) AS ok_runs
                       FROM test_runs x JOIN test_cases c ON c.id = x.test_case_id
                       WHERE x.side = 'generated' AND x.status = 'ok'
                       GROUP BY c.generation_id) r ON r.generation_id = g.id
            ORDER BY g.id
            """
        )
