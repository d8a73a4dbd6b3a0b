"""The whole lecture as one document: ``lecture.tex``, ``lecture.md`` and ``index.md``.

Sections follow :data:`divsym.identities.lecture.SECTIONS`. Each section first shows the lecture's
own display equations (:data:`divsym.identities.lecture.EQUATIONS`, exactly as the lecture writes
them) with the derivation and status that establish each one, then the derivations of that section.

Numbering keeps every kind of number distinct: the lecture's equations are ``(L1)``, ``(L2)``, …
in the lecture's order; derivation ``d`` of section ``s`` is ``§s.d`` and its expressions are
``(s.d.1)``, ``(s.d.2)``, …; the sources are ``[1]``, ``[2]`` (:data:`REFERENCES`). Everything is
referred to by its number, never by a bare ``(1)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from divsym.identities.lecture import EQUATIONS, SECTIONS, LectureEquation, Section
from divsym.kernel.derivation import Derivation
from divsym.kernel.verify import DerivationReport
from divsym.render.derivation import derivation_markdown, display_markdown, step_label
from divsym.render.latex import upright_names
from divsym.render.layout import split_top_level
from divsym.render.markdown import markdown_cell, markdown_text
from divsym.render.prose import equation_anchor
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
    "INDEX_EQUATION_WIDTH",
    "INDEX_SIZE",
    "REFERENCES",
    "TITLE",
    "EquationStatus",
    "Reference",
    "break_points",
    "derivation_numbers",
    "equation_numbers",
    "equation_statuses",
    "index_cell",
    "index_markdown",
    "index_pieces",
    "lecture_display",
    "lecture_markdown",
    "lecture_tex",
]

TITLE = "The lecture, machine-checked"
AUTHOR = "divsym"

#: What a missing derivation is called in the document: never a status it does not have.
MISSING = "no derivation yet"


@dataclass(frozen=True)
class Reference:
    """A source the lecture rests on: cited as ``[number]`` where it is used."""

    key: str
    authors: str
    title: str
    publication: str


REFERENCES: tuple[Reference, ...] = (
    Reference(
        "hinton2015",
        "Geoffrey Hinton, Oriol Vinyals and Jeff Dean",
        "Distilling the Knowledge in a Neural Network",
        "NIPS 2014 Deep Learning Workshop; arXiv:1503.02531, 2015",
    ),
    Reference(
        "cover2006",
        "Thomas M. Cover and Joy A. Thomas",
        "Elements of Information Theory",
        "2nd edition, Wiley-Interscience, Hoboken, NJ, 2006",
    ),
)

#: The source each section rests on, with where in it (shown under the section's heading).
SOURCES: dict[str, tuple[str, str]] = {
    "information": ("cover2006", "ch. 2"),
    "kl-ce": ("cover2006", "ch. 2"),
    "inequalities": ("cover2006", "sec. 2.6"),
    "distillation": ("hinton2015", "sec. 2"),
}

_INTRO = (
    "Every display equation of the lecture, as the lecture writes it and numbered (L1), (L2), "
    "…, followed by the derivation that establishes it: a chain of SymPy expressions, numbered "
    "after their derivation, (1.1.1), (1.1.2), …, each step with the lecture's justification "
    "and its verification status. The information theory follows Cover and Thomas "
    "{cite:cover2006}, knowledge distillation Hinton, Vinyals and Dean {cite:hinton2015}, whose "
    "equations are numbered (D1), (D2), … in the distillation section: (D1)–(D3) are the "
    "paper's equations (2)–(4), (D4) the $T^2$ scaling its section 2.1 states in words, and "
    "(D5) the gradient of the hard-label loss, which the paper uses without writing it, and (D6) "
    "the gradient of its weighted average of the two losses. "
    "A sum written without "
    "limits, such as $\\sum_j$, runs over the classes $j = 1, \\dots, n$; $\\log$ is the natural "
    "logarithm unless a base is written. A derivation is proved for all $n$ when every step is "
    "shown symbolically for a symbolic number of classes $n$ (proved for all $N$: for a "
    "symbolic number of data points $N$), proved for $n = \\dots$ only when it is shown for those "
    "numbers of classes only, and checked numerically when it was only evaluated at random "
    "points (50 digits); every step is also evaluated at random points whatever its proof."
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


def equation_numbers() -> dict[str, str]:
    """Equation label → its number: the lecture's ``L1``, ``L2``, … in the lecture's order,
    then the distillation section's (Hinton et al. 2015 and divsym's) ``D1``, ``D2``, …."""
    counts: dict[str, int] = {}
    numbers = {}
    for equation in EQUATIONS:
        prefix = "L" if equation.source == "lecture" else "D"
        counts[prefix] = counts.get(prefix, 0) + 1
        numbers[equation.label] = f"{prefix}{counts[prefix]}"
    return numbers


def derivation_numbers(derivations: tuple[Derivation, ...]) -> dict[str, str]:
    """Derivation id → its number ``s.d``: section ``s`` (of every section), ``d``-th in it.

    The same numbers LaTeX gives the sections and subsections of ``lecture.tex``.
    """
    numbers = {}
    for section_number, (_, _, members) in enumerate(_sections(derivations), start=1):
        for number, derivation in enumerate(members, start=1):
            numbers[derivation.id] = f"{section_number}.{number}"
    return numbers


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


def _scaled_brackets(tex: str) -> str:
    r"""``(P \parallel \frac{P+Q}{2})`` → ``\left(P \parallel \frac{P+Q}{2}\right)``.

    Round brackets (outside ``\left``/``\bigl``…) that hold a fraction grow with it.
    """
    out = list(tex)
    stack: list[int] = []
    for position, char in enumerate(tex):
        if char == "(":
            stack.append(position)
        elif char == ")" and stack:
            start = stack.pop()
            before = tex[:start]
            sized = re.search(r"\\(left|bigl|Bigl|biggl|big|Big)\s*$", before)
            if r"\frac" in tex[start:position] and not sized:
                out[start] = r"\left("
                out[position] = r"\right)"
    return "".join(out)


_LECTURE_NUMBER = re.compile(r"\s*\\quad\s*\(\d+\)\s*$")
_JUXTAPOSED = re.compile(r"\s*\\quad\s*(?!\\text)")
#: What the lecture means by two expressions set side by side with a struck-out term.
_DROPPED = r"\xrightarrow{\text{drop the struck-out term}}"


def lecture_display(tex: str) -> list[str]:
    r"""The lecture's equation as display rows (``&`` marks the alignment).

    The lecture's own number (``\quad (1)``) is dropped: the document numbers equations
    ``(L1)``…; operator names are set upright and brackets around fractions scaled; a chain
    ``a = b = c`` is aligned at its ``=``; two expressions the lecture sets side by side
    (``a + \cancel{b} \quad a``) become ``a + \cancel{b}`` and, below it,
    ``\xrightarrow{\text{drop the struck-out term}} a``, so that no line lacks its relation.
    Rows are joined with ``\\`` by the caller.
    """
    tex = _scaled_brackets(upright_names(_LECTURE_NUMBER.sub("", tex)))
    if r"\cancel" in tex:
        first, *rest = _JUXTAPOSED.split(tex)
        if rest:
            return [f"&{first}", *(f"&\\quad {_DROPPED} {part}" for part in rest)]
    parts = split_top_level(tex)
    if len(parts) == 1:
        return [tex]
    first, *others = parts
    return [f"{first} &= {others[0]}", *(f"&= {part}" for part in others[1:])]


def _step_words(equation: LectureEquation, numbers: Mapping[str, str]) -> str:
    """``expression (3.1.3)`` for an equation stated at a step, else ''."""
    if not equation.step:
        return ""
    return f"expression ({numbers[equation.derivation]}.{equation.step})"


# --- LaTeX ---------------------------------------------------------------------------------------


def _lecture_display_tex(equation: LectureEquation, number: str) -> str:
    """The lecture's equation, tagged ``(L1)`` and labelled for references."""
    rows = lecture_display(equation.tex)
    tag = command("tag", number) + command("label", equation_anchor(equation.label))
    if len(rows) == 1:
        return environment("equation*", f"{_flat(rows)} {tag}")
    rows[-1] += f" {tag}"
    return environment("align*", " \\\\\n".join(rows))


