"""Shared fixtures: a real DuckDB file per test, and helpers to write input files."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from semi_core.store import Store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def store(db_path: Path):
    with Store(db_path) as opened:
        yield opened


def memory_limit_mib(store: Store) -> float:
    """DuckDB's memory limit now, in MiB (long work lowers it: see `bound_work_memory`)."""
    # fetchall, not fetchone: DuckDB keeps a result not read to its end open on the
    # cursor, and the store's next `register` on it would be refused.
    ((shown,),) = store.cursor().execute("SELECT current_setting('memory_limit')").fetchall()
    number, unit = shown.split()
    return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit]


def write(path: Path, text: str) -> Path:
    """Write dedented text to `path`, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def run_semi(
    *args: str, db: Path, cwd: Path | None = None, **kwargs
) -> subprocess.CompletedProcess:
    """Run the real `semi` console command in a subprocess."""
    env = {**os.environ, "SEMI_DB": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "semi_core.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=300,
        **kwargs,
    )


HOLDER = textwrap.dedent(
    """
    import sys, time
    from semi_core.store import Store
    store = Store(sys.argv[1])
    print("ready", flush=True)
    time.sleep(60)
    """
)


@contextmanager
def held_by_another_process(db_path: Path) -> Iterator[subprocess.Popen]:
    """A second real process holding the database open, as a running studio would."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def code_blocks(container: Any) -> list[tuple[str, str | None]]:
    """The blocks of code shown in an AppTest app or block (`st.code`), in page order:
    each as its text and language."""
    found = []
    root = getattr(container, "_tree", container)  # an AppTest: its whole element tree
    for node in getattr(root, "children", {}).values():
        if getattr(node, "type", None) == "code":
            found.append((node.value, node.language or None))
        else:
            found.extend(code_blocks(node))
    return found
