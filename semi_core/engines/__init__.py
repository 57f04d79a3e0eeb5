"""Validation engines: where the sandbox runs happen. `local` runs them in this
machine's worker processes; `ray` sends batches of pairs to Ray actors, each owning a
warm sandbox pool. Either way the caller (the driver) alone writes the store."""

from semi_core.engines.base import ENGINES, EngineError, Item, ValidationEngine, register
from semi_core.engines.driver import (
    make_engine,
    open_engine,
    pending_pages,
    revalidate,
    select_for_revalidation,
    validate_pending,
    validate_stream,
)

__all__ = [
    "ENGINES",
    "EngineError",
    "Item",
    "ValidationEngine",
    "make_engine",
    "open_engine",
    "pending_pages",
    "register",
    "revalidate",
    "select_for_revalidation",
    "validate_pending",
    "validate_stream",
]
