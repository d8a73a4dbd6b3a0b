"""Knowledge distillation (Hinton, Vinyals & Dean, 2015): the loss, its gradient, and the
hard-label cross-entropy from logits.

Nothing here is a formula written by hand: every value is a function that ``divsym build``
generated into :mod:`divsym.numeric._generated` (see ``divsym.codegen.forms``):

- the soft loss in the KL form is ``kl_logits``, the last line of ``kl-logit-stable-form``:
  ``Σ_i p_i (e^{d_i} − 1 − d_i)`` with ``d_i = log q_i − log p_i`` formed from the scaled
  logit differences ``(s_i − t_i)/T`` (never from the two probability vectors, never as
  CE − H), so it is exact to rounding when student and teacher are close; rows where the
  teacher's probability is 0 somewhere take the nonnegative-terms KL of both softmaxes;
- the soft loss in the CE form is ``soft_cross_entropy_logits``, ``−Σ_i p_i log q_i`` with
  ``log q_i`` the proved stable log-softmax of the student's logits (every term ≥ 0);
- the gradient with respect to the student's logits is ``soft_target_gradient_logits``, the
  last line of ``soft-gradient-logit-form`` (``(q_k − p_k)/T`` formed from the scaled logit
  differences, exact to rounding for close logits), or ``T²`` times it; rows where the
  teacher's probability is 0 somewhere take ``soft_target_gradient``, the last line
  ``(q_k − p_k)/T`` of ``distillation-gradient`` (``T (q_k − p_k)`` of
  ``distillation-temperature-squared`` with ``T²``); the hard-label part is the same
  derivation at ``T = 1`` with one-hot targets, ``q_k − δ_ky`` (``hard-label-gradient``);
- the hard-label loss is ``cross_entropy_logits``, ``−log q_y`` with the stable log-softmax.

Conventions (each tested):

- ``loss = alpha · S + (1 − alpha) · H`` where ``S`` is the soft loss (times ``T²`` unless
  ``temperature_squared=False``) and ``H`` the hard-label cross-entropy at ``T = 1``:
  **alpha weights the soft loss**. This is the paper's "weighted average of two objective
  functions" with the soft one multiplied by ``T²``. Without ``labels`` the loss is ``S``
  alone (alpha must then be None or 1); with labels the default alpha is 0.9 (the paper
  puts "a considerably lower weight" on the hard targets).
- The soft loss is ``KL(softmax(t/T) ‖ softmax(s/T))`` per row (``form="kl"``, default) or the
  cross-entropy ``−Σ softmax(t/T) log softmax(s/T)`` (``form="ce"``): they differ by the
  teacher's entropy ``H(p)`` in value, not in gradient.
- ``reduction="batchmean"`` (default) divides the sum over rows by the number of rows — for a
  2-D batch PyTorch's ``kl_div(..., reduction="batchmean")``, which divides by ``input.size(0)``;
  a 1-D input is one row (PyTorch would divide by the number of classes). ``"sum"`` sums the
  rows; ``"none"`` returns one loss per row.
- Labels are 0-based class indices, one per row. Classes lie along the last axis.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from divsym.numeric import _generated
from divsym.numeric.blocks import from_rows, run_rows, to_rows
from divsym.numeric.functions import foreign_namespace, kl_divergence, log_softmax, softmax
from divsym.numeric.kernels import prime_allocator
from divsym.numeric.validation import (
    as_float_array,
    as_labels,
    check_logits,
    logits_ok,
    positive_scalar,
)
from divsym.numeric.xp_kernels import NUMPY_KERNELS, XpKernels

__all__ = [
    "DEFAULT_ALPHA",
    "cross_entropy_from_logits",
    "distillation_loss",
    "distillation_loss_grad",
]

#: The weight of the soft loss when labels are given and alpha is not.
DEFAULT_ALPHA = 0.9
_FORMS = ("kl", "ce")
_REDUCTIONS = ("batchmean", "sum", "none")
_CE_REDUCTIONS = ("mean", "sum", "none")


_F = TypeVar("_F", bound=Callable[..., Any])


def _quiet(function: _F) -> _F:
    """Run ``function`` with NumPy's floating-point warnings off: the generated bodies meet
    ``inf`` on purpose (a masked class, an overflowing shift of ±1e308 logits that the stable
    form absorbs), and a bad input is a ValueError, never a RuntimeWarning beside it."""

    @functools.wraps(function)
    def quiet(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return function(*args, **kwargs)

    return quiet  # type: ignore[return-value]


def _namespace(*values: Any) -> tuple[Any, Any]:
    """``(xp, kernels)``: NumPy's unless some value is an array of another array-API library
    (arrays of two other libraries: the TypeError of
    :func:`~divsym.numeric.functions.foreign_namespace`)."""
    xp = foreign_namespace(*values)
    return (np, NUMPY_KERNELS) if xp is None else (xp, XpKernels(xp))


def _host(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x.detach().cpu()) if hasattr(x, "detach") else np.asarray(x)


def _logits(xp: Any, name: str, value: Any) -> Any:
    """``value`` as a floating array of ``xp`` with a class axis (NumPy: validated here)."""
    if xp is np:
        return as_float_array(name, value)
    if not hasattr(value, "shape"):
        value = xp.asarray(as_float_array(name, value))
    if value.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the classes), got a scalar")
    if not xp.isdtype(value.dtype, "real floating"):
        value = xp.astype(value, xp.float64)
    return value


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value


def _alpha(alpha: Any, labels: Any) -> float:
    """The weight of the soft loss (see the module's conventions)."""
    if alpha is None:
        return 1.0 if labels is None else DEFAULT_ALPHA
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a real number in [0, 1], got {alpha!r}")
    value = float(alpha)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1] (the weight of the soft loss), got {alpha!r}")
    if labels is None and value != 1.0:
        raise ValueError(
            f"alpha={alpha!r} weights the soft loss against the hard-label loss, which needs "
            "labels; give labels or leave alpha at None"
        )
    return value


