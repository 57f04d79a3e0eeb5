"""Commands that make pairs: ingest, demo, exec, generate, validate, rank, run and runs."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click
from rich.table import Table

from semi_core.cli.base import (
    console,
    main,
    open_store,
    out,
    print_rows,
    progress_bar,
    with_options,
)
from semi_core.sources import IngestReport, ingest, iter_source_files
from semi_core.store import Store

STAGE_NAMES = ("ingest", "generate", "validate", "repair", "rank")


def _print_ingest_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(report.to_dict()))
        return
    for problem in report.problems[:50]:
        console.print(f"[yellow]skipped[/] {problem}", highlight=False, soft_wrap=True)
    if len(report.problems) > 50:
        console.print(f"[yellow]… and {len(report.problems) - 50} more problems[/]")
    table = Table(title="Ingest", show_header=False)
    table.add_row("files read", str(report.files))
    if report.rows:
        table.add_row("dataset rows", str(report.rows))
    table.add_row("snippets found", str(report.found))
    table.add_row("  new", str(report.new))
    table.add_row("  already stored", str(report.already_stored))
    table.add_row("  duplicates", str(report.duplicates))
    for kind, count in sorted(report.kinds.items()):
        table.add_row(f"  kind: {kind}", str(count))
    for reason, count in sorted(report.rejections.items()):
        table.add_row(f"  rejected: {reason}", str(count))
    for flag, count in sorted(report.flags.items()):
        table.add_row(f"  flag: {flag}", str(count))
    for reason, count in sorted(report.skipped_files.items()):
        table.add_row(f"  files skipped: {reason}", str(count))
    table.add_row("problems", str(len(report.problems)))
    table.add_row("seconds", f"{report.seconds:.1f}")
    out.print(table)


def _run_ingest(store: Store, paths: list[str], **options: object) -> IngestReport:
    total = sum(1 for p in paths if Path(p).exists() for _ in iter_source_files(Path(p)))
    with progress_bar() as bar:
        task = bar.add_task("ingest", total=total, current="")
        return ingest(
            store,
            paths,
            on_file=lambda done, path: bar.update(task, completed=done, current=path[-60:]),
            **options,
        )


@main.command("ingest")
@click.argument("paths", nargs=-1, required=True)
@click.option("--code-column", help="Column holding the code in JSONL/JSON/Parquet/CSV files.")
@click.option("--max-lines", default=200, show_default=True, help="Longer snippets are rejected.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def ingest_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    code_column: str | None,
    max_lines: int,
    as_json: bool,
) -> None:
    """Read natural code from Python files, folders and datasets into the store."""
    with open_store(ctx) as store:
        report = _run_ingest(store, list(paths), code_column=code_column, max_lines=max_lines)
    _print_ingest_report(report, as_json)
    if report.found == 0 and report.problems:
        sys.exit(1)


@main.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--run",
    "run",
    is_flag=True,
    help="Then run it through the simulated backend: generate, validate, rank.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many pairs (--run).")
@click.option(
    "--mistake-rate",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Share of snippets given a mistake (--run; default 0.5).",
)
@click.pass_context
def demo_command(
    ctx: click.Context, as_json: bool, run: bool, limit: int | None, mistake_rate: float | None
) -> None:  # fmt: skip
    """Load the demo data: HumanEval's 164 problems and standard-library functions. With
    --run, run it through the simulated backend, whose known mistakes validation and
    review are scored against (`semi stats`)."""
    from semi_core.demo import DEMO_MISTAKE_RATE, DEMO_STAGES, demo_paths, demo_settings

    with open_store(ctx) as store:
        report = _run_ingest(store, [str(p) for p in demo_paths()])
    _print_ingest_report(report, as_json and not run)
    if run:
        rate = DEMO_MISTAKE_RATE if mistake_rate is None else mistake_rate
        _run_stages(ctx, DEMO_STAGES,
                    settings_of=lambda store: demo_settings(store, limit=limit,
                                                            mistake_rate=rate))  # fmt: skip


@main.command("exec")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--entry", "entry_point", help="Function to call (function mode).")
@click.option(
    "--inputs",
    "inputs_path",
    type=click.Path(exists=True, dir_okay=False),
    help='JSONL: one {"args": "1, [2, 3]"} or {"stdin": "..."} per line.',
)
@click.option(
    "--mode", type=click.Choice(["function", "program"]), default="function", show_default=True
)
@click.option(
    "--batch",
    "batch_path",
    type=click.Path(exists=True, dir_okay=False),
    help="JSONL of tasks: id, code, entry_point, mode, inputs.",
)
@click.option("--workers", default=2, show_default=True, help="Worker processes.")
@click.option("--timeout", default=2.0, show_default=True, help="Seconds per test.")
@click.option(
    "--memory",
    "memory_mb",
    default=512,
    show_default=True,
    help="Address-space limit per worker, in MiB.",
)
def exec_command(
    file: str | None,
    entry_point: str | None,
    inputs_path: str | None,
    mode: str,
    batch_path: str | None,
    workers: int,
    timeout: float,
    memory_mb: int,
) -> None:
    """Run code on test inputs in the sandbox; print one JSON line per input."""
    from semi_core.sandbox import Limits
    from semi_core.sandbox.jobs import exec_batch, exec_file

    if bool(batch_path) == bool(file):
        raise click.UsageError("give either FILE with --inputs, or --batch TASKS.jsonl")
    if file and not inputs_path:
        raise click.UsageError("FILE needs --inputs INPUTS.jsonl")
    try:
        limits = Limits(timeout_s=timeout, memory_mb=memory_mb, workers=workers)
        if batch_path:
            lines = exec_batch(batch_path, limits)
        else:
            lines = exec_file(file, entry_point, inputs_path, mode, limits)
        for line in lines:
            click.echo(json.dumps(line, ensure_ascii=False))
    except ValueError as error:
        raise click.UsageError(str(error)) from None


# -- the pipeline: generate, validate, rank, run ---------------------------------------


# The pipeline's options are named after `PipelineSettings`' fields (the flag may differ:
# --timeout sets timeout_s), so a command's options are its settings as they are.


def generation_options(command):
    """The options every command that generates takes."""
    options = [
        click.option("--backend", type=click.Choice(["offline", "openai", "simulated"]),
                     default="offline", show_default=True,
                     help="Who writes the pairs (simulated: offline pairs with known "
                          "mistakes, for demonstrations and practice)."),
        click.option("--mistake-rate", type=click.FloatRange(0.0, 1.0), default=0.3,
                     show_default=True,
                     help="Share of snippets given a mistake (simulated backend)."),
        click.option("--model", envvar="SEMI_MODEL", help="Model name (openai backend)."),
        click.option("--base-url", envvar="OPENAI_BASE_URL",
                     help="OpenAI-compatible endpoint (openai backend)."),
        click.option("--concurrency", default=8, show_default=True,
                     help="Requests in flight (openai backend)."),
        click.option("--inputs-per-pair", default=10, show_default=True,
                     help="Test inputs per pair."),
        click.option("--repair-attempts", type=click.IntRange(0, 10),
                     help="Times a pair whose verdict is mismatch or generated_error goes "
                          "back to the model with its failing tests, the answer validated "
                          "again (default: 1 with the openai backend, 0 with the others, "
                          "which cannot repair). semi generate, which validates nothing "
                          "new, repairs the pairs already found failing."),
    ]  # fmt: skip
    return with_options(command, options)


def sandbox_options(command):
    options = [
        click.option("--limit", type=int, help="At most this many snippets (or pairs)."),
        click.option("--workers", default=2, show_default=True, help="Sandbox worker processes."),
        click.option("--timeout", "timeout_s", default=2.0, show_default=True,
                     help="Seconds per test."),
        click.option("--min-tests", "min_usable_tests", default=3, show_default=True,
                     help="Usable tests a pair needs to be validated."),
        click.option("--no-test-strength", "test_strength", flag_value=False, default=True,
                     help="Skip mutation testing."),
    ]  # fmt: skip
    return with_options(command, options)


def engine_options(command):
    """Where validation runs: this machine's workers, or Ray actors."""
    options = [
        click.option("--engine", type=click.Choice(["local", "ray"]), default="local",
                     show_default=True,
                     help="Validation engine: local worker processes, or Ray actors "
                          "(needs the 'ray' extra)."),
        click.option("--address", "ray_address",
                     help="Ray cluster address, e.g. head-node:6379 (ray engine; default: "
                          "$RAY_ADDRESS, else a local Ray instance)."),
    ]  # fmt: skip
    return with_options(command, options)


