"""The series of ``w·(x − log(1 + x))`` near ``x = 0``, its length and its truncation bound.

With ``a = x/(2 + x)`` (``= v/(w + u)`` in the kernel's arguments), ``log(1 + x) = 2 artanh a``
and ``v − 2wa = a·v``, so

    ``w·(x − log(1 + x)) = a·(v − w·a²·P_K(a²)) + R_K``,
    ``P_K(y) = Σ_{k=1..K} 2 y^(k−1)/(2k + 1)``.

**Truncation bound.** The omitted terms are ``R_K = −2w Σ_{k>K} a^(2k+1)/(2k + 1)``, so
``|R_K| ≤ 2w|a|^(2K+3) / ((2K + 3)(1 − a²))``; and ``w·(x − log(1 + x)) = 2w Σ_{n≥2} c_n a^n``
with ``c_n = 1`` (``n`` even), ``1 − 1/n`` (``n`` odd), which is ``≥ 2wa²/(1 + |a|)``. Hence the
relative truncation error is at most

    ``bound(a, K) = |a|^(2K+1) / ((2K + 3)(1 − |a|))``,

and :func:`series_terms` picks the smallest ``K`` with ``bound(largest |a|, K) ≤`` the dtype's
tolerance (:data:`TOLERANCE`): the fewer terms the closer the two distributions. Where that
takes more than 6 terms (``|a|`` up to the float64 threshold 0.1), six near-minimax
coefficients (:data:`MINIMAX`, a Chebyshev fit of ``P_∞`` on ``a² ∈ [0, 0.01]``) do better
than eight Taylor ones: their error, times ``|a|(1 + |a|)/2`` (the weight of ``P`` in the
relative error), is below 6e-18 on ``|a| ≤ 0.1`` (5.2e-18 measured, coefficients as stored).

**Thresholds.** Outside the series, ``v − w·log(u/w)`` errs by about ``ε₆₄/f(x)`` relative
(``f(x) = x − log(1 + x)``; the rounding of ``u/w`` is amplified by the cancellation).
float64 uses the series for ``|a| < 0.1`` (``|x| ≲ 0.2``, ``f ≥ 0.0189``: ≤ 6e-15 relative
outside). float32 and float16 are computed in float64 but need only their own precision
(tolerance 2^-30), so their series is short: 2 terms up to ``|a| = 0.023``, 4 up to 0.1.
Their direct form would be good down to ``|a| = 2^-10`` (``ε₆₄/(2a²)`` ≈ 6e-11), but a
threshold that low sends close inputs (ε = 0.01: 16 % of entries below it) through both forms
and a pick, which measured slower than the short series on every entry; so float32 uses the
series below 0.1 as well (:data:`SERIES_THRESHOLD_FLOAT32`).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MAX_TERMS",
    "MINIMAX",
    "SERIES_THRESHOLD",
    "TAYLOR",
    "TOLERANCE",
    "scaled_x_minus_log1p_series",
    "series_coefficients",
    "series_terms",
    "series_threshold",
    "truncation_bound",
    "working_itemsize",
]

Float64 = NDArray[np.float64]

#: Below this ``|a|`` (``a = x/(2 + x)``) float64 uses the series.
SERIES_THRESHOLD = 0.1
#: The same for inputs of float32 or less precision (computed in float64), with 4 terms at most.
SERIES_THRESHOLD_FLOAT32 = 0.1
#: Relative truncation error allowed per dtype: 1/2 and 1/64 of the unit roundoff.
TOLERANCE = {8: 2.0**-54, 4: 2.0**-30, 2: 2.0**-30}
#: Terms for ``|a| < SERIES_THRESHOLD`` in float64 (``bound(0.1, 8) ≈ 5.8e-19``).
MAX_TERMS = 8

#: ``2/(2k + 1)`` for ``k = 1..MAX_TERMS``: the Taylor coefficients of ``P_∞``, lowest first.
TAYLOR = tuple(2.0 / (2 * k + 1) for k in range(1, MAX_TERMS + 1))
#: ``P_∞(y) = 2(artanh(√y)/√y − 1)/y`` on ``y ∈ [0, SERIES_THRESHOLD²]``, lowest first:
#: ``mpmath.chebyfit(P, [0, 0.01], 6)`` at 40 digits, rounded to float64 (tests refit them).
MINIMAX = (
    0.66666666666666659981,
    0.40000000000048131012,
    0.28571428515311323746,
    0.22222246134174708394,
    0.18177218144198022540,
    0.15791323599162151353,
)


@functools.cache
def working_itemsize(dtype: np.dtype[Any]) -> int:
    """The precision the series must reach for inputs of ``dtype``, as a :data:`TOLERANCE`
    key: 8 for float64 (and non-float dtypes), else the float's own size (computed in float64)."""
    return 8 if dtype.kind != "f" else min(8, max(2, dtype.itemsize))


