"""The printed lecture a lecturer can cite from: distinct numbers, references by label, GitHub
math in fenced blocks, sources cited, upright operator names, no template text."""

from __future__ import annotations

import re

import pytest

from divsym.identities import all_derivations
from divsym.identities.lecture import EQUATIONS, SECTIONS
from divsym.kernel.verify import verify_all
from divsym.render.derivation import derivation_markdown
from divsym.render.document import (
    REFERENCES,
    derivation_numbers,
    equation_numbers,
    lecture_display,
    lecture_markdown,
    lecture_tex,
)
from divsym.render.prose import bare_math, prose_markdown, prose_tex, sentence
from divsym.render.tex import RenderError

DERIVATIONS = all_derivations()
REPORTS = {report.id: report for report in verify_all(DERIVATIONS)}
TEX = lecture_tex(DERIVATIONS, REPORTS, "% header")
MARKDOWN = lecture_markdown(DERIVATIONS, REPORTS, "<!-- header -->")


def test_lecture_equations_are_numbered_L1_on_and_nothing_else_is() -> None:
    tags = re.findall(r"\\tag\{([^}]*)\}", TEX)
    lecture = [e for e in EQUATIONS if e.source == "lecture"]
    paper = [e for e in EQUATIONS if e.source == "hinton2015"]
    assert len(lecture) == 19  # the lecture's display equations
    # Hinton et al.'s (2)-(4), the T² scaling, the hard-label and the weighted-sum gradients
    assert len(paper) == 6
    expected = [f"L{k}" for k in range(1, 20)] + [f"D{k}" for k in range(1, 7)]
    assert tags == expected
    # The lecture's own "\quad (1)" is not shown beside the document's number.
    assert not re.search(r"\\quad\s*\(\d+\)", TEX)


def test_derivation_numbers_follow_the_sections() -> None:
    numbers = derivation_numbers(DERIVATIONS)
    assert len(set(numbers.values())) == len(DERIVATIONS)
    for derivation in DERIVATIONS:
        section = next(k for k, s in enumerate(SECTIONS, 1) if s.id == derivation.section)
        assert numbers[derivation.id].startswith(f"{section}.")
        assert f"### {numbers[derivation.id]} " in MARKDOWN


def test_markdown_step_numbers_carry_the_derivation_number() -> None:
    numbers = derivation_numbers(DERIVATIONS)
    derivation = DERIVATIONS[0]
    markdown = derivation_markdown(derivation, REPORTS[derivation.id], number="4.2")
    assert r"\text{(4.2.1)}" in markdown
    assert "- (4.2.1) " in markdown
    assert r"\text{(1)}" not in markdown
    assert rf"\text{{({numbers[derivation.id]}.1)}}" in MARKDOWN


def test_notes_refer_to_equations_and_steps_by_label() -> None:
    assert r"Eq.~\eqref{eq-softmax} is expression~\eqref{softmax-normalisation-1}" in TEX
    assert "expression (" not in TEX  # never a bare "expression (3)"


def test_github_markdown_has_every_display_in_a_math_block() -> None:
    assert "$$" not in MARKDOWN
    inside = False
    for line in MARKDOWN.splitlines():
        if line.startswith("```"):
            inside = line == "```math"
            continue
        assert inside or r"\\" not in line, line


def test_the_fence_rule_can_fail() -> None:
    derivation = DERIVATIONS[0]
    dollars = derivation_markdown(derivation, REPORTS[derivation.id])
    assert "$$" in dollars  # Jupyter's form: the check above would reject it


def test_sources_are_cited_and_listed() -> None:
    for reference in REFERENCES:
        assert rf"\cite{{{reference.key}}}" in TEX or rf"]{{{reference.key}}}" in TEX
        assert rf"\bibitem{{{reference.key}}}" in TEX
        assert reference.title in MARKDOWN
    assert r"\begin{thebibliography}" in TEX
    assert "## References" in MARKDOWN
    assert "Cover" in MARKDOWN
    assert "Hinton" in MARKDOWN


def test_pdf_metadata_has_a_title_and_author() -> None:
    assert re.search(r"\\hypersetup\{pdftitle=\{[^}]+\}, pdfauthor=\{[^}]+\}", TEX)


def test_juxtaposed_lecture_expressions_get_a_relation() -> None:
    rows = lecture_display(r"-a + \cancel{b} \quad -a")
    assert len(rows) == 2
    assert r"\xrightarrow" in rows[1]
    kl_ce = next(e for e in EQUATIONS if e.label == "kl-ce")
    assert any(r"\xrightarrow" in row for row in lecture_display(kl_ce.tex))


def test_lecture_operator_names_upright_and_brackets_scaled() -> None:
    jsd = next(e for e in EQUATIONS if e.label == "jsd")
    display = " ".join(lecture_display(jsd.tex))
    assert display.startswith(r"\operatorname{JSD}(P")
    assert r"D_{\mathrm{KL}}\left(P \parallel \frac{P+Q}{2}\right)" in display
    assert "JSD(" not in display.replace(r"\operatorname{JSD}(", "")


def test_no_template_text() -> None:
    assert "starting from" not in TEX
    assert "starting from" not in MARKDOWN
    assert "Jensen-Shannon" not in TEX
    assert "Jensen-Shannon" not in MARKDOWN
    assert sentence("choose $\\theta$") == "Choose $\\theta$"
    assert sentence("$q_i$ as T grows") == "$q_i$ as T grows"


def test_sympy_class_names_stay_out_of_the_prose() -> None:
    prose = "\n".join(
        text for d in DERIVATIONS for text in (*(s.because for s in d.steps), *d.remarks)
    )
    for name in ("Piecewise", "the Sum", "a Sum", "KroneckerDelta", "Indexed", "Derivative("):
        assert name not in prose, name


def test_references_render_and_unknown_labels_fail() -> None:
    numbers = equation_numbers()
    assert prose_tex("eq. {eq:softmax}", numbers) == r"eq. \eqref{eq-softmax}"
    assert prose_markdown("eq. {eq:softmax}", numbers) == "eq. [(L1)](#eq-softmax)"
    with pytest.raises(RenderError, match="no-such"):
        prose_tex("eq. {eq:no-such}", numbers)
    with pytest.raises(RenderError, match="no-such"):
        prose_markdown("eq. {eq:no-such}", numbers)


@pytest.mark.parametrize(
    ("plain", "found"),
    [
        ("-Σ p(x) log q(x)", ["-", "Σ"]),
        ("q_i over T", ["_"]),
        ("KL ≥ 0", ["≥"]),
        ("D(P ‖ Q)", ["‖"]),
        ("a - b", ["-"]),
        ("j = k", ["="]),
        ("θ", ["θ"]),
        ("x²", ["²"]),
        ("half a $span", ["unbalanced $"]),
        ("the cross-entropy and one-hot targets", []),
        ("only $j = k$ survives, by {eq:softmax}", []),
    ],
)
def test_bare_math_is_found(plain: str, found: list[str]) -> None:
    assert bare_math(plain) == found


@pytest.mark.parametrize(
    "derivation",
    DERIVATIONS,
    ids=lambda d: d.id,
)
def test_justifications_have_no_bare_math(derivation: object) -> None:
    from divsym.kernel.derivation import Derivation

    assert isinstance(derivation, Derivation)
    texts = [*(step.because for step in derivation.steps), *derivation.remarks]
    problems = {text: bare_math(text) for text in texts if bare_math(text)}
    assert not problems, problems
