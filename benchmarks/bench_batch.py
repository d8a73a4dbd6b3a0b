"""Benchmark ``divsym batch kl`` on a local two-worker cluster against the in-memory function.

Run with ``.venv/bin/python benchmarks/bench_batch.py`` (``--quick`` for a smoke run). It
writes two ``.npy`` corpora of distributions (``--rows`` × ``--classes`` float64, teacher and
student close as in distillation) to a temporary folder, then times, alternating so that a
change of machine load hits all of them:

- ``in-memory``: ``divsym.kl_divergence(p, q)`` on the arrays already in memory (one core);
- ``batch, local threads``: ``divsym batch kl P Q --out KL.npy`` on the threaded scheduler
  (``--threads`` = the cores given);
- ``batch, 2-worker cluster``: the same with ``--scheduler`` of a ``LocalCluster`` of two
  worker processes, one thread each (connecting included).

The batch times cover reading both inputs from the (warm) page cache, evaluating, writing the
output atomically and scheduling. Each figure is the median of ``--repeat`` runs, printed as
rows per second per core and as a ratio to the in-memory function: the overhead of Dask and of
going through files (1.0 = none; below 1 = slower per core).
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from divsym.cli.main import main
from divsym.numeric.functions import kl_divergence, softmax


def _corpus(folder: Path, rows: int, classes: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(rows, classes)) * 3
    paths = folder / "p.npy", folder / "q.npy"
    np.save(paths[0], softmax(z))
    np.save(paths[1], softmax(z + 0.1 * rng.normal(size=z.shape)))
    return paths


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main_(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=100)
    parser.add_argument("--memory-per-chunk", default="8MiB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small corpus, one repeat")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeat = 20_000, 1
    local_cluster: Any = importlib.import_module("distributed").LocalCluster  # untyped

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        p_path, q_path = _corpus(folder, args.rows, args.classes)
        p, q = np.load(p_path), np.load(q_path)
        out = folder / "kl.npy"
        batch = ["batch", "kl", str(p_path), str(q_path), "--out", str(out), "--force"]
        batch += ["--memory-per-chunk", args.memory_per_chunk, "--quiet"]
        with local_cluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            runs: dict[str, tuple[int, Callable[[], object]]] = {
                "in-memory": (1, lambda: kl_divergence(p, q)),
                "batch, local threads": (2, lambda: main([*batch, "--threads", "2"])),
                "batch, 2-worker cluster": (
                    2,
                    lambda: main([*batch, "--scheduler", cluster.scheduler_address]),
                ),
            }
            for _, run in runs.values():  # warm-up: imports, worker code, page cache
                run()
            times: dict[str, list[float]] = {label: [] for label in runs}
            for _ in range(args.repeat):
                for label, (_, run) in runs.items():
                    times[label].append(_timed(run))
        expected = kl_divergence(p, q)
        assert np.load(out).tobytes() == expected.tobytes(), "batch result differs"
    print(
        f"KL of {args.rows} x {args.classes} float64 rows "
        f"({2 * p.nbytes / 2**20:.0f} MiB in), chunks of {args.memory_per_chunk}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, median of {args.repeat}"
    )
    per_core_base = args.rows / statistics.median(times["in-memory"])
    for label, (cores, _) in runs.items():
        seconds = statistics.median(times[label])
        per_core = args.rows / seconds / cores
        print(
            f"  {label:<24} {seconds:7.3f} s on {cores} core(s)  {per_core:12,.0f} rows/s/core"
            f"  ratio {per_core / per_core_base:5.2f}"
        )


if __name__ == "__main__":
    main_()
