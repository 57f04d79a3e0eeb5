"""Semi-Instruct engine: natural code in, validated instruction-code pairs out."""

from semi_core import _ast_lock  # noqa: F401  (ast.parse made safe across threads)

__version__ = "0.1.0"
