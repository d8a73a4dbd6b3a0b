"""The distillation derivations (Hinton et al., 2015): proved for symbolic n, wrong variants failed.

Every wrong variant changes one step the way a reader could get it wrong (sign flipped, the
1/T dropped, p and q swapped, T instead of T², the wrong class surviving a δ) and must be
rejected: a checker that cannot fail proves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import mpmath
import pytest
from sympy import Add, Expr, KroneckerDelta, Mul, Rational, Sum, Symbol, exp, latex, log, oo

from divsym.identities import all_derivations
from divsym.identities.distillation import (
    alpha,
    distillation_gradient,
    distillation_gradient_softmax_teacher,
    distillation_high_temperature,
    distillation_temperature_squared,
    distillation_weighted_gradient,
    distillation_zero_mean_logits,
    hard_label_gradient,
    jsd_entropy_form,
    label,
    linearised_softmax,
)
from divsym.identities.lecture import SECTIONS
from divsym.kernel.derivation import Derivation
from divsym.kernel.limit_rules import u
from divsym.kernel.verify import Status, symbolic_route, verify
from divsym.symbols.distillation import TeacherProbability
from divsym.symbols.limits import CommutativeLimit as Limit
from divsym.symbols.notation import T, i, j, k, n, p, q, v, z
from divsym.symbols.quantities import Entropy
from divsym.symbols.softmax import SoftmaxProbability

#: id → (factory, the route of each step: "rules" when the step's own rules reproduce it,
#: possibly followed by the canonical form; "canonical" when only the canonical form does).
EXPECTED: dict[str, tuple[Callable[[], Derivation], tuple[str, ...]]] = {
    "distillation-gradient": (
        distillation_gradient,
        ("rules", "rules", "rules", "rules", "rules", "rules", "rules", "canonical"),
    ),
    "distillation-gradient-softmax-teacher": (
        distillation_gradient_softmax_teacher,
        ("rules", "rules", "rules", "rules", "rules", "rules", "rules", "canonical"),
    ),
    "distillation-temperature-squared": (distillation_temperature_squared, ("rules", "canonical")),
    "jsd-entropy-form": (jsd_entropy_form, ("rules", "canonical", "canonical", "canonical")),
    "distillation-zero-mean-logits": (
        distillation_zero_mean_logits,
        ("rules", "canonical", "rules", "rules", "rules", "rules", "canonical"),
    ),
    "hard-label-gradient": (
        hard_label_gradient,
        ("rules", "rules", "rules", "rules", "canonical"),
    ),
    "distillation-high-temperature": (
        distillation_high_temperature,
        ("rules", "rules", "rules", "rules"),
    ),
}


def _q(index: Expr) -> SoftmaxProbability:
    return SoftmaxProbability(z, T, index)


def _failed(derivation: Derivation, step: int) -> None:
    """``derivation`` is failed, and step ``step`` is among the steps that fail."""
    report = verify(derivation)
    assert report.status is Status.FAILED, [(s.index, s.status, s.route) for s in report.steps]
    failing = [s.index for s in report.steps if s.status is Status.FAILED]
    assert step in failing, failing


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_distillation_derivation_is_proved_for_symbolic_n(name: str) -> None:
    factory, routes = EXPECTED[name]
    derivation = factory()
    assert derivation.id == name
    assert derivation.section == "distillation"
    report = verify(derivation)
    assert report.status is Status.PROVED, [(s.index, s.route, s.backstop) for s in report.steps]
    assert report.fixed_n == ()
    assert [s.route.split(":")[0].split(" ")[0] for s in report.steps] == list(routes)
    assert all(step.because for step in derivation.steps)
    assert derivation.remarks


def test_the_distillation_section_follows_the_lecture() -> None:
    section = {s.id: s for s in SECTIONS}["distillation"]
    assert section.beyond_lecture is True
    assert "Hinton" in section.title
    assert SECTIONS[-1] is section


def test_registered_distillation_derivations_are_in_the_distillation_section() -> None:
    registered = {d.id: d.section for d in all_derivations()}
    assert registered["distillation-gradient"] == "distillation"
    assert registered["distillation-temperature-squared"] == "distillation"
    assert registered["distillation-gradient-softmax-teacher"] == "distillation"
    assert registered["jsd-entropy-form"] == "distillation"
    assert registered["hard-label-gradient"] == "distillation"
    assert registered["distillation-high-temperature"] == "distillation"
    assert registered["distillation-zero-mean-logits"] == "distillation"


def test_the_papers_equations_are_registered_in_its_order() -> None:
    # Eq. (2) (the gradient), then eq. (3) (high temperature), then eq. (4) (zero-mean logits).
    ids = [d.id for d in all_derivations()]
    papers = [
        "distillation-gradient",
        "distillation-high-temperature",
        "distillation-zero-mean-logits",
    ]
    assert [ids.index(name) for name in papers] == sorted(ids.index(name) for name in papers)


def test_the_backstop_checks_the_first_steps_of_the_high_temperature_derivation() -> None:
    # Its first three steps are limits of second-order differences (q_k − A_k ~ 10^-240 at
    # 1/T = 10^-120): each must be compared at points, not skipped as unevaluable.
    report = verify(distillation_high_temperature())
    for step in report.steps:
        assert "points agree" in step.backstop, (step.index, step.backstop)
        assert "skipped" not in step.backstop, (step.index, step.backstop)


def test_remarks_say_which_line_is_the_papers_equation() -> None:
    for factory in (distillation_gradient, distillation_gradient_softmax_teacher):
        assert any("paper's eq. (2)" in remark for remark in factory().remarks)
    assert any("eq. (2)" in r for r in distillation_temperature_squared().remarks)


def test_teacher_probability_prints_p_and_is_the_softmax_of_the_teacher_logits() -> None:
    p_i = TeacherProbability(v, T, i)
    assert str(p_i) == "p_i"
    assert latex(p_i) == "p_{i}"
    assert latex(p_i**2) == "p_{i}^{2}"
    assert p_i.doit() == exp(v[i] / T) / Sum(exp(v[j] / T), (j, 1, n))
    assert p_i.is_positive is True
    # It is not the student's softmax: different logits, a different node.
    assert p_i != _q(i)


# --- wrong variants of the gradient -------------------------------------------------------


def _gradient(target: Expr) -> Expr:
    return Mul(Add(_q(k), -target), 1 / T, evaluate=False)


@pytest.mark.parametrize(
    ("label", "wrong"),
    [
        ("sign flipped (p and q swapped)", Mul(Add(p[k], -_q(k)), 1 / T, evaluate=False)),
        ("1/T missing", Add(_q(k), -p[k])),
        ("T instead of 1/T", Mul(Add(_q(k), -p[k]), T, evaluate=False)),
        ("wrong class: p_i for p_k", _gradient(p[j])),
    ],
)
def test_wrong_final_gradient_is_failed(label: str, wrong: Expr) -> None:
    derivation = distillation_gradient()
    _failed(derivation.with_step(len(derivation.steps) - 1, wrong), len(derivation.steps) - 1)


def test_gradient_with_the_chain_rule_factor_dropped_is_failed() -> None:
    derivation = distillation_gradient()
    normaliser = Sum(exp(z[j] / T), (j, 1, n))
    inner = Sum(KroneckerDelta(j, k) * exp(z[j] / T), (j, 1, n))
    # ∂ log Σ_j exp(z_j/T)/∂z_k without its 1/T from the chain rule.
    wrong = -Sum(p[i] * (KroneckerDelta(i, k) / T - inner / normaliser), (i, 1, n))
    right = -Sum(p[i] * (KroneckerDelta(i, k) / T - inner / (T * normaliser)), (i, 1, n))
    assert derivation.steps[3].expr == right
    _failed(derivation.with_step(3, wrong), 3)


@pytest.mark.parametrize("step", [4, 6])
def test_teacher_gradient_with_the_wrong_delta_label_is_failed(step: int) -> None:
    derivation = distillation_gradient_softmax_teacher()
    right = derivation.steps[step].expr
    # The δ collapsed onto the class j (any class) instead of k.
    wrong = right.xreplace({z[k]: z[j]}) if step == 4 else right.xreplace({v[k]: v[j]})
    assert wrong != right
    _failed(derivation.with_step(step, wrong), step)


def test_teacher_gradient_with_sign_flipped_or_teacher_and_student_swapped_is_failed() -> None:
    derivation = distillation_gradient_softmax_teacher()
    last = len(derivation.steps) - 1
    teacher = TeacherProbability(v, T, k)
    _failed(derivation.with_step(last, Mul(Add(teacher, -_q(k)), 1 / T, evaluate=False)), last)
    # The teacher's softmax is not a normalised data distribution unless shown: Σ_i p_i kept
    # as 1 for a softmax of the wrong logits is wrong.
    wrong_logits = Mul(Add(_q(k), -TeacherProbability(z, T, k)), 1 / T, evaluate=False)
    _failed(derivation.with_step(last, wrong_logits), last)


def test_teacher_gradient_without_its_normalisation_is_failed() -> None:
    derivation = distillation_gradient_softmax_teacher()
    # Step 7 drops Σ_i p_i, which is 1, but the step before it kept the factor; dropping the
    # whole second term instead is wrong.
    right = derivation.steps[7].expr
    first = right.args[0] if right.args[0].has(v) else right.args[1]
    _failed(derivation.with_step(7, first), 7)


# --- wrong variants of the T² scaling -----------------------------------------------------


def test_scaling_by_t_instead_of_t_squared_is_failed() -> None:
    derivation = distillation_temperature_squared()
    start = derivation.steps[0].expr
    wrong_start = start.xreplace({T**2: T})
    assert wrong_start != start
    _failed(derivation.with_step(0, wrong_start), 1)


@pytest.mark.parametrize(
    "wrong",
    [
        Mul(T, Add(p[k], -_q(k)), evaluate=False),  # sign flipped
        Mul(Add(_q(k), -p[k]), 1 / T, evaluate=False),  # T² / T read as 1/T
        Mul(T**2, Add(_q(k), -p[k]), evaluate=False),  # the 1/T of eq. (2) lost
    ],
)
def test_wrong_scaled_gradient_is_failed(wrong: Expr) -> None:
    _failed(distillation_temperature_squared().with_step(2, wrong), 2)


# --- wrong variants of JSD = H(M) − (H(P) + H(Q))/2 ---------------------------------------

_HALF = Rational(1, 2)


def _mixture_entropy(weight: Expr) -> Expr:
    m = weight * (p[i] + q[i])
    return -Sum(m * log(m), (i, 1, n))


@pytest.mark.parametrize(
    "wrong",
    [
        # the mean entropy added instead of subtracted
        Add(_mixture_entropy(_HALF), _HALF * (Entropy(p) + Entropy(q))),
        # the two terms swapped: (H(P) + H(Q))/2 − H(M)
        Add(-_mixture_entropy(_HALF), _HALF * (Entropy(p) + Entropy(q))),
        # the mixture without its ½: Σ (p + q) log(p + q)
        Add(_mixture_entropy(1), -_HALF * (Entropy(p) + Entropy(q))),
        # H(P) for H(M)
        Add(Entropy(p), -_HALF * (Entropy(p) + Entropy(q))),
    ],
)
def test_wrong_jsd_entropy_form_is_failed(wrong: Expr) -> None:
    derivation = jsd_entropy_form()
    _failed(derivation.with_step(len(derivation.steps) - 1, wrong), len(derivation.steps) - 1)


def test_jsd_entropy_form_without_the_half_on_the_mixture_logs_is_failed() -> None:
    derivation = jsd_entropy_form()
    right = derivation.steps[2].expr
    wrong = right.xreplace({_HALF: 1})
    assert wrong != right
    _failed(derivation.with_step(2, wrong), 2)


# --- wrong variants of the hard-label gradient --------------------------------------------


def _q1(index: Expr) -> SoftmaxProbability:
    return SoftmaxProbability(z, 1, index)


@pytest.mark.parametrize(
    "wrong",
    [
        Add(KroneckerDelta(k, label), -_q1(k)),  # sign flipped
        Add(_q1(label), -KroneckerDelta(k, label)),  # q_y for q_k
        Add(_q1(k), -KroneckerDelta(label, label)),  # the wrong δ label: δ_yy = 1
        Add(_q1(k), -KroneckerDelta(k, 1)),  # the wrong δ label: class 1 for y
        Add(_q1(k), -KroneckerDelta(k, label)) / T,  # a 1/T that is not there at T = 1
    ],
)
def test_wrong_hard_label_gradient_is_failed(wrong: Expr) -> None:
    derivation = hard_label_gradient()
    _failed(derivation.with_step(len(derivation.steps) - 1, wrong), len(derivation.steps) - 1)


def test_hard_label_gradient_with_the_wrong_class_surviving_is_failed() -> None:
    derivation = hard_label_gradient()
    right = derivation.steps[4].expr
    wrong = right.xreplace({z[k]: z[label]})
    assert wrong != right
    _failed(derivation.with_step(4, wrong), 4)


# --- wrong variants of the high-temperature limit -----------------------------------------


def _zero_mean_wrong(scale: Expr, sign: int) -> Expr:
    z_sum, v_sum = Sum(z[j], (j, 1, n)), Sum(v[j], (j, 1, n))
    return sign * (z[k] - v[k] - (z_sum - v_sum) / n) * scale


@pytest.mark.parametrize(
    "wrong",
    [
        _zero_mean_wrong(1 / n, -1),  # sign flipped: (v_k − z_k)/n
        _zero_mean_wrong(1 / n**2, 1),  # 1/n² for 1/n
        (z[k] - v[k]) / n,  # the means dropped although the logits are not zero-mean
    ],
)
def test_wrong_high_temperature_limit_is_failed(wrong: Expr) -> None:
    derivation = distillation_zero_mean_logits()
    _failed(derivation.with_step(len(derivation.steps) - 1, wrong), len(derivation.steps) - 1)


def test_high_temperature_limit_of_t_instead_of_t_squared_is_failed() -> None:
    derivation = distillation_zero_mean_logits()
    # T ∂C/∂z_k = q_k − p_k → 0, not (z_k − v_k − …)/n: drop the 1/u of T² ∂C/∂z_k.
    right = derivation.steps[1].expr
    wrong = right.func(right.args[0] * u, *right.args[1:])
    _failed(derivation.with_step(1, wrong), 1)


# --- the paper's eq. (3) with the order of its error --------------------------------------


def test_high_temperature_remarks_say_which_line_is_the_papers_equation_3() -> None:
    remarks = distillation_high_temperature().remarks
    assert any("eq. (3)" in r and "starting expression" in r and "ours" in r for r in remarks)


def test_high_temperature_coefficient_agrees_with_mpmath_at_large_t() -> None:
    """The last line's c_k against T³ (∂C/∂z_k − (1/T)(A_k − B_k)) computed directly.

    Independent of the kernel: mpmath at 80 digits, n = 3, k = 2, T = 10^8, so the
    difference from the limit is O(1/T) ≈ 10^-8 (the next term of the series).
    """
    logits_z, logits_v, k_value = [1.5, -0.25, 0.75], [-0.5, 2.0, 0.125], 1
    with mpmath.workdps(80):
        t = mpmath.mpf(10) ** 8
        zs = [mpmath.mpf(x) for x in logits_z]
        vs = [mpmath.mpf(x) for x in logits_v]

        def softmax(w: list[mpmath.mpf]) -> mpmath.mpf:
            return mpmath.exp(w[k_value] / t) / mpmath.fsum(mpmath.exp(x / t) for x in w)

        def linear(w: list[mpmath.mpf]) -> mpmath.mpf:
            return (1 + w[k_value] / t) / (len(w) + mpmath.fsum(w) / t)

        error = (softmax(zs) - softmax(vs) - linear(zs) + linear(vs)) / t
        direct = t**3 * error
    last = distillation_high_temperature().steps[-1].expr
    values: dict[Expr, Expr] = {}
    values.update({z[m + 1]: Rational(x) for m, x in enumerate(logits_z)})
    values.update({v[m + 1]: Rational(x) for m, x in enumerate(logits_v)})
    claimed = last.subs(n, 3).doit().subs(k, k_value + 1).subs(values)
    # By hand: (z_2² − v_2²)/6 − (Σ z_j² − Σ v_j²)/18 = (1/16 − 4)/6 − (23/8 − 273/64)/18.
    assert claimed == Rational(-667, 1152)
    assert abs(direct - mpmath.mpf(claimed.p) / claimed.q) < mpmath.mpf(10) ** -7


#: The teacher's dummy index, as in the module (a Symbol is its name and assumptions).
_l = Symbol("l", integer=True, positive=True)


def _with_fixed_n_off(derivation: Derivation) -> Derivation:
    return replace(derivation, fixed_n=())


def _high_temperature_start(power: int, sign: int) -> Expr:
    """Line (1) with ``T^power`` and ``e^x ≈ 1 + sign·x`` in the approximation."""
    gradient = Mul(Add(_q(k), -TeacherProbability(v, T, k)), 1 / T, evaluate=False)
    approximation = Mul(
        Add(linearised_softmax(z, j, sign * T), -linearised_softmax(v, _l, sign * T)),
        1 / T,
        evaluate=False,
    )
    return Limit(Mul(T**power, Add(gradient, -approximation), evaluate=False), T, oo)


def test_high_temperature_start_is_as_built() -> None:
    assert distillation_high_temperature().steps[0].expr == _high_temperature_start(3, 1)


def _z_sq() -> Expr:
    return Sum(z[j] ** 2, (j, 1, n)) - Sum(v[_l] ** 2, (_l, 1, n))


#: (what is wrong, the step replaced, the wrong expression).
_WRONG_HIGH_TEMPERATURE = [
    ("order 1/T^4 claimed: T^4 times the error", 0, _high_temperature_start(4, 1)),
    ("order 1/T^2 claimed: T^2 times the error", 0, _high_temperature_start(2, 1)),
    ("e^x ≈ 1 − x: the wrong sign in the paper's expansion", 0, _high_temperature_start(3, -1)),
    (
        "the limits of the difference quotients as (a − b)²/2",
        3,
        Sum((z[k] - z[j]) ** 2 / 2, (j, 1, n)) / Sum(1, (j, 1, n)) ** 2
        - Sum((v[k] - v[_l]) ** 2 / 2, (_l, 1, n)) / Sum(1, (_l, 1, n)) ** 2,
    ),
    (
        "sign flipped",
        4,
        -((z[k] ** 2 - v[k] ** 2) / (2 * n) - _z_sq() / (2 * n**2)),
    ),
    ("1/n for 1/(2n)", 4, (z[k] ** 2 - v[k] ** 2) / n - _z_sq() / (2 * n**2)),
    ("the mean of the squares dropped", 4, (z[k] ** 2 - v[k] ** 2) / (2 * n)),
]


@pytest.mark.parametrize(("label", "step", "wrong"), _WRONG_HIGH_TEMPERATURE)
def test_wrong_high_temperature_step_is_not_proved_symbolically(
    label: str, step: int, wrong: Expr
) -> None:
    derivation = _with_fixed_n_off(distillation_high_temperature())
    assert wrong != derivation.steps[step].expr, label
    changed = derivation.with_step(step, wrong)
    # The step after a changed first line, else the changed step itself.
    checked = step + 1 if step == 0 else step
    status, route, _ = symbolic_route(
        changed.steps[checked - 1].expr, changed.steps[checked], changed
    )
    assert status is not Status.PROVED, (label, route)


@pytest.mark.parametrize(("label", "step", "wrong"), _WRONG_HIGH_TEMPERATURE)
def test_wrong_high_temperature_step_is_failed(label: str, step: int, wrong: Expr) -> None:
    derivation = distillation_high_temperature()
    _failed(derivation.with_step(step, wrong), step + 1 if step == 0 else step)


# --- the gradient of the paper's weighted sum α T² C + (1 − α) H --------------------------


def _weighted_last(soft: Expr, hard: Expr, weight: Expr = alpha) -> Expr:
    """``weight · soft + (1 − weight) · hard``, built as the derivation's last line is."""
    return Add(
        Mul(weight, soft, evaluate=False), Mul(1 - weight, hard, evaluate=False), evaluate=False
    )


