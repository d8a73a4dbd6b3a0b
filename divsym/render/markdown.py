"""Prose for GitHub Markdown: the characters Markdown would act on are escaped."""

from __future__ import annotations

from divsym.render.tex import typographic

__all__ = ["markdown_cell", "markdown_text"]

_SPECIAL = "\\`*_[]<>"


def markdown_text(plain: str) -> str:
    """``plain`` shown literally in Markdown; ``$…$`` math and Unicode are kept as they are.

    >>> print(markdown_text("p_i * q_i for $x_i$"))
    p\\_i \\* q\\_i for $x_i$
    """
    segments = typographic(plain).split("$")
    return "$".join(
        segment if number % 2 else "".join("\\" + c if c in _SPECIAL else c for c in segment)
        for number, segment in enumerate(segments)
    )


def markdown_cell(content: str) -> str:
    """``content`` (Markdown or ``$…$`` math) made safe inside a table cell: pipes escaped."""
    return content.replace("|", r"\|").replace("\n", " ")