def _prepared(
    student_logits: Any, teacher_logits: Any, T: Any, labels: Any, alpha: Any
) -> tuple[Any, Any, Any, Any, float, float, Any]:
    """Validated ``(xp, kernels, s, t, T, alpha, labels)``; softmax checks NaN/+inf/all −inf."""
    xp, kernels = _namespace(student_logits, teacher_logits, labels)
    if xp is np:
        prime_allocator()  # the temporaries of a batch from the heap: no page faults per call
    s = _logits(xp, "student_logits", student_logits)
    t = _logits(xp, "teacher_logits", teacher_logits)
    if tuple(s.shape) != tuple(t.shape):
        raise ValueError(
            f"student_logits of shape {tuple(s.shape)} and teacher_logits of shape "
            f"{tuple(t.shape)} must have the same shape"
        )
    _check_rows(xp, s, "student_logits")
    _check_rows(xp, t, "teacher_logits")
    temperature = positive_scalar("T", T)
    weight = _alpha(alpha, labels)
    label_array = None if labels is None else _labels(xp, labels, s)
    return xp, kernels, s, t, temperature, weight, label_array


def _labels(xp: Any, labels: Any, logits: Any) -> Any:
    batch, classes = tuple(logits.shape[:-1]), logits.shape[-1]
    values = (
        _host(labels) if hasattr(labels, "shape") and not isinstance(labels, np.ndarray) else labels
    )
    if isinstance(values, np.ndarray) and values.shape != batch and values.size == 1 and not batch:
        values = values.reshape(())
    checked = as_labels(values, batch, classes)
    if tuple(np.shape(values)) != batch:
        raise ValueError(
            f"labels must have one entry per row, the batch shape {batch}, got shape "
            f"{tuple(np.shape(values))}"
        )
    return checked if xp is np else xp.asarray(np.array(checked))


def _reduce(xp: Any, rows: Any, reduction: str, mean: bool) -> Any:
    if reduction == "none":
        return rows
    total = xp.sum(rows)
    count = math.prod(rows.shape) if rows.ndim else 1
    return total / count if mean else total


def _check_masks(xp: Any, s: Any, p: Any) -> None:
    """A student logit of −inf where the teacher's probability is > 0 makes the loss +inf and
    its gradient meaningless: refused, naming the row and class."""
    if bool(xp.all(xp.isfinite(s))):
        return
    bad = (s == -math.inf) & (p > 0)
    if bool(xp.any(bad)):
        where = tuple(int(k) for k in np.argwhere(_host(bad))[0])
        raise ValueError(
            f"student_logits is -inf (a masked class) at index {where} where the teacher's "
            f"probability is {float(_host(p)[where])!r} > 0: the loss would be +inf; mask the "
            "same classes in teacher_logits"
        )


