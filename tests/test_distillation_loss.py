"""distillation_loss and its generated gradient: conventions, finite differences, torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from divsym import reference
from divsym.codegen.forms import FORMS
from divsym.identities.distillation import distillation_gradient, distillation_temperature_squared
from divsym.numeric import _generated
from divsym.numeric.distillation import distillation_loss, distillation_loss_grad
from divsym.numeric.functions import entropy, kl_divergence, softmax


def _generated_source(name: str) -> str:
    import inspect

    return inspect.getsource(getattr(_generated, name))


RNG = np.random.default_rng(7)
S = RNG.normal(size=(4, 6))
TT = RNG.normal(size=(4, 6))
Y = np.array([0, 3, 5, 2])


def test_default_is_t_squared_batchmean_kl() -> None:
    T = 3.0
    p, q = softmax(TT, T), softmax(S, T)
    expected = T**2 * kl_divergence(p, q).sum() / 4
    assert float(distillation_loss(S, TT, T)) == pytest.approx(float(expected), rel=1e-14)


def test_matches_the_50_digit_reference() -> None:
    # reference: the definitions in mpmath at 50 digits, row by row
    option_sets: tuple[dict[str, Any], ...] = ({}, {"label": 2, "alpha": 0.3}, {"form": "ce"})
    for options in option_sets:
        labels = {"labels": options["label"]} if "label" in options else {}
        extra = {k: v for k, v in options.items() if k != "label"}
        got = float(distillation_loss(S[0], TT[0], 2.5, **labels, **extra))
        expected = reference.distillation_loss(S[0], TT[0], 2.5, options.get("label"), **extra)
        assert reference.relative_error(got, expected) < 4e-16


def test_gradient_is_generated_from_the_proved_last_lines() -> None:
    # the forms contain the derivations' last lines with q_k in its stable form
    assert FORMS["soft_target_gradient"].has(distillation_gradient().end.args[1])
    assert "T*(-p + " in _generated_source("soft_target_gradient_scaled")
    source = FORMS["soft_target_gradient_scaled"]
    assert source.as_coeff_Mul()[1].has(distillation_temperature_squared().end.args[0])


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"temperature_squared": False},
        {"labels": Y, "alpha": 0.6},
        {"labels": Y, "alpha": 0.0},
        {"form": "ce", "labels": Y},
        {"reduction": "sum"},
    ],
)
def test_gradient_equals_central_differences(options: dict[str, Any]) -> None:
    T, h = 2.0, 1e-5
    grad = distillation_loss_grad(S, TT, T, **options)
    numeric = np.zeros_like(S)
    for index in np.ndindex(S.shape):
        up, down = S.copy(), S.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (
            float(distillation_loss(up, TT, T, **options))
            - float(distillation_loss(down, TT, T, **options))
        ) / (2 * h)
    scale = np.abs(grad).max()
    assert np.abs(grad - numeric).max() <= 1e-7 * scale


def test_gradient_matches_the_mpmath_derivative_of_the_definition() -> None:
    expected = reference.distillation_loss_grad(S[1], TT[1], 1.5, 3, 0.7)
    got = distillation_loss_grad(S[1], TT[1], 1.5, labels=3, alpha=0.7)
    assert reference.max_relative_error(got, np.array(expected, dtype=object)) < 1e-14


def test_a_wrong_gradient_is_caught_by_central_differences() -> None:
    # the check above can fail: the gradient without T² differs from the T² loss's
    wrong = distillation_loss_grad(S, TT, 2.0, temperature_squared=False)
    right = distillation_loss_grad(S, TT, 2.0)
    assert np.abs(wrong - right).max() > 1e-3


def test_kl_and_ce_forms_differ_by_the_teacher_entropy_not_in_gradient() -> None:
    T = 2.0
    kl = distillation_loss(S, TT, T, reduction="none")
    ce = distillation_loss(S, TT, T, form="ce", reduction="none")
    np.testing.assert_allclose(ce - kl, T**2 * entropy(softmax(TT, T)), rtol=1e-13)
    np.testing.assert_array_equal(
        distillation_loss_grad(S, TT, T), distillation_loss_grad(S, TT, T, form="ce")
    )


def test_alpha_weights_the_soft_loss() -> None:
    soft = float(distillation_loss(S, TT, 2.0))
    hard = float(distillation_loss(S, TT, 2.0, Y, alpha=0.0))
    mixed = float(distillation_loss(S, TT, 2.0, Y, alpha=0.25))
    assert mixed == pytest.approx(0.25 * soft + 0.75 * hard, rel=1e-14)
    assert float(distillation_loss(S, TT, 2.0, Y)) == pytest.approx(0.9 * soft + 0.1 * hard)


def test_close_student_and_teacher() -> None:
    # KL in logit space (kl-logit-stable-form): positive and exact to rounding, not CE - H
    s = S[0]
    t = s + 1e-4 * RNG.normal(size=6)
    got = float(distillation_loss(s, t, 4.0))
    expected = reference.distillation_loss(s, t, 4.0)
    assert got > 0
    assert reference.relative_error(got, expected) <= 1e-15


def test_high_temperature_error_shrinks_like_one_over_t() -> None:
    """T² ∂C/∂z → (z − v)/n for zero-mean logits (paper's eq. (4)); the error is O(1/T)."""
    z = S[0] - S[0].mean()
    v = TT[0] - TT[0].mean()
    temperatures = np.array([10.0, 20.0, 40.0, 80.0, 160.0, 320.0])
    # distillation_loss_grad with T² is T (q − p) = T² ∂C/∂z; compare T²∂C/∂z with (z − v)/n
    errors = [np.abs(distillation_loss_grad(z, v, T) - (z - v) / 6).max() for T in temperatures]
    slope = np.polyfit(np.log(temperatures), np.log(errors), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.05)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: distillation_loss(S, TT, 0.0), "T must be finite and > 0"),
        (lambda: distillation_loss(S, TT, -1.0), "T must be finite and > 0"),
        (lambda: distillation_loss(S, TT, 1.0, Y, alpha=1.5), "alpha must lie in [0, 1]"),
        (lambda: distillation_loss(S, TT, 1.0, alpha=0.5), "needs labels"),
        (lambda: distillation_loss(S, TT[:, :5], 1.0), "same shape"),
        (lambda: distillation_loss(S, TT, 1.0, [0, 1]), "labels"),
        (lambda: distillation_loss(S, TT, 1.0, [0, 1, 2, 6]), "labels must lie in 0..5"),
        (lambda: distillation_loss(S, TT, 1.0, form="js"), "form must be one of"),
        (lambda: distillation_loss(S, TT, 1.0, reduction="mean"), "reduction must be one of"),
        (lambda: distillation_loss([[np.nan, 0.0]], [[0.0, 0.0]], 1.0), "must be finite"),
        (
            lambda: distillation_loss([[-np.inf, 0.0]], [[0.0, 0.0]], 1.0),
            "student_logits is -inf",
        ),
    ],
)
def test_bad_input_is_named(call: Any, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=None) as caught:
        call()
    assert message in str(caught.value)


