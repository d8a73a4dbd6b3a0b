"""Inputs and tolerance checks shared by the numeric accuracy tests."""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
from numpy.typing import NDArray

from divsym import reference

Array = NDArray[Any]

#: Relative tolerance of the reductions and of log-softmax, per dtype (the issue's rule).
REDUCTION_RTOL = {np.dtype(np.float64): 1e-14, np.dtype(np.float32): 1e-6}


def distributions(rng: np.random.Generator, shape: tuple[int, ...], spread: float = 1.0) -> Array:
    """Random distributions along the last axis (softmax of normal logits, float64)."""
    e = np.exp(spread * rng.standard_normal(shape))
    return e / e.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def exact_distribution(
    rng: np.random.Generator, classes: int, dtype: type[np.floating[Any]] = np.float64
) -> tuple[Array, int]:
    """A distribution whose entries are integers over 2^k, summing to exactly 1 in binary."""
    scale = 2**52 if dtype == np.float64 else 2**24
    weights = distributions(rng, (classes,))
    counts = np.floor(weights * scale).astype(np.int64)
    counts = np.maximum(counts, 1)
    counts[np.argmax(counts)] += scale - counts.sum()
    return counts, scale


def close_pair(
    rng: np.random.Generator,
    classes: int,
    epsilon: float,
    dtype: type[np.floating[Any]] = np.float64,
) -> tuple[Array, Array]:
    """``p`` and ``q = p(1 + ε·noise)`` renormalised, both summing to exactly 1 in binary.

    Exact normalisation matters: the KL definition and its stable form differ by
    ``Σq − Σp``, which for ``ε = 1e-12`` would otherwise dwarf the divergence itself.
    """
    counts, scale = exact_distribution(rng, classes, dtype)
    moved = counts + np.round(counts * epsilon * rng.standard_normal(classes)).astype(np.int64)
    moved = np.maximum(moved, 1)
    moved[np.argmax(moved)] += scale - moved.sum()
    p = (counts / scale).astype(dtype)
    q = (moved / scale).astype(dtype)
    assert p.sum(dtype=np.float64) == 1
    assert q.sum(dtype=np.float64) == 1
    return p, q


def relative_errors(got: Array, expected: Array) -> Array:
    """Entrywise ``|got − expected|/|expected|`` at 50 digits (0 for equal values, inf if NaN)."""
    values = np.asarray(got, dtype=np.float64)
    flat = np.asarray(expected, dtype=object).reshape(values.shape)
    return np.array(
        [reference.relative_error(g, e) for g, e in zip(values.ravel(), flat.ravel(), strict=True)]
    ).reshape(values.shape)


def describe(**arrays: Any) -> str:
    """Inputs for a failure message, abbreviated."""
    with np.printoptions(threshold=12, precision=17):
        return "; ".join(f"{k} = {np.asarray(v)!r}" for k, v in arrays.items())


def softmax_violations(got: Array, expected: Array, z: Array, T: float) -> list[str]:
    """Entries outside ``8·ε·(1 + |z_i − max z|/T)`` relative (two subnormal ulps of slack)."""
    dtype = np.asarray(got).dtype
    eps = float(np.finfo(dtype).eps)
    slack = 2 * float(np.finfo(dtype).smallest_subnormal)
    z64 = np.asarray(z, dtype=np.float64)
    spread = np.abs(z64 - z64.max(axis=-1, keepdims=True)) / T
    bad = []
    values = np.asarray(got)
    flat = np.asarray(expected, dtype=object).reshape(values.shape)
    with mpmath.workdps(reference.REFERENCE_DIGITS):
        for index in np.ndindex(*values.shape):
            g, e = mpmath.mpf(float(values[index])), mpmath.mpf(flat[index])
            allowed = 8 * eps * (1 + float(spread[index])) * abs(e) + slack
            if not abs(g - e) <= allowed:
                bad.append(f"{index}: got {float(g)!r}, expected {mpmath.nstr(e, 20)}")
    return bad


def violations(got: Any, expected: Any, rtol: float) -> list[str]:
    """Entries with ``|got − expected| > rtol·|expected| + 2·(smallest subnormal of got's dtype)``.

    The slack covers results that underflow in the output dtype (relative error is
    meaningless there); infinities must match exactly.
    """
    values = np.asarray(got)
    slack = 2 * float(np.finfo(values.dtype).smallest_subnormal)
    flat = np.asarray(expected, dtype=object).reshape(values.shape)
    bad = []
    with mpmath.workdps(reference.REFERENCE_DIGITS):
        for index in np.ndindex(*values.shape):
            g, e = mpmath.mpf(float(values[index])), mpmath.mpf(flat[index])
            if mpmath.isinf(e) or mpmath.isinf(g):
                ok = g == e
            else:
                ok = abs(g - e) <= rtol * abs(e) + slack
            if not ok:
                bad.append(f"{index}: got {float(g)!r}, expected {mpmath.nstr(e, 20)}")
    return bad


#: The share of a block's entries that take the series, for each route of a series kernel
#: (:func:`divsym.numeric.kernels.block_route`, blocks of at least 1024 entries): what a
#: route test's input must show before it claims to exercise that route.
KERNEL_ROUTES = {
    "series": lambda share: share == 1,
    "direct": lambda share: share == 0,
    "series, direct patched in": lambda share: 0.9 <= share < 1,
    "direct, series patched in": lambda share: 0 < share <= 0.1,
    "both, picked per entry": lambda share: 0.1 < share < 0.9,
}
