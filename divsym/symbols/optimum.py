"""``argmax_θ f`` and ``argmin_θ f`` as SymPy nodes: the set of optimisers of ``f`` over ``θ``.

``θ`` is bound inside a node (not a free symbol, never substituted). The rules that relate
these nodes (``argopt-log``, ``argopt-drop-constant``, ``argopt-negate``) are vetted rules of
:mod:`divsym.kernel.optimisation`. For the numeric backstop a node evaluates to its optimiser
over the finite grid :data:`THETA_GRID` (exact ties have probability zero at random points).
"""

from __future__ import annotations

from typing import Any, ClassVar

import mpmath
from mpmath.libmp import prec_to_dps
from sympy import Add, Basic, Expr, Float, Function, Mul, Pow, Rational, Symbol, exp, log
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from divsym.symbols.conditional import ModelConditional

__all__ = ["THETA_GRID", "ArgMax", "ArgMin", "ArgOptimum"]

_NUMERIC_FUNCTIONS = {log: mpmath.log, exp: mpmath.exp}


class _NotNumericError(Exception):
    """The objective still has a symbol other than θ, or a node without a numeric meaning."""


def _numeric(expr: Basic, variable: Symbol, value: Any) -> Any:
    """``expr`` at ``variable = value`` as an mpmath number, by walking the tree once.

    Much cheaper than ``xreplace`` + ``evalf`` at every grid point, which rebuilds the tree
    (and its assumptions) each time.
    """
    if isinstance(expr, Symbol):
        if expr is variable or expr == variable:
            return value
        raise _NotNumericError(str(expr))
    if isinstance(expr, Rational):
        return mpmath.mpf(expr.p) / expr.q
    if expr.is_Number or expr.is_NumberSymbol:
        return expr._to_mpmath(mpmath.mp.prec)
    args = [_numeric(a, variable, value) for a in expr.args]
    if isinstance(expr, Add):
        return mpmath.fsum(args)
    if isinstance(expr, Mul):
        return mpmath.fprod(args)
    if isinstance(expr, Pow):
        return args[0] ** args[1]
    if isinstance(expr, ModelConditional):
        return ModelConditional.family(*args)
    if type(expr) in _NUMERIC_FUNCTIONS:
        return _NUMERIC_FUNCTIONS[type(expr)](*args)
    raise _NotNumericError(str(expr))


#: Parameter values at which the numeric backstop compares objectives: θ = -1, -1/2, …, 5.
THETA_GRID: tuple[Rational, ...] = tuple(Rational(k, 2) for k in range(-2, 11))


class ArgOptimum(Function):
    """``arg{max,min}_θ f``: arguments ``(f, θ)``; ``θ`` is bound."""

    nargs = 2
    #: ``+1`` for argmax, ``-1`` for argmin.
    sense: ClassVar[int]
    text_name: ClassVar[str]

    @classmethod
    def eval(cls, *args: Any) -> None:
        return None

    @property
    def objective(self) -> Expr:
        return self.args[0]  # type: ignore[no-any-return]

    @property
    def variable(self) -> Symbol:
        return self.args[1]  # type: ignore[no-any-return]

    @property
    def free_symbols(self) -> set[Basic]:
        return self.objective.free_symbols - {self.variable}  # type: ignore[no-any-return]

    def _xreplace(self, rule: dict[Basic, Basic]) -> tuple[Basic, bool]:
        if self in rule:
            return rule[self], True
        inner = {k: v for k, v in rule.items() if k != self.variable}
        objective, changed = self.objective._xreplace(inner)
        return (self.func(objective, self.variable), True) if changed else (self, False)

    def _eval_subs(self, old: Basic, new: Basic) -> Basic | None:
        if old == self.variable:
            return self
        return None

    def _eval_evalf(self, prec: int) -> Float | None:
        values = []
        with mpmath.workdps(prec_to_dps(prec) + 10):
            for point in THETA_GRID:
                try:
                    value = _numeric(self.objective, self.variable, mpmath.mpf(point.p) / point.q)
                except _NotNumericError:
                    return None
                if not mpmath.isfinite(value):
                    return None
                values.append(self.sense * value)
        best = max(range(len(values)), key=values.__getitem__)
        return THETA_GRID[best]._eval_evalf(prec)  # type: ignore[no-any-return]

    def _sympystr(self, printer: StrPrinter) -> str:
        return f"{self.text_name}_{printer._print(self.variable)}({printer._print(self.objective)})"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        # As the lecture writes it: argmax_θ Σ log p_θ(y_i|x_i), parentheses only around a sum
        # of several terms.
        objective = printer._print(self.objective)
        if isinstance(self.objective, Add):
            objective = f"\\left({objective}\\right)"
        tex = f"\\operatorname{{{self.text_name}}}_{{{printer._print(self.variable)}}} {objective}"
        return f"\\left({tex}\\right)^{{{exp}}}" if exp is not None else tex


class ArgMax(ArgOptimum):
    """``argmax_θ f``: the maximisers of ``f`` over ``θ``."""

    sense = 1
    text_name = "argmax"


class ArgMin(ArgOptimum):
    """``argmin_θ f``: the minimisers of ``f`` over ``θ``."""

    sense = -1
    text_name = "argmin"
