"""The numeric primitives that the printer maps the stable nodes to.

Each kernel evaluates one node of :mod:`divsym.symbols.stable` on arrays, with that node's
conventions, using NumPy's vectorised ``log``/``log1p``/``exp`` (SIMD loops, several times
faster than the scalar loops behind ``scipy.special.xlogy``/``rel_entr``). They hold no formula
of the lecture: the formulas are the generated expressions that call them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "SERIES_THRESHOLD",
    "kernel_logsumexp",
    "kernel_x_minus_log1p",
    "kernel_xlogy",
]

#: Below this ``|x|`` the kernel of ``x − log(1 + x)`` uses its series. Above it, ``x − log(u/w)``
#: loses at most ``u/f(x)`` relative (``u`` the unit roundoff, ``f(±0.2) ≥ 0.0177``): ≤ 6.3e-15.
SERIES_THRESHOLD = 0.2

# x − log(1 + x) = 2u²/(1 − u) − 2u³ Σ_k u^(2k)/(2k + 3) with u = x/(2 + x), because
# log(1 + x) = 2 artanh(u) and x = 2u/(1 − u). For |x| < 0.2, |u| < 0.112 and the first
# omitted term (k = 9) is below 1e-18 relative.
_ARTANH_TAIL = tuple(1.0 / (2 * k + 3) for k in range(9))


def kernel_xlogy(x: NDArray[Any], y: NDArray[Any]) -> NDArray[Any]:
    """``x·log y`` with ``0·log y = 0`` wherever ``x = 0`` (``y = 0`` included)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(y)
        out = np.multiply(x, out, out=out if out.shape == np.shape(x) else None)
    if not np.all(x):
        np.copyto(out, 0, where=np.asarray(x) == 0)
    return out  # type: ignore[no-any-return]


def kernel_logsumexp(x: NDArray[Any], axis: int) -> NDArray[Any]:
    """``log Σ_j exp(x_j)`` over ``axis`` (kept, length 1).

    With ``m = x_k`` the largest entry, ``log Σ exp(x_j) = m + log1p(Σ_{j≠k} exp(x_j − m))``:
    no overflow, and full relative precision when the largest term dominates (``log`` of a sum
    rounded to 1 would return 0 there).
    """
    k = np.argmax(x, axis=axis, keepdims=True)
    m = np.take_along_axis(x, k, axis)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(x - m) if np.any(m) else np.exp(x)
        np.put_along_axis(e, k, 0, axis)
        return m + np.log1p(np.sum(e, axis=axis, keepdims=True))  # type: ignore[no-any-return]


def _series(x: NDArray[np.float64]) -> NDArray[np.float64]:
    u = x / (2.0 + x)
    u2 = u * u
    tail = np.full_like(u, _ARTANH_TAIL[-1])
    for coefficient in reversed(_ARTANH_TAIL[:-1]):
        tail *= u2
        tail += coefficient
    return 2.0 * u2 / (1.0 - u) - 2.0 * u * u2 * tail  # type: ignore[no-any-return]


def kernel_x_minus_log1p(w: NDArray[Any], v: NDArray[Any], u: NDArray[Any]) -> NDArray[np.float64]:
    """``w·(x − log(1 + x))`` with ``x = v/w``, ``1 + x = u/w``; ``v`` where ``w = 0``; float64.

    For ``|x| ≥ 0.2``: ``x − log(u/w)`` — the log of the ratio, not of ``1 + x``, whose rounding
    would lose ``u`` when ``u ≪ w``; for ``|x| < 0.2``, where ``x − log(1 + x)`` cancels: the
    series above. Both accurate to a few units in the last place of float64; ``u = 0`` gives
    ``+inf``.
    """
    w64 = np.asarray(w, dtype=np.float64)
    v64 = np.asarray(v, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = v64 / w64
        f = np.divide(u, w64, dtype=np.float64)
        np.log(f, out=f)
        np.subtract(x, f, out=f)
        small = np.abs(x) < SERIES_THRESHOLD
        if small.any():
            f[small] = _series(x[small])
        np.multiply(f, w64, out=f)
    if not np.all(w64):
        np.copyto(f, v64, where=w64 == 0)
    return f  # type: ignore[no-any-return]
