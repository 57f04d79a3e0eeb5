"""Assignment: which annotator holds which pair, so that queues do not overlap by accident.

The rule: a pair is held by the annotators who were given it (`assignments` rows). A queue
lists the pairs its annotator holds and, while it holds fewer than `CLAIM_AHEAD` undecided
ones, claims the next free pairs of its order, at most half of those left (so that a small
store is shared out between the annotators who come). A free pair is one held by nobody,
or, for the overlap share of pairs (chosen by a hash of the pair id, so the same pairs
whatever the order annotators come in), held by one other annotator. Nothing is ever
reassigned, so annotators may join at any time. Deciding a pair also makes its annotator
hold it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from semi_core.store.core import StoreBase
from semi_core.store.schema import overlap_place_sql

# Undecided pairs an annotator holds ahead: a queue read claims up to this many, so that
# annotators coming later find pairs left, while the queue is read again only so often.
CLAIM_AHEAD = 20
OVERLAP_SETTING = "overlap"
IDLE_GAP_S = 600  # a pause longer than this between two decisions is not active time


def others_full_sql(overlap: float) -> tuple[str, list[Any]]:
    """SQL of the pairs full for an annotator (bound: their name, then the returned
    parameters): those another annotator holds, unless the pair is in the overlap share
    and that other is its only holder. Read from each row's slot and place, not counted."""
    sql = "SELECT generation_id FROM assignments WHERE annotator <> ?"
    if overlap <= 0:
        return sql, []
    if overlap >= 1:
        return f"{sql} AND slot >= 1", []
    return f"{sql} AND (place >= ? OR slot >= 1)", [overlap]


class AssignmentQueries(StoreBase):
    def overlap(self) -> float:
        """The share of pairs sent to two annotators (setting `overlap`; 0 when unset or
        not understood)."""
        sql = "SELECT TRY_CAST(value->>'$' AS DOUBLE) FROM settings WHERE key = ?"
        rows = self.cursor().execute(sql, [OVERLAP_SETTING]).fetchall()
        value = rows[0][0] if rows else None
        return min(max(float(value), 0.0), 1.0) if value is not None else 0.0

    def held_filter(self, annotator: str, overlap: float) -> tuple[str, str, str, list[Any]]:
        """A queue's assignment part: a CTE `held` of the pairs `annotator` holds (bound:
        their name), the SQL of whether pair g is among them, the condition that g is held
        by them or free for them, and the condition's parameters."""
        held = "g.id IN (SELECT generation_id FROM held)"
        full, params = others_full_sql(overlap)
        cte = "held AS (SELECT generation_id FROM assignments WHERE annotator = ?)"
        return cte, held, f"(g.id NOT IN ({full}) OR {held})", [annotator, *params]

    def claim_pairs(self, annotator: str, ids: Sequence[str]) -> list[str]:
        """Make `annotator` hold those of `ids` still free for them (see the module
        docstring); returns the ids claimed. Checked and written under the store's write
        lock, so two queues read at once never both take a pair."""
        if not ids:
            return []
        overlap = self.overlap()
        capacity = (
            "1"
            if overlap <= 0
            else "2"
            if overlap >= 1
            else "(CASE WHEN place < ? THEN 2 ELSE 1 END)"
        )
        with self.transaction() as cur:
            rows = cur.execute(
                f"""INSERT INTO assignments (generation_id, annotator, slot, place)
                SELECT c.id, ?, coalesce(h.holders, 0), c.place
                FROM (SELECT id, {overlap_place_sql("id")} AS place
                      FROM (SELECT unnest(?::VARCHAR[]) AS id)) c
                LEFT JOIN (SELECT generation_id, count(*) AS holders,
                               bool_or(annotator = ?) AS mine
                           FROM assignments WHERE generation_id IN (SELECT unnest(?::VARCHAR[]))
                           GROUP BY generation_id) h ON h.generation_id = c.id
                WHERE NOT coalesce(h.mine, false) AND coalesce(h.holders, 0) < {capacity}
                RETURNING generation_id""",
                [annotator, list(ids), annotator, list(ids)]
                + ([overlap] if "?" in capacity else []),
            ).fetchall()
        return [row[0] for row in rows]

    def hold(self, generation_id: str, annotator: str) -> None:
        """`annotator` holds the pair from now on (they decided it), whoever else does."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO assignments (generation_id, annotator, slot, place) "
                f"SELECT ?, ?, count(*), {overlap_place_sql('?')} FROM assignments "
                "WHERE generation_id = ? HAVING NOT coalesce(bool_or(annotator = ?), false)",
                [generation_id, annotator, generation_id, generation_id, annotator],
            )

    def holders(self, generation_id: str | None = None) -> dict[str, list[str]]:
        """Pair id -> the annotators holding it, in the order they were given it."""
        where, params = ("WHERE generation_id = ?", [generation_id]) if generation_id else ("", [])
        rows = self.cursor().execute(
            "SELECT generation_id, list(annotator ORDER BY created_at, annotator) "
            f"FROM assignments {where} GROUP BY generation_id",
            params,
        )
        return dict(rows.fetchall())

    def annotator_progress(self) -> list[dict[str, Any]]:
        """Per annotator: pairs done (their vote counts), remaining (held, not voted on),
        decisions (accept, reject, skip events made one at a time: a bulk action's events,
        all written at once, are no pace), active seconds (the time between those
        decisions, each pause cut to `IDLE_GAP_S`: a break is no working time)."""
        return self._rows(
            f"""WITH events AS (
                SELECT annotator, epoch(created_at) - lag(epoch(created_at)) OVER (
                    PARTITION BY annotator ORDER BY id) AS gap
                FROM review_events
                WHERE action IN ('accept', 'reject', 'skip') AND bulk_id IS NULL),
            activity AS (
                SELECT annotator, count(*) AS decisions,
                    sum(least(coalesce(gap, 0), {IDLE_GAP_S})) AS active_s
                FROM events GROUP BY annotator),
            done AS (SELECT annotator, count(*) AS done FROM annotator_votes GROUP BY annotator),
            remaining AS (
                SELECT a.annotator, count(*) AS remaining FROM assignments a
                WHERE NOT EXISTS (SELECT 1 FROM annotator_votes v
                    WHERE v.generation_id = a.generation_id AND v.annotator = a.annotator)
                GROUP BY a.annotator),
            names AS (SELECT annotator FROM activity UNION SELECT annotator FROM remaining)
            SELECT n.annotator, coalesce(d.done, 0) AS done,
                coalesce(r.remaining, 0) AS remaining,
                coalesce(x.decisions, 0) AS decisions,
                coalesce(x.active_s, 0)::DOUBLE AS active_s
            FROM names n LEFT JOIN done d USING (annotator)
            LEFT JOIN remaining r USING (annotator) LEFT JOIN activity x USING (annotator)
            ORDER BY n.annotator"""
        )

    def unassigned_pairs(self) -> int:
        """Usable pairs nobody holds yet."""
        sql = (
            "SELECT count(*) FROM generations g WHERE g.status = 'ok' AND NOT EXISTS "
            "(SELECT 1 FROM assignments a WHERE a.generation_id = g.id)"
        )
        return self.cursor().execute(sql).fetchone()[0]

    def any_pairs(self) -> bool:
        """Whether the store holds any usable pair at all."""
        sql = "SELECT EXISTS (SELECT 1 FROM generations WHERE status = 'ok')"
        return bool(self.cursor().execute(sql).fetchone()[0])
