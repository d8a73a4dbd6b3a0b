"""Small, named, sound rules for the calculus of the softmax: derivatives, sums, limits.

Like :mod:`divsym.rules`, each rule is a pure function ``Expr -> Expr`` returning an expression
equal to its input under the facts of the :class:`~divsym.context.Context`, and its input
unchanged where a side condition fails. The limit rules are the algebraic limit laws; each one
applies only when the limits it creates exist and are finite (see :func:`finite_limit`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sympy import (
    Add,
    Basic,
    Derivative,
    Dummy,
    Expr,
    KroneckerDelta,
    Limit,
    Mul,
    Piecewise,
    Pow,
    S,
    Sum,
    Symbol,
    exp,
    factor_terms,
    limit,
    oo,
    piecewise_fold,
)
from sympy.core.relational import Relational
from sympy.printing.latex import LatexPrinter

from divsym.context import Context
from divsym.rules import Rule

__all__ = [
    "CALCULUS_RULES",
    "CommutativeLimit",
    "collapse_kronecker_sums",
    "differentiate",
    "evaluate_limits",
    "factor_common_terms",
    "finite_limit",
    "fold_piecewise",
    "limit_laws",
    "limit_through_piecewise",
    "limit_through_sum",
    "reciprocal_temperature",
    "resolve_piecewise_in_sums",
    "split_exponentials",
    "split_sum_at",
    "sum_of_constant",
    "u",
]


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


#: The reciprocal temperature ``u = 1/T``: ``T → ∞`` becomes ``u → 0⁺``.
u = Symbol("u", positive=True)


def _replace(expr: Expr, kind: type, rewrite: Callable[[Basic], Basic]) -> Expr:
    return expr.replace(lambda e: isinstance(e, kind), rewrite)  # type: ignore[no-any-return]


# --- derivatives and sums ------------------------------------------------------------------


def _differentiate(expr: Expr, context: Context) -> Expr:
    return _replace(expr, Derivative, lambda d: d.doit())


def _delta_partner(delta: KroneckerDelta, var: Symbol) -> Expr | None:
    a, b = delta.args
    if a == var and var not in b.free_symbols:
        return b  # type: ignore[no-any-return]
    if b == var and var not in a.free_symbols:
        return a  # type: ignore[no-any-return]
    return None


def _collapse(expr: Expr, context: Context) -> Expr:
    def collapse(s: Sum) -> Expr:
        if len(s.limits) != 1:
            return s
        var, low, high = s.limits[0]
        if low != 1 or high != context.classes:
            return s
        for factor in Mul.make_args(s.function):
            if not isinstance(factor, KroneckerDelta):
                continue
            partner = _delta_partner(factor, var)
            if partner in context.labels:  # an integer known to lie in 1..n
                rest = s.function / factor
                return rest.xreplace({var: partner})  # type: ignore[no-any-return]
        return s

    return _replace(expr, Sum, collapse)


def _split_exponentials(expr: Expr, context: Context) -> Expr:
    def split(e: exp) -> Expr:
        terms = Add.make_args(e.args[0].expand())
        if len(terms) == 1:
            return e
        return Mul(*(exp(term) for term in terms))

    return _replace(expr, exp, split)


def _factor_common(expr: Expr, context: Context) -> Expr:
    return factor_terms(expr)  # type: ignore[no-any-return]


def _sum_of_constant(expr: Expr, context: Context) -> Expr:
    def evaluate(s: Sum) -> Expr:
        if len(s.limits) != 1 or s.limits[0][0] in s.function.free_symbols:
            return s
        _, low, high = s.limits[0]
        return (high - low + 1) * s.function  # type: ignore[no-any-return]

    return _replace(expr, Sum, evaluate)


def split_sum_at(point: Symbol) -> Rule:
    """``Σ_{j=a}^{b} f_j = Σ_{j=a}^{m} f_j + Σ_{j=m+1}^{b} f_j`` at ``m = point``.

    It applies only to Sums over ``1..n`` and only when ``point`` is a label of the context
    (an integer known to lie in ``1..n``), so both parts are ordinary (possibly empty) sums.
    """

    def split(expr: Expr, context: Context) -> Expr:
        if point not in context.labels:
            return expr

        def at(s: Sum) -> Expr:
            if len(s.limits) != 1:
                return s
            var, low, high = s.limits[0]
            if low != 1 or high != context.classes or var == point:
                return s
            return Sum(s.function, (var, low, point)) + Sum(s.function, (var, point + 1, high))

        return _replace(expr, Sum, at)

    return Rule(
        f"split-sum-at-{point}",
        f"Σ_(j=1..n) f_j = Σ_(j=1..{point}) f_j + Σ_(j={point}+1..n) f_j for 1 ≤ {point} ≤ n",
        split,
    )


def _decide_on_range(condition: Basic, var: Symbol, low: Expr, high: Expr) -> Basic:
    """``condition`` decided for every integer ``var`` in ``low..high``, or left as it is.

    Only ``var ≤ e``, ``var < e``, ``var ≥ e``, ``var > e`` with ``e`` free of ``var`` are
    decided: they are monotone in ``var``, so the endpoints decide the whole range.
    """
    if not isinstance(condition, Relational) or condition.rel_op not in ("<=", "<", ">=", ">"):
        return condition
    if condition.lhs != var or var in condition.rhs.free_symbols:
        reversed_ = condition.reversed
        if reversed_.lhs != var or var in reversed_.rhs.free_symbols:
            return condition
        condition = reversed_
    upward = condition.rel_op in ("<=", "<")  # true on an initial segment of the integers
    at_low, at_high = condition.subs(var, low), condition.subs(var, high)
    if (upward and at_high is S.true) or (not upward and at_low is S.true):
        return S.true
    if (upward and at_low is S.false) or (not upward and at_high is S.false):
        return S.false
    return condition


def _ordered(low: Expr, high: Expr, context: Context) -> bool:
    """Whether ``low ≤ high + 1`` is known: the Sum is empty or runs upwards (no Karr sign flip).

    Besides SymPy's assumptions it uses that each label ``ℓ`` satisfies ``ℓ ≤ n``, i.e.
    ``n = ℓ + t`` with an integer ``t ≥ 0``, one label at a time.
    """
    count = high - low + 1
    if count.is_nonnegative:
        return True
    slack = Dummy("t", integer=True, nonnegative=True)
    return any(
        count.subs(context.classes, label + slack).is_nonnegative is True
        for label in context.labels
    )


def _resolve_piecewise(expr: Expr, context: Context) -> Expr:
    def resolve(s: Sum) -> Expr:
        if len(s.limits) != 1:
            return s
        var, low, high = s.limits[0]
        if not _ordered(low, high, context):
            return s

        def decide(p: Piecewise) -> Expr:
            pairs = [(e, _decide_on_range(c, var, low, high)) for e, c in p.args]
            return Piecewise(*pairs)  # type: ignore[no-any-return]

        return Sum(_replace(s.function, Piecewise, decide), *s.limits)

    return _replace(expr, Sum, resolve)


_BINDERS = (Sum, Limit, Derivative)


def _fold_piecewise(expr: Expr, context: Context) -> Expr:
    # SymPy's piecewise_fold also pulls a Piecewise out of a Sum or a Limit, which is wrong
    # when its condition involves the bound variable: fold only between binders.
    if not expr.has(Piecewise):
        return expr
    if isinstance(expr, _BINDERS):
        return expr.func(_fold_piecewise(expr.args[0], context), *expr.args[1:])  # type: ignore[no-any-return]
    if expr.has(*_BINDERS):
        return expr.func(*(_fold_piecewise(a, context) for a in expr.args))  # type: ignore[no-any-return]
    return piecewise_fold(expr)  # type: ignore[no-any-return]


# --- limits -------------------------------------------------------------------------------


def _limit_args(lim: Limit) -> tuple[Expr, Symbol, Expr, str]:
    function, variable, point, direction = lim.args
    return function, variable, point, str(direction)


def _leaf_limit(f: Expr, x: Symbol, x0: Expr, direction: str) -> Expr | None:
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
    return _leaf_limit(f, x, x0, direction)


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
        value = _leaf_limit(f, x, x0, direction)
        return lim if value is None else value

    return _replace(expr, Limit, evaluate)


differentiate = Rule(
    "differentiate",
    "carry out each derivative: linearity, product, quotient and chain rules, ∂z_j/∂z_k = δ_jk",
    _differentiate,
)
collapse_kronecker_sums = Rule(
    "collapse-kronecker-sums",
    "Σ_(j=1..n) f_j δ_jk = f_k for an integer k known to lie in 1..n",
    _collapse,
)
split_exponentials = Rule("split-exponentials", "exp(a + b) = exp(a)·exp(b)", _split_exponentials)
factor_common_terms = Rule(
    "factor-common-terms",
    "a·b + a·c = a·(b + c), and a common factor of a quotient cancels",
    _factor_common,
)
sum_of_constant = Rule(
    "sum-of-constant",
    "Σ_(j=a..b) c = (b − a + 1)·c when c does not depend on j",
    _sum_of_constant,
)
resolve_piecewise_in_sums = Rule(
    "resolve-piecewise-in-sums",
    "inside Σ_(j=a..b), a condition j ≤ e (or <, ≥, >) true or false on the whole range is decided",
    _resolve_piecewise,
)
fold_piecewise = Rule(
    "fold-piecewise",
    "f(Piecewise((a, c), (b, d))) = Piecewise((f(a), c), (f(b), d))",
    _fold_piecewise,
)
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
    "lim Σ_(j=a..b) f_j = Σ_(j=a..b) lim f_j when a, b do not depend on the limit variable and "
    "every term's limit is finite",
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

#: Every calculus rule by name (``split_sum_at`` is a factory and is not listed).
CALCULUS_RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        differentiate,
        collapse_kronecker_sums,
        split_exponentials,
        factor_common_terms,
        sum_of_constant,
        resolve_piecewise_in_sums,
        fold_piecewise,
        reciprocal_temperature,
        limit_laws,
        limit_through_sum,
        limit_through_piecewise,
        evaluate_limits,
    )
}
