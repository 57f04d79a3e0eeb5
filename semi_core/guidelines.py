"""Annotation guidelines and reject reasons: what reviewers read beside a pair, and the
tags a reject carries.

The guidelines are Markdown kept in versions: every save is a new version and the
latest is the one shown. The reasons a reject may give are a list kept with the studio's
settings (`reject_reasons`), the defaults below until someone changes it; a reject
names its reasons from that list (`semi_core.review.decide`), and they are stored on its
event, counted on Failures and written by the `full` export."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from semi_core.store import Store

DEFAULT_REASONS = (
    "instruction wrong or vague",
    "code not idiomatic",
    "tests too weak",
    "trivial",
    "duplicate",
    "unsafe",
)
REASONS_SETTING = "reject_reasons"
MAX_REASON_CHARS = 60  # a reason is a tag, not a note (notes say the rest)


class GuidelinesError(ValueError):
    """Guidelines or reasons that cannot be saved or used, with a message for people."""


def latest(store: Store) -> dict[str, Any] | None:
    """The guidelines shown now (version, markdown, author, created_at), or None."""
    return store.guidelines()


def version(store: Store, number: int) -> dict[str, Any]:
    found = store.guidelines(number)
    if found is None:
        raise GuidelinesError(f"no guidelines version {number}")
    return found


def save(store: Store, markdown: str, author: str | None = None) -> dict[str, Any]:
    """Save the guidelines as a new version; returns it. Text equal to the latest
    version's is refused, so the history lists only real changes."""
    if not markdown.strip():
        raise GuidelinesError("the guidelines are empty")
    current = store.guidelines()
    if current is not None and current["markdown"] == markdown:
        raise GuidelinesError(f"unchanged: the text is version {current['version']}'s")
    return store.add_guidelines(markdown, (author or "").strip() or None)


def versions(store: Store) -> list[dict[str, Any]]:
    """Every version of the guidelines, newest first (version, author, created_at,
    characters)."""
    return store.guidelines_versions()


def reasons(store: Store) -> list[str]:
    """The reasons a reject may give now, in their order (digit keys follow it)."""
    return list(store.get_setting(REASONS_SETTING, list(DEFAULT_REASONS)))


def set_reasons(store: Store, names: Iterable[str]) -> list[str]:
    """Replace the reason list (blank lines dropped, duplicates refused); returns it.
    Rejects already recorded keep the reasons they gave."""
    cleaned = [" ".join(name.split()) for name in names]
    cleaned = [name for name in cleaned if name]
    if not cleaned:
        raise GuidelinesError("the reason list is empty: keep at least one reason")
    if repeated := sorted({n for n in cleaned if cleaned.count(n) > 1}):
        raise GuidelinesError(f"reason listed twice: {', '.join(repeated)}")
    if long := [n for n in cleaned if len(n) > MAX_REASON_CHARS]:
        raise GuidelinesError(
            f"a reason is a short tag (at most {MAX_REASON_CHARS} characters): {long[0]!r}"
        )
    # The full export joins reasons with these: one inside a reason would split it.
    if punctuated := [n for n in cleaned if any(c in n for c in ",;")]:
        raise GuidelinesError(f"a reason cannot hold a comma or a semicolon: {punctuated[0]!r}")
    store.set_setting(REASONS_SETTING, cleaned)
    return cleaned


def check_reasons(store: Store, given: Sequence[str]) -> list[str]:
    """The given reasons, each named once, in the list's order; raises GuidelinesError
    naming any reason not in the configured list."""
    known = reasons(store)
    if unknown := [r for r in dict.fromkeys(given) if r not in known]:
        raise GuidelinesError(
            f"unknown reject reason {unknown[0]!r}; choose from: {', '.join(known)}"
        )
    return [r for r in known if r in given]


def reason_counts(store: Store) -> list[dict[str, Any]]:
    """Each reason of the rejects that count now, with its rejects and pairs, most
    frequent first."""
    return store.reject_reason_counts()
