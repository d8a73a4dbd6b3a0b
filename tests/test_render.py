"""LaTeX in the lecture's notation, pinned string by string."""

from __future__ import annotations

import pytest
from sympy import Basic, Sum, log

from divsym.identities.cross_entropy_kl import cross_entropy_decomposition
from divsym.notation import i, j, n, p, q, z
from divsym.render.derivation import derivation_markdown, derivation_tex, status_sentence
from divsym.render.latex import to_latex
from divsym.verify import DerivationReport, Status, verify


@pytest.mark.parametrize(
    ("expr", "tex"),
    [
        (p[i], "p_i"),
        (z[j], "z_j"),
        (log(q[i]), r"\log q_i"),
        (log(p[i] / q[i]), r"\log\left(\frac{p_i}{q_i}\right)"),
        (-Sum(p[i] * log(q[i]), (i, 1, n)), r"- \sum_{i=1}^{n} p_i \log q_i"),
    ],
)
def test_lecture_notation(expr: Basic, tex: str) -> None:
    assert to_latex(expr) == tex


def _report(status: Status, fixed: tuple[int, ...] = ()) -> DerivationReport:
    return DerivationReport("x", "x", status, fixed, (), 0.0)


@pytest.mark.parametrize(
    ("report", "sentence"),
    [
        (_report(Status.PROVED), "proved for all n"),
        (_report(Status.PROVED_FIXED_N, (2, 3)), "proved for n = 2, 3 only"),
        (_report(Status.CHECKED_NUMERICALLY), "checked numerically only (not proved)"),
        (_report(Status.FAILED), "FAILED verification"),
    ],
)
def test_status_sentence_never_overclaims(report: DerivationReport, sentence: str) -> None:
    assert status_sentence(report) == sentence


GOLDEN_ALIGN = r"""\begin{align*}
H(P, Q) &= - \sum_{i=1}^{n} p_i \log q_i && \text{(1)} \\
 &= - \sum_{i=1}^{n} p_i \log q_i + \sum_{i=1}^{n} p_i \log p_i - \sum_{i=1}^{n} p_i \log p_i && \text{(2)} \\
 &= - \sum_{i=1}^{n} p_i \log p_i - \sum_{i=1}^{n} p_i \log\left(\frac{q_i}{p_i}\right) && \text{(3)} \\
 &= H(P) + D_{KL}(P \parallel Q) && \text{(4)}
\end{align*}"""


def test_cross_entropy_decomposition_golden_tex() -> None:
    derivation = cross_entropy_decomposition()
    tex = derivation_tex(derivation, verify(derivation))
    assert GOLDEN_ALIGN in tex
    assert tex.rstrip().endswith(r"\textbf{Status: proved for all n.}")


def test_markdown_uses_github_math() -> None:
    derivation = cross_entropy_decomposition()
    markdown = derivation_markdown(derivation, verify(derivation))
    assert "$$\n\\begin{aligned}\nH(P, Q) &= " in markdown
    assert markdown.rstrip().endswith("**Status: proved for all n.**")
