"""Pipeline runs: parameters, progress, counts, state."""

from __future__ import annotations

import json
import os
from typing import Any

from semi_core.store.core import StoreBase


class RunQueries(StoreBase):
    def start_run(self, run_id: str, kind: str, params: dict[str, Any]) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO runs (id, kind, params, state, pid) VALUES (?, ?, ?, 'running', ?)",
                [run_id, kind, json.dumps(params), os.getpid()],
            )

    def finish_run(self, run_id: str, state: str, counts: dict[str, Any]) -> None:
        with self.transaction() as cur:
            cur.execute(
                "UPDATE runs SET state = ?, counts = ?, ended_at = current_timestamp WHERE id = ?",
                [state, json.dumps(counts), run_id],
            )

    def update_run_params(self, run_id: str, params: dict[str, Any]) -> None:
        """Add to or overwrite a run's recorded parameters (what was chosen at its start)."""
        with self.transaction() as cur:
            cur.execute(
                "UPDATE runs SET params = json_merge_patch(params, ?) WHERE id = ?",
                [json.dumps(params), run_id],
            )

    def running_runs(self) -> list[dict[str, Any]]:
        rows = self._rows("SELECT id, pid, counts FROM runs WHERE state = 'running'")
        for row in rows:
            row["counts"] = json.loads(row["counts"]) if row["counts"] else {}
        return rows

    def update_run_progress(self, run_id: str, progress: dict[str, Any]) -> None:
        with self.transaction() as cur:
            cur.execute("UPDATE runs SET progress = ? WHERE id = ?", [json.dumps(progress), run_id])

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT id, kind, state, params, counts, started_at, ended_at FROM runs "
            "ORDER BY started_at DESC LIMIT ?",
            [limit],
        )
        for row in rows:
            row["params"] = json.loads(row["params"]) if row["params"] else {}
            row["counts"] = json.loads(row["counts"]) if row["counts"] else {}
        return rows
