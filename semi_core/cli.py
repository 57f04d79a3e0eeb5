"""`semi`: the command line. A thin skin over the library: every command parses its
options, calls one plain function of `semi_core`, and prints the result."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from semi_core.sources import IngestReport, ingest, iter_source_files
from semi_core.store import Store, StoreError, default_db_path

console = Console(stderr=True)
out = Console()


@contextmanager
def open_store(ctx: click.Context) -> Iterator[Store]:
    """Open the database named by --db, turning store errors into one clear line."""
    try:
        store = Store(ctx.obj["db"])
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    try:
        yield store
    finally:
        store.close()


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}", style="dim"),
        console=console,
        transient=True,
    )


@click.group()
@click.option(
    "--db",
    default=default_db_path,
    show_default="$SEMI_DB, else semi.duckdb",
    help="DuckDB database file.",
)
@click.version_option(package_name="semi-instruct-studio")
@click.pass_context
def main(ctx: click.Context, db: str) -> None:
    """Semi-Instruct Studio: natural code in, validated instruction-code pairs out."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


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


@main.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_context
def stats_command(ctx: click.Context, as_json: bool) -> None:
    """Counts per entity and per status."""
    from semi_core.agreement import decision_rule
    from semi_core.assignment import progress
    from semi_core.audit import audit_report
    from semi_core.scoreboard import scoreboard

    with open_store(ctx) as store:
        counts = store.counts()
        rule = decision_rule(store)
        simulated = scoreboard(store).to_dict()
        strength = store.test_strength_totals()
        audit, annotators = audit_report(store), progress(store)
    if as_json:
        out.print_json(json.dumps({**counts.to_dict(), "test_strength": strength,
                                   "simulated": simulated, "audit": audit,
                                   "annotators": annotators}))  # fmt: skip
        return
    table = Table(title=f"{ctx.obj['db']}")
    table.add_column("entity")
    table.add_column("rows", justify="right")
    table.add_column("by status")
    for entity, total in counts.entities.items():
        detail = counts.by_status.get(entity, {})
        table.add_row(entity, str(total), ", ".join(f"{k}: {v}" for k, v in detail.items()))
    kinds = counts.by_status.get("snippet_kinds", {})
    if kinds:
        table.add_row("  snippet kinds", "", ", ".join(f"{k}: {v}" for k, v in kinds.items()))
    decisions = ", ".join(f"{k}: {v}" for k, v in counts.by_status["decisions"].items())
    table.add_row("  pair decisions", "", f"{decisions or 'none'} ({rule.describe()})")
    out.print(table)
    if strength["pairs"]:
        out.print(_strength_text(strength), soft_wrap=True)
    if simulated["injected"]:
        _print_scoreboard(simulated)
    if audit:
        _print_audit(audit)


def _strength_text(totals: dict[str, int]) -> str:
    """`semi stats`' line on what the tests of the validated pairs catch and reach."""

    def share(part: int, whole: int) -> str:
        return f"{part}/{whole}" + (f" ({part / whole:.1%})" if whole else "")

    killed = share(totals["mutants_killed"], totals["mutants_tried"])
    branches = share(totals["branches_covered"], totals["branches_known"])
    killing = share(totals["killing_tests"], totals["tests"])
    return (
        f"Test strength of {totals['pairs']} validated pairs: mutants killed {killed}, "
        f"branches covered {branches}, tests that killed a mutant first {killing}"
    )


def _print_scoreboard(simulated: dict) -> None:
    """The simulated mistakes against what validation and review made of them."""
    from semi_core.scoreboard import OUTCOMES

    headings = {"injected": "made", "equivalent": "equiv.", "caught_by_validation": "caught",
                "slipped": "slipped", "caught_by_review": "rev. rejected",
                "missed_by_review": "rev. accepted", "excluded_otherwise": "other",
                "pending": "pending"}  # fmt: skip
    table = Table(title="Simulated mistakes: what validation and review caught")
    table.add_column("kind")
    for outcome in OUTCOMES:
        table.add_column(headings[outcome], justify="right")
    table.add_column("catch rate", justify="right")

    def rate(value: float | None) -> str:
        return "" if value is None else f"{value:.0%}"

    for kind, counts in simulated["by_kind"].items():
        table.add_row(kind, *(str(counts[o]) for o in OUTCOMES), rate(counts["catch_rate"]))
    table.add_row("all", *(str(simulated[o]) for o in OUTCOMES), rate(simulated["catch_rate"]))
    out.print(table)
    if simulated["slipped_ids"]:
        out.print(f"slipped (validated despite the mistake): {', '.join(simulated['slipped_ids'])}")


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
    for option in reversed(options):
        command = option(command)
    return command


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
    for option in reversed(options):
        command = option(command)
    return command


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
    for option in reversed(options):
        command = option(command)
    return command


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

    _print_rows(runs, ("id", "kind", "state", "started", "ended", "counts"), row, as_json)


