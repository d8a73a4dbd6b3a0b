"""Each calculus and limit rule on its own: where it applies, and where it must refuse."""

from __future__ import annotations

import pytest
from sympy import (
    Abs,
    Derivative,
    Expr,
    Heaviside,
    IndexedBase,
    KroneckerDelta,
    Limit,
    Max,
    Min,
    Piecewise,
    Sum,
    Symbol,
    ceiling,
    exp,
    floor,
    log,
    oo,
    sign,
    sin,
)

from divsym.kernel.calculus_rules import (
    CALCULUS_RULES,
    collapse_kronecker_sums,
    differentiate,
    factor_common_terms,
    fold_piecewise,
    resolve_piecewise_in_sums,
    split_exponentials,
    split_sum_at,
    sum_of_constant,
)
from divsym.kernel.context import Context
from divsym.kernel.limit_rules import (
    LIMIT_RULES,
    evaluate_limits,
    finite_limit,
    limit_laws,
    limit_through_piecewise,
    limit_through_sum,
    reciprocal_temperature,
    u,
)
from divsym.render.latex import to_latex
from divsym.symbols.limits import CommutativeLimit
from divsym.symbols.notation import T, c, i, j, k, n, z

NO_FACTS = Context()
m = Symbol("m", integer=True, positive=True)
d = IndexedBase("d", positive=True)
LABELS = Context(labels=(k, m))


def test_every_calculus_rule_is_registered_under_its_name() -> None:
    assert {rule.name for rule in CALCULUS_RULES.values()} == set(CALCULUS_RULES)
    assert len(CALCULUS_RULES) == 12
    assert set(LIMIT_RULES) <= set(CALCULUS_RULES)


def test_commutative_limit_commutes_where_sympy_limit_does_not() -> None:
    a = CommutativeLimit(exp(z[i] * u), u, 0, "+")
    s = Sum(CommutativeLimit(exp(z[j] * u), u, 0, "+"), (j, 1, n))
    assert a / s == s**-1 * a
    plain_a, plain_s = (
        Limit(exp(z[i] * u), u, 0, "+"),
        Sum(Limit(exp(z[j] * u), u, 0, "+"), (j, 1, n)),
    )
    assert plain_a / plain_s != plain_s**-1 * plain_a  # the SymPy behaviour it works around
    assert to_latex(a) == to_latex(Limit(exp(z[i] * u), u, 0, "+"))


def test_differentiate_applies_the_chain_rule_with_kronecker_deltas() -> None:
    expr = Derivative(exp(z[i] / T), z[k])
    assert differentiate(expr, NO_FACTS) == KroneckerDelta(i, k) * exp(z[i] / T) / T


X = Symbol("x", real=True)

# Each is differentiable only away from a jump or kink in the variable; SymPy differentiates
# it anyway (d|x|/dx = sign(x), also at 0; a Piecewise branch by branch, the jump ignored).
NON_SMOOTH = {
    "Piecewise jumping in x": Derivative(Piecewise((X, X > 0), (0, True)), X),
    "Piecewise jumping in T": Derivative(Piecewise((exp(z[i] / T), c <= T), (1, True)), T),
    "Piecewise jumping in another entry of z": Derivative(
        Piecewise((z[i], z[j] > 0), (0, True)), z[k]
    ),
    "Piecewise jumping inside a Sum": Derivative(
        Sum(Piecewise((z[j], z[j] > c), (c, True)), (j, 1, n)), z[k]
    ),
    "Abs": Derivative(Abs(X), X),
    "sign": Derivative(X * sign(X), X),
    "Heaviside": Derivative(X * Heaviside(X), X),
    "floor": Derivative(X + floor(X), X),
    "ceiling": Derivative(ceiling(X / T), T),
    "Max": Derivative(Max(z[j], c), z[k]),
    "Min": Derivative(Min(X, 1) ** 2, X),
}


@pytest.mark.parametrize("name", sorted(NON_SMOOTH))
def test_differentiate_refuses_a_jump_or_kink_in_the_variable(name: str) -> None:
    expr = NON_SMOOTH[name]
    assert Derivative(expr.expr, *expr.variables).doit() != expr  # SymPy would go ahead
    assert differentiate(expr, NO_FACTS) == expr, name


def test_differentiate_goes_through_a_piecewise_with_conditions_free_of_the_variable() -> None:
    # Branch by branch is exact when the branch does not move with x; so is |c| as a constant.
    expr = Derivative(Piecewise((X**2, c > 0), (X, True)), X)
    assert differentiate(expr, NO_FACTS) == Piecewise((2 * X, c > 0), (1, True))
    assert differentiate(Derivative(Abs(c) * X, X), NO_FACTS) == Abs(c)
    inside = Derivative(Sum(Piecewise((z[j], j <= m), (0, True)), (j, 1, n)), z[k])
    assert differentiate(inside, NO_FACTS) != inside


def test_collapse_kronecker_sums_keeps_the_term_of_the_label() -> None:
    s = Sum(KroneckerDelta(j, k) * exp(z[j] / T), (j, 1, n))
    assert collapse_kronecker_sums(s, LABELS) == exp(z[k] / T)


