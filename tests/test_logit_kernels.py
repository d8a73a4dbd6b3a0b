"""The logit-space kernels: w·(e^x − 1 − x) by series or expm1, its truncation bound, argmax."""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest

from divsym.numeric import logit_kernels
from divsym.numeric.logit_kernels import (
    COEFFICIENTS,
    MAX_TERMS,
    THRESHOLD,
    TOLERANCE,
    kernel_at_argmax,
    kernel_expm1_minus,
    series_terms,
    truncation_bound,
)
from divsym.numeric.xp_kernels import XpKernels


def _digits(x: float) -> int:
    """60 significant digits left after expm1(x) − x cancels ~|log10 x| of them."""
    return 60 + max(0, int(-np.log10(abs(x))))


def _exact(x: float) -> Any:
    """e^x − 1 − x of the float x with 60 correct digits (mpmath, precision widened)."""
    with mpmath.workdps(_digits(x)):
        value = mpmath.mpf(x)
        return mpmath.expm1(value) - value


def _relative(got: float, x: float, w: float = 1.0) -> float:
    with mpmath.workdps(_digits(x)):
        exact = mpmath.mpf(w) * _exact(x)
        return float(abs((mpmath.mpf(got) - exact) / exact))


#: Arguments over many orders of ten, both signs; x²/2 stays a normal float64.
X = np.concatenate([sign * np.geomspace(1e-150, 50.0, 400) for sign in (1.0, -1.0)])


@pytest.mark.parametrize("x", [1e-12, 1e-6, 1e-3, 0.05, 0.1, 0.15, -0.1, -0.19, 0.2 - 1e-12])
def test_the_truncation_bound_holds(x: float) -> None:
    # the series cut after series_terms(|x|) terms, at 60 digits, against mpmath's expm1
    terms = series_terms(abs(x))
    with mpmath.workdps(60):
        value = mpmath.mpf(x)
        series = sum(value ** (k + 2) / mpmath.factorial(k + 2) for k in range(terms))
        error = abs(series / _exact(x) - 1)
    assert error <= truncation_bound(x, terms) <= TOLERANCE
    if terms > 1:  # one term fewer would not be tolerated: the count is the fewest
        assert truncation_bound(x, terms - 1) > TOLERANCE


def test_the_bound_is_not_vacuous() -> None:
    # the bound is within a factor 3 of the true error of a cut series at |x| = 0.1
    with mpmath.workdps(60):
        value = mpmath.mpf(0.1)
        cut = sum(value ** (k + 2) / mpmath.factorial(k + 2) for k in range(4))
        error = float(abs(cut / _exact(0.1) - 1))
    assert error <= truncation_bound(0.1, 4) <= 3 * error


def test_max_terms_reach_the_threshold() -> None:
    assert series_terms(THRESHOLD) == MAX_TERMS
    assert truncation_bound(THRESHOLD, MAX_TERMS) <= TOLERANCE
    assert len(COEFFICIENTS) == MAX_TERMS


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: series_terms(0.3), "largest must be |x| in [0, 0.2]"),
        (lambda: series_terms(-1e-3), "largest must be |x|"),
        (lambda: series_terms(float("nan")), "largest must be |x|"),
        (lambda: truncation_bound(0.1, 0), "need terms >= 1"),
        (lambda: truncation_bound(5.0, 3), "|x| < 3"),
    ],
)
def test_bad_arguments_are_named(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=r".") as caught:
        call()
    assert message in str(caught.value)


def test_kernel_matches_mpmath_on_every_route() -> None:
    # all-series (tiny), all-direct (large) and mixed blocks; reference: mpmath at 60 digits
    blocks = [X[np.abs(X) < 1e-3], X[np.abs(X) > 1.0], X]
    for block in blocks:
        got = kernel_expm1_minus(np.ones_like(block), block)
        worst = max(_relative(float(g), float(x)) for g, x in zip(got, block, strict=True))
        assert worst < 3e-15, worst


def test_close_values_are_exact_to_rounding() -> None:
    x = np.array([3e-9, -7e-9, 1e-12, -2.5e-5])
    w = np.array([0.25, 0.5, 0.125, 0.125])
    got = kernel_expm1_minus(w, x)
    for value, xi, wi in zip(got, x, w, strict=True):
        assert _relative(float(value), float(xi), float(wi)) < 2.3e-16


def test_the_naive_formula_fails_the_same_check() -> None:
    # the accuracy checks can fail: expm1(x) − x loses most digits at x = 3e-9
    x = 3e-9
    assert _relative(float(np.expm1(x) - x), x) > 1e-9


def test_zero_weight_gives_zero_even_for_an_infinite_argument() -> None:
    got = kernel_expm1_minus(np.array([0.0, 0.0, 1.0]), np.array([np.inf, 1e-3, 2.0]))
    assert got[0] == 0.0
    assert got[1] == 0.0
    assert got[2] == pytest.approx(np.expm1(2.0) - 2.0, rel=1e-15)
    assert kernel_expm1_minus(np.zeros((0, 3)), np.zeros((0, 3))).shape == (0, 3)


def test_xp_kernel_agrees_with_numpy() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(size=50) * 1e-6, rng.normal(size=50), rng.normal(size=50) * 5])
    w = rng.random(150)
    w[:3] = 0.0
    kernels = XpKernels(torch)
    got = kernels.kernel_expm1_minus(torch.tensor(w), torch.tensor(x)).numpy()
    want = kernel_expm1_minus(w, x)
    np.testing.assert_allclose(got, want, rtol=3e-15, atol=0)


def test_at_argmax_reads_x_where_w_is_largest() -> None:
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    w = np.array([[0.2, 0.7, 0.1], [0.5, 0.1, 0.4]])
    np.testing.assert_array_equal(kernel_at_argmax(x, w, -1), [[2.0], [4.0]])
    assert not np.array_equal(kernel_at_argmax(x, w, -1), kernel_at_argmax(x, x, -1))
    torch = pytest.importorskip("torch")
    got = XpKernels(torch).kernel_at_argmax(torch.tensor(x), torch.tensor(w), -1)
    np.testing.assert_array_equal(got.numpy(), [[2.0], [4.0]])


def test_module_states_the_bound_it_tests() -> None:
    doc = logit_kernels.__doc__ or ""
    assert "bound(x, K) = 2|x|^K / ((K + 2)! (1 − |x|/(K + 3)) (1 − |x|/3))" in doc
