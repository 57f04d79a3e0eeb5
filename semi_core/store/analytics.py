"""Counts and the numbers behind the studio's charts, computed in DuckDB so that pages
never load every pair."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from semi_core.store.review import ReviewQueries


@dataclass(frozen=True)
class Counts:
    """What `semi stats` reports: rows per entity, and per status where there is one."""

    entities: dict[str, int]
    by_status: dict[str, dict[str, int]]

    def to_dict(self) -> dict[str, Any]:
        return {"entities": self.entities, "by_status": self.by_status}


_SPACE = "' \t\n\r\x0b\x0c'"
_EXCEPTION_NAME = r"'\b([A-Z][A-Za-z]*(?:Error|Exception|Exit|Interrupt))\b'"


def _first_line(text: str) -> str:
    return f"left(split_part(regexp_replace(trim({text}, {_SPACE}), '\\r\\n?', chr(10), 'g'), chr(10), 1), 80)"  # noqa: E501


def _failure_detail(text: str) -> str:
    """SQL for a short, groupable description of an error text: the exception type when
    one is named, else the first line, cut to 80 characters."""
    return (
        f"CASE WHEN coalesce(trim({text}, {_SPACE}), '') = '' THEN '(no detail)' "
        f"WHEN regexp_matches({text}, {_EXCEPTION_NAME}) "
        f"THEN regexp_extract({text}, {_EXCEPTION_NAME}, 1) ELSE {_first_line(text)} END"
    )


# The policy's reason for refusing code: the text after the sandbox's preamble.
_REFUSAL = "regexp_replace(coalesce(reason, ''), '(?s)^.*?refused the rewrite:', '')"

# One row per failure: ingest rejections, generation errors, and pairs whose current
# verdict is not validated, typed by the first failing test (or the verdict's reason).
# Each has its own message; its group's detail never holds a number that varies from one
# failure to the next (a snippet's line count), so one cause makes one group.
_FAILURES = f"""
WITH checked AS (
    SELECT g.id AS pair, g.snippet_id AS snippet, s.name, v.status,
        v.signals->>'$.failing[0].status' AS first_status,
        v.signals->>'$.failing[0].reason' AS first_reason,
        (v.signals->>'$.failing[0].position')::INT AS test,
        v.signals->>'$.reason' AS reason
    FROM current_verdicts v JOIN generations g ON g.id = v.generation_id
    JOIN snippets s ON s.id = g.snippet_id WHERE v.status <> 'validated'),
failures AS (
    SELECT 'ingest' AS stage, s.rejection AS kind,
        regexp_replace({_failure_detail("s.rejection_detail")}, '[0-9]+', 'N', 'g') AS detail,
        NULL::VARCHAR AS pair, s.id AS snippet, s.name, NULL::INT AS test,
        s.rejection_detail AS message
    FROM snippets s WHERE s.rejection IS NOT NULL
    UNION ALL
    SELECT 'generate', 'generation error', {_failure_detail("g.error")}, g.id, NULL, s.name,
        NULL, {_first_line("g.error")}
    FROM generations g JOIN snippets s ON s.id = g.snippet_id WHERE g.status <> 'ok'
    UNION ALL
    SELECT 'validate',
        CASE WHEN status = 'refused' THEN 'policy refusal'
             WHEN first_status IS NULL THEN status
             WHEN first_status = 'wrong' THEN 'mismatch' ELSE first_status END,
        CASE WHEN status = 'refused' THEN
                 CASE WHEN trim({_REFUSAL}, {_SPACE}) = '' THEN '(no reason)'
                      ELSE {_first_line(_REFUSAL)} END
             WHEN first_status IS NULL THEN {_failure_detail("reason")}
             WHEN first_status = 'wrong' THEN status
             ELSE {_failure_detail("first_reason")} END,
        pair, snippet, name, CASE WHEN first_status IS NULL THEN NULL ELSE test END,
        coalesce({_first_line("first_reason")}, {_first_line("reason")})
    FROM checked)
