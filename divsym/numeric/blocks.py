"""Run a generated function over row blocks that fit in cache.

The public functions move the class axis last and view the batch as rows ``(rows, n)``. Each
block of rows (about :data:`BLOCK_BYTES` per input) is checked and then handed to the
lambdified function while it is still in cache, so the temporaries of the generated
expression stay small (peak extra memory: the output plus a few blocks) and validation costs
no extra pass over main memory.

Memory is allocated per call, not per block: the kernels' scratch buffers come from one
:func:`divsym.numeric.kernels.workspace` opened for the whole call. Scratch made and freed
per block made glibc map, fault in and unmap it every time (400 000 minor faults per call on
1024×32768 KL in a fresh process, 5× the time of a warm one); with the workspace, and glibc's
mmap threshold raised once per process (:func:`divsym.numeric.kernels.prime_allocator`) for
the few temporaries the generated expression still makes per block, the faults per call no
longer grow with the number of blocks.
float16 blocks are computed in float32 (sums of float16 terms rounded at every step lose the
answer) and written back as float16.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from divsym.numeric.kernels import workspace

__all__ = ["BLOCK_BYTES", "from_rows", "run_rows", "to_rows"]

#: Bytes of one input per block. Measured (CPU time, 256×32768 and 8192×1000, float64 and
#: float32, every function): 512 KiB beats 256 KiB by 3-20 % — the Python and dispatch cost of
#: some 30 NumPy calls per block weighs more than the temporaries spilling from a 1 MiB L2.
BLOCK_BYTES = 1 << 19
#: Inputs with fewer entries than this run without a workspace (no setup cost for tiny calls).
WORKSPACE_MIN = 4096


def to_rows(array: NDArray[Any], axis: int) -> NDArray[Any]:
    """``array`` with ``axis`` moved last and the other axes flattened: ``(rows, n)``."""
    moved = np.moveaxis(array, axis, -1)
    return moved.reshape(-1, moved.shape[-1])


def from_rows(out: NDArray[Any], batch: tuple[int, ...], axis: int, reduced: bool) -> NDArray[Any]:
    """Undo :func:`to_rows`: reductions get the batch shape, elementwise results their axis."""
    if reduced:
        return out.reshape(batch)
    return np.moveaxis(out.reshape(*batch, out.shape[-1]), -1, axis)


def run_rows(
    function: Callable[..., Any],
    arrays: Sequence[NDArray[Any]],
    extra: Sequence[Any],
    *,
    reduced: bool,
    dtype: np.dtype[Any],
    check: Callable[[Sequence[NDArray[Any]]], bool],
    diagnose: Callable[[], None],
    row_extra: Sequence[NDArray[Any]] = (),
    additive: bool = False,
) -> NDArray[Any]:
    """``function(*blocks, *row_extra_blocks, *extra, -1)`` over row blocks of ``arrays``.

    ``check(blocks)`` runs on each block first; when it fails, ``diagnose()`` must raise the
    error that names the bad value (a ``RuntimeError`` is raised if it does not).

    ``additive`` says that the function is a sum over the classes (a ClassSum times a
    constant): rows longer than a block are then also cut into column chunks whose results
    add up, so that the temporaries stay in cache for very wide rows too.

    The kernels called by ``function`` share one workspace for the whole call (inputs of at
    least :data:`WORKSPACE_MIN` entries); float16 blocks are computed in float32.
    """
    rows, classes = arrays[0].shape
    # Kernels may work in float64 whatever the input dtype: size blocks for 8-byte entries.
    step = max(1, BLOCK_BYTES // max(1, classes * max(8, arrays[0].itemsize)))
    chunk = max(1, BLOCK_BYTES // (2 * max(8, arrays[0].itemsize)))
    out = np.empty((rows,) if reduced else (rows, classes), dtype=dtype)
    widen = arrays[0].dtype.kind == "f" and arrays[0].dtype.itemsize < 4
    chunked = additive and reduced and not row_extra and classes > chunk
    elements = min(rows, step) * (chunk if chunked else classes)
    if rows * classes < WORKSPACE_MIN:
        space: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    else:
        space = workspace(elements)
    with space:
        for start in range(0, rows, step):
            stop = min(rows, start + step)
            blocks = [a[start:stop] for a in arrays]
            if not check(blocks):
                diagnose()
                raise RuntimeError("a block failed validation but no bad value was found")
            if widen:
                blocks = [b.astype(np.float32) for b in blocks]
            labels = [r[start:stop] for r in row_extra]
            if chunked:
                total = np.zeros(stop - start, dtype=np.float64)
                for first in range(0, classes, chunk):
                    parts = [b[:, first : first + chunk] for b in blocks]
                    total += function(*parts, *extra, -1)[:, 0]
                out[start:stop] = total
                continue
            result = function(*blocks, *labels, *extra, -1)
            out[start:stop] = result[:, 0] if reduced else result
    return out
