"""Input validation for the public array functions.

Every message names the argument and quotes the offending value, so that a user sees what
was wrong without a traceback from inside NumPy.

The checks are cheap: the public functions run :func:`probabilities_ok` and :func:`logits_ok`
on each row block while it is in cache, right before computing on it (one sum and one min or
max per block, no full-size temporaries). Only when a block fails do the slow diagnostics
(:func:`as_probabilities`, :func:`check_logits`) search the whole input for the first bad
value to quote.
"""

from __future__ import annotations

import functools
import math
import numbers
import reprlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "accumulator",
    "as_float_array",
    "as_labels",
    "as_probabilities",
    "broadcast",
    "check_axis",
    "check_logits",
    "largest_logit",
    "log_base",
    "logits_ok",
    "normalised_tolerance",
    "positive_scalar",
    "probabilities_ok",
    "temperature",
]


def as_float_array(name: str, value: Any) -> NDArray[np.floating[Any]]:
    """``value`` as a real floating array with at least one axis and one entry.

    Integer and boolean arrays become float64; float16/32/64 (and longer) are kept.
    """
    if type(value) is np.ndarray and value.dtype.kind == "f" and value.ndim and value.size:
        return value  # the common case, without the general checks (per-call overhead)
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got {_quote(value)}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of numbers, got {_quote(value)}") from error
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.floating)
        or np.issubdtype(array.dtype, np.integer)
        or np.issubdtype(array.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must have a real numeric dtype, got dtype {array.dtype}")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if array.ndim == 0:
        raise ValueError(
            f"{name} must have at least one axis (the classes), got a scalar {value!r}"
        )
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    return array


def check_axis(name: str, array: NDArray[Any], axis: Any) -> int:
    """``axis`` as a nonnegative int for ``array``, or a ValueError/TypeError naming it."""
    if type(axis) is int and -array.ndim <= axis < array.ndim:
        return axis % array.ndim
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (numbers.Integral,)):
        raise TypeError(f"axis must be an int, got {axis!r}")
    if not -array.ndim <= int(axis) < array.ndim:
        raise ValueError(f"axis {axis} is out of range for {name} of shape {array.shape}")
    return int(axis) % array.ndim


#: The largest tolerance on ``|Σ p − 1|`` whatever the dtype and the number of classes.
TOLERANCE_CAP = 1e-2


def normalised_tolerance(dtype: Any, classes: int) -> float:
    """How far ``Σ p`` may be from 1: ``min(sqrt(classes) · 64 · eps, 1e-2)`` for ``dtype``.

    Rounding a normalised vector to ``dtype`` moves each entry by at most ``eps·p_i``, and a
    float sum of ``classes`` terms errs by about ``sqrt(classes)·eps`` on average; the factor
    64 leaves room for inputs produced by a few arithmetic operations (a softmax, a mixture).

    The cap :data:`TOLERANCE_CAP`: the rounding part is at most ``eps·Σ p_i = eps`` whatever
    ``classes`` is, and the ``sqrt(classes)`` part is the error of the sum itself, which the
    checks make small by summing float16 in float32. Uncapped, float16 (eps ≈ 1e-3) would
    accept any vector summing to 2 at 256 classes and to 5 at 4096; 1e-2 is ten float16
    eps (a float16 softmax passes) and is reached by float32 only past 10⁶ classes.
    """
    return _tolerance(np.dtype(dtype), classes)


@functools.lru_cache(maxsize=256)
def _tolerance(dtype: np.dtype[Any], classes: int) -> float:
    """:func:`normalised_tolerance`, cached: ``np.finfo`` costs about a microsecond a call."""
    eps = float(np.finfo(dtype).eps)
    return min(math.sqrt(classes) * 64 * eps, TOLERANCE_CAP)


def accumulator(dtype: Any) -> Any:
    """The dtype in which sums of ``dtype`` are taken: float16 in float32, others as they are."""
    return np.float32 if np.dtype(dtype) == np.float16 else dtype


def probabilities_ok(block: NDArray[Any], tolerance: float) -> bool:
    """Fast check of a 2-D row block: rows sum to 1 within ``tolerance``, no negative entry.

    NaN and ±inf make a row sum fail the comparison, so two reductions cover every case.
    """
    totals = block.sum(axis=-1, dtype=accumulator(block.dtype))
    return bool((np.abs(totals - 1.0) <= tolerance).all() and block.min() >= 0)


def logits_ok(block: NDArray[Any]) -> bool:
    """Fast check of a block of logits: every row's largest entry is finite.

    That admits ``−inf`` entries (a masked class: probability 0) and refuses NaN (it
    propagates into the max), ``+inf``, and a row whose every entry is ``−inf``.
    """
    return largest_logit(block) is not None


def largest_logit(block: NDArray[Any]) -> float | None:
    """The largest entry of a block of logits if every row's largest entry is finite (see
    :func:`logits_ok`), else None: one pass over the block."""
    row_max = np.maximum.reduce(block, axis=-1)
    if not np.logical_and.reduce(np.isfinite(row_max), axis=None):
        return None
    return float(np.maximum.reduce(row_max, axis=None)) if row_max.size else -math.inf


