"""The kernels of the stable nodes, as objects that generated code calls as ``kernels.*``.

:data:`NUMPY_KERNELS` serves NumPy arrays: the fast kernels of :mod:`divsym.numeric.kernels`
(unchanged) plus the label lookup. :class:`XpKernels` serves every other namespace of the
Python array API standard (array-api-strict, PyTorch, Dask, JAX, CuPy through
``array_api_compat``) with the same conventions and the same accuracy strategy, written only
with standard functions, so that they run on the array's own device and keep autograd: every
branch that a ``where`` discards is made finite first (a NaN in a discarded branch would still
poison a gradient).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from divsym.numeric import kernels, logit_kernels, series, symmetric_kernel, symmetric_series

__all__ = ["NUMPY_KERNELS", "NumpyKernels", "XpKernels"]

#: What a namespace must have for the accurate kernels; without one of them: a TypeError.
REQUIRED = (
    "log1p",
    "expm1",
    "where",
    "exp",
    "log",
    "sum",
    "max",
    "argmax",
    "arange",
    "reshape",
    "abs",
)


class NumpyKernels:
    """NumPy's kernels (:mod:`divsym.numeric.kernels`) and the entry at each label."""

    kernel_xlogy = staticmethod(kernels.kernel_xlogy)
    kernel_logsumexp = staticmethod(kernels.kernel_logsumexp)
    kernel_log_ratio = staticmethod(kernels.kernel_log_ratio)
    kernel_x_minus_log1p = staticmethod(kernels.kernel_x_minus_log1p)
    kernel_symmetric_xlog1p = staticmethod(symmetric_kernel.kernel_symmetric_xlog1p)
    kernel_expm1_minus = staticmethod(logit_kernels.kernel_expm1_minus)
    kernel_at_argmax = staticmethod(logit_kernels.kernel_at_argmax)

    @staticmethod
    def kernel_at_labels(q: Any, labels: Any, axis: int) -> Any:
        """``q`` at each row's label, the class axis kept with length 1."""
        return np.take_along_axis(q, np.expand_dims(labels, axis), axis)


NUMPY_KERNELS = NumpyKernels()


