"""Commands of the annotation guidelines and the reject reasons."""

from __future__ import annotations

import click

from semi_core.cli.base import (
    main,
    open_store,
    out,
    print_rows,
)


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

    print_rows(rows, ("version", "author", "saved", "characters"), cells, as_json)


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
    print_rows(rows, columns, lambda r: [str(r[c] or "") for c in columns], as_json)


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
