"""Imports run one way: import-linter's contracts in pyproject.toml hold for the project,
and break on an upward import, a UI import in the engine, a page importing a page, a
client library imported by the prompt templates, or an engine importing the store."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """`lint-imports` on the project at `root` (its packages first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_contracts(tmp_path):
    for folder in ("semi_core", "studio", "pages"):
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", tmp_path)

    def add_line(path: str, line: str) -> None:
        with open(tmp_path / path, "a", encoding="utf-8") as file:
            file.write(f"\n{line}  # noqa\n")

    add_line("semi_core/validate.py", "from semi_core import pipeline")
    add_line("semi_core/review.py", "import streamlit")
    add_line("pages/run.py", "from pages import review")
    add_line("semi_core/generate/prompt.py", "import openai")
    add_line("semi_core/engines/local.py", "from semi_core.store import Store")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 5 broken" in result.stdout
    assert "semi_core.validate is not allowed to import semi_core.pipeline" in result.stdout
    assert "semi_core.review -> streamlit" in result.stdout
    assert "pages.run is not allowed to import pages.review" in result.stdout
    assert "semi_core.generate.prompt -> openai" in result.stdout
    assert "semi_core.engines.local -> semi_core.store" in result.stdout


def test_the_settings_import_no_llm_client():
    """Settings and prompt templates are read by pages that never call a model: importing
    them must not import the OpenAI client."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c",
         "import semi_core.studio_settings, semi_core.generate.prompt"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if "openai" in line] == []