#: The largest T for which the loss with ``T²`` is computed: the soft KL is about
#: ``Var(s − t)/(2nT²)``, which float64 holds to full precision down to ~1e-292 (normal
#: numbers with room for the variance), so up to T = 1e100 for logit differences down to
#: 1e-40; beyond it ``T²·KL`` would come back as 0 or a subnormal without its digits.
_LARGEST_SCALED_T = 1e100


def _check_rows(xp: Any, x: Any, name: str) -> None:
    """NaN, ``+inf`` or a row of ``−inf`` in the logits ``name``: a ValueError naming them.

    One reduction (every row's largest logit finite) on the fast path; the message from
    :func:`~divsym.numeric.validation.check_logits`.
    """
    if not bool(xp.all(xp.isfinite(xp.max(x, axis=-1)))):
        check_logits(name, _host(x))


def _flag(name: str, value: Any) -> bool:
    """A bool argument, or a TypeError naming it (``"yes"`` is not True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _generated_in_blocks(
    name: str, s: Any, t: Any, p: Any, T: float, *, reduced: bool
) -> np.ndarray[Any, Any]:
    """The generated ``name(z=s, v=t, p, T)`` over row blocks that stay in cache (NumPy):
    block-sized temporaries are recycled instead of faulted in on every call (2-D (256, 1000):
    3000 page faults per call at once), and each block's student logits are checked there."""
    function = _generated.FUNCTIONS[name]
    rows = [to_rows(a, -1) for a in (s, t, p)]

    def call(*args: Any) -> Any:
        with np.errstate(over="ignore", invalid="ignore"):
            return function(np, NUMPY_KERNELS, *args)

    out = run_rows(
        call,
        rows,
        (T,),
        reduced=reduced,
        dtype=np.dtype(np.float64),
        check=lambda blocks: logits_ok(blocks[0]),
        diagnose=lambda: check_logits("student_logits", s),
    )
    return from_rows(out, tuple(s.shape[:-1]), -1, reduced)


def _lost_mass(xp: Any, s: Any, t: Any, p: Any, T: float) -> Any:
    """The classes the logit-space forms cannot weigh: the teacher's ``p`` is 0 there (masked,
    or underflowed) while the student's probability is not, or a logit is masked.

    A class where both probabilities are 0 in float64 (both underflowed: teacher and student
    logits far below the rest, as ``t = [0, 1, −800]`` at ``T = 1``) contributes
    ``q_k − p_k − p_k d_k`` below ~1e-320 to the KL and to ``q − p``: the logit form, which
    gives it 0, stays exact to rounding there, where the probability form would lose the
    digits that close student and teacher logits share (2.5e-7 relative on that example).
    """
    empty = p == 0
    if not bool(xp.any(empty)):
        return empty
    q = softmax(s, T)
    return empty & ((q > 0) | ~xp.isfinite(s) | ~xp.isfinite(t))


def _kl_rows(xp: Any, kernels: Any, s: Any, t: Any, p: Any, T: float) -> Any:
    """``KL(softmax(t/T) ‖ softmax(s/T))`` per row from the logits: the generated last line of
    ``kl-logit-stable-form`` (exact to rounding for close logits).

    That form weighs each class by the teacher's ``p``; a row where some ``p`` is 0 while the
    student's probability there is not (or where a logit is masked) would lose the student's
    mass there, so such rows (and any row the logit form cannot evaluate) take the
    probability form :func:`~divsym.numeric.functions.kl_divergence` of both softmaxes
    instead. See :func:`_lost_mass`.
    """
    empty = _lost_mass(xp, s, t, p, T)
    if bool(xp.any(empty)):
        row_empty = xp.any(empty, axis=-1, keepdims=True)
        zero = xp.zeros_like(s)
        s_safe, t_safe = xp.where(row_empty, zero, s), xp.where(row_empty, zero, t)
    else:
        row_empty, s_safe, t_safe = None, s, t
    if xp is np:
        rows = _generated_in_blocks("kl_logits", s_safe, t_safe, p, T, reduced=True)
    else:
        rows = xp.squeeze(
            _generated.FUNCTIONS["kl_logits"](xp, kernels, s_safe, t_safe, p, T, -1), axis=-1
        )
    if xp is np and rows.dtype != p.dtype:
        rows = rows.astype(p.dtype)
    unfinished = ~xp.isfinite(rows)
    fallback = unfinished if row_empty is None else unfinished | xp.squeeze(row_empty, axis=-1)
    if not bool(xp.any(fallback)):
        return rows
    if xp is not np and bool(xp.any(unfinished)):
        # The logit form again with those rows zeroed: autograd through the branch that
        # where() discards would turn its inf into NaN gradients (found by the outside breaker).
        keep = xp.expand_dims(fallback, axis=-1)
        zero = xp.zeros_like(s)
        with np.errstate(over="ignore", invalid="ignore"):
            rows = xp.squeeze(
                _generated.FUNCTIONS["kl_logits"](
                    xp, kernels, xp.where(keep, zero, s), xp.where(keep, zero, t), p, T, -1
                ),
                axis=-1,
            )
    return xp.where(fallback, kl_divergence(p, softmax(s, T)), rows)