def test_masks_in_both_are_allowed() -> None:
    s = np.array([[0.5, -np.inf, 1.0]])
    t = np.array([[0.2, -np.inf, 1.5]])
    expected = distillation_loss(s[:, [0, 2]], t[:, [0, 2]], 2.0)
    assert float(distillation_loss(s, t, 2.0)) == pytest.approx(float(expected), rel=1e-15)
    assert float(distillation_loss(s, t, 2.0, form="ce")) > 0
    assert distillation_loss_grad(s, t, 2.0)[0, 1] == 0.0


def test_torch_autograd_equals_the_generated_gradient() -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    T = 4.0
    student = torch.tensor(S, requires_grad=True)
    common = T**2 * F.kl_div(
        F.log_softmax(student / T, dim=-1),
        F.softmax(torch.tensor(TT) / T, dim=-1),
        reduction="batchmean",
    )
    common.backward()
    ours = distillation_loss(S, TT, T)
    assert float(ours) == pytest.approx(float(common.detach()), rel=1e-13)
    np.testing.assert_allclose(
        distillation_loss_grad(S, TT, T), student.grad.numpy(), rtol=1e-12, atol=1e-17
    )
    # through divsym on tensors: autograd of our loss is our generated gradient
    mine = torch.tensor(S, requires_grad=True)
    loss = distillation_loss(mine, torch.tensor(TT), T, torch.tensor(Y), alpha=0.7)
    loss.backward()
    np.testing.assert_allclose(
        mine.grad.numpy(), distillation_loss_grad(S, TT, T, Y, alpha=0.7), rtol=1e-12, atol=1e-17
    )
    grad = distillation_loss_grad(torch.tensor(S), torch.tensor(TT), T)
    assert isinstance(grad, torch.Tensor)