def series_threshold(dtype: np.dtype[Any]) -> float:
    """The ``|a|`` below which the kernel uses the series for inputs of ``dtype``."""
    return SERIES_THRESHOLD if working_itemsize(dtype) >= 8 else SERIES_THRESHOLD_FLOAT32


def truncation_bound(a: float, terms: int) -> float:
    """Upper bound on the relative error of the series cut after ``terms`` terms at ``|a|``."""
    a = abs(a)
    if a >= 1:
        return float("inf")
    return float(a ** (2 * terms + 1) / ((2 * terms + 3) * (1 - a)))


def _reach(terms: int, tolerance: float) -> float:
    """The largest ``|a|`` (to 1e-15) with ``truncation_bound(|a|, terms) ≤ tolerance``."""
    low, high = 0.0, 1.0
    while high - low > 1e-15:
        middle = (low + high) / 2
        low, high = (
            (middle, high) if truncation_bound(middle, terms) <= tolerance else (low, middle)
        )
    return low


#: For each dtype size: how far ``1, 2, …, MAX_TERMS − 1`` terms reach.
_REACH = {size: [_reach(k, t) for k in range(1, MAX_TERMS)] for size, t in TOLERANCE.items()}


def series_terms(largest: float, dtype: np.dtype[Any]) -> int:
    """The fewest terms (1..MAX_TERMS) whose truncation bound at ``largest`` is tolerated."""
    if not 0 <= largest < 1:
        raise ValueError(f"largest must be |a| in [0, 1), got {largest!r}")
    for terms, reach in enumerate(_REACH[working_itemsize(dtype)], start=1):
        if largest <= reach:
            return terms
    return MAX_TERMS


def series_coefficients(largest: float, dtype: np.dtype[Any]) -> tuple[float, ...]:
    """Coefficients of ``P`` for ``|a| ≤ largest``: the fewest Taylor ones, or :data:`MINIMAX`."""
    terms = series_terms(largest, dtype)
    if terms > len(MINIMAX) and largest <= SERIES_THRESHOLD:
        return MINIMAX
    return TAYLOR[:terms]


def scaled_x_minus_log1p_series(
    a: Float64,
    v: Float64,
    w: Float64,
    coefficients: tuple[float, ...],
    out: Float64,
    y: Float64,
    h: Float64,
    *,
    squared: bool = False,
) -> None:
    """``out = a·(v − w·a²·P(a²))``, ``P`` the polynomial of ``coefficients`` (lowest first).

    ``y`` (which already holds ``a²`` if ``squared``) and ``h`` are scratch; ``2K + 3`` passes
    over the arrays for ``K`` coefficients (Horner's rule in ``a²``), all in place.
    """
    terms = len(coefficients)
    if not 1 <= terms <= MAX_TERMS:
        raise ValueError(f"coefficients must number 1..{MAX_TERMS}, got {terms!r}")
    if not squared:
        np.multiply(a, a, out=y)
    if terms == 1:
        np.multiply(y, coefficients[0], out=h)
    else:
        np.multiply(y, coefficients[terms - 1], out=h)
        np.add(h, coefficients[terms - 2], out=h)
        for coefficient in reversed(coefficients[: terms - 2]):
            np.multiply(h, y, out=h)
            np.add(h, coefficient, out=h)
        np.multiply(h, y, out=h)
    np.multiply(h, w, out=h)
    np.subtract(v, h, out=h)
    np.multiply(h, a, out=out)
