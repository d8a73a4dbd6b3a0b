"""divsym distill: the calculator's rules (vectors, negative numbers, one-line errors, exit 2)."""

from __future__ import annotations

import pytest

from divsym.cli.main import main
from divsym.numeric.distillation import distillation_loss, distillation_loss_grad


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_loss_and_gradient(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "distill", "-1,2,3", "0.5 1 2.5", "--T", "4", "--grad")
    assert code == 0
    assert err == ""
    loss, grad = out.splitlines()
    assert float(loss) == float(distillation_loss([-1, 2, 3], [0.5, 1, 2.5], 4.0))
    expected = distillation_loss_grad([-1, 2, 3], [0.5, 1, 2.5], 4.0)
    assert [float(g) for g in grad.split()] == expected.tolist()


def test_labels_alpha_and_form(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("distill", "1,2,3", "1,2,4", "--T", "2", "--labels", "1", "--alpha", "0.5")
    code, out, _ = _run(capsys, *argv, "--form", "ce")
    expected = distillation_loss([1, 2, 3], [1, 2, 4], 2.0, 1, 0.5, form="ce")
    assert code == 0
    assert float(out) == float(expected)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("distill", "1,2", "1,2", "--T", "0"), "T must be finite and > 0"),
        (("distill", "1,2", "1,2", "--T", "-1e-3"), "T must be finite and > 0"),
        (("distill", "1,2,3", "1,2", "--T", "1"), "same shape"),
        (("distill", "1,2", "1,2", "--T", "1", "--alpha", "0.5"), "needs labels"),
        (("distill", "1,2", "1,2", "--T", "1", "--labels", "2", "--alpha", "0.5"), "labels"),
        (("distill", "1,x", "1,2", "--T", "1"), "not a number"),
        (("distill", "1,2", "1,2"), "--T"),
    ],
)
def test_errors_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
