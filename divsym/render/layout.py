"""Breaking long expressions into lines that fit the page.

The width of printed math is estimated in "characters" (about half an em each):
``\\frac{a}{b}`` is as wide as its wider part, sub- and superscripts count for less, and
``\\left``/``\\right`` nothing. The estimate only decides where to break; the PDF build's log
check is what proves nothing overflows.
"""

from __future__ import annotations

import re

from sympy import Add, Expr

from divsym.render.latex import to_latex

__all__ = ["MAX_LINE", "break_terms", "math_width", "split_top_level"]

#: Estimated width available for one line of a step's right-hand side.
MAX_LINE = 62

_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_WIDE = {"log": 3, "exp": 3, "lim": 3, "operatorname": 0, "text": 0, "mathrm": 0}
_INVISIBLE = {"left", "right", "quad", "qquad", "big", "Big", "bigl", "bigr", "displaystyle"}


def _group(tex: str, start: int) -> tuple[str, int]:
    """The brace group starting at ``tex[start]`` (or a single token) and the index after it."""
    if start < len(tex) and tex[start] == "{":
        depth = 0
        for end in range(start, len(tex)):
            depth += {"{": 1, "}": -1}.get(tex[end], 0)
            if depth == 0:
                return tex[start + 1 : end], end + 1
    if start < len(tex) and tex[start] == "\\":
        match = _COMMAND.match(tex, start)
        assert match is not None
        return match.group(0), match.end()
    return tex[start : start + 1], start + 1


def math_width(tex: str) -> float:
    """Estimated printed width of math ``tex`` in characters."""
    width = 0.0
    position = 0
    while position < len(tex):
        char = tex[position]
        if char in " {}&":
            position += 1
        elif char in "_^":
            group, position = _group(tex, position + 1)
            width += 0.7 * math_width(group)
        elif char == "\\":
            match = _COMMAND.match(tex, position)
            assert match is not None
            name, position = match.group(1), match.end()
            if name == "frac":
                top, position = _group(tex, position)
                bottom, position = _group(tex, position)
                width += max(math_width(top), math_width(bottom)) + 0.5
            elif name in ("text", "mathrm", "operatorname", "texttt"):
                group, position = _group(tex, position)
                width += len(group)
            elif name in _INVISIBLE or name == "\\":
                continue
            else:
                width += _WIDE.get(name, 1.5)
        else:
            width += 1.0 if char not in "+-=<>" else 2.0
            position += 1
    return width


def split_top_level(tex: str, separator: str = "=") -> list[str]:
    """``tex`` split at ``separator`` characters outside braces and ``\\left…\\right``."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    position = 0
    while position < len(tex):
        char = tex[position]
        if tex.startswith(r"\left", position) or char == "{":
            depth += 1
        elif tex.startswith(r"\right", position) or char == "}":
            depth -= 1
        if char == separator and depth == 0 and not (position and tex[position - 1] == "\\"):
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        position += 1
    parts.append("".join(current).strip())
    return parts


def break_terms(expr: Expr, first_line: float = MAX_LINE, width: float = MAX_LINE) -> list[str]:
    """``expr`` printed as lines no wider than ``width`` (the first no wider than ``first_line``).

    Only a top-level sum is broken, between its terms; continuation lines start with their
    sign (``+ …`` or ``- …``). Anything else is one line, however long.
    """
    whole = to_latex(expr)
    if not isinstance(expr, Add) or math_width(whole) <= first_line:
        return [whole]
    lines: list[list[Expr]] = [[]]
    limit = first_line
    for term in expr.args:
        trial = Add(*lines[-1], term, evaluate=False) if lines[-1] else term
        if lines[-1] and math_width(to_latex(trial)) + 2 > limit:
            lines.append([term])
            limit = width
        else:
            lines[-1].append(term)
    printed = []
    for number, terms in enumerate(lines):
        tex = to_latex(Add(*terms, evaluate=False) if len(terms) > 1 else terms[0])
        if number and not tex.startswith("-"):
            tex = "+ " + tex
        printed.append(tex)
    return printed
