"""One snippet through the three steps, for demonstrating the method: generate a pair,
validate it against the original (the oracle), rank it. Each step is one call, so a
screen can run them one at a time; they write to the store exactly as a pipeline run
does (a generation, a validation run with its verdict, the difficulty)."""

from __future__ import annotations

from typing import Any

from semi_core.generate.base import SnippetView
from semi_core.generate.prompt import load_template
from semi_core.pipeline import (
    PipelineSettings,
    _with_synthesized_inputs,
    generation_row,
    make_backend,
    run_pipeline,
)
from semi_core.rank import rank_all
from semi_core.sandbox.pool import SandboxPool
from semi_core.store import Store


class WalkthroughError(ValueError):
    """A step that cannot run, with a message for people."""


def _snippet(store: Store, snippet_id: str) -> SnippetView:
    row = store.snippet(snippet_id)
    if row is None:
        raise WalkthroughError(f"no snippet with id {snippet_id!r}")
    if row["rejection"]:
        raise WalkthroughError(
            f"this snippet was rejected at ingest ({row['rejection']}): it is not generated"
        )
    return SnippetView.from_row(row)


def prompt_for(snippet_id: str, store: Store, settings: PipelineSettings) -> list[dict[str, str]]:
    """The chat messages the openai backend would send for this snippet (none offline:
    the offline backend is rule-based and sends no prompt)."""
    if settings.backend != "openai":
        return []
    return load_template(settings.prompt_template).render(_snippet(store, snippet_id))


def generate_one(
    store: Store, snippet_id: str, settings: PipelineSettings, pool: SandboxPool
) -> str:
    """Generate (or find, when this backend, model and prompt already did) the pair of
    one snippet, with its test inputs; returns the generation id."""
    snippet = _snippet(store, snippet_id)
    backend = make_backend(settings, pool, store)
    try:
        # generate_many turns a backend exception into a failed generation, as a run does
        [(snippet, result)] = list(backend.generate_many([snippet], 1))
    finally:
        backend.close()
    inputs = _with_synthesized_inputs(snippet, result, pool, settings)
    row = generation_row(backend, snippet, result)
    store.add_generation(row, [(i.text, i.origin) for i in inputs])
    return row["id"]


def validate_one(
    store: Store, generation_id: str, settings: PipelineSettings, pool: SandboxPool
) -> dict[str, Any]:
    """Validate one pair now (a new validation run); returns its verdict."""
    generation = store.generation(generation_id)
    if generation is None:
        raise WalkthroughError(f"no pair with id {generation_id!r}")
    if generation["status"] != "ok":
        raise WalkthroughError("the generation failed, so there is nothing to validate")
    result = run_pipeline(
        store, settings, stages=("validate",), generation_ids=[generation_id], pool=pool
    )
    if result.state != "done":
        raise WalkthroughError(f"validation {result.state}: {result.counts.get('error', '')}")
    verdict = store.latest_verdict(generation_id)
    assert verdict is not None
    return verdict


def rank_one(store: Store, generation_id: str) -> dict[str, Any]:
    """Rank (difficulty and bucket are relative to all validated pairs, so all are
    re-ranked) and return this pair's verdict with its difficulty."""
    verdict = store.latest_verdict(generation_id)
    if verdict is None:
        raise WalkthroughError("validate the pair first")
    if verdict["status"] != "validated":
        raise WalkthroughError(f"only validated pairs are ranked (this one: {verdict['status']})")
    rank_all(store)
    ranked = store.latest_verdict(generation_id)
    assert ranked is not None
    return ranked
