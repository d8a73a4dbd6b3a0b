"""The backstop on derivations it has never seen: false steps that narrow sampling let pass.

Each test names the weakness it guards against. Run against the backstop as it was at commit
d4ec291 (n = 4 only, labels in 1..4, reals in [1/4, 4] or [-3, 3], ``evalf`` of SymPy's own
closed forms, ``zoo == zoo`` accepted), 29 of these tests fail; the ones that pass there are
guards that true statements still pass (Karr identity, log of a real, the Gibbs integral,
an unused array) and false ones the old backstop already caught (a real of either sign,
series and integrals SymPy sums to ``oo`` or a closed form).
"""

from __future__ import annotations

import random

import pytest
from sympy import (
    Abs,
    Add,
    Expr,
    IndexedBase,
    Integral,
    Limit,
    Max,
    Mul,
    Pow,
    Rational,
    S,
    Sum,
    Symbol,
    exp,
    factorial,
    log,
    oo,
    sqrt,
    zoo,
)

from divsym.kernel.backstop import BackstopResult, Counterexample, numeric_check
from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Relation, Step
from divsym.kernel.verify import Status, verify
from divsym.symbols.gibbs import GibbsTerm, UnitIntegral
from divsym.symbols.notation import T, j, n, p, q
from divsym.symbols.quantities import Entropy

x = Symbol("x", real=True)
s = Symbol("s", positive=True)
#: Integers that are NOT labels: their declared range is all the backstop may assume.
m0 = Symbol("m", integer=True, nonnegative=True)
w = Symbol("w", negative=True)
PQ = Context(distributions=(p, q))


def check(
    previous: Expr,
    current: Expr,
    relation: Relation = Relation.EQ,
    context: Context | None = None,
    seed: int = 0,
    **options: object,
) -> BackstopResult:
    return numeric_check(
        previous,
        current,
        relation,
        context or Context(),
        classes=4,
        points=3,
        rng=random.Random(seed),
        **options,  # type: ignore[arg-type]
    )


def verified(previous: Expr, current: Expr, relation: Relation, context: Context) -> Status:
    steps = (Step(previous, "start"), Step(current, "claim", relation=relation))
    return verify(Derivation("claim", "a claim", steps, context)).status


# 1. several n, n >= 5 and odd ----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_entropy_bound_true_up_to_n_4_fails(seed: int) -> None:
    # H(P) <= log n <= log 4 < 3/2 for n <= 4; at n = 5 the uniform P has log 5 > 3/2.
    result = check(Entropy(p), Rational(3, 2), Relation.LE, Context(distributions=(p,)), seed)
    assert not result.ok, result.detail
    assert result.evaluated
    assert result.counterexample is not None
    assert result.counterexample.classes >= 5


def test_entropy_of_the_uniform_distribution_is_not_2_log_2() -> None:
    uniform_entropy = -Sum(log(1 / n) / n, (j, 1, n))  # = log n, equal to 2 log 2 only at n = 4
    assert not check(uniform_entropy, 2 * log(2)).ok
    assert verified(uniform_entropy, 2 * log(2), Relation.EQ, Context()) is Status.FAILED
    assert check(uniform_entropy, log(n)).ok


# 2. integer symbols over their declared range, sum bounds at the edges -------------------------


def test_karr_convention_at_m_equal_n_is_caught() -> None:
    # Σ_{j=m+2}^{n} 1 is -1 at m = n (Karr), not the "empty sum" 0 that Max(0, n-m-1) claims.
    result = check(Sum(1, (j, m0 + 2, n)), Max(0, n - m0 - 1))
    assert not result.ok
    assert result.counterexample is not None
    assert dict(result.counterexample.point)["m"] == str(result.counterexample.classes)


