"""Rules for the high-temperature expansions of knowledge distillation (Hinton et al., 2015).

:mod:`~divsym.kernel.limit_rules` pushes a limit through a sum, product, quotient or Sum only
when every part has a finite limit by the limit laws; a difference quotient such as
``(exp(a u) − exp(b u))/u`` has the part ``1/u`` without one, so a Sum of them is refused
although each term's limit (``a − b``) is finite. The rule here is the same law with one more
way to show a part finite: a part without Sums, Limits, Piecewise or Derivatives is given to
SymPy's ``limit`` as a whole, and kept only when the result is a finite value.

Two algebraic rules bring a difference of softmax-like quotients into that shape, a Sum of
difference quotients over one denominator: :data:`absorb_count` writes ``n + c Σ_j t_j`` as
``Σ_j (1 + c t_j)`` (the reverse of splitting off ``Σ_j 1 = n``), and
:data:`quotients_over_one_sum` writes ``a/Σ_j s_j + b/Σ_j l_j`` as
``Σ_j (a l_j + b s_j) / (Σ_j s_j · Σ_j l_j)``. The canonical form cannot find either (it only
splits Sums and never brings fractions together), and the limit law needs them: in
``(e^{au}/Σ_j e^{z_j u} − (1 + au)/(n + u Σ_j z_j))/u²`` no part has a finite limit, while
every term of ``Σ_j (e^{au}(1 + z_j u) − (1 + au) e^{z_j u})/u²`` has one.

Like every rule, each returns an expression equal to its input, or its input unchanged where a
side condition fails (a Sum with bounds that are not integers or that depend on the limit
variable, a denominator whose limit is not known to be nonzero, a limit that is not finite).
"""

from __future__ import annotations

from sympy import (
    Add,
    Basic,
    Expr,
    Limit,
    Mul,
    Pow,
    S,
    Sum,
    Symbol,
)

from divsym.kernel.context import Context
from divsym.kernel.index_ranges import integer_limits
from divsym.kernel.limit_rules import finite_limit, leaf_limit
from divsym.kernel.rules import Rule
from divsym.symbols.limits import CommutativeLimit

__all__ = [
    "GRADIENT_RULES",
    "absorb_count",
    "limit_of_difference_quotients",
    "quotients_over_one_sum",
    "termwise_finite_limit",
]


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
    return leaf_limit(f, x, x0, direction)


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


def _scaled_sum(term: Expr) -> tuple[Expr, Sum] | None:
    """``(c, Σ)`` when ``term`` is ``c·Σ`` with exactly one Sum factor, else None."""
    factors = Mul.make_args(term)
    sums = [f for f in factors if isinstance(f, Sum)]
    if len(sums) != 1:
        return None
    (found,) = sums
    return Mul(*(f for f in factors if f is not found)), found


def _absorb(add: Add, classes: Symbol) -> Expr:
    """``n + c Σ_{j=1}^{n} t_j + rest`` → ``Σ_{j=1}^{n} (1 + c t_j) + rest``, or ``add``."""
    terms = list(add.args)
    if terms.count(classes) != 1:
        return add
    candidates = []
    for position, term in enumerate(terms):
        scaled = _scaled_sum(term)
        if scaled is None:
            continue
        c, s = scaled
        if len(s.limits) != 1 or not integer_limits(s.limits):
            continue
        index, low, high = s.limits[0]
        if low == 1 and high == classes and index not in c.free_symbols:
            candidates.append((position, c, s))
    if len(candidates) != 1:
        return add  # none, or several Sums the count could go into: not this rule's choice
    position, c, s = candidates[0]
    index = s.limits[0][0]
    absorbed = Sum(1 + c * s.function, (index, 1, classes))
    rest = [t for p, t in enumerate(terms) if p != position and t != classes]
    return Add(absorbed, *rest)


def _absorb_count(expr: Expr, context: Context) -> Expr:
    classes = context.classes
    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Add) and classes in e.args,
        lambda e: _absorb(e, classes),
    )


def _over_a_sum(term: Expr) -> tuple[Expr, Sum] | None:
    """``(a, Σ)`` when ``term`` is ``a / Σ`` with exactly one factor ``Σ^-1``, else None."""
    factors = Mul.make_args(term)
    inverses = [
        f for f in factors if isinstance(f, Pow) and f.exp == -1 and isinstance(f.base, Sum)
    ]
    if len(inverses) != 1:
        return None
    (found,) = inverses
    return Mul(*(f for f in factors if f is not found)), found.base


def _combine(add: Expr, factor: Expr) -> Expr | None:
    """``factor·(a/Σ_j s_j + b/Σ_j l_j)`` as one Sum over one denominator, or None."""
    if not isinstance(add, Add) or len(add.args) != 2:
        return None
    first, second = (_over_a_sum(term) for term in add.args)
    if first is None or second is None:
        return None
    (a, s), (b, ell) = first, second
    if len(s.limits) != 1 or len(ell.limits) != 1 or not integer_limits(s.limits + ell.limits):
        return None
    (j, low, high), (m, low_l, high_l) = s.limits[0], ell.limits[0]
    if (low, high) != (low_l, high_l):
        return None
    outside = a.free_symbols | b.free_symbols | factor.free_symbols
    if j in outside or m in outside:
        return None
    l_j = ell.function.xreplace({m: j})
    numerator = Mul(factor, a * l_j + b * s.function)
    return Sum(numerator, (j, low, high)) / (s * ell)  # type: ignore[no-any-return]


def _quotients_over_one_sum(expr: Expr, context: Context) -> Expr:
    def walk(e: Basic) -> Basic:
        if isinstance(e, Mul):
            pairs = [a for a in e.args if _combine(a, S.One) is not None]
            if len(pairs) == 1:
                factor = Mul(*(a for a in e.args if a is not pairs[0]))
                combined = _combine(pairs[0], factor)
                if combined is not None:
                    return combined
        combined = _combine(e, S.One) if isinstance(e, Add) else None
        if combined is not None:
            return combined
        if not e.args or isinstance(e, Sum):
            return e  # a Sum is the numerator of another pair, or inside one: left alone
        return e.func(*(walk(a) for a in e.args))

    return walk(expr)  # type: ignore[return-value]


absorb_count = Rule(
    "absorb-count",
    "n + c Σ_(j=1..n) t_j = Σ_(j=1..n) (1 + c t_j) for the number of classes n, c free of j"
    " (Σ_(j=1..n) 1 = n, read backwards); refused when several Sums could take the n",
    _absorb_count,
)
quotients_over_one_sum = Rule(
    "quotients-over-one-sum",
    "c (a/Σ_j s_j + b/Σ_j l_j) = Σ_j c (a l_j + b s_j) / (Σ_j s_j · Σ_j l_j) for two Sums over"
    " the same integer bounds and a, b, c free of j: one denominator, the numerator one Sum",
    _quotients_over_one_sum,
)

#: The rules of this module by name.
GRADIENT_RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (limit_of_difference_quotients, absorb_count, quotients_over_one_sum)
}
