"""Repairs: pairs that go back to the model, and every attempt kept."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from semi_core.store.snippets import SnippetQueries
from semi_core.store.validation import ValidationQueries

# Who a repair's event in the review log names: the model, not a person, so no
# annotator's activity counts it.
REPAIR_ANNOTATOR = "(repair)"


class RepairQueries(SnippetQueries, ValidationQueries):
    # A pair may go back to the model: its current verdict failed, its latest answer has
    # been validated, and no annotator edited it (an edit is theirs to keep).
    _REPAIRABLE = """
        FROM current_verdicts v
        JOIN generations g ON g.id = v.generation_id JOIN snippets s ON s.id = g.snippet_id
        WHERE g.backend = ? AND g.model IS NOT DISTINCT FROM ? AND g.status = 'ok'
          AND coalesce(g.attempt, 1) = ? AND list_contains(?::VARCHAR[], v.status)
          AND NOT EXISTS (SELECT 1 FROM generation_attempts a WHERE a.generation_id = g.id
                          AND a.status = 'ok' AND a.verdict_id IS NULL)
          AND NOT EXISTS (SELECT 1 FROM review_events e WHERE e.generation_id = g.id
                          AND e.action = 'edit')
    """

    def repair_candidates(
        self,
        backend: str,
        model: str | None,
        attempt: int,
        statuses: Sequence[str],
        limit: int | None = None,
        after: tuple[Any, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Pairs of `backend` and `model` at attempt number `attempt` that may be repaired
        (`_REPAIRABLE`) and whose current verdict's status is one of `statuses`, oldest
        first, keyset-paged by (created_at, id) as `generations_to_validate` is: each with
        its snippet's code and its verdict's id, run and reason."""
        after_sql = "AND (g.created_at, g.id) > (?, ?) " if after is not None else ""
        return self._rows(
            "SELECT g.id, g.snippet_id, g.instruction, g.code, g.entry_point, g.raw_response, "
            "g.created_at, s.code AS original_code, s.kind, s.entry_point AS original_entry_point, "
            "s.name, s.flags, v.id AS verdict_id, v.run_id, v.status AS verdict_status, "
            f"v.signals->>'$.reason' AS reason {self._REPAIRABLE} {after_sql}"
            "ORDER BY g.created_at, g.id LIMIT ?",
            [backend, model, attempt, list(statuses), *(after or ()),
             limit if limit is not None else 2**62],
        )  # fmt: skip

    def unvalidated_attempts(self, backend: str, model: str | None) -> list[str]:
        """Pairs of `backend` and `model` whose latest attempt, a repair, was stored but
        not validated (a run stopped in between): validated before any is repaired again."""
        rows = self.cursor().execute(
            "SELECT g.id FROM generations g JOIN generation_attempts a "
            "ON a.generation_id = g.id WHERE g.backend = ? AND g.model IS NOT DISTINCT FROM ? "
            "AND a.status = 'ok' AND a.verdict_id IS NULL ORDER BY g.created_at, g.id",
            [backend, model],
        )
        return [generation_id for (generation_id,) in rows.fetchall()]

    def add_attempt(
        self, generation_id: str, row: dict[str, Any], previous_verdict_id: str | None
    ) -> int:
        """Store a repair's answer as the pair's next attempt, in one transaction; returns
        its number. The first answer is copied in as attempt 1 at the first repair, with
        `previous_verdict_id`, the verdict the repair was shown. A usable answer becomes
        the pair's content and voids the decisions made before it (a 'repair' event in
        the review log, as an edit does); a failed one is kept and changes nothing else.
        The pair keeps its test cases: they come from the original."""
        columns = ("instruction", "code", "entry_point", "raw_response", "usage", "status",
                   "error")  # fmt: skip
        with self.transaction() as cur:
            (current,) = cur.execute(
                "SELECT coalesce(attempt, 1) FROM generations WHERE id = ?", [generation_id]
            ).fetchone()
            kept = cur.execute(
                "SELECT count(*) FROM generation_attempts WHERE generation_id = ?",
                [generation_id],
            ).fetchone()[0]
            if not kept:
                cur.execute(
                    f"INSERT INTO generation_attempts (generation_id, attempt, prompt_hash, "
                    f"{', '.join(columns)}, verdict_id, created_at) SELECT id, 1, prompt_hash, "
                    f"{', '.join(columns)}, ?, created_at FROM generations WHERE id = ?",
                    [previous_verdict_id, generation_id],
                )
            number = current + 1
            values = [json.dumps(row.get(c)) if c == "usage" and row.get(c) is not None
                      else row.get(c) for c in columns]  # fmt: skip
            cur.execute(
                f"INSERT INTO generation_attempts (generation_id, attempt, prompt_hash, "
                f"{', '.join(columns)}) VALUES (?, ?, ?, {', '.join('?' for _ in columns)})",
                [generation_id, number, row.get("prompt_hash"), *values],
            )
            if row.get("status") != "ok":
                cur.execute("UPDATE generations SET attempt = ? WHERE id = ?",
                            [number, generation_id])  # fmt: skip
                return number
            content = columns[:5]
            cur.execute(
                f"UPDATE generations SET {', '.join(f'{c} = ?' for c in content)}, attempt = ? "
                "WHERE id = ?",
                [*values[:5], number, generation_id],
            )
            cur.execute(
                "INSERT INTO review_events (generation_id, annotator, action, payload) "
                "VALUES (?, ?, 'repair', ?)",
                [generation_id, REPAIR_ANNOTATOR, json.dumps({"attempt": number})],
            )
        return number

    def attempts(self, generation_id: str) -> list[dict[str, Any]]:
        """Every attempt of a pair, first to last, with its verdict's status and tally
        (none when not validated); a pair never repaired has one, its generation."""
        rows = self._rows(
            "SELECT a.*, v.status AS verdict_status, v.passed, v.usable, v.run_id "
            "FROM generation_attempts a LEFT JOIN verdicts v ON v.id = a.verdict_id "
            "AND v.generation_id = a.generation_id WHERE a.generation_id = ? ORDER BY a.attempt",
            [generation_id],
        )
        if not rows:
            pair = self.generation(generation_id)
            if pair is None:
                return []
            verdict = self.latest_verdict(generation_id) or {}
            rows = [{**{k: pair[k] for k in ("instruction", "code", "entry_point",
                                              "raw_response", "usage", "status", "error",
                                              "prompt_hash", "created_at")},
                     "generation_id": generation_id, "attempt": 1,
                     "verdict_id": verdict.get("id"), "verdict_status": verdict.get("status"),
                     "passed": verdict.get("passed"), "usable": verdict.get("usable"),
                     "run_id": verdict.get("run_id")}]  # fmt: skip
            return rows
        for row in rows:
            row["usage"] = json.loads(row["usage"]) if isinstance(row["usage"], str) else None
        return rows
