"""What an export reads: the selected pairs with everything written about them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from semi_core.store.core import StoreBase
from semi_core.store.views import EFFECTIVE_DECISIONS, OVERALL_DECISIONS


class ExportQueries(StoreBase):
    # -- export -------------------------------------------------------------------------------

    # Which pairs an export selects, by review status (see semi_core.export): the verdict
    # they need and the overall decision they have (NULL: nobody voted yet).
    EXPORT_STATUSES = {
        "accepted": ("TRUE", "d.decision = 'accept'"),
        "validated": ("v.status = 'validated'", "d.decision IS NULL"),
        "all": ("v.status = 'validated'", "TRUE"),
    }

    def export_rows(
        self,
        status: str,
        *,
        difficulty: tuple[float, float] | None = None,
        sources: Sequence[str] | None = None,
        with_disputed: bool = False,
    ) -> list[dict[str, Any]]:
        """Everything an export writes about the selected pairs, in one query: the pair, its
        snippet, current verdict, overall decision, each annotator's vote, and its usable
        test cases (oracle ok/raises, by position). `status`: a key of EXPORT_STATUSES;
        `with_disputed`: the disputed pairs with the status's verdict too (an export lists
        them as left out)."""
        verdict, decision = self.EXPORT_STATUSES[status]
        if with_disputed:
            decision = f"{decision} OR d.decision = 'disputed'"
        where = ["g.status = 'ok'", verdict, f"({decision})"]
        params: list[Any] = []
        if difficulty:
            where.append("v.difficulty BETWEEN ? AND ?")
            params += list(difficulty)
        if sources:
            where.append("s.source IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(sources))
        # Through Arrow: nested lists of structs convert to Python far faster than with
        # fetchall (100,000 pairs with 5 test cases each: about half the time).
        sql = f"""{EFFECTIVE_DECISIONS}{OVERALL_DECISIONS}, current AS (
                SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY generation_id
                ORDER BY created_at DESC, id) AS n FROM verdicts) WHERE n = 1),
            d AS (SELECT o.generation_id, o.decision, x.decisions FROM overall o
                LEFT JOIN (SELECT generation_id, list({{'annotator': annotator,
                'decision': vote}} ORDER BY annotator) AS decisions FROM votes
                GROUP BY generation_id) x ON x.generation_id = o.generation_id),
            t AS (SELECT generation_id, list({{'input': input, 'origin': origin,
                'expected': expected, 'oracle_status': oracle_status}} ORDER BY position)
                AS cases FROM test_cases WHERE oracle_status IN ('ok', 'raises')
                GROUP BY generation_id)
            SELECT g.id, g.instruction, g.code, g.entry_point, g.backend, g.model,
                g.prompt_hash, g.snippet_id, s.source, s.path, s.line, s.name, s.kind,
                v.run_id, v.status AS verdict_status, v.passed, v.usable, v.test_strength,
                v.difficulty, v.signals, d.decision, d.decisions, t.cases
            FROM generations g JOIN snippets s ON s.id = g.snippet_id
            LEFT JOIN current v ON v.generation_id = g.id
            LEFT JOIN d ON d.generation_id = g.id
            LEFT JOIN t ON t.generation_id = g.id
            WHERE {" AND ".join(where)} ORDER BY g.id"""
        rows = self.cursor().sql(sql, params=params).to_arrow_table().to_pylist()
        for row in rows:
            row["signals"] = json.loads(row["signals"]) if row["signals"] else {}
        return rows

    def export_sources(self) -> dict[str, int]:
        """Sources of the pairs whose current verdict is validated, with their numbers."""
        rows = self.cursor().execute(
            "SELECT s.source, count(*) FROM (SELECT generation_id, arg_max(status, "
            "(created_at, id)) AS status FROM verdicts GROUP BY ALL) v "
            "JOIN generations g ON g.id = v.generation_id JOIN snippets s ON s.id = g.snippet_id "
            "WHERE v.status = 'validated' GROUP BY ALL ORDER BY ALL"
        )
        return dict(rows.fetchall())
