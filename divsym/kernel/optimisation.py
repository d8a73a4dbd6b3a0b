"""The sound rules relating ``argmax_θ`` and ``argmin_θ`` nodes.

The nodes :class:`~divsym.symbols.optimum.ArgMax` and :class:`~divsym.symbols.optimum.ArgMin`
(in ``symbols/``, with the other node classes) stand for the *set* of optimisers of their
objective over ``θ``; ``θ`` is bound inside them (not a free symbol, never substituted). Two
of them are equal when their optimiser sets are equal. Only three facts are used, each a
named rule that checks its condition and refuses otherwise:

* ``argopt-log``: ``argmax_θ f = argmax_θ log f`` (and for argmin) when ``f > 0``, because
  ``log`` is strictly increasing on ``(0, ∞)``;
* ``argopt-drop-constant``: ``argmax_θ (c + g) = argmax_θ g`` when ``θ`` does not occur in
  ``c`` (a zero derivative is not enough: a step in ``θ`` has derivative 0 almost everywhere);
* ``argopt-negate``: ``argmax_θ f = argmin_θ (−f)`` and ``argmin_θ f = argmax_θ (−f)``.

Inside the objective, every equality rule (and the canonical form) applies as usual: equal
objectives have equal optimisers. For the numeric backstop a node evaluates to its optimiser
over the finite grid :data:`~divsym.symbols.optimum.THETA_GRID`; the optimisers over a grid
agree whenever the optimisers over the reals do, by the same three facts, so a wrong step
(argmax for argmin, a θ-dependent term dropped) shows up there.
"""

from __future__ import annotations

from sympy import Add, Basic, Expr, log

from divsym.kernel.context import Context
from divsym.kernel.rules import Rule

# ArgOptimum and THETA_GRID are re-exported for modules not yet importing them from
# divsym.symbols.optimum (kernel/evaluation.py).
from divsym.symbols.optimum import THETA_GRID, ArgMax, ArgMin, ArgOptimum

__all__ = [
    "THETA_GRID",
    "ArgOptimum",
    "argopt_drop_constant",
    "argopt_log",
    "argopt_negate",
]


def _is_optimum(e: Basic) -> bool:
    return isinstance(e, ArgOptimum)


def _log(expr: Expr, context: Context) -> Expr:
    def rewrite(e: ArgOptimum) -> Expr:
        if e.objective.is_positive is not True:
            return e
        return e.func(log(e.objective), e.variable)

    return expr.replace(_is_optimum, rewrite)  # type: ignore[no-any-return]


def _drop_constant(expr: Expr, context: Context) -> Expr:
    def rewrite(e: ArgOptimum) -> Expr:
        terms = Add.make_args(e.objective)
        # A term is constant only when θ does not occur in it: a derivative that is 0 almost
        # everywhere (a step, Piecewise((5, θ > 2), (0, True))) still moves the optimiser.
        kept = [t for t in terms if t.has(e.variable)]
        if len(kept) == len(terms) or not kept:
            return e
        return e.func(Add(*kept), e.variable)

    return expr.replace(_is_optimum, rewrite)  # type: ignore[no-any-return]


def _negate(expr: Expr, context: Context) -> Expr:
    def rewrite(e: ArgOptimum) -> Expr:
        flipped = ArgMin if isinstance(e, ArgMax) else ArgMax
        return flipped(-e.objective, e.variable)

    return expr.replace(_is_optimum, rewrite)  # type: ignore[no-any-return]


argopt_log = Rule(
    "argopt-log",
    "argmax_θ f = argmax_θ log f for f > 0 (log is strictly increasing)",
    _log,
)
argopt_drop_constant = Rule(
    "argopt-drop-constant",
    "argmax_θ (c + g) = argmax_θ g when θ does not occur in c",
    _drop_constant,
)
argopt_negate = Rule(
    "argopt-negate",
    "argmax_θ f = argmin_θ (−f), argmin_θ f = argmax_θ (−f)",
    _negate,
)
