"""The numeric primitives that the printer maps the stable nodes to.

Each kernel evaluates one node of :mod:`divsym.symbols.stable` on NumPy arrays, with that
node's conventions, using NumPy's vectorised ``log``/``exp`` (SIMD loops, several times faster
than the scalar loops behind ``scipy.special.xlogy``/``rel_entr``). They hold no formula of the
lecture: the formulas are the generated expressions that call them.

Inputs of less than float32 precision (float16) are computed in a wider type: a sum of float16
terms rounded at every step loses the answer.

The kernel of ``w·(x − log(1 + x))`` (the terms of KL and Jensen–Shannon) takes its scratch
buffers from the :func:`workspace` that :func:`divsym.numeric.blocks.run_rows` opens once per
call, so that no block allocates and frees block-sized temporaries of its own.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from divsym.numeric.series import (
    SERIES_THRESHOLD,
    scaled_x_minus_log1p_series,
    series_coefficients,
    series_threshold,
)

__all__ = [
    "BOTH",
    "DIRECT",
    "DIRECT_PATCHED",
    "SERIES",
    "SERIES_PATCHED",
    "SERIES_THRESHOLD",
    "Workspace",
    "as_float64",
    "block_route",
    "kernel_at_labels",
    "kernel_log_ratio",
    "kernel_logsumexp",
    "kernel_x_minus_log1p",
    "kernel_xlogy",
    "prime_allocator",
    "scratch",
    "workspace",
]

Array = NDArray[Any]
Float64 = NDArray[np.float64]

_TINY = float(np.finfo(np.float64).tiny)
_HUGE = float(np.finfo(np.float64).max)
#: Scratch arrays of the ``x − log(1 + x)`` kernel: three casts, ``a``, ``a²``, Horner, ratio.
_SLOTS = 7
#: Below this many entries a kernel call allocates its own scratch (NumPy caches small arrays).
_SMALL = 1024
# The reductions without the Python layer of ndarray.max/min (a few µs per call).
_MAX = np.maximum.reduce
_MIN = np.minimum.reduce
_ALL = np.logical_and.reduce
_ANY = np.logical_or.reduce


class Workspace:
    """Scratch buffers for the kernels during one call, allocated once and reused per block."""

    def __init__(self, elements: int) -> None:
        if elements < 1:
            raise ValueError(f"elements must be a positive int, got {elements!r}")
        self.elements = elements
        self._floats = np.empty((_SLOTS, elements), dtype=np.float64)
        self._mask = np.empty(elements, dtype=np.bool_)
        self._views: dict[tuple[int, ...], tuple[list[Float64], NDArray[np.bool_]]] = {}

    def buffers(self, size: int, shape: tuple[int, ...]) -> tuple[list[Float64], NDArray[np.bool_]]:
        """The float64 slots and the boolean buffer viewed as ``shape`` (fresh if too small).

        The views are made once per shape: every block of a call has one or two shapes.
        """
        views = self._views.get(shape)
        if views is None:
            if size > self.elements:
                return list(np.empty((_SLOTS, *shape))), np.empty(shape, dtype=np.bool_)
            floats = [slot[:size].reshape(shape) for slot in self._floats]
            views = self._views[shape] = (floats, self._mask[:size].reshape(shape))
        return views


#: Bytes of the block freed once per process to raise glibc's mmap threshold: glibc then
#: serves allocations below it from its heap (no page faults) and trims the heap only when
#: twice as much is free. It must cover a whole call's arrays, not only one block's
#: temporaries: at 3 MiB (the first choice) the 2 MiB output of a (256, 1000) softmax plus a
#: block's temporaries came to more than the 6 MiB trim threshold when freed, so every call
#: trimmed the heap and faulted 845 pages in again (2.1 ms against 0.7 ms warm; KL 2500 pages,
#: 7.0 ms against 2.8 ms). 16 MiB (trim threshold 32 MiB) keeps them: the price is up to
#: 32 MiB of freed heap kept by the process, as glibc itself does after any freed 16 MiB array.
#: glibc raises the threshold only for blocks up to its maximum, 32 MiB: 16 MiB stays below.
PRIME_BYTES = 16 << 20

_primed = False


def prime_allocator() -> None:
    """Allocate and free (never touch) one block of :data:`PRIME_BYTES`, once per process.

    glibc maps blocks of 128 KiB and more with ``mmap`` and unmaps them when freed, until a
    freed mapped block raises that threshold to its own size (glibc's dynamic mmap threshold).
    Until then, the block-sized temporaries that a generated expression makes and frees per
    block are faulted in page by page every time: in a process that has freed no large array
    yet, the Jensen–Shannon expression faulted ~150 pages per block. Other allocators ignore
    this harmless allocation.
    """
    global _primed
    if not _primed:
        _primed = True
        np.empty(PRIME_BYTES, dtype=np.uint8)  # mapped, never touched, freed at once


_CURRENT: contextvars.ContextVar[Workspace | None] = contextvars.ContextVar(
    "divsym_kernel_workspace", default=None
)


@contextlib.contextmanager
def workspace(elements: int) -> Iterator[Workspace]:
    """Make the kernels called inside use scratch buffers of ``elements`` entries each."""
    prime_allocator()
    space = Workspace(elements)
    token = _CURRENT.set(space)
    try:
        yield space
    finally:
        _CURRENT.reset(token)


def scratch(shape: tuple[int, ...], size: int) -> tuple[list[Float64], NDArray[np.bool_]]:
    """:data:`_SLOTS` float64 scratch arrays and a boolean one of ``shape`` (``size`` entries):
    the current :func:`workspace`'s, or fresh ones outside a workspace or for small inputs."""
    space = _CURRENT.get()
    if space is None or size < _SMALL:
        if size >= _SMALL:
            prime_allocator()
        return list(np.empty((_SLOTS, *shape), dtype=np.float64)), np.empty(shape, dtype=np.bool_)
    return space.buffers(size, shape)


#: The routes of a series kernel's block, by the share of entries that take the series.
SERIES, DIRECT, BOTH, SERIES_PATCHED, DIRECT_PATCHED = (
    "series",
    "direct",
    "both, picked per entry",
    "series, direct patched in",
    "direct, series patched in",
)


def block_route(count: int, size: int, *, short_series: bool = False) -> str:
    """The route of a block of ``size`` entries of which ``count`` take the series.

    All of one form when ``count`` is ``size`` or 0; both forms everywhere and a pick per
    entry when the minority exceeds 10 %, the block is tiny or the series short (cheaper than
    gathering the minority's entries); else the majority's form everywhere and the other
    patched in on the minority's entries."""
    if count == size:
        return SERIES
    if count == 0:
        return DIRECT
    if size < _SMALL or 10 * min(count, size - count) > size or short_series:
        return BOTH
    return SERIES_PATCHED if 2 * count >= size else DIRECT_PATCHED


def _wide(x: Array) -> Array:
    """``x`` itself, or as float32 when it is a float type narrower than float32."""
    x = np.asarray(x)
    if x.dtype.kind == "f" and x.dtype.itemsize < 4:
        return x.astype(np.float32)
    return x


def kernel_xlogy(x: NDArray[Any], y: NDArray[Any]) -> NDArray[Any]:
    """``x·log y`` with ``0·log y = 0`` wherever ``x = 0`` (``y = 0`` included).

    float16 inputs give float32, so that the sum over the classes is not rounded to float16.
    """
    x, y = _wide(x), _wide(y)
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
    rounded to 1 would return 0 there). Entries of ``−inf`` (masked logits) weigh 0; a row
    with a finite entry never gives NaN. float16 is summed and returned in float32.
    """
    x = _wide(x)
    if x.ndim == 1:
        return _logsumexp_row(x)
    k = np.argmax(x, axis=axis, keepdims=True)
    rows = x.ndim == 2 and axis in (-1, 1) and x.flags.c_contiguous
    if rows:  # the block driver's (rows, classes) blocks: flat indices, no along-axis helpers
        flat = k.reshape(-1) + np.arange(0, x.size, x.shape[1])
        m = np.take(x.reshape(-1), flat).reshape(k.shape)
    else:
        m = np.take_along_axis(x, k, axis)
    with np.errstate(invalid="ignore", over="ignore"):
        if _ALL(np.isfinite(m), axis=None):
            e = np.exp(x - m) if _ANY(m, axis=None) else np.exp(x)
        else:  # a row whose largest entry is ±inf: shift the finite rows only
            e = np.exp(x - np.where(np.isfinite(m), m, 0))
        if rows:
            e.reshape(-1)[flat] = 0
        else:
            np.put_along_axis(e, k, 0, axis)
        return m + np.log1p(np.add.reduce(e, axis=axis, keepdims=True))  # type: ignore[no-any-return]


def _logsumexp_row(x: NDArray[Any]) -> NDArray[Any]:
    """:func:`kernel_logsumexp` of one vector, indexed directly: ``take_along_axis`` and
    ``put_along_axis`` cost more than the arithmetic on a short vector."""
    k = int(x.argmax())
    m = x[k : k + 1]
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(x - m) if math.isfinite(m[0]) and m[0] else np.exp(x)
        e[k] = 0
        return m + np.log1p(np.add.reduce(e, keepdims=True))  # type: ignore[no-any-return]


def kernel_log_ratio(n: NDArray[Any], d: NDArray[Any], difference: NDArray[Any]) -> NDArray[Any]:
    """``log(n/d)`` for ``n, d ≥ 0``, given ``difference = n − d`` formed exactly.

    ``log1p(difference/d)`` where ``|n − d| ≤ d/2`` (the log of a ratio rounded near 1 loses
    ``ε/|log(n/d)|`` relative; this keeps a few ulps), ``log(n/d)`` elsewhere, and
    ``log n − log d`` where that ratio overflows or underflows (a subnormal side).
    """
    n, d, difference = np.broadcast_arrays(_wide(n), _wide(d), _wide(difference))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        near = np.abs(difference) <= 0.5 * d
        if _ALL(near, axis=None):
            return np.log1p(difference / d)  # type: ignore[no-any-return]
        out = np.log(n / d)
        if _ANY(near, axis=None):
            out[near] = np.log1p(difference[near] / d[near])
        lost = ~np.isfinite(out) & (n > 0) & (d > 0)
        if _ANY(lost, axis=None):
            out[lost] = np.log(n[lost]) - np.log(d[lost])
    return out  # type: ignore[no-any-return]


def kernel_at_labels(q: NDArray[Any], labels: NDArray[Any], axis: int) -> NDArray[Any]:
    """``q`` at each row's label along ``axis`` (kept, length 1); labels are 0-based."""
    return np.take_along_axis(q, np.expand_dims(labels, axis), axis)  # type: ignore[no-any-return]


