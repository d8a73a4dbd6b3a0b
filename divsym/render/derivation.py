"""A verified derivation as LaTeX (``align*``) and as Markdown (``aligned`` math).

Both show the same rows: the starting expression, then one row per step — ``= e_k`` (or
``\\geq``, ``\\leq``) numbered ``(s.d.k)`` after the derivation's own number ``s.d`` (section
``s``, derivation ``d`` in it), so that no step number can be mistaken for another derivation's
or for a lecture equation's ``(L1)`` — long right-hand sides broken between terms; under the
block, each step's justification in the lecture's words (prose with ``$…$`` mathematics, see
:mod:`divsym.render.prose`) and its verification status; then the derivation's remarks and its
overall status.
"""

from __future__ import annotations

from dataclasses import dataclass

from divsym.kernel.derivation import Derivation, Relation
from divsym.kernel.verify import DerivationReport
from divsym.render.layout import MAX_LINE, break_terms, math_width
from divsym.render.markdown import markdown_text
from divsym.render.prose import prose_markdown, prose_tex, sentence
from divsym.render.status import status_sentence, step_status
from divsym.render.tex import RenderError, check_tex, command, environment, join, text

__all__ = [
    "Row",
    "derivation_markdown",
    "derivation_rows",
    "derivation_tex",
    "status_sentence",
    "step_label",
]

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


def step_label(derivation_id: str, step: int) -> str:
    """The LaTeX label (and Markdown anchor) of expression ``step`` of a derivation."""
    return f"{derivation_id}-{step}"


def _opening(render: str, name: str) -> str:
    """``How $q_i$ changes with the logit $z_k$ (`softmax-jacobian`):`` — the first line."""
    return f"{render} ({name}):"


def derivation_tex(derivation: Derivation, report: DerivationReport) -> str:
    """The derivation as a LaTeX fragment: heading, ``align*`` block, reasons, status.

    Its expressions are numbered ``(\\thesubsection.k)``: the fragment is meant to be input
    as a subsection of ``lecture.tex``.
    """
    block = " \\\\\n".join(
        f"{row.left} &{row.right}"
        + (
            rf" \tag{{\thesubsection.{row.number}}}"
            + command("label", step_label(derivation.id, row.number))
            if row.number
            else ""
        )
        for row in derivation_rows(derivation)
    )
    items = [
        f"{command('item')} {prose_tex(because)} --- {command('emph', text(status))}"
        for because, status in _because(derivation, report)
    ]
    remarks = [
        join(command("paragraph", "Remark."), prose_tex(remark)) for remark in derivation.remarks
    ]
    opening = sentence(derivation.steps[0].because)
    tex = join(
        command("subsection", prose_tex(derivation.title)),
        command("label", derivation.id),
        command("noindent")
        + " "
        + _opening(prose_tex(opening), command("texttt", text(derivation.id))),
        environment("align*", block),
        environment(
            "enumerate", items, optional=r"label=(\thesubsection.\arabic*), leftmargin=*, nosep"
        ),
        *remarks,
        command("par") + command("smallskip"),
        command("noindent") + command("textbf", text(f"Status: {status_sentence(report)}.")),
    )
    return check_tex(tex + "\n", derivation.id)


def derivation_markdown(
    derivation: Derivation,
    report: DerivationReport,
    number: str | None = None,
    equations: dict[str, str] | None = None,
    fence: bool = False,
) -> str:
    """The derivation as Markdown: ``aligned`` math, then the reasons as a list.

    ``number`` is the derivation's own number (``"3.1"``): its steps are numbered ``(3.1.k)``
    (``(k)`` without it). ``equations`` maps lecture equation labels to their numbers, for the
    references in the prose. ``fence`` puts display math in a GitHub `````math`` block, which
    GitHub renders whatever the math contains; without it the math is in ``$$`` (Jupyter).
    """
    prefix = f"{number}." if number else ""
    block = " \\\\\n".join(
        f"{row.left} &{row.right}" + (rf" && \text{{({prefix}{row.number})}}" if row.number else "")
        for row in derivation_rows(derivation)
    )
    check_tex(block, derivation.id)
    opening = sentence(derivation.steps[0].because)
    heading = f"{number} " if number else ""
    lines = [
        f'<a id="{derivation.id}"></a>',
        "",
        f"### {heading}{prose_markdown(derivation.title)}",
        "",
        _opening(prose_markdown(opening, equations), f"`{derivation.id}`"),
        "",
        *display_markdown([r"\begin{aligned}", block, r"\end{aligned}"], fence),
        "",
    ]
    for step, (because, status) in enumerate(_because(derivation, report), start=1):
        reason = prose_markdown(because, equations)
        lines.append(f"- ({prefix}{step}) {reason} — *{markdown_text(status)}*")
    lines.append("")
    for remark in derivation.remarks:
        lines += [f"> **Remark.** {prose_markdown(remark, equations)}", ""]
    lines.append(f"**Status: {status_sentence(report)}.**")
    return "\n".join(lines) + "\n"


def display_markdown(math: list[str], fence: bool) -> list[str]:
    """Display math in Markdown: a `````math`` block (GitHub) or between ``$$`` lines."""
    return ["```math", *math, "```"] if fence else ["$$", *math, "$$"]
