"""The Jensen–Shannon kernel ``m·G(t)`` against 50-digit mpmath values, route by route.

``kernel_symmetric_xlog1p(a, b)`` is ``a·log(2a/(a + b)) + b·log(2b/(a + b))`` with
``0·log 0 = 0``; the references evaluate exactly that at 50 digits (``mpmath``, ``dps = 50``)
from the float inputs as given, so that a test measures the kernel's own error.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest
from numeric_cases import KERNEL_ROUTES
from numpy.typing import NDArray

from divsym.numeric.kernels import workspace
from divsym.numeric.series import TOLERANCE
from divsym.numeric.symmetric_kernel import kernel_symmetric_xlog1p
from divsym.numeric.symmetric_series import (
    MAX_TERMS,
    MINIMAX,
    SERIES_THRESHOLD,
    TAYLOR,
    series_coefficients,
    series_terms,
    truncation_bound,
)
from divsym.numeric.xp_kernels import XpKernels

Array = NDArray[Any]
EPS = float(np.finfo(np.float64).eps)
RNG_SEED = 20261204


def _exact(a: float, b: float) -> Any:
    with mpmath.workdps(50):
        A, B = mpmath.mpf(a), mpmath.mpf(b)
        total = A + B
        return sum((x * mpmath.log(2 * x / total) for x in (A, B) if x > 0), mpmath.mpf(0))


def _errors(got: Array, a: Array, b: Array) -> list[float]:
    """Relative error of each entry in units of ε₆₄ (absolute, over the smallest normal, where
    the exact value is 0 or subnormal: a subnormal result holds only a few bits)."""
    out = []
    for value, x, y in zip(got.tolist(), a.tolist(), b.tolist(), strict=True):
        exact = _exact(x, y)
        scale = max(abs(exact), mpmath.mpf(np.finfo(np.float64).tiny))
        out.append(float(abs(mpmath.mpf(value) - exact) / scale) / EPS)
    return out


def _pairs(size: int, spread: float, seed: int = RNG_SEED) -> tuple[Array, Array]:
    """``a`` uniform in (0, 1), ``b = a·exp(spread·N(0, 1))``; ``spread = inf``: independent."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(1e-3, 1, size)
    if np.isinf(spread):
        return a, rng.uniform(1e-3, 1, size)
    return a, a * np.exp(spread * rng.standard_normal(size))


@pytest.mark.parametrize(
    ("spread", "route", "size"),
    [
        (1e-9, "series", 3000),
        (1e-3, "series", 3000),
        (0.1, "series", 3000),
        (0.2, "series, direct patched in", 3000),
        (0.6, "both, picked per entry", 3000),
        (0.6, "both, picked per entry", 300),  # below 1024 entries: always both
        (6.0, "direct, series patched in", 3000),
        (np.inf, "direct", 300),
    ],
)
@pytest.mark.parametrize("in_workspace", [False, True])
def test_every_route_keeps_float64_precision(
    spread: float, route: str, size: int, in_workspace: bool
) -> None:
    a, b = _pairs(size, spread)
    share = float(np.mean(np.abs((b - a) / (a + b)) < SERIES_THRESHOLD))
    if route == "direct":
        a, b = (
            a[np.abs((b - a) / (a + b)) >= SERIES_THRESHOLD],
            b[np.abs((b - a) / (a + b)) >= SERIES_THRESHOLD],
        )
        share = 0.0
    assert KERNEL_ROUTES[route](share), f"the input does not take the {route} route: {share}"
    if in_workspace:
        with workspace(a.size):
            got = kernel_symmetric_xlog1p(a, b)
    else:
        got = kernel_symmetric_xlog1p(a, b)
    assert got.dtype == np.float64
    # The series: a few ulps; the direct form: ≈ 2ε/|t| (≤ 10 ε at the threshold).
    assert max(_errors(got, a, b)) <= 8, route


