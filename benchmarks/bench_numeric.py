"""Benchmark divsym's array functions against SciPy and, when installed, PyTorch (CPU).

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_numeric.py``; ``--quick`` for
a smoke run on small arrays). In one run it prints:

- every function on (1024, 32768) and (33554, 1000) arrays of independent distributions, in
  float64 and float32;
- KL and Jensen–Shannon on *close* inputs, the distillation case: ``p = softmax(z)``,
  ``q = softmax(z + ε·N(0, 1))`` for ε = 0.01 and 0.1;
- per-call microseconds on tiny (10,) vectors.

Every library gets the same thread count (1: NumPy/SciPy elementwise code is
single-threaded, and PyTorch is set to 1 thread). Calls of divsym and its peer alternate, so
that a change of machine load hits both; times are medians of ``--repeat`` calls, printed as
ratios to the SciPy peer and to one ``np.copyto`` of the input, with divsym's minor page
faults per call (``resource.getrusage``). With PyTorch installed, a column times torch
CPU tensors (no gradient) passed through divsym against the torch function, target ≤ 1.3
(divsym computes them on zero-copy NumPy views, see ``divsym.numeric.torch_route``).
The peak extra memory of ``softmax`` is measured with ``tracemalloc``
(NumPy reports its allocations to it).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy
from numpy.typing import NDArray
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

import divsym


def _optional_module(name: str) -> Any:
    """The module, or None when it is not installed (mypy sees the same type either way)."""
    try:
        return importlib.import_module(name)
    except ImportError:  # pragma: no cover - depends on the environment
        return None


#: PyTorch is optional: `pip install torch==2.13.0` (the CPU build).
torch: Any = _optional_module("torch")

SHAPES = ((1024, 32768), (33554, 1000))
QUICK_SHAPES = ((64, 100),)
DTYPES = (np.float64, np.float32)
TEMPERATURE = 2.0
#: The noise scales of the close inputs (the distillation case).
EPSILONS = (0.01, 0.1)
#: Targets on close inputs: divsym time over the peer's.
CLOSE_TARGETS = {"kl_divergence": 1.2, "js_divergence": 0.6}
#: divsym on torch tensors (no gradient) over the torch function.
TORCH_TARGET = 1.3
#: Targets on tiny vectors (function, peer): divsym µs over the peer's.
TINY_TARGETS = {
    ("softmax", "special.softmax(z)"): 2.0,
    ("kl_divergence", "stats.entropy(p, q)"): 2.0,
}
#: Length of the tiny vectors and calls per timing sample on them.
TINY = 10
TINY_CALLS = 2000

Array = NDArray[Any]


@dataclass(frozen=True)
class Case:
    """One function: divsym's call, the SciPy peers it is compared with, the target ratio."""

    name: str
    divsym: Callable[[Array, Array, Array], Any]
    peers: dict[str, tuple[Callable[[Array, Array, Array], Any], float]]
    torch: Callable[[Any, Any, Any], Any] | None = None


def _torch_js(p: Any, q: Any) -> Any:
    m = 0.5 * (p + q)
    return 0.5 * (torch.special.xlogy(p, p / m).sum(-1) + torch.special.xlogy(q, q / m).sum(-1))


CASES = (
    Case(
        "softmax",
        lambda z, p, q: divsym.softmax(z, TEMPERATURE),
        {
            "special.softmax(z/T, axis=-1)": (
                lambda z, p, q: special.softmax(z / TEMPERATURE, -1),
                1.0,
            )
        },
        lambda z, p, q: torch.softmax(z / TEMPERATURE, -1),
    ),
    Case(
        "log_softmax",
        lambda z, p, q: divsym.log_softmax(z, TEMPERATURE),
        {
            "special.log_softmax(z/T, axis=-1)": (
                lambda z, p, q: special.log_softmax(z / TEMPERATURE, -1),
                1.0,
            )
        },
        lambda z, p, q: torch.log_softmax(z / TEMPERATURE, -1),
    ),
    Case(
        "entropy",
        lambda z, p, q: divsym.entropy(p),
        {"stats.entropy(p, axis=-1)": (lambda z, p, q: stats.entropy(p, axis=-1), 1.0)},
        lambda z, p, q: torch.special.entr(p).sum(-1),
    ),
    Case(
        "cross_entropy",
        lambda z, p, q: divsym.cross_entropy(p, q),
        {"stats.entropy(p, axis=-1)": (lambda z, p, q: stats.entropy(p, axis=-1), 1.0)},
        lambda z, p, q: -torch.special.xlogy(p, q).sum(-1),
    ),
    Case(
        "kl_divergence",
        lambda z, p, q: divsym.kl_divergence(p, q),
        {
            "stats.entropy(p, q, axis=-1)": (lambda z, p, q: stats.entropy(p, q, axis=-1), 1.0),
            "rel_entr(p, q).sum(-1)": (lambda z, p, q: special.rel_entr(p, q).sum(-1), 1.5),
        },
        lambda z, p, q: torch.nn.functional.kl_div(q.log(), p, reduction="none").sum(-1),
    ),
    Case(
        "js_divergence",
        lambda z, p, q: divsym.js_divergence(p, q),
        {
            "jensenshannon(p, q, axis=-1)**2": (
                lambda z, p, q: jensenshannon(p, q, axis=-1) ** 2,
                1.0,
            )
        },
        lambda z, p, q: _torch_js(p, q),
    ),
)


