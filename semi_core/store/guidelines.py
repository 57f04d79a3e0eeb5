"""Annotation guidelines (versioned Markdown) and the reasons people give for rejects."""

from __future__ import annotations

from typing import Any

from semi_core.store.core import StoreBase


class GuidelinesQueries(StoreBase):
    def add_guidelines(self, markdown: str, author: str | None) -> dict[str, Any]:
        """Save the guidelines as a new version (the next number); returns it."""
        with self.transaction() as cur:
            rows = cur.execute(
                "INSERT INTO guidelines (version, markdown, author) "
                "SELECT coalesce(max(version), 0) + 1, ?, ? FROM guidelines "
                "RETURNING version, markdown, author, created_at",
                [markdown, author],
            ).fetchall()
        version, text, who, at = rows[0]
        return {"version": version, "markdown": text, "author": who, "created_at": at}

    def guidelines(self, version: int | None = None) -> dict[str, Any] | None:
        """One version of the guidelines (by default the latest), or None when none."""
        where, params = ("WHERE version = ?", [version]) if version is not None else ("", [])
        rows = self._rows(f"SELECT * FROM guidelines {where} ORDER BY version DESC LIMIT 1", params)
        return rows[0] if rows else None

    def guidelines_versions(self) -> list[dict[str, Any]]:
        """Every version of the guidelines, newest first, without their text."""
        return self._rows(
            "SELECT version, author, created_at, length(markdown) AS characters "
            "FROM guidelines ORDER BY version DESC"
        )

    def reject_reason_counts(self) -> list[dict[str, Any]]:
        """Each reason of the rejects that count now (each annotator's latest vote or
        final decision on a pair), with the rejects and the pairs that carry it, most
        frequent first."""
        return self._rows(
            "SELECT reason, count(*) AS rejects, count(DISTINCT generation_id) AS pairs "
            "FROM reject_reasons GROUP BY reason ORDER BY rejects DESC, reason"
        )