def _print_rows(rows: list[dict], columns, to_cells, as_json: bool) -> None:
    """Rows as JSON, or as a table of `columns` with cells from `to_cells(row)`."""
    if as_json:
        out.print_json(json.dumps(rows, default=str))
        return
    table = Table()
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*to_cells(row))
    out.print(table)


# fmt: off
@main.command("export")
@click.argument("out_path", metavar="OUT", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]),
              help="File format (default: from OUT's name, else jsonl).")
@click.option("--schema", type=click.Choice(["alpaca", "chat", "full"]), default="alpaca",
              show_default=True, help="Record layout.")
@click.option("--status", type=click.Choice(["accepted", "validated", "all"]),
              default="accepted", show_default=True,
              help="accepted in review; validated and not yet reviewed; all validated.")
@click.option("--order", type=click.Choice(["curriculum", "reverse", "shuffle"]),
              default="curriculum", show_default=True, help="easy → hard, hard → easy, shuffled.")
@click.option("--seed", default=0, show_default=True, help="Seed for shuffling and mixing.")
@click.option("--min-difficulty", type=float, help="Lowest difficulty score (0..1).")
@click.option("--max-difficulty", type=float, help="Highest difficulty score (0..1).")
@click.option("--source", "sources", multiple=True, help="Only pairs from this source.")
@click.option("--buckets", is_flag=True, help="One file per difficulty bucket.")
@click.option("--mix", "mix_path", type=click.Path(exists=True, dir_okay=False),
              help="Instruction dataset to mix in (JSONL/Parquet, instruction + output).")
@click.option("--ratio", type=float, help="Share of mixed-in records in the output (0..1).")
@click.option("--decontaminate", "benchmarks", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="Benchmark file to decontaminate against (repeatable; HumanEval always).")
@click.option("--no-humaneval", is_flag=True, help="Do not check against HumanEval.")
@click.option("--include-contaminated", is_flag=True, help="Keep flagged records.")
@click.option("--include-simulated", is_flag=True,
              help="Keep pairs of the simulated backend (they carry known mistakes).")
@click.option("--ngram", default=10, show_default=True, help="Words per n-gram (decontamination).")
@click.option("--no-dedup", is_flag=True, help="Keep exact and near duplicates.")
@click.option("--near-dup-threshold", default=0.85, show_default=True,
              help="MinHash similarity at which code counts as a near duplicate.")
