"""The Dask side of ``divsym batch``: what each task computes, the graph, and running it.

One task per chunk of rows (:func:`process_chunk`, mapped over the chunks with
``dask.array.map_blocks``) reads the chunk's rows of every input where it runs, evaluates the
public function on those NumPy blocks (:func:`evaluate_block`), writes the result into its rows
of the output's temporary and returns the chunk's summary
:class:`~divsym.cli.batch_summary.Partial` — a few kilobytes, the only thing that travels. (Two
tasks per chunk, evaluate then write, cost 2x the scheduling; reading in separate tasks moved
input blocks between workers.) The local threaded scheduler runs the graph unless a
``dask.distributed`` client is given. A progress bar (tqdm, on stderr) counts rows; SIGTERM
becomes :class:`Terminated` so that the temporary is removed as on Ctrl-C.

Dask, distributed and tqdm are imported inside the functions that need them: a worker
unpickling :func:`process_chunk` imports only NumPy and divsym's numeric layer.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import re
import secrets
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from divsym.cli.batch_io import (
    NpyRows,
    Source,
    Target,
    ZarrRows,
    commit,
    create_target,
    remove,
    temporary_beside,
)
from divsym.cli.batch_summary import Partial, merge, partial
from divsym.numeric import functions

__all__ = [
    "BATCH_FUNCTIONS",
    "BatchFunction",
    "Job",
    "Terminated",
    "evaluate_block",
    "execute",
    "process_chunk",
    "raise_if_terminated",
    "sigterm_interrupts",
]

_REDUCTIONS: dict[str, Callable[..., NDArray[Any]]] = {
    "cross-entropy": functions.cross_entropy,
    "kl": functions.kl_divergence,
    "js": functions.js_divergence,
    "js-distance": functions.js_distance,
}


@dataclass(frozen=True)
class BatchFunction:
    """A function ``batch`` can run: its inputs (``logits``; ``dist``, probabilities or logits
    with ``--from-logits``; ``labels``) and whether it keeps the class axis."""

    inputs: tuple[str, ...]
    elementwise: bool
    help: str


BATCH_FUNCTIONS: dict[str, BatchFunction] = {
    "softmax": BatchFunction(("logits",), True, "soft targets softmax(Z/T), one row per row"),
    "log-softmax": BatchFunction(("logits",), True, "log-softmax of logits"),
    "entropy": BatchFunction(("dist",), False, "H(P) per row"),
    "cross-entropy": BatchFunction(("dist", "dist"), False, "H(P, Q) per row"),
    "kl": BatchFunction(("dist", "dist"), False, "D_KL(P ‖ Q) per row"),
    "js": BatchFunction(("dist", "dist"), False, "JSD(P ‖ Q) per row"),
    "js-distance": BatchFunction(("dist", "dist"), False, "√JSD(P ‖ Q) per row"),
    "nll": BatchFunction(("dist", "labels"), False, "−log q_y per row (0-based labels)"),
}


def evaluate_block(
    name: str, T: float, base: float | None, from_logits: bool, *blocks: NDArray[Any]
) -> NDArray[Any]:
    """The public function ``name`` on one chunk of rows, the inputs as NumPy blocks.

    ``dist`` inputs go through ``softmax(·, T)`` first when ``from_logits``; labels arrive as a
    column ``(rows, 1)``.
    """
    if name == "softmax":
        return functions.softmax(blocks[0], T=T)
    if name == "log-softmax":
        return functions.log_softmax(blocks[0], T=T)
    kinds = BATCH_FUNCTIONS[name].inputs
    p, *rest = (
        functions.softmax(b, T=T) if kind == "dist" and from_logits else b
        for kind, b in zip(kinds, blocks, strict=True)
    )
    if name == "entropy":
        return functions.entropy(p, base=base)
    if name == "nll":
        return functions.nll(p, rest[0][:, 0], base=base)
    return _REDUCTIONS[name](p, rest[0], base=base)


@dataclass(frozen=True)
class ChunkWork:
    """What every chunk's task does, minus which chunk: small, pickled once per task."""

    function: str
    T: float
    base: float | None
    from_logits: bool
    readers: tuple[NpyRows | ZarrRows, ...]
    starts: tuple[int, ...]
    target: Target | None
    summarise: bool