def test_collapse_kronecker_sums_refuses_without_the_range_fact() -> None:
    # Without "1 ≤ k ≤ n" the Sum may miss k entirely: it must stay.
    s = Sum(KroneckerDelta(j, k) * exp(z[j] / T), (j, 1, n))
    assert collapse_kronecker_sums(s, NO_FACTS) == s
    partial = Sum(KroneckerDelta(j, k) * exp(z[j] / T), (j, 2, n))
    assert collapse_kronecker_sums(partial, LABELS) == partial
    inside_a_sum = Sum(KroneckerDelta(j, k) + exp(z[j] / T), (j, 1, n))
    assert collapse_kronecker_sums(inside_a_sum, LABELS) == inside_a_sum


def test_split_exponentials_splits_a_sum_in_the_exponent() -> None:
    expr = exp((z[i] + c) / T)
    assert split_exponentials(expr, NO_FACTS) == exp(z[i] / T) * exp(c / T)
    assert split_exponentials(exp(z[i] / T), NO_FACTS) == exp(z[i] / T)


def test_factor_common_terms_cancels_a_common_factor() -> None:
    x = exp(c / T)
    assert factor_common_terms(x * z[i] / (x * z[j] + x * z[k]), NO_FACTS) == z[i] / (z[j] + z[k])


def test_sum_of_constant_counts_the_terms() -> None:
    assert sum_of_constant(Sum(c, (j, 1, n)), NO_FACTS) == n * c
    # m ≤ n is a context fact (m is a label): the Sum from m + 1 runs upwards or is empty.
    assert sum_of_constant(Sum(c, (j, m + 1, n)), LABELS) == (n - m) * c


def test_sum_of_constant_refuses_bounds_of_unknown_order() -> None:
    # Without m ≤ n, Σ_(j=m+1..n) may be a Karr "negative" sum: the count is not known.
    s = Sum(c, (j, m + 1, n))
    assert sum_of_constant(s, NO_FACTS) == s


def test_sum_of_constant_refuses_a_term_that_depends_on_the_index() -> None:
    s = Sum(z[j], (j, 1, n))
    assert sum_of_constant(s, NO_FACTS) == s


def test_split_sum_at_a_label() -> None:
    rule = split_sum_at(m)
    s = Sum(z[j], (j, 1, n))
    assert rule(s, LABELS) == Sum(z[j], (j, 1, m)) + Sum(z[j], (j, m + 1, n))


def test_split_sum_at_reasons_from_the_sums_own_bounds() -> None:
    # 1 ≤ m ≤ n, so 2 - 1 ≤ m ≤ n: both parts of Σ_(j=2..n) run upwards or are empty.
    s = Sum(z[j], (j, 2, n))
    assert split_sum_at(m)(s, LABELS) == Sum(z[j], (j, 2, m)) + Sum(z[j], (j, m + 1, n))


def test_split_sum_at_refuses_a_point_not_known_to_lie_in_the_range() -> None:
    s = Sum(z[j], (j, 1, n))
    assert split_sum_at(m)(s, NO_FACTS) == s
    from_three = Sum(z[j], (j, 3, n))  # m = 1 would make Σ_(j=3..1) a Karr negative sum
    assert split_sum_at(m)(from_three, LABELS) == from_three
    to_n_minus_one = Sum(z[j], (j, 1, n - 1))  # m = n lies outside
    assert split_sum_at(m)(to_n_minus_one, LABELS) == to_n_minus_one


def _gap(index: Symbol) -> Piecewise:
    return Piecewise((0, index <= m), (d[index], True))


def test_resolve_piecewise_in_sums_decides_the_condition_on_each_part() -> None:
    first = Sum(exp(-_gap(j)), (j, 1, m))
    second = Sum(exp(-_gap(j)), (j, m + 1, n))
    assert resolve_piecewise_in_sums(first, LABELS) == Sum(1, (j, 1, m))
    assert resolve_piecewise_in_sums(second, LABELS) == Sum(exp(-d[j]), (j, m + 1, n))


def test_resolve_piecewise_in_sums_refuses_an_undecided_range() -> None:
    whole = Sum(exp(-_gap(j)), (j, 1, n))  # the condition j ≤ m changes inside 1..n
    assert resolve_piecewise_in_sums(whole, LABELS) == whole
    # Without m ≤ n, Σ_{j=m+1}^{n} may run backwards (Karr's convention): refuse.
    backwards = Sum(exp(-_gap(j)), (j, m + 1, n))
    assert resolve_piecewise_in_sums(backwards, NO_FACTS) == backwards


def test_fold_piecewise_folds_outside_sums_only() -> None:
    folded = fold_piecewise(exp(-_gap(i)), NO_FACTS)
    assert folded == Piecewise((1, i <= m), (exp(-d[i]), True))
    # SymPy's piecewise_fold would pull a condition on the bound j out of the Sum: refused.
    s = Sum(Piecewise((1, j <= m), (2, True)), (j, 1, n))
    assert fold_piecewise(s, NO_FACTS) == s


