"""The benchmark script runs end to end (on small arrays; the real run is `make bench`)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_numeric.py"


@pytest.mark.slow
def test_benchmark_prints_ratios_for_every_function_on_small_arrays() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--clock", "cpu"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for name in (
        "softmax",
        "log_softmax",
        "entropy",
        "cross_entropy",
        "kl_divergence",
        "js_divergence",
    ):
        assert f"| `{name}` | 64×100 |" in result.stdout, result.stdout
    assert "peak memory of softmax on (64, 100) float64" in result.stdout
    assert "alternating calls, cpu clock" in result.stdout
    for epsilon in ("0.01", "0.1"):  # the close inputs, in both dtypes, against their targets
        for dtype in ("float64", "float32"):
            assert f"| `kl_divergence` | {epsilon} | {dtype} | `rel_entr" in result.stdout
            assert f"| `js_divergence` | {epsilon} | {dtype} | `jensenshannon" in result.stdout
    assert "(≤ 1.2)" in result.stdout
    assert "(≤ 0.6)" in result.stdout
    tiny = result.stdout.split("Tiny inputs")[1]
    for name in ("softmax", "log_softmax", "entropy", "kl_divergence", "js_divergence", "nll"):
        assert f"| `{name}` | `" in tiny  # tiny vectors, µs per call
    assert "| `softmax` | `special.softmax(z)` |" in tiny
    assert tiny.count("(≤ 2.0) |") == 2  # softmax and KL have targets
    if importlib.util.find_spec("torch") is not None:  # divsym on torch tensors: a ratio
        for line in result.stdout.splitlines():
            if line.startswith("| `") and "| 64×100 |" in line:
                assert line.split("|")[-3].strip().endswith("(≤ 1.3)"), line
    header = next(line for line in result.stdout.splitlines() if line.startswith("| function |"))
    assert header.endswith("| faults / call |")
    row = next(line for line in result.stdout.splitlines() if line.startswith("| `entropy`"))
    assert row.split("|")[-2].strip().isdigit()  # minor page faults per call, a count


def test_benchmark_close_inputs_are_close_and_normalised() -> None:
    spec = importlib.util.spec_from_file_location("bench_numeric", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    bench_numeric = importlib.util.module_from_spec(spec)
    sys.modules["bench_numeric"] = bench_numeric  # dataclasses look their module up there
    spec.loader.exec_module(bench_numeric)
    for epsilon in (0.01, 0.1):
        p, q = bench_numeric.close_inputs((4, 1000), np.float64, epsilon)
        np.testing.assert_allclose(p.sum(axis=-1), 1, rtol=1e-13)
        np.testing.assert_allclose(q.sum(axis=-1), 1, rtol=1e-13)
        spread = float(np.std(np.log(q / p)))  # log q − log p = ε·noise − a row constant
        assert 0.8 * epsilon < spread < 1.2 * epsilon, (epsilon, spread)


def test_benchmark_rejects_a_bad_shape() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--shape", "64by100"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "shape must be ROWSxCOLUMNS, got '64by100'" in result.stderr
