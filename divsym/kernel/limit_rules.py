"""Rules for limits: the algebraic limit laws, each applied only where it is valid.

Each rule, like those of :mod:`~divsym.kernel.rules`, returns an expression equal to its input, and
its input unchanged where a side condition fails: a limit is pushed through a sum, product,
quotient, Sum or Piecewise only when the limits it creates exist and are finite (decided by
:func:`finite_limit`), no denominator's limit is 0, a Sum's number of terms and a Piecewise's
conditions do not depend on the limit variable. What remains (an expression without Sums) is
left to SymPy's ``limit`` and kept only when the result is a finite value.

The node every limit is built from, :class:`~divsym.symbols.limits.CommutativeLimit`, is in
``symbols/`` with the other node classes.
"""

from __future__ import annotations

from collections.abc import Callable

from sympy import Add, Basic, Derivative, Expr, Limit, Mul, Piecewise, Pow, Sum, Symbol, limit, oo

from divsym.kernel.context import Context
from divsym.kernel.index_ranges import integer_limits
from divsym.kernel.rules import Rule
from divsym.symbols.limits import CommutativeLimit

__all__ = [
    "LIMIT_RULES",
    "evaluate_limits",
    "finite_limit",
    "leaf_limit",
    "limit_laws",
    "limit_through_piecewise",
    "limit_through_sum",
    "reciprocal_temperature",
    "u",
]


#: The reciprocal temperature ``u = 1/T``: ``T → ∞`` becomes ``u → 0⁺``.
u = Symbol("u", positive=True)


def _replace(expr: Expr, kind: type, rewrite: Callable[[Basic], Basic]) -> Expr:
    return expr.replace(lambda e: isinstance(e, kind), rewrite)  # type: ignore[no-any-return]


def _limit_args(lim: Limit) -> tuple[Expr, Symbol, Expr, str]:
    function, variable, point, direction = lim.args
    return function, variable, point, str(direction)


def leaf_limit(f: Expr, x: Symbol, x0: Expr, direction: str) -> Expr | None:
    """SymPy's ``limit`` of a Sum-free, Limit-free expression, if it is a finite value."""
    if f.has(Sum, Limit, Piecewise, Derivative):
        return None
    try:
        value = limit(f, x, x0, direction)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if value.has(Limit) or value.is_finite is not True:
        return None
    return value  # type: ignore[no-any-return]


def finite_limit(f: Expr, x: Symbol, x0: Expr, direction: str = "+") -> Expr | None:
    """``lim_{x → x0} f`` when the limit laws show it exists and is finite, else ``None``.

    Sums, products, integer powers (of a nonzero limit when negative), Sums whose bounds do
    not depend on ``x`` and Piecewise whose conditions do not depend on ``x`` are taken apart
    by the limit laws; what remains is left to SymPy's ``limit`` and kept only when finite.
    """
    if x not in f.free_symbols:
        return f
    if isinstance(f, (Add, Mul)):
        parts = [finite_limit(a, x, x0, direction) for a in f.args]
        if any(part is None for part in parts):
            return None
        return f.func(*parts)  # type: ignore[no-any-return]
    if isinstance(f, Pow) and x not in f.exp.free_symbols and f.exp.is_integer:
        base = finite_limit(f.base, x, x0, direction)
        if base is None or (f.exp.is_negative and _nonzero(base) is not True):
            return None
        return base**f.exp  # type: ignore[no-any-return]
    if isinstance(f, Sum):
        # Finitely many terms, their number fixed: lim Σ_{j≥1} x(1-x)^(j-1) is 1, not 0.
        if not integer_limits(f.limits):
            return None
        if any(x in bound.free_symbols for limit_ in f.limits for bound in limit_[1:]):
            return None
        term = finite_limit(f.function, x, x0, direction)
        return None if term is None else Sum(term, *f.limits)
    if isinstance(f, Piecewise):
        if any(x in c.free_symbols for _, c in f.args):
            return None
        branches = [finite_limit(e, x, x0, direction) for e, _ in f.args]
        if any(b is None for b in branches):
            return None
        return Piecewise(*((b, c) for b, (_, c) in zip(branches, f.args, strict=True)))  # type: ignore[no-any-return]
    return leaf_limit(f, x, x0, direction)


def _nonzero(value: Expr) -> bool | None:
    if value.is_zero is False:
        return True
    if isinstance(value, Sum):
        return _nonzero(value.doit())  # e.g. Σ_{j=1}^{n} 1 = n
    return None


