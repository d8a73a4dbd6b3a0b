"""Justifications, remarks and titles: prose with ``$…$`` mathematics and equation references.

The markup of every string a derivation shows as text (``because=``, ``remarks=``, titles):

- ``$…$`` is mathematics in LaTeX notation, typeset as math in the PDF and in Markdown
  (``$\\sum_j q_j = 1$``); everything outside the spans is plain prose, in which
  :func:`bare_math` finds no mathematics left;
- ``{eq:LABEL}`` refers to the lecture equation ``LABEL`` (see ``divsym.identities.lecture``)
  and prints as its number, ``(L1)``, linked to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from divsym.render.markdown import markdown_text
from divsym.render.tex import UNICODE_MATH, RenderError, command, text

__all__ = ["REFERENCE", "bare_math", "equation_anchor", "prose_markdown", "prose_tex", "sentence"]

#: ``{eq:softmax}``: a reference to a lecture equation by its label.
REFERENCE = re.compile(r"\{eq:([a-z0-9-]+)\}")

_HYPHEN_AS_MINUS = re.compile(r"(?:^|[\s(=])-(?=[\w(\\])|\s-\s")
_ASCII_MATH = re.compile(r"[_^=<>|+*]|\\[A-Za-z]")
_MATH_CHARACTERS = set(UNICODE_MATH) - {"·"}


def _outside_math(plain: str) -> str:
    """``plain`` with its ``$…$`` spans and references blanked out."""
    segments = REFERENCE.sub(" ", plain).split("$")
    return " ".join(segment for number, segment in enumerate(segments) if number % 2 == 0)


def bare_math(plain: str) -> list[str]:
    """The mathematics written outside ``$…$`` spans in ``plain`` (empty when there is none).

    It finds Unicode math (``Σ``, ``‖``, ``≥``, Greek, superscripts), ASCII math (``_``,
    ``^``, ``=``, ``<``, ``+``, ``|``, ``*``, a backslash command) and a hyphen used as minus
    (``-log``, `` - ``); a hyphen inside a word (``cross-entropy``) is prose.

    >>> bare_math("only the term $j = k$ survives the Sum")
    []
    >>> bare_math("-Σ p(x) log q(x) and q_i")
    ['-', 'Σ', '_']
    """
    if plain.count("$") % 2:
        return ["unbalanced $"]
    prose = _outside_math(plain)
    found = [m.group().strip() for m in _HYPHEN_AS_MINUS.finditer(prose)]
    found = [m[:1] if m.startswith("-") else m for m in found]
    found += sorted({c for c in prose if c in _MATH_CHARACTERS})
    found += sorted(set(_ASCII_MATH.findall(prose)))
    return found


def sentence(plain: str) -> str:
    """``plain`` with its first letter capitalised, unless it starts with mathematics."""
    return plain[:1].upper() + plain[1:] if plain[:1].isalpha() else plain


def _check_label(label: str, numbers: Mapping[str, str] | None) -> None:
    if numbers is not None and label not in numbers:
        raise RenderError(f"reference to an unknown lecture equation {{eq:{label}}}")


def equation_anchor(label: str) -> str:
    """The LaTeX label (and Markdown anchor) of the lecture equation ``label``."""
    return f"eq-{label}"


def prose_tex(plain: str, numbers: Mapping[str, str] | None = None) -> str:
    """``plain`` as LaTeX text: prose escaped, ``$…$`` kept as math, references as ``\\eqref``."""
    pieces = REFERENCE.split(plain)
    out = []
    for number, piece in enumerate(pieces):
        if number % 2:
            _check_label(piece, numbers)
            out.append(command("eqref", equation_anchor(piece)))
        else:
            out.append(text(piece))
    return "".join(out)


def prose_markdown(plain: str, numbers: Mapping[str, str] | None = None) -> str:
    """``plain`` as GitHub Markdown: prose escaped, ``$…$`` kept, references as links.

    Without ``numbers`` (a derivation shown on its own) a reference prints as its label.
    """
    pieces = REFERENCE.split(plain)
    out = []
    for number, piece in enumerate(pieces):
        if not number % 2:
            out.append(markdown_text(piece))
        elif numbers is None:
            out.append(f"(`{piece}`)")
        else:
            _check_label(piece, numbers)
            out.append(f"[({numbers[piece]})](#{equation_anchor(piece)})")
    return "".join(out)
