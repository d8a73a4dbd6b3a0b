"""The stable forms divsym evaluates are proved, and wrong variants of them are rejected."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import mpmath
import pytest
from sympy import Expr, Rational, Sum, Symbol, exp, latex, log, sqrt

from divsym.api import verify
from divsym.identities import all_derivations
from divsym.identities.distillation_stable import kl_logit_stable_form, soft_gradient_logit_form
from divsym.identities.stable_forms import (
    jsd_stable_form,
    kl_nonnegative_terms,
    log_softmax_stable_form,
    softmax_stable_form,
)
from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation
from divsym.kernel.stable_rules import (
    combine_exponentials,
    fold_expm1_minus_x,
    fold_symmetric_xlog1p,
    fold_x_minus_log1p,
    mixture_coordinates,
    shift_exponentials,
)
from divsym.kernel.verify import Status, symbolic_route
from divsym.symbols.notation import T, c, i, j, k, n, p, q, z
from divsym.symbols.stable import DELTA, SHIFT, Expm1MinusX, SymmetricXLog1p, XMinusLog1p

FACTORIES: dict[str, Callable[[], Derivation]] = {
    "softmax-stable-form": softmax_stable_form,
    "log-softmax-stable-form": log_softmax_stable_form,
    "kl-nonnegative-terms": kl_nonnegative_terms,
    "jsd-stable-form": jsd_stable_form,
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_stable_form_is_proved_for_symbolic_n(name: str) -> None:
    derivation = FACTORIES[name]()
    report = verify(derivation)
    assert derivation.id == name
    assert derivation.section == "stable-forms"
    assert report.status is Status.PROVED, report
    assert all("50 digits" in step.backstop for step in report.steps)
    # The last step is proved by the kernel's own rules (exactly, or up to the canonical
    # form): no user rule, no fallback.
    last = report.steps[-1]
    rules = ", ".join(rule.name for rule in derivation.steps[-1].rules)
    assert last.route in (f"rules: {rules}", f"rules: {rules}; canonical form"), last.route


def test_stable_forms_are_registered_and_verify_fast() -> None:
    ids = {d.id for d in all_derivations()}
    assert set(FACTORIES) <= ids
    started = time.perf_counter()
    for factory in FACTORIES.values():
        verify(factory())
    assert time.perf_counter() - started < 5  # about 0.5 s here; generous for slow CI


M = (p[i] + q[i]) / 2
MT = (q[i] - p[i]) / (q[i] + p[i])
HALF = Rational(1, 2)
# Wrong variants, each a classic slip; every one must be rejected by verify.
MUTATIONS: dict[str, tuple[Callable[[], Derivation], int, Expr]] = {
    "softmax: shift only the numerator": (
        softmax_stable_form,
        3,
        exp((z[i] - c) / T) / Sum(exp(z[j] / T), (j, 1, n)),
    ),
    "softmax: shift by c·T instead of c": (
        softmax_stable_form,
        3,
        exp((z[i] - c) / T) / Sum(exp(z[j] / T - c), (j, 1, n)),
    ),
    "log-softmax: shift forgotten in the first term": (
        log_softmax_stable_form,
        4,
        z[i] / T - log(Sum(exp((z[j] - c) / T), (j, 1, n))),
    ),
    "log-softmax: sign of the log flipped": (
        log_softmax_stable_form,
        4,
        (z[i] - c) / T + log(Sum(exp((z[j] - c) / T), (j, 1, n))),
    ),
    "kl: ratio upside down": (
        kl_nonnegative_terms,
        2,
        Sum(p[i] * (p[i] / q[i] - 1 - log(p[i] / q[i])), (i, 1, n)),
    ),
    "kl: the −1 dropped": (
        kl_nonnegative_terms,
        2,
        Sum(p[i] * (q[i] / p[i] - log(q[i] / p[i])), (i, 1, n)),
    ),
    "kl: d = (p − q)/p": (
        kl_nonnegative_terms,
        3,
        Sum(p[i] * XMinusLog1p((p[i] - q[i]) / p[i]), (i, 1, n)),
    ),
    "jsd: the logs of the two terms swapped": (
        jsd_stable_form,
        2,
        Sum(
            HALF * M * (1 - MT) * log(1 + MT) + HALF * M * (1 + MT) * log(1 - MT),
            (i, 1, n),
        ),
    ),
    "jsd: t = (q − p)/q": (
        jsd_stable_form,
        2,
        Sum(
            HALF * M * (1 - (q[i] - p[i]) / q[i]) * log(1 - (q[i] - p[i]) / q[i])
            + HALF * M * (1 + (q[i] - p[i]) / q[i]) * log(1 + (q[i] - p[i]) / q[i]),
            (i, 1, n),
        ),
    ),
    "jsd: the ½ in front dropped": (jsd_stable_form, 3, Sum(M * SymmetricXLog1p(MT), (i, 1, n))),
    "jsd: G(2t)": (jsd_stable_form, 3, HALF * Sum(M * SymmetricXLog1p(2 * MT), (i, 1, n))),
    "jsd: weight p instead of m": (
        jsd_stable_form,
        3,
        HALF * Sum(p[i] * SymmetricXLog1p(MT), (i, 1, n)),
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_wrong_stable_form_is_rejected(name: str) -> None:
    factory, index, expr = MUTATIONS[name]
    # One concrete n for the fixed-n route keeps the wrong variants quick to reject.
    derivation = replace(factory().with_step(index, expr), fixed_n=(2,))
    report = verify(derivation)
    assert report.status is Status.FAILED, f"{name}: {report}"
    status, route, _ = symbolic_route(
        derivation.steps[index - 1].expr, derivation.steps[index], derivation
    )
    assert status is not Status.PROVED, f"{name} proved by {route}"


def test_combine_exponentials_adds_exponents_and_leaves_single_exps() -> None:
    assert combine_exponentials(exp(z[i] / T) * exp(-c / T), Context()) == exp((z[i] - c) / T)
    single = exp(z[i] / T) * p[i]
    assert combine_exponentials(single, Context()) == single


def test_combine_exponentials_refuses_what_is_not_a_product_of_exps() -> None:
    w = Symbol("w")  # complex: sqrt(exp(w)) = exp(w/2) is false for Im w = 2π
    root = exp(z[i] / T) * sqrt(exp(w))
    assert combine_exponentials(root, Context()) == root
    # The factor outside a Sum is not moved into it (that is another step, with its own check).
    outside = exp(-c / T) * Sum(exp(z[j] / T), (j, 1, n))
    assert combine_exponentials(outside, Context()) == outside
    added = exp(z[i] / T) + exp(-c / T)
    assert combine_exponentials(added, Context()) == added


def test_fold_x_minus_log1p_needs_all_three_terms() -> None:
    r = q[i] / p[i]
    assert fold_x_minus_log1p(r - 1 - log(r), Context()) == XMinusLog1p((q[i] - p[i]) / p[i])
    partial = r - log(r)  # no −1: not of the form r − 1 − log r
    assert fold_x_minus_log1p(partial, Context()) == partial
    other = r - 1 - log(p[i])  # the log of something else
    assert fold_x_minus_log1p(other, Context()) == other
    twice = 2 * r - 1 - log(r)  # r twice: not r − 1 − log r plus a rest
    assert fold_x_minus_log1p(twice, Context()) == twice


def test_fold_x_minus_log1p_keeps_the_rest_of_the_sum() -> None:
    r = q[i] / p[i]
    assert fold_x_minus_log1p(r - 1 - log(r) + c, Context()) == c + XMinusLog1p(
        (q[i] - p[i]) / p[i]
    )


def test_fold_x_minus_log1p_refuses_r_not_known_positive() -> None:
    # XMinusLog1p(d) is declared ≥ 0 (gibbs-lemma) for 1 + d > 0 only, and log r is real only
    # for r > 0: at r = -1, r − 1 − log r = −2 − iπ, and the node must not claim ≥ 0.
    real = Symbol("x", real=True)
    for r in (real, c, z[i] / T, Symbol("w")):
        expr = r - 1 - log(r)
        assert fold_x_minus_log1p(expr, Context()) == expr, r
    positive = Symbol("x", positive=True)
    assert fold_x_minus_log1p(positive - 1 - log(positive), Context()) == XMinusLog1p(positive - 1)


def test_x_minus_log1p_node_unfolds_and_evaluates() -> None:
    x = Rational(1, 3)
    node = XMinusLog1p(x)
    assert node.rewrite(log) == x - log(1 + x)
    # computed with mpmath, mp.dps = 50: 1/3 - log(4/3)
    assert abs(node.evalf(50) - (x - log(Rational(4, 3))).evalf(50)) < 1e-45


def test_mixture_coordinates_writes_p_and_q_as_m_times_one_minus_and_plus_t() -> None:
    context = Context(distributions=(p, q))
    # log(p/m) = log(1 − t): each log's argument in lowest terms in m and t
    got = mixture_coordinates(p[i] * log(p[i] / M), context)
    assert got == M * (1 - MT) * log(1 - MT)
    assert mixture_coordinates(q[i] * log(q[i] / M), context) == M * (1 + MT) * log(1 + MT)


def test_mixture_coordinates_cancels_only_factors_that_cannot_vanish() -> None:
    """In mixture coordinates ``q − 3p = m(4t − 2)``, zero where ``q = 3p``: cancelling it
    would make ``log((q − 3p)x/(2q − 6p))``, undefined there, into ``log(x/2)``. Only ``m``
    and ``1 ± t`` (positive for positive p, q) may be cancelled."""
    x = Symbol("x", positive=True)
    context = Context(distributions=(p, q))
    got = mixture_coordinates(log((q[i] - 3 * p[i]) * x / (2 * q[i] - 6 * p[i])), context)
    assert got != log(x / 2)
    assert got.has(M)
    assert got.has(MT)
    # m and 1 − t are cancelled: log(2p/(p + q)) = log(1 − t)
    assert mixture_coordinates(log(2 * p[i] / (p[i] + q[i])), context) == log(1 - MT)


def test_mixture_coordinates_needs_two_distributions_and_both_of_them() -> None:
    expr = p[i] * log(p[i] / M)
    assert mixture_coordinates(expr, Context(distributions=(p,))) == expr
    assert mixture_coordinates(expr, Context()) == expr
    alone = p[i] * log(p[i])  # no q: nothing to write in mixture coordinates
    assert mixture_coordinates(alone, Context(distributions=(p, q))) == alone


def test_fold_symmetric_xlog1p_folds_a_matching_pair_only() -> None:
    context = Context(distributions=(p, q))
    pair = M * (1 + MT) * log(1 + MT) + M * (1 - MT) * log(1 - MT)
    assert fold_symmetric_xlog1p(pair + c, context) == c + M * SymmetricXLog1p(MT)
    # Different weights, or A + B ≠ 2, or one term only: left alone.
    uneven = M * (1 + MT) * log(1 + MT) + p[i] * (1 - MT) * log(1 - MT)
    assert fold_symmetric_xlog1p(uneven, context) == uneven
    shifted = (1 + MT) * log(1 + MT) + (2 - MT) * log(2 - MT)
    assert fold_symmetric_xlog1p(shifted, context) == shifted
    single = (1 + MT) * log(1 + MT)
    assert fold_symmetric_xlog1p(single, context) == single


def test_fold_symmetric_xlog1p_refuses_t_not_known_inside_minus_one_one() -> None:
    # G(t) is declared ≥ 0 for |t| < 1 only, and log(1 ± t) is real only there: at t = 3,
    # 4 log 4 − 2 log(−2) is complex.
    for t in (Symbol("x", real=True), Symbol("x", positive=True), z[i] / T, Symbol("w")):
        expr = (1 + t) * log(1 + t) + (1 - t) * log(1 - t)
        assert fold_symmetric_xlog1p(expr, Context()) == expr, t
    inside = Symbol("x", positive=True) / (1 + Symbol("x", positive=True))  # 0 < t < 1
    expr = (1 + inside) * log(1 + inside) + (1 - inside) * log(1 - inside)
    assert fold_symmetric_xlog1p(expr, Context()) == SymmetricXLog1p(inside)


def test_symmetric_xlog1p_node_is_even_unfolds_and_evaluates() -> None:
    t = Rational(1, 3)
    assert SymmetricXLog1p(-t) == SymmetricXLog1p(t)
    assert SymmetricXLog1p(p[i] - q[i]) == SymmetricXLog1p(q[i] - p[i])
    node = SymmetricXLog1p(t)
    assert node.rewrite(log) == (1 + t) * log(1 + t) + (1 - t) * log(1 - t)
    # computed with mpmath, mp.dps = 50: (4/3) log(4/3) + (2/3) log(2/3)
    with mpmath.workdps(50):
        expected = mpmath.mpf(4) / 3 * mpmath.log(mpmath.mpf(4) / 3) + mpmath.mpf(
            2
        ) / 3 * mpmath.log(mpmath.mpf(2) / 3)
        assert abs(mpmath.mpf(str(node.evalf(50))) - expected) < mpmath.mpf(10) ** -45
    assert node.is_nonnegative is True
    assert SymmetricXLog1p(Symbol("x", real=True)).is_nonnegative is None  # |t| < 1 unknown


def test_symmetric_xlog1p_latex_brackets_a_sum() -> None:
    x = Symbol("x", real=True)
    assert latex(SymmetricXLog1p(x)) == (
        r"\left[\left(1 + x\right) \log\left(1 + x\right) + \left(1 - x\right)"
        r" \log\left(1 - x\right)\right]"
    )
    assert r"1 - \left(x + 1\right)" in latex(SymmetricXLog1p(x + 1))


# The logit-space forms of the distillation loss (divsym.identities.distillation_stable).
LOGIT_FORMS: dict[str, Callable[[], Derivation]] = {
    "kl-logit-stable-form": kl_logit_stable_form,
    "soft-gradient-logit-form": soft_gradient_logit_form,
}


@pytest.mark.parametrize("name", sorted(LOGIT_FORMS))
def test_logit_form_is_proved_for_symbolic_n(name: str) -> None:
    derivation = LOGIT_FORMS[name]()
    report = verify(derivation)
    assert derivation.id == name
    assert derivation.section == "distillation"
    assert report.status is Status.PROVED, report
    assert name in {d.id for d in all_derivations()}


def _logit_mutations() -> dict[str, tuple[Callable[[], Derivation], int, Expr]]:
    kl, gradient = kl_logit_stable_form(), soft_gradient_logit_form()
    c_line = kl.steps[5].expr
    return {
        # (m = 0 would be right: the identity holds for every shift)
        "kl: the shift m not added back to c": (kl_logit_stable_form, 5, c_line - SHIFT),
        "kl: sign of d flipped": (
            kl_logit_stable_form,
            7,
            kl.end.replace(lambda e: isinstance(e, Expm1MinusX), lambda e: Expm1MinusX(-e.args[0])),
        ),
        "kl: the −1 dropped from log(1 + S)": (
            kl_logit_stable_form,
            5,
            c_line.replace(
                lambda e: isinstance(e, log) and e.args[0].has(Sum),
                lambda e: log(e.args[0] - 1 + Rational(1, 2)),
            ),
        ),
        "gradient: S dropped from the numerator": (
            soft_gradient_logit_form,
            4,
            gradient.end.xreplace({gradient.end.args[-1]: gradient.end.args[-1]}).subs(
                Sum(p[j] * (exp(DELTA[j] - SHIFT) - 1), (j, 1, n)), 0
            )
            + 0 * p[k],
        ),
        "gradient: 1/T dropped": (soft_gradient_logit_form, 4, gradient.end * T),
    }


LOGIT_MUTATIONS = _logit_mutations()


@pytest.mark.parametrize("name", sorted(LOGIT_MUTATIONS))
def test_wrong_logit_form_is_rejected(name: str) -> None:
    factory, index, expr = LOGIT_MUTATIONS[name]
    derivation = replace(factory().with_step(index, expr), fixed_n=(2,))
    assert derivation.steps[index].expr != factory().steps[index].expr, name
    report = verify(derivation)
    assert report.status is Status.FAILED, f"{name}: {report}"


def test_fold_expm1_minus_x_needs_all_three_terms() -> None:
    x, y = Symbol("x", real=True), Symbol("y", real=True)
    assert fold_expm1_minus_x(exp(x) - 1 - x, Context()) == Expm1MinusX(x)
    assert fold_expm1_minus_x(exp(x) - 1 - y, Context()) == exp(x) - 1 - y
    assert fold_expm1_minus_x(exp(x) - x, Context()) == exp(x) - x
    assert fold_expm1_minus_x(y + exp(x) - 1 - x, Context()) == y + Expm1MinusX(x)


def test_expm1_minus_x_is_nonnegative_only_for_real_arguments() -> None:
    assert Expm1MinusX(Symbol("x", real=True)).is_nonnegative is True
    assert Expm1MinusX(Symbol("w")).is_nonnegative is None
    assert Expm1MinusX.lemma == "gibbs-lemma"


def test_shift_exponentials_splits_only_inside_sums() -> None:
    x = Symbol("x", real=True)
    outside = exp(x)
    assert shift_exponentials(outside, Context()) == outside
    inside = Sum(p[j] * exp(DELTA[j]), (j, 1, n))
    shifted = shift_exponentials(inside, Context())
    assert shifted != inside
    assert shifted.function.has(exp(SHIFT))
    assert shift_exponentials(shifted, Context()) == shifted  # applies once
