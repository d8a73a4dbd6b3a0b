"""``divsym batch``: a public function evaluated row by row over a corpus, with Dask.

``divsym batch kl P.npy Q.npy --from-logits --T 4 --out kl.npy --summary`` reads ``.npy`` or
Zarr inputs in chunks of rows, never whole — the class axis (the last) is never split —
evaluates the public function (:mod:`divsym.numeric.functions`) on each chunk
with ``dask.array.map_blocks``, and writes each chunk's result into its rows of an ``.npy`` or
Zarr output (per-row values, or for ``softmax``/``log-softmax`` the input's shape).
``--from-logits`` applies ``softmax`` at ``--T`` to the inputs inside the same pass, so soft
targets reach the disk only when asked for (``divsym batch softmax``). ``--summary`` prints
count, mean, std, min, max, quantiles and a text histogram from per-chunk partials
(:mod:`divsym.cli.batch_summary`), never gathering the rows.

The local threaded scheduler runs by default; ``--scheduler ADDRESS`` uses a
``dask.distributed`` cluster (its workers must see the input and output paths). Each chunk
holds about ``--memory-per-chunk`` bytes while it is evaluated (inputs, soft targets, result),
so the peak memory is about that times the threads working, whatever the input's size.
Outputs are atomic (:mod:`divsym.cli.batch_io`). A bad command line or input prints one line on
stderr and exits 2 with nothing written; an interruption (Ctrl-C, SIGTERM) removes the
temporary and exits 130 (143 for SIGTERM).

Dask, distributed, Zarr and tqdm are imported only when ``batch`` runs (the ``batch`` extra).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from divsym.cli.batch_io import InputError, Source, open_source, output_kind
from divsym.cli.batch_run import (
    BATCH_FUNCTIONS,
    BatchFunction,
    Job,
    Terminated,
    evaluate_block,
    execute,
    sigterm_interrupts,
)
from divsym.cli.batch_summary import Partial, format_summary
from divsym.cli.messages import shorten, shorten_message

__all__ = ["add_batch", "chunk_rows", "parse_size", "run_batch"]

#: Default memory budget of one chunk while it is evaluated.
DEFAULT_CHUNK_MEMORY = "64MiB"
#: Seconds to wait for a scheduler before giving up (an unreachable one fails fast).
DEFAULT_CONNECT_TIMEOUT = 5.0

_SIZE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]i?b?|b)?", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_size(text: str) -> int:
    """A byte count (> 0) such as ``64MiB``, ``1GB``, ``500k`` or ``1000000``; ``KiB``/``MiB``
    … are powers of 1024, ``kB``/``MB`` … (and ``k``, ``M`` …) powers of 1000.

    >>> parse_size("64MiB"), parse_size("1.5kB"), parse_size("4096")
    (67108864, 1500, 4096)
    """
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size: {shorten(text.strip())!r} (e.g. 64MiB)")
    number, unit = match.group(1), (match.group(2) or "").lower()
    scale = 1024 ** "bkmgt".index(unit[0]) if "i" in unit else _UNITS[unit[:1]]
    size = int(float(number) * scale)
    if size <= 0:
        raise argparse.ArgumentTypeError(f"size must be > 0, got {text.strip()!r}")
    return size


def chunk_rows(rows: int, per_chunk: int) -> tuple[int, ...]:
    """Rows of each chunk: ``per_chunk`` each, a short remainder (under half a chunk) joined to
    the last chunk, so no chunk is tiny (tiny inputs may take another code path) and every
    Zarr chunk of ``per_chunk`` rows is written by one Dask chunk only.

    >>> chunk_rows(9, 4), chunk_rows(11, 4), chunk_rows(8, 4), chunk_rows(3, 4)
    ((4, 5), (4, 4, 3), (4, 4), (3,))
    """
    if rows <= per_chunk:
        return (rows,)
    whole, remainder = divmod(rows, per_chunk)
    if remainder == 0:
        return (per_chunk,) * whole
    if 2 * remainder < per_chunk:
        return (*(per_chunk,) * (whole - 1), per_chunk + remainder)
    return (*(per_chunk,) * whole, remainder)


def _row_bytes(spec: BatchFunction, sources: Sequence[Source], from_logits: bool) -> int:
    """Bytes one row needs while its chunk is evaluated: the inputs as read, a float64 working
    copy of each class input (two with soft targets made from logits) and the result."""
    classes = sources[0].shape[1]
    read = sum(s.dtype.itemsize * math.prod(s.shape[1:]) for s in sources)
    class_inputs = sum(kind != "labels" for kind in spec.inputs)
    copies = 2 if from_logits or spec.inputs == ("logits",) else 1
    result = 8 * classes if spec.elementwise else 8
    return read + 8 * classes * class_inputs * copies + result


def _check_sources(name: str, spec: BatchFunction, sources: Sequence[Source]) -> None:
    """One-line errors for inputs that do not fit ``name``: count, rank, dtype, rows, classes."""
    if len(sources) != len(spec.inputs):
        what = ", ".join("LABELS" if k == "labels" else "P" if i == 0 else "Q"
                         for i, k in enumerate(spec.inputs))  # fmt: skip
        raise InputError(f"{name} takes {len(spec.inputs)} input(s) ({what}), got {len(sources)}")
    for kind, source in zip(spec.inputs, sources, strict=True):
        if kind == "labels":
            if len(source.shape) != 1 or source.dtype.kind not in "iu":
                raise InputError(
                    f"labels {source.label!r} must be a 1-D integer array, got shape "
                    f"{source.shape} and dtype {source.dtype}"
                )
        elif len(source.shape) != 2 or source.dtype.kind != "f":
            raise InputError(
                f"input {source.label!r} must be a 2-D float array (rows, classes), got shape "
                f"{source.shape} and dtype {source.dtype}"
            )
    first = sources[0]
    if first.shape[0] == 0 or first.shape[1] == 0:
        raise InputError(f"input {first.label!r} is empty: shape {first.shape}")
    for other in sources[1:]:
        if other.shape[0] != first.shape[0]:
            raise InputError(
                f"row counts differ: {first.label!r} has {first.shape[0]} rows, "
                f"{other.label!r} has {other.shape[0]}"
            )
        if len(other.shape) == 2 and other.shape[1] != first.shape[1]:
            raise InputError(
                f"class counts differ: {first.label!r} has {first.shape[1]} classes, "
                f"{other.label!r} has {other.shape[1]}"
            )


def _probe(args: argparse.Namespace, sources: Sequence[Source]) -> NDArray[Any]:
    """The function on the first rows: checks T, base and the values there before any write,
    and gives the result's dtype."""
    rows = min(2, sources[0].shape[0])
    blocks = []
    for source in sources:
        head = np.asarray(
            source.reader[:rows]
            if not isinstance(source.reader, str)
            else _zarr_head(source.reader, rows)
        )
        blocks.append(head[:, None] if head.ndim == 1 else head)
    return evaluate_block(args.function, args.T, args.base, args.from_logits, *blocks)


