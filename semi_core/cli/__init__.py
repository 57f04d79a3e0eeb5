"""`semi`: the command line. A thin skin over the library: every command parses its
options, calls one plain function of `semi_core`, and prints the result.

The commands live in modules by what they work on: `pipeline` (making pairs), `data`
(stats and export), `review`, `bulk`, `audit` and `guidelines`; `base` holds the group
and what they share. Importing a module registers its commands on `main`."""

from __future__ import annotations

from semi_core.cli import audit, bulk, data, guidelines, review  # noqa: F401
from semi_core.cli.base import main
from semi_core.cli.pipeline import generate_command, run_command, validate_command

__all__ = ["generate_command", "main", "run_command", "validate_command"]
