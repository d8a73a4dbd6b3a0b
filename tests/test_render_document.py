"""The document reads like the lecture: its sections in order, every lecture equation with the
derivation and status that establish it, every derivation rendered whole or not at all."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sympy import Add, Mul, S, Sum, Symbol, log

from divsym.identities import all_derivations
from divsym.identities.cross_entropy_kl import cross_entropy_decomposition
from divsym.identities.lecture import EQUATIONS, SECTIONS
from divsym.kernel.derivation import Derivation, Step
from divsym.kernel.verify import DerivationReport, verify, verify_all
from divsym.render.derivation import derivation_markdown, derivation_rows, derivation_tex
from divsym.render.document import (
    MISSING,
    equation_numbers,
    equation_statuses,
    index_markdown,
    lecture_markdown,
    lecture_tex,
)
from divsym.render.layout import MAX_LINE, break_terms, math_width
from divsym.render.tex import RenderError
from divsym.symbols.notation import i, n, p, q

DERIVATIONS = all_derivations()
REPORTS = {report.id: report for report in verify_all(DERIVATIONS)}
STATUS = re.compile(r"proved for all [nN]|proved for [nN] = [\d, ]+ only|checked numerically only")


@pytest.mark.parametrize("derivation", DERIVATIONS, ids=lambda d: d.id)
def test_every_derivation_renders_whole(derivation: Derivation) -> None:
    report = REPORTS[derivation.id]
    tex = derivation_tex(derivation, report)
    markdown = derivation_markdown(derivation, report)
    steps = len(derivation.steps) - 1
    tags = re.findall(r"\\tag\{\\thesubsection\.(\d+)\}", tex)
    assert [int(k) for k in tags] == list(range(1, steps + 1))
    assert len(re.findall(r"\\tag\{", tex)) == steps  # no tag that is not a step's
    assert tex.count(r"\item ") == steps
    assert re.findall(r"^- \((\d+)\) ", markdown, flags=re.MULTILINE) == [
        str(k) for k in range(1, steps + 1)
    ]
    assert STATUS.search(tex.splitlines()[-1]), tex.splitlines()[-1]
    assert "{p}_{i}" not in tex
    assert "e^{" not in tex


def test_long_sums_break_between_terms_and_inside_a_sum_body() -> None:
    terms = [Symbol(f"x_{k}") * log(q[i]) for k in range(12)]
    long_sum = Add(*terms, evaluate=False)
    lines = break_terms(long_sum)
    assert len(lines) > 1
    assert all(math_width(line) <= MAX_LINE for line in lines)
    assert all(line.startswith("+ ") for line in lines[1:])
    body = Mul(S.Half, Sum(Add(*terms, evaluate=False), (i, 1, n)), evaluate=False)
    lines = break_terms(body)
    assert lines[0].startswith(r"\frac{1}{2} \sum_i \bigl( ")
    assert lines[-1].endswith(r" \bigr)")
    assert all(math_width(line) <= MAX_LINE for line in lines)


def test_a_short_expression_stays_on_one_line() -> None:
    assert break_terms(p[i] * log(q[i])) == [r"p_i \log q_i"]


def test_sections_come_in_the_lecture_order() -> None:
    tex = lecture_tex(DERIVATIONS, REPORTS, "% header")
    markdown = lecture_markdown(DERIVATIONS, REPORTS, "<!-- header -->")
    tex_positions = [tex.index(rf"\section{{{s.title}}}".replace("'", "'")) for s in SECTIONS]
    md_positions = [markdown.index(f"## {n}. {s.title}") for n, s in enumerate(SECTIONS, 1)]
    assert tex_positions == sorted(tex_positions)
    assert md_positions == sorted(md_positions)


def test_each_derivation_is_input_once_under_its_section() -> None:
    tex = lecture_tex(DERIVATIONS, REPORTS, "% header")
    for derivation in DERIVATIONS:
        assert tex.count(rf"\input{{{derivation.id}}}") == 1
        title = next(s.title for s in SECTIONS if s.id == derivation.section)
        section_start = tex.index(rf"\section{{{title}}}")
        later = [tex.find(r"\section{", section_start + 1)]
        assert section_start < tex.index(rf"\input{{{derivation.id}}}") < max(later[0], 0) or (
            later[0] == -1
        )


def test_every_lecture_equation_is_in_the_index_with_a_status() -> None:
    index = index_markdown(DERIVATIONS, REPORTS, "<!-- header -->")
    rows = [line for line in index.splitlines() if line.startswith(("| [(L", "| [(D"))]
    assert len(rows) == len(EQUATIONS)
    numbers = equation_numbers()
    for equation, row in zip(EQUATIONS, rows, strict=True):
        assert row.startswith(
            f"| [({numbers[equation.label]})](lecture.md#eq-{equation.label}) | "
            f"`{equation.label}`: $"
        )
        status = row.rstrip(" |").rsplit("| ", 1)[-1]
        assert STATUS.fullmatch(status) or status == MISSING, row
        assert "|" not in row.replace(r"\|", "").strip("|").replace(" | ", ""), row


def test_a_missing_derivation_is_never_given_a_status() -> None:
    rows = equation_statuses((), {})
    assert {row.status for row in rows} == {MISSING}
    tex = lecture_tex((), {}, "% header")
    assert "proved" not in tex.split(r"\section{Index")[1]


def test_an_equation_at_a_step_takes_the_status_up_to_that_step() -> None:
    derivation = cross_entropy_decomposition()
    failing = replace(derivation.steps[-1], expr=S.Zero)
    broken = replace(derivation, steps=(*derivation.steps[:-1], failing))
    report = verify(broken)
    rows = equation_statuses((broken,), {broken.id: report})
    kl_ce = next(row for row in rows if row.equation.label == "kl-ce")
    assert kl_ce.equation.step == 2
    assert kl_ce.status == "proved for all n"
    assert "FAILED" in derivation_tex(broken, report)


def _with_title(title: str) -> tuple[Derivation, DerivationReport]:
    derivation = replace(cross_entropy_decomposition(), title=title)
    return derivation, verify(derivation)


def test_a_derivation_that_cannot_be_typeset_fails_loudly() -> None:
    with pytest.raises(RenderError, match="U\\+2603"):
        derivation_tex(*_with_title("Snowman ☃"))


def test_an_undefined_expression_fails_loudly() -> None:
    derivation = cross_entropy_decomposition()
    bad = replace(derivation, steps=(*derivation.steps, Step(S.NaN * Symbol("x"), "nothing")))
    with pytest.raises(ValueError, match="undefined"):
        derivation_rows(bad)


def test_remarks_and_status_close_the_derivation() -> None:
    derivation = replace(cross_entropy_decomposition(), remarks=("The lecture writes log_2.",))
    report = verify(derivation)
    tex = derivation_tex(derivation, report)
    markdown = derivation_markdown(derivation, report)
    assert r"\paragraph{Remark.}" in tex
    assert "log\\textsubscript{2}" in tex
    assert "> **Remark.** The lecture writes log\\_2." in markdown
    assert tex.rstrip().endswith(r"\textbf{Status: proved for all n.}")
    assert markdown.rstrip().endswith("**Status: proved for all n.**")