def _zarr_head(path: str, rows: int) -> NDArray[Any]:
    import zarr

    return np.asarray(zarr.open_array(path, mode="r")[:rows])


def _check_options(args: argparse.Namespace, spec: BatchFunction) -> None:
    if args.out is None and not args.summary:
        raise InputError("nothing to do: give --out OUTPUT, --summary or both")
    if not math.isfinite(args.T) or args.T <= 0:
        raise InputError(f"--T must be finite and > 0, got {args.T!r}")
    if args.T != 1.0 and spec.inputs != ("logits",) and not args.from_logits:
        raise InputError("--T applies to logits: add --from-logits (inputs are logits)")
    if args.base is not None and spec.elementwise:
        raise InputError(f"--base does not apply to {args.function}")
    if args.bins < 1:
        raise InputError(f"--bins must be >= 1, got {args.bins}")
    if args.threads is not None and args.threads < 1:
        raise InputError(f"--threads must be >= 1, got {args.threads}")
    if args.out is not None:
        output_kind(args.out)
        if (args.out.exists() or args.out.is_symlink()) and not args.force:
            raise InputError(f"output {str(args.out)!r} exists; use --force to replace it")
        if not args.out.parent.is_dir():
            raise InputError(f"the folder of output {str(args.out)!r} does not exist")


