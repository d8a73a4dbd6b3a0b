"""The numeric backstop on calculus: limits, derivatives, and the points it samples."""

from __future__ import annotations

import random

import mpmath
import pytest
from sympy import (
    Derivative,
    Expr,
    IndexedBase,
    KroneckerDelta,
    Limit,
    Piecewise,
    Rational,
    S,
    Sum,
    Symbol,
    exp,
    log,
    oo,
)

from divsym.identities.softmax import SoftmaxProbability
from divsym.kernel.backstop import instantiate, numeric_check, sample_point
from divsym.kernel.context import Context
from divsym.kernel.derivation import Relation
from divsym.kernel.evaluation import _LIMIT_START, WORKING_DIGITS, Deadline, Evaluator
from divsym.kernel.sampling import Point
from divsym.symbols.notation import T, i, j, k, n, z

m = Symbol("m", integer=True, positive=True)
d = IndexedBase("d", positive=True)
_S = Sum(exp(z[j] / T), (j, 1, n))
SOFTMAX = exp(z[i] / T) / _S


def _check(previous: Expr, current: Expr, context: Context | None = None, seed: int = 1) -> str:
    """``""`` when the backstop accepts ``previous = current``, else its reason."""
    result = numeric_check(
        previous,
        current,
        Relation.EQ,
        context or Context(),
        classes=4,
        points=3,
        rng=random.Random(seed),
    )
    return "" if result.ok else result.detail


def test_limit_at_infinity_is_the_uniform_distribution() -> None:
    lim = Limit(SOFTMAX, T, oo)
    assert _check(lim, 1 / n) == ""
    assert "is false" in _check(lim, 1 / (n + 1))


def test_limit_at_zero_with_gaps_below_the_maximum() -> None:
    # Class 1 is the maximum: z_1 = M, z_j = M − d_j below it (d_j sampled in [1/4, 4]).
    M = Symbol("M", real=True)
    softmax_1 = exp(M / T) / (exp(M / T) + Sum(exp((M - d[j]) / T), (j, 2, n)))
    context = Context(ranges={d: (0.25, 4.0)})
    assert _check(Limit(softmax_1, T, 0, "+"), S.One, context) == ""
    assert "is false" in _check(Limit(softmax_1, T, 0, "+"), Rational(1, 2), context)


def test_diverging_limit_cannot_pass() -> None:
    reason = _check(Limit(exp(d[i] / T), T, 0, "+"), S.Zero)
    assert "does not converge numerically" in reason


def test_two_sided_limit_at_a_finite_point_is_not_evaluated() -> None:
    x = Symbol("x", real=True)
    assert "two-sided" in _check(Limit(exp(x * z[i]), x, 0, "+-"), S.One)


def test_limit_variable_is_not_sampled_into_the_limit() -> None:
    # T is free outside the limit and bound inside it: the limit must not see T's sample.
    lim = Limit(exp(z[i] / T), T, oo)
    assert _check(T * lim, T) == ""
    assert "is false" in _check(T * lim, 2 * T)


def test_derivative_is_taken_on_the_written_out_expression() -> None:
    q = SoftmaxProbability(z, T, i)
    q_k = SoftmaxProbability(z, T, k)
    jacobian = Derivative(q, z[k])
    context = Context(labels=(i, k))
    assert _check(jacobian, q * (KroneckerDelta(i, k) - q_k) / T, context) == ""
    assert "is false" in _check(jacobian, q * (1 - q_k) / T, context)


def test_numeric_derivative_agrees_with_the_symbolic_derivative_of_the_written_out_sum() -> None:
    # mpmath.diff of the evaluated entropy against SymPy's derivative of the instantiated
    # (written-out) entropy, both evaluated at the same point: two independent routes.
    entropy = -Sum(SoftmaxProbability(z, T, i) * log(SoftmaxProbability(z, T, i)), (i, 1, n))
    symbolic = instantiate(Derivative(entropy, T), Context(), 4)
    numeric = Derivative(entropy, T).subs(n, 4)
    for seed in range(3):
        point = Point(Context(), 4, random.Random(seed), {})
        with mpmath.workdps(WORKING_DIGITS):
            evaluate = Evaluator(point, Deadline(None))
            a, b = evaluate(numeric), evaluate(symbolic)
            assert abs(a - b) <= mpmath.mpf(10) ** -45 * max(1, abs(a)), (seed, a, b)


def test_entries_of_a_base_seen_only_with_a_symbolic_index_are_sampled() -> None:
    expr = Sum(d[j], (j, m + 1, n)).subs(n, 4)
    values = sample_point((expr,), Context(labels=(m,)), 4, random.Random(0))
    assert all(d[index] in values for index in range(1, 5))
    assert all(values[d[index]].is_positive for index in range(1, 5))
    assert 1 <= values[m] <= 4


def test_instantiation_is_cached_per_expression_and_number_of_classes() -> None:
    first = instantiate(_S, Context(), 3)
    assert instantiate(_S, Context(), 3) is first
    assert instantiate(_S, Context(), 2) == exp(z[1] / T) + exp(z[2] / T)
    assert first == exp(z[1] / T) + exp(z[2] / T) + exp(z[3] / T)


@pytest.mark.parametrize("huge", [exp(T * 10**20), exp(exp(50 + T))])
def test_report_of_a_huge_value_is_a_failure_not_a_crash(huge: Expr) -> None:
    # Formatting such a Float with format() goes through Decimal and raises; str() does not.
    assert "is false" in _check(huge, S.Zero)


def test_labels_of_indexed_bases_are_never_sampled_as_numbers() -> None:
    x = IndexedBase("x", positive=True)
    y = IndexedBase("y", integer=True, positive=True)
    expr = x[1] * x[2] + y[1]
    values = sample_point((expr,), Context(), 3, random.Random(0))
    assert set(values) == {x[1], x[2], y[1]}
    assert expr.xreplace(values).is_number


def test_backstop_visits_every_label_combination_so_a_label_dependent_slip_shows() -> None:
    # previous: 1 for i <= m else 0; current adds a term that only matters when i <= m < n.
    mm = Symbol("m", integer=True, positive=True)
    d = IndexedBase("d", positive=True)
    previous = Piecewise((1, i <= mm), (0, True)) / mm
    wrong = Piecewise((1, i <= mm), (0, True)) / (mm + Sum(exp(-d[j]), (j, mm + 1, n)))
    for seed in range(5):
        result = numeric_check(
            previous,
            wrong,
            Relation.EQ,
            Context(),
            classes=4,
            points=3,
            rng=random.Random(seed),
        )
        assert not result.ok, seed
        assert result.counterexample is not None
        assert f"n = {result.counterexample.classes}" in result.detail


def test_the_digits_a_limit_needed_are_remembered_and_still_checked() -> None:
    # (e^u − 1 − u)/u² loses 240 digits at u = 10^-120: 130 extra digits are too few, 250
    # suffice (Taylor: the limit is 1/2). The next point starts at 250, and a wrong value is
    # still rejected there.
    u = Symbol("u_remembered", positive=True)  # a Limit no other test has evaluated
    limit = Limit((exp(u) - 1 - u) / u**2, u, 0, "+")
    assert limit not in _LIMIT_START
    assert _check(limit, Rational(1, 2)) == ""
    assert _LIMIT_START[limit] == 250
    assert "is false" in _check(limit, Rational(1, 3))
    assert "is false" in _check(limit, S.Zero)