def as_probabilities(name: str, value: Any, axis: int = -1) -> NDArray[np.floating[Any]]:
    """``value`` as a float array of probability distributions along ``axis``, or an error."""
    array = as_float_array(name, value)
    axis = check_axis(name, array, axis)
    if np.isnan(array).any():
        raise ValueError(f"{name} must not contain NaN, got {_first(array, np.isnan(array))}")
    if np.isinf(array).any():
        raise ValueError(f"{name} must be finite, got {_first(array, np.isinf(array))}")
    if (array < 0).any():
        raise ValueError(f"{name} must be nonnegative, got {_first(array, array < 0)}")
    with np.errstate(over="ignore"):  # a sum of huge entries is inf: reported below, no warning
        totals = array.sum(axis=axis, dtype=accumulator(array.dtype))
    classes = array.shape[axis]
    tolerance = normalised_tolerance(array.dtype, classes)
    off = ~(np.abs(totals - 1.0) <= tolerance)
    if off.any():
        raise ValueError(
            f"{name} must sum to 1 along axis {axis} (within {tolerance:.1e}), "
            f"got a sum of {float(np.asarray(totals)[off].flat[0])!r}"
        )
    return array


def check_logits(name: str, array: NDArray[Any], axis: int = -1) -> None:
    """Raise a ValueError that quotes the first NaN or ``+inf`` logit, or names the first
    row (along ``axis``) whose every logit is ``−inf``, if there is one."""
    bad = np.isnan(array) | (array == np.inf)
    if bad.any():
        raise ValueError(
            f"{name} must be finite, got {_first(array, bad)} (-inf is allowed: a masked class)"
        )
    masked = np.all(array == -np.inf, axis=axis)
    if masked.any():
        row = tuple(int(k) for k in np.argwhere(masked)[0]) if masked.ndim else ()
        raise ValueError(
            f"{name} has a row with every logit -inf (no class left) at batch index {row}"
        )


_QUOTE = reprlib.Repr()
_QUOTE.maxstring = _QUOTE.maxother = 60
_QUOTE.maxlist = _QUOTE.maxtuple = 6


def _quote(value: Any) -> str:
    """``repr(value)`` cut to a readable length: an error message quotes, it does not dump."""
    return _QUOTE.repr(value)


def temperature(value: Any, dtype: Any) -> float:
    """The temperature ``T``: a number > 0 that neither rounds to 0 nor overflows in ``dtype``.

    Generated code divides the shifted logits by ``T`` in the logits' dtype, so ``T`` may be
    anything from the smallest subnormal to the largest finite number of ``dtype``: at a tiny
    ``T`` (1e-310 in float64) softmax is the one-hot of the largest logit, shared among ties,
    and log-softmax is 0 there and ``-inf`` elsewhere; at a huge ``T`` softmax is uniform.
    Outside that range (``T`` = 1e-300 for float32 logits) a ValueError names ``T``.
    """
    if type(value) is float and dtype == np.float64 and 5e-324 <= value <= 1.7976931348623157e308:
        return value  # the common case (float64 bounds), without the general checks
    number = positive_scalar("T", value)
    info = np.finfo(dtype)
    low, high = float(info.smallest_subnormal), float(info.max)
    if not low <= number <= high:
        raise ValueError(
            f"T must lie in [{low!r}, {high!r}] for {np.dtype(dtype).name} logits (it must "
            f"neither round to 0 nor overflow there), got {number!r}"
        )
    return number


def positive_scalar(name: str, value: Any) -> float:
    """A finite real number > 0 (the temperature ``T``), or an error naming it."""
    scalar_array = isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf"
    if isinstance(value, (bool, np.bool_)) or not (isinstance(value, numbers.Real) or scalar_array):
        raise TypeError(f"{name} must be a real number, got {_quote(value)}")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {number!r}")
    return number


def log_base(base: Any) -> float:
    """The base of the logarithm: ``None`` is ``e``; otherwise finite, > 0 and ≠ 1."""
    if base is None:
        return math.e
    number = positive_scalar("base", base)
    if number == 1.0:
        raise ValueError(f"base must not be 1 (log 1 = 0), got {base!r}")
    return number


def as_labels(value: Any, shape: tuple[int, ...], classes: int) -> NDArray[np.intp]:
    """Integer class labels in ``0..classes−1``, broadcast to ``shape``, or an error.

    Floats with integral values are accepted; booleans are not.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"labels must be integers, got {_quote(value)}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"labels must be integers, got {_quote(value)}") from error
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array) | (array != np.floor(array))
        if bad.any():
            raise ValueError(f"labels must be integers, got {_first(array, bad)}")
    elif array.dtype.kind not in "iu":
        raise TypeError(f"labels must have an integer dtype, got dtype {array.dtype}")
    if array.size and ((array < 0) | (array >= classes)).any():
        bad = (array < 0) | (array >= classes)
        raise ValueError(f"labels must lie in 0..{classes - 1}, got {_first(array, bad)}")
    try:
        return np.broadcast_to(array.astype(np.intp), shape)
    except ValueError:
        raise ValueError(
            f"labels of shape {array.shape} do not broadcast to the batch shape {shape} of q"
        ) from None


def broadcast(
    names: tuple[str, str], a: NDArray[Any], b: NDArray[Any]
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Broadcast two arrays, with an error that names both arguments and their shapes."""
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"{names[0]} of shape {a.shape} and {names[1]} of shape {b.shape} do not broadcast"
        ) from None
    dtype = np.result_type(a.dtype, b.dtype)
    return (
        np.broadcast_to(a.astype(dtype, copy=False), shape),
        np.broadcast_to(b.astype(dtype, copy=False), shape),
    )


def _first(array: NDArray[Any], mask: NDArray[np.bool_]) -> str:
    if array.ndim == 0:
        return f"{array.item()!r}"
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return f"{array[index].item()!r} at index {index}"
