"""The PDF's index: every lecture equation fits in at most two lines of its column.

The widths are measured by pdfLaTeX itself: a small document with the lecture's own preamble
sets each unbreakable piece of every index cell in the index's font size and writes its width,
and the width of the column, to the log. The cell breaks lines only between pieces, so packing
the measured pieces greedily into the column gives the number of lines each entry takes.
Without TeX the measuring test skips (and fails in CI, like tests/test_pdf.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from divsym.identities import all_derivations
from divsym.identities.lecture import EQUATIONS
from divsym.kernel.verify import verify_all
from divsym.render.document import (
    INDEX_EQUATION_WIDTH,
    INDEX_SIZE,
    break_points,
    index_cell,
    index_pieces,
    lecture_tex,
)
from divsym.render.tex import command

#: The most lines an index entry may take.
MOST_LINES = 2


def lines_needed(widths: list[float], column: float, space: float = 0.0) -> int:
    """Lines taken by unbreakable pieces of ``widths`` packed greedily into ``column``.

    A piece wider than the column takes a line of its own (and overflows it).
    """
    lines, used = 1, 0.0
    for width in widths:
        if used and used + space + width > column:
            lines, used = lines + 1, width
        else:
            used += (space if used else 0.0) + width
    return lines


def test_greedy_packing_counts_lines() -> None:
    assert lines_needed([10.0, 10.0, 10.0], column=30.0) == 1
    assert lines_needed([10.0, 10.0, 10.0], column=25.0) == 2
    assert lines_needed([10.0, 10.0, 10.0], column=9.0) == 3
    assert lines_needed([40.0], column=30.0) == 1


@pytest.mark.parametrize(
    ("tex", "pieces"),
    [
        ("a = b = c", ["a", "= b", "= c"]),
        (r"E_P(I(Q) - I(P))", [r"E_P(I(Q) - I(P))"]),
        (r"-\sum p \log q + \cancel{a + b}", [r"-\sum p \log q", r"+ \cancel{a + b}"]),
        (r"\left(a - b\right) - c", [r"\left(a - b\right)", "- c"]),
        (r"\frac{a - b}{c} - d", [r"\frac{a - b}{c}", "- d"]),
    ],
)
def test_cells_break_only_outside_brackets(tex: str, pieces: list[str]) -> None:
    assert break_points(tex) == pieces


def test_a_cell_is_unbreakable_pieces() -> None:
    cell = index_cell(["a", "= b", "- c"])
    assert cell == r"\mbox{$a$}\allowbreak\mbox{${}= b$}\allowbreak\mbox{${}- c$}"


def _preamble() -> str:
    derivations = all_derivations()
    tex = lecture_tex(derivations, {r.id: r for r in verify_all(derivations)}, "% measure")
    return tex.split(r"\begin{document}")[0]


def _measure(folder: Path) -> tuple[float, dict[str, list[float]]]:
    """The column width and each equation's piece widths, in pt."""
    body = [
        r"\newlength{\column}",
        rf"\setlength{{\column}}{{{INDEX_EQUATION_WIDTH}}}",
        r"\typeout{COLUMN \the\column}",
        r"\newsavebox{\piece}",
    ]
    for equation in EQUATIONS:
        for piece in index_pieces(equation):
            box = index_cell([piece])
            body.append(rf"\sbox{{\piece}}{{{command(INDEX_SIZE)}{box}}}")
            body.append(rf"\typeout{{PIECE {equation.label} \the\wd\piece}}")
    source = folder / "measure.tex"
    document = "\n".join([r"\begin{document}", *body, r"\end{document}"])
    source.write_text(_preamble() + document + "\n", encoding="utf-8")
    completed = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "max_print_line": "10000"},
    )
    log = (folder / "measure.log").read_text(errors="replace")
    assert completed.returncode == 0, log[-2000:]
    (column,) = (float(w) for w in re.findall(r"^COLUMN ([\d.]+)pt$", log, re.MULTILINE))
    widths: dict[str, list[float]] = {}
    for label, width in re.findall(r"^PIECE (\S+) ([\d.]+)pt$", log, re.MULTILINE):
        widths.setdefault(label, []).append(float(width))
    return column, widths


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[float, dict[str, list[float]]]:
    if not shutil.which("pdflatex"):
        if os.environ.get("CI") == "true":
            pytest.fail("pdflatex is not installed, and CI must build the PDF")
        pytest.skip("pdflatex is not installed")
    return _measure(tmp_path_factory.mktemp("index"))


def test_every_index_entry_fits_in_two_lines(
    measured: tuple[float, dict[str, list[float]]],
) -> None:
    column, widths = measured
    assert set(widths) == {equation.label for equation in EQUATIONS}
    too_long = {
        label: lines_needed(pieces, column)
        for label, pieces in widths.items()
        if lines_needed(pieces, column) > MOST_LINES
    }
    assert not too_long, f"index entries longer than {MOST_LINES} lines: {too_long}"
    wider = {label: max(pieces) for label, pieces in widths.items() if max(pieces) > column}
    assert not wider, f"pieces wider than the {column} pt column: {wider}"


def test_the_two_line_check_can_fail(measured: tuple[float, dict[str, list[float]]]) -> None:
    # The longest entries (the struck-out term and its arrow) need a third line in a column
    # half as wide: the measurement sees it.
    column, widths = measured
    assert lines_needed(widths["kl-ce-conditional"], column / 2) > MOST_LINES
