"""`python -m semi_core.cli`: the `semi` command."""

from semi_core.cli import main

main()