def test_bound_beyond_n_is_sampled() -> None:
    # Σ_{j=m+1}^{n} 1 >= 0 holds for m <= n; at m = n + 1 it is -1.
    result = check(Sum(1, (j, m0 + 1, n)), S.Zero, Relation.GE)
    assert not result.ok
    assert result.counterexample is not None
    assert dict(result.counterexample.point)["m"] == str(result.counterexample.classes + 1)


def test_nonnegative_integer_gets_zero() -> None:
    # Σ_{j=1}^{m} 1/j >= 1 for every m >= 1; a nonnegative m may be 0.
    result = check(Sum(1 / j, (j, 1, m0)), S.One, Relation.GE)
    assert not result.ok
    assert result.counterexample is not None
    assert dict(result.counterexample.point)["m"] == "0"


def test_true_karr_identity_passes_at_every_edge() -> None:
    assert check(Sum(1, (j, m0 + 1, n)), n - m0).ok  # Karr makes this hold for every m


# 3. magnitudes over many orders, both signs, every declared assumption -------------------------


@pytest.mark.parametrize("seed", range(3))
def test_inequality_true_only_on_a_small_box_fails(seed: int) -> None:
    # exp(-1/T) <= 4/5 only for T <= 1/log(5/4) ≈ 4.48; the old samples had T in [1/4, 4].
    result = check(exp(-1 / T), Rational(4, 5), Relation.LE, seed=seed)
    assert not result.ok, result.detail
    assert verified(exp(-1 / T), Rational(4, 5), Relation.LE, Context()) is Status.FAILED


def test_log_bounded_only_for_moderate_arguments_fails() -> None:
    assert not check(log(s), S(10), Relation.LE).ok  # false for s > e^10 ≈ 22026


def test_declared_sign_is_respected() -> None:
    # True for a negative (nonpositive) symbol; sampling it with both signs calls it false.
    assert check(exp(w), S.One, Relation.LE).ok
    v = Symbol("v", nonpositive=True)
    assert check(exp(v), S.One, Relation.LE).ok


def test_real_symbol_gets_both_signs() -> None:
    assert not check(Abs(x), x).ok


# 4. more points for more symbols ---------------------------------------------------------------


def test_points_grow_with_the_number_of_free_symbols() -> None:
    a, b, c = (Symbol(name, real=True) for name in "abc")
    one = check(a, a, context=PQ, class_counts=(3,)).detail
    three = check(a + b + c, c + b + a, context=PQ, class_counts=(3,)).detail
    assert "4 points" in one, one
    assert "6 points" in three, three


# 5. values that are not finite reals -------------------------------------------------------


@pytest.mark.parametrize("value", [zoo, oo, -oo, S.NaN])
def test_equal_infinities_are_not_agreement(value: Expr) -> None:
    result = check(value, value)
    assert not result.ok, result.detail
    assert not result.evaluated


def test_undefined_on_one_side_is_a_counterexample() -> None:
    # m/m = 1 is false at m = 0 (0/0); SymPy would cancel m/m, so the product stays unevaluated.
    ratio = Mul(m0, Pow(m0, -1, evaluate=False), evaluate=False)
    result = check(ratio, S.One)
    assert not result.ok
    assert result.counterexample is not None
    assert result.counterexample.left.startswith("undefined")


def test_a_step_undefined_everywhere_cannot_be_checked() -> None:
    # Both sides complex at every point: no point is evidence, so the step is not ok.
    nowhere = sqrt(-1 - x**2)
    result = check(nowhere, nowhere)
    assert not result.ok
    assert not result.evaluated
    assert "cannot evaluate at any" in result.detail


def test_points_outside_the_domain_are_skipped_not_failed() -> None:
    # log x = log x holds where it is defined; negative x are skipped, positive ones compared.
    result = check(log(x), log(x))
    assert result.ok, result.detail
    assert "skipped" in result.detail


# 6. infinite sums ------------------------------------------------------------------------------

_GEOMETRIC = Sum(x * (1 - x) ** (j - 1), (j, 1, oo))
_UNIT = Context(ranges={x: (0.0, 1.0)})


