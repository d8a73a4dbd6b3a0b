"""The benchmark script runs end to end (on small arrays; the real run is `make bench`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_numeric.py"


@pytest.mark.slow
def test_benchmark_prints_ratios_for_every_function_on_small_arrays() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--repeat", "1", "--shape", "64x100"],
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
