"""The lecture compiles with a real TeX engine: no error, no undefined control sequence, no
Unicode character without a definition, no missing glyph, no undefined reference and no
overfull box, read from the log of one ``latexmk`` build per test session.

Without TeX these tests skip, except in CI (``CI=true``), where a missing TeX is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from divsym.cli import main as cli
from divsym.cli.build import render_documents, write_documents
from divsym.identities import all_derivations
from divsym.identities.lecture import SECTIONS
from divsym.kernel.verify import verify_all
from divsym.render.pdf import PdfBuild, build_pdf, log_problems, tex_available


def _require(available: bool, what: str) -> None:
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not installed, and CI must build the PDF (.ci/run installs it)")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="session")
def lecture_pdf(tmp_path_factory: pytest.TempPathFactory) -> PdfBuild:
    _require(tex_available(), "TeX (latexmk, pdflatex)")
    folder = tmp_path_factory.mktemp("derivations")
    derivations = all_derivations()
    write_documents(folder, render_documents(derivations, verify_all(derivations)))
    return build_pdf(folder / "lecture.tex", folder / "build")


def test_lecture_pdf_builds(lecture_pdf: PdfBuild) -> None:
    assert lecture_pdf.returncode == 0, lecture_pdf.log.read_text(errors="replace")[-3000:]
    assert lecture_pdf.pdf.stat().st_size > 10_000


def test_lecture_log_is_clean(lecture_pdf: PdfBuild) -> None:
    assert lecture_pdf.problems == (), "\n".join(lecture_pdf.problems)


def test_pdf_text_has_every_section_and_a_status(lecture_pdf: PdfBuild) -> None:
    _require(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils)")
    words = subprocess.run(
        ["pdftotext", "-layout", str(lecture_pdf.pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(words.replace("\u2019", "'").split())
    for section in SECTIONS:
        assert " ".join(section.title.split()) in flat, section.title
    assert "Status: proved for all n." in flat


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("./lecture.tex:12: Undefined control sequence.", True),
        ("! Undefined control sequence.", True),
        ("! LaTeX Error: Unicode character 개 (U+AC1C) not set up for use with LaTeX.", True),
        ("Overfull \\hbox (28.05232pt too wide) detected at line 9", True),
        ("Overfull \\hbox (3.0pt too wide) in paragraph at lines 191--191", True),
        ("Missing character: There is no ^^c3 in font cmr10!", True),
        ("LaTeX Warning: Reference `kl-forms' on page 3 undefined on input line 40.", True),
        ("Underfull \\hbox (badness 10000) in paragraph at lines 5--6", False),
        ("(./cross-entropy-decomposition.tex) [3]", False),
        ("Package hyperref Info: Link coloring OFF on input line 12.", False),
    ],
)
def test_log_problems_are_recognised(line: str, found: bool) -> None:
    log = f"This is pdfTeX\n{line}\nOutput written on lecture.pdf (4 pages).\n"
    assert log_problems(log) == ((line,) if found else ())


def test_without_tex_the_build_says_so_plainly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(shutil, "which", lambda program: None)
    assert cli.main(["build", "--out", str(tmp_path / "d"), "--pdf-dir", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "no TeX engine: latexmk, pdflatex not found on PATH" in out
    assert "lecture.pdf was not built" in out
    assert not (tmp_path / "b").exists()


def test_a_tex_error_fails_the_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _require(tex_available(), "TeX (latexmk, pdflatex)")
    source = tmp_path / "lecture.tex"
    source.write_text(
        "\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n",
        encoding="utf-8",
    )
    result = build_pdf(source, tmp_path / "build")
    assert result.returncode != 0
    assert any("Undefined control sequence" in problem for problem in result.problems)
    assert not result.ok
