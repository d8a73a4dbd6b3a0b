"""A verified derivation as LaTeX (``align*``) and as GitHub Markdown (``$$`` math)."""

from __future__ import annotations

from divsym.derivation import Derivation, Relation
from divsym.render.latex import to_latex
from divsym.verify import DerivationReport, Status

__all__ = ["derivation_markdown", "derivation_tex", "status_sentence"]

_RELATION_TEX = {Relation.EQ: "=", Relation.GE: r"\geq", Relation.LE: r"\leq"}


def status_sentence(report: DerivationReport) -> str:
    """What the derivation shows, in words no reader can mistake."""
    if report.status is Status.PROVED:
        return "proved for all n"
    if report.status is Status.PROVED_FIXED_N:
        return "proved for n = " + ", ".join(str(m) for m in report.fixed_n) + " only"
    if report.status is Status.CHECKED_NUMERICALLY:
        return "checked numerically only (not proved)"
    return "FAILED verification"


def _aligned_rows(derivation: Derivation) -> list[str]:
    first, *rest = derivation.steps
    rows = []
    for number, step in enumerate(rest, start=1):
        left = to_latex(first.expr) if number == 1 else ""
        relation = _RELATION_TEX[step.relation]
        rows.append(rf"{left} &{relation} {to_latex(step.expr)} && \text{{({number})}}")
    return rows


def _justifications(derivation: Derivation, report: DerivationReport) -> list[tuple[str, str]]:
    return [
        (step.because, f"{step_report.route}; {step_report.status.value}")
        for step, step_report in zip(derivation.steps[1:], report.steps, strict=True)
    ]


def _escape_tex(text: str) -> str:
    replacements = {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
    }
    return "".join(replacements.get(char, char) for char in text)


def derivation_tex(derivation: Derivation, report: DerivationReport) -> str:
    """The derivation as a LaTeX fragment: heading, ``align*`` block, reasons, status."""
    lines = [
        rf"\subsection*{{{_escape_tex(derivation.title)}}}",
        rf"\label{{{derivation.id}}}",
        rf"\noindent\texttt{{{derivation.id}}}: {_escape_tex(derivation.steps[0].because)}.",
        r"\begin{align*}",
        " \\\\\n".join(_aligned_rows(derivation)),
        r"\end{align*}",
        r"\begin{enumerate}",
    ]
    for because, route in _justifications(derivation, report):
        lines.append(rf"  \item {_escape_tex(because)} \emph{{({_escape_tex(route)})}}")
    lines.append(r"\end{enumerate}")
    for remark in derivation.remarks:
        lines.append(rf"\paragraph{{Remark.}} {_escape_tex(remark)}")
    lines.append(rf"\noindent\textbf{{Status: {status_sentence(report)}.}}")
    return "\n".join(lines) + "\n"


def derivation_markdown(derivation: Derivation, report: DerivationReport) -> str:
    """The derivation as GitHub Markdown: ``$$`` math with ``aligned``, reasons as a list."""
    lines = [
        f"## {derivation.title}",
        "",
        f"`{derivation.id}`: {derivation.steps[0].because}.",
        "",
        "$$",
        r"\begin{aligned}",
        " \\\\\n".join(_aligned_rows(derivation)),
        r"\end{aligned}",
        "$$",
        "",
    ]
    for number, (because, route) in enumerate(_justifications(derivation, report), start=1):
        lines.append(f"{number}. {because} *({route})*")
    lines.append("")
    for remark in derivation.remarks:
        lines += [f"> **Remark.** {remark}", ""]
    lines.append(f"**Status: {status_sentence(report)}.**")
    return "\n".join(lines) + "\n"
