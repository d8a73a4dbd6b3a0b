"""PyTorch CPU tensors that need no gradient, computed by the NumPy path without a copy.

Why a route of its own: the array-API path (:mod:`divsym.numeric.xp_path`) computes with torch
operations on the whole array, with a ``where`` for every branch, because autograd can only
differentiate torch operations. A tensor that needs no gradient gains nothing from that. Its
memory is viewed as a NumPy array without a copy (``Tensor.numpy()`` shares the buffer), and
the NumPy path — row blocks that stay in cache, validation fused into the blocks, the kernels
that choose the series or the direct form per block — is both the faster one (2.5–11× faster
than the xp path on (1024, 32768), and faster than the torch functions themselves) and the
more accurate one. Its result is wrapped back without a copy (``torch.from_numpy``): a CPU
tensor of the dtype the NumPy path returns (the input's; float64 for integer input). The
validation and its error messages are the NumPy path's, so they are the same for a tensor as
for the same data in a NumPy array.

The route applies when every torch tensor among the arguments is a plain strided CPU tensor
of a dtype NumPy has (float16/32/64, integers, bool, complex; bfloat16 has no NumPy dtype) and no
gradient is needed: autograd is off (``torch.no_grad()``, ``torch.inference_mode()``) or no
tensor ``requires_grad``. Under ``no_grad`` a tensor that requires grad takes this route too:
torch itself records no graph there, so the result has no ``grad_fn`` either way. Everything
else — tensors that need grad, other devices, tensor subclasses, and every other namespace
(array-api-strict, Dask, JAX, CuPy) — stays on the xp path.

This module never imports torch: it looks torch up in ``sys.modules`` (a tensor can only
exist once torch has been imported).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["numpy_views", "to_torch"]

#: The names of the torch dtypes that ``Tensor.numpy()`` views without a copy. Complex ones
#: are included so that their TypeError is the NumPy path's, word for word.
_NUMPY_DTYPES = frozenset(
    (
        *("float16", "float32", "float64", "complex64", "complex128", "bool"),
        *(f"{kind}int{bits}" for kind in ("", "u") for bits in (8, 16, 32, 64)),
    )
)


def _viewable(torch: Any, value: Any, grad: bool) -> bool:
    """Whether ``value`` is a tensor that the NumPy path may compute on (see the module)."""
    return (
        type(value) in (torch.Tensor, torch.nn.Parameter)
        and value.device.type == "cpu"
        and value.layout == torch.strided
        and str(value.dtype)[6:] in _NUMPY_DTYPES  # "torch.float32"
        and not (grad and value.requires_grad)
    )


def numpy_views(values: Sequence[Any]) -> list[Any] | None:
    """``values`` with each torch tensor replaced by a NumPy view of its memory, or None.

    None when torch is not loaded, when no value is a torch tensor, or when some tensor must
    stay on the xp path (it needs a gradient, lives on another device, has a dtype NumPy
    lacks, is a subclass or a sparse tensor, or cannot be viewed, e.g. a lazily conjugated
    one). Values that are not tensors are passed through unchanged.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    grad = torch.is_grad_enabled()
    views: list[Any] = []
    found = False
    for value in values:
        if not isinstance(value, torch.Tensor):
            views.append(value)
            continue
        if not _viewable(torch, value, grad):
            return None
        try:
            views.append(value.detach().numpy())
        except (RuntimeError, TypeError):  # conjugate/negative views, functorch wrappers
            return None
        found = True
    return views if found else None


def to_torch(out: np.ndarray[Any, Any]) -> Any:
    """The NumPy result as a CPU tensor sharing its memory (a copy only if torch cannot)."""
    torch = sys.modules["torch"]
    if not out.flags.writeable or any(s < 0 for s in out.strides):
        out = out.copy()
    return torch.from_numpy(out)
