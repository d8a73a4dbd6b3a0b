"""``divsym batch --scheduler`` on a two-worker ``dask.distributed.LocalCluster``.

Two worker processes with one thread each; inputs of tens of MB, larger than the chunk budget:
results bit for bit equal to the in-memory public functions, the workers' resident memory
bounded by the chunk budget rather than the input, and interrupted runs leaving nothing behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")
zarr = pytest.importorskip("zarr")

from divsym.cli.main import main  # noqa: E402
from divsym.numeric import functions as f  # noqa: E402

pytestmark = pytest.mark.slow

BUDGET = 1 << 20  # bytes per chunk (--memory-per-chunk)
T = 3.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
        distributed.Client(local) as client,
    ):
        client.run(lambda: __import__("divsym.cli.batch_run"))  # the task code, imported once
        yield local


@pytest.fixture(scope="module")
def logits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Teacher and student logits, 12 000 × 100 float64: 9.2 MiB each, ~20 chunk budgets
    together with the soft targets made from them."""
    folder = tmp_path_factory.mktemp("logits")
    rng = np.random.default_rng(11)
    teacher = rng.normal(size=(12_000, 100)) * 10.0 ** rng.uniform(-1, 1, size=(12_000, 1))
    student = teacher + rng.normal(size=teacher.shape) * 0.05
    student[::5] = rng.normal(size=student[::5].shape) * 4
    paths = {"t": folder / "teacher.npy", "s": folder / "student.npy"}
    np.save(paths["t"], teacher)
    np.save(paths["s"], student)
    return paths


def _batch(cluster: Any, *argv: object) -> int:
    words = ["batch", *(str(a) for a in argv), "--scheduler", cluster.scheduler_address]
    return main([*words, "--memory-per-chunk", str(BUDGET), "--quiet"])


def _read(path: Path) -> NDArray[Any]:
    if path.suffix == ".zarr":
        array: NDArray[Any] = np.asarray(zarr.open_array(str(path), mode="r")[:])
    else:
        array = np.load(path)
    return array


@pytest.mark.parametrize(
    ("name", "suffix"),
    [("kl", ".npy"), ("js", ".zarr"), ("entropy", ".npy"), ("softmax", ".zarr")],
)
def test_two_workers_give_the_in_memory_results_bit_for_bit(
    name: str, suffix: str, cluster: Any, logits: dict[str, Path], tmp_path: Path
) -> None:
    teacher, student = np.load(logits["t"]), np.load(logits["s"])
    assert teacher.nbytes > 8 * BUDGET  # many chunks
    out = tmp_path / f"{name}{suffix}"
    if name == "softmax":
        code = _batch(cluster, "softmax", logits["t"], "--T", T, "--out", out)
        expected = f.softmax(teacher, T=T)
    elif name == "entropy":
        code = _batch(cluster, "entropy", logits["t"], "--from-logits", "--T", T, "--out", out)
        expected = f.entropy(f.softmax(teacher, T=T))
    else:
        argv = (name, logits["t"], logits["s"], "--from-logits", "--T", T, "--out", out)
        code = _batch(cluster, *argv)
        function = f.kl_divergence if name == "kl" else f.js_divergence
        expected = function(f.softmax(teacher, T=T), f.softmax(student, T=T))
    assert code == 0
    result = _read(out)
    assert result.shape == expected.shape
    assert result.dtype == expected.dtype
    assert result.tobytes() == expected.tobytes()


class _PeakRSS:
    """The largest resident set of each worker process, sampled every 2 ms in a thread."""

    def __init__(self, pids: list[int]) -> None:
        self.processes = [psutil.Process(pid) for pid in pids]
        self.base = [p.memory_info().rss for p in self.processes]
        self.peak = list(self.base)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            for k, process in enumerate(self.processes):
                self.peak[k] = max(self.peak[k], process.memory_info().rss)
            time.sleep(0.002)

    def __enter__(self) -> _PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return int(max(peak - base for peak, base in zip(self.peak, self.base, strict=True)))


def _load_all_and_kl(teacher: str, student: str, T: float) -> float:
    """What a worker would do without chunking: the whole corpus in memory at once."""
    p = f.softmax(np.load(teacher), T=T)
    q = f.softmax(np.load(student), T=T)
    return float(f.kl_divergence(p, q).sum())


