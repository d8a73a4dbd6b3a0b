"""The softmax derivations: proved for symbolic n, and every wrong variant rejected."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sympy import Expr, KroneckerDelta, Mul, Piecewise, S, Sum, exp, latex

from divsym.identities import all_derivations
from divsym.identities.lecture import EQUATIONS
from divsym.identities.softmax import (
    SoftmaxProbability,
    softmax_jacobian,
    softmax_normalisation,
    softmax_shift_invariance,
    softmax_temperature_entropy,
)
from divsym.identities.softmax_limits import (
    GAP,
    TIES,
    softmax_high_temperature,
    softmax_low_temperature,
)
from divsym.kernel.derivation import Derivation, Relation
from divsym.kernel.limit_rules import u
from divsym.kernel.verify import Status, symbolic_route, verify
from divsym.symbols import definitions
from divsym.symbols.limits import CommutativeLimit
from divsym.symbols.notation import T, c, i, j, k, n, z

FACTORIES: dict[str, Callable[[], Derivation]] = {
    "softmax-normalisation": softmax_normalisation,
    "softmax-temperature-entropy": softmax_temperature_entropy,
    "softmax-shift-invariance": softmax_shift_invariance,
    "softmax-high-temperature": softmax_high_temperature,
    "softmax-low-temperature": softmax_low_temperature,
    "softmax-jacobian": softmax_jacobian,
}
SECTIONS = {
    "softmax-normalisation": "softmax",
    "softmax-temperature-entropy": "softmax",
    "softmax-shift-invariance": "softmax-beyond",
    "softmax-high-temperature": "softmax-beyond",
    "softmax-low-temperature": "softmax-beyond",
    "softmax-jacobian": "softmax-beyond",
}


def _q(index: Expr) -> SoftmaxProbability:
    return SoftmaxProbability(z, T, index)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_softmax_derivation_is_proved_for_symbolic_n(name: str) -> None:
    derivation = FACTORIES[name]()
    assert derivation.id == name
    assert derivation.section == SECTIONS[name]
    report = verify(derivation)
    assert report.status is Status.PROVED, [(s.index, s.route, s.backstop) for s in report.steps]
    assert report.fixed_n == ()
    assert all("50 digits" in step.backstop for step in report.steps)
    assert all(step.because for step in derivation.steps)


def test_softmax_derivations_are_registered() -> None:
    registered = {d.id: d.section for d in all_derivations()}
    assert {name: registered.get(name) for name in FACTORIES} == SECTIONS


def test_softmax_probability_prints_as_q_and_unfolds_to_eq_1() -> None:
    q_i = _q(i)
    assert str(q_i) == "q_i"
    assert latex(q_i) == "q_{i}"
    assert latex(q_i**2) == "q_{i}^{2}"
    assert q_i.doit() == exp(z[i] / T) / Sum(exp(z[j] / T), (j, 1, n))
    assert q_i.is_positive is True
    # The dummy index never captures the class index.
    assert _q(j).doit().free_symbols >= {j}
    assert _q(j).doit() != _q(j).doit().subs(j, i)


def test_lecture_eq_1_is_the_summand_of_its_step() -> None:
    (equation,) = (e for e in EQUATIONS if e.label == "softmax")
    assert equation.derivation == "softmax-normalisation"
    assert equation.step is not None
    stated = softmax_normalisation().steps[equation.step].expr
    assert stated == Sum(definitions.softmax(z, T), (i, 1, n))


def test_temperature_entropy_ends_in_a_nonnegative_form() -> None:
    derivation = softmax_temperature_entropy()
    last = derivation.steps[-1]
    assert last.relation is Relation.GE
    assert last.expr == 0
    assert verify(derivation).steps[-1].route == "decided by SymPy"


_S = Sum(exp(z[j] / T), (j, 1, n))
_first = Sum(z[i] * exp(z[i] / T), (i, 1, n))
_second = Sum(z[i] ** 2 * exp(z[i] / T), (i, 1, n))
_mean = Sum(_q(j) * z[j], (j, 1, n))
_delta = KroneckerDelta(i, k)

# (derivation, step index, wrong expression), each a classic slip.
MUTATIONS: dict[str, tuple[str, int, Expr]] = {
    "normalisation: sums to 2": ("softmax-normalisation", 3, S(2)),
    "normalisation: exp(z_i T) for exp(z_i/T)": (
        "softmax-normalisation",
        1,
        Sum(exp(z[i] * T) / _S, (i, 1, n)),
    ),
    "entropy: wrong power of T": (
        "softmax-temperature-entropy",
        4,
        _second / (T**2 * _S) - _first**2 / (T**2 * _S**2),
    ),
    "entropy: flipped sign": (
        "softmax-temperature-entropy",
        4,
        _first**2 / (T**3 * _S**2) - _second / (T**3 * _S),
    ),
    "entropy: mean not subtracted": (
        "softmax-temperature-entropy",
        6,
        Sum(_q(i) * z[i] ** 2, (i, 1, n)) / T**3,
    ),
    "shift: factor dropped in the numerator": (
        "softmax-shift-invariance",
        1,
        exp(z[i] / T) / Sum(exp(z[j] / T) * exp(c / T), (j, 1, n)),
    ),
    "high temperature: wrong limit value": ("softmax-high-temperature", 5, 1 / (n + 1)),
    "high temperature: u = T instead of 1/T": (
        "softmax-high-temperature",
        2,
        CommutativeLimit(exp(z[i] / u) / Sum(exp(z[j] / u), (j, 1, n)), u, 0, "+"),
    ),
    "low temperature: 1/(m + 1) on the maxima": (
        "softmax-low-temperature",
        8,
        Piecewise((1 / (TIES + 1), i <= TIES), (0, True)),
    ),
    "low temperature: maxima and others swapped": (
        "softmax-low-temperature",
        8,
        Piecewise((0, i <= TIES), (1 / TIES, True)),
    ),
    "low temperature: gaps kept in the limit": (
        "softmax-low-temperature",
        7,
        Piecewise((1, i <= TIES), (0, True)) / (TIES + Sum(exp(-GAP[j]), (j, TIES + 1, n))),
    ),
    "jacobian: delta dropped": ("softmax-jacobian", 5, _q(i) * (1 - _q(k)) / T),
    "jacobian: wrong power of T": ("softmax-jacobian", 5, _q(i) * (_delta - _q(k)) / T**2),
    "jacobian: flipped sign": ("softmax-jacobian", 5, _q(i) * (_q(k) - _delta) / T),
    "jacobian: q_k for q_i in front": (
        "softmax-jacobian",
        5,
        Mul(_q(k), _delta - _q(k), 1 / T),
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_wrong_softmax_step_is_reported_failed(name: str) -> None:
    derivation_id, index, expr = MUTATIONS[name]
    report = verify(FACTORIES[derivation_id]().with_step(index, expr))
    assert report.status is Status.FAILED, f"{name}: {report}"
    assert report.steps[index - 1].status is Status.FAILED


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_symbolic_route_alone_does_not_prove_a_wrong_softmax_step(name: str) -> None:
    derivation_id, index, expr = MUTATIONS[name]
    derivation = FACTORIES[derivation_id]().with_step(index, expr)
    previous = derivation.steps[index - 1].expr
    status, route, _ = symbolic_route(previous, derivation.steps[index], derivation)
    assert status is not Status.PROVED, f"{name} proved by {route}"


def test_every_softmax_derivation_has_a_mutation() -> None:
    assert {derivation_id for derivation_id, _, _ in MUTATIONS.values()} == set(FACTORIES)
