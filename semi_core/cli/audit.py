"""Commands that measure review: an audit of the automatic filter, and the overlap of
annotators' queues."""

from __future__ import annotations

import json

import click
from rich.table import Table

from semi_core.cli.base import (
    main,
    open_store,
    out,
)


def print_audit(report: dict) -> None:
    """An audit's precision per stratum and overall, with its 95% Wilson interval."""
    from semi_core.audit import interval_text, share_text

    table = Table(title=f"Audit {report['id']} (by {report['by']}): share people accept")
    for column in ("stratum", "accepted", "decided", "sampled", "split", "share", "95% interval"):
        table.add_column(column, justify="left" if column == "stratum" else "right")

    def cells(name: str, row: dict) -> list[str]:
        return [name, str(row["accepted"]), str(row["decided"]), str(row["sampled"]),
                str(row["split"]), share_text(row["share"]),
                interval_text(row["interval"])]  # fmt: skip

    for row in report["strata"]:
        table.add_row(*cells(row["stratum"], row))
    table.add_row(*cells("all", report["overall"]))
    out.print(table)


@main.command("audit")
@click.option("--sample", "n", type=int, help="Draw a new audit of this many validated pairs.")
@click.option(
    "--by",
    type=click.Choice(["bucket", "source", "backend"]),
    default="bucket",
    show_default=True,
    help="Strata: difficulty bucket, source or backend.",
)
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
    print_audit(report)


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
