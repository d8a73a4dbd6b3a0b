"""The calculator subcommands: results on stdout (exit 0), one-line errors on stderr (exit 2)."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import divsym
from divsym.cli.calculator import COMMANDS
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


# --- one separator convention, negative numbers, output and error hygiene ---------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["softmax", "1,-2,3"],
        ["softmax", "1", "-2", "3"],
        ["softmax", "1 -2 3"],
        ["softmax", "1, -2", "3"],
        ["softmax", "1,-2,3", "--T", "1"],
    ],
)
def test_every_separator_gives_the_same_vector(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    printed = [float(x) for x in capsys.readouterr().out.split()]
    np.testing.assert_array_equal(printed, divsym.softmax([1.0, -2.0, 3.0]))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["softmax", "-1,2,3"], divsym.softmax([-1.0, 2.0, 3.0])),
        (["softmax", "-1e308", "-1.5"], divsym.softmax([-1e308, -1.5])),
        (["softmax", "-inf,1"], [0.0, 1.0]),  # a masked logit (-inf) has probability 0
        (["log-softmax", "-1,-2", "--T", "0.5"], divsym.log_softmax([-1.0, -2.0], T=0.5)),
        (
            ["kl", "0.5,0.5", "0.9,0.1", "--base", "2"],
            divsym.kl_divergence([0.5, 0.5], [0.9, 0.1], base=2),
        ),
    ],
)
def test_negative_numbers_need_no_double_dash(
    argv: list[str], expected: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0, capsys.readouterr().err
    printed = [float(x) for x in capsys.readouterr().out.split()]
    np.testing.assert_array_equal(printed, np.atleast_1d(np.asarray(expected)))


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["softmax", "1", "--T", "-1e-3"], "T must be finite and > 0, got -0.001"),
        (["kl", "-0.5,1.5", "0.5,0.5"], "p must be nonnegative, got -0.5"),
        (["nll", "0.5,0.5", "-1"], "labels must lie in 0..1, got -1"),
        (["softmax", "1", "--T", "-inf"], "T must be finite and > 0, got -inf"),
        (["softmax", "-nan,1"], "z must"),
    ],
)
def test_a_negative_value_reaches_validation_not_the_option_parser(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err, err


def test_minus_zero_is_never_printed(capsys: pytest.CaptureFixture[str]) -> None:
    # entropy([1, 0]) is -0.0 in floating point (−(1·log 1) − 0); printed as 0.0.
    assert main(["entropy", "1,0"]) == 0
    assert capsys.readouterr().out.strip() == "0.0"


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["entropy", ""], "empty vector"),
        (["entropy", "1,,0"], "empty entry in the vector '1,,0'"),
        (["softmax", "1", "--T", "inf"], "T must be finite and > 0, got inf"),
        (["softmax", "1", "--T", "nan"], "T must be finite and > 0, got nan"),
        (["entropy", "1,0", "--base", "-2"], "base must be finite and > 0, got -2.0"),
        (["softmax", "x" * 100_000], "not a number: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"),
        (["nll", "0.5,0.5", "1" * 5000], "not an integer label: '1111111"),
        (["kl", "0.5,0.5", "1,0," * 30_000], "…"),
        (["entropy", "½,½"], "not a number: '½'"),
        (["x" * 100_000], "invalid choice: 'xxxxxxxx"),
    ],
)
def test_edge_inputs_are_one_short_line_and_exit_2(argv: list[str], fragment: str) -> None:
    result = _run(*argv)
    assert result.returncode == 2, (argv[:2], result.stderr[:300])
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert fragment in result.stderr, result.stderr[:300]
    assert len(result.stderr) < 600  # a 100,000-character argument is never echoed
    assert "Traceback" not in result.stderr


def test_a_tiny_temperature_is_a_result_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    # T = 1e-310 is subnormal but positive and finite: softmax is the one-hot of the maximum.
    assert main(["softmax", "1", "2", "--T", "1e-310"]) == 0
    assert capsys.readouterr().out.split() == ["0.0", "1.0"]


def test_a_huge_vector_is_computed(capsys: pytest.CaptureFixture[str]) -> None:
    n = 100_000
    assert main(["entropy", ",".join([repr(1 / n)] * n)]) == 0
    # H(uniform over n) = log n; the sum of n copies of 1e-5 is within the tolerance of 1.
    assert float(capsys.readouterr().out) == pytest.approx(np.log(n), rel=1e-12)


# --- fuzz: no input, however odd, gets a traceback -------------------------------------------

_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["1e-310", "-0.0", "1e309", "-inf", "nan", "0", "1", ".5", "1_0"]),
)
_TOKEN = st.one_of(
    _NUMBER,
    st.lists(_NUMBER, min_size=0, max_size=5).map(",".join),
    st.lists(_NUMBER, min_size=1, max_size=5).map(" ".join),
    st.sampled_from(["--T", "--base", "--", "-", "--T=-1", "--base=1", "-x", ",", " ", ""]),
    st.text(max_size=30),
)
_ARGV = st.tuples(
    st.one_of(st.sampled_from(sorted(COMMANDS)), st.text(max_size=10)),
    st.lists(_TOKEN, max_size=6),
).map(lambda parts: [parts[0], *parts[1]])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(argv=_ARGV)
def test_fuzzed_command_lines_exit_0_or_2_in_one_line_never_a_traceback(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        code = main(argv)
    assert code in {0, 1, 2}, (argv, code)
    assert not caught, [str(w.message) for w in caught]  # a warning is a stray stderr line
    stderr = err.getvalue()
    assert "Traceback" not in stderr
    assert "internal error" not in stderr, stderr
    if code == 0 and argv[0] in COMMANDS and "-h" not in argv and "--help" not in argv:
        values = out.getvalue().split()
        assert values, argv
        assert "-0.0" not in values
        assert all(isinstance(float(v), float) for v in values)
    else:
        assert stderr.count("\n") <= 1, stderr
        assert len(stderr) < 1000


@pytest.mark.parametrize("text", ["1", " 1", "1.0", "1e0"])
def test_nll_label_accepts_integral_numbers_as_the_api_does(text: str) -> None:
    from divsym.cli.calculator import parse_label

    assert parse_label(text) == 1


@pytest.mark.parametrize("text", ["1.5", "nan", "inf", "one", ""])
def test_nll_label_refuses_what_is_not_an_integer(text: str) -> None:
    import argparse

    from divsym.cli.calculator import parse_label

    with pytest.raises(argparse.ArgumentTypeError, match="not an integer label"):
        parse_label(text)