def _flat(rows: list[str]) -> str:
    """Display rows as one line of inline math (for a table cell)."""
    return " ".join(rows).replace("&", "")


def _cite_tex(text_tex: str) -> str:
    """``{cite:key}`` markers of :data:`_INTRO` as ``\\cite{key}``."""
    return re.sub(r"\\\{cite:([a-z0-9]+)\\\}", r"\\cite{\1}", text_tex)


def _equation_note_tex(row: EquationStatus) -> str:
    equation = row.equation
    reference = command("eqref", equation_anchor(equation.label))
    status = command("emph", text(row.status))
    if row.derivation is None:
        where = f"has {text(MISSING)} (\\texttt{{{text(equation.derivation)}}})"
        return f"{command('noindent')} Eq.~{reference} {where} --- {status}."
    title = command("hyperref", text(f'"{row.derivation.title}"'), optional=row.derivation.id)
    section = command("S") + "~" + command("ref", row.derivation.id)
    if equation.step:
        step = command("eqref", step_label(row.derivation.id, equation.step))
        where = f"is expression~{step} of {section}, {title}"
    else:
        where = f"is derived in {section}, {title}"
    return f"{command('noindent')} Eq.~{reference} {where} --- {status}."


#: Width of the index's "Lecture equation" column; the other columns are as wide as their text.
INDEX_EQUATION_WIDTH = r"0.55\linewidth"
#: The index is set in this size, so that an entry fits in at most two lines of the column.
INDEX_SIZE = "small"