#: The clock of every timing: wall time, or with ``--clock cpu`` this process's CPU time
#: (steadier on a shared machine: time spent waiting for a core is not counted).
_clock: Callable[[], float] = time.perf_counter


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _median_seconds(function: Callable[..., Any], arguments: tuple[Any, ...], repeat: int) -> float:
    function(*arguments)  # warm up (page faults of the first allocation, lazy imports)
    times = []
    for _ in range(repeat):
        start = _clock()
        function(*arguments)
        times.append(_clock() - start)
    return statistics.median(times)


@dataclass(frozen=True)
class Timing:
    """Medians of alternating calls of divsym and a peer, and divsym's faults per call."""

    ours: float
    theirs: float
    faults: float

    @property
    def ratio(self) -> float:
        return self.ours / self.theirs


def _compare(
    ours: Callable[..., Any],
    theirs: Callable[..., Any],
    arguments: tuple[Any, ...],
    repeat: int,
) -> Timing:
    """Time ``ours`` and ``theirs`` alternately (a load change hits both), after a warm-up."""
    ours(*arguments)
    theirs(*arguments)
    mine, peer, faults = [], [], 0
    for _ in range(repeat):
        before = _minor_faults()
        start = _clock()
        ours(*arguments)
        mine.append(_clock() - start)
        faults += _minor_faults() - before
        start = _clock()
        theirs(*arguments)
        peer.append(_clock() - start)
    return Timing(statistics.median(mine), statistics.median(peer), faults / repeat)


def _torch_ratio(
    case: Case, tensors: tuple[Any, ...] | None, repeat: int, failures: list[str], label: str
) -> str:
    """divsym on torch tensors over the torch function (target :data:`TORCH_TARGET`);
    'n/a' unless divsym returns tensors."""
    if tensors is None or case.torch is None:
        return "—"
    try:
        result = case.divsym(*tensors)
    except (TypeError, ValueError):
        return "n/a"
    if not isinstance(result, torch.Tensor):
        return "n/a"
    timing = _compare(case.divsym, case.torch, tensors, repeat)
    if timing.ratio > TORCH_TARGET:
        failures.append(f"{label} torch tensors vs the torch function")
    return f"{timing.ratio:.2f} (≤ {TORCH_TARGET})"


def _inputs(shape: tuple[int, int], dtype: type[np.floating[Any]]) -> tuple[Array, Array, Array]:
    rng = np.random.default_rng(20261129)
    z = (3.0 * rng.standard_normal(shape)).astype(dtype)
    distributions = []
    for _ in range(2):
        e = np.exp(rng.standard_normal(shape))
        e /= e.sum(axis=-1, keepdims=True)
        distributions.append(e.astype(dtype))
    return z, distributions[0], distributions[1]