def _soft_part(scale: Expr) -> Expr:
    return Mul(scale, Add(_q(k), -p[k]), evaluate=False)


def _hard_part(temperature: Expr) -> Expr:
    return Add(SoftmaxProbability(z, temperature, k), -KroneckerDelta(k, label), evaluate=False)


def test_weighted_gradient_is_proved_for_symbolic_n() -> None:
    derivation = distillation_weighted_gradient()
    assert derivation.id == "distillation-weighted-gradient"
    assert derivation.section == "distillation"
    report = verify(derivation)
    assert report.status is Status.PROVED, [(s.index, s.route, s.backstop) for s in report.steps]
    assert report.fixed_n == ()
    routes = [s.route.split(":")[0].split(" ")[0] for s in report.steps]
    assert routes == ["rules", "rules", "rules", "rules", "rules", "canonical"]
    # Every step is also compared at points (α sampled in [0, 1]), none skipped.
    assert all("points agree" in s.backstop for s in report.steps), report.steps


def test_weighted_gradient_ends_with_the_last_lines_of_its_two_parts() -> None:
    # The soft part is the last line of distillation-temperature-squared, the hard part that
    # of hard-label-gradient: the expressions the generated gradient is built from.
    last = distillation_weighted_gradient().steps[-1].expr
    assert last == _weighted_last(_soft_part(T), _hard_part(1))
    assert distillation_temperature_squared().steps[-1].expr == _soft_part(T)
    assert hard_label_gradient().steps[-1].expr == _hard_part(1)


