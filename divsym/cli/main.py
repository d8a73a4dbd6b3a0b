"""The ``divsym`` command: ``verify``, ``build``.

Errors in the command line print one line on stderr and exit 2; a failed derivation makes
``verify`` and ``build`` exit 1. No traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from divsym.cli.build import render_documents, write_documents
from divsym.cli.calculator import add_calculator
from divsym.identities import all_derivations
from divsym.kernel.verify import DerivationReport, Status, verify_all
from divsym.render.pdf import TexNotInstalledError, build_pdf

__all__ = ["main"]


class UsageError(Exception):
    """A bad command line; reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="divsym", description="Derive, verify and render the lecture's identities."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_calculator(commands)
    verify = commands.add_parser("verify", help="verify every derivation and print a table")
    verify.add_argument(
        "--json", action="store_true", help="print a JSON report instead of a table"
    )
    build = commands.add_parser("build", help="verify every derivation and write derivations/")
    build.add_argument("--out", type=Path, help="output folder (default: derivations)")
    build.add_argument(
        "--pdf-dir",
        type=Path,
        help="where latexmk writes lecture.pdf (default: build, or OUT/build with --out)",
    )
    build.add_argument("--no-pdf", action="store_true", help="do not build lecture.pdf")
    return parser


def _table(reports: Sequence[DerivationReport], seconds: float) -> str:
    width = max(len(r.id) for r in reports)
    title_width = max(len(r.title) for r in reports)
    lines = [f"{'id':<{width}}  {'title':<{title_width}}  {'status':<19}  steps  seconds"]
    for r in reports:
        status = r.status.value
        if r.fixed_n:
            status += f" (n={r.fixed_n[0]}..{r.fixed_n[-1]})"
        lines.append(
            f"{r.id:<{width}}  {r.title:<{title_width}}  {status:<19}"
            f"  {len(r.steps):>5}  {r.seconds:7.2f}"
        )
    lines.append(f"{len(reports)} derivations in {seconds:.2f} s")
    return "\n".join(lines)


def _verify(as_json: bool) -> tuple[tuple[DerivationReport, ...], int]:
    started = time.perf_counter()
    reports = verify_all(all_derivations())
    seconds = time.perf_counter() - started
    if as_json:
        print(
            json.dumps(
                {"derivations": [r.as_json() for r in reports], "seconds": round(seconds, 3)},
                indent=2,
            )
        )
    else:
        print(_table(reports, seconds))
    failed = any(r.status is Status.FAILED for r in reports)
    return reports, 1 if failed else 0


def _pdf(out: Path, folder: Path) -> int:
    try:
        result = build_pdf(out / "lecture.tex", folder)
    except TexNotInstalledError as error:
        print(f"divsym: {error}; {folder / 'lecture.pdf'} was not built")
        return 0
    for problem in result.problems:
        print(f"divsym: warning: {result.log}: {problem}", file=sys.stderr)
    if result.returncode != 0 or not result.pdf.exists():
        print(f"divsym: error: latexmk failed; see {result.log}", file=sys.stderr)
        return 1
    print(
        f"built {result.pdf}" + (f" ({len(result.problems)} warning(s))" if result.problems else "")
    )
    return 0


def _build(out: Path, pdf_dir: Path | None) -> int:
    derivations = all_derivations()
    reports, code = _verify(as_json=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = write_documents(out, render_documents(derivations, reports))
    for warning in caught:
        print(f"divsym: warning: {warning.message}", file=sys.stderr)
    state = "updated" if written else "all up to date"
    print(f"wrote {len(written)} file(s) to {out}/ ({state})")
    if pdf_dir is not None:
        code = max(code, _pdf(out, pdf_dir))
    return code


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if getattr(args, "calculate", None) is not None:
            return int(args.calculate(args))
        if args.command == "verify":
            return _verify(args.json)[1]
        out = args.out or Path("derivations")
        pdf_dir = args.pdf_dir or (args.out / "build" if args.out else Path("build"))
        return _build(out, None if args.no_pdf else pdf_dir)
    except UsageError as error:
        print(f"divsym: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"divsym: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