def test_too_few_terms_would_be_caught() -> None:
    """The precision checks can fail: as many Taylor terms as :data:`MINIMAX` has miss them
    near the threshold (which is why the minimax fit is used there)."""
    rng = np.random.default_rng(RNG_SEED)
    a = rng.uniform(1e-3, 1, 400)
    t = rng.uniform(0.19, SERIES_THRESHOLD, 400)
    b = a * (1 + t) / (1 - t)
    t = (b - a) / (a + b)
    y = t * t
    for coefficients in (TAYLOR, MINIMAX):
        got = (a + b) * y * np.polynomial.polynomial.polyval(y, coefficients) / 2
        assert max(_errors(got, a, b)) <= 4
    short = TAYLOR[: len(MINIMAX)]
    got = (a + b) * y * np.polynomial.polynomial.polyval(y, short) / 2
    assert max(_errors(got, a, b)) > 8


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (0.0, 0.3),  # a disjoint class: b·log 2, exactly
        (0.3, 0.0),
        (0.0, 0.0),  # a class in neither: 0, not NaN
        (4.2e-322, 0.25),  # softmax([0, −740])[1]: t rounds to 1
        (1e-17, 0.5),  # a side below ε times the other: t rounds to 1
        (1e-15, 0.5),  # t just below 1: the log1p form with its weight
        (1e-320, 3e-320),  # both subnormal
        (5e-324, 5e-324),  # both the smallest subnormal: t = 0
    ],
)
def test_edges_give_the_exact_limit_never_nan(a: float, b: float) -> None:
    x, y = np.array([a, 0.5]), np.array([b, 0.5])
    got = kernel_symmetric_xlog1p(x, y)
    assert np.all(np.isfinite(got))
    assert np.all(got >= 0)
    # computed with mpmath, dps = 50; a subnormal result only to its absolute resolution
    assert abs(mpmath.mpf(got[0]) - _exact(a, b)) <= max(4 * EPS * abs(_exact(a, b)), 1e-323)
    assert got[1] == 0.0


def test_disjoint_classes_give_b_log_2() -> None:
    got = kernel_symmetric_xlog1p(np.array([0.0, 0.7]), np.array([0.3, 0.0]))
    np.testing.assert_array_equal(got, [0.3 * np.log(2.0), 0.7 * np.log(2.0)])


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("spread", [1e-6, 0.05, 0.3, np.inf])
def test_float32_and_float16_inputs_keep_their_precision(dtype: Any, spread: float) -> None:
    a, b = _pairs(2000, spread)
    a, b = a.astype(dtype), b.astype(dtype)
    got = kernel_symmetric_xlog1p(a, b)
    assert got.dtype == np.float64
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    exact = kernel_symmetric_xlog1p(a64, b64)
    close = exact > 0
    error = np.max(np.abs(got[close] - exact[close]) / exact[close])
    assert error <= 2.0**-29, error  # the series to 2^-30: far inside float32's 6e-8


def test_broadcasting_and_a_mixed_dtype_pair() -> None:
    a = np.array([[0.2], [0.4]])
    b = np.array([0.2, 0.3, 0.0], dtype=np.float32)
    got = kernel_symmetric_xlog1p(a, b)
    assert got.shape == (2, 3)
    expected = [[float(_exact(x, float(y))) for y in b] for x in (0.2, 0.4)]
    np.testing.assert_allclose(got, expected, rtol=1e-14)


# ---------------------------------------------------------------- the series and its bound


def test_truncation_bound_holds_and_is_not_loose_by_more_than_a_factor_ten() -> None:
    with mpmath.workdps(50):
        for t in (0.01, 0.05, 0.1, 0.2):
            y = mpmath.mpf(t) ** 2
            g = (1 + mpmath.mpf(t)) * mpmath.log(1 + mpmath.mpf(t)) + (
                1 - mpmath.mpf(t)
            ) * mpmath.log(1 - mpmath.mpf(t))
            for terms in range(1, MAX_TERMS + 1):
                partial = sum(y**k / (k * (2 * k - 1)) for k in range(1, terms + 1))
                relative = (g - partial) / g
                bound = truncation_bound(float(y), terms)
                assert 0 < relative <= bound, (t, terms)
                assert bound <= 10 * relative, (t, terms)


