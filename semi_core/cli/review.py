"""Commands of one annotator's review: queue, review, undo, settle, history, add-test and
the decision rule."""

from __future__ import annotations

import json

import click

from semi_core.cli.base import (
    annotator_option,
    main,
    open_store,
    out,
    print_rows,
    reason_option,
    verdict_option,
)


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


@main.command("queue")
@annotator_option
@click.option("--status", "statuses", multiple=True, help="Verdict status (repeatable).")
@click.option("--search", help="Text in the instruction, code or name.")
@click.option("--reason", help="Only pairs you rejected for this reason.")
@click.option("--limit", default=20, show_default=True)
@click.option(
    "--audit",
    "audit",
    is_flag=True,
    help="The latest audit's pairs, without their verdict or scores.",
)
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
        print_rows(rows, ("id", "name", "audit", "mine"),
                    lambda r: [r["id"], r["name"], r["audit"], r["my_decision"] or ""],
                    as_json)  # fmt: skip
        return

    def cells(row: dict) -> list[str]:
        passed = f"{row['passed']}/{row['usable']}" if row["usable"] is not None else ""
        difficulty = f"{row['difficulty']:.2f}" if row["difficulty"] is not None else ""
        return [row["id"], row["name"], row["status"] or "", passed, difficulty,
                row["my_decision"] or ""]  # fmt: skip

    print_rows(rows, ("id", "name", "status", "passed", "difficulty", "mine"), cells, as_json)


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