@click.option("--dry-run", is_flag=True, help="Show the summary; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
# fmt: on
def export_command(
    ctx: click.Context, out_path: str, fmt: str | None, schema: str, status: str, order: str,
    seed: int, min_difficulty: float | None, max_difficulty: float | None,
    sources: tuple[str, ...], buckets: bool, mix_path: str | None, ratio: float | None,
    benchmarks: tuple[str, ...], no_humaneval: bool, include_contaminated: bool,
    include_simulated: bool, ngram: int, no_dedup: bool, near_dup_threshold: float,
    dry_run: bool, as_json: bool,
) -> None:  # fmt: skip
    """Write pairs as training data (JSONL or Parquet): selected, ordered, mixed,
    deduplicated and decontaminated; prints what was written and what was left out."""
    from semi_core.export import ExportError, ExportOptions, plan_export, write_plan

    difficulty = None
    if min_difficulty is not None or max_difficulty is not None:
        difficulty = (min_difficulty or 0.0, 1.0 if max_difficulty is None else max_difficulty)
    options = ExportOptions(
        format=fmt, schema=schema, status=status, difficulty=difficulty, sources=sources,
        order=order, seed=seed, buckets_as_files=buckets, mix_path=mix_path, mix_ratio=ratio,
        decontaminate=benchmarks, humaneval=not no_humaneval,
        include_contaminated=include_contaminated, include_simulated=include_simulated,
        ngram=ngram, dedup=not no_dedup,
        near_dup_threshold=near_dup_threshold,
    )  # fmt: skip
    with open_store(ctx) as store, progress_bar() as bar:
        tasks: dict[str, object] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total, current="")
            bar.update(tasks[stage], completed=done, total=total)

        try:
            plan = plan_export(store, options, on_progress)
            report = plan.report if dry_run else write_plan(plan, out_path, on_progress)
        except ExportError as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), default=str))
        return
    for problem in report.problems[:20]:
        console.print(f"[yellow]skipped[/] {problem}", highlight=False, soft_wrap=True)
    for flag in report.contaminated[:20]:
        console.print(f"[yellow]contaminated[/] {flag.id} ({flag.kind}) ~ "
                      f"{flag.overlap.benchmark} {flag.overlap.item}: "
                      f"{flag.overlap.text[:100]!r}", highlight=False, soft_wrap=True)  # fmt: skip
    if len(report.contaminated) > 20:
        console.print(f"[yellow]… and {len(report.contaminated) - 20} more flagged records[/]")
    for line in report.summary():
        out.print(line, highlight=False, soft_wrap=True)
    for pair in report.disputed[:SHOWN_DISPUTED]:
        votes = ", ".join(f"{name} {vote}" for name, vote in pair["votes"].items())
        out.print(f"disputed {pair['id']}: {votes}", highlight=False, soft_wrap=True)
    if len(report.disputed) > SHOWN_DISPUTED:
        hidden = len(report.disputed) - SHOWN_DISPUTED
        out.print(f"… and {hidden} more disputed pairs (--json lists them all)")
    table = Table(title="Dry run: nothing written" if dry_run else "Files written")
    for column in ("file", "bucket", "records", "bytes"):
        table.add_column(column, justify="right" if column in ("records", "bytes") else "left")
    for written in report.files:
        table.add_row(written["path"], written["bucket"] or "", str(written["records"]),
                      str(written["bytes"]))  # fmt: skip
    if not dry_run:
        out.print(table)


STAGE_NAMES = ("ingest", "generate", "validate", "repair", "rank")
SHOWN_DISPUTED = 50  # disputed pairs an export's text report lists (--json lists all)


@main.command("hash-password")
@click.password_option(help="The password (asked twice when not given).")
def hash_password_command(password: str) -> None:
    """Print a password hash for a studio account in .streamlit/secrets.toml.

    \b
    Accounts turn the studio's sign-in on; [roles] makes an account an admin:
      [annotators]
      ada = "<the printed hash>"
      lin = "<another hash>"
      [roles]
      lin = "admin"
    An annotator reviews; an admin also changes settings, starts and cancels runs,
    exports and settles disagreements. An account not in [roles] is an annotator.
    """
    from semi_core.auth import hash_password

    click.echo(hash_password(password))


# -- review ----------------------------------------------------------------------------

annotator_option = click.option(
    "--annotator", envvar="SEMI_ANNOTATOR", required=True, help="Your name ($SEMI_ANNOTATOR)."
)


verdict_option = click.option(
    "--verdict",
    help="The verdict id you decided on (refused if it is no longer current); by default "
    "the pair's current verdict.",
)


reason_option = click.option(
    "--reason", "reasons", multiple=True,
    help="A reject's reason, from `semi reasons list` (repeatable).",
)  # fmt: skip


def _record_decision(
    ctx: click.Context, pair_id: str, decision: str, note: str | None, annotator: str,
    *, final: bool = False, verdict: str | None = None, audit: str | None = None,
    reasons: tuple[str, ...] = (),
) -> None:  # fmt: skip
    from semi_core.review import ReviewError, decide

    with open_store(ctx) as store:
        try:
            event = decide(store, pair_id, annotator, decision, note, final=final,
                           verdict_id=verdict, audit=audit, reasons=reasons)  # fmt: skip
        except ReviewError as error:
            raise click.ClickException(str(error)) from None
    kind = f"final {decision}" if final else decision
    why = f" ({', '.join(reasons)})" if reasons else ""
    out.print(f"{kind}{why} recorded for {pair_id} by {annotator} (event {event})",
              highlight=False)  # fmt: skip


