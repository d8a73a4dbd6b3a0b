"""``lim_{x → x0} f`` as a node that commutes in products: every limit in divsym is one.

The limit laws that rewrite these nodes are vetted rules of :mod:`divsym.kernel.limit_rules`;
the node itself lives here with the other node classes (ARCHITECTURE.md: every custom SymPy
node is in ``symbols/``).
"""

from __future__ import annotations

from typing import Any

from sympy import Limit
from sympy.printing.latex import LatexPrinter

__all__ = ["CommutativeLimit"]


class CommutativeLimit(Limit):
    """``lim_{x → x0} f``, a ``Limit`` that commutes in products when ``f`` does.

    SymPy leaves ``Limit(...).is_commutative`` undecided, so ``Mul`` keeps Limits in the order
    they were written and ``a·b ≠ b·a``; every limit in divsym is built from this class so
    that products of limits compare equal whatever their order. It prints as ``Limit``.
    """

    def _eval_is_commutative(self) -> bool | None:
        return self.args[0].is_commutative  # type: ignore[no-any-return]

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        tex: str = printer._print_Limit(self)
        return rf"\left({tex}\right)^{{{exp}}}" if exp is not None else tex