def test_weighted_gradient_is_registered_right_after_the_hard_label_gradient() -> None:
    ids = [d.id for d in all_derivations()]
    assert ids.index("distillation-weighted-gradient") == ids.index("hard-label-gradient") + 1


def test_weighted_gradient_remarks_name_the_paper_and_the_numeric_function() -> None:
    remarks = " ".join(distillation_weighted_gradient().remarks)
    assert "Hinton, Vinyals & Dean 2015, section 2" in remarks
    assert "weighted average" in remarks
    assert "T^2" in remarks
    assert "distillation\\_loss\\_grad" in remarks


@pytest.mark.parametrize(
    ("what", "wrong"),
    [
        (
            "α and 1 − α swapped",
            _weighted_last(_soft_part(T), _hard_part(1), weight=1 - alpha),
        ),
        ("T² left in place of T", _weighted_last(_soft_part(T**2), _hard_part(1))),
        ("the hard part at temperature T", _weighted_last(_soft_part(T), _hard_part(T))),
        (
            "δ_ky dropped",
            _weighted_last(_soft_part(T), SoftmaxProbability(z, 1, k)),
        ),
        ("the soft part's 1/T taken for T", _weighted_last(_soft_part(1 / T), _hard_part(1))),
    ],
)
def test_wrong_weighted_gradient_is_failed(what: str, wrong: Expr) -> None:
    derivation = distillation_weighted_gradient()
    last = len(derivation.steps) - 1
    assert wrong != derivation.steps[last].expr, what
    _failed(derivation.with_step(last, wrong), last)