def read_and_evaluate(work: ChunkWork, start: int, stop: int) -> NDArray[Any]:
    """Read rows ``start:stop`` of every input and evaluate the function on them. A bad
    value's message names the rows."""
    blocks = []
    for reader in work.readers:
        rows = reader[start:stop]
        blocks.append(rows[:, None] if rows.ndim == 1 else rows)
    try:
        return evaluate_block(work.function, work.T, work.base, work.from_logits, *blocks)
    except ValueError as error:
        raise ValueError(f"rows {start}..{stop - 1}: {absolute_index(str(error), start)}") from None


def process_chunk(work: ChunkWork, stop: int, block_id: Any = None) -> NDArray[np.object_]:
    """The one task of chunk ``block_id``: read its rows where it runs, evaluate, write them
    into the target, and return its summary partial (or None) as a one-element object array.

    Nothing but that partial leaves the task, so no block of rows travels between workers.
    """
    (index,) = block_id
    start = work.starts[index]
    stop = work.starts[index + 1] if index + 1 < len(work.starts) else stop
    values = read_and_evaluate(work, start, stop)
    if work.target is not None:
        work.target.write(start, values)
    out = np.empty(1, dtype=object)
    out[0] = partial(values) if work.summarise else None
    return out


_INDEX = re.compile(r"at index \((\d+)")


def absolute_index(message: str, start: int) -> str:
    """``message`` with its ``at index (i, …)`` (a row of the chunk) counted from row 0.

    >>> absolute_index("p must be nonnegative, got -0.25 at index (31, 2)", 270)
    'p must be nonnegative, got -0.25 at index (301, 2)'
    """
    return _INDEX.sub(lambda match: f"at index ({int(match.group(1)) + start}", message, count=1)


@dataclass(frozen=True)
class Job:
    """A checked ``batch`` command: what to compute, over which chunks, and where to."""

    function: str
    sources: tuple[Source, ...]
    chunks: tuple[int, ...]
    dtype: np.dtype[Any]
    T: float = 1.0
    base: float | None = None
    from_logits: bool = False
    out: Path | None = None
    force: bool = False
    summary: bool = False
    scheduler: Any = None  # a distributed.Client, or None for the local threads
    threads: int | None = None
    quiet: bool = False


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived during a run."""


#: Set when SIGTERM arrives inside :func:`sigterm_interrupts`. The handler also raises
#: :class:`Terminated`, but an exception raised while the main thread runs a weakref or
#: ``__del__`` callback (importlib's module-lock callbacks, say) is printed and dropped by
#: Python; :func:`raise_if_terminated` before the output is committed, and the end of the
#: block, do not depend on it.
_TERMINATED = threading.Event()


def raise_if_terminated() -> None:
    """Raise :class:`Terminated` if SIGTERM arrived inside :func:`sigterm_interrupts`."""
    if _TERMINATED.is_set():
        raise Terminated


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (so that cleanup runs)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        _TERMINATED.set()
        raise Terminated

    _TERMINATED.clear()
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
        raise_if_terminated()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminal_size() -> dict[str, int]:
    """``ncols``/``nrows`` for tqdm where the terminal reports 0 (a fresh pty does, and tqdm then
    draws nothing); otherwise nothing, so that tqdm follows resizes."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError):
        return {}
    return {} if size.columns > 0 and size.lines > 0 else {"ncols": 80, "nrows": 24}


def _bar(total: int, quiet: bool) -> Any:
    from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

    return tqdm(
        **_terminal_size(),
        total=total,
        unit="row",
        unit_scale=True,
        file=sys.stderr,
        disable=quiet or not sys.stderr.isatty(),
        desc="divsym batch",
        leave=False,
    )


