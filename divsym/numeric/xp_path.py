"""The public functions on arrays of other array-API libraries (PyTorch, array-api-strict,
Dask, JAX, CuPy): the same generated bodies, called with the array's own namespace ``xp`` and
:class:`~divsym.numeric.xp_kernels.XpKernels`.

The whole array is computed at once along ``axis`` (no NumPy row blocks), on its own device,
keeping autograd. Validation runs as ``xp`` reductions: only one boolean per check reaches the
host; the data is copied to NumPy only to quote a bad value in an error message.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from divsym.numeric import _generated
from divsym.numeric.validation import (
    as_labels,
    as_probabilities,
    check_axis,
    check_logits,
    log_base,
    normalised_tolerance,
    temperature,
)
from divsym.numeric.xp_kernels import XpKernels

__all__ = ["logits", "nll", "reduce"]


def _host(x: Any) -> np.ndarray[Any, Any]:
    """A NumPy copy, for error messages only."""
    try:
        return np.asarray(x.detach().cpu()) if hasattr(x, "detach") else np.asarray(x)
    except (TypeError, ValueError, RuntimeError):
        return np.from_dlpack(x)


def _float(xp: Any, name: str, x: Any) -> Any:
    """``x`` as a real floating array of ``xp`` with an axis and an entry (ints → float64)."""
    if not hasattr(x, "dtype") or not hasattr(x, "shape"):
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    if xp.isdtype(x.dtype, "real floating"):
        pass
    elif xp.isdtype(x.dtype, ("integral", "bool")):
        x = xp.astype(x, xp.float64)
    else:
        raise TypeError(f"{name} must have a real numeric dtype, got dtype {x.dtype}")
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the classes), got a scalar")
    if any(s == 0 for s in x.shape):
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    return x


#: Floating dtypes computed in float32 (their sums and logs would lose the result's accuracy).
_LOW_PRECISION = frozenset(("float16", "bfloat16"))


def _half(xp: Any, dtype: Any) -> bool:
    """Whether ``dtype`` is float16 or bfloat16 (by name: not every namespace has them)."""
    return str(dtype).rsplit(".", 1)[-1] in _LOW_PRECISION


def _plain(x: Any) -> Any:
    """``x`` without its autograd history, for validation: the checks' reductions would
    otherwise be recorded in the graph (kept alive with it) for nothing."""
    return x.detach() if getattr(x, "requires_grad", False) else x


def _work(xp: Any, x: Any) -> Any:
    return xp.astype(x, xp.float32) if _half(xp, x.dtype) else x


def _finish(
    xp: Any, out: Any, dtype: Any, clip: tuple[float, float] | None = None, *, signed: bool = True
) -> Any:
    """``out`` in ``dtype``, clipped, with ``-0.0`` made ``+0.0`` unless ``signed`` is False
    (softmax and log-softmax cannot give ``-0.0``: the pass and its backward are saved)."""
    out = xp.astype(out, dtype) if out.dtype != dtype else out
    if clip is not None:
        out = xp.clip(out, clip[0], clip[1])
    return out + 0.0 if signed else out  # -0.0 + 0.0 = +0.0


def logits(name: str, xp: Any, z: Any, T: Any, axis: int) -> Any:
    """softmax/log_softmax of ``z`` in its own namespace."""
    original = _float(xp, "z", z)
    ax = check_axis("z", original, axis)
    array = _work(xp, original)
    t = temperature(T, _numpy_dtype(array.dtype))
    if not bool(xp.all(xp.isfinite(xp.max(_plain(array), axis=ax)))):
        check_logits("z", _host(array), ax)
    if t >= 1.0 and _shift_overflows(xp, _plain(array)):
        array, t = array * 0.5, t * 0.5  # exact: see numeric.functions._logits
    kernels = XpKernels(xp)
    with np.errstate(all="ignore"):  # NumPy-backed namespaces (array-api-strict) warn
        out = _generated.FUNCTIONS[name](xp, kernels, array, t, ax)
    # exp(·) ≥ +0, and (z − max)/T, the log-sum-exp and their difference are +0 where zero.
    return _finish(xp, out, original.dtype, signed=False)


def _shift_overflows(xp: Any, x: Any) -> bool:
    """Whether two finite entries of ``x`` differ by more than the largest float (``−inf``
    entries, masked classes, do not count)."""
    largest = xp.max(x)
    smallest = xp.min(xp.where(x == -math.inf, largest, x))
    half_range = largest * 0.5 - smallest * 0.5  # halves: no overflow (nor its warning)
    return bool(half_range > float(np.finfo(_numpy_dtype(x.dtype)).max) * 0.5)


def _probabilities_ok(xp: Any, x: Any, axis: int, tolerance: float) -> bool:
    totals = xp.sum(_work(xp, x), axis=axis)
    return bool(xp.all(xp.abs(totals - 1.0) <= tolerance) & (xp.min(x) >= 0))


def reduce(name: str, xp: Any, names: Any, values: Any, base: Any, axis: int, clip: Any) -> Any:
    """A reduction over the classes of distributions in the namespace of the first array."""
    logb = log_base(base)
    bounds = None if clip is None else clip(logb)
    first = next(v for v in values if hasattr(v, "shape") and not isinstance(v, np.ndarray))
    device = _device(first)
    arrays = [
        _float(xp, n, v if _same_kind(xp, v) else xp.asarray(np.asarray(v), device=device))
        for n, v in zip(names, values, strict=True)
    ]
    arrays = list(xp.broadcast_arrays(*arrays)) if len(arrays) > 1 else arrays
    ax = check_axis(names[0], arrays[0], axis)
    dtype = xp.result_type(*(a.dtype for a in arrays))
    for n, a in zip(names, arrays, strict=True):
        tolerance = normalised_tolerance(_numpy_dtype(a.dtype), a.shape[ax])
        if not _probabilities_ok(xp, _plain(a), ax, tolerance):
            as_probabilities(n, _host(a), ax)
    # astype copies even to the same dtype (the standard's copy=True): only where it differs.
    work = [_work(xp, a if a.dtype == dtype else xp.astype(a, dtype)) for a in arrays]
    with np.errstate(all="ignore"):
        out = _generated.FUNCTIONS[name](xp, XpKernels(xp), *work, logb, ax)
    return _finish(xp, xp.squeeze(out, axis=ax), dtype, bounds)


def nll(xp: Any, q: Any, labels: Any, base: Any, axis: int) -> Any:
    """``-log q_y`` in the namespace of ``q``; labels of any kind, checked on the host only if
    they are not arrays of ``xp``."""
    logb = log_base(base)
    original = _float(xp, "q", q)
    ax = check_axis("q", original, axis)
    classes = original.shape[ax]
    batch = tuple(s for k, s in enumerate(original.shape) if k != ax)
    if _same_kind(xp, labels) and xp.isdtype(labels.dtype, "integral"):
        ok = bool(xp.all((labels >= 0) & (labels < classes)))
        label_array = labels if ok else as_labels(_host(labels), batch, classes)
        label_array = xp.broadcast_to(label_array, batch)
    else:
        checked = as_labels(_host(labels) if _same_kind(xp, labels) else labels, batch, classes)
        label_array = xp.asarray(np.ascontiguousarray(checked), device=_device(original))
    tolerance = normalised_tolerance(_numpy_dtype(original.dtype), classes)
    if not _probabilities_ok(xp, _plain(original), ax, tolerance):
        as_probabilities("q", _host(original), ax)
    array = _work(xp, original)
    with np.errstate(all="ignore"):
        out = _generated.FUNCTIONS["nll"](xp, XpKernels(xp), array, label_array, logb, ax)
    return _finish(xp, xp.squeeze(out, axis=ax), original.dtype)


def _same_kind(xp: Any, value: Any) -> bool:
    import array_api_compat

    return bool(
        array_api_compat.is_array_api_obj(value) and array_api_compat.array_namespace(value) is xp
    )


def _device(x: Any) -> Any:
    import array_api_compat

    return array_api_compat.device(x)


def _numpy_dtype(dtype: Any) -> np.dtype[Any]:
    """The NumPy dtype of the same name (for ``finfo`` in the shared tolerance rule).

    bfloat16, which NumPy lacks, is given float16's: its only use is the tolerance on
    ``Σ p``, which is capped at ``TOLERANCE_CAP`` for both (64·eps is above it at any ``n``);
    the temperature is checked against the float32 in which both are computed.
    """
    name = str(dtype).split(".")[-1].replace("'", "").replace(">", "")
    return np.dtype("float16" if name == "bfloat16" else name)
