"""The stable forms divsym evaluates are proved, and wrong variants of them are rejected."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from sympy import Expr, Rational, Sum, Symbol, exp, log, sqrt

from divsym.api import verify
from divsym.identities import all_derivations
from divsym.identities.stable_forms import (
    jsd_stable_form,
    kl_nonnegative_terms,
    log_softmax_stable_form,
    softmax_stable_form,
)
from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation
from divsym.kernel.stable_rules import combine_exponentials, fold_x_minus_log1p
from divsym.kernel.verify import Status, symbolic_route
from divsym.symbols.notation import T, c, i, j, n, p, q, z
from divsym.symbols.stable import XMinusLog1p

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
    # The last step is proved by the kernel's own rule, exactly: no user rule, no fallback.
    last = report.steps[-1]
    rule = derivation.steps[-1].rules[0].name
    assert last.route == f"rules: {rule}", last.route


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
