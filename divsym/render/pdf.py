"""Build ``lecture.pdf`` with ``latexmk -pdf`` and read the log for what went wrong.

The log is the judge: a PDF is only good when the log has no error, no undefined control
sequence, no Unicode character without a definition, no missing glyph, no undefined reference
and no overfull box.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PdfBuild", "TexNotInstalledError", "build_pdf", "log_problems", "tex_available"]

#: Engines ``latexmk -pdf`` needs.
_PROGRAMS = ("latexmk", "pdflatex")

_PROBLEMS = (
    re.compile(r"^! .*$"),
    re.compile(r"^.*:\d+: .*$"),
    re.compile(r"^.*Undefined control sequence.*$"),
    re.compile(r"^.*Unicode character .* not set up for use with LaTeX.*$"),
    re.compile(r"^Missing character: .*$"),
    re.compile(r"^LaTeX Warning: (Reference|Citation) .* undefined.*$"),
    re.compile(r"^LaTeX Warning: There were undefined references.*$"),
    re.compile(r"^Overfull \\[hv]box .*$"),
)


class TexNotInstalledError(RuntimeError):
    """``latexmk`` or ``pdflatex`` is not on the PATH."""


@dataclass(frozen=True)
class PdfBuild:
    """The outcome of one ``latexmk`` run."""

    pdf: Path
    log: Path
    returncode: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.pdf.exists() and not self.problems


def tex_available() -> bool:
    """Whether ``latexmk`` and ``pdflatex`` are installed."""
    return all(shutil.which(program) for program in _PROGRAMS)


def log_problems(log: str) -> tuple[str, ...]:
    """Every line of a (pdf)LaTeX log that reports an error, a missing glyph or an overfull box.

    >>> log_problems("Overfull \\\\hbox (3.1pt too wide) detected at line 12\\nfine\\n")
    ('Overfull \\\\hbox (3.1pt too wide) detected at line 12',)
    """
    return tuple(
        line for line in log.splitlines() if any(pattern.match(line) for pattern in _PROBLEMS)
    )


def build_pdf(source: Path, output: Path) -> PdfBuild:
    """Typeset ``source`` (``lecture.tex`` beside its fragments) into the folder ``output``.

    Raises :class:`TexNotInstalledError` when there is no TeX engine.
    """
    if not tex_available():
        missing = [program for program in _PROGRAMS if not shutil.which(program)]
        raise TexNotInstalledError(f"no TeX engine: {', '.join(missing)} not found on PATH")
    output = output.resolve()
    output.mkdir(parents=True, exist_ok=True)
    # Unwrapped log lines, so that a message is never split across lines.
    environment = {**os.environ, "max_print_line": "10000", "error_line": "254"}
    environment["half_error_line"] = "238"
    completed = subprocess.run(
        [
            "latexmk",
            "-pdf",
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-file-line-error",
            f"-outdir={output}",
            source.name,
        ],
        cwd=source.parent,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    stem = source.stem
    log = output / f"{stem}.log"
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    problems = log_problems(text)
    if completed.returncode != 0 and not problems:
        problems = tuple((completed.stderr.strip().splitlines() or ["latexmk failed"])[-1:])
    return PdfBuild(output / f"{stem}.pdf", log, completed.returncode, tuple(problems))
