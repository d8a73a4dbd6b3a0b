"""The high-temperature rules: each rewrites where its side conditions hold, and refuses else.

The limit law for difference quotients applies where every part's limit is finite;
absorb-count and quotients-over-one-sum are identities (checked written out at n = 3) that
refuse every input outside their pattern.
"""

from __future__ import annotations

import pytest
from sympy import Expr, IndexedBase, Rational, Sum, Symbol, exp, oo

from divsym.kernel.context import Context
from divsym.kernel.gradient_rules import (
    GRADIENT_RULES,
    absorb_count,
    limit_of_difference_quotients,
    quotients_over_one_sum,
    termwise_finite_limit,
)
from divsym.kernel.limit_rules import u
from divsym.symbols.limits import CommutativeLimit as Limit
from divsym.symbols.notation import i, j, k, n, z

CONTEXT = Context(indices=(k,))
_quotient = (exp(z[k] * u) - exp(z[j] * u)) / u


def _at_zero(e: Expr) -> Limit:
    return Limit(e, u, 0, "+")


def test_a_sum_of_difference_quotients_over_a_sum_is_taken_term_by_term() -> None:
    before = _at_zero(Sum(_quotient, (j, 1, n)) / (n * Sum(exp(z[j] * u), (j, 1, n))))
    after = limit_of_difference_quotients(before, CONTEXT)
    assert after == Sum(_at_zero(_quotient), (j, 1, n)) / (
        n * Sum(_at_zero(exp(z[j] * u)), (j, 1, n))
    )


def test_termwise_finite_limit_of_a_difference_quotient() -> None:
    # (e^{a u} − e^{b u})/u → a − b: the derivative of e^{a u} − e^{b u} at 0.
    assert termwise_finite_limit(_quotient, u, 0, "+") == z[k] - z[j]
    assert termwise_finite_limit(Sum(_quotient, (j, 1, n)), u, 0, "+") == Sum(
        z[k] - z[j], (j, 1, n)
    )


m = Symbol("m", integer=True, positive=True)
x = Symbol("x", positive=True)
d = IndexedBase("d", positive=True)


@pytest.mark.parametrize(
    ("label", "hostile"),
    [
        # an infinite Sum: lim_{u→0⁺} Σ_{j≥1} u(1−u)^(j−1) is 1, not Σ of the termwise limits 0
        ("infinite bound", _at_zero(Sum(u * (1 - u) ** (j - 1), (j, 1, oo)) / n)),
        # the number of terms depends on the limit variable
        ("bound depends on u", _at_zero(Sum(_quotient, (j, 1, 1 / u)) / n)),
        # a bound that is not an integer
        ("non-integer bound", _at_zero(Sum(_quotient, (j, 1, x)) / n)),
        # 1/u alone has no finite limit
        ("infinite part", _at_zero(Sum(exp(z[j] * u), (j, 1, n)) / u)),
        # the denominator's limit is 0: Σ_j (e^{d_j u} − 1) → 0
        ("zero denominator", _at_zero(n / Sum(exp(d[j] * u) - 1, (j, 1, n)))),
    ],
)
def test_refuses_where_a_side_condition_fails(label: str, hostile: Expr) -> None:
    assert limit_of_difference_quotients(hostile, CONTEXT) == hostile, label


def test_a_limit_at_infinity_is_left_alone_when_a_part_diverges() -> None:
    hostile = Limit(x * Sum(z[j], (j, 1, n)), x, oo)
    assert limit_of_difference_quotients(hostile, CONTEXT) == hostile


def test_the_rule_is_registered_by_name() -> None:
    assert set(GRADIENT_RULES) == {
        "limit-of-difference-quotients",
        "absorb-count",
        "quotients-over-one-sum",
    }
    for rule in (limit_of_difference_quotients, absorb_count, quotients_over_one_sum):
        assert GRADIENT_RULES[rule.name] is rule
        assert rule.description


# --- absorb-count: n + c Σ_{j=1}^{n} t_j = Σ_{j=1}^{n} (1 + c t_j) -------------------------

_n_plus_sum = n + u * Sum(z[j], (j, 1, n))


def test_absorb_count_puts_the_number_of_classes_into_the_sum() -> None:
    assert absorb_count(_n_plus_sum, CONTEXT) == Sum(1 + u * z[j], (j, 1, n))
    # Elsewhere in an expression, other terms of the sum kept.
    assert absorb_count(1 / (_n_plus_sum + x), CONTEXT) == 1 / (Sum(1 + u * z[j], (j, 1, n)) + x)


def test_absorb_count_is_an_identity_at_n_3() -> None:
    # Σ_{j=1}^{3} (1 + u z_j) written out equals 3 + u(z_1 + z_2 + z_3).
    after = absorb_count(_n_plus_sum, CONTEXT)
    assert (after.subs(n, 3).doit() - _n_plus_sum.subs(n, 3).doit()).expand() == 0