def test_geometric_series_is_one_not_zero() -> None:
    assert not check(_GEOMETRIC, S.Zero, context=_UNIT).ok
    assert check(_GEOMETRIC, S.One, context=_UNIT).ok


@pytest.mark.parametrize(
    "series", [Sum(1 / j, (j, 1, oo)), Sum((-1) ** j, (j, 1, oo)), Sum(j, (j, 1, oo))]
)
def test_divergent_series_equals_nothing(series: Expr) -> None:
    for claimed in (Rational(-1, 2), S(12)):
        result = check(series, claimed)
        assert not result.ok, (series, claimed, result.detail)


# 7. integrals by quadrature, not by their own closed form -----------------------------------

_INTEGRAND = s * (x - 1) ** 2 / (1 + s * (x - 1))
_POSITIVE = Symbol("y", positive=True)


def test_unit_integral_is_checked_by_quadrature_not_by_its_closed_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A wrong closed form (a SymPy integration bug, say) must not vouch for itself.
    fresh = Symbol("y_fresh", positive=True)  # an integrand no earlier test instantiated
    monkeypatch.setattr(UnitIntegral, "definition", lambda self: fresh)
    assert not check(UnitIntegral(_INTEGRAND.subs(x, fresh), s), fresh).ok


def test_unit_integral_agrees_with_the_gibbs_term() -> None:
    integrand = _INTEGRAND.subs(x, _POSITIVE)
    assert check(UnitIntegral(integrand, s), GibbsTerm(_POSITIVE)).ok


@pytest.mark.parametrize("claimed", [S.Zero, S(148), oo])
def test_divergent_integral_equals_nothing(claimed: Expr) -> None:
    for integral in (UnitIntegral(1 / s, s), Integral(1 / s, (s, 0, 1))):
        result = check(integral, claimed)
        assert not result.ok, (integral, claimed, result.detail)


# 7b. limits: digits lost near the limit point, slow convergence ----------------------------

_u = Symbol("u", positive=True)


def _at_zero(expr: Expr) -> Expr:
    return Limit(expr, _u, 0, "+")


def _exp_remainder(order: int) -> Expr:
    """``e^u − Σ_{m<order} u^m/m!``, which is ``u^order/order! + O(u^(order+1))``."""
    return exp(_u) - Add(*(_u**m / factorial(m) for m in range(order)))


@pytest.mark.parametrize("order", [2, 3, 5])
def test_a_limit_of_a_difference_of_high_order_gets_the_digits_it_needs(order: int) -> None:
    # At u = 10^-120 the remainder is 10^(-120·order): 240 to 600 digits cancel. The limit is
    # 1/order! (Taylor); the backstop raises its precision until the value stops moving.
    quotient = _at_zero(_exp_remainder(order) / _u**order)
    assert check(quotient, 1 / factorial(order)).ok
    assert not check(quotient, 1 / factorial(order + 1)).ok


@pytest.mark.parametrize(
    ("limit", "false_claim"),
    [
        # Before the precision checks (commit 89e4f2b) the backstop accepted each of these:
        # at 230 digits 1 + u^4 and 1 + u^6 round to 1 at both points it evaluates, so the
        # two values agreed on the wrong number. The limits are 1 and e.
        (_at_zero(log(1 + _u**4) / _u**4), S.Zero),
        (_at_zero(log(1 + _u**6) / _u**6), S.Zero),
        (_at_zero((1 + _u**4) ** (1 / _u**4)), S.One),
        (_at_zero((1 + _u**6) ** (1 / _u**6)), S.One),
        # Cancellation inside a larger expression (the old backstop rejected this one only
        # because its rounding noise moved between the two points): the limit is 1 + 1/24.
        (_at_zero(_exp_remainder(4) / _u**4 + 1), S.One),
    ],
)
def test_a_value_lost_to_cancellation_is_not_a_limit(limit: Expr, false_claim: Expr) -> None:
    result = check(limit, false_claim)
    assert not result.ok, result.detail