def _soft_gradient(
    xp: Any, kernels: Any, s: Any, t: Any, p: Any, T: float, temperature_squared: bool
) -> Any:
    """``(q − p)/T`` (or ``T (q − p)``) from the logits: the generated last line of
    ``soft-gradient-logit-form``; rows where the teacher's probability is 0 somewhere take the
    last line of ``distillation-gradient`` (``distillation-temperature-squared``) instead."""
    suffix = "_scaled" if temperature_squared else ""
    empty = _lost_mass(xp, s, t, p, T)
    if not bool(xp.any(empty)):
        if xp is np:
            grad = _generated_in_blocks(
                f"soft_target_gradient_logits{suffix}", s, t, p, T, reduced=False
            ).astype(p.dtype, copy=False)
        else:
            grad = _generated.FUNCTIONS[f"soft_target_gradient_logits{suffix}"](
                xp, kernels, s, t, p, T, -1
            )
        if bool(xp.all(xp.isfinite(grad))):
            return grad
        row_empty = ~xp.all(xp.isfinite(grad), axis=-1, keepdims=True)
    else:
        row_empty = xp.any(empty, axis=-1, keepdims=True)
    zero = xp.zeros_like(s)
    with np.errstate(over="ignore", invalid="ignore"):
        logit = _generated.FUNCTIONS[f"soft_target_gradient_logits{suffix}"](
            xp, kernels, xp.where(row_empty, zero, s), xp.where(row_empty, zero, t), p, T, -1
        )
    # Any other row the logit form cannot evaluate (a class with e^(δ − m) = inf at p = 0)
    # falls back too, as in the first branch: a masked row beside it gave NaN there.
    row_empty = row_empty | ~xp.all(xp.isfinite(logit), axis=-1, keepdims=True)
    name = "soft_target_gradient_scaled" if temperature_squared else "soft_target_gradient"
    return xp.where(row_empty, _generated.FUNCTIONS[name](xp, kernels, s, p, T, -1), logit)


def _soft_rows(xp: Any, kernels: Any, s: Any, t: Any, T: float, form: str) -> tuple[Any, Any]:
    """``(soft loss per row, teacher probabilities p)`` of the student logits ``s``."""
    p = softmax(t, T)
    _check_masks(xp, s, p)
    if form == "kl":
        return _kl_rows(xp, kernels, s, t, p, T), p
    with np.errstate(invalid="ignore"):  # 0 · (−inf) at a masked class: NaN, replaced below
        rows = _generated.FUNCTIONS["soft_cross_entropy_logits"](xp, kernels, s, p, T, -1)
    rows = xp.squeeze(rows, axis=-1)
    if bool(xp.any(xp.isnan(rows))):  # 0 · (−inf) at a class masked in both: H(p) + KL
        from divsym.numeric.functions import entropy

        rows = xp.where(xp.isnan(rows), entropy(p) + kl_divergence(p, softmax(s, T)), rows)
    return rows, p


