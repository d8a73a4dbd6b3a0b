"""The kernel of the Jensen–Shannon terms: ``m·G(t)`` from ``a = m(1 − t)`` and ``b = m(1 + t)``.

It evaluates the node :class:`~divsym.symbols.stable.ScaledSymmetricXLog1p`,
``a·log(2a/(a + b)) + b·log(2b/(a + b))`` (``0·log 0 = 0``), which is ``m·G(t)`` with
``m = (a + b)/2``, ``t = (b − a)/(a + b)`` and ``G(t) = (1 + t)log(1 + t) + (1 − t)log(1 − t)``.
With ``s = a + b`` and ``y = t²``:

- the **series** ``s·y·P_∞(y)/2`` where ``|t| <``
  :data:`~divsym.numeric.symmetric_series.SERIES_THRESHOLD` (its length from the block's
  largest ``y``, see :mod:`divsym.numeric.symmetric_series`): one sum of positive terms,
  a few units in the last place;
- the **direct** form ``a·log1p(−t) + b·log1p(t)`` elsewhere (insensitive to the rounding of
  ``t`` to first order), except where ``t`` is ``±1`` after rounding (one side below ``ε`` times
  the other, or zero) or undefined (``a = b = 0``): there ``a·log(2a/s) + b·log(2b/s)`` with
  ``0·log 0 = 0``, so a zero or subnormal side gives its exact limit, never ``−inf`` or NaN.

Each block takes one of the routes of :func:`~divsym.numeric.kernels.block_route`, as the KL
kernel's: all series, all direct, the majority form on every entry plus the other on the few
(≤ 10 %) remaining entries, or both everywhere and a pick per entry. Inputs are finite and
nonnegative (the public functions check that); float32 and float16 are computed in float64 to
their own precision.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from divsym.numeric.kernels import (
    BOTH,
    DIRECT,
    SERIES_PATCHED,
    as_float64,
    block_route,
    scratch,
)
from divsym.numeric.series import working_itemsize
from divsym.numeric.symmetric_series import SERIES_THRESHOLD, series_coefficients

__all__ = ["kernel_symmetric_xlog1p"]

Float64 = NDArray[np.float64]

_MAX = np.maximum.reduce
_LIMIT = SERIES_THRESHOLD * SERIES_THRESHOLD


def _series(
    s: Float64, y: Float64, coefficients: tuple[float, ...], out: Float64, h: Float64
) -> None:
    """``out = s·y·P(y)`` for the (halved) coefficients of ``P``, lowest first; Horner in ``y``."""
    np.multiply(y, coefficients[-1], out=h)
    for coefficient in reversed(coefficients[:-1]):
        np.add(h, coefficient, out=h)
        np.multiply(h, y, out=h)
    np.multiply(h, s, out=out)


def _direct(a: Float64, b: Float64, t: Float64, out: Float64, h: Float64) -> None:
    """``out = a·log1p(−t) + b·log1p(t)`` (NaN or ``−inf`` where ``|t| = 1`` or ``s = 0``:
    :func:`_exact` replaces those)."""
    np.log1p(t, out=h)
    np.multiply(h, b, out=out)
    np.negative(t, out=h)
    np.log1p(h, out=h)
    np.multiply(h, a, out=h)
    np.add(out, h, out=out)


def _exact(a: Float64, b: Float64, s: Float64) -> Float64:
    """``a·log(2a/s) + b·log(2b/s)`` with ``0·log 0 = 0`` (also for ``s = 0``), on few entries."""
    total = np.zeros(a.shape)
    for x in (a, b):
        positive = x > 0
        total[positive] += x[positive] * np.log(2 * x[positive] / s[positive])
    return total


def kernel_symmetric_xlog1p(a: NDArray[Any], b: NDArray[Any]) -> Float64:
    """``a·log(2a/(a + b)) + b·log(2b/(a + b))`` (``= m·G(t)``, ``≥ 0``) for finite ``a, b ≥ 0``.

    Accurate to a few units in the last place of float64 whatever ``t``: the series below
    ``|t| = 0.2``, ``a·log1p(−t) + b·log1p(t)`` above (≤ about ``10 ε`` relative at the
    threshold), the exact-limit form where ``t`` rounds to ``±1``. float32 and float16 inputs
    are computed in float64 to their own precision. Returns float64.
    """
    a_in, b_in = np.asarray(a), np.asarray(b)
    shape = a_in.shape if a_in.shape == b_in.shape else np.broadcast_shapes(a_in.shape, b_in.shape)
    size = math.prod(shape)
    dtype = a_in.dtype if a_in.dtype == b_in.dtype else np.result_type(a_in.dtype, b_in.dtype)
    slots, mask = scratch(shape, size)
    out: Float64 = np.empty(shape, dtype=np.float64)
    if size == 0:
        return out
    a64, b64 = as_float64((a_in, b_in), slots[:2])
    s, t, y, h = slots[2:6]
    itemsize = working_itemsize(dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        np.add(a64, b64, out=s)
        np.subtract(b64, a64, out=t)
        np.divide(t, s, out=t)  # NaN where a = b = 0
        np.multiply(t, t, out=y)
        largest = float(_MAX(y, axis=None))  # NaN (a = b = 0) fails every test below
        if largest < _LIMIT:
            _series(s, y, series_coefficients(largest, itemsize), out, h)
            return out
        np.less(y, _LIMIT, out=mask)
        coefficients = series_coefficients(_LIMIT, itemsize)
        route = block_route(int(np.count_nonzero(mask)), size)
        if route == DIRECT:
            _direct(a64, b64, t, out, h)
        elif route == BOTH:
            _direct(a64, b64, t, out, h)
            _series(s, y, coefficients, slots[6], h)
            np.copyto(out, slots[6], where=mask)
        elif route == SERIES_PATCHED:
            _series(s, y, coefficients, out, h)
            _patch(np.flatnonzero(~mask), (a64, b64, s, t, y), out, ())
        else:
            _direct(a64, b64, t, out, h)
            _patch(np.flatnonzero(mask), (a64, b64, s, t, y), out, coefficients)
        if not largest < 1:  # some t = ±1 after rounding, or a = b = 0 (NaN)
            index = np.flatnonzero(~(y < 1))
            a1, b1, s1 = (np.take(x.reshape(-1), index) for x in (a64, b64, s))
            out.reshape(-1)[index] = _exact(a1, b1, s1)
    return out


def _patch(
    index: NDArray[np.intp],
    arrays: tuple[Float64, Float64, Float64, Float64, Float64],
    out: Float64,
    coefficients: tuple[float, ...],
) -> None:
    """Recompute ``out`` at ``index``: by the series (``coefficients``) or directly (none)."""
    a, b, s, t, y = (np.take(x.reshape(-1), index) for x in arrays)
    part = np.empty(index.size, dtype=np.float64)
    scratch_h = np.empty(index.size, dtype=np.float64)
    if coefficients:
        _series(s, y, coefficients, part, scratch_h)
    else:
        _direct(a, b, t, part, scratch_h)
    out.reshape(-1)[index] = part
