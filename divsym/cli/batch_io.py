"""Inputs and outputs of ``divsym batch``: ``.npy`` and Zarr arrays, read and written by rows.

Inputs are opened lazily and read chunk by chunk, never whole: the rows of an ``.npy`` file are
read with positioned reads into a fresh array (a Fortran-ordered file is memory-mapped for the
read and unmapped right after), so a worker's resident memory holds the chunks it is working
on, not the pages of the whole file it has touched (:class:`NpyRows`); a Zarr array is opened
per read the same way (:class:`ZarrRows`). Both pickle as a path, so the Dask task that
evaluates a chunk reads its rows itself — on a ``dask.distributed`` worker, which must see the
same file system — and no input block travels between tasks.

Outputs are written atomically (:class:`Target`): into a temporary beside the output, each
chunk into its own rows (positioned writes into an ``.npy``; an ``msync`` per chunk through a
mapping cost more than the evaluation), renamed onto the output only when every chunk is
written. A failure
or an interruption removes the temporary, so the output either is complete or does not exist;
an existing output is replaced only when asked (``force``).
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["InputError", "NpyRows", "Source", "Target", "ZarrRows", "open_source"]


class InputError(ValueError):
    """An input or output that cannot be used; its message is one line for the user."""


def _is_zarr(path: Path) -> bool:
    return path.is_dir() and any(
        (path / name).exists() for name in ("zarr.json", ".zarray", ".zgroup")
    )


def _rows(key: Any, rows: int) -> tuple[int, int] | None:
    """``(start, stop)`` when ``key`` selects whole rows ``start:stop`` (step 1), else None."""
    if isinstance(key, tuple):
        if not key or any(k != slice(None) for k in key[1:]):
            return None
        key = key[0]
    if not isinstance(key, slice) or key.step not in (None, 1):
        return None
    start, stop, _ = key.indices(rows)
    return start, max(start, stop)


def _read_exactly(fd: int, buffer: memoryview, offset: int) -> None:
    done = 0
    while done < len(buffer):
        count = os.preadv(fd, [buffer[done:]], offset + done)
        if count == 0:
            raise EOFError(f"unexpected end of file at byte {offset + done}")
        done += count


@dataclass(frozen=True)
class NpyRows:
    """An ``.npy`` file as an array-like read by rows.

    A run of whole rows of a C-ordered file is read with positioned reads into a fresh array
    (no page of the file stays mapped, no copy through a mapping); any other selection maps
    the file, copies the entries and unmaps it. The object holds only the path, shape, dtype
    and the data's offset, so it pickles small.
    """

    path: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    offset: int = 0
    fortran: bool = False

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __getitem__(self, key: Any) -> NDArray[Any]:
        rows = None if self.fortran or not self.shape else _rows(key, self.shape[0])
        if rows is not None:
            start, stop = rows
            out = np.empty((stop - start, *self.shape[1:]), dtype=self.dtype)
            row_bytes = self.dtype.itemsize * math.prod(self.shape[1:])
            fd = os.open(self.path, os.O_RDONLY)
            try:
                _read_exactly(fd, out.data.cast("B"), self.offset + start * row_bytes)
            finally:
                os.close(fd)
            return out
        mapped = np.load(self.path, mmap_mode="r", allow_pickle=False)
        try:
            return np.array(mapped[key], order="C")  # a copy in C order, as the pread path
        finally:
            del mapped  # unmap now: touched pages leave this process's resident set


@dataclass(frozen=True)
class ZarrRows:
    """A Zarr array as an array-like read by rows: each ``[...]`` opens it and reads the
    selection (Zarr reads only the chunks it needs); pickles as a path."""

    path: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __getitem__(self, key: Any) -> NDArray[Any]:
        import zarr

        return np.asarray(zarr.open_array(self.path, mode="r")[key])


@dataclass(frozen=True)
class Source:
    """An input array: its path as given (for messages), shape, dtype and its row reader."""

    label: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    reader: NpyRows | ZarrRows


def open_source(text: str) -> Source:
    """Open the ``.npy`` file or Zarr array at ``text``; :class:`InputError` if it is neither."""
    path = Path(text).expanduser()
    if not path.exists():
        raise InputError(f"input {text!r} does not exist")
    if _is_zarr(path):
        import zarr

        try:
            array = zarr.open_array(str(path.resolve()), mode="r")
        except Exception as error:  # zarr raises several types for a group or bad metadata
            raise InputError(f"input {text!r} is not a Zarr array ({error})") from None
        shape, dtype = tuple(array.shape), np.dtype(array.dtype)
        return Source(text, shape, dtype, ZarrRows(str(path.resolve()), shape, dtype))
    if path.is_dir():
        raise InputError(f"input {text!r} is a folder but not a Zarr array")
    try:
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise InputError(f"input {text!r} is not a readable .npy file ({error})") from None
    if not isinstance(mapped, np.ndarray):
        raise InputError(f"input {text!r} is an .npz archive; give one .npy array")
    shape, dtype = tuple(mapped.shape), mapped.dtype
    offset = int(mapped.offset) if isinstance(mapped, np.memmap) else 0
    fortran = bool(mapped.flags.f_contiguous and not mapped.flags.c_contiguous)
    del mapped
    reader = NpyRows(str(path.resolve()), shape, dtype, offset, fortran)
    return Source(text, shape, dtype, reader)


def output_kind(path: Path) -> str:
    """``"npy"`` or ``"zarr"`` from the output's suffix; :class:`InputError` otherwise."""
    suffix = path.suffix.lower()
    if suffix in (".npy", ".zarr"):
        return suffix[1:]
    raise InputError(f"output {str(path)!r} must end in .npy or .zarr")