@_quiet
def distillation_loss(
    student_logits: ArrayLike,
    teacher_logits: ArrayLike,
    T: float,
    labels: ArrayLike | None = None,
    alpha: float | None = None,
    *,
    form: str = "kl",
    temperature_squared: bool = True,
    reduction: str = "batchmean",
) -> Any:
    r"""The distillation loss ``alpha · T² · KL(softmax(t/T) ‖ softmax(s/T)) + (1 − alpha) · CE``.

    ``student_logits`` ``s`` and ``teacher_logits`` ``t`` have the same shape, classes along the
    last axis; ``labels`` (optional) are 0-based, one per row, for the hard-label
    cross-entropy at ``T = 1``. ``alpha`` weights the soft loss (default: 1 without labels,
    0.9 with them). ``form="ce"`` uses the soft cross-entropy instead of KL (larger by the
    teacher's entropy ``H(p)``, same gradient). ``temperature_squared=False`` drops the ``T²``.
    ``reduction``: ``"batchmean"`` (sum over rows / number of rows, as PyTorch's
    ``kl_div(..., reduction="batchmean")`` on a 2-D batch), ``"sum"`` or ``"none"``.

    NumPy arrays and lists give NumPy results; PyTorch (and other array-API) tensors are
    computed in their own library, so autograd through this function gives
    :func:`distillation_loss_grad`. The soft KL is evaluated from the scaled logit
    differences (derivation ``kl-logit-stable-form``), so close student and teacher logits
    keep full precision.

    Parameters
    ----------
    student_logits : array_like or array-API array
        The student's logits ``s``, classes along the last axis (a 1-D input is one row).
        Finite or ``−inf`` (a masked class); not every entry of a row ``−inf``.
    teacher_logits : array_like or array-API array
        The teacher's logits ``t``, the same shape as ``student_logits``.
    T : float
        The temperature, finite and ``> 0``.
    labels : array_like of int, optional
        0-based class labels, one per row, for the hard-label cross-entropy at ``T = 1``.
    alpha : float, optional
        Weight of the soft loss, in ``[0, 1]``. Default: 1 without labels (where only None or 1
        is allowed), 0.9 with them.
    form : {"kl", "ce"}
        The soft loss as ``KL(p ‖ q)`` (default) or as the soft cross-entropy ``−Σ p log q``,
        which is larger by the teacher's entropy ``H(p)`` and has the same gradient.
    temperature_squared : bool
        Multiply the soft loss by ``T²`` (default True, as the paper recommends).
    reduction : {"batchmean", "sum", "none"}
        ``"batchmean"`` (default): the sum over rows divided by the number of rows;
        ``"sum"``; ``"none"``: one value per row.

    Returns
    -------
    array
        The loss: a 0-d array for ``"batchmean"`` and ``"sum"``, one value per row for
        ``"none"``; the same kind of array as the logits.

    Raises
    ------
    ValueError
        ``T ≤ 0`` or not finite (for the loss with ``T²``: ``T > 1e100``, where its KL
        would underflow), ``alpha`` outside ``[0, 1]`` (or given without labels),
        shapes that differ, labels out of range or not one per row, NaN or ``+inf`` logits, a
        row of ``−inf``, a student class masked where the teacher gives it probability, an
        unknown ``form`` or ``reduction``; the message names the argument and the value.
    TypeError
        Non-numeric logits or labels, a ``T``/``alpha`` that is not a real number, or a
        ``temperature_squared`` that is not a bool.

    Examples
    --------
    >>> float(distillation_loss([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]], T=4.0))
    0.0
    """
    form = _choice("form", form, _FORMS)
    reduction = _choice("reduction", reduction, _REDUCTIONS)
    temperature_squared = _flag("temperature_squared", temperature_squared)
    xp, kernels, s, t, temperature, weight, label_array = _prepared(
        student_logits, teacher_logits, T, labels, alpha
    )
    rows: Any = None
    if weight > 0:
        if temperature_squared and temperature > _LARGEST_SCALED_T:
            raise ValueError(
                f"T must be at most {_LARGEST_SCALED_T:g} with temperature_squared=True, got "
                f"{T!r}: T²·KL is formed from KL ≈ Var(s − t)/(2nT²), which underflows there "
                "(the limit itself is derivation distillation-temperature-squared)"
            )
        soft, _ = _soft_rows(xp, kernels, s, t, temperature, form)
        rows = weight * (temperature * (temperature * soft) if temperature_squared else soft)
    if label_array is not None and weight < 1:
        hard = _hard_rows(xp, kernels, s, label_array)
        rows = (1 - weight) * hard if rows is None else rows + (1 - weight) * hard
    result = _reduce(xp, rows, reduction, mean=reduction == "batchmean")
    return np.asarray(result) if xp is np else result


def _hard_rows(xp: Any, kernels: Any, s: Any, labels: Any) -> Any:
    """``−log softmax(s)_y`` per row (generated ``cross_entropy_logits`` at ``T = 1``); the
    caller has checked the logits (:func:`_check_rows`)."""
    out = _generated.FUNCTIONS["cross_entropy_logits"](xp, kernels, s, labels, 1.0, -1)
    return xp.squeeze(out, axis=-1)