def _settings(ctx: click.Context, store: Store, **options: object):
    """The run's settings: the studio's saved settings (prompt version, endpoint, limits),
    then every option given on the command line over them."""
    from click.core import ParameterSource

    from semi_core.pipeline import PipelineSettings
    from semi_core.studio_settings import pipeline_overrides

    fields = {field.name for field in dataclasses.fields(PipelineSettings)}
    values = pipeline_overrides(store)
    for name, value in options.items():
        given = ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)
        if name in fields and value is not None and (given or name not in values):
            values[name] = value
    return PipelineSettings(**values)


def _run_stages(
    ctx: click.Context, stages: tuple[str, ...], paths=(), ids=None, settings_of=None, **options
):
    """Run `stages` with a progress bar and print the run's table. The settings come from
    `settings_of(store)` when given, else from the command's options."""
    from semi_core.engines import EngineError
    from semi_core.pipeline import run_pipeline

    tasks: dict[str, object] = {}
    with open_store(ctx) as store, progress_bar() as bar:
        settings = settings_of(store) if settings_of else _settings(ctx, store, **options)

        def on_event(event) -> None:
            if event.stage not in tasks:
                tasks[event.stage] = bar.add_task(event.stage, total=event.total, current="")
            note = f"{event.failed} failed · {event.rate:.1f}/s"
            if event.eta_s is not None:
                note += f" · {event.eta_s:.0f}s left"
            bar.update(tasks[event.stage], completed=event.done, total=event.total, current=note)

        try:
            result = run_pipeline(
                store, settings, stages=stages, paths=paths, generation_ids=ids, on_event=on_event
            )
        except (ValueError, EngineError) as error:  # the run is recorded as failed
            raise click.ClickException(str(error)) from None
    table = Table(title=f"run {result.run_id}: {result.state} in {result.seconds:.1f}s")
    table.add_column("stage")
    table.add_column("done", justify="right")
    table.add_column("failed", justify="right")
    table.add_column("details")
    for stage, counts in result.counts.items():
        if not isinstance(counts, dict):
            continue
        details = ", ".join(f"{k}: {v}" for k, v in counts.items() if k not in _NOT_DETAILS)
        table.add_row(stage, str(counts.get("done", "")), str(counts.get("failed", "")), details)
    for problem in (result.counts.get("ingest") or {}).get("problem_list", []):
        console.print(f"[yellow]skipped[/] {problem['where']}: {problem['problem']}",
                      highlight=False, soft_wrap=True)  # fmt: skip
    out.print(table)
    if result.state == "cancelled":
        sys.exit(130)


