"""Input validation for the public array functions.

Every message names the argument and quotes the offending value, so that a user sees what
was wrong without a traceback from inside NumPy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["as_probabilities", "broadcast", "normalised_tolerance"]


def _as_float_array(name: str, value: Any) -> NDArray[np.floating[Any]]:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of numbers, got {value!r}") from error
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


def normalised_tolerance(dtype: np.dtype[Any], classes: int) -> float:
    """How far ``Σ p`` may be from 1: ``sqrt(classes) · 64 · eps`` of ``dtype``.

    Rounding a normalised vector to ``dtype`` moves each entry by at most ``eps·p_i``, and a
    float sum of ``classes`` terms errs by about ``sqrt(classes)·eps`` on average; the factor
    64 leaves room for inputs produced by a few arithmetic operations (a softmax, a mixture).
    """
    return float(np.sqrt(classes) * 64 * np.finfo(dtype).eps)


def as_probabilities(name: str, value: Any, axis: int = -1) -> NDArray[np.floating[Any]]:
    """``value`` as a float array of probability distributions along ``axis``, or an error."""
    array = _as_float_array(name, value)
    if np.isnan(array).any():
        raise ValueError(f"{name} must not contain NaN, got {_first(array, np.isnan(array))}")
    if np.isinf(array).any():
        raise ValueError(f"{name} must be finite, got {_first(array, np.isinf(array))}")
    if (array < 0).any():
        raise ValueError(f"{name} must be nonnegative, got {_first(array, array < 0)}")
    try:
        totals = array.sum(axis=axis, dtype=np.float64)
    except np.exceptions.AxisError as error:
        raise ValueError(
            f"axis {axis} is out of range for {name} of shape {array.shape}"
        ) from error
    classes = array.shape[axis]
    tolerance = normalised_tolerance(array.dtype, classes)
    off = np.abs(totals - 1.0) > tolerance
    if off.any():
        raise ValueError(
            f"{name} must sum to 1 along axis {axis} (within {tolerance:.1e}), "
            f"got a sum of {float(np.asarray(totals)[off].flat[0])!r}"
        )
    return array


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
    return np.broadcast_to(a, shape).astype(dtype, copy=False), np.broadcast_to(b, shape).astype(
        dtype, copy=False
    )


def _first(array: NDArray[Any], mask: NDArray[np.bool_]) -> str:
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return f"{array[index].item()!r} at index {index}"
