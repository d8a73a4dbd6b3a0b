"""LaTeX in the lecture's notation.

:class:`LectureLatexPrinter` keeps terms in the written order (``order="none"``), prints
indexed entries as ``p_i`` rather than SymPy's ``{p}_{i}``, and a logarithm of a single
symbol as ``\\log q_i``.
"""

from __future__ import annotations

from typing import Any

from sympy import Basic, Indexed, Symbol, log
from sympy.printing.latex import LatexPrinter

__all__ = ["LectureLatexPrinter", "to_latex"]


class LectureLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the lecture's conventions."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__({"order": "none", **(settings or {})})

    def _print_Indexed(self, expr: Indexed) -> str:
        base = self._print(expr.base.label)
        indices = "".join(self._print(index) for index in expr.indices)
        subscript = indices if len(indices) == 1 else f"{{{indices}}}"
        return f"{base}_{subscript}"

    def _print_log(self, expr: log, exp: Any = None) -> str:
        (argument,) = expr.args
        inner = self._print(argument)
        if isinstance(argument, (Indexed, Symbol)):
            tex = rf"\log {inner}"
        else:
            tex = rf"\log\left({inner}\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp is not None else tex


def to_latex(expr: Basic) -> str:
    """``expr`` in the lecture's LaTeX notation."""
    return LectureLatexPrinter().doprint(expr)  # type: ignore[no-any-return]
