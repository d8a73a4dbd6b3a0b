"""The lemma behind Gibbs' inequality, ``x − 1 − log x ≥ 0`` for ``x > 0``, as SymPy nodes.

* :class:`GibbsTerm` ``G(x) = x − 1 − log x``. Its ``_eval_is_nonnegative`` answers ``True``
  for a positive argument; that answer is the lemma, proved by the derivation
  :func:`divsym.identities.gibbs.gibbs_lemma` (status ``proved``, tested), not assumed.
* :class:`UnitIntegral` ``∫_0^1 f(s) ds``, the form in which the lemma is decided:
  ``G(x) = ∫_0^1 s (x − 1)² / (1 + s (x − 1)) ds``, whose integrand is visibly nonnegative
  for ``0 < s < 1`` and ``x > 0`` (the denominator is ``(1 − s) + s x``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar

from sympy import Dummy, Expr, Integral, Symbol, cancel, expand, factor, integrate, log
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from divsym.symbols.quantities import NamedQuantity

__all__ = ["GibbsTerm", "UnitIntegral"]


class GibbsTerm(NamedQuantity):
    """``G(x) = x − 1 − log x``, nonnegative for ``x > 0`` (lemma ``gibbs-lemma``)."""

    nargs = 1
    #: The derivation that proves the hand-set assumption ``G(x) ≥ 0`` for ``x > 0``; a
    #: derivation using this node is never reported better than that lemma.
    lemma: ClassVar[str] = "gibbs-lemma"

    def definition(self) -> Expr:
        x = self.args[0]
        return x - 1 - log(x)  # type: ignore[no-any-return]

    def _eval_is_nonnegative(self) -> bool | None:
        # Proved for every x > 0 by the derivation ``gibbs-lemma``; unknown otherwise.
        return True if self.args[0].is_positive else None

    def _eval_is_real(self) -> bool | None:  # type: ignore[override]
        return True if self.args[0].is_positive else None

    def _sympystr(self, printer: StrPrinter) -> str:
        return f"G({printer._print(self.args[0])})"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        tex = f"G\\left({printer._print(self.args[0])}\\right)"
        return f"{tex}^{{{printer._print(exp)}}}" if exp is not None else tex


@lru_cache(maxsize=32)
def _closed_form(integrand: Expr, s: Symbol) -> Expr:
    """``∫_0^1 integrand ds`` by SymPy, cancelled; cached (integration is the slow part)."""
    return cancel(expand(integrate(integrand, (s, 0, 1))))  # type: ignore[no-any-return]


class UnitIntegral(NamedQuantity):
    """``∫_0^1 f ds`` for an integrand ``f`` in the variable ``s``.

    ``definition()`` is SymPy's closed form (``integrate``, then ``cancel`` over the
    expanded result), so the canonical form can compare it with other expressions; a test
    compares that closed form with ``mpmath.quad``. Its sign is decided from the integrand:
    ``f ≥ 0`` on ``(0, 1)`` is checked by substituting ``s = σ/(1 + σ)`` with ``σ > 0``, a
    bijection of ``(0, ∞)`` onto ``(0, 1)``, and factoring
    (``factor`` keeps squares such as ``(x − 1)²`` whole, so their sign stays visible).
    """

    nargs = 2

    def definition(self) -> Expr:
        integrand, s = self.args
        return _closed_form(integrand, s)

    def _eval_is_nonnegative(self) -> bool | None:
        integrand, s = self.args
        sigma = Dummy("sigma", positive=True)
        inside = integrand.xreplace({s: sigma / (1 + sigma)})
        return True if factor(inside).is_nonnegative else None

    def _eval_is_real(self) -> bool:
        return True

    @property
    def free_symbols(self) -> set[Symbol]:  # the integration variable is bound
        integrand, s = self.args
        return integrand.free_symbols - {s}  # type: ignore[no-any-return]

    def as_integral(self) -> Integral:
        """The same integral as a plain SymPy ``Integral`` (for numerical quadrature)."""
        integrand, s = self.args
        return Integral(integrand, (s, 0, 1))

    def _sympystr(self, printer: StrPrinter) -> str:
        integrand, s = self.args
        return f"Integral({printer._print(integrand)}, ({printer._print(s)}, 0, 1))"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        integrand, s = self.args
        tex = f"\\int_0^1 {printer._print(integrand)} \\, d{printer._print(s)}"
        return f"\\left({tex}\\right)^{{{printer._print(exp)}}}" if exp is not None else tex
