"""Information in bits, and the expectation it is averaged with.

The lecture defines the information of an event in bits, ``I(E) = -log_2 p(E)``, but writes
entropy, cross-entropy and KL divergence with the natural log. These nodes keep the base
visible so that the derivations can show the conversion factor ``log 2`` (nats per bit):

* :class:`Log2` prints ``\\log_2 x`` and unfolds to ``log(x)/log(2)`` (SymPy itself turns
  ``log(x, 2)`` into that quotient on creation, so the base would be lost in print);
* :class:`Information` prints ``I_Q(x_i)`` and unfolds to ``-log_2 q_i``;
* :class:`Expectation` prints ``E_P[f]`` and unfolds to ``Σ_i p_i f_i``.

All three are :class:`~divsym.symbols.quantities.NamedQuantity` nodes, so the ``unfold-definitions``
rule, the canonical form and the numeric backstop unfold them like ``H`` or ``D_KL``.
"""

from __future__ import annotations

from typing import Any

from sympy import Expr, Indexed, IndexedBase, Sum, Symbol, log
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from divsym.symbols.notation import i, n
from divsym.symbols.quantities import NamedQuantity, distribution_name

__all__ = ["Expectation", "Information", "Log2", "MixtureKL"]


def _power(tex: str, printer: LatexPrinter, exp: Any) -> str:
    return f"\\left({tex}\\right)^{{{printer._print(exp)}}}" if exp is not None else tex


class Log2(NamedQuantity):
    """``log_2 x = log x / log 2``: the logarithm in base 2, printed as the lecture does."""

    nargs = 1

    def definition(self) -> Expr:
        return log(self.args[0]) / log(2)  # type: ignore[no-any-return]

    def _eval_is_real(self) -> bool | None:  # type: ignore[override]
        return self.args[0].is_positive  # type: ignore[no-any-return]

    def _sympystr(self, printer: StrPrinter) -> str:
        return f"log_2({printer._print(self.args[0])})"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        argument = self.args[0]
        inner = printer._print(argument)
        simple = isinstance(argument, (Indexed, Symbol))
        tex = f"\\log_2 {inner}" if simple else f"\\log_2\\left({inner}\\right)"
        return _power(tex, printer, exp)


class Information(NamedQuantity):
    """``I_Q(x_i) = -log_2 q_i``: the information, in bits, of outcome ``x_i`` under ``Q``."""

    nargs = 2

    def __new__(cls, q: IndexedBase, index: Symbol = i, **kwargs: Any) -> Information:
        return super().__new__(cls, q, index, **kwargs)  # type: ignore[no-any-return]

    def definition(self) -> Expr:
        base, index = self.args
        return -Log2(base[index])  # type: ignore[no-any-return]

    def _sympystr(self, printer: StrPrinter) -> str:
        base, index = self.args
        return f"I_{distribution_name(base)}(x_{printer._print(index)})"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        base, index = self.args
        tex = f"I_{{{distribution_name(base)}}}(x_{{{printer._print(index)}}})"
        return _power(tex, printer, exp)


class Expectation(NamedQuantity):
    """``E_P[f] = Σ_{i=1}^n p_i f_i``: the expectation of ``f`` (an expression in ``i``) under P."""

    nargs = 4

    def __new__(
        cls, p: IndexedBase, f: Expr, index: Symbol = i, classes: Expr = n, **kwargs: Any
    ) -> Expectation:
        return super().__new__(cls, p, f, index, classes, **kwargs)  # type: ignore[no-any-return]

    def definition(self) -> Expr:
        p, f, index, classes = self.args
        return Sum(p[index] * f, (index, 1, classes))

    def _sympystr(self, printer: StrPrinter) -> str:
        p, f = self.args[:2]
        return f"E_{distribution_name(p)}[{printer._print(f)}]"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        p, f = self.args[:2]
        tex = f"E_{{{distribution_name(p)}}}\\left[{printer._print(f)}\\right]"
        return _power(tex, printer, exp)


class MixtureKL(NamedQuantity):
    """``D_KL(A ‖ (P+Q)/2) = Σ_i a_i log(a_i / m_i)`` with the mixture ``m_i = (p_i + q_i)/2``.

    The two KL terms of the lecture's Jensen–Shannon divergence, with the mixture ``M`` kept
    explicit (``A`` is ``P`` or ``Q``).
    """

    nargs = 4

    def __new__(
        cls, a: IndexedBase, p: IndexedBase, q: IndexedBase, classes: Expr = n, **kwargs: Any
    ) -> MixtureKL:
        return super().__new__(cls, a, p, q, classes, **kwargs)  # type: ignore[no-any-return]

    def definition(self) -> Expr:
        a, p, q, classes = self.args
        return Sum(a[i] * log(a[i] / ((p[i] + q[i]) / 2)), (i, 1, classes))

    def _sympystr(self, printer: StrPrinter) -> str:
        a, p, q = (distribution_name(d) for d in self.args[:3])
        return f"D_KL({a} || ({p} + {q})/2)"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        a, p, q = (distribution_name(d) for d in self.args[:3])
        tex = f"D_{{KL}}\\left({a} \\parallel \\frac{{{p}+{q}}}{{2}}\\right)"
        return _power(tex, printer, exp)