@main.command("review")
@click.argument("pair_id")
@click.argument("decision", type=click.Choice(["accept", "reject", "skip"]))
@click.option("--note", help="Why.")
@reason_option
@verdict_option
@click.option("--audit", help="The audit whose pair this is, decided blind to the verdict.")
@annotator_option
@click.pass_context
def review_command(ctx: click.Context, **decision: str) -> None:
    """Record a decision on a pair: accept, reject or skip. The decision records the
    verdict it was made on."""
    _record_decision(ctx, **decision)


@main.command("settle")
@click.argument("pair_id")
@click.argument("decision", type=click.Choice(["accept", "reject"]))
@click.option("--note", help="Why.")
@reason_option
@verdict_option
@annotator_option
@click.pass_context
def settle_command(ctx: click.Context, **decision: str) -> None:
    """Settle a disagreement with a final decision (it wins over every annotator's vote)."""
    _record_decision(ctx, **decision, final=True)


@main.command("decision-rule")
@click.argument("rule", required=False, type=click.Choice(["unanimous", "majority"]))
@click.option("--min-votes", type=int, help="Votes a majority needs (majority rule).")
@click.option("--json", "as_json", is_flag=True, help="Print the rule as JSON.")
@click.pass_context
def decision_rule_command(
    ctx: click.Context, rule: str | None, min_votes: int | None, as_json: bool
) -> None:
    """Show or set how votes decide a pair. unanimous: accepted (or rejected) when settled
    so or when every voter agrees; majority: also when strictly more than half of at least
    --min-votes votes agree. Any other pair with votes is disputed, never exported as
    accepted."""
    from semi_core.agreement import decision_rule, set_decision_rule

    if rule is None and min_votes is not None:
        raise click.UsageError("--min-votes goes with a RULE (majority)")
    with open_store(ctx) as store:
        try:
            current = decision_rule(store) if rule is None else set_decision_rule(
                store, rule, min_votes)  # fmt: skip
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(current.to_dict()))
        return
    out.print(f"decision rule: {current.rule} ({current.describe()})", highlight=False)


def _print_audit(report: dict) -> None:
    """An audit's precision per stratum and overall, with its 95% Wilson interval."""
    table = Table(title=f"Audit {report['id']} (by {report['by']}): share people accept")
    for column in ("stratum", "accepted", "decided", "sampled", "split", "share", "95% interval"):
        table.add_column(column, justify="left" if column == "stratum" else "right")

    def cells(name: str, row: dict) -> list[str]:
        low_high = row["interval"]
        interval = f"{low_high[0]:.1%} – {low_high[1]:.1%}" if low_high else "–"
        share = "–" if row["share"] is None else f"{row['share']:.1%}"
        return [name, str(row["accepted"]), str(row["decided"]), str(row["sampled"]),
                str(row["split"]), share, interval]  # fmt: skip

    for row in report["strata"]:
        table.add_row(*cells(row["stratum"], row))
    table.add_row(*cells("all", report["overall"]))
    out.print(table)


@main.command("audit")
@click.option("--sample", "n", type=int, help="Draw a new audit of this many validated pairs.")
@click.option("--by", type=click.Choice(["bucket", "source", "backend"]), default="bucket",
              show_default=True, help="Strata: difficulty bucket, source or backend.")
@click.option("--seed", default=0, show_default=True, help="Seed of the random draw.")
@click.option("--id", "audit_id", help="Show this audit (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def audit_command(
    ctx: click.Context, n: int | None, by: str, seed: int, audit_id: str | None, as_json: bool
) -> None:
    """Draw a stratified random sample of validated pairs into an audit queue (--sample),
    or show an audit: the share of its pairs people accept, blind to the verdict, per
    stratum and overall, with a 95% Wilson interval. Review it on the Review page's Audit
    queue, or with `semi queue --audit` and `semi review PAIR accept --audit`."""
    from semi_core.audit import AuditError, audit_report, draw_audit

    with open_store(ctx) as store:
        try:
            drawn = None if n is None else draw_audit(store, n, by, seed)
            report = audit_report(store, drawn.id if drawn else audit_id)
        except AuditError as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps({**(drawn.to_dict() if drawn else {}), "report": report}))
        return
    if drawn:
        strata = ", ".join(f"{name}: {count}" for name, count in drawn.strata.items())
        how = "drew" if drawn.new else "already drawn:"
        out.print(f"{how} {drawn.sampled} of {drawn.population} validated pairs into audit "
                  f"{drawn.id} ({strata})", highlight=False)  # fmt: skip
    if report is None:
        raise click.ClickException("no audit yet: draw one with semi audit --sample N")
    _print_audit(report)


