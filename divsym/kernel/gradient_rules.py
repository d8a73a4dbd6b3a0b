"""Limit laws for difference quotients, as needed at high temperature (Hinton et al., 2015).

:mod:`~divsym.kernel.limit_rules` pushes a limit through a sum, product, quotient or Sum only
when every part has a finite limit by the limit laws; a difference quotient such as
``(exp(a u) − exp(b u))/u`` has the part ``1/u`` without one, so a Sum of them is refused
although each term's limit (``a − b``) is finite. The rule here is the same law with one more
way to show a part finite: a part without Sums, Limits, Piecewise or Derivatives is given to
SymPy's ``limit`` as a whole, and kept only when the result is a finite value.

Like every rule, it returns an expression equal to its input, or its input unchanged where a
side condition fails (a Sum with bounds that are not integers or that depend on the limit
variable, a denominator whose limit is not known to be nonzero, a limit that is not finite).
"""

from __future__ import annotations

from sympy import Add, Derivative, Expr, Limit, Mul, Piecewise, Pow, Sum, Symbol, limit

from divsym.kernel.context import Context
from divsym.kernel.limit_rules import CommutativeLimit, finite_limit
from divsym.kernel.rules import Rule

__all__ = ["GRADIENT_RULES", "limit_of_difference_quotients", "termwise_finite_limit"]


def _whole_limit(f: Expr, x: Symbol, x0: Expr, direction: str) -> Expr | None:
    """SymPy's ``limit`` of ``f`` as a whole, when ``f`` has no binders and the value is finite."""
    if f.has(Sum, Limit, Piecewise, Derivative):
        return None
    try:
        value = limit(f, x, x0, direction)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if value.has(Limit) or value.is_finite is not True:
        return None
    return value  # type: ignore[no-any-return]


def _finite_bounds(s: Sum, x: Symbol) -> bool:
    return all(
        bound.is_integer is True and bound.is_finite is not False and x not in bound.free_symbols
        for limit_ in s.limits
        for bound in limit_[1:]
    )


def _nonzero(value: Expr) -> bool:
    if value.is_zero is False:
        return True
    if isinstance(value, Mul):
        return all(_nonzero(factor) for factor in value.args)
    if isinstance(value, Sum):
        return value.doit().is_zero is False  # e.g. Σ_{j=1}^{n} 1 = n
    return False


def termwise_finite_limit(f: Expr, x: Symbol, x0: Expr, direction: str = "+") -> Expr | None:
    """``lim_{x → x0} f`` by the limit laws, a part without binders taken by SymPy as a whole.

    ``None`` when no way shows the limit exists and is finite.
    """
    value = finite_limit(f, x, x0, direction)
    if value is not None:
        return value
    if isinstance(f, Sum):
        if not _finite_bounds(f, x):
            return None
        term = termwise_finite_limit(f.function, x, x0, direction)
        return None if term is None else Sum(term, *f.limits)
    if isinstance(f, (Add, Mul)):
        parts = [termwise_finite_limit(a, x, x0, direction) for a in f.args]
        if all(part is not None for part in parts):
            return f.func(*parts)  # type: ignore[no-any-return]
    if isinstance(f, Pow) and x not in f.exp.free_symbols and f.exp.is_integer:
        base = termwise_finite_limit(f.base, x, x0, direction)
        if base is not None and (f.exp.is_nonnegative or _nonzero(base)):
            return base**f.exp  # type: ignore[no-any-return]
    return _whole_limit(f, x, x0, direction)


def _through(lim: Limit) -> Expr:
    """One application of the sum, product, quotient and Sum laws, if every part is finite."""
    f, x, x0, direction = lim.args
    direction = str(direction)

    def pushed(part: Expr) -> Expr:
        if x not in part.free_symbols:
            return part
        return CommutativeLimit(part, x, x0, direction)

    if isinstance(f, (Add, Mul)):
        if any(termwise_finite_limit(a, x, x0, direction) is None for a in f.args):
            return lim
        return f.func(*(pushed(a) for a in f.args))  # type: ignore[no-any-return]
    if isinstance(f, Pow) and x not in f.exp.free_symbols and f.exp.is_integer:
        base = termwise_finite_limit(f.base, x, x0, direction)
        if base is None or not (f.exp.is_nonnegative or _nonzero(base)):
            return lim
        return pushed(f.base) ** f.exp  # type: ignore[no-any-return]
    if isinstance(f, Sum):
        if not _finite_bounds(f, x) or termwise_finite_limit(f.function, x, x0, direction) is None:
            return lim
        return Sum(pushed(f.function), *f.limits)
    return lim


def _limit_of_difference_quotients(expr: Expr, context: Context) -> Expr:
    previous = None
    while previous != expr:
        previous = expr
        expr = expr.replace(lambda e: isinstance(e, Limit), _through)
    return expr


limit_of_difference_quotients = Rule(
    "limit-of-difference-quotients",
    "lim (a ± b), lim ab, lim a/b and lim Σ_j a_j (integer bounds free of the variable) are"
    " taken part by part when every part's limit is finite (a part without Sums by SymPy's"
    " limit as a whole, e.g. (exp(a u) − exp(b u))/u → a − b) and a denominator's is not 0",
    _limit_of_difference_quotients,
)

#: The rules of this module by name.
GRADIENT_RULES: dict[str, Rule] = {
    limit_of_difference_quotients.name: limit_of_difference_quotients
}
