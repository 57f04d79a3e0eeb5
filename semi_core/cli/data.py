"""Commands that read the store: stats, export, and the studio's password hashes."""

from __future__ import annotations

import json

import click
from rich.table import Table

from semi_core.cli.audit import print_audit
from semi_core.cli.base import (
    console,
    main,
    open_store,
    out,
    progress_bar,
)


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
        print_audit(audit)


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