def test_reciprocal_temperature_substitutes_u_for_one_over_t() -> None:
    lim = CommutativeLimit(exp(z[i] / T), T, oo)
    assert reciprocal_temperature(lim, NO_FACTS) == CommutativeLimit(exp(z[i] * u), u, 0, "+")


def test_reciprocal_temperature_refuses_other_limits() -> None:
    x = Symbol("x", real=True)  # not known positive: 1/u would not cover x → ∞ honestly
    for lim in (CommutativeLimit(exp(z[i] / T), T, 0, "+"), CommutativeLimit(exp(1 / x), x, oo)):
        assert reciprocal_temperature(lim, NO_FACTS) == lim


def test_finite_limit_uses_the_limit_laws() -> None:
    s = Sum(exp(z[j] * u), (j, 1, n))
    assert finite_limit(exp(z[i] * u) / s, u, 0, "+") == 1 / Sum(1, (j, 1, n))
    assert finite_limit(exp(-d[j] / T), T, 0, "+") == 0


def test_finite_limit_refuses_infinite_or_undecided_limits() -> None:
    assert finite_limit(exp(d[j] / T), T, 0, "+") is None  # → ∞
    assert finite_limit(exp(z[j] / T), T, 0, "+") is None  # depends on the sign of z_j
    assert finite_limit(1 / exp(-d[j] / T), T, 0, "+") is None  # 1/0
    assert finite_limit(Sum(exp(-d[j] / T), (j, 1, 1 / T)), T, 0, "+") is None  # T-many terms


def test_limit_laws_split_a_quotient_with_finite_parts() -> None:
    lim = CommutativeLimit(exp(z[i] * u) / (c**2 + 1 + exp(z[k] * u)), u, 0, "+")
    split = limit_laws(lim, NO_FACTS)
    assert split == CommutativeLimit(exp(z[i] * u), u, 0, "+") / (
        c**2 + 1 + CommutativeLimit(exp(z[k] * u), u, 0, "+")
    )


def test_limit_laws_refuse_a_quotient_whose_denominator_tends_to_zero() -> None:
    # lim sin(u)/u = 1, but the quotient law does not apply: the denominator's limit is 0.
    lim = CommutativeLimit(sin(u) / u, u, 0, "+")
    assert limit_laws(lim, NO_FACTS) == lim
    # T·exp(d/T): one factor tends to infinity, so the product law does not apply.
    diverging = CommutativeLimit(T * exp(d[i] / T), T, 0, "+")
    assert limit_laws(diverging, NO_FACTS) == diverging


def test_limit_through_sum_when_the_terms_are_finite_and_their_number_fixed() -> None:
    lim = CommutativeLimit(Sum(exp(-d[j] / T), (j, m + 1, n)), T, 0, "+")
    assert limit_through_sum(lim, NO_FACTS) == Sum(
        CommutativeLimit(exp(-d[j] / T), T, 0, "+"), (j, m + 1, n)
    )


def test_limit_through_sum_refuses() -> None:
    infinite_terms = CommutativeLimit(Sum(exp(d[j] / T), (j, 1, n)), T, 0, "+")
    moving_bound = CommutativeLimit(Sum(exp(-d[j] / T), (j, 1, 1 / T)), T, 0, "+")
    undecided = CommutativeLimit(Sum(exp(z[j] / T), (j, 1, n)), T, 0, "+")
    for lim in (infinite_terms, moving_bound, undecided):
        assert limit_through_sum(lim, NO_FACTS) == lim


def test_limit_through_piecewise_needs_conditions_free_of_the_variable() -> None:
    ok = CommutativeLimit(Piecewise((1, i <= m), (exp(-d[i] / T), True)), T, 0, "+")
    assert limit_through_piecewise(ok, NO_FACTS) == Piecewise(
        (1, i <= m), (CommutativeLimit(exp(-d[i] / T), T, 0, "+"), True)
    )
    moving = CommutativeLimit(Piecewise((1, c >= T), (exp(-d[i] / T), True)), T, 0, "+")
    assert limit_through_piecewise(moving, NO_FACTS) == moving


def test_evaluate_limits_of_sum_free_expressions() -> None:
    assert evaluate_limits(CommutativeLimit(exp(-d[j] / T), T, 0, "+"), NO_FACTS) == 0
    assert evaluate_limits(CommutativeLimit(exp(z[j] * u), u, 0, "+"), NO_FACTS) == 1


def test_evaluate_limits_refuses_infinite_undecided_and_sum_limits() -> None:
    refused: list[Expr] = [
        CommutativeLimit(exp(d[j] / T), T, 0, "+"),
        CommutativeLimit(exp(z[j] / T), T, 0, "+"),
        CommutativeLimit(Sum(exp(-d[j] / T), (j, 1, n)), T, 0, "+"),
        CommutativeLimit(log(u), u, 0, "+"),
    ]
    for lim in refused:
        assert evaluate_limits(lim, NO_FACTS) == lim
