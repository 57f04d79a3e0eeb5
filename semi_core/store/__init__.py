"""The DuckDB store: the schema and every SQL statement on the project's data.

One `Store` wraps one DuckDB file. It is composed of one small class of queries per
domain (snippets and generations, validation, repair, review, analytics, export, runs,
settings, guidelines), all sharing the connection of `core.StoreBase`. DuckDB allows a single
read-write process per file: opening a file another process holds raises
`DatabaseLockedError` with one sentence a person can act on.
"""

from __future__ import annotations

from semi_core.store.analytics import AnalyticsQueries, Counts
from semi_core.store.audit import AuditQueries
from semi_core.store.bulk import BulkQueries
from semi_core.store.bulk_decisions import BulkDecisionQueries, BulkMismatchError
from semi_core.store.core import (
    DEFAULT_DB,
    DatabaseLockedError,
    StoreError,
    content_id,
    default_db_path,
    lock_message,
)
from semi_core.store.export import ExportQueries
from semi_core.store.guidelines import GuidelinesQueries
from semi_core.store.repair import REPAIR_ANNOTATOR, RepairQueries
from semi_core.store.review import QueueFilters
from semi_core.store.runs import RunQueries
from semi_core.store.schema import MIGRATIONS, Migration, applied_migrations, migrate
from semi_core.store.settings import SettingsQueries
from semi_core.store.snippets import SNIPPET_COLUMNS
from semi_core.store.validation import Validation
from semi_core.store.views import (
    DECISION_RULES,
    DEFAULT_DECISION_RULE,
    DEFAULT_MAJORITY_MIN_VOTES,
)


class Store(
    AnalyticsQueries, RepairQueries, ExportQueries, RunQueries, SettingsQueries, BulkQueries,
    BulkDecisionQueries,
    AuditQueries,
    GuidelinesQueries,
):  # fmt: skip
    """One DuckDB database file, migrated to the current schema on open."""

    def __enter__(self) -> Store:
        return self


__all__ = [
    "DECISION_RULES",
    "DEFAULT_DB",
    "DEFAULT_DECISION_RULE",
    "DEFAULT_MAJORITY_MIN_VOTES",
    "MIGRATIONS",
    "REPAIR_ANNOTATOR",
    "SNIPPET_COLUMNS",
    "BulkMismatchError",
    "Counts",
    "DatabaseLockedError",
    "Migration",
    "QueueFilters",
    "Store",
    "StoreError",
    "Validation",
    "applied_migrations",
    "content_id",
    "default_db_path",
    "lock_message",
    "migrate",
]