def _direct(w: Float64, v: Float64, u: Float64, out: Float64, ratio: Float64) -> None:
    """``out = v − w·log(u/w)`` (``= w·(x − log(1 + x))``): accurate where ``|x|`` is not small.

    The ratio ``u/w`` is used only where it is a normal float; elsewhere (``w`` or ``u``
    subnormal, zero, or far apart) ``log u − log w``, whose rounding is then small next to the
    result, and ``v`` where ``w = 0`` (``0·log 0 = 0``). No ``inf − inf``: no NaN.
    """
    np.divide(u, w, out=ratio)
    if not ratio.size or (_MIN(ratio, axis=None) >= _TINY and _MAX(ratio, axis=None) <= _HUGE):
        np.log(ratio, out=ratio)  # every ratio normal: no w = 0 either (it gives inf or NaN)
        np.multiply(ratio, w, out=ratio)
        np.subtract(v, ratio, out=out)
        return
    ratio[...] = _guarded_log_ratio(w, u, ratio)
    np.multiply(ratio, w, out=ratio)
    np.subtract(v, ratio, out=out)
    np.copyto(out, v, where=w == 0)


def _guarded_log_ratio(w: Float64, u: Float64, ratio: Float64) -> Float64:
    normal = (ratio >= _TINY) & (ratio <= _HUGE)
    logs = np.log(ratio)
    logs[~normal] = np.log(u[~normal]) - np.log(w[~normal])
    return logs  # type: ignore[no-any-return]