_OPENING = ("(", "[", "{", r"\left", r"\{")
_CLOSING = (")", "]", "}", r"\right", r"\}")


def break_points(tex: str) -> list[str]:
    r"""``tex`` cut before each ``=``, `` + `` and binary `` - `` outside every bracket.

    >>> break_points(r"a = E(b - c) - \frac{d}{e + f}")
    ['a', '= E(b - c)', '- \\frac{d}{e + f}']
    """
    pieces: list[str] = []
    start = depth = 0
    position = 0
    while position < len(tex):
        rest = tex[position:]
        opening = next((o for o in _OPENING if rest.startswith(o)), None)
        closing = next((c for c in _CLOSING if rest.startswith(c)), None)
        if opening or closing:
            depth += 1 if opening else -1
            position += len(opening or closing or "")
            continue
        binary = rest[:3] in (" + ", " - ") or rest.startswith(" = ")
        if depth == 0 and binary and tex[start:position].strip():
            pieces.append(tex[start:position].strip())
            start = position
        position += 1
    pieces.append(tex[start:].strip())
    return pieces


def index_pieces(equation: LectureEquation) -> list[str]:
    r"""The lecture equation as the unbreakable math pieces of its index cell.

    The display rows of :func:`lecture_display`, cut before each relation and each binary
    ``+``/``-`` outside brackets (:func:`break_points`); the cell breaks lines only between
    pieces, so a line never ends inside a bracket, a fraction or a struck-out term.
    """
    rows = (row.replace("&", "").strip() for row in lecture_display(equation.tex))
    return [piece for row in rows for piece in break_points(row.removeprefix(r"\quad").strip())]


def index_cell(pieces: list[str]) -> str:
    r"""The index cell: each piece an ``\mbox`` of inline math, a line break allowed between.

    A piece that starts with an operator gets ``{}`` in front, so that it keeps the spacing
    of a binary operator or relation.
    """
    boxes = [
        command(
            "mbox",
            f"${{}}{piece}$" if piece[:1] in "=+-" or piece.startswith("\\x") else f"${piece}$",
        )
        for piece in pieces
    ]
    return command("allowbreak").join(boxes)