def _softmax64(z: Array) -> Array:
    e: Array = np.exp(z - z.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def close_inputs(
    shape: tuple[int, int], dtype: type[np.floating[Any]], epsilon: float
) -> tuple[Array, Array]:
    """``p = softmax(z)``, ``q = softmax(z + ε·N(0, 1))`` with ``z = 3·N(0, 1)`` (float64, cast)."""
    rng = np.random.default_rng(20261130)
    z = 3.0 * rng.standard_normal(shape)
    p = _softmax64(z).astype(dtype)
    z += epsilon * rng.standard_normal(shape)
    return p, _softmax64(z).astype(dtype)


def _per_call_microseconds(function: Callable[[], Any], calls: int, repeat: int) -> float:
    function()
    samples = []
    for _ in range(max(3, repeat)):
        start = _clock()
        for _ in range(calls):
            function()
        samples.append((_clock() - start) / calls * 1e6)
    return statistics.median(samples)


def tiny_rows(calls: int, repeat: int) -> list[tuple[str, str, float, float]]:
    """(function, peer, divsym µs, peer µs) per call on (10,) float64 vectors."""
    rng = np.random.default_rng(20261131)
    z = rng.standard_normal(TINY)
    p, q = _softmax64(z), _softmax64(rng.standard_normal(TINY))
    pairs: list[tuple[str, str, Callable[[], Any], Callable[[], Any]]] = [
        ("softmax", "special.softmax(z)", lambda: divsym.softmax(z), lambda: special.softmax(z)),
        (
            "log_softmax",
            "special.log_softmax(z)",
            lambda: divsym.log_softmax(z),
            lambda: special.log_softmax(z),
        ),
        ("entropy", "stats.entropy(p)", lambda: divsym.entropy(p), lambda: stats.entropy(p)),
        (
            "cross_entropy",
            "-xlogy(p, q).sum()",
            lambda: divsym.cross_entropy(p, q),
            lambda: -special.xlogy(p, q).sum(),
        ),
        (
            "kl_divergence",
            "stats.entropy(p, q)",
            lambda: divsym.kl_divergence(p, q),
            lambda: stats.entropy(p, q),
        ),
        (
            "kl_divergence",
            "rel_entr(p, q).sum()",
            lambda: divsym.kl_divergence(p, q),
            lambda: special.rel_entr(p, q).sum(),
        ),
        (
            "js_divergence",
            "jensenshannon(p, q)**2",
            lambda: divsym.js_divergence(p, q),
            lambda: jensenshannon(p, q) ** 2,
        ),
        ("nll", "-log(q[y])", lambda: divsym.nll(q, 3), lambda: -np.log(q[3])),
    ]
    return [
        (
            name,
            peer_name,
            _per_call_microseconds(ours, calls, repeat),
            _per_call_microseconds(theirs, calls, repeat),
        )
        for name, peer_name, ours, theirs in pairs
    ]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def peak_softmax_memory(shape: tuple[int, int] = SHAPES[0]) -> float:
    """Peak memory allocated during ``divsym.softmax`` (output included), in input sizes."""
    z, _, _ = _inputs(shape, np.float64)
    divsym.softmax(z[:2], TEMPERATURE)
    tracemalloc.start()
    tracemalloc.reset_peak()
    out = divsym.softmax(z, TEMPERATURE)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del out
    return peak / z.nbytes


def _shape(text: str) -> tuple[int, int]:
    rows, _, columns = text.partition("x")
    try:
        shape = (int(rows), int(columns))
    except ValueError:
        raise argparse.ArgumentTypeError(f"shape must be ROWSxCOLUMNS, got {text!r}") from None
    if min(shape) < 1:
        raise argparse.ArgumentTypeError(f"shape must be positive, got {text!r}")
    return shape


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed calls per function")
    parser.add_argument(
        "--shape",
        type=_shape,
        action="append",
        help="an input shape ROWSxCOLUMNS (repeatable; default: the issue's two shapes)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 64×100 arrays, one call each"
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="time with the wall clock (default) or this process's CPU time",
    )
    args = parser.parse_args(argv)
    global _clock
    _clock = time.process_time if args.clock == "cpu" else time.perf_counter
    repeat = 1 if args.quick else args.repeat
    shapes = tuple(args.shape) if args.shape else QUICK_SHAPES if args.quick else SHAPES
    if torch is not None:
        torch.set_num_threads(1)
    print(f"date: {datetime.date.today().isoformat()}")
    print(f"machine: {os.cpu_count()} cores (nproc), {_cpu_model()}")
    versions = f"numpy {np.__version__}, scipy {scipy.__version__}"
    versions += f", torch {torch.__version__} (1 thread)" if torch is not None else ", no torch"
    print(f"versions: {versions}; median of {repeat} alternating calls, {args.clock} clock")
    failures: list[str] = []
    independent = _independent_table(shapes, repeat, failures)
    close = _close_table(shapes[0], repeat, failures)
    tiny = tiny_rows(100 if args.quick else TINY_CALLS, repeat)
    print()
    print(
        "| function | shape | dtype | SciPy peer | divsym / SciPy (target) "
        "| divsym / copy | SciPy / copy | PyTorch / copy | divsym(torch) / PyTorch "
        "| faults / call |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in independent:
        print(row)
    print()
    print(
        f"Close inputs, {shapes[0][0]}×{shapes[0][1]}: p = softmax(z), q = softmax(z + ε·N(0, 1))"
    )
    print()
    print("| function | ε | dtype | SciPy peer | divsym / SciPy (target) | faults / call |")
    print("|---|---|---|---|---|---|")
    for row in close:
        print(row)
    print()
    print(f"Tiny inputs: ({TINY},) float64 vectors, µs per call")
    print()
    print("| function | SciPy peer | divsym µs | SciPy µs | divsym / SciPy (target) |")
    print("|---|---|---|---|---|")
    for name, peer_name, ours, theirs in tiny:
        limit = TINY_TARGETS.get((name, peer_name))
        ratio = f"{ours / theirs:.2f}" + ("" if limit is None else f" (≤ {limit})")
        if limit is not None and ours / theirs > limit:
            failures.append(f"{name} tiny vs {peer_name}")
        print(f"| `{name}` | `{peer_name}` | {ours:.1f} | {theirs:.1f} | {ratio} |")
    peak = peak_softmax_memory(shapes[0])
    print()
    print(f"peak memory of softmax on {shapes[0]} float64: {peak:.2f}× the input (≤ 3)")
    if peak > 3:
        failures.append("softmax peak memory")
    print("targets: all met" if not failures else f"targets missed: {failures}")


def _independent_table(
    shapes: tuple[tuple[int, int], ...], repeat: int, failures: list[str]
) -> list[str]:
    rows = []
    for shape in shapes:
        for dtype in DTYPES:
            z, p, q = _inputs(shape, dtype)
            target = np.empty_like(z)
            copy = _median_seconds(np.copyto, (target, z), repeat)
            tensors = tuple(torch.from_numpy(a) for a in (z, p, q)) if torch is not None else None
            for case in CASES:
                torch_time = (
                    _median_seconds(case.torch, tensors, repeat)
                    if tensors is not None and case.torch is not None
                    else None
                )
                torch_text = "—" if torch_time is None else f"{torch_time / copy:.2f}"
                label = f"{case.name} {shape} {np.dtype(dtype)}"
                through_torch = _torch_ratio(case, tensors, repeat, failures, label)
                for peer_name, (peer, limit) in case.peers.items():
                    timing = _compare(case.divsym, peer, (z, p, q), repeat)
                    if timing.ratio > limit:
                        failures.append(f"{case.name} {shape} {np.dtype(dtype)} vs {peer_name}")
                    rows.append(
                        f"| `{case.name}` | {shape[0]}×{shape[1]} | {np.dtype(dtype).name} "
                        f"| `{peer_name}` | {timing.ratio:.2f} (≤ {limit}) "
                        f"| {timing.ours / copy:.2f} | {timing.theirs / copy:.2f} "
                        f"| {torch_text} | {through_torch} | {timing.faults:.0f} |"
                    )
            print(f"  done {shape} {np.dtype(dtype).name}", flush=True)
    return rows


def _close_table(shape: tuple[int, int], repeat: int, failures: list[str]) -> list[str]:
    peers: dict[str, tuple[str, Callable[[Array, Array], Any], Callable[[Array, Array], Any]]] = {
        "kl_divergence": (
            "rel_entr(p, q).sum(-1)",
            divsym.kl_divergence,
            lambda p, q: special.rel_entr(p, q).sum(-1),
        ),
        "js_divergence": (
            "jensenshannon(p, q, axis=-1)**2",
            divsym.js_divergence,
            lambda p, q: jensenshannon(p, q, axis=-1) ** 2,
        ),
    }
    rows = []
    for epsilon in EPSILONS:
        for dtype in DTYPES:
            p, q = close_inputs(shape, dtype, epsilon)
            for name, (peer_name, ours, theirs) in peers.items():
                timing = _compare(ours, theirs, (p, q), repeat)
                limit = CLOSE_TARGETS[name]
                if timing.ratio > limit:
                    failures.append(f"{name} close ε={epsilon} {np.dtype(dtype)} vs {peer_name}")
                rows.append(
                    f"| `{name}` | {epsilon} | {np.dtype(dtype).name} | `{peer_name}` "
                    f"| {timing.ratio:.2f} (≤ {limit}) | {timing.faults:.0f} |"
                )
            print(f"  done close ε={epsilon} {np.dtype(dtype).name}", flush=True)
    return rows


if __name__ == "__main__":
    main()
