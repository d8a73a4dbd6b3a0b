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

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from divsym.numeric import _generated
from divsym.numeric.blocks import from_rows, run_rows, to_rows
from divsym.numeric.validation import (
    as_float_array,
    as_labels,
    as_probabilities,
    check_axis,
    check_logits,
    log_base,
    logits_ok,
    normalised_tolerance,
    positive_scalar,
    probabilities_ok,
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


def _numpy(name: str) -> Callable[..., Any]:
    """The generated function ``name`` bound to NumPy and its kernels: ``f(*arrays, *extra,
    axis)``, what :func:`~divsym.numeric.blocks.run_rows` calls on each block."""
    return partial(_generated.FUNCTIONS[name], np, NUMPY_KERNELS)


_softmax = _numpy("softmax")
_log_softmax = _numpy("log_softmax")
_entropy = _numpy("entropy")
_cross_entropy = _numpy("cross_entropy")
_nll = _numpy("nll")
_kl_divergence = _numpy("kl_divergence")
_js_divergence = _numpy("js_divergence")
_js_distance = _numpy("js_distance")


def _logits(function: Any, z: ArrayLike, T: float, axis: int) -> NDArray[np.floating[Any]]:
    array = as_float_array("z", z)
    ax = check_axis("z", array, axis)
    temperature = positive_scalar("T", T)
    rows = to_rows(array, ax)
    with np.errstate(all="ignore"):
        out = run_rows(
            function,
            [rows],
            [temperature],
            reduced=False,
            dtype=array.dtype,
            check=lambda blocks: logits_ok(blocks[0]),
            diagnose=lambda: check_logits("z", array),
        )
    return from_rows(out, _batch(array, ax), ax, False)


def _batch(array: NDArray[Any], axis: int) -> tuple[int, ...]:
    return tuple(s for k, s in enumerate(array.shape) if k != axis)


def _distributions(
    names: Sequence[str], values: Sequence[ArrayLike], axis: int
) -> tuple[list[NDArray[Any]], int, tuple[int, ...], np.dtype[Any], list[NDArray[Any]]]:
    """Broadcast distributions; the class axis must have the same length in each."""
    arrays = [as_float_array(name, value) for name, value in zip(names, values, strict=True)]
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
    rows = [to_rows(np.broadcast_to(a.astype(dtype, copy=False), shape), ax) for a in arrays]
    return rows, ax, tuple(s for k, s in enumerate(shape) if k != ax), dtype, arrays


def _reduce(
    function: Any,
    names: Sequence[str],
    values: Sequence[ArrayLike],
    base: Any,
    axis: int,
    additive: bool = True,
) -> NDArray[np.floating[Any]]:
    logb = log_base(base)
    rows, ax, batch, dtype, originals = _distributions(names, values, axis)
    # Each input's own dtype sets its tolerance (a float32 q stays float32-normalised).
    tolerances = [normalised_tolerance(o.dtype, rows[0].shape[-1]) for o in originals]

    def diagnose() -> None:
        for name, original in zip(names, originals, strict=True):
            as_probabilities(name, original, ax - len(batch) - 1)

    with np.errstate(all="ignore"):
        out = run_rows(
            function,
            rows,
            [logb],
            reduced=True,
            dtype=dtype,
            check=lambda blocks: all(
                probabilities_ok(b, t) for b, t in zip(blocks, tolerances, strict=True)
            ),
            diagnose=diagnose,
            additive=additive,
        )
    return from_rows(out, batch, ax, True)


def softmax(z: ArrayLike, T: float = 1.0, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Softmax with temperature, lecture eq. (1): ``q_i = exp(z_i/T) / Σ_j exp(z_j/T)``.

    Evaluated as ``exp((z_i − c)/T) / Σ_j exp((z_j − c)/T)`` with ``c = max_j z_j``
    (derivation ``softmax-stable-form``): the shift comes before the division by ``T``, so no
    ``exp`` overflows for any logits and temperature. Logits must be finite; ``T`` finite > 0.

    >>> softmax([2.0, 1.0, 0.1], T=0.5).round(6)
    array([0.863777, 0.1169  , 0.019323])
    """
    return _logits(_softmax, z, T, axis)


def log_softmax(z: ArrayLike, T: float = 1.0, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Log-softmax: ``log q_i = z_i/T − log Σ_j exp(z_j/T)``.

    Evaluated as ``(z_i − c)/T − log Σ_j exp((z_j − c)/T)``, ``c = max_j z_j`` (derivation
    ``log-softmax-stable-form``), the log of the sum as ``log1p`` of the terms other than the
    largest, so even the largest entry keeps full relative precision.

    >>> log_softmax([1.0, 2.0, 3.0])
    array([-2.40760596, -1.40760596, -0.40760596])
    >>> log_softmax([1000.0, 0.0])  # no overflow; log q_1 = -log1p(e^-1000) rounds to 0
    array([    0., -1000.])
    """
    return _logits(_log_softmax, z, T, axis)


def entropy(p: ArrayLike, base: float | None = None, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Entropy ``H(P) = -Σ_i p_i log p_i`` over ``axis``; ``0·log 0 = 0``.

    >>> float(entropy([0.5, 0.5]))  # log 2
    0.6931471805599453
    >>> float(entropy([0.25, 0.25, 0.25, 0.25], base=2))
    2.0
    """
    return _reduce(_entropy, ("p",), (p,), base, axis)


def cross_entropy(
    p: ArrayLike, q: ArrayLike, base: float | None = None, axis: int = -1
) -> NDArray[np.floating[Any]]:
    r"""Cross-entropy ``H(P, Q) = -Σ_i p_i log q_i``; ``+inf`` where ``q_i = 0 < p_i``.

    >>> float(cross_entropy([1.0, 0.0], [0.5, 0.5]))  # log 2
    0.6931471805599453
    """
    return _reduce(_cross_entropy, ("p", "q"), (p, q), base, axis)


def kl_divergence(
    p: ArrayLike, q: ArrayLike, base: float | None = None, axis: int = -1
) -> NDArray[np.floating[Any]]:
    r"""KL divergence ``D_KL(P ‖ Q) = Σ_i p_i log(p_i/q_i)``.

    Evaluated as ``Σ_i p_i (d_i − log(1 + d_i))`` with ``d_i = (q_i − p_i)/p_i``
    (derivation ``kl-nonnegative-terms``, which uses ``Σp = Σq = 1``): every term is ≥ 0, so
    the result is never negative and keeps full precision when ``Q`` is close to ``P``. ``+inf``
    where ``q_i = 0 < p_i``; ``0`` contribution where ``p_i = 0``.

    >>> float(kl_divergence([0.5, 0.5], [0.5, 0.5]))
    0.0
    >>> round(float(kl_divergence([0.5, 0.5], [0.9, 0.1], base=2)), 12)
    0.736965594166
    """
    return _reduce(_kl_divergence, ("p", "q"), (p, q), base, axis)


def js_divergence(
    p: ArrayLike, q: ArrayLike, base: float | None = None, axis: int = -1
) -> NDArray[np.floating[Any]]:
    r"""Jensen–Shannon divergence ``½ D_KL(P ‖ M) + ½ D_KL(Q ‖ M)``, ``M = (P + Q)/2``.

    Evaluated in ``p`` and ``q`` directly (derivation ``jsd-stable-form``) as
    ``½ Σ_i [p_i (d_i − log(1 + d_i)) + q_i (e_i − log(1 + e_i))]`` with
    ``d_i = (q_i − p_i)/(2p_i)``, ``e_i = (p_i − q_i)/(2q_i)``. Between 0 and ``log 2``.

    >>> float(js_divergence([1.0, 0.0], [0.0, 1.0], base=2))
    1.0
    """
    return _reduce(_js_divergence, ("p", "q"), (p, q), base, axis)


def js_distance(
    p: ArrayLike, q: ArrayLike, base: float | None = None, axis: int = -1
) -> NDArray[np.floating[Any]]:
    r"""Jensen–Shannon distance ``√JSD(P ‖ Q)``, SciPy's ``jensenshannon`` (without its
    renormalisation, on the last axis by default instead of axis 0).

    >>> round(float(js_distance([1.0, 0.0], [0.0, 1.0], base=2)), 15)
    1.0
    """
    return _reduce(_js_distance, ("p", "q"), (p, q), base, axis, additive=False)


def nll(
    q: ArrayLike, labels: ArrayLike, base: float | None = None, axis: int = -1
) -> NDArray[np.floating[Any]]:
    r"""Negative log-likelihood ``-log q_y`` of each distribution ``q`` at its label ``y``.

    ``labels`` are 0-based class indices (integers, or floats with integral values), broadcast
    against the batch shape of ``q`` (``q`` without ``axis``); ``+inf`` where ``q_y = 0``.

    >>> nll([[0.25, 0.75], [0.5, 0.5]], [1, 0], base=2).round(6)
    array([0.415037, 1.      ])
    """
    logb = log_base(base)
    array = as_float_array("q", q)
    ax = check_axis("q", array, axis)
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
    tolerance = normalised_tolerance(array.dtype, classes)

    def diagnose() -> None:
        as_probabilities("q", array, ax)

    with np.errstate(all="ignore"):
        out = run_rows(
            _nll,
            [rows],
            [logb],
            reduced=True,
            dtype=array.dtype,
            check=lambda blocks: probabilities_ok(blocks[0], tolerance),
            diagnose=diagnose,
            row_extra=[label_rows],
        )
    return out.reshape(batch)