def _index_tex(rows: list[EquationStatus]) -> str:
    lines = [
        r"\textbf{Eq.} & \textbf{Equation} & \textbf{Derived as} & \textbf{Status} \\",
        command("midrule"),
        command("endhead"),
    ]
    for row in rows:
        equation = row.equation
        if row.derivation is None:
            derivation = text(MISSING)
        elif equation.step:
            derivation = command("eqref", step_label(row.derivation.id, equation.step))
        else:
            derivation = command("S") + "~" + command("ref", row.derivation.id)
        number = command("eqref", equation_anchor(equation.label))
        cell = index_cell(index_pieces(equation))
        lines.append(f"{number} & {cell} & {derivation} & {text(row.status)} \\\\")
    body = join(command("toprule"), *lines, command("bottomrule"))
    # Only the equation column wraps (between pieces); the others are set on one line.
    columns = rf"l>{{\raggedright\arraybackslash}}p{{{INDEX_EQUATION_WIDTH}}}ll"
    return join(
        command("section", "Index: equations, derivations, status"),
        command("label", "index"),
        "{" + command(INDEX_SIZE) + command("renewcommand", command("arraystretch"), "1.3"),
        environment("longtable", body, columns),
        "}",
    )


def _source_tex(section: Section) -> str:
    if section.id not in SOURCES:
        return ""
    key, where = SOURCES[section.id]
    return command("noindent") + f" Source: \\cite[{where}]{{{key}}}." + "\n"


def _bibliography_tex() -> str:
    items = [
        command("bibitem", reference.key)
        + f" {text(reference.authors)}. {command('emph', text(reference.title))}. "
        + f"{text(reference.publication)}."
        for reference in REFERENCES
    ]
    return environment("thebibliography", items, "9")


def lecture_tex(
    derivations: tuple[Derivation, ...], reports: Mapping[str, DerivationReport], header: str
) -> str:
    """The main LaTeX file: preamble, the sections in order, each derivation ``\\input``."""
    statuses = {row.equation.label: row for row in equation_statuses(derivations, reports)}
    numbers = equation_numbers()
    body = []
    for section, equations, members in _sections(derivations):
        body += [command("section", text(section.title)), _source_tex(section)]
        for equation in equations:
            body += [
                _lecture_display_tex(equation, numbers[equation.label]),
                _equation_note_tex(statuses[equation.label]),
                "",
            ]
        if not equations and not members:
            body.append(text("No derivation in this section yet."))
        body += [command("input", d.id) for d in members]
    metadata = ", ".join(
        [
            f"pdftitle={{{text(TITLE)}}}",
            f"pdfauthor={{{AUTHOR}}}",
            "pdfsubject={Softmax, likelihood, entropy, KL and Jensen--Shannon divergence,"
            " knowledge distillation}",
            "pdfkeywords={divsym, derivation, verification, SymPy}",
        ]
    )
    preamble = join(
        command("documentclass", "article", optional="11pt"),
        command("usepackage", "geometry", optional="a4paper,margin=2cm"),
        *(command("usepackage", package) for package in _PACKAGES),
        command("usepackage", "hyperref", optional="hidelinks"),
        command("hypersetup", metadata),
        unicode_declarations(),
        command("setlength", command("emergencystretch"), "3em"),
        # A long derivation may continue on the next page rather than overflow this one.
        command("allowdisplaybreaks"),
        # "i.i.d. data", "eq. (1)": no sentence space after an abbreviation's period.
        command("frenchspacing"),
        command("title", text(TITLE)),
        command("author", AUTHOR),
        command("date", ""),
    )
    document = environment(
        "document",
        join(
            command("maketitle"),
            _cite_tex(text(_INTRO)),
            command("tableofcontents"),
            *body,
            _index_tex(list(statuses.values())),
            _bibliography_tex(),
        ),
    )
    return check_tex(join(header, preamble, document) + "\n", "lecture.tex")


# --- Markdown ------------------------------------------------------------------------------------


def _cite_markdown(plain: str) -> str:
    """``{cite:key}`` as ``[1]``, linked to the references at the end."""
    keys = [reference.key for reference in REFERENCES]
    return re.sub(
        r"\{cite:([a-z0-9]+)\}",
        lambda m: f"[[{keys.index(m.group(1)) + 1}]](#references)",
        plain,
    )


def _lecture_display_markdown(equation: LectureEquation, number: str) -> list[str]:
    rows = lecture_display(equation.tex)
    tag = rf"\text{{({number})}}"
    if len(rows) == 1:
        math = [rf"{_flat(rows)} \qquad {tag}"]
    else:
        rows[-1] += f" && {tag}"
        math = [r"\begin{aligned}", " \\\\\n".join(rows), r"\end{aligned}"]
    anchor = f'<a id="{equation_anchor(equation.label)}"></a>'
    return [anchor, "", *display_markdown(math, fence=True)]