@pytest.mark.parametrize(
    ("label", "hostile"),
    [
        ("no count", 2 + u * Sum(z[j], (j, 1, n))),
        ("2n is not one count", 2 * n + u * Sum(z[j], (j, 1, n))),
        ("the Sum does not run over 1..n", n + Sum(z[j], (j, 0, n))),
        ("the Sum runs over 1..m, not the classes", n + Sum(z[j], (j, 1, m))),
        ("two Sums could take the count", n + Sum(z[j], (j, 1, n)) + Sum(d[j], (j, 1, n))),
        ("an infinite Sum", n + Sum(z[j], (j, 1, oo))),
    ],
)
def test_absorb_count_refuses(label: str, hostile: Expr) -> None:
    assert absorb_count(hostile, CONTEXT) == hostile, label


def test_absorb_count_does_not_capture_a_free_symbol_named_like_the_index() -> None:
    # The free j outside is a constant factor; the bound j is renamed, never confused with it.
    after = absorb_count(n + j * Sum(z[j], (j, 1, n)), CONTEXT)
    assert isinstance(after, Sum)
    (index, low, high), summand = after.limits[0], after.function
    assert (low, high) == (1, n)
    assert index != j
    assert summand == 1 + j * z[index]


def test_absorb_count_uses_the_contexts_number_of_classes() -> None:
    # With m classes, n is just a symbol: n + Σ_{j=1}^{n} z_j is not m + ….
    other = Context(classes=m)
    assert absorb_count(_n_plus_sum, other) == _n_plus_sum
    assert absorb_count(m + Sum(z[j], (j, 1, m)), other) == Sum(1 + z[j], (j, 1, m))


# --- quotients-over-one-sum: a/Σ s_j + b/Σ l_j = Σ (a l_j + b s_j) / (Σ s_j Σ l_j) --------

_s = Sum(exp(z[j] * u), (j, 1, n))
_ell = Sum(1 + z[j] * u, (j, 1, n))
_a, _b = exp(z[k] * u), -(1 + z[k] * u)


def test_quotients_over_one_sum_brings_two_quotients_over_one_denominator() -> None:
    after = quotients_over_one_sum(_a / _s + _b / _ell, CONTEXT)
    numerator = _a * (1 + z[j] * u) + _b * exp(z[j] * u)
    assert after == Sum(numerator, (j, 1, n)) / (_s * _ell)


def test_quotients_over_one_sum_takes_a_common_factor_into_the_sum() -> None:
    after = quotients_over_one_sum(_at_zero((_a / _s + _b / _ell) / u**2), CONTEXT)
    numerator = (_a * (1 + z[j] * u) + _b * exp(z[j] * u)) / u**2
    assert after == _at_zero(Sum(numerator, (j, 1, n)) / (_s * _ell))


def test_quotients_over_one_sum_is_an_identity_at_n_3() -> None:
    # Written out at n = 3 with numbers for the logits: both sides agree to 40 digits.
    before = (_a / _s + _b / _ell) / u**2
    after = quotients_over_one_sum(before, CONTEXT)
    point = {u: Rational(1, 7), z[1]: 2, z[2]: Rational(-1, 3), z[3]: Rational(5, 4), k: 2}
    left = before.subs(n, 3).doit().subs(point).evalf(50)
    right = after.subs(n, 3).doit().subs(point).evalf(50)
    assert abs(left - right) < Rational(1, 10**40)


def test_quotients_over_one_sum_does_not_capture_a_free_symbol_named_like_the_index() -> None:
    after = quotients_over_one_sum(j / _s + _b / _ell, CONTEXT)
    (numerator,) = [factor for factor in after.args if isinstance(factor, Sum)]
    index = numerator.limits[0][0]
    assert index != j
    assert numerator.function == j * (1 + z[index] * u) + _b * exp(z[index] * u)


@pytest.mark.parametrize(
    ("label", "hostile"),
    [
        ("different bounds", _a / _s + _b / Sum(1 + z[j] * u, (j, 0, n))),
        ("an infinite Sum", _a / Sum(exp(-j), (j, 1, oo)) + _b / _ell),
        ("a double Sum", _a / Sum(z[i] * z[j], (i, 1, n), (j, 1, n)) + _b / _ell),
        ("three terms", _a / _s + _b / _ell + x),
        ("a squared denominator", _a / _s**2 + _b / _ell),
        ("no Sum in a denominator", _a / x + _b / _ell),
        ("two Sums in one denominator", _a / (_s * _ell) + _b / _ell),
    ],
)
def test_quotients_over_one_sum_refuses(label: str, hostile: Expr) -> None:
    assert quotients_over_one_sum(hostile, CONTEXT) == hostile, label
