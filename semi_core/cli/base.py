"""The `semi` group and what its commands share: the store opened from --db, the
consoles, tables and the options every review command takes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

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


def print_rows(rows: list[dict], columns, to_cells, as_json: bool) -> None:
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


def with_options(command: Callable, options: list[Callable]) -> Callable:
    """`command` decorated with `options`, the first listed shown first in --help (as
    decorators written above it, in that order)."""
    for option in reversed(options):
        command = option(command)
    return command