class XpKernels:
    """The kernels written against the array namespace ``xp``."""

    def __init__(self, xp: Any) -> None:
        missing = [name for name in REQUIRED if not hasattr(xp, name)]
        if missing:
            raise TypeError(
                f"the array namespace {getattr(xp, '__name__', xp)!r} lacks {', '.join(missing)}, "
                "which the accurate kernels need (no naive fallback is used)"
            )
        self.xp = xp

    def _classes(self, x: Any, axis: int) -> Any:
        """``0..n−1`` shaped to broadcast along ``axis`` of ``x``, on ``x``'s device."""
        xp = self.xp
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        return xp.reshape(xp.arange(x.shape[axis], device=_device(x)), tuple(shape))

    def kernel_xlogy(self, x: Any, y: Any) -> Any:
        """``x·log y`` with ``0·log y = 0`` wherever ``x = 0`` (``y = 0`` included)."""
        xp = self.xp
        zero = x == 0
        empty = (y == 0) & ~zero  # x·log 0 = −inf for x > 0, set without evaluating log 0
        safe = xp.where(zero | empty, xp.ones_like(y), y)
        out = xp.where(zero, xp.zeros_like(safe), x * xp.log(safe))
        return xp.where(empty, xp.zeros_like(out) - xp.inf, out)

    def kernel_logsumexp(self, x: Any, axis: int) -> Any:
        """``log Σ_j exp(x_j)`` over ``axis`` (kept): ``m + log1p(Σ_{j≠k} exp(x_j − m))``
        with ``x_k = m`` the largest entry, as NumPy's kernel. ``−inf`` entries give 0 terms.
        """
        xp = self.xp
        k = xp.argmax(x, axis=axis, keepdims=True)
        others = self._classes(x, axis) != k
        # m read at k itself, not xp.max: where the largest entries tie, max's gradient is
        # shared among them (torch.amax) while only k is left out of the sum, and the
        # gradient of a tied class came out wrong by half its share (outside breaker).
        m = xp.sum(xp.where(others, xp.zeros_like(x), x), axis=axis, keepdims=True)
        e = xp.exp(xp.where(others, x - m, xp.zeros_like(x)))
        rest = xp.sum(xp.where(others, e, xp.zeros_like(e)), axis=axis, keepdims=True)
        return m + xp.log1p(rest)

    def kernel_log_ratio(self, n: Any, d: Any, difference: Any) -> Any:
        """``log(n/d)``: ``log1p(difference/d)`` where ``|n − d| ≤ d/2``, ``log n − log d``
        elsewhere (no ratio to overflow); ``n, d > 0``. Discarded branches see finite values."""
        xp = self.xp
        one = xp.ones_like(n + d)
        near = xp.abs(difference) <= 0.5 * d
        safe_d = xp.where(d > 0, d, one)
        close = xp.log1p(xp.where(near, difference / safe_d, xp.zeros_like(one)))
        far = xp.log(xp.where(near, one, n)) - xp.log(xp.where(near, one, d))
        return xp.where(near, close, far)

    def kernel_x_minus_log1p(self, w: Any, v: Any, u: Any) -> Any:
        """``w·(x − log(1 + x))`` with ``x = v/w``, ``1 + x = u/w``; ``v`` where ``w = 0``.

        The NumPy kernel's two forms (:mod:`divsym.numeric.series`), in the inputs' dtype:
        with ``a = v/(w + u) = x/(2 + x)``, the series ``a·(v − w·a²·P(a²))`` (all
        :data:`~divsym.numeric.series.MINIMAX` coefficients) where ``|a| <``
        :data:`~divsym.numeric.series.SERIES_THRESHOLD`, and ``v − w·log(u/w)`` elsewhere — no
        ``x``, which overflows when ``w`` is subnormal, and ``log u − log w`` where the ratio
        ``u/w`` is not a normal float (a subnormal side, or the two far apart). ``u = 0 < w``
        gives ``+inf``. Every branch that a ``where`` discards is fed finite values, so that
        autograd through it adds no NaN.
        """
        xp = self.xp
        empty = w == 0
        one = xp.ones_like(w)
        safe_w = xp.where(empty, one, w)
        total = w + u
        a = v / xp.where(total == 0, one, total)
        small = (xp.abs(a) < series.SERIES_THRESHOLD) & ~empty
        inner = xp.where(small, a, xp.zeros_like(a))
        y = inner * inner
        h = xp.zeros_like(y) + series.MINIMAX[-1]
        for coefficient in reversed(series.MINIMAX[:-1]):
            h = h * y + coefficient
        near = inner * (v - safe_w * y * h)
        far_u = xp.where(small | empty, one, u)
        far_w = xp.where(small, one, safe_w)
        # The ratio only where both sides lie in [√tiny, 1/√tiny], so that it is normal and no
        # division overflows or underflows (autograd would turn an inf in a discarded branch
        # into NaN); elsewhere log u − log w, whose rounding is small next to such a term.
        root = math.sqrt(float(np.finfo(np.float32 if _is_single(xp, w) else np.float64).tiny))
        normal = (far_u >= root) & (far_u <= 1 / root) & (far_w >= root) & (far_w <= 1 / root)
        ratio = xp.where(normal, far_u, one) / xp.where(normal, far_w, one)
        positive_u = xp.where(far_u > 0, far_u, one)
        guarded = xp.where(normal, xp.log(ratio), xp.log(positive_u) - xp.log(far_w))
        guarded = xp.where(far_u > 0, guarded, xp.zeros_like(guarded) - xp.inf)
        far = v - far_w * guarded
        return xp.where(empty, v, xp.where(small, near, far))

    def kernel_symmetric_xlog1p(self, a: Any, b: Any) -> Any:
        """``a·log(2a/(a + b)) + b·log(2b/(a + b))`` (``= m·G(t)``), ``0·log 0 = 0``.

        The NumPy kernel's forms (:mod:`divsym.numeric.symmetric_kernel`), in the inputs'
        dtype: with ``s = a + b`` and ``t = (b − a)/s``, the series ``s·t²·P(t²)/2`` (all
        :data:`~divsym.numeric.symmetric_series.MINIMAX` coefficients) where ``|t| <``
        :data:`~divsym.numeric.symmetric_series.SERIES_THRESHOLD`, ``a·log1p(−t) + b·log1p(t)``
        elsewhere, and ``a·log(2a/s) + b·log(2b/s)`` where ``t`` is ``±1`` or ``s = 0``. Every
        branch that a ``where`` discards is fed finite values, and classes with ``s < √tiny``
        are scaled by a power of two first, so that autograd through it adds no NaN.
        """
        xp = self.xp
        # The term is homogeneous of degree 1: classes whose total is below √tiny are computed
        # at an exact power of two times their size and scaled back. Unscaled, the gradient of
        # t = (b − a)/s there, −(b − a)/s², overflows (s² underflows) and makes NaN through
        # autograd even from a discarded branch, and 2b/s overflows.
        info = np.finfo(np.float32 if _is_single(xp, a) else np.float64)
        root = math.sqrt(float(info.tiny))
        up = 2.0 ** math.ceil(math.log2(root / float(info.smallest_subnormal)))
        unscaled = a + b
        factor = xp.where(unscaled < root, xp.zeros_like(unscaled) + up, xp.ones_like(unscaled))
        a, b = a * factor, b * factor
        total = a + b
        empty = total == 0
        one = xp.ones_like(total)
        safe_total = xp.where(empty, one, total)
        t = (b - a) / safe_total
        small = xp.abs(t) < symmetric_series.SERIES_THRESHOLD
        edge = ~(xp.abs(t) < 1) | empty
        inner = xp.where(small, t, xp.zeros_like(t))
        y = inner * inner
        coefficients = symmetric_series.MINIMAX
        h = xp.zeros_like(y) + coefficients[-1]
        for coefficient in reversed(coefficients[:-1]):
            h = h * y + coefficient
        near = total * y * h / 2
        far_t = xp.where(small | edge, xp.zeros_like(t), t)
        far = a * xp.log1p(-far_t) + b * xp.log1p(far_t)
        exact = xp.zeros_like(total)
        for x in (a, b):
            kept = (x > 0) & edge
            safe = xp.where(kept, x, one)
            ratio = 2 * safe / xp.where(kept, safe_total, one)
            exact = exact + xp.where(kept, safe * xp.log(ratio), xp.zeros_like(x))
        return xp.where(small, near, xp.where(edge, exact, far)) / factor

    def kernel_expm1_minus(self, w: Any, x: Any) -> Any:
        """``w·(e^x − 1 − x)``: the series of :mod:`divsym.numeric.logit_kernels` (all
        :data:`~divsym.numeric.logit_kernels.MAX_TERMS` terms) where ``|x|`` is below its
        threshold, ``expm1(x) − x`` elsewhere; ``0`` where ``w = 0``. Each branch sees only
        finite values it keeps, so autograd through the discarded one adds no NaN."""
        xp = self.xp
        small = xp.abs(x) < logit_kernels.THRESHOLD
        inside = xp.where(small, x, xp.zeros_like(x))
        coefficients = logit_kernels.COEFFICIENTS
        h = xp.zeros_like(inside) + coefficients[-1]
        for coefficient in reversed(coefficients[:-1]):
            h = h * inside + coefficient
        series = h * inside * inside
        outside = xp.where(small, xp.zeros_like(x), x)
        f = xp.where(small, series, xp.expm1(outside) - outside)
        return xp.where(w == 0, xp.zeros_like(f), w * f)

    def kernel_at_argmax(self, x: Any, w: Any, axis: int) -> Any:
        """``x`` at the class where ``w`` is largest (a masked sum, as the labels)."""
        xp = self.xp
        top = xp.argmax(w, axis=axis, keepdims=True)
        chosen = self._classes(w, axis) == top
        return xp.sum(xp.where(chosen, x, xp.zeros_like(x)), axis=axis, keepdims=True)

    def kernel_at_labels(self, q: Any, labels: Any, axis: int) -> Any:
        """``q`` at each row's label (a masked sum: every namespace has ``where`` and ``sum``)."""
        xp = self.xp
        chosen = self._classes(q, axis) == xp.expand_dims(labels, axis=axis)
        return xp.sum(xp.where(chosen, q, xp.zeros_like(q)), axis=axis, keepdims=True)


def _is_single(xp: Any, x: Any) -> bool:
    """Whether ``x`` is computed in single precision (float32; float16 and bfloat16 are
    widened to it before the kernels run), for the smallest normal float of its dtype."""
    return bool(x.dtype != xp.float64)


def _device(x: Any) -> Any:
    from array_api_compat import device

    return device(x)
