"""Small, named, sound rules for the calculus of the softmax: derivatives, sums, Piecewise.

Like :mod:`~divsym.kernel.rules`, each rule is a pure function ``Expr -> Expr`` returning an
expression equal to its input under the facts of the
:class:`~divsym.kernel.context.Context`, and its input unchanged where a side condition fails.
The limit laws are in :mod:`~divsym.kernel.limit_rules`.
"""

from __future__ import annotations

from collections.abc import Callable

from sympy import (
    Abs,
    Add,
    Basic,
    Derivative,
    DiracDelta,
    Dummy,
    Expr,
    Heaviside,
    Indexed,
    Limit,
    Max,
    Min,
    Mod,
    Mul,
    Piecewise,
    Product,
    S,
    Sum,
    Symbol,
    ceiling,
    exp,
    factor_terms,
    floor,
    frac,
    piecewise_fold,
    preorder_traversal,
    sign,
)
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanFunction

from divsym.kernel.context import Context
from divsym.kernel.discrete_rules import collapse_indicators
from divsym.kernel.index_ranges import integer_limits, known_le
from divsym.kernel.limit_rules import LIMIT_RULES
from divsym.kernel.rules import Rule

__all__ = [
    "CALCULUS_RULES",
    "collapse_kronecker_sums",
    "differentiate",
    "factor_common_terms",
    "fold_piecewise",
    "resolve_piecewise_in_sums",
    "split_exponentials",
    "split_sum_at",
    "sum_of_constant",
]


def _replace(expr: Expr, kind: type, rewrite: Callable[[Basic], Basic]) -> Expr:
    return expr.replace(lambda e: isinstance(e, kind), rewrite)  # type: ignore[no-any-return]


#: Functions that are not differentiable where their argument crosses a jump or a kink
#: (SymPy differentiates them anyway: ``d|x|/dx = sign(x)``, also at 0).
_NON_SMOOTH = (Abs, sign, Heaviside, DiracDelta, floor, ceiling, frac, Max, Min, Mod)
#: ... and conditions outside a Piecewise (a Relational or a Boolean function of the variable).
_JUMPS = (*_NON_SMOOTH, Relational, BooleanFunction)


def _depends_on(expr: Basic, variables: tuple[Basic, ...]) -> bool:
    """Whether ``expr`` may change with a variable of differentiation.

    For ``z_k`` any entry of ``z`` counts (``z_j`` is ``z_k`` when ``j = k``).
    """
    return any(expr.has(v.base if isinstance(v, Indexed) else v) for v in variables)


def _smooth_in(expr: Expr, variables: tuple[Basic, ...]) -> bool:
    """Whether ``expr`` has no jump or kink in ``variables`` that SymPy would differentiate.

    A Piecewise whose condition depends on a variable (or any condition, kept as a Boolean
    argument) and a non-smooth function of a variable make SymPy's derivative valid only away
    from the jump, so they are refused; a Piecewise whose conditions are free of the variables
    is differentiated branch by branch, which is exact.
    """
    for node in preorder_traversal(expr):
        if isinstance(node, Piecewise):
            if any(_depends_on(condition, variables) for _, condition in node.args):
                return False
        elif isinstance(node, _JUMPS) and _depends_on(node, variables):
            return False
    return True


def _differentiable(d: Derivative) -> bool:
    """Whether SymPy's derivative ``d.doit()`` is the derivative everywhere.

    Every Sum or Product inside ``d`` must have finitely many terms (integer bounds) whose
    number does not depend on a variable of differentiation: SymPy would differentiate through
    an infinite series, and through a bound. And the expression must be smooth in the
    variables (:func:`_smooth_in`): no Piecewise jumping with them, no ``|x|``, ``sign``,
    ``Heaviside``, ``floor``, ``Max``, ``Min`` of them.
    """
    variables = tuple(dict.fromkeys(d.variables))
    for binder in d.expr.atoms(Sum, Product):
        if not integer_limits(binder.limits):
            return False
        if any(set(variables) & bound.free_symbols for lim in binder.limits for bound in lim[1:]):
            return False
    return _smooth_in(d.expr, variables)


def _differentiate(expr: Expr, context: Context) -> Expr:
    return _replace(expr, Derivative, lambda d: d.doit() if _differentiable(d) else d)


def _split_exponentials(expr: Expr, context: Context) -> Expr:
    def split(e: exp) -> Expr:
        terms = Add.make_args(e.args[0].expand())
        if len(terms) == 1:
            return e
        return Mul(*(exp(term) for term in terms))

    return _replace(expr, exp, split)


