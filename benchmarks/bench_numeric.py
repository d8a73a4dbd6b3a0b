"""Benchmark divsym's array functions against SciPy and, when installed, PyTorch (CPU).

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_numeric.py``). Every function
is timed on (1024, 32768) and (33554, 1000) arrays in float64 and float32 in one run, with the
same thread count for every library (1: NumPy/SciPy elementwise code is single-threaded, and
PyTorch is set to 1 thread). Times are medians of ``--repeat`` calls, printed as ratios to the
SciPy peer and to one ``np.copyto`` of the input. The peak extra memory of ``softmax`` is
measured with ``tracemalloc`` (NumPy reports its allocations to it).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
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
DTYPES = (np.float64, np.float32)
TEMPERATURE = 2.0

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


def _median_seconds(function: Callable[..., Any], arguments: tuple[Any, ...], repeat: int) -> float:
    function(*arguments)  # warm up (page faults of the first allocation, lazy imports)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(*arguments)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _inputs(shape: tuple[int, int], dtype: type[np.floating[Any]]) -> tuple[Array, Array, Array]:
    rng = np.random.default_rng(20261129)
    z = (3.0 * rng.standard_normal(shape)).astype(dtype)
    distributions = []
    for _ in range(2):
        e = np.exp(rng.standard_normal(shape))
        e /= e.sum(axis=-1, keepdims=True)
        distributions.append(e.astype(dtype))
    return z, distributions[0], distributions[1]


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
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per function")
    parser.add_argument(
        "--shape",
        type=_shape,
        action="append",
        help="an input shape ROWSxCOLUMNS (repeatable; default: the issue's two shapes)",
    )
    args = parser.parse_args(argv)
    shapes = tuple(args.shape) if args.shape else SHAPES
    if torch is not None:
        torch.set_num_threads(1)
    print(f"date: {datetime.date.today().isoformat()}")
    print(f"machine: {os.cpu_count()} cores (nproc), {_cpu_model()}")
    versions = f"numpy {np.__version__}, scipy {scipy.__version__}"
    versions += f", torch {torch.__version__} (1 thread)" if torch is not None else ", no torch"
    print(f"versions: {versions}; median of {args.repeat} calls")
    rows = []
    failures = []
    for shape in shapes:
        for dtype in DTYPES:
            z, p, q = _inputs(shape, dtype)
            target = np.empty_like(z)
            copy = _median_seconds(np.copyto, (target, z), args.repeat)
            tensors = tuple(torch.from_numpy(a) for a in (z, p, q)) if torch is not None else None
            for case in CASES:
                ours = _median_seconds(case.divsym, (z, p, q), args.repeat)
                torch_time = (
                    _median_seconds(case.torch, tensors, args.repeat)
                    if tensors is not None and case.torch is not None
                    else None
                )
                for peer_name, (peer, limit) in case.peers.items():
                    theirs = _median_seconds(peer, (z, p, q), args.repeat)
                    ratio = ours / theirs
                    if ratio > limit:
                        failures.append(f"{case.name} {shape} {np.dtype(dtype)} vs {peer_name}")
                    rows.append(
                        (
                            case.name,
                            f"{shape[0]}×{shape[1]}",
                            np.dtype(dtype).name,
                            peer_name,
                            ratio,
                            limit,
                            ours / copy,
                            theirs / copy,
                            None if torch_time is None else torch_time / copy,
                        )
                    )
            print(f"  done {shape} {np.dtype(dtype).name}", flush=True)
    print()
    print(
        "| function | shape | dtype | SciPy peer | divsym / SciPy (target) "
        "| divsym / copy | SciPy / copy | PyTorch / copy |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, shape_text, dtype_name, peer_name, ratio, limit, ours, theirs, tt in rows:
        torch_text = "—" if tt is None else f"{tt:.2f}"
        print(
            f"| `{name}` | {shape_text} | {dtype_name} | `{peer_name}` | {ratio:.2f} (≤ {limit})"
            f" | {ours:.2f} | {theirs:.2f} | {torch_text} |"
        )
    peak = peak_softmax_memory(shapes[0])
    print()
    print(f"peak memory of softmax on {shapes[0]} float64: {peak:.2f}× the input (≤ 3)")
    if peak > 3:
        failures.append("softmax peak memory")
    print("targets: all met" if not failures else f"targets missed: {failures}")


if __name__ == "__main__":
    main()