def _equation_note_markdown(
    row: EquationStatus, numbers: Mapping[str, str], derivations: Mapping[str, str]
) -> str:
    equation = row.equation
    reference = f"Eq. ({numbers[equation.label]}) `{equation.label}`"
    if row.derivation is None:
        return f"{reference} has {MISSING} (`{equation.derivation}`) — *{row.status}*."
    title = f"“[{markdown_text(row.derivation.title)}](#{row.derivation.id})”"
    section = f"§{derivations[row.derivation.id]}"
    if equation.step:
        where = f"is {_step_words(equation, derivations)} of {section}, {title}"
    else:
        where = f"is derived in {section}, {title}"
    return f"{reference} {where} — *{row.status}*."


def _source_markdown(section: Section) -> list[str]:
    if section.id not in SOURCES:
        return []
    key, where = SOURCES[section.id]
    return [f"Source: {_cite_markdown(f'{{cite:{key}}}')}, {where}.", ""]


def _references_markdown() -> list[str]:
    lines = ['<a id="references"></a>', "", "## References", ""]
    for number, reference in enumerate(REFERENCES, start=1):
        entry = f"{reference.authors}. *{reference.title}*. {reference.publication}."
        lines.append(f"{number}. {markdown_text(entry)}")
    return lines


def lecture_markdown(
    derivations: tuple[Derivation, ...], reports: Mapping[str, DerivationReport], header: str
) -> str:
    """The same document as GitHub Markdown; all display math in `````math`` blocks."""
    statuses = {row.equation.label: row for row in equation_statuses(derivations, reports)}
    numbers = equation_numbers()
    derivation_number = derivation_numbers(derivations)
    lines = [header, "", f"# {TITLE}", "", _cite_markdown(markdown_text(_INTRO)), ""]
    lines += ["The table of every lecture equation with its status: [index.md](index.md).", ""]
    for number, (section, equations, members) in enumerate(_sections(derivations), start=1):
        lines += [f"## {number}. {markdown_text(section.title)}", "", *_source_markdown(section)]
        for equation in equations:
            lines += [*_lecture_display_markdown(equation, numbers[equation.label]), ""]
            row = statuses[equation.label]
            lines += [_equation_note_markdown(row, numbers, derivation_number), ""]
        if not equations and not members:
            lines += ["No derivation in this section yet.", ""]
        lines += [
            derivation_markdown(
                d, reports[d.id], number=derivation_number[d.id], equations=numbers, fence=True
            )
            for d in members
        ]
    lines += _references_markdown()
    return "\n".join(lines).rstrip("\n") + "\n"


def index_markdown(
    derivations: tuple[Derivation, ...], reports: Mapping[str, DerivationReport], header: str
) -> str:
    """The index page: one row per equation (the lecture's, then the distillation section's),
    with its derivation and status."""
    lines = [
        header,
        "",
        f"# {TITLE}: index",
        "",
        "Every display equation of the lecture, the derivation that establishes it "
        "([lecture.md](lecture.md)) and what was shown.",
        "",
        "| Eq. | Equation | Section | Derived as | Status |",
        "|---|---|---|---|---|",
    ]
    titles = {section.id: section.title for section in SECTIONS}
    numbers = equation_numbers()
    derivation_number = derivation_numbers(derivations)
    for row in equation_statuses(derivations, reports):
        equation = row.equation
        if row.derivation is None:
            derivation = f"{MISSING} (`{equation.derivation}`)"
        else:
            where = _step_words(equation, derivation_number) or (
                f"§{derivation_number[row.derivation.id]}"
            )
            derivation = f"[{where}](lecture.md#{row.derivation.id}) `{row.derivation.id}`"
        display = _flat(lecture_display(equation.tex))
        cells = [
            f"[({numbers[equation.label]})](lecture.md#{equation_anchor(equation.label)})",
            f"`{equation.label}`: ${display}$",
            markdown_text(titles[equation.section]),
            derivation,
            row.status,
        ]
        lines.append("| " + " | ".join(markdown_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"
