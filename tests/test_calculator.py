"""The calculator subcommands: results on stdout (exit 0), one-line errors on stderr (exit 2)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import divsym
from divsym.cli.main import main


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "divsym", *argv], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["softmax", "2", "1", "0.1", "--T", "0.5"], divsym.softmax([2, 1, 0.1], T=0.5)),
        (["log-softmax", "-1", "2"], divsym.log_softmax([-1.0, 2.0])),
        (["entropy", "0.25,0.75", "--base", "2"], divsym.entropy([0.25, 0.75], base=2)),
        (["cross-entropy", "1,0", "0.5,0.5"], divsym.cross_entropy([1, 0], [0.5, 0.5])),
        (
            ["kl", "0.5,0.5", "0.9,0.1", "--base", "2"],
            divsym.kl_divergence([0.5, 0.5], [0.9, 0.1], base=2),
        ),
        (["js", "1,0", "0,1", "--base", "2"], divsym.js_divergence([1, 0], [0, 1], base=2)),
        (["js-distance", "0.5,0.5", "0.9,0.1"], divsym.js_distance([0.5, 0.5], [0.9, 0.1])),
        (["nll", "0.25,0.75", "1"], divsym.nll([0.25, 0.75], 1)),
    ],
)
def test_calculator_prints_the_library_result(
    argv: list[str], expected: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    printed = [float(x) for x in capsys.readouterr().out.split()]
    np.testing.assert_array_equal(printed, np.atleast_1d(np.asarray(expected)), err_msg=str(argv))


def test_calculator_subprocess_exit_0_and_result_on_stdout() -> None:
    result = _run("kl", "0.5,0.5", "0.9,0.1", "--base", "2")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert float(result.stdout) == pytest.approx(0.7369655941662062, rel=1e-15)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["softmax", "__import__('os').system('x')"], "not a number"),
        (["kl", "0.5,0.5", "__import__('os').system('x'),1"], "not a number"),
        (["entropy", "1+1"], "not a number"),
        (["kl", "0.5,-0.5", "1,0"], "p must be nonnegative, got -0.5"),
        (["entropy", "0.2,0.2"], "p must sum to 1"),
        (["softmax", "1", "2", "--T", "0"], "T must be finite and > 0, got 0.0"),
        (["softmax", "1", "nan"], "z must be finite, got nan"),
        (["kl", "0.5,0.5", "0.3,0.3,0.4"], "p of shape (2,) and q of shape (3,) do not broadcast"),
        (["nll", "0.5,0.5", "2"], "labels must lie in 0..1, got 2"),
        (["nll", "0.5,0.5", "x"], "not an integer label"),
        (["entropy", "1,0", "--base", "1"], "base must not be 1"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(argv: list[str], fragment: str) -> None:
    result = _run(*argv)
    assert result.returncode == 2, (argv, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("divsym: error:")
    assert fragment in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_the_injected_text_is_never_evaluated() -> None:
    marker = "divsym_calculator_must_not_run_this"
    result = _run("softmax", f"__import__('os').system('echo {marker}')")
    assert result.returncode == 2
    assert marker not in result.stdout