"""


class AnalyticsQueries(ReviewQueries):
    # -- statistics --------------------------------------------------------------------------

    def counts(self) -> Counts:
        cur = self.cursor()
        entities = {
            "snippets": "snippets",
            "generations": "generations",
            "test_cases": "test_cases",
            "test_runs": "test_runs",
            "verdicts": "verdicts",
            "review_events": "review_events",
            "runs": "runs",
            "llm_cache": "llm_cache",
        }
        totals = {
            name: cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            for name, table in entities.items()
        }
        by_status = {
            "snippets": dict(
                cur.execute(
                    "SELECT coalesce(rejection, 'usable'), count(*) FROM snippets "
                    "GROUP BY ALL ORDER BY ALL"
                ).fetchall()
            ),
            "snippet_kinds": dict(
                cur.execute(
                    "SELECT kind, count(*) FROM snippets GROUP BY ALL ORDER BY ALL"
                ).fetchall()
            ),
            "generations": dict(
                cur.execute(
                    "SELECT status, count(*) FROM generations GROUP BY ALL ORDER BY ALL"
                ).fetchall()
            ),
            "backends": dict(
                cur.execute(
                    "SELECT backend, count(*) FROM generations GROUP BY ALL ORDER BY ALL"
                ).fetchall()
            ),
            "runs": dict(
                cur.execute("SELECT state, count(*) FROM runs GROUP BY ALL ORDER BY ALL").fetchall()
            ),
            "verdicts": dict(
                cur.execute(
                    "SELECT status, count(*) FROM current_verdicts GROUP BY ALL ORDER BY ALL"
                ).fetchall()
            ),
        }
        by_status["decisions"] = self.decision_counts()
        return Counts(entities=totals, by_status=by_status)

    def test_strength_totals(self) -> dict[str, int]:
        """Over the validated pairs whose current verdict measured test strength: how many
        pairs, their usable tests and the tests among them that killed a mutant first,
        mutants tried and killed, and branches of the originals covered and known (pairs
        validated before branches were measured add to neither)."""
        row = (
            self.cursor()
            .execute(
                "WITH measured AS MATERIALIZED (SELECT usable, signals FROM current_verdicts "
                "WHERE status = 'validated' AND signals->>'$.mutants_tried' IS NOT NULL) "
                "SELECT count(*), sum(usable), "
                "sum(coalesce(json_array_length(signals->'$.kills_by_input'), 0)), "
                "sum((signals->>'$.mutants_tried')::INT), "
                "sum((signals->>'$.mutants_killed')::INT), "
                "sum((signals->>'$.branches_covered')::INT), "
                "sum((signals->>'$.branches_known')::INT) FROM measured"
            )
            .fetchone()
        )
        keys = ("pairs", "tests", "killing_tests", "mutants_tried", "mutants_killed",
                "branches_covered", "branches_known")  # fmt: skip
        return {key: int(value or 0) for key, value in zip(keys, row or (), strict=True)}

    def count_generated_snippets(self) -> int:
        """Usable snippets with at least one generation that succeeded (from any backend,
        model or prompt): the numerator of a rate over usable snippets."""
        sql = (
            "SELECT count(*) FROM snippets s WHERE s.rejection IS NULL AND EXISTS ("
            "SELECT 1 FROM generations g WHERE g.snippet_id = s.id AND g.status = 'ok')"
        )
        ((count,),) = self.cursor().execute(sql).fetchall()
        return count

    def snippet_flag_counts(self) -> dict[str, int]:
        rows = self.cursor().execute(
            "SELECT flag, count(*) FROM (SELECT unnest(flags) AS flag FROM snippets) "
            "GROUP BY ALL ORDER BY 2 DESC"
        )
        return dict(rows.fetchall())

    # -- studio views ------------------------------------------------------------------------

    def pair_overview(self) -> list[dict[str, Any]]:
        """Every generation with its snippet and current verdict (NULLs when not validated):
        what the dashboard, rankings and failure views aggregate."""
        rows = self._rows(
            "SELECT g.id, g.snippet_id, g.status AS generation_status, g.error, g.backend, "
            "s.name, s.source, s.kind, v.status AS verdict_status, v.passed, v.usable, "
            "v.total, v.test_strength, v.difficulty, v.signals, v.run_id "
            "FROM generations g JOIN snippets s ON s.id = g.snippet_id "
            "LEFT JOIN current_verdicts v ON v.generation_id = g.id "
            "ORDER BY g.id"
        )
        for row in rows:
            row["signals"] = json.loads(row["signals"]) if row["signals"] else {}
        return rows

    # -- studio aggregates (computed here, so pages never load every pair) ----------------

    _SUMMARY_COLUMNS = {"difficulty": "difficulty", "test_strength": "test_strength"}
    _CELL_COLUMNS = {"tests": "usable", "cyclomatic": "(signals->>'$.rank.cyclomatic')::INT"}

    def validated_distributions(
        self, bins: dict[str, int], *, by_bucket: bool = False
    ) -> dict[str, dict[str, Any]]:
        """Over the pairs whose current verdict is validated, for each column in `bins`
        ("difficulty", "test_strength"): count, mean, median, min and max (unmeasured
        values left out), and that many equal-width bins from its min to its max — rows
        {bin, low, high, bucket, pairs}, empty bins left out, the last bin holding the max,
        one value making one bin; per curriculum bucket when `by_bucket` (else bucket is
        None). One statement: the current verdicts are read once."""
        parts = []
        for name, count in bins.items():
            x, n = self._SUMMARY_COLUMNS[name], int(count)  # a number in the SQL text
            bucket = "bucket" if by_bucket else "NULL::VARCHAR"
            parts.append(f"""
                (SELECT {{'count': count({x}), 'mean': avg({x}), 'median': median({x}),
                          'min': min({x}), 'max': max({x})}} FROM validated) AS {name},
                (SELECT list({{'bin': bin, 'low': lo + bin * (hi - lo) / {n},
                               'high': lo + (bin + 1) * (hi - lo) / {n},
                               'bucket': bucket, 'pairs': pairs}} ORDER BY bin, bucket)
                 FROM (SELECT CASE WHEN hi = lo THEN 0 ELSE least(
                              floor(({x} - lo) / (hi - lo) * {n})::INT, {n} - 1) END AS bin,
                              {bucket} AS bucket, any_value(lo) AS lo, any_value(hi) AS hi,
                              count(*) AS pairs
                       FROM validated, (SELECT min({x}) AS lo, max({x}) AS hi FROM validated)
                       WHERE {x} IS NOT NULL GROUP BY ALL)) AS {name}_bins""")
        cur = self.cursor().execute(
            "WITH validated AS MATERIALIZED (SELECT difficulty, test_strength, "
            "coalesce(signals->>'$.rank.bucket', 'unranked') AS bucket FROM current_verdicts "
            "WHERE status = 'validated') SELECT " + ", ".join(parts)
        )
        row = dict(zip([d[0] for d in cur.description], cur.fetchone() or (), strict=True))
        return {name: {"summary": row[name], "bins": row[f"{name}_bins"] or []} for name in bins}

    def validated_cells(self, xs: Sequence[str], bins: int) -> dict[str, list[dict[str, Any]]]:
        """Validated pairs counted per value of each x in `xs` ("tests": usable tests, or
        "cyclomatic") and difficulty bin (`bins` equal bins over [0, 1], the last holding
        1) and bucket, with their mean difficulty: a scatter of any number of pairs drawn as a
        few hundred cells. Unranked pairs (no difficulty) are left out."""
        bins = int(bins)  # a number in the SQL text
        parts = [
            f"""(SELECT list({{'x': x, 'bin': bin, 'bucket': bucket, 'pairs': pairs,
                              'mean_difficulty': mean_difficulty}} ORDER BY x, bin, bucket)
                 FROM (SELECT {self._CELL_COLUMNS[x]} AS x,
                              least(floor(difficulty * {bins})::INT, {bins} - 1) AS bin,
                              bucket, count(*) AS pairs,
                              round(avg(difficulty), 4) AS mean_difficulty
                       FROM validated GROUP BY ALL)) AS {x}"""
            for x in xs
        ]
        cur = self.cursor().execute(
            "WITH validated AS MATERIALIZED (SELECT usable, difficulty, signals, "
            "coalesce(signals->>'$.rank.bucket', 'unranked') AS bucket FROM current_verdicts "
            "WHERE status = 'validated' AND difficulty IS NOT NULL) SELECT " + ", ".join(parts)
        )
        row = cur.fetchone() or ()
        return {x: list(cells or []) for x, cells in zip(xs, row, strict=True)}

    def source_breakdown(self) -> list[dict[str, Any]]:
        """Per source and bucket: validated pairs and their mean difficulty (unranked = 0)."""
        return self._rows(
            """SELECT v.source, coalesce(v.signals->>'$.rank.bucket', 'unranked') AS bucket,
                   count(*) AS pairs, round(avg(coalesce(v.difficulty, 0)), 4) AS mean_difficulty
            FROM validated_pairs v GROUP BY ALL ORDER BY ALL"""
        )

    def validated_pairs(
        self,
        *,
        buckets: Sequence[str] = (),
        sources: Sequence[str] = (),
        cells: Sequence[tuple[str, Any, int]] = (),
        bins: int = 20,
        difficulty_bins: Sequence[int] = (),
        ids: Sequence[str] = (),
        limit: int = 1000,
    ) -> tuple[list[dict[str, Any]], int]:
        """Validated pairs in the chosen buckets and sources (both when both given), or in
        the chosen cells ((x, x value, difficulty bin) of `validated_cells` with `bins`),
        or in the chosen bins of the difficulty histogram (`validated_distributions` with
        `bins`), or with the given ids; easiest first, at most `limit`, and how many match
        in all. No choice, no pairs."""
        where, params = [], []
        group = []
        if buckets:
            group.append("coalesce(v.signals->>'$.rank.bucket', 'unranked') IN "
                         "(SELECT unnest(?::VARCHAR[]))")  # fmt: skip
            params.append(list(buckets))
        if sources:
            group.append("v.source IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(sources))
        if group:
            where.append("(" + " AND ".join(group) + ")")
        for x, value, bin_ in cells:
            column = {"tests": "v.usable",
                      "cyclomatic": "(v.signals->>'$.rank.cyclomatic')::INT"}[x]  # fmt: skip
            where.append(f"({column} IS NOT DISTINCT FROM ? AND "
                         "least(floor(v.difficulty * ?)::INT, ? - 1) = ?)")  # fmt: skip
            params += [value, bins, bins, bin_]
        if difficulty_bins:
            # the histogram's bins: equal widths from the least difficulty to the greatest
            where.append(
                "(CASE WHEN r.hi = r.lo THEN 0 ELSE least(floor((v.difficulty - r.lo) "
                "/ (r.hi - r.lo) * ?)::INT, ? - 1) END IN (SELECT unnest(?::INT[])))"
            )
            params += [bins, bins, list(difficulty_bins)]
        if ids:
            where.append("v.generation_id IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(ids))
        if not where:
            return [], 0
        rows = self._rows(
            f"""SELECT v.generation_id AS pair, v.name, v.source,
                   coalesce(v.signals->>'$.rank.bucket', 'unranked') AS bucket,
                   v.difficulty, v.usable AS tests,
                   (v.signals->>'$.rank.curriculum_position')::INT AS curriculum_position,
                   (v.signals->>'$.rank.cyclomatic')::INT AS cyclomatic,
                   count(*) OVER () AS total
            FROM validated_pairs v, (SELECT min(difficulty) AS lo, max(difficulty) AS hi
                                     FROM validated_pairs) r
            WHERE {" OR ".join(where)}
            ORDER BY v.difficulty NULLS LAST, v.generation_id LIMIT ?""",
            [*params, limit],
        )
        total = rows[0]["total"] if rows else 0
        for row in rows:
            del row["total"]
        return rows, total

    def failure_groups(self) -> list[dict[str, Any]]:
        """Every failure (ingest rejection, generation error, validation verdict other than
        validated) grouped by stage, kind and detail, largest first, with three examples."""
        return self._rows(
            f"""{_FAILURES}
            SELECT stage, kind, detail, count(*) AS count,
                   list(coalesce(pair, snippet) ORDER BY coalesce(pair, snippet))[1:3]
                       AS examples
            FROM failures GROUP BY stage, kind, detail
            ORDER BY count DESC, stage, kind, detail"""
        )

    def failure_members(
        self, stage: str, kind: str, detail: str | None, limit: int = 1000,
        source: str | None = None,
    ) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
        """The failures of one group (see `failure_groups`), or of every group of a kind
        when `detail` is None, of snippets from `source` when given, by id, at most
        `limit`, and how many there are in all."""
        rows = self._rows(
            f"""{_FAILURES}
            SELECT *, count(*) OVER () AS total FROM failures f
            WHERE stage = ? AND kind = ? AND (?::VARCHAR IS NULL OR detail = ?)
              AND (?::VARCHAR IS NULL OR coalesce(f.snippet, (SELECT g.snippet_id FROM
                   generations g WHERE g.id = f.pair)) IN (SELECT id FROM snippets
                   WHERE source = ?))
            ORDER BY coalesce(pair, snippet) LIMIT ?""",
            [stage, kind, detail, detail, source, source, limit],
        )
        total = rows[0]["total"] if rows else 0
        for row in rows:
            del row["total"]
        return rows, total

    def first_failing_tests(self) -> list[dict[str, Any]]:
        """For each pair whose current verdict is a mismatch or a rewrite's error, its first
        failing test (the verdict's `failing[0]`): the pair, its snippet's name, kind and
        entry points, the test's position, input and expected text, and the rewrite's and
        the original's first runs on it (status, output, error). By pair id."""
        return self._rows(
            """
            WITH picked AS (
                SELECT generation_id, run_id,
                    (signals->>'$.failing[0].position')::INT AS position
                FROM current_verdicts
                WHERE status IN ('mismatch', 'generated_error') AND position IS NOT NULL),
            cases AS MATERIALIZED (
                SELECT c.id, c.generation_id, c.position, c.input, c.expected, p.run_id
                FROM test_cases c JOIN picked p
                  ON p.generation_id = c.generation_id AND p.position = c.position)
            SELECT c.generation_id AS pair, s.name, s.kind, g.entry_point,
                s.entry_point AS original_entry_point, c.position, c.input, c.expected,
                r.status, r.output, r.error, o.output AS original_output
            FROM cases c
            JOIN generations g ON g.id = c.generation_id JOIN snippets s ON s.id = g.snippet_id
            JOIN test_runs r ON r.test_case_id = c.id AND r.run_id = c.run_id
                AND r.side = 'generated' AND r.attempt = 1
            LEFT JOIN test_runs o ON o.test_case_id = c.id AND o.run_id = c.run_id
                AND o.side = 'original' AND o.attempt = 1
            ORDER BY c.generation_id
            """
        )

    def annotator_activity(self) -> list[dict[str, Any]]:
        """Per annotator: review events by action, pairs touched, the latest event's time."""
        return self._rows(
            """SELECT annotator,
                   count(*) FILTER (WHERE action = 'accept') AS accept,
                   count(*) FILTER (WHERE action = 'reject') AS reject,
                   count(*) FILTER (WHERE action = 'skip') AS skip,
                   count(*) FILTER (WHERE action = 'undo') AS undo,
                   count(*) FILTER (WHERE action NOT IN ('accept', 'reject', 'skip', 'undo'))
                       AS other,
                   count(DISTINCT generation_id) AS pairs, arg_max(created_at, id) AS last
            FROM review_events WHERE action <> 'repair'
            GROUP BY annotator ORDER BY annotator"""
        )

    def simulated_outcomes(self) -> list[dict[str, Any]]:
        """Each generation carrying a known mistake, with the mistake (parsed), its current
        verdict's status (None before validation) and its overall decision (None before
        any vote): what the scoreboard scores."""
        sql = """SELECT g.id, g.mistake, c.status, o.decision FROM generations g
            LEFT JOIN current_verdicts c ON c.generation_id = g.id
            LEFT JOIN overall_decisions o ON o.generation_id = g.id
            WHERE g.mistake IS NOT NULL ORDER BY g.created_at, g.id"""
        rows = self.cursor().execute(sql).fetchall()
        return [
            {"id": id_, "mistake": json.loads(mistake), "status": status, "decision": decision}
            for id_, mistake, status, decision in rows
        ]

    def validated_points(self, limit: int, seed: int = 7) -> tuple[list[dict[str, Any]], int]:
        """Validated, ranked pairs with a measured test strength as points (difficulty,
        test strength, bucket, the first 120 characters of the instruction): at most
        `limit` of them, a repeatable sample when there are more, and how many in all."""
        ((total,),) = (
            self.cursor()
            .execute(
                "SELECT count(*) FROM validated_pairs "
                "WHERE difficulty IS NOT NULL AND test_strength IS NOT NULL"
            )
            .fetchall()
        )
        sample = f"USING SAMPLE reservoir({int(limit)} ROWS) REPEATABLE ({int(seed)})"
        rows = self._rows(
            f"""SELECT p.* FROM (SELECT v.generation_id AS pair, v.name, v.difficulty,
                   v.test_strength, v.usable AS tests,
                   coalesce(v.signals->>'$.rank.bucket', 'unranked') AS bucket,
                   left(g.instruction, 120) AS instruction
            FROM validated_pairs v JOIN generations g ON g.id = v.generation_id
            WHERE v.difficulty IS NOT NULL AND v.test_strength IS NOT NULL) p
            {sample if total > limit else ""}
            ORDER BY p.pair"""
        )
        return rows, total

    def verdict_timeline(self, run_id: str, steps: int = 60) -> list[dict[str, Any]]:
        """A run's verdicts counted per status in at most `steps` equal time steps from its
        first verdict to its last: rows {at (the step's start), status, verdicts}."""
        return self._rows(
            """WITH run AS (SELECT status, epoch(created_at) AS t FROM verdicts WHERE run_id = ?),
            span AS (SELECT min(t) AS lo, greatest((max(t) - min(t)) / ?, 1) AS width FROM run)
            SELECT make_timestamp(((lo + floor((t - lo) / width) * width) * 1e6)::BIGINT)
                       AS "at", status, count(*) AS verdicts
            FROM run, span GROUP BY ALL ORDER BY "at", status""",
            [run_id, int(steps)],
        )

    def failure_kinds_by_source(self) -> list[dict[str, Any]]:
        """Failures (see `failure_groups`) counted per source, stage and kind."""
        return self._rows(
            f"""{_FAILURES}
            SELECT s.source, f.stage, f.kind, count(*) AS count
            FROM failures f
            LEFT JOIN generations g ON g.id = f.pair
            JOIN snippets s ON s.id = coalesce(f.snippet, g.snippet_id)
            GROUP BY ALL ORDER BY s.source, f.stage, f.kind"""
        )

    _TIME_UNITS = ("minute", "hour", "day")

    def decisions_over_time(self, unit: str) -> list[dict[str, Any]]:
        """Accept, reject and skip events per annotator per `unit` ("minute", "hour" or
        "day"): rows {annotator, at, action, events}."""
        if unit not in self._TIME_UNITS:
            raise ValueError(f"unit must be one of {', '.join(self._TIME_UNITS)}, not {unit!r}")
        return self._rows(
            f"""SELECT annotator, date_trunc('{unit}', created_at) AS "at", action,
                   count(*) AS events
            FROM review_events WHERE action IN ('accept', 'reject', 'skip')
            GROUP BY ALL ORDER BY annotator, "at", action"""
        )

    def review_span(self) -> float:
        """Seconds from the first review event to the last (0 without events)."""
        ((span,),) = (
            self.cursor()
            .execute(
                "SELECT coalesce(epoch(max(created_at)) - epoch(min(created_at)), 0) "
                "FROM review_events"
            )
            .fetchall()
        )
        return float(span)