def _one_hot(xp: Any, labels: Any, like: Any) -> Any:
    classes = like.shape[-1]
    index = xp.arange(classes) if xp is np else xp.arange(classes, device=_device(like))
    hot = xp.expand_dims(labels, axis=-1) == index
    return xp.astype(hot, like.dtype)


def _device(x: Any) -> Any:
    from array_api_compat import device

    return device(x)


@_quiet
def distillation_loss_grad(
    student_logits: ArrayLike,
    teacher_logits: ArrayLike,
    T: float,
    labels: ArrayLike | None = None,
    alpha: float | None = None,
    *,
    form: str = "kl",
    temperature_squared: bool = True,
    reduction: str = "batchmean",
) -> Any:
    r"""The gradient of :func:`distillation_loss` with respect to ``student_logits``.

    Generated from the proved derivatives: the soft part is ``alpha · T (q − p)`` (the last
    line of ``distillation-temperature-squared``) or ``alpha · (q − p)/T`` without ``T²``
    (``distillation-gradient``), with ``q = softmax(s/T)``, ``p = softmax(t/T)``; the hard part
    ``(1 − alpha)(softmax(s) − onehot(y))`` (``hard-label-gradient``, the same generated body at
    ``T = 1`` with one-hot targets). The same for both forms. ``reduction="none"`` gives the
    gradient of each row's loss (of their sum); ``"batchmean"`` divides by the number of rows.

    Parameters
    ----------
    student_logits : array_like or array-API array
        The student's logits ``s``, classes along the last axis (a 1-D input is one row).
        Finite or ``−inf`` (a masked class); not every entry of a row ``−inf``.
    teacher_logits : array_like or array-API array
        The teacher's logits ``t``, the same shape as ``student_logits``.
    T : float
        The temperature, finite and ``> 0``.
    labels : array_like of int, optional
        0-based class labels, one per row, for the hard-label cross-entropy at ``T = 1``.
    alpha : float, optional
        Weight of the soft loss, in ``[0, 1]``. Default: 1 without labels (where only None or 1
        is allowed), 0.9 with them.
    form : {"kl", "ce"}
        The soft loss as ``KL(p ‖ q)`` (default) or as the soft cross-entropy ``−Σ p log q``,
        which is larger by the teacher's entropy ``H(p)`` and has the same gradient.
    temperature_squared : bool
        Multiply the soft loss by ``T²`` (default True, as the paper recommends).
    reduction : {"batchmean", "sum", "none"}
        ``"batchmean"`` (default): the sum over rows divided by the number of rows;
        ``"sum"``; ``"none"``: one value per row.

    Returns
    -------
    array
        ``∂ loss/∂ student_logits``, the shape of ``student_logits``.

    Raises
    ------
    ValueError
        ``T ≤ 0`` or not finite (for the loss with ``T²``: ``T > 1e100``, where its KL
        would underflow), ``alpha`` outside ``[0, 1]`` (or given without labels),
        shapes that differ, labels out of range or not one per row, NaN or ``+inf`` logits, a
        row of ``−inf``, a student class masked where the teacher gives it probability, an
        unknown ``form`` or ``reduction``; the message names the argument and the value.
    TypeError
        Non-numeric logits or labels, a ``T``/``alpha`` that is not a real number, or a
        ``temperature_squared`` that is not a bool.

    Examples
    --------
    >>> distillation_loss_grad([[0.0, 0.0]], [[0.0, 0.0]], T=2.0).tolist()
    [[0.0, 0.0]]
    """
    _choice("form", form, _FORMS)
    reduction = _choice("reduction", reduction, _REDUCTIONS)
    temperature_squared = _flag("temperature_squared", temperature_squared)
    xp, kernels, s, t, temperature, weight, label_array = _prepared(
        student_logits, teacher_logits, T, labels, alpha
    )
    grad: Any = None
    if weight > 0:
        p = softmax(t, temperature)
        _check_masks(xp, s, p)
        grad = weight * _soft_gradient(xp, kernels, s, t, p, temperature, temperature_squared)
    if label_array is not None and weight < 1:
        target = _one_hot(xp, label_array, s)
        hard = (1 - weight) * _generated.FUNCTIONS["soft_target_gradient"](
            xp, kernels, s, target, 1.0, -1
        )
        grad = hard if grad is None else grad + hard
    if reduction == "batchmean":
        rows = math.prod(s.shape[:-1])
        grad = grad / rows
    out = grad + 0.0
    return np.asarray(out) if xp is np else out


