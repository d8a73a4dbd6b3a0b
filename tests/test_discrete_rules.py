"""The discrete rules and the argmax/argmin rules, each on its own: where they apply and refuse."""

from __future__ import annotations

from sympy import (
    Add,
    IndexedBase,
    KroneckerDelta,
    Piecewise,
    Product,
    Rational,
    Sum,
    Symbol,
    log,
)

from divsym.kernel.canonical import canonical_form
from divsym.kernel.context import Context
from divsym.kernel.discrete_rules import (
    DISCRETE_RULES,
    collapse_indicator_sum,
    expand_log_arguments,
    log_content,
    log_of_product,
)
from divsym.kernel.optimisation import argopt_drop_constant, argopt_log, argopt_negate
from divsym.symbols.conditional import ModelConditional, OneHotTarget, theta
from divsym.symbols.notation import i, n, p, q, z
from divsym.symbols.optimum import ArgMax, ArgMin

NO_FACTS = Context()
y = Symbol("y", integer=True, positive=True)
label = Symbol("y_i", integer=True, positive=True)
LABELLED = Context(labels=(label,))
f = IndexedBase("f", positive=True)


def test_every_discrete_rule_is_registered_under_its_name() -> None:
    assert {rule.name for rule in DISCRETE_RULES.values()} == set(DISCRETE_RULES)
    assert set(DISCRETE_RULES) == {
        "log-content",
        "expand-log-arguments",
        "log-of-product",
        "collapse-indicator-sum",
    }


# --- collapse-indicator-sum -------------------------------------------------------------------


def test_collapse_keeps_only_the_labelled_term() -> None:
    s = Sum(KroneckerDelta(y, label) * log(f[y]), (y, 1, n))
    assert collapse_indicator_sum(s, LABELLED) == log(f[label])


def test_collapse_of_a_one_hot_target_keeps_its_value_at_the_label() -> None:
    s = Sum(OneHotTarget(y, label, i) * log(f[y]), (y, 1, n))
    assert collapse_indicator_sum(s, LABELLED) == OneHotTarget(label, label, i) * log(f[label])


def test_collapse_gives_no_piecewise_where_sympy_does() -> None:
    # SymPy's own doit leaves a Piecewise on the range; the rule uses the context's fact.
    s = Sum(KroneckerDelta(y, label) * f[y], (y, 1, n))
    assert s.doit().has(Piecewise)
    assert not collapse_indicator_sum(s, LABELLED).has(Piecewise)


def test_collapse_refuses_a_label_that_is_not_an_integer() -> None:
    # The DESIGN trap: SymPy collapses δ(y, a) sums even for a non-integer a; the rule refuses.
    real_label = Symbol("a", positive=True)
    s = Sum(KroneckerDelta(y, real_label) * f[y], (y, 1, n))
    # Context itself now rejects such a label; the rule must not rely on that.
    context = Context()
    object.__setattr__(context, "labels", (real_label,))
    assert collapse_indicator_sum(s, context) == s


def test_collapse_refuses_a_label_the_context_does_not_declare() -> None:
    s = Sum(KroneckerDelta(y, label) * f[y], (y, 1, n))
    assert collapse_indicator_sum(s, NO_FACTS) == s


def test_collapse_refuses_a_partial_range() -> None:
    # y_i ∈ 1..n need not lie in 2..n: collapsing there would be wrong for y_i = 1.
    s = Sum(KroneckerDelta(y, label) * f[y], (y, 2, n))
    assert collapse_indicator_sum(s, LABELLED) == s


def test_collapse_refuses_a_sum_without_an_indicator_on_its_index() -> None:
    other = Symbol("k_0", integer=True, positive=True)
    s = Sum(KroneckerDelta(other, label) * f[y], (y, 1, n))
    assert collapse_indicator_sum(s, LABELLED) == s


# --- log-of-product, log-content, expand-log-arguments ----------------------------------------


def test_log_of_a_product_of_positive_factors_is_a_sum_of_logs() -> None:
    N = Symbol("N", integer=True, positive=True)
    expr = log(Product(p[i] * q[i], (i, 1, N)))
    assert log_of_product(expr, NO_FACTS) == Sum(log(p[i] * q[i]), (i, 1, N))


