"""The prompt templates: versioned Markdown files of chat messages with `$placeholders`.

A template's messages are split at `<!-- role: ... -->` markers; its hash names the
version, and generations record it. This module imports no client library, so settings
and pages can read and save templates without loading one.
"""

from __future__ import annotations

import hashlib
import os
import re
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from semi_core.generate.base import FailingTest, RepairTask, SnippetView

DEFAULT_TEMPLATE = "generate_v1.md"
TEMPLATE_ENV = "SEMI_PROMPT_TEMPLATE"
DEFAULT_REPAIR_TEMPLATE = "repair_v1.md"
REPAIR_TEMPLATE_ENV = "SEMI_REPAIR_TEMPLATE"
REPAIR_TESTS_SHOWN = 3  # failing tests a repair request shows
REPAIR_FIELD_CHARS = 600  # each shown input, output and reason is cut to this length

_ROLE_MARKER = re.compile(r"^<!--\s*role:\s*(system|user|assistant)\s*-->[ \t]*$", re.MULTILINE)


class TemplateError(ValueError):
    """The template file cannot be used as a prompt."""


@dataclass(frozen=True)
class PromptTemplate:
    """A chat prompt read from a template file: its messages, with `$placeholders`."""

    text: str
    path: str
    messages: tuple[tuple[str, str], ...]  # (role, content)

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    def render(self, snippet: SnippetView, **more: str) -> list[dict[str, str]]:
        """The chat messages for one snippet (`more`: a repair template's other values)."""
        values = {
            **more,
            "kind": snippet.kind,
            "entry_point": snippet.entry_point
            if snippet.kind == "function" and snippet.entry_point
            else "none (a program that reads standard input)",
            "flags": ", ".join(snippet.flags) or "none",
            "code": snippet.code.strip("\n"),
        }
        # safe_substitute: a stray `$` in an edited template stays text instead of raising
        return [
            {"role": role, "content": string.Template(content).safe_substitute(values)}
            for role, content in self.messages
        ]


def parse_template(text: str, path: str = "<text>") -> PromptTemplate:
    """Split a template's text into messages at its role markers. Raises TemplateError."""
    markers = list(_ROLE_MARKER.finditer(text))
    if not markers:
        raise TemplateError(f"{path}: no `<!-- role: ... -->` marker, so no message")
    messages = []
    for marker, following in zip(markers, [*markers[1:], None], strict=True):
        end = following.start() if following else len(text)
        messages.append((marker.group(1), text[marker.end() : end].strip("\n")))
    if messages[-1][0] != "user":
        raise TemplateError(f"{path}: the last message must be the user's (the snippet)")
    if "$code" not in messages[-1][1] and "${code}" not in messages[-1][1]:
        raise TemplateError(f"{path}: the last user message has no $code placeholder")
    return PromptTemplate(text=text, path=path, messages=tuple(messages))


def default_template_path(name: str = DEFAULT_TEMPLATE) -> Path:
    return Path(str(resources.files("semi_core").joinpath("prompts", name)))


def load_template(
    path: str | os.PathLike[str] | None = None,
    *,
    env: str = TEMPLATE_ENV,
    default: str = DEFAULT_TEMPLATE,
) -> PromptTemplate:
    """The prompt template at `path`, else `$SEMI_PROMPT_TEMPLATE`, else the packaged one.
    `.text` and `.hash` are what a settings page shows and saves."""
    chosen = Path(path or os.environ.get(env) or default_template_path(default))
    try:
        text = chosen.read_text(encoding="utf-8")
    except OSError as error:
        raise TemplateError(f"cannot read the prompt template {chosen}: {error}") from None
    return parse_template(text, str(chosen))


def load_repair_template(path: str | os.PathLike[str] | None = None) -> PromptTemplate:
    """The repair template at `path`, else `$SEMI_REPAIR_TEMPLATE`, else the packaged one."""
    return load_template(path, env=REPAIR_TEMPLATE_ENV, default=DEFAULT_REPAIR_TEMPLATE)


def _bounded(text: str | None, limit: int = REPAIR_FIELD_CHARS) -> str:
    text = "(nothing)" if text is None or text == "" else str(text)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"


def repair_values(task: RepairTask) -> dict[str, str]:
    """A repair template's values beyond the snippet's: the rewrite, the reason, and the
    first `REPAIR_TESTS_SHOWN` failing tests, each field cut to `REPAIR_FIELD_CHARS`."""
    program = task.snippet.kind == "program"

    def shown(test: FailingTest, number: int) -> str:
        given = repr(test.input) if program else f"({test.input})"
        return (
            f"Test {number}\n"
            f"  input ({'standard input' if program else 'arguments'}): {_bounded(given)}\n"
            f"  expected (the original's output): {_bounded(test.expected)}\n"
            f"  the rewrite gave ({test.status}): {_bounded(test.actual)}"
        )

    tests = task.failures[:REPAIR_TESTS_SHOWN]
    failures = "\n\n".join(shown(test, n) for n, test in enumerate(tests, 1))
    return {
        "instruction": (task.previous.instruction or "").strip() or "(none)",
        "rewrite": (task.previous.code or "").strip("\n"),
        "reason": _bounded(task.reason),
        "failures": failures or "(no test ran: see the validation above)",
    }


def save_template(text: str, folder: str | os.PathLike[str]) -> PromptTemplate:
    """Check an edited template and save it as `generate_<hash>.md` in `folder` (saving the
    same text twice writes one file). Returns the saved template; raises TemplateError."""
    template = parse_template(text)
    target = Path(folder) / f"generate_{template.hash}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return PromptTemplate(text=text, path=str(target), messages=template.messages)