def _untyped(name: str) -> Any:
    """Dask's modules, imported on use and typed ``Any`` (most of Dask has no annotations)."""
    return importlib.import_module(name)


def _cpus() -> int:
    """The CPUs this process may run on (the local scheduler's default thread count)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _graph(job: Job, target: Target | None) -> tuple[list[Any], dict[Any, int]]:
    """One task per chunk (:func:`process_chunk`, mapped over the chunks with
    ``dask.array.map_blocks``), and each task's key → its number of rows."""
    da = _untyped("dask.array")
    starts = tuple(int(s) for s in np.concatenate([[0], np.cumsum(job.chunks)[:-1]]))
    work = ChunkWork(
        job.function,
        job.T,
        job.base,
        job.from_logits,
        tuple(source.reader for source in job.sources),
        starts,
        target,
        job.summary,
    )
    partials = da.map_blocks(
        functools.partial(process_chunk, work, sum(job.chunks)),
        dtype=object,
        chunks=((1,) * len(job.chunks),),
        meta=np.empty((0,), dtype=object),
        name=f"divsym-{job.function}-{secrets.token_hex(8)}",  # a fresh graph each run
    )
    tasks = list(partials.to_delayed().ravel())
    return tasks, {task.key: size for task, size in zip(tasks, job.chunks, strict=True)}


def _run_local(tasks: Sequence[Any], rows: dict[Any, int], bar: Any, threads: int) -> list[Any]:
    from concurrent.futures import ThreadPoolExecutor

    dask = _untyped("dask")
    callbacks = _untyped("dask.callbacks")

    def progress(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        bar.update(rows.get(key, 0))

    pool = ThreadPoolExecutor(threads)
    try:
        with callbacks.Callback(posttask=progress):
            return list(dask.compute(*tasks, scheduler="threads", pool=pool))
    finally:  # running chunks end before the caller removes the temporary
        pool.shutdown(wait=True, cancel_futures=True)


def _run_distributed(
    client: Any, tasks: Sequence[Any], rows: dict[Any, int], bar: Any
) -> list[Any]:
    """Run on ``client``'s cluster (never a default client: the caller may have another)."""
    as_completed = _untyped("distributed").as_completed
    futures = client.compute(list(tasks))
    try:
        for future in as_completed(futures, loop=client.loop):
            future.result()  # raise the first failure now
            bar.update(rows.get(future.key, 0))
        return list(client.gather(futures))
    except BaseException:
        # Running tasks finish on their workers; a write after the temporary is gone fails
        # (Target.write never creates it).
        client.cancel(futures)
        raise


def execute(job: Job) -> Partial | None:
    """Run ``job``: the output appears complete at ``job.out`` or not at all; return the merged
    summary partial when ``job.summary``. Call it inside :func:`sigterm_interrupts`."""
    temporary = None if job.out is None else temporary_beside(job.out)
    try:
        target = None
        if job.out is not None and temporary is not None:
            elementwise = BATCH_FUNCTIONS[job.function].elementwise
            shape = job.sources[0].shape if elementwise else job.sources[0].shape[:1]
            target = create_target(job.out, temporary, shape, job.dtype, job.chunks[0])
        tasks, rows = _graph(job, target)
        with _bar(sum(job.chunks), job.quiet) as bar:
            if job.scheduler is None:
                partials = _run_local(tasks, rows, bar, job.threads or _cpus())
            else:
                partials = _run_distributed(job.scheduler, tasks, rows, bar)
        if target is not None and job.out is not None:
            raise_if_terminated()  # a SIGTERM whose exception Python dropped: no output
            commit(target, job.out, job.force)
            temporary = None
    finally:
        if temporary is not None:
            remove(temporary)
    return functools.reduce(merge, [p[0] for p in partials]) if job.summary else None
