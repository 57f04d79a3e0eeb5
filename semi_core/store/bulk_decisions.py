"""Bulk decisions: one accept or reject over every pair a review filter matches, recorded
as one bulk action and one ordinary review event per pair that carries its id, and undone
as one. Each is a single set-based statement, whatever the number of pairs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Unpack

from semi_core.store.core import StoreError
from semi_core.store.review import QueueFilters, ReviewQueries

# Above any queue's size: the bulk selection reads the whole queue, not a page of it.
_ALL = 2**62


class BulkMismatchError(StoreError):
    """The filter matched another number of pairs than the caller expected (the preview)."""


class BulkDecisionQueries(ReviewQueries):
    def _bulk_selection(
        self, annotator: str, action: str, include_decided: bool, filters: QueueFilters
    ) -> tuple[str, list[Any]]:
        """The pairs a bulk decision takes, with the id of the current verdict each is
        decided on, as SQL and its parameters: the review queue's own selection (so the
        filters mean what they mean on Review), the pairs a person has accepted or
        rejected left out unless `include_decided` (and those the annotator already
        decided so, always), and for an accept the pairs without a verdict left out (a
        pair is accepted on its verdict)."""
        queue = {**filters, "include_decided": True}
        queue_sql, params = self._queue_sql(annotator, limit=_ALL, **queue)
        verdict_join = "JOIN" if action == "accept" else "LEFT JOIN"
        # A pair the annotator already decided so has nothing to change.
        where = ["q.my_decision IS DISTINCT FROM ?"]
        if not include_decided:
            where.append(
                "q.id NOT IN (SELECT generation_id FROM effective_decisions "
                "WHERE action IN ('accept', 'reject'))"
            )
        sql = (
            f"SELECT q.id, v.id AS verdict_id FROM ({queue_sql}) q "
            f"{verdict_join} (SELECT generation_id, id FROM current_verdicts) v "
            f"ON v.generation_id = q.id WHERE {' AND '.join(where)}"
        )
        return sql, [*params, action]

    def bulk_count(
        self,
        annotator: str,
        action: str,
        *,
        include_decided: bool = False,
        sample: int = 0,
        **filters: Unpack[QueueFilters],
    ) -> tuple[int, list[dict[str, Any]]]:
        """How many pairs a bulk decision would take now, and the first `sample` of them
        (as the review queue lists them): its preview, which records nothing."""
        sql, params = self._bulk_selection(annotator, action, include_decided, filters)
        ((count,),) = self.cursor().execute(f"SELECT count(*) FROM ({sql})", params).fetchall()
        if not sample or not count:
            return count, []
        first = f"{sql} ORDER BY q.created_at, q.id LIMIT ?"
        ids = [row[0] for row in self.cursor().execute(first, [*params, sample]).fetchall()]
        shown = self._rows(
            "SELECT g.id, s.name, s.source, v.status, v.passed, v.usable, v.difficulty, "
            "v.test_strength, g.instruction FROM generations g "
            "JOIN snippets s ON s.id = g.snippet_id "
            "LEFT JOIN current_verdicts v ON v.generation_id = g.id "
            "WHERE g.id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        )
        by_id = {row["id"]: row for row in shown}
        return count, [by_id[pair_id] for pair_id in ids]

    def add_bulk_decision(
        self,
        annotator: str,
        action: str,
        *,
        include_decided: bool = False,
        expected: int | None = None,
        reasons: Sequence[str] = (),
        **filters: Unpack[QueueFilters],
    ) -> tuple[int | None, int]:
        """Record `action` by `annotator` on every pair the filters select (see
        `_bulk_selection`): one bulk action and one review event per pair, in one
        transaction. Returns the bulk id (None when no pair matched: nothing recorded)
        and the number of pairs. With `expected`, a count that differs records nothing
        and raises `BulkMismatchError`. `reasons` go with every event (a reject's)."""
        sql, params = self._bulk_selection(annotator, action, include_decided, filters)
        with self.transaction() as cur:
            ((bulk_id,),) = cur.execute(
                "INSERT INTO bulk_actions (annotator, action, filters) VALUES (?, ?, ?) "
                "RETURNING id",
                [annotator, action, json.dumps(dict(filters), default=list, sort_keys=True)],
            ).fetchall()
            ((count,),) = cur.execute(
                "INSERT INTO review_events (generation_id, annotator, action, payload, bulk_id, "
                "reasons) SELECT p.id, ?, ?, json_object('verdict_id', p.verdict_id), ?, "
                f"?::VARCHAR[] FROM ({sql}) p",
                [annotator, action, bulk_id, list(reasons), *params],
            ).fetchall()
            if expected is not None and count != expected:
                raise BulkMismatchError(
                    f"the filter now matches {count} pairs, not the {expected} previewed, "
                    "so nothing was recorded: preview again"
                )
            if not count:
                cur.execute("DELETE FROM bulk_actions WHERE id = ?", [bulk_id])
                return None, 0
            cur.execute("UPDATE bulk_actions SET count = ? WHERE id = ?", [count, bulk_id])
        return bulk_id, count

    def undo_bulk_action(self, bulk_id: int, annotator: str) -> int:
        """Undo every event of a bulk action that still counts, as one: an undo event per
        pair (carrying the bulk id, so the history shows the bulk and its undo), and the
        action marked undone. Returns the number of events undone."""
        with self.transaction() as cur:
            ((count,),) = cur.execute(
                "INSERT INTO review_events (generation_id, annotator, action, payload, bulk_id) "
                "SELECT generation_id, ?, 'undo', json_object('undoes', id), bulk_id "
                "FROM effective_decisions WHERE bulk_id = ?",
                [annotator, bulk_id],
            ).fetchall()
            cur.execute(
                "UPDATE bulk_actions SET undone_at = current_timestamp WHERE id = ?", [bulk_id]
            )
        return count

    def bulk_action(self, bulk_id: int) -> dict[str, Any] | None:
        """One bulk action by its id (see `bulk_actions`), or None."""
        rows = self.bulk_actions(bulk_id=bulk_id)
        return rows[0] if rows else None

    def bulk_actions(
        self, annotator: str | None = None, *, bulk_id: int | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Bulk actions, newest first (of one annotator, or one by its id), their filters
        parsed."""
        where, params = [], []
        if annotator is not None:
            where.append("annotator = ?")
            params.append(annotator)
        if bulk_id is not None:
            where.append("id = ?")
            params.append(bulk_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._rows(
            f"SELECT * FROM bulk_actions {clause} ORDER BY id DESC LIMIT ?", [*params, limit]
        )
        for row in rows:
            row["filters"] = json.loads(row["filters"]) if row["filters"] else {}
        return rows
