"""NumPy kernels of the logit-space nodes: ``w·(e^x − 1 − x)`` and the entry at the argmax.

They evaluate :class:`~divsym.symbols.stable.ScaledExpm1MinusX` and
:class:`~divsym.symbols.stable.AtArgmax`, the nodes of the last line of
``kl-logit-stable-form`` (the distillation loss's KL from logits). No formula of the lecture
lives here.

**The series.** ``e^x − 1 − x = x² Σ_{k≥0} x^k/(k + 2)!``. Cut after ``K`` terms, the rest is
``R_K = x² Σ_{k≥K} x^k/(k + 2)!``, so ``|R_K| ≤ |x|^(K+2) / ((K + 2)! (1 − |x|/(K + 3)))``;
and ``e^x − 1 − x ≥ x²/2 · (1 − |x|/3)`` (the series alternates for ``x < 0``). Hence the
relative truncation error is at most

    ``bound(x, K) = 2|x|^K / ((K + 2)! (1 − |x|/(K + 3)) (1 − |x|/3))``,

and :func:`series_terms` takes the fewest ``K`` with ``bound(largest |x|, K) ≤ 2^-54`` (half a
unit roundoff of float64): one term below ``|x| ≈ 1.6e-16``, two below ``2.6e-8`` (the
close-logit regime), eleven at the threshold.

**The threshold.** Outside the series, ``expm1(x) − x`` errs by about
``ε (|expm1 x| / (e^x − 1 − x) + 1)`` relative: ≤ 11 ε at ``|x| = 0.2`` (:data:`THRESHOLD`),
where the series needs :data:`MAX_TERMS` = 11 terms.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from divsym.numeric.kernels import prime_allocator

__all__ = [
    "MAX_TERMS",
    "THRESHOLD",
    "TOLERANCE",
    "kernel_at_argmax",
    "kernel_expm1_minus",
    "series_terms",
    "truncation_bound",
]

Float64 = NDArray[np.float64]

#: Below this ``|x|`` the kernel uses the series.
THRESHOLD = 0.2
#: Relative truncation error allowed: half the unit roundoff of float64.
TOLERANCE = 2.0**-54
#: The most terms the series takes (``bound(THRESHOLD, MAX_TERMS) ≤ TOLERANCE``).
MAX_TERMS = 11
#: ``1/(k + 2)!`` for ``k = 0..MAX_TERMS − 1``, lowest first.
COEFFICIENTS = tuple(1.0 / math.factorial(k + 2) for k in range(MAX_TERMS))


def truncation_bound(x: float, terms: int) -> float:
    """Upper bound on the relative error of the series of ``e^x − 1 − x`` cut after ``terms``."""
    a = abs(x)
    if terms < 1 or a >= 3:
        raise ValueError(f"need terms >= 1 and |x| < 3, got terms={terms!r}, x={x!r}")
    return 2 * a**terms / (math.factorial(terms + 2) * (1 - a / (terms + 3)) * (1 - a / 3))


@functools.cache
def _reach(terms: int) -> float:
    """The largest ``|x|`` (to 1e-15 relative) with ``truncation_bound(x, terms) ≤ TOLERANCE``."""
    low, high = 0.0, THRESHOLD
    if truncation_bound(high, terms) <= TOLERANCE:
        return high
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (
            (middle, high) if truncation_bound(middle, terms) <= TOLERANCE else (low, middle)
        )
    return low


def series_terms(largest: float) -> int:
    """The fewest terms whose truncation bound at ``|x| = largest`` is tolerated."""
    if not 0 <= largest <= THRESHOLD:
        raise ValueError(f"largest must be |x| in [0, {THRESHOLD}], got {largest!r}")
    for terms in range(1, MAX_TERMS + 1):
        if largest <= _reach(terms):
            return terms
    raise AssertionError("MAX_TERMS does not reach THRESHOLD")  # pragma: no cover


def _series(x: Float64, terms: int) -> Float64:
    """``e^x − 1 − x`` by ``terms`` terms of its series (Horner's rule in ``x``)."""
    h = np.full_like(x, COEFFICIENTS[terms - 1])
    for coefficient in reversed(COEFFICIENTS[: terms - 1]):
        h *= x
        h += coefficient
    h *= x
    h *= x
    return h


def _direct(x: Float64) -> Float64:
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.expm1(x)
        out -= x
    return out


def kernel_expm1_minus(w: NDArray[Any], x: NDArray[Any]) -> Float64:
    """``w·(e^x − 1 − x)`` in float64: the series where ``|x| < THRESHOLD`` (its length from
    the largest such ``|x|``), ``expm1(x) − x`` elsewhere; ``0`` where ``w = 0``."""
    prime_allocator()  # block-sized temporaries from the heap, not mmap: no page faults
    w64 = np.asarray(w, dtype=np.float64)
    x64 = np.asarray(x, dtype=np.float64)
    if x64.size == 0:
        return np.zeros(np.broadcast_shapes(w64.shape, x64.shape), dtype=np.float64)
    magnitude = np.abs(x64)
    largest = float(magnitude.max())  # NaN fails both comparisons below
    if largest < THRESHOLD:
        f = _series(x64, series_terms(largest))
    else:
        f = _direct(x64)
        small = magnitude < THRESHOLD
        if small.any():  # every term: cheaper than gathering the entries that need it
            with np.errstate(over="ignore", invalid="ignore"):
                np.copyto(f, _series(x64, MAX_TERMS), where=small)
    out = np.multiply(f, w64)
    if not np.all(w64):
        np.copyto(out, 0.0, where=np.broadcast_to(w64 == 0, out.shape))
    return out  # type: ignore[no-any-return]


def kernel_at_argmax(x: NDArray[Any], w: NDArray[Any], axis: int) -> NDArray[Any]:
    """``x`` at the class where ``w`` is largest along ``axis`` (kept with length 1)."""
    x, w = np.asarray(x), np.asarray(w)
    index = np.argmax(w, axis=axis, keepdims=True)
    return np.take_along_axis(
        np.broadcast_to(x, np.broadcast_shapes(x.shape, w.shape)), index, axis
    )  # type: ignore[no-any-return]