def as_float64(arrays: tuple[Array, ...], slots: list[Float64]) -> list[Float64]:
    """Each array as float64 of the common shape: itself if it is one, else cast into a slot."""
    shape = slots[0].shape
    out = []
    for array, slot in zip(arrays, slots, strict=False):
        if array.dtype == np.float64 and array.shape == shape:
            out.append(array)
        else:
            np.copyto(slot, array, casting="unsafe")
            out.append(slot)
    return out


def kernel_x_minus_log1p(w: NDArray[Any], v: NDArray[Any], u: NDArray[Any]) -> NDArray[np.float64]:
    """``w·(x − log(1 + x))`` with ``x = v/w``, ``1 + x = u/w``; ``v`` where ``w = 0``; float64.

    With ``a = v/(w + u) = x/(2 + x)``, ``log(1 + x) = 2 artanh a`` and ``v − 2wa = a·v``, so

        ``w·(x − log(1 + x)) = a·(v − 2w Σ_{k≥1} a^(2k)/(2k + 1))``,

    a sum of one sign with no cancellation when ``|a|`` is small: the series (its length from
    the block's largest ``|a|``, see :mod:`divsym.numeric.series`) is used where
    ``|a| < series_threshold(dtype)``, and ``v − w·log(u/w)`` (no ``x``, which overflows when
    ``w`` is subnormal) elsewhere. Each block takes one of four routes: all series, all
    direct, the majority route on every entry plus the other one on the few (≤ 10 %)
    remaining entries, or both everywhere and a pick per entry. ``u = 0 < w`` gives ``+inf``.
    Accurate to a few units in the last place of float64 (float32 and float16 inputs: of
    their own precision, computed in float64).
    """
    w_in, v_in, u_in = np.asarray(w), np.asarray(v), np.asarray(u)
    shape = w_in.shape
    if not shape == v_in.shape == u_in.shape:
        shape = np.broadcast_shapes(w_in.shape, v_in.shape, u_in.shape)
    size = math.prod(shape)
    dtype = w_in.dtype
    if not dtype == v_in.dtype == u_in.dtype:
        dtype = np.result_type(w_in.dtype, v_in.dtype, u_in.dtype)
    slots, mask = scratch(shape, size)
    out: Float64 = np.empty(shape, dtype=np.float64)
    if size == 0:
        return out
    w64, v64, u64 = as_float64((w_in, v_in, u_in), slots[:3])
    a, y, h, ratio = slots[3:]
    threshold = series_threshold(dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        np.add(w64, u64, out=a)
        np.divide(v64, a, out=a)
        np.multiply(a, a, out=y)  # a², which the series needs too
        largest = math.sqrt(float(_MAX(y, axis=None)))  # NaN (w = u = 0) fails the test below
        if largest < threshold:
            coefficients = series_coefficients(largest, dtype)
            scaled_x_minus_log1p_series(a, v64, w64, coefficients, out, y, h, squared=True)
            return out
        np.less(y, threshold * threshold, out=mask)
        coefficients = series_coefficients(threshold, dtype)
        route = block_route(int(np.count_nonzero(mask)), size, short_series=len(coefficients) <= 2)
        if route == DIRECT:
            _direct(w64, v64, u64, out, ratio)
            return out
        if route == BOTH:
            _direct(w64, v64, u64, out, ratio)
            scaled_x_minus_log1p_series(a, v64, w64, coefficients, ratio, y, h, squared=True)
            np.copyto(out, ratio, where=mask)
            return out
        if route == SERIES_PATCHED:
            scaled_x_minus_log1p_series(a, v64, w64, coefficients, out, y, h, squared=True)
            np.logical_not(mask, out=mask)
            _patch(mask, (w64, v64, u64, a), out)
            return out
        _direct(w64, v64, u64, out, ratio)
        _patch(mask, (w64, v64, u64, a), out, coefficients)
    return out


def _patch(
    mask: NDArray[np.bool_],
    arrays: tuple[Float64, Float64, Float64, Float64],
    out: Float64,
    coefficients: tuple[float, ...] = (),
) -> None:
    """Recompute ``out`` where ``mask``: directly (no ``coefficients``) or by the series."""
    index = np.flatnonzero(mask)
    w, v, u, a = (np.take(x.reshape(-1), index) for x in arrays)
    part = np.empty(index.size, dtype=np.float64)
    scratch = [np.empty(index.size, dtype=np.float64) for _ in range(2)]
    if coefficients:
        scaled_x_minus_log1p_series(a, v, w, coefficients, part, *scratch)
    else:
        _direct(w, v, u, part, scratch[0])
    out.reshape(-1)[index] = part
