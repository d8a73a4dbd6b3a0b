"""Derivations and reports display as rendered math in an IPython shell (Jupyter's kernel)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from sympy import Sum, log

import divsym
from divsym import display
from divsym.kernel.verify import verify as kernel_verify
from divsym.render.markdown import markdown_text
from divsym.render.status import step_reason

InteractiveShell = pytest.importorskip("IPython.core.interactiveshell").InteractiveShell


@pytest.fixture(scope="module")
def shell() -> Any:
    instance = InteractiveShell.instance()
    divsym.load_ipython_extension(instance)
    return instance


def _markdown(shell: Any, obj: object) -> str:
    formats, _ = shell.display_formatter.format(obj)
    assert "text/markdown" in formats, formats.keys()
    return str(formats["text/markdown"])


def _kl_to_uniform() -> divsym.Derivation:
    from divsym import Context, Derivation, Step
    from divsym.symbols import H, i, n, p

    return Derivation(
        id="kl-uniform",
        title="KL divergence to the uniform distribution",
        context=Context(distributions=(p,)),
        steps=(
            Step(Sum(p[i] * log(n * p[i]), (i, 1, n)), "D_KL(P ‖ U) with u_i = 1/n"),
            Step(Sum(p[i] * log(p[i]), (i, 1, n)) + log(n), "log(n p_i) = log n + log p_i"),
            Step(log(n) - H(p), "definition of the entropy"),
        ),
    )


def _wrong() -> divsym.Derivation:
    from divsym.symbols import H, n, p

    return _kl_to_uniform().with_step(2, log(n) + H(p))


def test_a_report_shows_each_step_as_math_with_its_reason_and_status(shell: Any) -> None:
    text = _markdown(shell, divsym.verify(_kl_to_uniform()))
    assert r"\begin{aligned}" in text
    assert r"\log n - H(P)" in text
    assert "definition of the entropy — *proved (canonical form)*" in text
    assert "**Status: proved for all n.**" in text
    assert "Why not proved" not in text


def test_a_failed_derivation_shows_the_failing_step_and_its_counterexample(shell: Any) -> None:
    text = _markdown(shell, _wrong())  # displaying a derivation verifies it
    report = divsym.verify(_wrong())
    failing = report.steps[-1]
    assert r"H(P) + \log n" in text
    assert "**Status: FAILED verification.**" in text
    assert "- step (2) is **failed**: " + markdown_text(step_reason(failing)) in text
    assert "n = " in step_reason(failing)  # the backstop's counterexample: n and both values
    assert "step (1) is" not in text  # a proved step is not explained as a failure


def test_a_kernel_report_without_its_derivation_is_a_table_of_steps(shell: Any) -> None:
    report = kernel_verify(_wrong())
    text = _markdown(shell, report)
    assert "| step | status | reason |" in text
    assert "| (1) | proved (canonical form) |" in text
    assert "| (2) | FAILED" in text
    assert "**FAILED verification**" in text


def test_without_a_verifier_a_derivation_is_shown_unverified() -> None:
    local = InteractiveShell()
    display.register(local, verifier=None)
    text = _markdown(local, _kl_to_uniform())
    assert r"\begin{aligned}" in text
    assert "2. definition of the entropy" in text
    assert "Not verified" in text


def test_a_display_that_fails_says_so_in_the_cell_instead_of_raising() -> None:
    local = InteractiveShell()

    def broken(derivation: Any) -> Any:
        raise RuntimeError("no verifier today")

    display.register(local, verifier=broken)
    text = _markdown(local, _kl_to_uniform())
    assert "divsym could not display this: RuntimeError: no verifier today" in text


def test_importing_divsym_inside_a_shell_registers_the_formatters() -> None:
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "import divsym\n"
        "printers = shell.display_formatter.formatters['text/markdown'].deferred_printers\n"
        "print(sorted(printers))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "('divsym.kernel.derivation', 'Derivation')" in result.stdout
    assert "('divsym.kernel.verify', 'DerivationReport')" in result.stdout


def test_importing_divsym_outside_a_shell_registers_nothing() -> None:
    code = "import sys, divsym\nprint('divsym.display' in sys.modules, 'IPython' in sys.modules)\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False False"


def test_a_derivation_capped_by_a_lemma_shows_why(shell: Any) -> None:
    from divsym.identities.gibbs import gibbs_inequality

    report = kernel_verify(gibbs_inequality())  # the lemma's status not given: capped
    text = display.derivation_markdown(gibbs_inequality(), report)
    assert "**Why not proved:**" in text
    assert "- the derivation: " in text
    assert "gibbs-lemma" in text
    # divsym.verify supplies the lemma's status: proved, nothing to explain.
    assert "Why not proved" not in _markdown(shell, divsym.verify(gibbs_inequality()))
