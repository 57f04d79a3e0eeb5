"""Audits: stratified samples of validated pairs, and what people decided on them blind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from semi_core.store.core import StoreBase

# What a validated pair is stratified by, as SQL over validated_pairs v and generations g.
STRATA = {
    "bucket": "coalesce(v.signals->>'$.rank.bucket', 'unranked')",
    "source": "v.source",
    "backend": "g.backend",
}


class AuditQueries(StoreBase):
    def audit_population(self, by: str) -> list[tuple[str, str, str]]:
        """Every validated pair as (pair id, its stratum by `by`, its verdict id), ordered
        by pair id: what an audit draws from."""
        stratum = STRATA[by]
        rows = self.cursor().execute(
            f"SELECT v.generation_id, {stratum}, v.id FROM validated_pairs v "
            "JOIN generations g ON g.id = v.generation_id ORDER BY v.generation_id"
        )
        return rows.fetchall()

    def add_audit(
        self, audit_id: str, by: str, seed: int, requested: int, population: int,
        items: Sequence[tuple[str, str, str]],
    ) -> bool:  # fmt: skip
        """Record an audit and its pairs (pair id, stratum, verdict id); False when an
        audit of that id exists already (the same draw: nothing is added)."""
        with self.transaction() as cur:
            found = cur.execute("SELECT 1 FROM audits WHERE id = ?", [audit_id]).fetchall()
            if found:
                return False
            cur.execute(
                "INSERT INTO audits (id, stratified_by, seed, requested, population) "
                "VALUES (?, ?, ?, ?, ?)",
                [audit_id, by, seed, requested, population],
            )
            cur.executemany(
                "INSERT INTO audit_items (audit_id, generation_id, stratum, verdict_id) "
                "VALUES (?, ?, ?, ?)",
                [[audit_id, *item] for item in items],
            )
        return True

    def audits(self) -> list[dict[str, Any]]:
        """Every audit, the latest first, with its number of pairs."""
        return self._rows(
            "SELECT a.*, (SELECT count(*) FROM audit_items i WHERE i.audit_id = a.id) AS sampled "
            "FROM audits a ORDER BY a.created_at DESC, a.id"
        )

    def audit_items(self, audit_id: str) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT generation_id, stratum, verdict_id FROM audit_items WHERE audit_id = ? "
            "ORDER BY stratum, generation_id",
            [audit_id],
        )

    def in_audit(self, audit_id: str, generation_id: str) -> bool:
        """Whether the pair was drawn into that audit."""
        sql = "SELECT count(*) FROM audit_items WHERE audit_id = ? AND generation_id = ?"
        return self.cursor().execute(sql, [audit_id, generation_id]).fetchone()[0] > 0

    def audit_tally(self, audit_id: str) -> list[dict[str, Any]]:
        """Per stratum of an audit: pairs sampled, and of them accepted, rejected or split
        by the decisions made in the audit (payload "audit": blind to the verdict) that
        still count. A pair is accepted (rejected) when all its audit votes accept (reject)
        it, split when they differ."""
        return self._rows(
            """WITH votes AS (
                SELECT generation_id, annotator, arg_max(action, id) AS vote
                FROM effective_decisions
                WHERE action IN ('accept', 'reject') AND payload->>'audit' = ?
                GROUP BY generation_id, annotator),
            outcome AS (
                SELECT generation_id, CASE WHEN bool_and(vote = 'accept') THEN 'accept'
                    WHEN bool_and(vote = 'reject') THEN 'reject' ELSE 'split' END AS outcome
                FROM votes GROUP BY generation_id)
            SELECT i.stratum, count(*) AS sampled,
                count(*) FILTER (WHERE o.outcome = 'accept') AS accepted,
                count(*) FILTER (WHERE o.outcome = 'reject') AS rejected,
                count(*) FILTER (WHERE o.outcome = 'split') AS split
            FROM audit_items i LEFT JOIN outcome o ON o.generation_id = i.generation_id
            WHERE i.audit_id = ? GROUP BY i.stratum ORDER BY i.stratum""",
            [audit_id, audit_id],
        )