def test_weighted_gradient_with_alpha_on_the_hard_part_after_differentiating_is_failed() -> None:
    # Differentiating and moving the weight: α on the hard part, 1 − α on the soft part.
    derivation = distillation_weighted_gradient()
    right = derivation.steps[3].expr
    wrong = right.xreplace({alpha: 1 - alpha})
    assert wrong != right
    _failed(derivation.with_step(3, wrong), 3)


def test_weighted_gradient_agrees_with_a_central_difference_in_mpmath() -> None:
    """The last line at one point against a central difference of L, independent of the kernel.

    mpmath at 60 digits, n = 4, y = 3, k = 1..4, T = 2.5, α = 0.7, step h = 10^-20: the
    central difference's error is O(h²) ≈ 10^-40, so 30 digits must agree.
    """
    zs = [0.5, -1.25, 2.0, 0.125]
    ps = [0.125, 0.25, 0.5, 0.125]
    y_value, t_value, a_value = 3, Rational(5, 2), Rational(7, 10)
    with mpmath.workdps(60):
        t, a = mpmath.mpf(5) / 2, mpmath.mpf(7) / 10

        def loss(w: list[mpmath.mpf]) -> mpmath.mpf:
            soft_norm = mpmath.fsum(mpmath.exp(x / t) for x in w)
            soft = -mpmath.fsum(
                mpmath.mpf(pi) * mpmath.log(mpmath.exp(x / t) / soft_norm)
                for pi, x in zip(ps, w, strict=True)
            )
            hard = -mpmath.log(mpmath.exp(w[y_value - 1]) / mpmath.fsum(mpmath.exp(x) for x in w))
            return a * t**2 * soft + (1 - a) * hard

        h = mpmath.mpf(10) ** -20
        base = [mpmath.mpf(x) for x in zs]
        differences = []
        for m in range(4):
            up, down = list(base), list(base)
            up[m] += h
            down[m] -= h
            differences.append((loss(up) - loss(down)) / (2 * h))
        last = distillation_weighted_gradient().steps[-1].expr
        values: dict[Expr, Expr] = {alpha: a_value, T: t_value, label: y_value}
        values.update({z[m + 1]: Rational(x) for m, x in enumerate(zs)})
        values.update({p[m + 1]: Rational(x) for m, x in enumerate(ps)})
        for m in range(4):
            claimed = last.subs(n, 4).doit().subs(k, m + 1).doit().subs(values).doit()
            assert abs(mpmath.mpf(claimed.evalf(60)) - differences[m]) < mpmath.mpf(10) ** -30, m
