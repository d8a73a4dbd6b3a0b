"""The whole lecture as one document: ``lecture.tex``, ``lecture.md`` and ``index.md``.

Sections follow :data:`divsym.identities.lecture.SECTIONS`. Each section first shows the lecture's
own display equations (:data:`divsym.identities.lecture.EQUATIONS`, exactly as the lecture writes
them) with the derivation and status that establish each one, then the derivations of that section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from divsym.identities.lecture import EQUATIONS, SECTIONS, LectureEquation, Section
from divsym.kernel.derivation import Derivation
from divsym.kernel.verify import DerivationReport
from divsym.render.derivation import derivation_markdown
from divsym.render.layout import split_top_level
from divsym.render.markdown import markdown_cell, markdown_text
from divsym.render.status import prefix_status
from divsym.render.tex import (
    check_tex,
    command,
    environment,
    join,
    text,
    unicode_declarations,
)

__all__ = [
    "TITLE",
    "EquationStatus",
    "equation_statuses",
    "index_markdown",
    "lecture_markdown",
    "lecture_tex",
]

TITLE = "The lecture, machine-checked"

#: What a missing derivation is called in the document: never a status it does not have.
MISSING = "no derivation yet"

_INTRO = (
    "Every display equation of the lecture, as the lecture writes it, followed by the "
    "derivation that establishes it: a chain of SymPy expressions, each step with the "
    "lecture's justification and its verification status. A sum written without limits, "
    "such as $\\sum_j$, runs over the classes $j = 1, \\dots, n$; $\\log$ is the natural "
    "logarithm unless a base is written. A derivation is proved for all $n$ when every step is "
    "shown symbolically for a symbolic number of classes $n$ (proved for all $N$: for a "
    "symbolic number of data points $N$), proved for $n = \\dots$ only "
    "when it is shown "
    "for those numbers of classes only, and checked numerically when it was only evaluated "
    "at random points (50 digits); every step is also evaluated at random points whatever "
    "its proof."
)

_PACKAGES = (
    "amsmath",
    "amssymb",
    "mathtools",
    "cancel",
    "enumitem",
    "newunicodechar",
    "longtable",
    "booktabs",
    "array",
)


@dataclass(frozen=True)
class EquationStatus:
    """A lecture equation with the derivation that proves it and what was shown."""

    equation: LectureEquation
    derivation: Derivation | None
    status: str


def equation_statuses(
    derivations: tuple[Derivation, ...], reports: Mapping[str, DerivationReport]
) -> list[EquationStatus]:
    """Every lecture equation, in the lecture's order, with its derivation and status."""
    by_id = {d.id: d for d in derivations}
    rows = []
    for equation in EQUATIONS:
        derivation = by_id.get(equation.derivation)
        if derivation is None:
            rows.append(EquationStatus(equation, None, MISSING))
        else:
            status = prefix_status(reports[derivation.id], equation.step)
            rows.append(EquationStatus(equation, derivation, status))
    return rows


def _sections(
    derivations: tuple[Derivation, ...],
) -> list[tuple[Section, list[LectureEquation], list[Derivation]]]:
    return [
        (
            section,
            [e for e in EQUATIONS if e.section == section.id],
            [d for d in derivations if d.section == section.id],
        )
        for section in SECTIONS
    ]


def _step_words(equation: LectureEquation) -> str:
    return f", expression ({equation.step})" if equation.step else ""


# --- LaTeX ---------------------------------------------------------------------------------------


def _lecture_display_tex(tex: str) -> str:
    """The lecture's equation, its ``=`` chain aligned like the lecture's own ``aligned``."""
    parts = split_top_level(tex)
    if len(parts) == 1:
        return environment("equation*", tex)
    first, *rest = parts
    rows = [f"{first} &= {rest[0]}", *(f"&= {part}" for part in rest[1:])]
    return environment("align*", " \\\\\n".join(rows))


def _equation_note_tex(row: EquationStatus) -> str:
    equation = row.equation
    label = command("texttt", text(equation.label))
    if row.derivation is None:
        where = f"{text(MISSING)} (\\texttt{{{text(equation.derivation)}}})"
    else:
        number = command("S") + command("ref", row.derivation.id)
        title = command("hyperref", text(f'"{row.derivation.title}"'), optional=row.derivation.id)
        where = f"derived in {number}, {title}{_step_words(equation)}"
    status = command("emph", text(row.status))
    return f"{command('noindent')} Lecture equation {label}: {where} --- {status}."


def _index_tex(rows: list[EquationStatus]) -> str:
    lines = [
        r"\textbf{Lecture equation} & \textbf{Derivation} & \textbf{Status} \\",
        command("midrule"),
        command("endhead"),
    ]
    for row in rows:
        derivation = (
            command("hyperref", text(row.derivation.title), optional=row.derivation.id)
            + _step_words(row.equation)
            if row.derivation
            else text(MISSING)
        )
        equation = f"{command('texttt', text(row.equation.label))}: ${row.equation.tex}$"
        lines.append(f"{equation} & {derivation} & {text(row.status)} \\\\")
    body = join(command("toprule"), *lines, command("bottomrule"))
    return join(
        command("section", "Index: lecture equation, derivation, status"),
        command("label", "index"),
        environment(
            "longtable",
            body,
            r">{\raggedright\arraybackslash}p{0.5\textwidth}"
            r">{\raggedright\arraybackslash}p{0.22\textwidth}"
            r">{\raggedright\arraybackslash}p{0.2\textwidth}",
        ),
    )