def test_worker_memory_stays_near_the_chunk_budget_not_the_input(
    cluster: Any, logits: dict[str, Path], tmp_path: Path
) -> None:
    with distributed.Client(cluster, set_as_default=False) as client:
        pids = list(client.run(os.getpid).values())
        input_bytes = sum(path.stat().st_size for path in logits.values())
        assert input_bytes >= 10 * BUDGET
        # Warm up: the first run imports Dask's array code and Zarr in the workers.
        assert _batch(cluster, "kl", logits["t"], logits["s"], "--from-logits", "--summary") == 0
        out = tmp_path / "kl.npy"
        argv = ("kl", logits["t"], logits["s"], "--from-logits", "--T", T, "--out", out)
        with _PeakRSS(pids) as batch:
            assert _batch(cluster, *argv, "--summary") == 0
        # The probe can fail: the same KL computed in one piece on a worker grows it by the
        # size of the input.
        with _PeakRSS(pids) as whole:
            client.submit(_load_all_and_kl, str(logits["t"]), str(logits["s"]), T).result()
    print(
        f"\ninput {input_bytes / 2**20:.1f} MiB, chunk budget {BUDGET / 2**20:.1f} MiB: "
        f"worker RSS growth {batch.growth / 2**20:.1f} MiB in the batch, "
        f"{whole.growth / 2**20:.1f} MiB in one piece"
    )
    assert whole.growth > input_bytes
    assert batch.growth < 8 * BUDGET  # measured ~6x (1 MiB budget, 18 MiB input)
    assert batch.growth < input_bytes / 2


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if ".divsym-" in p.name]


@pytest.mark.parametrize(
    ("sig", "status", "remote"),
    [(signal.SIGINT, 130, False), (signal.SIGTERM, 143, False), (signal.SIGTERM, 143, True)],
)
def test_an_interrupted_run_leaves_nothing_and_a_rerun_succeeds(
    sig: signal.Signals,
    status: int,
    remote: bool,
    cluster: Any,
    logits: dict[str, Path],
    tmp_path: Path,
) -> None:
    out = tmp_path / "soft.npy"
    argv = ["batch", "softmax", str(logits["t"]), "--out", str(out), "--quiet"]
    argv += ["--memory-per-chunk", "64kB"]  # many small chunks: a run long enough to stop
    if remote:
        argv += ["--scheduler", cluster.scheduler_address]
    command = "from divsym.cli.main import main; raise SystemExit(main())"
    process = subprocess.Popen(
        [sys.executable, "-c", command, *argv], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not _temporaries(tmp_path) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # some chunks written
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status, err
    assert err.strip().splitlines()[-1].endswith("stopped, nothing written")
    assert not out.exists()
    assert not _temporaries(tmp_path)
    assert main(argv[:-2] if remote else argv) == 0  # the rerun, here on local threads
    assert np.load(out).tobytes() == f.softmax(np.load(logits["t"])).tobytes()


def test_a_worker_killed_mid_run_gives_the_full_result_or_nothing(
    cluster: Any, logits: dict[str, Path], tmp_path: Path
) -> None:
    # Last in this file: the killed worker is restarted by its nanny for later users.
    with distributed.Client(cluster, set_as_default=False) as client:
        victim = next(iter(client.run(os.getpid).values()))
    out = tmp_path / "soft.npy"
    argv = ("softmax", logits["t"], "--out", out, "--memory-per-chunk", "16kB")  # ~2400 chunks
    outcome: list[int] = []
    run = threading.Thread(target=lambda: outcome.append(_batch(cluster, *argv)))
    run.start()
    deadline = time.monotonic() + 60
    while not _temporaries(tmp_path) and run.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert run.is_alive(), "the run ended before a worker could be killed"
    os.kill(victim, signal.SIGKILL)
    run.join(timeout=120)
    assert not run.is_alive()
    print(f"\nworker {victim} killed mid-run: exit status {outcome}")
    expected = f.softmax(np.load(logits["t"])).tobytes()
    if outcome == [0]:  # distributed reran the lost chunks on the other worker
        assert np.load(out).tobytes() == expected
    else:
        assert not out.exists()
    assert not _temporaries(tmp_path)
    assert _batch(cluster, *argv, "--force") == 0  # a rerun succeeds
    assert np.load(out).tobytes() == expected