@_quiet
def cross_entropy_from_logits(
    logits: ArrayLike,
    labels: ArrayLike,
    *,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> Any:
    r"""Cross-entropy of class ``labels`` under ``softmax(logits)``, with PyTorch's semantics.

    Per row ``(1 − ε)(−log q_y) + ε · (−(1/n) Σ_j log q_j)`` with ``ε = label_smoothing``
    (``torch.nn.functional.cross_entropy``'s definition: the target is
    ``(1 − ε)·onehot(y) + ε/n``), ``q = softmax(logits)`` over the last axis, computed from the
    logits by the generated stable forms (no ``log`` of an underflowed probability). Rows whose
    label equals ``ignore_index`` contribute 0 and are not counted: ``reduction="mean"``
    divides by the number of rows not ignored (NaN when every row is ignored, as PyTorch);
    ``"sum"`` sums; ``"none"`` gives each row's loss (0 where ignored). Labels are 0-based.

    Parameters
    ----------
    logits : array_like or array-API array
        Logits, classes along the last axis; finite or ``−inf`` (masked).
    labels : array_like of int
        0-based class labels, one per row (the batch shape of ``logits``).
    ignore_index : int
        Rows with this label are left out (default ``-100``, as PyTorch).
    label_smoothing : float
        ``ε`` in ``[0, 1]`` (default 0).
    reduction : {"mean", "sum", "none"}
        How the rows' losses are combined (default ``"mean"`` over the rows not ignored).

    Returns
    -------
    array
        The loss: a 0-d array for ``"mean"`` and ``"sum"``, one value per row for ``"none"``.

    Raises
    ------
    ValueError
        Labels out of range (other than ``ignore_index``) or not one per row, NaN or ``+inf``
        logits, a row of ``−inf``, ``label_smoothing`` outside ``[0, 1]``, an unknown
        ``reduction``; the message names the argument and the value.
    TypeError
        Non-numeric logits, a non-integer ``ignore_index`` or a non-real ``label_smoothing``.

    Examples
    --------
    >>> round(float(cross_entropy_from_logits([[0.0, 0.0]], [1])), 15)  # log 2
    0.693147180559945
    """
    reduction = _choice("reduction", reduction, _CE_REDUCTIONS)
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"ignore_index must be an int, got {ignore_index!r}")
    if isinstance(label_smoothing, (bool, np.bool_)) or not isinstance(
        label_smoothing, numbers.Real
    ):
        raise TypeError(f"label_smoothing must be a real number in [0, 1], got {label_smoothing!r}")
    smoothing = float(label_smoothing)
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1], got {label_smoothing!r}")
    xp, kernels = _namespace(logits, labels)
    z = _logits(xp, "logits", logits)
    _check_rows(xp, z, "logits")
    raw = _host(labels) if hasattr(labels, "shape") and xp is not np else np.asarray(labels)
    if raw.dtype.kind == "f" and np.isfinite(raw).all() and (raw == np.floor(raw)).all():
        raw = raw.astype(np.intp)
    ignored = raw == ignore_index if raw.dtype.kind in "iu" else np.zeros(raw.shape, bool)
    kept_labels = as_labels(np.where(ignored, 0, raw), tuple(z.shape[:-1]), z.shape[-1])
    if raw.shape != tuple(z.shape[:-1]):
        raise ValueError(
            f"labels must have one entry per row, the batch shape {tuple(z.shape[:-1])}, got "
            f"shape {raw.shape}"
        )
    label_array = kept_labels if xp is np else xp.asarray(np.array(kept_labels))
    rows = _hard_rows(xp, kernels, z, label_array)
    if smoothing > 0:
        uniform = -xp.sum(log_softmax(z), axis=-1) / z.shape[-1]
        rows = (1 - smoothing) * rows + smoothing * uniform
    keep = ~ignored
    if ignored.any():
        mask = keep if xp is np else xp.asarray(keep)
        rows = xp.where(mask, rows, xp.zeros_like(rows))
    if reduction == "none":
        out = rows
    elif reduction == "sum":
        out = xp.sum(rows)
    else:
        out = xp.sum(rows) / int(keep.sum()) if keep.any() else xp.sum(rows) * math.nan
    out = out + 0.0
    return np.asarray(out) if xp is np else out
