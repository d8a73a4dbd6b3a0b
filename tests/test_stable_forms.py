"""The stable forms divsym evaluates are proved, and wrong variants of them are rejected."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from sympy import Expr, Rational, Sum, Symbol, exp, log, sqrt

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
    fold_x_minus_log1p,
    shift_exponentials,
)
from divsym.kernel.verify import Status, symbolic_route
from divsym.symbols.notation import T, c, i, j, k, n, p, q, z
from divsym.symbols.stable import DELTA, SHIFT, Expm1MinusX, XMinusLog1p

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
    "jsd: mixture without the ½": (
        jsd_stable_form,
        2,
        HALF
        * Sum(
            p[i] * ((p[i] + q[i]) / p[i] - 1 - log((p[i] + q[i]) / p[i]))
            + q[i] * ((p[i] + q[i]) / q[i] - 1 - log((p[i] + q[i]) / q[i])),
            (i, 1, n),
        ),
    ),
    "jsd: the ½ in front dropped": (
        jsd_stable_form,
        3,
        Sum(
            p[i] * XMinusLog1p((q[i] - p[i]) / (2 * p[i]))
            + q[i] * XMinusLog1p((p[i] - q[i]) / (2 * q[i])),
            (i, 1, n),
        ),
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
