"""Settings kept with the data, and the cache of the model's answers."""

from __future__ import annotations

import json
from typing import Any

from semi_core.store.core import StoreBase


class SettingsQueries(StoreBase):
    def cached_response(self, key: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT response, usage FROM llm_cache WHERE key = ?", [key])
        if not rows:
            return None
        usage = json.loads(rows[0]["usage"]) if rows[0]["usage"] else None
        return {"response": rows[0]["response"], "usage": usage}

    def cache_response(
        self, key: str, model: str | None, request: dict[str, Any], response: str, usage: Any
    ) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT OR IGNORE INTO llm_cache (key, model, request, response, usage) "
                "VALUES (?, ?, ?, ?, ?)",
                [key, model, json.dumps(request), response, json.dumps(usage)],
            )

    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self.cursor().execute("SELECT value FROM settings WHERE key = ?", [key])
        found = rows.fetchall()
        return json.loads(found[0][0]) if found else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO settings (key, value, updated_at) "
                "VALUES (?, ?, current_timestamp)",
                [key, json.dumps(value)],
            )

    def settings(self) -> dict[str, Any]:
        rows = self.cursor().execute("SELECT key, value FROM settings ORDER BY key")
        return {key: json.loads(value) for key, value in rows.fetchall()}
