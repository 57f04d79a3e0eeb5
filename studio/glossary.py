"""The studio's terms, each explained once in a sentence or two: pages pass these as
`help=` or show them as a caption where the term appears, and never word them again."""

from __future__ import annotations

HELP: dict[str, str] = {
    "oracle": "The original (natural) code, run on every test input: its outputs are the "
    "expected ones, and the rewrite must give the same.",
    "test strength": "The share of small deliberate bugs (mutants of the original) that "
    "the tests catch: a low share means tests too weak to tell right code from wrong.",
    "difficulty": "A score from 0 (easy) to 1 (hard): the rewrite's decision points "
    "(35%), lines (25%), passing tests (25%) and instruction words (15%), each squashed "
    "to 0–1 so that it is half at 4 decisions, 12 lines, 8 tests, 40 words; a measured "
    "solve rate takes 40% when present.",
    "bucket": "Easy, medium or hard: the lowest, middle and top third of the difficulty "
    "scores ranked together.",
    "verdict": "What validation concluded: validated (every usable test passed), "
    "mismatch (a test gives another result), generated_error (the rewrite fails to run), "
    "too_few_tests, original_unusable or refused.",
    "tests passed": "Usable tests the rewrite passed, of the usable ones (those on which "
    "the original gave an answer).",
    "origin": "Where a test input came from: see each origin's own explanation.",
    "mutants killed": "How many mutants of the original this input was the first to catch "
    "(where test strength was measured).",
    "pair mutants killed": "Mutants of the original that at least one of the pair's tests "
    "catches, of those tried.",
    "branches covered": "Ways through the original's if, elif, while and for statements that "
    "the pair's tests take, of those the code has.",
}

# Where a test input came from (`semi_core.generate.base.ORIGINS`).
ORIGINS: dict[str, str] = {
    "llm": "written by the language model with the rewrite",
    "doctest": "a call written in the function's docstring",
    "typed": "values drawn from the parameters' type annotations and defaults",
    "probe": "types guessed from how the body uses a parameter, kept once the original ran on them",
    "literal": "constants and boundary values taken from the code itself",
    "mutation": "a working input changed a little (type-aware mutation)",
    "example": "an example from the snippet's own description",
    "annotator": "typed by an annotator on the Review page",
}


def origins_help() -> str:
    """Every origin of a test input in one help text (a line each)."""
    return "Where a test input came from:\n" + "\n".join(
        f"- **{name}**: {text}" for name, text in ORIGINS.items()
    )