@main.command("overlap")
@click.argument("share", required=False, type=float)
@click.option("--json", "as_json", is_flag=True, help="Print the setting as JSON.")
@click.pass_context
def overlap_command(ctx: click.Context, share: float | None, as_json: bool) -> None:
    """Show or set the share of pairs (0 to 1) that go to two annotators, blind to each
    other, for agreement; every other pair goes to one annotator only."""
    from semi_core.assignment import set_overlap

    with open_store(ctx) as store:
        try:
            current = store.overlap() if share is None else set_overlap(store, share)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps({"overlap": current}))
        return
    out.print(f"overlap: {current:.0%} of pairs go to two annotators", highlight=False)


@main.command("undo")
@annotator_option
@click.pass_context
def undo_command(ctx: click.Context, annotator: str) -> None:
    """Undo your latest decision (a bulk action's as one: all of its pairs)."""
    from semi_core.review import undo_last, undone_text

    with open_store(ctx) as store:
        undone = undo_last(store, annotator)
        if undone is None:
            raise click.ClickException(f"{annotator} has no decision to undo")
        out.print(f"undid {undone_text(store, undone)}", highlight=False)


def bulk_options(command):
    """The review queue's filters (as on Review) and the bulk decision's own options."""
    options = [
        click.option("--annotator", envvar="SEMI_ANNOTATOR", default="",
                     help="Your name ($SEMI_ANNOTATOR)."),
        click.option("--status", "statuses", multiple=True,
                     help="Verdict status (repeatable)."),
        click.option("--search", help="Text in the instruction, code or name, or a pair id."),
        click.option("--min-difficulty", type=float, help="Least difficulty (0 to 1)."),
        click.option("--max-difficulty", type=float, help="Greatest difficulty (0 to 1)."),
        click.option("--min-strength", type=float, help="Least test strength (0 to 1)."),
        click.option("--source", help="What was ingested (a folder, file or dataset)."),
        click.option("--origin", help="Pairs with a test input of this origin."),
        click.option("--failure", help="A test of the rewrite ended so, or the verdict's status."),
        click.option("--include-decided", is_flag=True,
                     help="Also pairs a person already accepted or rejected."),
        click.option("--dry-run", is_flag=True, help="Count and list them; record nothing."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
        click.pass_context,
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


@main.group("bulk")
def bulk_group() -> None:
    """Accept or reject every pair a filter matches, as one action that `semi undo`
    takes back as one. Pairs a person already decided are left alone unless
    --include-decided."""


def _bulk_cells(row: dict) -> list[str]:
    difficulty = "" if row["difficulty"] is None else f"{row['difficulty']:.2f}"
    return [row["id"], row["name"], row["status"] or "", difficulty]


def _bulk(ctx: click.Context, action: str, **options: object) -> None:
    from semi_core.bulk_decisions import bulk_decide
    from semi_core.review import ReviewError

    low, high = options.pop("min_difficulty"), options.pop("max_difficulty")
    difficulty = None
    if low is not None or high is not None:
        difficulty = (0.0 if low is None else low, 1.0 if high is None else high)
    filters = {
        "statuses": list(options.pop("statuses")) or None,
        "difficulty": difficulty,
        "min_strength": options.pop("min_strength"),
        **{name: options.pop(name) for name in ("search", "source", "origin", "failure")},
    }
    as_json = options.pop("as_json")
    with open_store(ctx) as store:
        try:
            result = bulk_decide(store, options.pop("annotator"), action, filters, **options)
        except ReviewError as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.to_dict(), default=str))
        return
    out.print(result.sentence(), highlight=False)
    if result.sample:
        _print_rows(result.sample, ("id", "name", "status", "difficulty"), _bulk_cells, False)


@bulk_group.command("accept")
@bulk_options
def bulk_accept_command(ctx: click.Context, **options: object) -> None:
    """Accept every pair the filters match that has a verdict (a pair not validated yet
    cannot be accepted)."""
    _bulk(ctx, "accept", **options)


@bulk_group.command("reject")
@bulk_options
@reason_option
def bulk_reject_command(ctx: click.Context, **options: object) -> None:
    """Reject every pair the filters match, each with the reasons given."""
    _bulk(ctx, "reject", **options)


