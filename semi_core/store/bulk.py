"""Bulk loading of Arrow tables: fixtures, benchmarks, imports."""

from __future__ import annotations

import pyarrow as pa

from semi_core.store.core import StoreBase, StoreError
from semi_core.store.schema import link_generations_to_test_cases, link_verdicts_to_test_runs


class BulkQueries(StoreBase):
    BULK_TABLES = (
        "snippets", "generations", "test_cases", "test_runs", "verdicts", "review_events",
        "runs",
    )  # fmt: skip

    def bulk_insert(self, table: str, rows: pa.Table) -> int:
        """Append an Arrow table's rows to one of `BULK_TABLES` in one statement (fixtures,
        benchmarks, imports: far faster than row-by-row inserts). Columns are matched by
        name; absent ones take their defaults. Verdicts are then linked to their test
        runs' numbers, generations to their test cases' (see `m001_baseline`). Returns the
        number of rows inserted."""
        if table not in self.BULK_TABLES:
            raise StoreError(f"bulk insertion into {table!r} is not supported")
        known = {
            row[0]
            for row in self.cursor()
            .execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table])
            .fetchall()
        }
        unknown = [name for name in rows.column_names if name not in known]
        if unknown:
            raise StoreError(f"{table} has no column(s) {', '.join(unknown)}")
        columns = ", ".join(f'"{name}"' for name in rows.column_names)  # checked above
        with self.transaction() as cur:
            cur.register("incoming_rows", rows)
            try:
                cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_rows")
            finally:
                cur.unregister("incoming_rows")
            if table in ("test_runs", "verdicts"):
                link_verdicts_to_test_runs(cur)
            if table in ("test_cases", "generations"):
                link_generations_to_test_cases(cur)
        return rows.num_rows