# A stage's counts shown in its own columns, or listed apart (an ingest's problems).
_NOT_DETAILS = ("done", "failed", "problem_list")


@main.command("generate")
@generation_options
@sandbox_options
@click.pass_context
def generate_command(ctx: click.Context, **options: object) -> None:
    """Write instruction, code and test inputs for snippets that have none yet; with a
    backend that repairs, send pairs already found failing back to the model (see
    --repair-attempts)."""
    _run_stages(ctx, ("generate",), **options)


@main.command("validate")
@sandbox_options
@engine_options
@click.option("--pair", "pairs", multiple=True, help="Revalidate this pair (generation id).")
@click.pass_context
def validate_command(ctx: click.Context, pairs: tuple[str, ...], **options: object) -> None:
    """Run the originals (the oracle) and the rewrites on the test inputs; store verdicts.
    With --pair, revalidate those pairs as a new validation run. With --engine ray,
    batches of pairs run on Ray actors (a cluster at --address, else a local Ray)."""
    _run_stages(ctx, ("validate",), ids=list(pairs) or None, **options)


@main.command("rank")
@click.pass_context
def rank_command(ctx: click.Context) -> None:
    """Compute difficulty signals, scores and buckets for validated pairs."""
    _run_stages(ctx, ("rank",))


@main.command("run")
@click.argument("paths", nargs=-1)
@generation_options
@sandbox_options
@engine_options
@click.pass_context
def run_command(ctx: click.Context, paths: tuple[str, ...], **options: object) -> None:
    """Every stage: ingest PATHS (if given), generate, validate, repair (a backend that
    repairs: see --repair-attempts), rank. Resumable: run it again after an interruption
    and it continues where it stopped."""
    stages = ("ingest", "generate", "validate", "rank") if paths else (
        "generate", "validate", "rank")  # fmt: skip
    _run_stages(ctx, stages, paths=paths, **options)


@main.command("runs")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def runs_command(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Past runs: kind, state, parameters and counts; for a run that repaired, its yield
    of validated pairs at the first attempt and after repair."""
    with open_store(ctx) as store:
        runs = store.runs(limit=limit)

    def row(run: dict) -> list[str]:
        summary = ", ".join(
            f"{k}: {v.get('done', v.get('new', v)) if isinstance(v, dict) else v}"
            for k, v in run["counts"].items()
            if k in STAGE_NAMES or k in ("new", "found")
        )
        if run["counts"].get("yield"):
            found = run["counts"]["yield"]
            summary += (f"; validated: {found['first_attempt']} at the first attempt, "
                        f"{found['after_repair']} after repair")  # fmt: skip
        return [run["id"], run["kind"], run["state"], str(run["started_at"])[:19],
                str(run["ended_at"] or "")[:19], summary]  # fmt: skip

    print_rows(runs, ("id", "kind", "state", "started", "ended", "counts"), row, as_json)
