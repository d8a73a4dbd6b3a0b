"""The limit law for difference quotients: it applies where every part's limit is finite."""

from __future__ import annotations

import pytest
from sympy import Expr, IndexedBase, Sum, Symbol, exp, oo

from divsym.kernel.context import Context
from divsym.kernel.gradient_rules import (
    GRADIENT_RULES,
    limit_of_difference_quotients,
    termwise_finite_limit,
)
from divsym.kernel.limit_rules import CommutativeLimit as Limit
from divsym.kernel.limit_rules import u
from divsym.symbols.notation import j, k, n, z

CONTEXT = Context(labels=(k,))
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
    assert set(GRADIENT_RULES) == {"limit-of-difference-quotients"}
    assert GRADIENT_RULES["limit-of-difference-quotients"] is limit_of_difference_quotients
    assert limit_of_difference_quotients.description