def test_torch_conventions_users_trip_on() -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    T = 2.0
    log_q = F.log_softmax(torch.tensor(S) / T, dim=-1)
    p = F.softmax(torch.tensor(TT) / T, dim=-1)
    ours = float(distillation_loss(S, TT, T, temperature_squared=False))
    # kl_div takes (log q, p) and computes KL(p ‖ q): student log-probabilities first
    assert float(F.kl_div(log_q, p, reduction="batchmean")) == pytest.approx(ours, rel=1e-13)
    swapped = F.kl_div(torch.log(p), log_q.exp(), reduction="batchmean")
    assert float(swapped) != pytest.approx(ours, rel=1e-3)
    # "mean" divides by every element (batch × classes), not by the batch
    mean = float(F.kl_div(log_q, p, reduction="mean"))
    assert mean == pytest.approx(ours / 6, rel=1e-13)


# Close logits s = t + ε·N: the soft KL and its gradient in logit space (kl-logit-stable-form,
# soft-gradient-logit-form) against the definitions in mpmath (divsym.reference, 50 digits,
# widened while the definition cancels).
CLOSE = [
    (eps, classes, T)
    for eps in (1e-3, 1e-6, 1e-8, 1e-10, 1e-12)
    for classes in (3, 10, 100)
    for T in (0.5, 1.0, 4.0, 20.0)
]


@pytest.mark.parametrize(("eps", "classes", "T"), CLOSE)
def test_close_logits_are_exact_to_rounding(eps: float, classes: int, T: float) -> None:
    rng = np.random.default_rng(int(classes * 1000 + T * 10 + -np.log10(eps)))
    t = 3 * rng.normal(size=classes)
    s = t + eps * rng.normal(size=classes)
    got = float(distillation_loss(s, t, T))
    assert reference.relative_error(got, reference.distillation_loss(s, t, T)) <= 1e-15


@pytest.mark.parametrize("eps", [1e-6, 1e-10, 1e-12])
def test_close_logits_gradient_is_exact_to_rounding(eps: float) -> None:
    rng = np.random.default_rng(11)
    t = 3 * rng.normal(size=6)
    s = t + eps * rng.normal(size=6)
    got = distillation_loss_grad(s, t, 2.0)
    expected = np.array(reference.distillation_loss_grad(s, t, 2.0), dtype=object)
    assert reference.max_relative_error(got, expected) < 1e-14


def test_the_probability_form_fails_the_close_logit_check() -> None:
    # the check above can fail: KL of the two probability vectors loses digits at ε = 1e-8
    rng = np.random.default_rng(5)
    t = 3 * rng.normal(size=10)
    s = t + 1e-8 * rng.normal(size=10)
    naive = 16.0 * float(kl_divergence(softmax(t, 4.0), softmax(s, 4.0)))
    assert reference.relative_error(naive, reference.distillation_loss(s, t, 4.0)) > 1e-10
    naive_grad = 4.0 * (softmax(s, 4.0) - softmax(t, 4.0))
    expected = np.array(reference.distillation_loss_grad(s, t, 4.0), dtype=object)
    assert reference.max_relative_error(naive_grad, expected) > 1e-10


