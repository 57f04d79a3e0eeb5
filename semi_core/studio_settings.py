"""Studio settings kept in the store's `settings` table: the prompt template version,
the LLM endpoint and model, sandbox limits, the minimum number of tests and the
validation engine (local workers or a Ray cluster's address).

`pipeline_overrides(store)` is what a run should start from: keyword arguments for
`PipelineSettings` (the Run page and `semi run` may still override them per run)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from semi_core.generate.prompt import PromptTemplate, load_template, save_template
from semi_core.pipeline import PipelineSettings
from semi_core.store import Store

# The PipelineSettings fields the studio keeps: a stored setting is named after its field.
PIPELINE_KEYS = (
    "prompt_template",
    "backend",
    "base_url",
    "model",
    "timeout_s",
    "memory_mb",
    "workers",
    "min_usable_tests",
    "engine",  # validation: local workers or Ray actors
    "ray_address",
)


def defaults() -> dict[str, Any]:
    base = PipelineSettings()
    return {name: getattr(base, name) for name in PIPELINE_KEYS}


def current(store: Store) -> dict[str, Any]:
    """Every studio setting: stored values over PipelineSettings' defaults."""
    stored = store.settings()
    return {key: stored.get(key, value) for key, value in defaults().items()}


def pipeline_overrides(store: Store) -> dict[str, Any]:
    """The stored settings as PipelineSettings keyword arguments (only those set)."""
    stored = store.settings()
    return {name: stored[name] for name in PIPELINE_KEYS if name in stored}


def pipeline_settings(store: Store, **overrides: Any) -> PipelineSettings:
    """Settings for a run started in the studio: the saved settings, then this run's
    choices over them (so a saved prompt version or sandbox limit is never forgotten)."""
    return PipelineSettings(**{**pipeline_overrides(store), **overrides})


def update(store: Store, values: dict[str, Any]) -> None:
    """Store settings (unknown keys are refused, so a typo cannot hide a setting)."""
    unknown = set(values) - set(PIPELINE_KEYS)
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    for key, value in values.items():
        store.set_setting(key, value)


def active_template(store: Store) -> PromptTemplate:
    """The template generations use now: the saved version, else the default one."""
    return load_template(store.get_setting("prompt_template"))


def save_template_version(store: Store, text: str, folder: str | Path) -> PromptTemplate:
    """Check and save an edited template as a new version, and make it the active one.
    Generations record its hash (`generations.prompt_hash`); raises TemplateError."""
    template = save_template(text, folder)
    versions = [v for v in store.get_setting("prompt_versions", []) if v["hash"] != template.hash]
    saved_at = datetime.now(UTC).isoformat(timespec="seconds")
    versions.append({"hash": template.hash, "path": template.path, "saved_at": saved_at})
    store.set_setting("prompt_versions", versions)
    store.set_setting("prompt_template", template.path)
    return template


def template_versions(store: Store) -> list[dict[str, Any]]:
    return list(store.get_setting("prompt_versions", []))