@dataclass(frozen=True)
class Target:
    """Where a worker writes its chunk: the temporary of an output being built.

    ``write(start, block)`` writes rows ``start : start + len(block)``; it never creates the
    temporary, so a worker still running after the temporary was removed fails instead of
    leaving a partial output behind.
    """

    kind: str
    temporary: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    offset: int = 0  # of the data in an .npy temporary

    def write(self, start: int, block: NDArray[Any]) -> None:
        stop = start + block.shape[0]
        if self.kind == "npy":  # positioned writes: no mapping, no msync per chunk
            data = np.ascontiguousarray(block, dtype=self.dtype).data.cast("B")
            row_bytes = self.dtype.itemsize * math.prod(self.shape[1:])
            fd = os.open(self.temporary, os.O_WRONLY)  # no O_CREAT: never recreate it
            try:
                done = 0
                while done < len(data):
                    done += os.pwritev(fd, [data[done:]], self.offset + start * row_bytes + done)
            finally:
                os.close(fd)
            return
        import zarr

        array = zarr.open_array(self.temporary, mode="r+")
        array[start:stop] = block


def temporary_beside(output: Path) -> Path:
    """A fresh hidden name in the output's folder (same file system: the rename is atomic)."""
    return output.with_name(f".{output.name}.divsym-tmp-{os.getpid()}-{secrets.token_hex(4)}")


def create_target(
    output: Path, temporary: Path, shape: tuple[int, ...], dtype: np.dtype[Any], chunk_rows: int
) -> Target:
    """Create ``temporary`` (from :func:`temporary_beside`), an empty ``.npy`` or Zarr array of
    ``shape``, to be renamed onto ``output`` by :func:`commit`.

    Zarr chunks are ``chunk_rows`` rows, the size of every Dask chunk but the last (which may
    be longer): every Zarr chunk is then written by exactly one Dask chunk.
    """
    kind = output_kind(output)
    if kind == "npy":
        mapped = np.lib.format.open_memmap(temporary, mode="w+", dtype=dtype, shape=shape)
        offset = int(mapped.offset)
        del mapped
        return Target(kind, str(temporary), shape, dtype, offset)
    else:
        import zarr

        zarr.create_array(
            store=str(temporary),
            shape=shape,
            chunks=(min(max(1, chunk_rows), max(1, shape[0])), *shape[1:]),
            dtype=dtype,
        )
    return Target(kind, str(temporary), shape, dtype)


def remove(path: Path) -> None:
    """Remove a file or folder if it exists (a temporary being discarded)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def commit(target: Target, output: Path, force: bool) -> None:
    """Rename the finished temporary onto ``output`` (replacing it only with ``force``); an
    ``.npy`` is synced to disk first, so a crash cannot leave a renamed file with holes."""
    temporary = Path(target.temporary)
    if target.kind == "npy":
        fd = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    if not (output.exists() or output.is_symlink()):
        os.replace(temporary, output)
        return
    if not force:
        raise InputError(f"output {str(output)!r} appeared during the run; use --force")
    if target.kind == "npy" and output.is_file():
        os.replace(temporary, output)  # one atomic step
        return
    old = output.with_name(f".{output.name}.divsym-old-{os.getpid()}-{secrets.token_hex(4)}")
    os.replace(output, old)
    os.replace(temporary, output)
    remove(old)
