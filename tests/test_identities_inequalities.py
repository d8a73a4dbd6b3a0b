"""Gibbs' lemma and inequality, 0 ≤ JSD ≤ log 2: derived to decided forms; wrong variants fail."""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import pytest
from sympy import Add, Expr, Rational, S, Sum, Symbol, lambdify, log

from divsym.identities.gibbs import gibbs_inequality, gibbs_lemma, x
from divsym.identities.jensen_shannon import jsd_bounds
from divsym.kernel.derivation import Derivation, Relation
from divsym.kernel.verify import Status, verify
from divsym.render.latex import to_latex
from divsym.symbols.gibbs import GibbsTerm, UnitIntegral
from divsym.symbols.notation import i, n, p, q

FACTORIES: dict[str, Callable[[], Derivation]] = {
    "gibbs-lemma": gibbs_lemma,
    "gibbs-inequality": gibbs_inequality,
    "jsd-bounds": jsd_bounds,
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_inequalities_are_decided_not_asserted(name: str) -> None:
    # Every ≤/≥ step is decided by SymPy from the form written there, never by a rule.
    derivation = FACTORIES[name]()
    report = verify(derivation)
    for step, step_report in zip(derivation.steps[1:], report.steps, strict=True):
        if step.relation is not Relation.EQ:
            assert not step.rules
            assert step_report.route == "decided by SymPy", step_report


def test_gibbs_term_sign_is_known_only_for_positive_arguments() -> None:
    assert GibbsTerm(x).is_nonnegative is True
    assert GibbsTerm(Symbol("t", real=True)).is_nonnegative is None
    assert GibbsTerm(x).doit() == x - 1 - log(x)


@pytest.mark.parametrize("value", ["0.001", "0.5", "1", "3", "250"])
def test_lemma_integral_closed_form_matches_quadrature(value: str) -> None:
    # The closed form the canonical route uses, against mpmath.quad at 30 digits.
    integral = gibbs_lemma().steps[1].expr
    assert isinstance(integral, UnitIntegral)
    integrand, s = integral.args
    point = Rational(value)
    with mpmath.workdps(30):
        f = lambdify(s, integrand.subs(x, point), "mpmath")
        quad = mpmath.quad(f, [0, 1])
        closed = integral.definition().subs(x, point).evalf(30)
        assert abs(quad - mpmath.mpf(str(closed))) < mpmath.mpf("1e-25") * max(1, abs(quad))


def test_integral_sign_is_not_claimed_for_a_sign_changing_integrand() -> None:
    s = Symbol("s", positive=True)
    assert UnitIntegral(s * (x - 1) / (1 + s * (x - 1)), s).is_nonnegative is None


HALF = Rational(1, 2)
M_OVER_P = (p[i] + q[i]) / (2 * p[i])

MUTATIONS: dict[str, tuple[str, int, Expr | None, Relation | None]] = {
    "lemma with a sign-changing integrand": (
        "gibbs-lemma",
        1,
        UnitIntegral(Symbol("s", positive=True) * (x - 1), Symbol("s", positive=True)),
        None,
    ),
    "lemma with + log x": ("gibbs-lemma", 2, x - 1 + log(x), None),
    "Gibbs with the inequality reversed": ("gibbs-inequality", 5, None, Relation.LE),
    "Gibbs with the normalisation term of the wrong sign": (
        "gibbs-inequality",
        3,
        Sum(p[i] * (q[i] / p[i] - 1 + log(q[i] / p[i])), (i, 1, n)),
        None,
    ),
    "Gibbs with swapped arguments": (
        "gibbs-inequality",
        4,
        Sum(q[i] * GibbsTerm(p[i] / q[i]), (i, 1, n)),
        None,
    ),
    "JSD bound with log 3 instead of log 2": (
        "jsd-bounds",
        3,
        Add(
            log(3),
            -HALF * Sum(p[i] * log((p[i] + q[i]) / p[i]), (i, 1, n)),
            -HALF * Sum(q[i] * log((p[i] + q[i]) / q[i]), (i, 1, n)),
            evaluate=False,
        ),
        None,
    ),
    "JSD with a dropped Gibbs sum": (
        "jsd-bounds",
        1,
        HALF * Sum(p[i] * GibbsTerm(M_OVER_P), (i, 1, n)),
        None,
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_wrong_step_is_reported_failed(mutation: str) -> None:
    name, index, expr, relation = MUTATIONS[mutation]
    report = verify(FACTORIES[name]().with_step(index, expr, relation=relation, rules=()))
    assert report.status is Status.FAILED, f"{mutation}: {report}"


def test_jsd_bound_with_its_first_step_reversed_is_refused() -> None:
    # jsd-bounds is a chain of <= steps; turning its first into >= would mix the directions,
    # which relates none of its lines: refused when the derivation is built.
    with pytest.raises(ValueError, match="mixes >="):
        jsd_bounds().with_step(1, jsd_bounds().steps[1].expr, relation=Relation.GE, rules=())


def test_a_true_but_weaker_bound_is_not_reported_failed() -> None:
    # JSD ≤ log 3 is true: replacing the final log 2 by log 3 must not be called wrong.
    report = verify(jsd_bounds().with_step(5, log(3), rules=()))
    assert report.status is not Status.FAILED, report


def test_lemma_nodes_print_in_lecture_notation() -> None:
    s = Symbol("s", positive=True)
    assert to_latex(GibbsTerm(x)) == r"G\left(x\right)"
    assert to_latex(UnitIntegral(s * x, s)).startswith(r"\int_0^1 ")
    assert str(GibbsTerm(x)) == "G(x)"
    assert S.Zero == GibbsTerm(S.One).doit()


def test_gibbs_term_sign_rests_on_the_proved_lemma() -> None:
    # G(x) ≥ 0 is what the node's _eval_is_nonnegative answers; the lemma derivation must
    # state exactly that (0 ≤ … = G(x) for a positive x) and be proved.
    lemma = gibbs_lemma()
    assert lemma.start == 0
    assert lemma.end == GibbsTerm(x)
    assert x.is_positive
    assert [s.relation for s in lemma.steps[1:]] == [Relation.LE, Relation.EQ, Relation.EQ]
    assert verify(lemma).status is Status.PROVED