def test_the_adversarial_suite_is_exact_to_rounding() -> None:
    from divsym.testing_cases import CASES

    for case in CASES["distillation_loss"]:
        s, t, T = case.args
        got = float(distillation_loss(s, t, T))
        error = reference.relative_error(got, reference.distillation_loss(s, t, T))
        assert error <= 1e-15, (case.name, error)


def test_an_underflowed_teacher_class_keeps_the_students_mass() -> None:
    # p = (1, e^-800) underflows to (1, 0) in float64; q = (1/2, 1/2): KL = log 2 + O(e^-800).
    # The logit form weighs classes by p, so this row takes the probability form.
    s, t = np.array([[0.0, 0.0]]), np.array([[0.0, -800.0]])
    assert float(distillation_loss(s, t, 1.0)) == pytest.approx(np.log(2.0), rel=1e-15)
    np.testing.assert_allclose(distillation_loss_grad(s, t, 1.0), [[-0.5, 0.5]], rtol=1e-15)
    # mixed batch: the other row keeps the logit form's accuracy
    close = np.array([0.3, -1.2]) + 1e-9 * np.array([1.0, -2.0])
    both = distillation_loss(
        np.vstack([s, [close]]), np.vstack([t, [[0.3, -1.2]]]), 1.0, reduction="none"
    )
    expected = reference.distillation_loss(close, [0.3, -1.2], 1.0)
    assert reference.relative_error(float(both[1]), expected) <= 1e-15


def test_float32_in_gives_float32_out() -> None:
    s32, t32 = S.astype(np.float32), TT.astype(np.float32)
    assert distillation_loss(s32, t32, 2.0, reduction="none").dtype == np.float32


# --- found by the outside breaker ------------------------------------------------------------


@pytest.mark.parametrize("T", [1e200, 1e300])
def test_huge_temperatures_are_refused_for_the_loss_and_fine_for_the_gradient(T: float) -> None:
    """At T = 1e200 the loss T²·KL of [0, 1] against [1, 0] is 0.5 (Σ_k (z_k − v_k)²/(2n),
    derivation distillation-temperature-squared) but KL ≈ 0.5/T² underflows to 0: a named
    ValueError instead of a silent 0 (and of the OverflowError of T**2 that was there before).
    The gradient T(q − p) needs no T² and tends to (z − v)/n = [−0.5, 0.5]."""
    with pytest.raises(ValueError, match=r"T must be at most 1e\+100 with temperature_squared"):
        distillation_loss([[0.0, 1.0]], [[1.0, 0.0]], T=T)
    assert float(distillation_loss([[0.0, 1.0]], [[1.0, 0.0]], T=T, temperature_squared=False)) >= 0
    grad = distillation_loss_grad([[0.0, 1.0]], [[1.0, 0.0]], T=T)
    np.testing.assert_allclose(grad, [[-0.5, 0.5]], rtol=1e-12)


def test_the_largest_accepted_temperature_still_gives_the_limit() -> None:
    """At T = 1e100 the loss is the T → ∞ limit 0.5 to full precision (the bound is not too
    generous for logit differences of order 1)."""
    loss = float(distillation_loss([[0.0, 1.0]], [[1.0, 0.0]], T=1e100))
    assert loss == pytest.approx(0.5, rel=1e-14)


