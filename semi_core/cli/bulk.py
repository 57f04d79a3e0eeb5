"""`semi bulk`: accept or reject every pair a filter matches, as one action undone as one."""

from __future__ import annotations

import json

import click

from semi_core.cli.base import (
    main,
    open_store,
    out,
    print_rows,
    reason_option,
    with_options,
)


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
    return with_options(command, options)


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
        print_rows(result.sample, ("id", "name", "status", "difficulty"), _bulk_cells, False)


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
    print_rows(rows, ("id", "annotator", "action", "pairs", "filters", "at", "undone"),
                lambda row: [str(row["id"]), row["annotator"], row["action"], str(row["count"]),
                             json.dumps(row["filters"]), str(row["created_at"])[:19],
                             str(row["undone_at"] or "")[:19]], as_json)  # fmt: skip
