"""The public array functions, each running a function generated from a proved form.

No formula is written here. Each function runs the body that ``divsym build`` printed into
:mod:`divsym.numeric._generated` from either a definition of :mod:`divsym.symbols.definitions`
or the last line of a derivation of :mod:`divsym.identities.stable_forms` (proved equal to the
definition, status ``proved``), divided by ``log(base)`` for the base of the logarithm (see
``divsym.codegen.forms``). Importing this module imports no SymPy. The generated function runs
over row blocks (:mod:`divsym.numeric.blocks`) after cheap per-block validation.

Conventions: natural log unless ``base``; the classes lie along ``axis`` (default: the last),
the other axes are kept and broadcast like NumPy; inputs are never renormalised; float32 in
gives float32 out; ``0·log 0 = 0``; ``D_KL(P ‖ Q) = +inf`` where ``q_i = 0 < p_i``; labels are
0-based class indices.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from divsym.numeric import _generated, torch_route
from divsym.numeric.blocks import from_rows, run_rows, to_rows
from divsym.numeric.validation import (
    accumulator,
    as_float_array,
    as_labels,
    as_probabilities,
    check_axis,
    check_logits,
    largest_logit,
    log_base,
    normalised_tolerance,
    probabilities_ok,
    temperature,
)
from divsym.numeric.xp_kernels import NUMPY_KERNELS

__all__ = [
    "cross_entropy",
    "entropy",
    "js_distance",
    "js_divergence",
    "kl_divergence",
    "log_softmax",
    "nll",
    "softmax",
]


class _NumpyNamespace:
    """NumPy as the generated code's ``xp``, its reductions called without ``np.max``'s and
    ``np.sum``'s Python layers (about 2 µs each, which a (10,) softmax pays twice).

    ``np.maximum.reduce`` and ``np.add.reduce`` are what ``np.max`` and ``np.sum`` call on
    an ndarray (same loops, same pairwise summation, bit for bit); every other name is
    NumPy's own.
    """

    max = np.maximum.reduce
    sum = np.add.reduce
    exp = np.exp
    log = np.log
    sqrt = np.sqrt

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)


def _numpy(name: str) -> Callable[..., Any]:
    """The generated function ``name`` bound to NumPy and its kernels: ``f(*arrays, *extra,
    axis)``, what :func:`~divsym.numeric.blocks.run_rows` calls on each block."""
    return partial(_generated.FUNCTIONS[name], _NumpyNamespace(), NUMPY_KERNELS)


#: Each public function's generated body, bound to NumPy: ``f(*arrays, *extra, axis)``.
_NUMPY: dict[str, Callable[..., Any]] = {name: _numpy(name) for name in _generated.FUNCTIONS}


#: Inputs with at most this many entries skip the row-block machinery (per-call overhead).
SMALL = 1 << 12


def foreign_namespace(*values: Any) -> Any:
    """The array namespace of the first non-NumPy array-API array among ``values``, or None.

    Lists, scalars and NumPy arrays are NumPy's; ``array_api_compat`` is imported only when
    some value is another kind of object. Arrays of two other libraries (a torch tensor and a
    Dask array) are a TypeError: no namespace computes on both, and converting one silently
    would move data between devices or force a lazy computation.
    """
    found: list[tuple[Any, Any]] = []
    for value in values:
        if isinstance(value, (np.ndarray, np.generic, list, tuple, float, int)) or value is None:
            continue
        import array_api_compat

        if array_api_compat.is_array_api_obj(value):
            xp = array_api_compat.array_namespace(value)
            if not array_api_compat.is_numpy_namespace(xp):
                found.append((xp, value))
    if not found:
        return None
    xp = found[0][0]
    for other, value in found[1:]:
        if other is not xp:
            kinds = " and ".join(_library(v) for v in (found[0][1], value))
            raise TypeError(f"the arrays must come from one library, got {kinds}")
    return xp


def _library(value: Any) -> str:
    """``torch.Tensor``, ``dask.Array``: the library and type of an array, for messages."""
    return f"{type(value).__module__.split('.')[0]}.{type(value).__name__}"


def _work(array: NDArray[Any]) -> NDArray[Any]:
    """float16 is computed in float32 (its sums and logs would lose the result's accuracy)."""
    return array.astype(np.float32) if array.dtype == np.float16 else array


def _finish(
    out: NDArray[Any], dtype: np.dtype[Any], clip: tuple[float, float] | None = None
) -> NDArray[Any]:
    """The result in the input's dtype, with ``-0.0`` made ``+0.0`` and ``clip`` applied."""
    out = np.asarray(out).astype(dtype, copy=False)
    if clip is not None:
        np.clip(out, *clip, out=out)
    np.add(out, 0.0, out=out)  # -0.0 + 0.0 = +0.0: no function returns -0.0
    return out


def _logits(name: str, z: ArrayLike, T: float, axis: int) -> NDArray[np.floating[Any]]:
    xp = foreign_namespace(z)
    if xp is not None:
        views = torch_route.numpy_views((z,))
        if views is not None:
            return torch_route.to_torch(_logits(name, views[0], T, axis))  # type: ignore[no-any-return]
        from divsym.numeric import torch_autograd

        routed = torch_autograd.logits(name, z, T, axis, lambda view: _logits(name, view, T, axis))
        if routed is not None:  # CPU tensor needing grad: NumPy forward, Jacobian backward
            return routed  # type: ignore[no-any-return]
        from divsym.numeric import xp_path

        return xp_path.logits(name, xp, z, T, axis)  # type: ignore[no-any-return]
    original = as_float_array("z", z)
    ax = check_axis("z", original, axis)
    array = _work(original)
    t = temperature(T, array.dtype)
    function = _NUMPY[name]
    # z − max z overflows to −inf when finite logits lie more than the largest float apart
    # (±1e308); exact only while T < 1 makes the true value underflow anyway. From T = 1 on,
    # such inputs are computed as (z/2, T/2): halving is exact and (z/2 − c/2)/(T/2) the
    # same number, without the overflow.
    halve = t >= 1.0
    with np.errstate(all="ignore"):
        if array.size <= SMALL:
            largest = np.maximum.reduce(array, axis=ax)
            if not (math.isfinite(largest) if array.ndim == 1 else np.isfinite(largest).all()):
                check_logits("z", array, ax)
            if halve:
                top = float(largest) if array.ndim == 1 else float(largest.max())
                if top >= _spread_safe(array.dtype) and _shift_overflows(array, top):
                    array, t = array * 0.5, t * 0.5
            return _finish(function(array, t, ax), original.dtype)
        rows = to_rows(array, ax)

        spread_safe = _spread_safe(array.dtype)

        def check(blocks: Sequence[NDArray[Any]]) -> bool:
            block = blocks[0]
            largest = largest_logit(block)  # one pass; the spread needs a second one rarely
            if largest is None:
                return False
            return not (halve and largest >= spread_safe and _shift_overflows(block, largest))

        def diagnose() -> None:
            check_logits("z", array, ax)  # a bad logit: its ValueError
            raise _ShiftOverflow

        try:
            out = run_rows(
                function,
                [rows],
                [t],
                reduced=False,
                dtype=array.dtype,
                check=check,
                diagnose=diagnose,
            )
        except _ShiftOverflow:
            out = run_rows(
                function,
                [rows * 0.5],
                [t * 0.5],
                reduced=False,
                dtype=array.dtype,
                check=lambda blocks: True,
                diagnose=diagnose,
            )
    return _finish(from_rows(out, _batch(array, ax), ax, False), original.dtype)


class _ShiftOverflow(Exception):  # noqa: N818 - a signal between two functions, not an error
    """A block's finite logits lie more than the largest float apart (see :func:`_logits`)."""


def _spread_safe(dtype: np.dtype[Any]) -> float:
    """Below this largest logit, ``z_i − max z`` cannot overflow for any finite ``z_i``:
    ``max z − z_i ≤ max z + HUGE``, which rounds to ``HUGE`` (not ``inf``) while
    ``max z < ulp(HUGE)/2 = 2^(maxexp − nmant − 2)``; a quarter of that for margin. So the
    pass for the smallest logit is needed only for logits above 2^969 (float64), 2^102
    (float32)."""
    info = np.finfo(dtype) if dtype.kind == "f" else np.finfo(np.float64)
    return float(np.ldexp(1.0, info.maxexp - info.nmant - 3))


def _shift_overflows(array: NDArray[Any], largest: float) -> bool:
    """Whether two finite entries of ``array`` (largest entry ``largest``) differ by more
    than the largest float of ``array``'s dtype; ``−inf`` entries (masked classes) do not
    count. Compared in halves (exact), so that float32 logits are judged by float32's range,
    not by the float64 arithmetic of Python floats (which never overflowed there)."""
    smallest = float(np.minimum.reduce(array, axis=None))
    if smallest == -math.inf:
        finite = array[np.isfinite(array)]
        smallest = float(finite.min()) if finite.size else largest
    return largest * 0.5 - smallest * 0.5 > float(np.finfo(array.dtype).max) * 0.5


def _batch(array: NDArray[Any], axis: int) -> tuple[int, ...]:
    return tuple(s for k, s in enumerate(array.shape) if k != axis)


def _distributions(
    names: Sequence[str], arrays: Sequence[NDArray[Any]], axis: int
) -> tuple[list[NDArray[Any]], int, tuple[int, ...], np.dtype[Any]]:
    """Broadcast distributions; the class axis must have the same length in each."""
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        described = " and ".join(
            f"{n} of shape {a.shape}" for n, a in zip(names, arrays, strict=True)
        )
        raise ValueError(f"{described} do not broadcast") from None
    ax = check_axis(names[0] if len(names) == 1 else "the broadcast inputs", np.empty(shape), axis)
    classes = shape[ax]
    for name, a in zip(names, arrays, strict=True):
        own = ax - len(shape) + a.ndim
        if own < 0 or a.shape[own] != classes:
            length = a.shape[own] if own >= 0 else 1
            raise ValueError(
                f"{name} has {length} classes along axis {axis} but the inputs have {classes}"
            )
    dtype = np.result_type(*(a.dtype for a in arrays))
    work = np.float32 if dtype == np.float16 else dtype
    rows = [to_rows(np.broadcast_to(a.astype(work, copy=False), shape), ax) for a in arrays]
    return rows, ax, tuple(s for k, s in enumerate(shape) if k != ax), dtype


def _small_ok(array: NDArray[Any], axis: int, tolerance: float) -> bool:
    """:func:`~divsym.numeric.validation.probabilities_ok` along ``axis`` of a small array,
    with ufunc reductions (no ``ndarray.sum``/``min`` layers) and, for one row, float math."""
    totals = np.add.reduce(array, axis=axis, dtype=accumulator(array.dtype))
    if array.ndim == 1:
        summed_ok = abs(float(totals) - 1.0) <= tolerance  # NaN and inf fail it too
    else:
        summed_ok = bool((np.abs(totals - 1.0) <= tolerance).all())
    return summed_ok and bool(np.minimum.reduce(array, axis=None) >= 0)


def _reduce(
    name: str,
    names: Sequence[str],
    values: Sequence[ArrayLike],
    base: Any,
    axis: int,
    *,
    additive: bool = True,
    clip: Any = None,
) -> NDArray[np.floating[Any]]:
    xp = foreign_namespace(*values)
    if xp is not None:
        views = torch_route.numpy_views(values)
        if views is not None:
            out = _reduce(name, names, views, base, axis, additive=additive, clip=clip)
            return torch_route.to_torch(out)  # type: ignore[no-any-return]
        from divsym.numeric import torch_autograd

        routed = torch_autograd.reduce(
            name,
            values,
            base,
            axis,
            lambda arrays: _reduce(name, names, arrays, base, axis, additive=additive, clip=clip),
            lambda tensors: _xp_reduce(name, xp, names, tensors, base, axis, clip),
        )
        if routed is not None:  # CPU tensors needing grad: NumPy forward, generated backward
            return routed  # type: ignore[no-any-return]
        from divsym.numeric import xp_path

        return xp_path.reduce(name, xp, names, values, base, axis, clip)  # type: ignore[no-any-return]
    logb = log_base(base)
    bounds = None if clip is None else clip(logb)
    function = _NUMPY[name]
    originals = [as_float_array(n, v) for n, v in zip(names, values, strict=True)]
    first = originals[0]
    if first.size <= SMALL and all(o.shape == first.shape for o in originals):
        ax = check_axis(names[0], first, axis)
        dtype = np.result_type(*(o.dtype for o in originals))
        arrays = [_work(o.astype(dtype, copy=False)) for o in originals]
        # One errstate for the checks and the body: a sum of huge entries overflows to inf,
        # which the check reports as a ValueError, not as a RuntimeWarning beside it.
        with np.errstate(all="ignore"):
            for n, o, a in zip(names, originals, arrays, strict=True):
                if not _small_ok(a, ax, normalised_tolerance(o.dtype, first.shape[ax])):
                    as_probabilities(n, o, ax)
            out = function(*arrays, logb, ax)
        return _finish(np.squeeze(out, axis=ax), dtype, bounds)
    rows, ax, batch, dtype = _distributions(names, originals, axis)
    # Each input's own dtype sets its tolerance (a float32 q stays float32-normalised).
    tolerances = [normalised_tolerance(o.dtype, rows[0].shape[-1]) for o in originals]

    def diagnose() -> None:
        for n, original in zip(names, originals, strict=True):
            as_probabilities(n, original, ax - len(batch) - 1)

    with np.errstate(all="ignore"):
        out = run_rows(
            function,
            rows,
            [logb],
            reduced=True,
            dtype=rows[0].dtype,
            check=lambda blocks: all(
                probabilities_ok(b, t) for b, t in zip(blocks, tolerances, strict=True)
            ),
            diagnose=diagnose,
            additive=additive,
        )
    return _finish(from_rows(out, batch, ax, True), dtype, bounds)


def _xp_reduce(
    name: str, xp: Any, names: Sequence[str], values: Sequence[Any], base: Any, axis: int, clip: Any
) -> Any:
    """The namespace route of :func:`_reduce` (imported on first use)."""
    from divsym.numeric import xp_path

    return xp_path.reduce(name, xp, names, values, base, axis, clip)


def _jsd_bounds(logb: float) -> tuple[float, float]:
    """``0 ≤ JSD ≤ log 2`` (derivation ``jsd-bounds``), in base ``logb``'s units: for a base
    below 1 (``log b < 0``) the interval is ``[log 2/log b, 0]``."""
    limit = math.log(2) / math.log(logb)
    return (min(0.0, limit), max(0.0, limit))


def _jsdist_bounds(logb: float) -> tuple[float, float]:
    """``0 ≤ √JSD ≤ √(log 2)``: a distance needs ``base > 1`` (else JSD ≤ 0)."""
    if logb < 1:
        raise ValueError(f"base must be > 1 for js_distance (the square root of JSD), got {logb!r}")
    return (0.0, math.sqrt(math.log(2) / math.log(logb)))


def softmax(z: ArrayLike, T: float = 1.0, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Softmax with temperature, lecture eq. (1): ``q_i = exp(z_i/T) / Σ_j exp(z_j/T)``.

    Evaluated as ``exp((z_i − c)/T) / Σ_j exp((z_j − c)/T)`` with ``c = max_j z_j``
    (derivation ``softmax-stable-form``): the shift comes before the division by ``T``, so no
    ``exp`` overflows for any logits and temperature. A logit of ``−inf`` masks its class
    (probability exactly 0, as PyTorch users mask classes); NaN and ``+inf`` are refused, and
    so is a row whose every logit is ``−inf`` (no class left).

    A PyTorch tensor, or an array of another array-API library (array-api-strict, Dask, JAX,
    CuPy), gives the same kind of array back, on its device; torch tensors that need a
    gradient keep autograd. A CPU tensor that needs no gradient is computed by the NumPy
    path on a view of its memory and returned as a tensor of its dtype.

    Parameters
    ----------
    z : array_like
        Logits, classes along ``axis``; finite or ``−inf``. Integers are read as float64.
    T : float, default 1.0
        The temperature, ``> 0``, between the smallest subnormal and the largest finite
        number of ``z``'s dtype (float32 for float16 logits). ``T → 0`` gives the one-hot of
        the largest logit (shared among ties), a huge ``T`` the uniform distribution.
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray
        The probabilities, of ``z``'s shape and dtype (float16 is computed in float32,
        integers give float64); each row along ``axis`` sums to 1.

    Raises
    ------
    TypeError
        If ``z`` is not an array of real numbers, ``T`` is not a real number or ``axis`` not
        an int; the message names it.
    ValueError
        If ``z`` is empty or a scalar, contains NaN or ``+inf``, has a row of only ``−inf``
        (the message gives its batch index), ``T`` is not finite and ``> 0`` or outside the
        dtype's range, or ``axis`` is out of range; the message names the argument and quotes
        the value.

    Examples
    --------
    >>> softmax([2.0, 1.0, 0.1], T=0.5).round(6)
    array([0.863777, 0.1169  , 0.019323])
    >>> softmax([0.0, -float("inf"), 0.0])  # a masked class
    array([0.5, 0. , 0.5])
    """
    return _logits("softmax", z, T, axis)


def log_softmax(z: ArrayLike, T: float = 1.0, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Log-softmax: ``log q_i = z_i/T − log Σ_j exp(z_j/T)``.

    Evaluated as ``(z_i − c)/T − log Σ_j exp((z_j − c)/T)``, ``c = max_j z_j`` (derivation
    ``log-softmax-stable-form``), the log of the sum as ``log1p`` of the terms other than the
    largest, so even the largest entry keeps full relative precision. A ``−inf`` logit gives
    ``log q_i = −inf`` (a masked class).

    A PyTorch tensor, or an array of another array-API library (array-api-strict, Dask, JAX,
    CuPy), gives the same kind of array back, on its device; torch tensors that need a
    gradient keep autograd.

    Parameters
    ----------
    z : array_like
        Logits, classes along ``axis``; finite or ``−inf``. Integers are read as float64.
    T : float, default 1.0
        The temperature, ``> 0`` and within the range of ``z``'s dtype (see :func:`softmax`).
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray
        The log-probabilities (``≤ 0``), of ``z``'s shape and dtype (float16 is computed in
        float32, integers give float64).

    Raises
    ------
    TypeError
        If ``z`` is not an array of real numbers, ``T`` is not a real number or ``axis`` not
        an int; the message names it.
    ValueError
        If ``z`` is empty or a scalar, contains NaN or ``+inf``, has a row of only ``−inf``,
        ``T`` is not finite and ``> 0`` or outside the dtype's range, or ``axis`` is out of
        range; the message names the argument and quotes the value.

    Examples
    --------
    >>> log_softmax([1.0, 2.0, 3.0])
    array([-2.40760596, -1.40760596, -0.40760596])
    >>> log_softmax([1000.0, 0.0])  # no overflow; log q_1 = -log1p(e^-1000) rounds to 0
    array([    0., -1000.])
    """
    return _logits("log_softmax", z, T, axis)


def entropy(p: ArrayLike, base: float | None = None, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Entropy ``H(P) = -Σ_i p_i log p_i`` over ``axis``; ``0·log 0 = 0``.

    Each term ``p_i log p_i`` is evaluated directly (it cannot cancel: every term has one
    sign); the result is ``≥ 0`` and never ``-0.0``.

    A PyTorch tensor, or an array of another array-API library (array-api-strict, Dask, JAX,
    CuPy), gives the same kind of array back, on its device; torch tensors that need a
    gradient keep autograd.

    Parameters
    ----------
    p : array_like
        Probability distributions along ``axis``: nonnegative, each summing to 1 (not
        renormalised). Integers and booleans are read as float64.
    base : float, optional
        Base of the logarithm (``2`` for bits); ``None`` (default) is ``e``, nats. Finite,
        ``> 0`` and ``≠ 1``.
    axis : int, default -1
        The class axis; the other axes are a batch, broadcast between the inputs like
        NumPy.

    Returns
    -------
    ndarray
        The entropies, in units of ``base``.
        Shape: the broadcast batch shape (the inputs without ``axis``); dtype: the
        inputs' (float16 is computed in float32, integers give float64).

    Raises
    ------
    TypeError
        If an input is not an array of real numbers (strings, objects, complex numbers), or
        ``axis`` or ``base`` is not a number of the right kind; the message names it.
    ValueError
        If an input is empty or a scalar, contains NaN, ``±inf`` or a negative entry, does not
        sum to 1 along ``axis`` (within ``min(√n·64·eps, 1e-2)`` of its dtype), the inputs'
        shapes do not broadcast or have different numbers of classes, ``axis`` is out of
        range, or ``base`` is not finite, ``> 0`` and ``≠ 1``; the message names the argument
        and quotes the value.

    Examples
    --------
    >>> float(entropy([0.5, 0.5]))  # log 2
    0.6931471805599453
    >>> float(entropy([0.25, 0.25, 0.25, 0.25], base=2))
    2.0
    """
    return _reduce("entropy", ("p",), (p,), base, axis)


def cross_entropy(
    p: ArrayLike, q: ArrayLike, base: float | None = None, axis: int = -1
) -> NDArray[np.floating[Any]]:
    r"""Cross-entropy ``H(P, Q) = -Σ_i p_i log q_i``; ``+inf`` where ``q_i = 0 < p_i``.

    ``0·log q = 0`` where ``p_i = 0`` (``q_i = 0`` included).

    A PyTorch tensor, or an array of another array-API library (array-api-strict, Dask, JAX,
    CuPy), gives the same kind of array back, on its device; torch tensors that need a
    gradient keep autograd.

    Parameters
    ----------
    p : array_like
        Probability distributions along ``axis``: nonnegative, each summing to 1 (not
        renormalised). Integers and booleans are read as float64.
    q : array_like
        Distributions of the same kind as ``p``, broadcast against it.
    base : float, optional
        Base of the logarithm (``2`` for bits); ``None`` (default) is ``e``, nats. Finite,
        ``> 0`` and ``≠ 1``.
    axis : int, default -1
        The class axis; the other axes are a batch, broadcast between the inputs like
        NumPy.

    Returns
    -------
    ndarray
        The cross-entropies, in units of ``base``; ``+inf`` where ``q_i = 0 < p_i``.
        Shape: the broadcast batch shape (the inputs without ``axis``); dtype: the
        inputs' (float16 is computed in float32, integers give float64).

    Raises
    ------
    TypeError
        If an input is not an array of real numbers (strings, objects, complex numbers), or
        ``axis`` or ``base`` is not a number of the right kind; the message names it.
    ValueError
        If an input is empty or a scalar, contains NaN, ``±inf`` or a negative entry, does not
        sum to 1 along ``axis`` (within ``min(√n·64·eps, 1e-2)`` of its dtype), the inputs'
        shapes do not broadcast or have different numbers of classes, ``axis`` is out of
        range, or ``base`` is not finite, ``> 0`` and ``≠ 1``; the message names the argument
        and quotes the value.

    Examples
    --------
    >>> float(cross_entropy([1.0, 0.0], [0.5, 0.5]))  # log 2
    0.6931471805599453
    """
    return _reduce("cross_entropy", ("p", "q"), (p, q), base, axis)


def kl_divergence(
    p: ArrayLike, q: ArrayLike, base: float | None = None, axis: int = -1
) -> NDArray[np.floating[Any]]:
    r"""KL divergence ``D_KL(P ‖ Q) = Σ_i p_i log(p_i/q_i)``.

    Evaluated as ``Σ_i p_i (d_i − log(1 + d_i))`` with ``d_i = (q_i − p_i)/p_i``
    (derivation ``kl-nonnegative-terms``, which uses ``Σp = Σq = 1``): every term is ≥ 0, so
    the result is never negative and keeps full precision when ``Q`` is close to ``P``. ``+inf``
    where ``q_i = 0 < p_i``; ``0`` contribution where ``p_i = 0``.

    A PyTorch tensor, or an array of another array-API library (array-api-strict, Dask, JAX,
    CuPy), gives the same kind of array back, on its device; torch tensors that need a
    gradient keep autograd.

    Parameters
    ----------
    p : array_like
        Probability distributions along ``axis``: nonnegative, each summing to 1 (not
        renormalised). Integers and booleans are read as float64.
    q : array_like
        Distributions of the same kind as ``p``, broadcast against it.
    base : float, optional
        Base of the logarithm (``2`` for bits); ``None`` (default) is ``e``, nats. Finite,
        ``> 0`` and ``≠ 1``.
    axis : int, default -1
        The class axis; the other axes are a batch, broadcast between the inputs like
        NumPy.

    Returns
    -------
    ndarray
        The divergences (``≥ 0``), in units of ``base``; ``+inf`` where ``q_i = 0 < p_i``.
        Shape: the broadcast batch shape (the inputs without ``axis``); dtype: the
        inputs' (float16 is computed in float32, integers give float64).

    Raises
    ------
    TypeError
        If an input is not an array of real numbers (strings, objects, complex numbers), or
        ``axis`` or ``base`` is not a number of the right kind; the message names it.
    ValueError
        If an input is empty or a scalar, contains NaN, ``±inf`` or a negative entry, does not
        sum to 1 along ``axis`` (within ``min(√n·64·eps, 1e-2)`` of its dtype), the inputs'
        shapes do not broadcast or have different numbers of classes, ``axis`` is out of
        range, or ``base`` is not finite, ``> 0`` and ``≠ 1``; the message names the argument
        and quotes the value.

    Examples
    --------
    >>> float(kl_divergence([0.5, 0.5], [0.5, 0.5]))
    0.0
    >>> round(float(kl_divergence([0.5, 0.5], [0.9, 0.1], base=2)), 12)
    0.736965594166
    """
    return _reduce("kl_divergence", ("p", "q"), (p, q), base, axis)


def js_divergence(
    p: ArrayLike, q: ArrayLike, base: float | None = None, axis: int = -1
) -> NDArray[np.floating[Any]]:
    r"""Jensen–Shannon divergence ``½ D_KL(P ‖ M) + ½ D_KL(Q ‖ M)``, ``M = (P + Q)/2``.

    Evaluated in the mixture coordinates (derivation ``jsd-stable-form``) as
    ``½ Σ_i m_i G(t_i)`` with ``m_i = (p_i + q_i)/2``, ``t_i = (q_i − p_i)/(q_i + p_i)`` and
    ``G(t) = (1 + t) log(1 + t) + (1 − t) log(1 − t) = Σ_{k≥1} t^(2k)/(k(2k − 1)) ≥ 0``: one
    nonnegative term per class, a series of positive terms when ``p ≈ q``. Between 0 and
    ``log 2`` (derivation ``jsd-bounds``), clipped there against rounding.

    A PyTorch tensor, or an array of another array-API library (array-api-strict, Dask, JAX,
    CuPy), gives the same kind of array back, on its device; torch tensors that need a
    gradient keep autograd.

    Parameters
    ----------
    p : array_like
        Probability distributions along ``axis``: nonnegative, each summing to 1 (not
        renormalised). Integers and booleans are read as float64.
    q : array_like
        Distributions of the same kind as ``p``, broadcast against it.
    base : float, optional
        Base of the logarithm (``2`` for bits); ``None`` (default) is ``e``, nats. Finite,
        ``> 0`` and ``≠ 1``.
    axis : int, default -1
        The class axis; the other axes are a batch, broadcast between the inputs like
        NumPy.

    Returns
    -------
    ndarray
        The divergences, in ``[0, log 2]`` in units of ``base`` (``[0, 1]`` in bits).
        Shape: the broadcast batch shape (the inputs without ``axis``); dtype: the
        inputs' (float16 is computed in float32, integers give float64).

    Raises
    ------
    TypeError
        If an input is not an array of real numbers (strings, objects, complex numbers), or
        ``axis`` or ``base`` is not a number of the right kind; the message names it.
    ValueError
        If an input is empty or a scalar, contains NaN, ``±inf`` or a negative entry, does not
        sum to 1 along ``axis`` (within ``min(√n·64·eps, 1e-2)`` of its dtype), the inputs'
        shapes do not broadcast or have different numbers of classes, ``axis`` is out of
        range, or ``base`` is not finite, ``> 0`` and ``≠ 1``; the message names the argument
        and quotes the value.

    Examples
    --------
    >>> float(js_divergence([1.0, 0.0], [0.0, 1.0], base=2))
    1.0
    """
    return _reduce("js_divergence", ("p", "q"), (p, q), base, axis, clip=_jsd_bounds)


def js_distance(
    p: ArrayLike, q: ArrayLike, base: float | None = None, axis: int = -1
) -> NDArray[np.floating[Any]]:
    r"""Jensen–Shannon distance ``√JSD(P ‖ Q)``, SciPy's ``jensenshannon``.

    The square root of :func:`js_divergence` (a metric), without SciPy's renormalisation of
    the inputs and on the last axis by default instead of axis 0.

    A PyTorch tensor, or an array of another array-API library (array-api-strict, Dask, JAX,
    CuPy), gives the same kind of array back, on its device; torch tensors that need a
    gradient keep autograd.

    Parameters
    ----------
    p : array_like
        Probability distributions along ``axis``: nonnegative, each summing to 1 (not
        renormalised). Integers and booleans are read as float64.
    q : array_like
        Distributions of the same kind as ``p``, broadcast against it.
    base : float, optional
        Base of the logarithm (``2`` for bits); ``None`` (default) is ``e``, nats. Finite,
        ``> 0`` and ``≠ 1``.
    axis : int, default -1
        The class axis; the other axes are a batch, broadcast between the inputs like
        NumPy.

    Returns
    -------
    ndarray
        The distances, in ``[0, √(log 2)]`` in units of ``base`` (``[0, 1]`` in bits).
        Shape: the broadcast batch shape (the inputs without ``axis``); dtype: the
        inputs' (float16 is computed in float32, integers give float64).

    Raises
    ------
    TypeError
        If an input is not an array of real numbers (strings, objects, complex numbers), or
        ``axis`` or ``base`` is not a number of the right kind; the message names it.
    ValueError
        If an input is empty or a scalar, contains NaN, ``±inf`` or a negative entry, does not
        sum to 1 along ``axis`` (within ``min(√n·64·eps, 1e-2)`` of its dtype), the inputs'
        shapes do not broadcast or have different numbers of classes, ``axis`` is out of
        range, or ``base`` is not finite, ``> 0`` and ``≠ 1``; the message names the argument
        and quotes the value. Here ``base`` must also be ``> 1`` (below 1 the divergence is
        ``≤ 0`` and has no square root).

    Examples
    --------
    >>> round(float(js_distance([1.0, 0.0], [0.0, 1.0], base=2)), 15)
    1.0
    """
    return _reduce(
        "js_distance", ("p", "q"), (p, q), base, axis, additive=False, clip=_jsdist_bounds
    )


def nll(
    q: ArrayLike, labels: ArrayLike, base: float | None = None, axis: int = -1
) -> NDArray[np.floating[Any]]:
    r"""Negative log-likelihood ``-log q_y`` of each distribution ``q`` at its label ``y``.

    The entry of ``q`` at each label, then ``-log`` of it (divided by ``log base``); ``+inf``
    where ``q_y = 0``. The rows of ``q`` are checked to be distributions like the inputs of
    :func:`cross_entropy` (whose one-hot case this is).

    A PyTorch tensor, or an array of another array-API library (array-api-strict, Dask, JAX,
    CuPy), gives the same kind of array back, on its device; torch tensors that need a
    gradient keep autograd.

    Parameters
    ----------
    q : array_like
        Probability distributions along ``axis`` (nonnegative, summing to 1).
    labels : array_like
        0-based class indices (integers, or floats with integral values), broadcast against
        the batch shape of ``q`` (``q`` without ``axis``).
    base : float, optional
        Base of the logarithm (``2`` for bits); ``None`` (default) is ``e``, nats. Finite,
        ``> 0`` and ``≠ 1``.
    axis : int, default -1
        The class axis of ``q``.

    Returns
    -------
    ndarray
        ``-log q_y`` in units of ``base``, of the batch shape, in ``q``'s dtype (float16 is
        computed in float32, integers give float64); ``+inf`` where ``q_y = 0``.

    Raises
    ------
    TypeError
        If ``q`` is not an array of real numbers, or ``labels`` are not integers (booleans,
        strings), or ``axis``/``base`` are of the wrong kind; the message names it.
    ValueError
        If ``q`` is empty, a scalar, has NaN, ``±inf`` or negative entries or rows not summing
        to 1; if a label is not integral or lies outside ``0..n−1``; if ``labels`` do not
        broadcast to the batch shape; if ``axis`` is out of range or ``base`` not finite,
        ``> 0`` and ``≠ 1``. The message names the argument and quotes the value.

    Examples
    --------
    >>> nll([[0.25, 0.75], [0.5, 0.5]], [1, 0], base=2).round(6)
    array([0.415037, 1.      ])
    """
    xp = foreign_namespace(q, labels)
    if xp is not None:
        views = torch_route.numpy_views((q, labels))
        if views is not None:
            return torch_route.to_torch(nll(views[0], views[1], base, axis))  # type: ignore[no-any-return]
        from divsym.numeric import xp_path

        return xp_path.nll(xp, q, labels, base, axis)  # type: ignore[no-any-return]
    logb = log_base(base)
    original = as_float_array("q", q)
    ax = check_axis("q", original, axis)
    array = _work(original)
    moved = np.moveaxis(array, ax, -1)
    classes = moved.shape[-1]
    label_values = np.asarray(labels) if not isinstance(labels, (str, bytes)) else labels
    try:
        batch = np.broadcast_shapes(moved.shape[:-1], np.shape(label_values))
    except ValueError:
        raise ValueError(
            f"labels of shape {np.shape(label_values)} do not broadcast to the batch shape "
            f"{moved.shape[:-1]} of q"
        ) from None
    label_rows = as_labels(label_values, batch, classes).reshape(-1)
    rows = np.broadcast_to(moved, (*batch, classes)).reshape(-1, classes)
    tolerance = normalised_tolerance(original.dtype, classes)

    def diagnose() -> None:
        as_probabilities("q", original, ax)

    if rows.size <= SMALL:  # one block: no row-block driver (per-call overhead)
        with np.errstate(all="ignore"):  # an overflowing sum is the ValueError, not a warning
            if not probabilities_ok(rows, tolerance):
                diagnose()
                raise RuntimeError("q failed validation but no bad value was found")
            small = _NUMPY["nll"](rows, label_rows, logb, -1)[:, 0]
        return _finish(small.reshape(batch), original.dtype)
    with np.errstate(all="ignore"):
        out = run_rows(
            _NUMPY["nll"],
            [rows],
            [logb],
            reduced=True,
            dtype=array.dtype,
            check=lambda blocks: probabilities_ok(blocks[0], tolerance),
            diagnose=diagnose,
            row_extra=[label_rows],
        )
    return _finish(out.reshape(batch), original.dtype)