def test_series_terms_take_the_fewest_that_reach_the_tolerance() -> None:
    for largest in (0.0, 1e-8, 1e-4, 1e-3, 0.01, 0.04):
        for itemsize in (8, 4):
            terms = series_terms(largest, itemsize)
            assert truncation_bound(largest, terms) <= TOLERANCE[itemsize]
            if terms > 1:
                assert truncation_bound(largest, terms - 1) > TOLERANCE[itemsize]
    assert series_terms(0.04, 8) == MAX_TERMS  # bound(0.04, 10) ≈ 4.7e-17 ≤ 2^-54


@pytest.mark.parametrize("largest", [-0.1, 1.0, 2.0, float("nan")])
def test_series_terms_refuse_what_is_not_a_square_below_one(largest: float) -> None:
    with pytest.raises(ValueError, match="largest must be t"):
        series_terms(largest, 8)


def test_series_coefficients_are_halved_taylor_near_zero_and_minimax_near_the_threshold() -> None:
    assert series_coefficients(1e-6, 8) == tuple(c / 2 for c in TAYLOR[: series_terms(1e-6, 8)])
    assert series_coefficients(0.039, 8) == tuple(c / 2 for c in MINIMAX)
    assert series_coefficients(SERIES_THRESHOLD**2, 8) == tuple(c / 2 for c in MINIMAX)
    assert len(series_coefficients(SERIES_THRESHOLD**2, 4)) <= 6  # float32: 2^-30


def test_minimax_coefficients_refit_and_keep_their_bound() -> None:
    # computed with mpmath, dps = 40: the Chebyshev fit the module states, and its error
    with mpmath.workdps(40):

        def p_infinity(y: Any) -> Any:
            if y == 0:
                return mpmath.mpf(1)
            t = mpmath.sqrt(y)
            return ((1 + t) * mpmath.log(1 + t) + (1 - t) * mpmath.log(1 - t)) / y

        limit = mpmath.mpf(SERIES_THRESHOLD) ** 2
        fitted = mpmath.chebyfit(p_infinity, [0, limit], len(MINIMAX))
        for ours, theirs in zip(MINIMAX, reversed(fitted), strict=True):
            assert ours == pytest.approx(float(theirs), rel=1e-15)
        worst = mpmath.mpf(0)
        for k in range(2001):
            y = limit * k / 2000
            value = mpmath.polyval([mpmath.mpf(c) for c in reversed(MINIMAX)], y)
            worst = max(worst, abs(value - p_infinity(y)) / p_infinity(y))
        assert worst <= 3e-18  # measured 2.98e-18 with the coefficients rounded to float64
        assert worst <= TOLERANCE[8]


# ---------------------------------------------------------------- the array-API version


def test_array_api_kernel_matches_and_keeps_its_edges() -> None:
    xp = pytest.importorskip("array_api_strict")
    a, b = _pairs(500, 0.3)
    a = np.concatenate([a, [0.0, 0.0, 4.2e-322, 1e-17, 0.3]])
    b = np.concatenate([b, [0.3, 0.0, 0.25, 0.5, 0.0]])
    got = np.asarray(XpKernels(xp).kernel_symmetric_xlog1p(xp.asarray(a), xp.asarray(b)))
    assert np.all(np.isfinite(got))
    assert max(_errors(got, a, b)) <= 8


def test_array_api_kernel_gives_finite_torch_gradients_at_its_edges() -> None:
    torch = pytest.importorskip("torch")
    from array_api_compat import array_namespace

    a = torch.tensor([0.0, 4.2e-322, 0.2, 0.3, 0.25], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.3, 0.25, 0.2, 0.31, 0.0], dtype=torch.float64, requires_grad=True)
    kernels = XpKernels(array_namespace(a))
    kernels.kernel_symmetric_xlog1p(a, b).sum().backward()
    assert a.grad is not None
    assert b.grad is not None
    assert torch.all(torch.isfinite(a.grad[1:]))
    assert torch.all(torch.isfinite(b.grad[:4]))
    # ∂/∂a [a log(2a/s) + b log(2b/s)] = log(2a/s), computed exactly in float64 here
    for index in (2, 3):
        expected = np.log(2 * a[index].item() / (a[index].item() + b[index].item()))
        assert a.grad[index].item() == pytest.approx(expected, rel=1e-12, abs=1e-15)