@pytest.mark.parametrize(
    ("teacher", "message"),
    [
        ([[0.0, np.inf]], "teacher_logits must be finite"),
        ([[-np.inf, -np.inf]], "teacher_logits has a row with every logit -inf"),
    ],
)
@pytest.mark.parametrize("function", [distillation_loss, distillation_loss_grad])
def test_bad_teacher_logits_are_named_as_such(function: Any, teacher: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        function([[0.0, 1.0]], teacher, 2.0)


@pytest.mark.parametrize("function", [distillation_loss, distillation_loss_grad])
def test_temperature_squared_must_be_a_bool(function: Any) -> None:
    with pytest.raises(TypeError, match="temperature_squared must be True or False, got 'yes'"):
        function([[0.0, 1.0]], [[1.0, 0.0]], 2.0, temperature_squared="yes")


@pytest.mark.parametrize(
    ("student", "teacher", "T"),
    [
        ([1e-9, 1.0, -800.0], [0.0, 1.0, -800.0], 1.0),  # both p_3 and q_3 underflow to 0
        ([1e-9, 0.3, -8.0], [0.0, 0.3, -8.0], 0.01),  # low T: e^(−830) underflows
    ],
)
def test_a_class_underflowed_in_both_keeps_the_logit_forms_accuracy(
    student: list[float], teacher: list[float], T: float
) -> None:
    """Where teacher and student both give a class probability 0 in float64, the logit forms
    stay exact; the probability form they fell back to lost 2.5e-7 (loss) and every digit of
    q_2 − p_2 (gradient [9.36e-23, 0, 0] for [9.36e-23, −9.36e-23, 0]): found by the outside
    breaker. References: divsym.reference at 50+ digits."""
    s, t = np.array(student), np.array(teacher)
    loss = float(distillation_loss([student], [teacher], T))
    expected = float(reference.distillation_loss(s, t, T))
    assert abs(loss - expected) <= 4e-15 * expected  # measured: 0 and 1.9e-15 relative
    grad = distillation_loss_grad([student], [teacher], T)[0]
    want = np.array([float(x) for x in reference.distillation_loss_grad(s, t, T)])
    np.testing.assert_allclose(grad, want, rtol=1e-14, atol=1e-300)


def test_a_student_with_mass_where_the_teacher_has_none_still_takes_the_probability_form() -> None:
    """Teacher class masked (−inf), student not: the student's mass there is part of the KL,
    which only the probability form sees (computed with mpmath: 3.7114832026206)."""
    loss = float(distillation_loss([[0.0, 1.0, 5.0]], [[0.0, 1.0, -np.inf]], 1.0))
    assert loss == pytest.approx(3.7114832026206, rel=1e-12)


MASKED_AND_ONE_HOT = (
    np.array([[0.0, -np.inf], [0.0, 1.0]]),  # student: a masked class; a row that is one-hot
    np.array([[0.0, -np.inf], [0.0, 2.0]]),  # at T = 1e-3 (its soft targets are [0, 1])
)


@pytest.mark.parametrize("form", ["kl", "ce"])
@pytest.mark.parametrize("temperature_squared", [True, False])
def test_a_masked_row_beside_a_one_hot_row_gives_a_finite_gradient(
    form: str, temperature_squared: bool
) -> None:
    """A masked row sent the gradient to its second branch, which did not fall back on the
    other rows the logit form cannot evaluate (e^(δ − m) = inf at p = 0): NaN on the one-hot
    row (found by the outside breaker). Exact gradient: q = p in both rows, so 0."""
    s, t = MASKED_AND_ONE_HOT
    grad = distillation_loss_grad(s, t, 1e-3, form=form, temperature_squared=temperature_squared)
    np.testing.assert_array_equal(grad, np.zeros_like(s))


@pytest.mark.parametrize("form", ["kl", "ce"])
def test_autograd_through_the_loss_of_those_rows_is_finite(form: str) -> None:
    """The same rows as torch tensors: the loss's fallback row still had inf in the branch
    that where() discards, and autograd made NaN of it."""
    torch = pytest.importorskip("torch")
    s = torch.tensor(MASKED_AND_ONE_HOT[0], requires_grad=True)
    loss: Any = distillation_loss(s, torch.tensor(MASKED_AND_ONE_HOT[1]), 1e-3, form=form)
    loss.backward()
    assert loss.detach().item() == 0.0
    assert s.grad is not None
    assert torch.equal(s.grad, torch.zeros_like(s))