def test_log_of_product_refuses_factors_of_unknown_sign() -> None:
    N = Symbol("N", integer=True, positive=True)
    expr = log(Product(z[i], (i, 1, N)))  # logits may be negative
    assert log_of_product(expr, NO_FACTS) == expr


def test_log_content_takes_a_rational_factor_out_of_a_sum() -> None:
    half_sum = p[i] / 2 + q[i] / 2  # what SymPy makes of (p_i + q_i)/2
    assert log_content(log(half_sum), NO_FACTS) == -log(2) + log(p[i] + q[i])
    assert log_content(log(p[i] / half_sum), NO_FACTS) == log(2) + log(p[i] / (p[i] + q[i]))


def test_log_content_refuses_a_sum_of_unknown_sign() -> None:
    expr = log(z[i] / 2 + z[1] / 2)
    assert log_content(expr, NO_FACTS) == expr


def test_log_content_leaves_a_sum_without_content_alone() -> None:
    expr = log(p[i] + q[i])
    assert log_content(expr, NO_FACTS) == expr


def test_canonical_form_now_splits_the_mixture_of_the_jsd() -> None:
    m = (p[i] + q[i]) / 2
    difference = Sum(p[i] * log(p[i] / m), (i, 1, n)) - Sum(
        p[i] * (log(2) + log(p[i]) - log(p[i] + q[i])), (i, 1, n)
    )
    assert canonical_form(difference, Context(distributions=(p, q))) == 0


def test_expand_log_arguments_multiplies_out_the_argument() -> None:
    expr = log((p[i] + q[i]) / p[i])
    assert expand_log_arguments(expr, NO_FACTS) == log(1 + q[i] / p[i])


# --- argmax / argmin ---------------------------------------------------------------------------

LIKELIHOOD = ModelConditional(y, i, theta)


def test_argopt_log_applies_to_a_positive_objective_only() -> None:
    assert argopt_log(ArgMax(LIKELIHOOD, theta), NO_FACTS) == ArgMax(log(LIKELIHOOD), theta)
    signless = ArgMax(theta * LIKELIHOOD, theta)
    assert argopt_log(signless, NO_FACTS) == signless


def test_argopt_drop_constant_drops_only_theta_free_terms() -> None:
    c = Symbol("c", real=True)
    objective = ArgMax(Add(c, log(LIKELIHOOD), evaluate=False), theta)
    assert argopt_drop_constant(objective, NO_FACTS) == ArgMax(log(LIKELIHOOD), theta)
    dependent = ArgMax(theta + log(LIKELIHOOD), theta)
    assert argopt_drop_constant(dependent, NO_FACTS) == dependent


def test_argopt_drop_constant_never_treats_the_model_as_constant() -> None:
    # p_θ is opaque: its θ-derivative is not 0, so a term containing it is never dropped.
    assert LIKELIHOOD.diff(theta) != 0
    two_terms = ArgMin(log(LIKELIHOOD) + log(ModelConditional(label, i, theta)), theta)
    assert argopt_drop_constant(two_terms, NO_FACTS) == two_terms


def test_argopt_negate_swaps_max_and_min() -> None:
    assert argopt_negate(ArgMax(LIKELIHOOD, theta), NO_FACTS) == ArgMin(-LIKELIHOOD, theta)
    assert argopt_negate(ArgMin(LIKELIHOOD, theta), NO_FACTS) == ArgMax(-LIKELIHOOD, theta)


def test_theta_is_bound_inside_an_optimum() -> None:
    node = ArgMax(LIKELIHOOD, theta)
    assert theta not in node.free_symbols
    assert node.subs(theta, 1) == node
    assert node.xreplace({theta: Rational(1, 2)}) == node


def test_optimum_evaluates_to_the_grid_optimiser() -> None:
    # p_θ(2|x_1) = 1/(1 + (θ − 4/3)²) numerically: maximal at the grid point nearest 4/3,
    # θ = 3/2, and minimal at the far end of the grid, θ = 5.
    model = ModelConditional(2, 1, theta)
    assert float(ArgMax(model, theta).evalf(30)) == 1.5
    assert float(ArgMin(model, theta).evalf(30)) == 5.0