def _reciprocal_temperature(expr: Expr, context: Context) -> Expr:
    def substitute(lim: Limit) -> Expr:
        f, x, x0, _ = _limit_args(lim)
        if x0 is not oo or not x.is_positive or u in f.free_symbols:
            return lim
        return CommutativeLimit(f.xreplace({x: 1 / u}), u, 0, "+")

    return _replace(expr, Limit, substitute)


def _through_algebra(lim: Limit) -> Expr:
    """One application of the sum, product and quotient laws, if every part is finite."""
    f, x, x0, direction = _limit_args(lim)
    if isinstance(f, (Add, Mul)):
        parts = [finite_limit(a, x, x0, direction) for a in f.args]
        if any(part is None for part in parts):
            return lim
        return f.func(*(CommutativeLimit(a, x, x0, direction) for a in f.args))  # type: ignore[no-any-return]
    if isinstance(f, Pow) and x not in f.exp.free_symbols and f.exp.is_integer:
        base = finite_limit(f.base, x, x0, direction)
        if base is None or (f.exp.is_negative and _nonzero(base) is not True):
            return lim
        return CommutativeLimit(f.base, x, x0, direction) ** f.exp  # type: ignore[no-any-return]
    return lim


def _limit_laws(expr: Expr, context: Context) -> Expr:
    previous = None
    while previous != expr:
        previous, expr = expr, _replace(expr, Limit, _through_algebra)
        expr = _replace(expr, Limit, _constant_limit)
    return expr


def _limit_of(f: Expr, x: Symbol, x0: Expr, direction: str) -> Expr:
    """``Limit(f, x, x0)``, or ``f`` itself when it does not depend on ``x``."""
    return CommutativeLimit(f, x, x0, direction) if x in f.free_symbols else f


def _constant_limit(lim: Limit) -> Expr:
    f, x, _, _ = _limit_args(lim)
    return lim if x in f.free_symbols else f


def _through_sum(expr: Expr, context: Context) -> Expr:
    def through(lim: Limit) -> Expr:
        f, x, x0, direction = _limit_args(lim)
        if not isinstance(f, Sum) or finite_limit(f, x, x0, direction) is None:
            return lim
        return Sum(_limit_of(f.function, x, x0, direction), *f.limits)

    return _replace(expr, Limit, through)


def _through_piecewise(expr: Expr, context: Context) -> Expr:
    def through(lim: Limit) -> Expr:
        f, x, x0, direction = _limit_args(lim)
        if not isinstance(f, Piecewise) or finite_limit(f, x, x0, direction) is None:
            return lim
        return Piecewise(*((_limit_of(e, x, x0, direction), c) for e, c in f.args))  # type: ignore[no-any-return]

    return _replace(expr, Limit, through)


def _evaluate_limits(expr: Expr, context: Context) -> Expr:
    def evaluate(lim: Limit) -> Expr:
        f, x, x0, direction = _limit_args(lim)
        value = leaf_limit(f, x, x0, direction)
        return lim if value is None else value

    return _replace(expr, Limit, evaluate)


reciprocal_temperature = Rule(
    "reciprocal-temperature",
    "lim_(T→∞) f(T) = lim_(u→0⁺) f(1/u) for T > 0",
    _reciprocal_temperature,
)
limit_laws = Rule(
    "limit-laws",
    "the limit of a sum, product or quotient is the sum, product or quotient of the limits, "
    "when those exist, are finite, and no denominator's limit is 0",
    _limit_laws,
)
limit_through_sum = Rule(
    "limit-through-sum",
    "lim Σ_(j=a..b) f_j = Σ_(j=a..b) lim f_j for finite integer a, b that do not depend on the"
    " limit variable, when every term's limit is finite",
    _through_sum,
)
limit_through_piecewise = Rule(
    "limit-through-piecewise",
    "lim Piecewise((f, c), …) = Piecewise((lim f, c), …) when no condition depends on the limit "
    "variable and every branch's limit is finite",
    _through_piecewise,
)
evaluate_limits = Rule(
    "evaluate-limits",
    "evaluate the limit of an expression without Sums (SymPy's limit), when it is finite",
    _evaluate_limits,
)


#: Every limit rule by name.
LIMIT_RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        reciprocal_temperature,
        limit_laws,
        limit_through_sum,
        limit_through_piecewise,
        evaluate_limits,
    )
}