@bulk_group.command("undo")
@click.argument("bulk_id", type=int)
@click.option("--annotator", envvar="SEMI_ANNOTATOR", default="", help="Your name.")
@click.pass_context
def bulk_undo_command(ctx: click.Context, bulk_id: int, annotator: str) -> None:
    """Undo a bulk action of yours as one, latest or not (`semi undo` takes the latest)."""
    from semi_core.bulk_decisions import undo_bulk
    from semi_core.review import ReviewError

    with open_store(ctx) as store:
        try:
            undone = undo_bulk(store, bulk_id, annotator)
        except ReviewError as error:
            raise click.ClickException(str(error)) from None
    out.print(f"undid bulk {undone['action']} {bulk_id} ({undone['undone']} pairs)",
              highlight=False)  # fmt: skip


@bulk_group.command("list")
@click.option("--annotator", envvar="SEMI_ANNOTATOR", help="Only this annotator's.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def bulk_list_command(ctx: click.Context, annotator: str | None, as_json: bool) -> None:
    """Bulk actions, newest first: who, what, how many pairs, the filters, when undone."""
    from semi_core.bulk_decisions import bulk_history

    with open_store(ctx) as store:
        rows = bulk_history(store, annotator)
    _print_rows(rows, ("id", "annotator", "action", "pairs", "filters", "at", "undone"),
                lambda row: [str(row["id"]), row["annotator"], row["action"], str(row["count"]),
                             json.dumps(row["filters"]), str(row["created_at"])[:19],
                             str(row["undone_at"] or "")[:19]], as_json)  # fmt: skip


@main.command("queue")
@annotator_option
@click.option("--status", "statuses", multiple=True, help="Verdict status (repeatable).")
@click.option("--search", help="Text in the instruction, code or name.")
@click.option("--reason", help="Only pairs you rejected for this reason.")
@click.option("--limit", default=20, show_default=True)
@click.option("--audit", "audit", is_flag=True,
              help="The latest audit's pairs, without their verdict or scores.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def queue_command(
    ctx: click.Context, annotator: str, statuses: tuple[str, ...], search: str | None,
    reason: str | None, limit: int, audit: bool, as_json: bool,
) -> None:  # fmt: skip
    """Pairs waiting for your review (only pairs assigned to you), undecided first."""
    from semi_core.audit import latest_audit_id

    with open_store(ctx) as store:
        audit_id = latest_audit_id(store) if audit else None
        if audit and audit_id is None:
            raise click.ClickException("no audit yet: draw one with semi audit --sample N")
        rows = store.review_queue(annotator, statuses=statuses or None, search=search,
                                  reason=reason, limit=limit, audit=audit_id)  # fmt: skip
    if audit_id:
        rows = [{"id": r["id"], "name": r["name"], "audit": audit_id,
                 "my_decision": r["my_decision"]} for r in rows]  # fmt: skip
        _print_rows(rows, ("id", "name", "audit", "mine"),
                    lambda r: [r["id"], r["name"], r["audit"], r["my_decision"] or ""],
                    as_json)  # fmt: skip
        return

    def cells(row: dict) -> list[str]:
        passed = f"{row['passed']}/{row['usable']}" if row["usable"] is not None else ""
        difficulty = f"{row['difficulty']:.2f}" if row["difficulty"] is not None else ""
        return [row["id"], row["name"], row["status"] or "", passed, difficulty,
                row["my_decision"] or ""]  # fmt: skip

    _print_rows(rows, ("id", "name", "status", "passed", "difficulty", "mine"), cells, as_json)


@main.command("add-test")
@click.argument("pair_id")
@click.option("--args", "args", help="The function's arguments, a Python literal list: "
              "'[1, 2], 3' or 'xs=[1]'.")  # fmt: skip
@click.option("--stdin", help="The program's standard input.")
@annotator_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def add_test_command(
    ctx: click.Context, pair_id: str, args: str | None, stdin: str | None, annotator: str,
    as_json: bool,
) -> None:  # fmt: skip
    """Add a test input to a pair: the original gives the expected output (in the
    sandbox), the pair is validated again as a new run, and the new verdict is printed."""
    from semi_core.annotator_tests import AddTestError, add_test

    with open_store(ctx) as store:
        try:
            added = add_test(store, pair_id, annotator, args=args, stdin=stdin)
        except AddTestError as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(added.to_dict()))
        return
    out.print(added.sentence(), highlight=False, soft_wrap=True)