def lecture_tex(
    derivations: tuple[Derivation, ...], reports: Mapping[str, DerivationReport], header: str
) -> str:
    """The main LaTeX file: preamble, the sections in order, each derivation ``\\input``."""
    statuses = {row.equation.label: row for row in equation_statuses(derivations, reports)}
    body = []
    for section, equations, members in _sections(derivations):
        body.append(command("section", text(section.title)))
        for equation in equations:
            body += [
                _lecture_display_tex(equation.tex),
                _equation_note_tex(statuses[equation.label]),
                "",
            ]
        if not equations and not members:
            body.append(text("No derivation in this section yet."))
        body += [command("input", d.id) for d in members]
    preamble = join(
        command("documentclass", "article", optional="11pt"),
        command("usepackage", "geometry", optional="a4paper,margin=2cm"),
        *(command("usepackage", package) for package in _PACKAGES),
        command("usepackage", "hyperref", optional="hidelinks"),
        unicode_declarations(),
        command("setlength", command("emergencystretch"), "3em"),
        # A long derivation may continue on the next page rather than overflow this one.
        command("allowdisplaybreaks"),
        # "i.i.d. data", "eq. (1)": no sentence space after an abbreviation's period.
        command("frenchspacing"),
        command("title", text(TITLE)),
        command("author", "divsym"),
        command("date", ""),
    )
    document = environment(
        "document",
        join(
            command("maketitle"),
            text(_INTRO),
            command("tableofcontents"),
            *body,
            _index_tex(list(statuses.values())),
        ),
    )
    return check_tex(join(header, preamble, document) + "\n", "lecture.tex")


# --- Markdown ------------------------------------------------------------------------------------


def _lecture_display_markdown(tex: str) -> list[str]:
    parts = split_top_level(tex)
    if len(parts) == 1:
        return ["$$", tex, "$$"]
    first, *rest = parts
    rows = [f"{first} &= {rest[0]}", *(f"&= {part}" for part in rest[1:])]
    return ["$$", r"\begin{aligned}", " \\\\\n".join(rows), r"\end{aligned}", "$$"]


def _equation_note_markdown(row: EquationStatus) -> str:
    equation = row.equation
    if row.derivation is None:
        where = f"{MISSING} (`{equation.derivation}`)"
    else:
        where = f"derived in “[{markdown_text(row.derivation.title)}](#{row.derivation.id})”"
        where += _step_words(equation)
    return f"Lecture equation `{equation.label}`: {where} — *{row.status}*."


def lecture_markdown(
    derivations: tuple[Derivation, ...], reports: Mapping[str, DerivationReport], header: str
) -> str:
    """The same document as GitHub Markdown."""
    statuses = {row.equation.label: row for row in equation_statuses(derivations, reports)}
    lines = [header, "", f"# {TITLE}", "", markdown_text(_INTRO), ""]
    lines += ["The table of every lecture equation with its status: [index.md](index.md).", ""]
    for number, (section, equations, members) in enumerate(_sections(derivations), start=1):
        lines += [f"## {number}. {markdown_text(section.title)}", ""]
        for equation in equations:
            lines += [*_lecture_display_markdown(equation.tex), ""]
            lines += [_equation_note_markdown(statuses[equation.label]), ""]
        if not equations and not members:
            lines += ["No derivation in this section yet.", ""]
        lines += [derivation_markdown(d, reports[d.id]) for d in members]
    return "\n".join(lines).rstrip("\n") + "\n"


def index_markdown(
    derivations: tuple[Derivation, ...], reports: Mapping[str, DerivationReport], header: str
) -> str:
    """The index page: one row per lecture equation, with its derivation and status."""
    lines = [
        header,
        "",
        f"# {TITLE}: index",
        "",
        "Every display equation of the lecture, the derivation that establishes it "
        "([lecture.md](lecture.md)) and what was shown.",
        "",
        "| Lecture equation | Section | Derivation | Status |",
        "|---|---|---|---|",
    ]
    titles = {section.id: section.title for section in SECTIONS}
    for row in equation_statuses(derivations, reports):
        equation = row.equation
        if row.derivation is None:
            derivation = f"{MISSING} (`{equation.derivation}`)"
        else:
            derivation = f"[`{row.derivation.id}`](lecture.md#{row.derivation.id})"
            derivation += _step_words(equation)
        cells = [
            f"`{equation.label}`: ${equation.tex}$",
            markdown_text(titles[equation.section]),
            derivation,
            row.status,
        ]
        lines.append("| " + " | ".join(markdown_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"