def _plan(args: argparse.Namespace) -> Job:
    """The checked job of a command line (no scheduler yet); :class:`InputError` if unusable."""
    spec = BATCH_FUNCTIONS[args.function]
    _check_options(args, spec)
    sources = tuple(open_source(text) for text in args.inputs)
    _check_sources(args.function, spec, sources)
    probe = _probe(args, sources)
    per_chunk = max(1, args.memory_per_chunk // _row_bytes(spec, sources, args.from_logits))
    return Job(
        function=args.function,
        sources=sources,
        chunks=chunk_rows(sources[0].shape[0], per_chunk),
        dtype=probe.dtype,
        T=args.T,
        base=args.base,
        from_logits=args.from_logits,
        out=args.out,
        force=args.force,
        summary=args.summary,
        threads=args.threads,
        quiet=args.quiet,
    )


def _connect(address: str, timeout: float) -> Any:
    client: Any = importlib.import_module("distributed").Client
    try:
        return client(address, timeout=timeout, set_as_default=False)
    except Exception as error:  # OSError, TimeoutError, ValueError for a malformed address
        detail = f"{type(error).__name__}: {error}".rstrip(": ")
        raise InputError(
            f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s ({detail})"
        ) from None


def _execute(args: argparse.Namespace) -> Partial | None:
    job = _plan(args)
    if args.scheduler is None:
        return execute(job)
    client = _connect(args.scheduler, args.connect_timeout)
    try:
        return execute(Job(**{**job.__dict__, "scheduler": client}))
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=5)


def run_batch(args: argparse.Namespace) -> int:
    """Run a parsed ``divsym batch`` command line; return the exit status."""
    try:
        import dask  # noqa: F401
        import tqdm  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
        import zarr  # noqa: F401
    except ImportError as error:
        print(
            f"divsym: error: batch needs the 'batch' extra (pip install 'divsym[batch]'): {error}",
            file=sys.stderr,
        )
        return 2
    if args.scheduler is not None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("divsym: error: --scheduler needs dask.distributed", file=sys.stderr)
            return 2
    try:
        with sigterm_interrupts():  # SIGTERM, like Ctrl-C, removes what was begun
            summary = _execute(args)
    except (InputError, ValueError, TypeError) as error:
        print(f"divsym: error: {shorten_message(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        signalled = "SIGTERM" if isinstance(interrupt, Terminated) else "interrupt"
        print(f"divsym: {signalled}: stopped, nothing written", file=sys.stderr)
        return 143 if isinstance(interrupt, Terminated) else 130
    if summary is not None:
        print(format_summary(args.function, summary, bins=args.bins))
    if args.out is not None and not args.quiet:
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def add_batch(commands: Any) -> None:
    """Add the ``batch`` subcommand to ``commands`` (an argparse subparsers object); the parsed
    namespace gets ``run_batch``."""
    names = ", ".join(BATCH_FUNCTIONS)
    parser = commands.add_parser(
        "batch",
        help="evaluate a function row by row over .npy/Zarr inputs with Dask",
        description="Evaluate FUNCTION row by row over .npy or Zarr INPUTs of shape "
        "(rows, classes) (nll: Q and 1-D integer LABELS), read in chunks of rows with Dask, "
        "writing an .npy or Zarr OUTPUT atomically and/or printing a streamed --summary. "
        "Exit 2 on bad input (nothing written), 130/143 when interrupted.",
    )
    parser.add_argument(
        "function", choices=list(BATCH_FUNCTIONS), metavar="FUNCTION", help=f"one of: {names}"
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help=".npy file or Zarr array")
    parser.add_argument(
        "--out", type=Path, metavar="OUTPUT", help="output .npy or .zarr (written atomically)"
    )
    parser.add_argument("--force", action="store_true", help="replace an existing OUTPUT")
    parser.add_argument(
        "--from-logits", action="store_true", help="P and Q are logits: softmax at --T first"
    )
    parser.add_argument("--T", type=float, default=1.0, help="temperature > 0 (logits)")
    parser.add_argument("--base", type=float, default=None, help="log base (default e)")
    parser.add_argument("--summary", action="store_true", help="print streamed statistics")
    parser.add_argument("--bins", type=int, default=20, help="histogram bins (default 20)")
    parser.add_argument(
        "--memory-per-chunk",
        type=parse_size,
        default=DEFAULT_CHUNK_MEMORY,
        metavar="SIZE",
        help=f"memory one chunk may use while evaluated (default {DEFAULT_CHUNK_MEMORY})",
    )
    parser.add_argument("--scheduler", metavar="ADDRESS", help="dask.distributed scheduler")
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=DEFAULT_CONNECT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on the scheduler after this long (default {DEFAULT_CONNECT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="threads of the local scheduler (default: all cores)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no messages")
    parser.set_defaults(run_batch=run_batch)