@main.command("history")
@click.argument("pair_id")
@click.pass_context
def history_command(ctx: click.Context, pair_id: str) -> None:
    """Every review event of a pair."""
    from semi_core.review import action_label, history

    with open_store(ctx) as store:
        events = history(store, pair_id)
    for event in events:
        undone = f" (undone by {event['undone_by']})" if event["undone_by"] else ""
        note = f": {event['note']}" if event["note"] else ""
        why = f" ({', '.join(event['reasons'])})" if event.get("reasons") else ""
        out.print(f"{str(event['created_at'])[:19]} {event['annotator']} {action_label(event)}"
                  f"{why}{undone}{note}", highlight=False)  # fmt: skip


# -- guidelines and reject reasons -----------------------------------------------------


@main.group("guidelines")
def guidelines_group() -> None:
    """Annotation guidelines: versioned Markdown, the latest shown beside each pair."""


@guidelines_group.command("show")
@click.option("--version", "number", type=int, help="An older version (default: the latest).")
@click.pass_context
def guidelines_show(ctx: click.Context, number: int | None) -> None:
    """Print the guidelines' Markdown."""
    from semi_core import guidelines

    with open_store(ctx) as store:
        try:
            found = guidelines.latest(store) if number is None else guidelines.version(
                store, number)  # fmt: skip
        except guidelines.GuidelinesError as error:
            raise click.ClickException(str(error)) from None
    if found is None:
        raise click.ClickException("no guidelines yet: save some with `semi guidelines set`")
    click.echo(found["markdown"])


@guidelines_group.command("set")
@click.option("--file", "path", required=True, type=click.File("r", encoding="utf-8"),
              help="A Markdown file ('-': standard input).")  # fmt: skip
@click.option("--author", envvar="SEMI_ANNOTATOR", help="Who wrote it ($SEMI_ANNOTATOR).")
@click.pass_context
def guidelines_set(ctx: click.Context, path, author: str | None) -> None:
    """Save a file as the guidelines' new version."""
    from semi_core import guidelines

    with open_store(ctx) as store:
        try:
            saved = guidelines.save(store, path.read(), author)
        except guidelines.GuidelinesError as error:
            raise click.ClickException(str(error)) from None
    out.print(f"saved guidelines version {saved['version']}", highlight=False)


@guidelines_group.command("history")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def guidelines_history(ctx: click.Context, as_json: bool) -> None:
    """Every version of the guidelines, newest first."""
    from semi_core import guidelines

    with open_store(ctx) as store:
        rows = guidelines.versions(store)

    def cells(row: dict) -> list[str]:
        return [str(row["version"]), row["author"] or "", str(row["created_at"])[:19],
                str(row["characters"])]  # fmt: skip

    _print_rows(rows, ("version", "author", "saved", "characters"), cells, as_json)


@main.group("reasons")
def reasons_group() -> None:
    """The reasons a reject may give (`semi review PAIR reject --reason ...`)."""


@reasons_group.command("list")
@click.option("--counts", is_flag=True, help="With how many counting rejects give each.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def reasons_list(ctx: click.Context, counts: bool, as_json: bool) -> None:
    """The reason list, in order (the studio's keys 1-9 follow it)."""
    from semi_core import guidelines

    with open_store(ctx) as store:
        names = guidelines.reasons(store)
        found = {r["reason"]: r for r in guidelines.reason_counts(store)} if counts else {}
    rows = [{"key": n if n <= 9 else None, "reason": name}
            | ({"rejects": found.get(name, {}).get("rejects", 0)} if counts else {})
            for n, name in enumerate(names, 1)]  # fmt: skip
    columns = ("key", "reason", "rejects") if counts else ("key", "reason")
    _print_rows(rows, columns, lambda r: [str(r[c] or "") for c in columns], as_json)


@reasons_group.command("set")
@click.argument("names", nargs=-1, required=True)
@click.pass_context
def reasons_set(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Replace the reason list: each NAME a reason, in the order shown."""
    from semi_core import guidelines

    with open_store(ctx) as store:
        try:
            saved = guidelines.set_reasons(store, names)
        except guidelines.GuidelinesError as error:
            raise click.ClickException(str(error)) from None
    out.print(f"{len(saved)} reasons: {', '.join(saved)}", highlight=False, soft_wrap=True)


if __name__ == "__main__":
    main()
