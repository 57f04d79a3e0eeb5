"""Review: the append-only log of decisions, each annotator's queue, and the decisions
derived from the log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypedDict, Unpack

from semi_core.store.assignment import CLAIM_AHEAD, AssignmentQueries
from semi_core.store.core import placeholders
from semi_core.store.snippets import parse_generation_json
from semi_core.store.validation import ValidationQueries


class QueueFilters(TypedDict, total=False):
    """The review queue's filters, each optional: the current verdict's `statuses`, a
    `difficulty` range, the snippet's `source`, a test-input `origin`, a `failure` (a
    test-run status of the current validation — wrong, error, timeout, ... — or the
    verdict status itself), a text `search` (or a pair id or its prefix),
    `include_decided` (pairs the annotator has already accepted or rejected),
    `constant_outputs` (only pairs whose usable tests all expect one and the same result:
    the verdict's signal of weak tests), `min_strength` (a least test strength),
    `audit` (only the pairs of this audit), and `reason` (pairs the annotator rejected
    for this reason, decided ones included: a reject is a decision)."""

    statuses: Sequence[str] | None
    difficulty: tuple[float, float] | None
    source: str | None
    origin: str | None
    failure: str | None
    search: str | None
    include_decided: bool
    constant_outputs: bool
    min_strength: float | None
    audit: str | None
    reason: str | None


class ReviewQueries(ValidationQueries, AssignmentQueries):
    def add_review_event(
        self,
        generation_id: str,
        annotator: str,
        action: str,
        note: str | None = None,
        payload: dict[str, Any] | None = None,
        reasons: Sequence[str] = (),
    ) -> int:
        with self.transaction() as cur:
            rows = cur.execute(
                "INSERT INTO review_events (generation_id, annotator, action, note, payload, "
                "reasons) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                [
                    generation_id,
                    annotator,
                    action,
                    note,
                    json.dumps(payload) if payload else None,
                    list(reasons),
                ],  # fmt: skip
            ).fetchall()
        return rows[0][0]

    def review_events(self, generation_id: str | None = None) -> list[dict[str, Any]]:
        """The review log of one pair (or of all), oldest first, with what undid what."""
        # One pair's events are read through the index, not a scan of the whole log.
        where, params = "WHERE e.generation_id = ?", [generation_id]
        if not generation_id:
            where, params = "", []
        rows = self._rows(
            "SELECT e.*, u.id AS undone_by FROM review_events e LEFT JOIN review_events u "
            f"ON u.action = 'undo' AND (u.payload->>'undoes')::BIGINT = e.id {where} "
            "ORDER BY e.id",
            params,
        )
        for row in rows:
            row["payload"] = json.loads(row["payload"]) if row["payload"] else None
        return rows

    def last_undoable_event(self, annotator: str) -> dict[str, Any] | None:
        """The annotator's latest decision (accept, reject, skip, final) not undone yet."""
        rows = self._rows(
            "SELECT * FROM effective_decisions WHERE annotator = ? ORDER BY id DESC LIMIT 1",
            [annotator],
        )
        return rows[0] if rows else None

    def decisions(self, generation_id: str) -> dict[str, str]:
        """Each annotator's current decision on a pair (skips excluded)."""
        rows = self.cursor().execute(
            "SELECT annotator, arg_max(action, id) FROM effective_decisions "
            "WHERE generation_id = ? AND action <> 'skip' GROUP BY annotator ORDER BY annotator",
            [generation_id],
        )
        return dict(rows.fetchall())

    def _queue_sql(
        self,
        annotator: str,
        *,
        limit: int,
        statuses: Sequence[str] | None = None,
        difficulty: tuple[float, float] | None = None,
        source: str | None = None,
        origin: str | None = None,
        failure: str | None = None,
        search: str | None = None,
        include_decided: bool = False,
        constant_outputs: bool = False,
        reason: str | None = None,
        min_strength: float | None = None,
        audit: str | None = None,
        assigned: bool = False,
    ) -> tuple[str, list[Any]]:
        """The ordered ids of an annotator's queue (with `total`, the queue's full size) as
        SQL and its bound parameters. Only the tables a filter needs are joined, and the
        current verdict is computed only when a filter reads it: the unfiltered queue
        reads the generations alone. With `assigned`, only the pairs the annotator holds or
        may claim (`AssignmentQueries`), and a fifth column `held`."""
        ctes = [
            "mine AS (SELECT generation_id, arg_max(action, id) AS action "
            "FROM effective_decisions WHERE annotator = ? GROUP BY generation_id)"
        ]
        params: list[Any] = [annotator]
        joins: list[str] = []
        where = ["g.status = 'ok'"]
        where_params: list[Any] = []
        held = ""
        if assigned:
            cte, held, condition, held_params = self.held_filter(annotator, self.overlap())
            ctes.append(cte)
            params.append(annotator)
            where.append(condition)
            where_params += held_params
        if audit:
            # An audit is a blind pass of its own: its pairs whatever their holders, each
            # until someone has voted on it in the audit.
            where.append("g.id IN (SELECT generation_id FROM audit_items WHERE audit_id = ?)")
            where.append(
                "g.id NOT IN (SELECT generation_id FROM effective_decisions WHERE "
                "payload->>'audit' = ? AND annotator <> ? AND action IN ('accept', 'reject'))"
            )
            where_params += [audit, audit, annotator]
        if statuses or difficulty or failure or constant_outputs or min_strength is not None:
            signals = ", signals" if constant_outputs else ""  # read only when filtered on
            signals += ", test_strength" if min_strength is not None else ""
            ctes.append(
                f"current AS (SELECT generation_id, status, difficulty, run_id{signals} "
                "FROM current_verdicts)"
            )
            joins.append("JOIN current v ON v.generation_id = g.id")
        if failure:
            # Pairs whose rewrite failed a test with this status, in a given validation run.
            # The few failing runs first, then only their test cases: a join of the runs
            # with every test case would hash all of them.
            ctes.append(
                "failed_runs AS MATERIALIZED (SELECT test_case_id, run_id FROM test_runs "
                "WHERE side = 'generated' AND status = ?), "
                "failed_cases AS MATERIALIZED (SELECT id, generation_id FROM test_cases "
                "WHERE id IN (SELECT test_case_id FROM failed_runs)), "
                "failing AS (SELECT DISTINCT t.generation_id, r.run_id FROM failed_runs r "
                "JOIN failed_cases t ON t.id = r.test_case_id)"
            )
            params.append(failure)
            joins.append("LEFT JOIN failing f ON f.generation_id = g.id AND f.run_id = v.run_id")
            where.append("(v.status = ? OR f.generation_id IS NOT NULL)")
        if source or search:
            joins.append("JOIN snippets s ON s.id = g.snippet_id")
        joins.append("LEFT JOIN mine ON mine.generation_id = g.id")
        if failure:
            where_params.append(failure)
        if statuses:
            where.append("v.status IN (SELECT unnest(?::VARCHAR[]))")
            where_params.append(list(statuses))
        if difficulty:
            where.append("v.difficulty BETWEEN ? AND ?")
            where_params += list(difficulty)
        if source:
            where.append("s.source = ?")
            where_params.append(source)
        if origin:
            where.append("g.id IN (SELECT generation_id FROM test_cases WHERE origin = ?)")
            where_params.append(origin)
        if search:
            # Text in the pair, or the pair's id (whole or its first characters).
            where.append(
                "(g.instruction ILIKE ? OR g.code ILIKE ? OR s.name ILIKE ? "
                "OR starts_with(g.id, ?))"
            )
            where_params += [f"%{search}%"] * 3 + [search.strip().lower()]
        if min_strength is not None:
            where.append("v.test_strength >= ?")
            where_params.append(min_strength)
        if constant_outputs:
            where.append("coalesce((v.signals->>'constant_outputs')::BOOLEAN, false)")
        if reason:
            # The annotator's own rejects only: another's reasons would unblind the votes.
            where.append(
                "g.id IN (SELECT generation_id FROM reject_reasons WHERE annotator = ? "
                "AND reason = ?)"
            )
            where_params += [annotator, reason]
        if not include_decided and not reason:
            where.append("coalesce(mine.action, 'skip') = 'skip'")
        sql = (
            f"WITH {', '.join(c.strip().removeprefix('WITH ') for c in ctes)} "
            "SELECT g.id, g.created_at, mine.action AS my_decision, count(*) OVER () AS total"
            + (f", {held} AS held" if assigned else "")
            + f" FROM generations g {' '.join(joins)} WHERE {' AND '.join(where)} "
            "ORDER BY (mine.action = 'skip') NULLS FIRST, g.created_at, g.id LIMIT ?"
        )
        return sql, params + where_params + [limit]

    def _assigned_page(
        self, annotator: str, limit: int, filters: QueueFilters, assigned: bool = True
    ) -> tuple[list[tuple[str, str | None]], int]:
        """The queue's first `limit` pairs the annotator holds, as (id, their decision),
        after claiming free ones up to `CLAIM_AHEAD` undecided held (and never more than
        half the free ones), and the queue's size (held and free pairs). Not `assigned`:
        every pair the filters match, nothing claimed."""
        if filters.get("audit") or not assigned:  # an audit: see `_queue_sql`
            sql, params = self._queue_sql(annotator, limit=limit, **filters)
            rows = self.cursor().execute(sql, params).fetchall()
            return [(row[0], row[2]) for row in rows], (rows[0][3] if rows else 0)
        sql, params = self._queue_sql(annotator, limit=limit, assigned=True, **filters)
        rows = self.cursor().execute(sql, params).fetchall()
        ahead = sum(1 for row in rows if row[4] and row[2] is None)
        free = [row[0] for row in rows if not row[4] and row[2] is None]
        free_total = (rows[0][3] if rows else 0) - sum(1 for row in rows if row[4])
        wanted = min(CLAIM_AHEAD - ahead, -(-free_total // 2))  # half the free ones at most
        claimed = set(self.claim_pairs(annotator, free[: max(wanted, 0)]))
        page = [(row[0], row[2]) for row in rows if row[4] or row[0] in claimed]
        return page, (rows[0][3] if rows else 0)

    def review_queue_ids(
        self, annotator: str, *, limit: int = 1000, assigned: bool = True,
        **filters: Unpack[QueueFilters],
    ) -> tuple[list[str], int]:  # fmt: skip
        """The first `limit` pair ids of an annotator's queue (same filters and order as
        `review_queue`) and the queue's full size: what the review screen needs, cheaply.
        The queue holds only pairs assigned to the annotator (`AssignmentQueries`); with
        `assigned=False`, every pair the filters match (what a bulk decision takes),
        nothing claimed."""
        page, total = self._assigned_page(annotator, limit, filters, assigned)
        return [pair_id for pair_id, _ in page], total

    def review_queue(
        self, annotator: str, *, limit: int = 200, assigned: bool = True,
        **filters: Unpack[QueueFilters],
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Pairs for an annotator to review, filtered (`QueueFilters`); undecided first,
        skipped later; only those assigned to them unless not `assigned`."""
        # The page of ids first, then the columns to show for those rows only: the ids as
        # a list of values, which DuckDB applies before picking the current verdicts.
        page, _total = self._assigned_page(annotator, limit, filters, assigned)
        if not page:
            return []
        ids = [row[0] for row in page]
        shown = self._rows(
            "SELECT g.id, s.name, s.source, g.backend, g.instruction, v.status, v.passed, "
            "v.usable, v.difficulty, v.test_strength "
            "FROM (SELECT unnest(?::VARCHAR[]) AS id) p JOIN generations g ON g.id = p.id "
            "JOIN snippets s ON s.id = g.snippet_id LEFT JOIN (SELECT * FROM current_verdicts "
            f"WHERE generation_id IN {placeholders(ids)}) v ON v.generation_id = g.id",
            [ids, *ids],
        )
        by_id = {row["id"]: row for row in shown}
        return [by_id[pair_id] | {"my_decision": mine} for pair_id, mine in page]

    def pair(self, generation_id: str) -> dict[str, Any] | None:
        """A pair with its snippet and current verdict, for the review screen."""
        rows = self._rows(
            "SELECT g.*, s.code AS original_code, s.name, s.kind, s.source, s.path, "
            "s.flags FROM generations g JOIN snippets s ON s.id = g.snippet_id WHERE g.id = ?",
            [generation_id],
        )
        if not rows:
            return None
        pair = parse_generation_json(rows[0])
        pair["verdict"] = self.latest_verdict(generation_id)
        return pair

    def review_sources(self) -> list[str]:
        """The sources (what was ingested) that have pairs: the review screen's filter."""
        rows = self.cursor().execute(
            "SELECT DISTINCT s.source FROM snippets s WHERE s.id IN "
            "(SELECT snippet_id FROM generations) ORDER BY 1"
        )
        return [row[0] for row in rows.fetchall()]

    def decision_counts(self) -> dict[str, int]:
        """Pairs by their overall decision (the view overall_decisions): accept, reject, or
        disputed when the votes do not decide and no final decision settled it."""
        rows = self.cursor().execute(
            "SELECT decision, count(*) FROM overall_decisions GROUP BY ALL ORDER BY ALL"
        )
        return dict(rows.fetchall())

    def decision_rule(self) -> tuple[str, int]:
        """The decision rule in force and the votes a majority needs, read from the settings
        as the rule's SQL reads them (the view decision_rule)."""
        sql = "SELECT rule, min_votes FROM decision_rule"
        ((rule, min_votes),) = self.cursor().execute(sql).fetchall()
        return rule, min_votes

    def overall_decisions(self) -> dict[str, str]:
        """Pair id -> its overall decision (accept, reject or disputed), for every pair
        with a vote or a final decision."""
        rows = self.cursor().execute(
            "SELECT generation_id, decision FROM overall_decisions ORDER BY generation_id"
        )
        return dict(rows.fetchall())

    def annotator_decisions(self, generation_id: str | None = None) -> list[dict[str, Any]]:
        """Each annotator's vote per pair (current accept/reject, final decisions left
        out): the votes that agreement between annotators is measured on. With
        `generation_id`, that pair's votes only."""
        where, params = ("WHERE generation_id = ?", [generation_id]) if generation_id else ("", [])
        return self._rows(
            "SELECT generation_id, annotator, vote AS decision "
            f"FROM annotator_votes {where} ORDER BY generation_id, annotator",
            params,
        )

    def final_decisions(self) -> dict[str, str]:
        """Pair id -> its settled decision (the latest final event not undone)."""
        rows = self.cursor().execute("SELECT generation_id, decision FROM final_decisions")
        return dict(rows.fetchall())
