"""Snippets (natural code in) and generations (the model's pairs and their test inputs)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from semi_core.store.core import StoreBase, content_id
from semi_core.store.schema import reserve_numbers

SNIPPET_COLUMNS = (
    "id", "source", "path", "line", "name", "kind", "entry_point", "language", "code",
    "flags", "rejection", "rejection_detail", "metadata",
)  # fmt: skip

_SNIPPET_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("path", pa.string()),
        ("line", pa.int32()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("entry_point", pa.string()),
        ("language", pa.string()),
        ("code", pa.string()),
        ("flags", pa.list_(pa.string())),
        ("rejection", pa.string()),
        ("rejection_detail", pa.string()),
        ("metadata", pa.string()),
    ]
)


def source_filter(sources: Sequence[str] | None, other_sources: bool) -> tuple[str, list[Any]]:
    """A condition on the snippet `s`: ingested from one of `sources`, or, with
    `other_sources`, from none of them (no condition when `sources` is None)."""
    if sources is None:
        return "", []
    wanted = "<>" if other_sources else "="
    return f"AND coalesce(list_contains(?::VARCHAR[], s.source), false) {wanted} true ", [
        list(sources)
    ]


def parse_generation_json(row: dict[str, Any]) -> dict[str, Any]:
    """A generations row with its JSON columns (usage, mistake) as Python values."""
    for column in ("usage", "mistake"):
        row[column] = json.loads(row[column]) if row.get(column) else None
    return row


class SnippetQueries(StoreBase):
    def existing_snippet_ids(
        self, ids: Iterable[str], cur: duckdb.DuckDBPyConnection | None = None
    ) -> set[str]:
        """Which of `ids` the store holds (a scan of the id column: snippets have no index,
        see `m001_baseline`; the ids asked for are the join's small side)."""
        ids = list(ids)
        if not ids:
            return set()
        rows = (cur or self.cursor()).execute(
            "SELECT id FROM snippets WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        )
        return {row[0] for row in rows.fetchall()}

    # An ingest's ledger: the ids of the snippets it has met so far, so that repeats are
    # counted without holding every id in Python memory. It is a temporary table (one per
    # connection: an ingest keeps to its thread's cursor) of 64-bit numbers, the 16 hex
    # digits of each id: 8 bytes a snippet, spilled to disk by DuckDB when memory is short.

    def start_ingest_ledger(self) -> None:
        self.bound_work_memory()
        self.cursor().execute("CREATE OR REPLACE TEMP TABLE ingest_ledger (id UBIGINT)")

    def ingest_ledger_holds(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` the current ingest has met before."""
        if not ids:
            return set()
        rows = self.cursor().execute(
            "SELECT id FROM (SELECT unnest(?::VARCHAR[]) AS id) "
            "WHERE ('0x' || id)::UBIGINT IN (SELECT id FROM ingest_ledger)",
            [list(ids)],
        )
        return {row[0] for row in rows.fetchall()}

    def add_to_ingest_ledger(self, ids: Iterable[str]) -> None:
        cur = self.cursor()
        cur.execute(
            "INSERT INTO ingest_ledger SELECT ('0x' || unnest(?::VARCHAR[]))::UBIGINT", [list(ids)]
        )
        self.bound_work_memory()  # once a batch: room for the grown ledger

    def end_ingest_ledger(self) -> None:
        self.cursor().execute("DROP TABLE IF EXISTS ingest_ledger")
        self.restore_memory_limit()

    def add_snippets(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert snippet rows whose id is new (the first of repeated ids in `rows`);
        return how many were inserted."""
        if not rows:
            return 0
        first_of_each: dict[str, dict[str, Any]] = {}
        for row in rows:
            first_of_each.setdefault(row["id"], row)
        with self.transaction() as cur:
            held = self.existing_snippet_ids(first_of_each, cur)
            table = pa.Table.from_pylist(
                [
                    {
                        **{column: row.get(column) for column in SNIPPET_COLUMNS},
                        "metadata": json.dumps(row["metadata"]) if row.get("metadata") else None,
                    }
                    for row in first_of_each.values()
                    if row["id"] not in held
                ],
                schema=_SNIPPET_SCHEMA,
            )
            cur.register("incoming_snippets", table)
            try:
                cur.execute(
                    f"INSERT INTO snippets ({', '.join(SNIPPET_COLUMNS)}) "
                    f"SELECT {', '.join(SNIPPET_COLUMNS)} FROM incoming_snippets"
                )
            finally:
                cur.unregister("incoming_snippets")
        return table.num_rows

    def snippet(self, snippet_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM snippets WHERE id = ?", [snippet_id])
        return rows[0] if rows else None

    def snippets(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        usable: bool | None = None,
        search: str | None = None,
    ) -> list[dict[str, Any]]:
        """Snippets, newest first; `usable` filters on rejection; `search` on name/path/code."""
        where, params = ["TRUE"], []
        if usable is True:
            where.append("rejection IS NULL")
        elif usable is False:
            where.append("rejection IS NOT NULL")
        if search:
            where.append("(name ILIKE ? OR path ILIKE ? OR code ILIKE ?)")
            params += [f"%{search}%"] * 3
        params += [limit, offset]
        return self._rows(
            f"SELECT id, name, kind, entry_point, source, path, line, flags, rejection, "
            f"rejection_detail, code, created_at FROM snippets WHERE {' AND '.join(where)} "
            f"ORDER BY created_at DESC, path, line LIMIT ? OFFSET ?",
            params,
        )

    def count_snippets(self) -> int:
        return self.cursor().execute("SELECT count(*) FROM snippets").fetchall()[0][0]

    # -- generations ---------------------------------------------------------------------

    _TO_GENERATE = (
        "FROM snippets s WHERE s.rejection IS NULL AND NOT EXISTS ("
        "  SELECT 1 FROM generations g WHERE g.snippet_id = s.id AND g.backend = ? "
        "  AND g.model IS NOT DISTINCT FROM ? AND g.prompt_hash = ?) "
    )

    def snippets_to_generate(
        self,
        backend: str,
        model: str | None,
        prompt_hash: str,
        limit: int | None = None,
        after: tuple[str, int, str] | None = None,
        sources: Sequence[str] | None = None,
        other_sources: bool = False,
    ) -> list[dict[str, Any]]:
        """Usable snippets without a generation from this backend, model and prompt, in
        (path, line, id) order. `after` is (path, order_line, id) of the last row of the previous
        page: keyset paging, right while earlier pages are still being generated. `sources`
        keeps only snippets ingested from those paths (as `sources.ingest` names them), or,
        with `other_sources`, only the rest."""
        after_sql = "AND (s.path, coalesce(s.line, 2147483647), s.id) > (?, ?, ?) " if after else ""
        source_sql, source_params = source_filter(sources, other_sources)
        return self._rows(
            "SELECT s.id, s.name, s.kind, s.entry_point, s.code, s.flags, s.path, s.metadata, "
            "coalesce(s.line, 2147483647) AS order_line "
            f"{self._TO_GENERATE}{source_sql}{after_sql}"
            "ORDER BY s.path, coalesce(s.line, 2147483647), s.id LIMIT ?",
            [backend, model, prompt_hash, *source_params, *(after or ()),
             limit if limit is not None else 2**62],
        )  # fmt: skip

    @staticmethod
    def source_passes(first_sources: Sequence[str]) -> list[dict[str, Any]]:
        """The `sources` / `other_sources` arguments of the reads of pending work that take
        what was ingested from `first_sources` first: one pass over everything when there
        are none, else a pass over those sources, then one over the rest (disjoint, so a
        unit still in flight from the first pass is never read again)."""
        if not first_sources:
            return [{}]
        return [{"sources": first_sources}, {"sources": first_sources, "other_sources": True}]

    def count_snippets_to_generate(self, backend: str, model: str | None, prompt_hash: str) -> int:
        """How many rows `snippets_to_generate` would give (a progress total)."""
        return (
            self.cursor()
            .execute(f"SELECT count(*) {self._TO_GENERATE}", [backend, model, prompt_hash])
            .fetchone()[0]
        )

    def add_generation(self, row: dict[str, Any], inputs: Sequence[tuple[str, str]]) -> None:
        """Store one generation and its test inputs, (text, origin), in one transaction:
        a crash leaves either both or neither. A generation stored before is kept as it
        is (its id is a hash of what made it); an input repeated is stored once."""
        columns = (
            "id", "snippet_id", "backend", "model", "prompt_hash", "instruction", "code",
            "entry_point", "raw_response", "usage", "status", "error", "mistake",
        )  # fmt: skip
        values = [
            json.dumps(row.get(c))
            if c in ("usage", "mistake") and row.get(c) is not None
            else row.get(c)
            for c in columns
        ]
        firsts: dict[str, tuple[int, str]] = {}  # input text: its first position and origin
        for position, (text, origin) in enumerate(inputs):
            firsts.setdefault(text, (position, origin))
        with self.transaction() as cur:
            if cur.execute("SELECT 1 FROM generations WHERE id = ?", [row["id"]]).fetchone():
                return
            # The test cases are numbered together, the generation keeps the range.
            numbers = reserve_numbers(cur, "test_case_seq", len(firsts))
            cur.execute(
                f"INSERT INTO generations ({', '.join(columns)}, first_test_case, "
                f"last_test_case) VALUES ({', '.join('?' for _ in columns)}, ?, ?)",
                [*values, numbers[0] if numbers else None, numbers[-1] if numbers else None],
            )
            if firsts:  # one statement for all: each statement costs DuckDB milliseconds
                cur.execute(
                    "INSERT INTO test_cases (id, generation_id, position, input, origin, seq) "
                    "VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(firsts)),
                    [value
                     for number, (text, (position, origin)) in zip(numbers, firsts.items(),
                                                                  strict=True)
                     for value in (content_id(row["id"], text), row["id"], position, text,
                                   origin, number)],
                )  # fmt: skip

    def add_test_case(self, generation_id: str, text: str, origin: str) -> dict[str, Any]:
        """Add one test input to a stored generation, after its others; returns the new
        test case. A generation's test cases are found by their range of numbers,
        so all of them are numbered again, together, and the range recorded: one pair's
        new input never makes its range span the test cases stored since."""
        with self.transaction() as cur:
            first, last = cur.execute(
                "SELECT first_test_case, last_test_case FROM generations WHERE id = ?",
                [generation_id],
            ).fetchone() or (None, None)
            cases = [] if first is None else cur.execute(
                "SELECT id, position FROM test_cases WHERE seq BETWEEN ? AND ? "
                "AND generation_id = ? ORDER BY position",
                [first, last, generation_id],
            ).fetchall()  # fmt: skip
            numbers = reserve_numbers(cur, "test_case_seq", len(cases) + 1)
            if cases:  # one statement, the old range found by zone maps
                cur.execute(
                    "UPDATE test_cases SET seq = n.seq FROM (SELECT unnest(?::VARCHAR[]) AS id, "
                    "unnest(?::BIGINT[]) AS seq) n WHERE test_cases.seq BETWEEN ? AND ? "
                    "AND test_cases.generation_id = ? AND test_cases.id = n.id",
                    [[case_id for case_id, _ in cases], numbers[:-1], first, last, generation_id],
                )
            position = max((p for _, p in cases), default=-1) + 1
            case = {"id": content_id(generation_id, text), "generation_id": generation_id,
                    "position": position, "input": text, "origin": origin,
                    "seq": numbers[-1]}  # fmt: skip
            cur.execute(
                "INSERT INTO test_cases (id, generation_id, position, input, origin, seq) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [case["id"], generation_id, position, text, origin, case["seq"]],
            )
            cur.execute(
                "UPDATE generations SET first_test_case = ?, last_test_case = ? WHERE id = ?",
                [numbers[0], numbers[-1], generation_id],
            )
        return case

    def generation(self, generation_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM generations WHERE id = ?", [generation_id])
        return parse_generation_json(rows[0]) if rows else None

    def update_generation(self, generation_id: str, instruction: str, code: str) -> None:
        """An annotator's edit of a pair's instruction and code."""
        with self.transaction() as cur:
            cur.execute(
                "UPDATE generations SET instruction = ?, code = ? WHERE id = ?",
                [instruction, code, generation_id],
            )

    def snippet_generations(self, snippet_id: str) -> list[dict[str, Any]]:
        """A snippet's generations, newest first (the walkthrough picks one)."""
        return self._rows(
            "SELECT id, backend, model, prompt_hash, status, created_at FROM generations "
            "WHERE snippet_id = ? ORDER BY created_at DESC, id",
            [snippet_id],
        )

    def failed_generations(self, limit: int = 10_000) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT g.id, g.error, s.name, s.source FROM generations g JOIN snippets s "
            "ON s.id = g.snippet_id WHERE g.status <> 'ok' ORDER BY g.id LIMIT ?",
            [limit],
        )
