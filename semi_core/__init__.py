"""Semi-Instruct engine: natural code in, validated instruction-code pairs out."""

__version__ = "0.1.0"
