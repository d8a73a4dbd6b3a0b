"""A verified derivation as LaTeX (``align*``) and as GitHub Markdown (``$$`` with ``aligned``).

Both show the same rows: the starting expression, then one row per step — ``= e_k`` (or
``\\geq``, ``\\leq``) numbered ``(k)`` — long right-hand sides broken between terms; under the
block, step ``(k)``'s justification in the lecture's words and its verification status; then
the derivation's remarks and its overall status.
"""

from __future__ import annotations

from dataclasses import dataclass

from divsym.kernel.derivation import Derivation, Relation
from divsym.kernel.verify import DerivationReport
from divsym.render.layout import MAX_LINE, break_terms, math_width
from divsym.render.markdown import markdown_text
from divsym.render.status import status_sentence, step_status
from divsym.render.tex import RenderError, check_tex, command, environment, join, text

__all__ = ["Row", "derivation_markdown", "derivation_rows", "derivation_tex", "status_sentence"]

_RELATION_TEX = {Relation.EQ: "=", Relation.GE: r"\geq", Relation.LE: r"\leq"}
#: A starting expression wider than this gets a line of its own.
_SHORT_START = 22


@dataclass(frozen=True)
class Row:
    """One line of the aligned block: ``left & right``, numbered when it ends a step."""

    left: str
    right: str
    number: int | None = None


def derivation_rows(derivation: Derivation) -> list[Row]:
    """The aligned rows of ``derivation``, long right-hand sides broken between terms."""
    start = break_terms(derivation.start)
    rows: list[Row] = []
    if len(start) == 1 and math_width(start[0]) <= _SHORT_START:
        left = start[0]
    else:
        rows += [
            Row("", line if number == 0 else r"\quad " + line) for number, line in enumerate(start)
        ]
        left = ""
    for number, step in enumerate(derivation.steps[1:], start=1):
        relation = _RELATION_TEX[step.relation]
        first_width = MAX_LINE - (math_width(left) if left else 0)
        lines = break_terms(step.expr, first_line=first_width)
        for position, line in enumerate(lines):
            last = number if position == len(lines) - 1 else None
            right = f"{relation} {line}" if position == 0 else rf"\quad {line}"
            rows.append(Row(left, right, last))
            left = ""
    return rows


def _because(derivation: Derivation, report: DerivationReport) -> list[tuple[str, str]]:
    if len(report.steps) != len(derivation.steps) - 1:
        raise RenderError(f"{derivation.id}: the report does not match the derivation's steps")
    return [
        (step.because, step_status(step_report))
        for step, step_report in zip(derivation.steps[1:], report.steps, strict=True)
    ]


def derivation_tex(derivation: Derivation, report: DerivationReport) -> str:
    """The derivation as a LaTeX fragment: heading, ``align*`` block, reasons, status."""
    block = " \\\\\n".join(
        f"{row.left} &{row.right}" + (rf" \tag{{{row.number}}}" if row.number else "")
        for row in derivation_rows(derivation)
    )
    items = [
        f"{command('item')} {text(because)} --- {command('emph', text(status))}"
        for because, status in _because(derivation, report)
    ]
    remarks = [join(command("paragraph", "Remark."), text(remark)) for remark in derivation.remarks]
    tex = join(
        command("subsection", text(derivation.title)),
        command("label", derivation.id),
        command("noindent")
        + " "
        + command("texttt", text(derivation.id))
        + f": starting from {text(derivation.steps[0].because)}.",
        environment("align*", block),
        environment("enumerate", items, optional=r"label=(\arabic*), nosep"),
        *remarks,
        command("par") + command("smallskip"),
        command("noindent") + command("textbf", text(f"Status: {status_sentence(report)}.")),
    )
    return check_tex(tex + "\n", derivation.id)


def derivation_markdown(derivation: Derivation, report: DerivationReport) -> str:
    """The derivation as GitHub Markdown: ``$$`` math with ``aligned``, reasons as a list."""
    block = " \\\\\n".join(
        f"{row.left} &{row.right}" + (rf" && \text{{({row.number})}}" if row.number else "")
        for row in derivation_rows(derivation)
    )
    check_tex(block, derivation.id)
    lines = [
        f'<a id="{derivation.id}"></a>',
        "",
        f"### {markdown_text(derivation.title)}",
        "",
        f"`{derivation.id}`: starting from {markdown_text(derivation.steps[0].because)}.",
        "",
        "$$",
        r"\begin{aligned}",
        block,
        r"\end{aligned}",
        "$$",
        "",
    ]
    for number, (because, status) in enumerate(_because(derivation, report), start=1):
        lines.append(f"{number}. {markdown_text(because)} — *{markdown_text(status)}*")
    lines.append("")
    for remark in derivation.remarks:
        lines += [f"> **Remark.** {markdown_text(remark)}", ""]
    lines.append(f"**Status: {status_sentence(report)}.**")
    return "\n".join(lines) + "\n"
