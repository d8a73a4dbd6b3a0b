"""The series of ``G(t) = (1 + t)·log(1 + t) + (1 − t)·log(1 − t)`` near ``t = 0``.

``G`` is the summand of the Jensen–Shannon form ``½ Σ m_i G(t_i)`` (derivation
``jsd-stable-form``, ``m = (p + q)/2``, ``t = (q − p)/(q + p)``). Its Taylor series has only
even powers and positive coefficients:

    ``G(t) = Σ_{k≥1} t^(2k)/(k(2k − 1)) = y·P_∞(y)``,  ``y = t²``,
    ``P_∞(y) = Σ_{k≥1} y^(k−1)/(k(2k − 1))``,

so it has no cancellation at all when ``p ≈ q``.

**Truncation bound.** Cut after ``K`` terms, the omitted terms are positive and each at most
``y`` times the one before, so ``0 ≤ R_K ≤ y^(K+1)/((K + 1)(2K + 1)(1 − y))``; and ``G ≥ y``
(its first term). The relative truncation error is therefore at most

    ``bound(y, K) = y^K / ((K + 1)(2K + 1)(1 − y))``,

and :func:`series_coefficients` picks the fewest ``K`` whose bound at the block's largest
``y`` is within the dtype's tolerance (the same :data:`~divsym.numeric.series.TOLERANCE` as the
KL kernel's series): the closer the two distributions, the fewer terms. Where that takes more
than 8 terms (float64, ``|t|`` up to the threshold 0.2, where Taylor needs 10), eight
near-minimax coefficients (:data:`MINIMAX`, a Chebyshev fit of ``P_∞`` on ``y ∈ [0, 0.04]``)
are used: their relative error is below 3e-18 there (``P_∞ ≥ 1``; measured on 2001 points,
coefficients as stored).

**Threshold.** Outside the series the kernel evaluates ``a·log1p(−t) + b·log1p(t)`` (``a = p``,
``b = q``): its derivative in ``t`` is ``−a/(1 − t) + b/(1 + t) = 0``, so the rounding of ``t``
does not enter to first order, and the two ``log1p`` roundings make a relative error of about
``2ε/|t|`` (``ε`` the unit roundoff): 10 ε at ``|t| = 0.2``. The series reaches that far
with 8 coefficients, so :data:`SERIES_THRESHOLD` is 0.2: on close inputs
(``q = softmax(z + 0.1·N)``, ``|t| ≈ 0.05·|N|``) all but a few entries per block take the series.
"""

from __future__ import annotations

import functools

from divsym.numeric.series import TOLERANCE

__all__ = [
    "MAX_TERMS",
    "MINIMAX",
    "SERIES_THRESHOLD",
    "TAYLOR",
    "series_coefficients",
    "series_terms",
    "truncation_bound",
]

#: Below this ``|t|`` the kernel uses the series (every dtype; float32 needs fewer terms).
SERIES_THRESHOLD = 0.2
#: Taylor terms that reach :data:`SERIES_THRESHOLD` in float64 (``bound(0.04, 10) ≈ 4.7e-17``).
MAX_TERMS = 10
#: ``1/(k(2k − 1))`` for ``k = 1..MAX_TERMS``: the Taylor coefficients of ``P_∞``, lowest first.
TAYLOR = tuple(1.0 / (k * (2 * k - 1)) for k in range(1, MAX_TERMS + 1))
#: ``P_∞(y) = G(√y)/y`` on ``y ∈ [0, SERIES_THRESHOLD²]``, lowest first:
#: ``mpmath.chebyfit(P, [0, 0.04], 8)`` at 40 digits, rounded to float64 (a test refits them).
MINIMAX = (
    0.99999999999999999851,
    0.16666666666667143227,
    0.066666666664167939585,
    0.035714286212783085904,
    0.022222173467003497739,
    0.015154097533179409231,
    0.010913634982963587447,
    0.0094642031698100167384,
)


def truncation_bound(y: float, terms: int) -> float:
    """Upper bound on the relative error of ``G``'s series cut after ``terms`` terms, ``y = t²``."""
    if not 0 <= y < 1:
        return float("inf")
    return float(y**terms / ((terms + 1) * (2 * terms + 1) * (1 - y)))


def series_terms(largest: float, itemsize: int) -> int:
    """The fewest Taylor terms (1..MAX_TERMS) whose bound at ``y = largest`` is tolerated for
    inputs of ``itemsize`` bytes (8: float64; 4 or 2: computed in float64 to their precision)."""
    if not 0 <= largest < 1:
        raise ValueError(f"largest must be t² in [0, 1), got {largest!r}")
    return _terms(largest, TOLERANCE[itemsize])


def _terms(largest: float, tolerance: float) -> int:
    for terms in range(1, MAX_TERMS):
        if truncation_bound(largest, terms) <= tolerance:
            return terms
    return MAX_TERMS


@functools.lru_cache(maxsize=64)
def _halved(coefficients: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(c / 2 for c in coefficients)


def series_coefficients(largest: float, itemsize: int) -> tuple[float, ...]:
    """Coefficients of ``P_∞/2`` for ``y ≤ largest``, lowest first: the fewest Taylor ones, or
    :data:`MINIMAX` where more than ``len(MINIMAX)`` would be needed. Halved (exactly), because
    the kernel returns ``m·G(t) = s·y·P_∞(y)/2`` with ``s = a + b``."""
    terms = series_terms(largest, itemsize)
    if terms > len(MINIMAX) and largest <= SERIES_THRESHOLD**2:
        return _halved(MINIMAX)
    return _halved(TAYLOR[:terms])