def _factor_common(expr: Expr, context: Context) -> Expr:
    # factor_terms also pulls constants out of a Sum: an infinite one is kept opaque, as
    # pull-constants does (0·Σ_(j≥1) 1 is not 0).
    opaque = {s: Dummy() for s in expr.atoms(Sum, Product) if not integer_limits(s.limits)}
    factored = factor_terms(expr.xreplace(opaque))
    return factored.xreplace({d: s for s, d in opaque.items()})  # type: ignore[no-any-return]


def _sum_of_constant(expr: Expr, context: Context) -> Expr:
    def evaluate(s: Sum) -> Expr:
        if s.function == 0:
            return S.Zero  # every convention agrees
        if len(s.limits) != 1 or s.limits[0][0] in s.function.free_symbols:
            return s
        _, low, high = s.limits[0]
        # Integer bounds, and low ≤ high + 1 known: the count is not a Karr negative one.
        if not integer_limits(s.limits) or not known_le(low, high + 1, context):
            return s
        return (high - low + 1) * s.function  # type: ignore[no-any-return]

    return _replace(expr, Sum, evaluate)


def split_sum_at(point: Expr) -> Rule:
    """``Σ_{j=a}^{b} f_j = Σ_{j=a}^{m} f_j + Σ_{j=m+1}^{b} f_j`` at ``m = point``.

    It applies only to Sums with integer bounds and an integer ``point`` known (from SymPy's
    assumptions or the context's labels and indices) to satisfy ``a - 1 ≤ m ≤ b``, so both
    parts are ordinary, possibly empty, sums (never a Karr negative one).
    """
    if not isinstance(point, Expr):
        raise TypeError(f"split_sum_at: point must be a SymPy expression, got {point!r}")

    def split(expr: Expr, context: Context) -> Expr:
        if point.is_integer is not True:
            return expr

        def at(s: Sum) -> Expr:
            if len(s.limits) != 1 or not integer_limits(s.limits):
                return s
            var, low, high = s.limits[0]
            if point.has(var) or not known_le(low - 1, point, context):
                return s
            if not known_le(point, high, context):
                return s
            return Sum(s.function, (var, low, point)) + Sum(s.function, (var, point + 1, high))

        return _replace(expr, Sum, at)

    return Rule(
        f"split-sum-at-{point}",
        f"Σ_(j=a..b) f_j = Σ_(j=a..{point}) f_j + Σ_(j={point}+1..b) f_j for a-1 ≤ {point} ≤ b",
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


def _resolve_piecewise(expr: Expr, context: Context) -> Expr:
    def resolve(s: Sum) -> Expr:
        if len(s.limits) != 1:
            return s
        var, low, high = s.limits[0]
        # The endpoints decide the range only when it runs upwards (low ≤ high + 1, Karr).
        if not integer_limits(s.limits) or not known_le(low, high + 1, context):
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


differentiate = Rule(
    "differentiate",
    "carry out each derivative: linearity, product, quotient and chain rules, ∂z_j/∂z_k = δ_jk;"
    " through finite Sums only, never across a jump or kink (Piecewise, |x|, sign, Max, …)",
    _differentiate,
)
collapse_kronecker_sums = Rule(
    "collapse-kronecker-sums",
    "Σ_(j=a..b) f_j δ_jk = f_k for an integer k known to lie in a..b (collapse-indicator-sum)",
    collapse_indicators,
)
split_exponentials = Rule("split-exponentials", "exp(a + b) = exp(a)·exp(b)", _split_exponentials)
factor_common_terms = Rule(
    "factor-common-terms",
    "a·b + a·c = a·(b + c), and a common factor of a quotient cancels (not inside infinite Sums)",
    _factor_common,
)
sum_of_constant = Rule(
    "sum-of-constant",
    "Σ_(j=a..b) c = (b − a + 1)·c when c does not depend on j, for integer a ≤ b + 1",
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

#: Every calculus rule by name, the limit rules of :mod:`divsym.kernel.limit_rules` included
#: (``split_sum_at`` is a factory and is not listed).
CALCULUS_RULES: dict[str, Rule] = {
    **{
        rule.name: rule
        for rule in (
            differentiate,
            collapse_kronecker_sums,
            split_exponentials,
            factor_common_terms,
            sum_of_constant,
            resolve_piecewise_in_sums,
            fold_piecewise,
        )
    },
    **LIMIT_RULES,
}
