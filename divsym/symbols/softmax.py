"""The softmax probability ``q_i`` of lecture eq. (1) as a SymPy node."""

from __future__ import annotations

from typing import Any

from sympy import Expr, IndexedBase, Symbol
from sympy.core.logic import fuzzy_and
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from divsym.symbols import definitions
from divsym.symbols.notation import j, n
from divsym.symbols.quantities import NamedQuantity

__all__ = ["SoftmaxProbability"]


class SoftmaxProbability(NamedQuantity):
    """``q_i = exp(z_i/T) / Σ_j exp(z_j/T)``: lecture eq. (1), printed ``q_i``.

    Arguments: the logits (an IndexedBase), the temperature, the class index, the number of
    classes. It is positive (a positive term over a nonempty sum of positive terms).
    """

    nargs = 4

    def __new__(
        cls, logits: IndexedBase, temperature: Expr, index: Expr, classes: Expr = n, **kwargs: Any
    ) -> SoftmaxProbability:
        return super().__new__(cls, logits, temperature, index, classes, **kwargs)  # type: ignore[no-any-return]

    @property
    def index(self) -> Expr:
        return self.args[2]  # type: ignore[no-any-return]

    def definition(self) -> Expr:
        logits, temperature, index, classes = self.args
        dummy = j if index != j else Symbol("l", integer=True, positive=True)
        return definitions.softmax(logits, temperature, index, classes, dummy)

    def _eval_is_positive(self) -> bool | None:
        logits, temperature, _, classes = self.args
        return fuzzy_and((logits.is_real, temperature.is_positive, classes.is_positive))  # type: ignore[no-any-return]

    def _at_one(self) -> bool:
        """At ``T = 1`` exactly (the hard-label loss beside a soft one at ``T``), printed
        ``q⁽¹⁾``, so that the two softmaxes of one expression never look alike."""
        return bool(self.args[1] == 1)

    def _sympystr(self, printer: StrPrinter) -> str:
        name = "q^(1)" if self._at_one() else "q"
        return f"{name}_{printer._print(self.index)}"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        name = "q^{(1)}" if self._at_one() else "q"
        tex = f"{name}_{{{printer._print(self.index)}}}"
        if exp is None:
            return tex
        return rf"\left({tex}\right)^{{{exp}}}" if self._at_one() else f"{tex}^{{{exp}}}"
