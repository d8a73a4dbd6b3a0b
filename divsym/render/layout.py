"""Breaking long expressions into lines that fit the page.

The width of printed math is estimated in "characters" (about half an em each):
``\\frac{a}{b}`` is as wide as its wider part, sub- and superscripts count for less, and
``\\left``/``\\right`` nothing. The estimate only decides where to break; the PDF build's log
check is what proves nothing overflows.
"""

from __future__ import annotations

import re

from sympy import Add, Expr, Mul, Product, Sum

from divsym.render.latex import to_latex, written_terms

__all__ = ["MAX_LINE", "break_terms", "breakable_pieces", "math_width", "split_top_level"]

#: Estimated width available for one line of a step's right-hand side.
MAX_LINE = 55

_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_WIDE = {"log": 3, "exp": 3, "lim": 3, "parallel": 2.5, "leq": 2.5, "geq": 2.5, "to": 2.5}
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


def _delimiters(inner: str) -> tuple[str, str]:
    """Fixed-size parentheses for content that spans lines: taller when it has fractions."""
    size = "big" if r"\frac" not in inner else ("Big" if inner.count(r"\frac") < 2 else "bigg")
    return rf"\{size}l(", rf"\{size}r)"


def _wrap(pieces: list[str], before: str, after: str) -> list[str]:
    if len(pieces) == 1:
        return [f"{before}{pieces[0]}{after}"]
    return [f"{before}{pieces[0]}", *pieces[1:-1], f"{pieces[-1]}{after}"]


def _parenthesised(expr: Expr, limit: float) -> list[str]:
    pieces = breakable_pieces(expr, limit)
    if len(pieces) == 1:
        return [rf"\left({pieces[0]}\right)"]
    opening, closing = _delimiters(" ".join(pieces))
    return _wrap(pieces, opening + " ", " " + closing)


def breakable_pieces(expr: Expr, limit: float = MAX_LINE, top: bool = False) -> list[str]:
    """``expr`` printed as consecutive pieces; a line may break between any two of them.

    Sums of terms break between terms; a product, a Sum or a Product breaks inside its one
    long factor or body, whose parentheses become fixed-size ``\\bigl(``…``\\bigr)`` pairs.
    Anything else (a fraction, say) stays one piece, however long. ``top`` says that ``expr``
    is a whole line (its terms are ordered as :func:`~divsym.render.latex.written_terms` says).
    """
    whole = to_latex(expr, top=top)
    if math_width(whole) <= limit:
        return [whole]
    if isinstance(expr, Add):
        pieces: list[str] = []
        for number, term in enumerate(written_terms(expr, top)):
            parts = breakable_pieces(term, limit)
            if number and not parts[0].startswith("-"):
                parts[0] = "+ " + parts[0]
            pieces += parts
        return pieces
    if isinstance(expr, (Sum, Product)):
        printed = to_latex(expr, top=top)
        body = to_latex(expr.function, top=False)
        prefix = printed[: len(printed) - len(body)]
        if isinstance(expr.function, Add):
            prefix = printed[: printed.index(r"\left(")]
            return _wrap(_parenthesised(expr.function, limit), prefix, "")
        if printed.endswith(body):
            return _wrap(breakable_pieces(expr.function, limit), prefix, "")
        return [whole]
    if isinstance(expr, Mul):
        factors = Mul.make_args(expr)
        if factors[0] == -1 and len(factors) > 1:
            rest = Mul(*factors[1:], evaluate=False) if len(factors) > 2 else factors[1]
            return _wrap(breakable_pieces(rest, limit), "- ", "")
        printed_factors = [to_latex(f, top=False) for f in factors]
        factor_tex = [
            rf"\left({tex}\right)" if isinstance(f, Add) else tex
            for f, tex in zip(factors, printed_factors, strict=True)
        ]
        if " ".join(factor_tex) != whole:
            return [whole]  # printed in another order or as a fraction: keep it whole
        pieces = []
        for factor, tex in zip(factors, factor_tex, strict=True):
            parts = _parenthesised(factor, limit) if isinstance(factor, Add) else [tex]
            if math_width(tex) > limit and not isinstance(factor, Add):
                parts = breakable_pieces(factor, limit)
            if pieces:
                parts = _wrap(parts, pieces.pop() + " ", "")
            pieces += parts
        return pieces
    return [whole]


def break_terms(expr: Expr, first_line: float = MAX_LINE, width: float = MAX_LINE) -> list[str]:
    """``expr`` printed as lines no wider than ``width`` (the first no wider than ``first_line``).

    Lines break between the pieces of :func:`breakable_pieces`; continuation lines start with
    their sign (``+ …`` or ``- …``) or with the rest of a product.
    """
    pieces = breakable_pieces(expr, min(first_line, width), top=True)
    lines: list[str] = []
    limit = first_line
    for piece in pieces:
        if lines and math_width(lines[-1] + " " + piece) + 2 <= limit:
            lines[-1] += " " + piece
        else:
            if lines:
                limit = width
            lines.append(piece)
    return lines
