"""What an export reads: the selected pairs with everything written about them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from semi_core.store.core import StoreBase


class ExportQueries(StoreBase):
    # Which of the view export_pairs an export selects, by review status (see
    # semi_core.export): the verdict they need and the overall decision they have (NULL:
    # nobody voted yet).
    EXPORT_STATUSES = {
        "accepted": ("TRUE", "p.decision = 'accept'"),
        "validated": ("p.verdict_status = 'validated'", "p.decision IS NULL"),
        "all": ("p.verdict_status = 'validated'", "TRUE"),
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
            decision = f"{decision} OR p.decision = 'disputed'"
        where = [verdict, f"({decision})"]
        params: list[Any] = []
        if difficulty:
            where.append("p.difficulty BETWEEN ? AND ?")
            params += list(difficulty)
        if sources:
            where.append("p.source IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(sources))
        # Through Arrow: nested lists of structs convert to Python far faster than with
        # fetchall.
        sql = f"""WITH t AS (SELECT generation_id, list({{'input': input, 'origin': origin,
                'expected': expected, 'oracle_status': oracle_status}} ORDER BY position)
                AS cases FROM test_cases WHERE oracle_status IN ('ok', 'raises')
                GROUP BY generation_id)
            SELECT p.*, t.cases FROM export_pairs p LEFT JOIN t ON t.generation_id = p.id
            WHERE {" AND ".join(where)} ORDER BY p.id"""
        rows = self.cursor().sql(sql, params=params).to_arrow_table().to_pylist()
        for row in rows:
            row["signals"] = json.loads(row["signals"]) if row["signals"] else {}
        return rows

    def export_sources(self) -> dict[str, int]:
        """Sources of the pairs whose current verdict is validated, with their numbers."""
        rows = self.cursor().execute(
            "SELECT source, count(*) FROM validated_pairs GROUP BY ALL ORDER BY ALL"
        )
        return dict(rows.fetchall())