def test_a_difference_beyond_the_digits_a_limit_may_use_cannot_be_evaluated() -> None:
    # Order 6 at 10^-120 cancels 720 digits, more than the 710 a limit may use: whatever
    # the claim, the step is not checked ("cannot", never a pass).
    limit = _at_zero(_exp_remainder(6) / _u**6)
    for claimed in (Rational(1, 720), S.Zero):
        result = check(limit, claimed)
        assert not result.ok
        assert not result.evaluated
        assert "cannot be evaluated" in result.detail, result.detail


@pytest.mark.parametrize("claimed", [S.Zero, 1 / log(S(10) ** 120)])
def test_a_slowly_converging_limit_does_not_pass(claimed: Expr) -> None:
    # 1/log(1/u) tends to 0, but only like 1/log: 1/138 at u = 10^-60 and 1/276 at
    # u = 10^-120. Neither the true limit nor the value at the nearer point may pass.
    result = check(_at_zero(1 / log(1 / _u)), claimed)
    assert not result.ok
    assert not result.evaluated
    assert "does not converge numerically" in result.detail


# 8. free class indices ---------------------------------------------------------------------


def test_free_class_index_is_sampled_over_every_class() -> None:
    k = Symbol("k", integer=True, positive=True)
    context = Context(distributions=(q,), indices=(k,))
    assert check(q[k], S.One, Relation.LE, context).ok
    result = check(q[k], Rational(1, 2), Relation.LE, context)
    assert not result.ok
    assert result.counterexample is not None
    assert 1 <= int(dict(result.counterexample.point)["k"]) <= result.counterexample.classes


# 9. a time budget ------------------------------------------------------------------------


def test_deadline_is_reported_not_ok() -> None:
    slow = Sum(exp(-j * x**2), (j, 1, 10**6))
    result = check(slow, slow, deadline=0.05)
    assert not result.ok
    assert not result.evaluated
    assert "timed out after 0.05 s" in result.detail


def test_deadline_must_be_positive() -> None:
    with pytest.raises(ValueError, match="deadline"):
        check(x, x, deadline=0)


# 10. structured counterexamples ----------------------------------------------------------------


def test_counterexample_names_n_the_point_and_both_values() -> None:
    result = check(p[1] + 1, p[1], context=Context(distributions=(p,)))
    example = result.counterexample
    assert isinstance(example, Counterexample)
    assert example.relation == "="
    assert example.classes in (2, 3, 4, 5, 7)
    names = [name for name, _ in example.point]
    assert names == sorted(names)
    assert "p[1]" in names
    value = float(dict(example.point)["p[1]"])
    assert float(example.left) == pytest.approx(value + 1, rel=1e-9)
    assert float(example.right) == pytest.approx(value, rel=1e-9)
    assert f"n = {example.classes}" in result.detail
    assert example.left in result.detail
    assert "\n" not in result.detail
    assert result.evaluated


def test_a_negative_w_never_gets_a_positive_value() -> None:
    # the point reports only values that respect the declared sign
    result = check(w, -w - 1, Relation.GE)
    assert not result.ok
    assert result.counterexample is not None
    assert float(dict(result.counterexample.point)["w"]) < 0


def test_complex_symbol_cannot_be_sampled() -> None:
    z0 = Symbol("z0")
    result = check(z0, z0)
    assert not result.ok
    assert not result.evaluated
    assert "cannot sample z0" in result.detail


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="points"):
        numeric_check(x, x, Relation.EQ, Context(), points=0, rng=random.Random(0))
    with pytest.raises(ValueError, match="class_counts"):
        check(x, x, class_counts=(0,))


def test_unused_base_is_fine() -> None:
    d = IndexedBase("d", positive=True)
    assert check(d[1] * 0 + 1, S.One).ok
