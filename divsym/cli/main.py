"""The ``divsym`` command: ``verify``, ``build``, the calculator and ``batch``.

``divsym verify`` verifies the lecture's derivations (``--id ID ...`` only those), or those a
user's module declares (``divsym verify MODULE_OR_FILE``; see :mod:`divsym.cli.loading`), and
prints a table — under each derivation that is not proved, the reason of its first step with
that status (or why a lemma caps it). Errors in the command line print one line on stderr and
exit 2; a failed derivation makes ``verify`` and ``build`` exit 1. No traceback reaches the user.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.metadata
import json
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import divsym.codegen as codegen
from divsym.api import verify_all as verify_with_lemmas
from divsym.cli.batch import add_batch
from divsym.cli.build import project_root, render_documents, write_documents
from divsym.cli.calculator import add_calculator, protect_negative_numbers
from divsym.cli.distill import add_distill, protect_distill_numbers
from divsym.cli.loading import LoadError, load_derivations
from divsym.cli.messages import shorten, shorten_message
from divsym.identities import all_derivations
from divsym.kernel.derivation import Derivation
from divsym.kernel.verify import DerivationReport, Status, verify_all
from divsym.render.pdf import TexNotInstalledError, build_pdf
from divsym.render.status import first_unproved, step_reason
from divsym.render.tex import RenderError

__all__ = ["main", "version"]


class UsageError(Exception):
    """A bad command line; reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def version() -> str:
    """The installed distribution's version (``unknown`` when run from an uninstalled tree)."""
    try:
        return importlib.metadata.version("divsym")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="divsym", description="Derive, verify and render the lecture's identities."
    )
    parser.add_argument("--version", action="version", version=f"divsym {version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_calculator(commands)
    add_batch(commands)
    add_distill(commands)
    verify = commands.add_parser(
        "verify",
        help="verify derivations and print a table",
        description="Verify the lecture's derivations, or those of MODULE_OR_FILE: a .py file "
        "or dotted module name with DERIVATIONS (an iterable of Derivation) or a function "
        "derivations() returning one. Exit 1 if any derivation fails.",
    )
    verify.add_argument(
        "source", nargs="?", metavar="MODULE_OR_FILE", help="a user's module (default: lecture)"
    )
    verify.add_argument("--id", nargs="+", metavar="ID", help="verify only these derivations")
    verify.add_argument(
        "--json", action="store_true", help="print a JSON report instead of a table"
    )
    build = commands.add_parser("build", help="verify every derivation and write derivations/")
    build.add_argument(
        "--out", type=Path, help="output folder (default: derivations/ of the divsym checkout)"
    )
    build.add_argument(
        "--pdf-dir",
        type=Path,
        help="where latexmk writes lecture.pdf (default: build/ of the checkout, or OUT/build)",
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
        if r.status in (Status.FAILED, Status.CHECKED_NUMERICALLY):
            step = first_unproved(r)
            if step is not None:
                lines.append(f"    step {step.index}: {step_reason(step)}")
            elif getattr(r, "reason", ""):  # every step proved, the status capped by a lemma
                lines.append(f"    {r.reason}")
    lines.append(f"{len(reports)} derivations in {seconds:.2f} s")
    return "\n".join(lines)


def _select(derivations: tuple[Derivation, ...], ids: Sequence[str]) -> tuple[Derivation, ...]:
    """The derivations with the given ids, in the order asked; an unknown id is a usage error."""
    by_id = {d.id: d for d in derivations}
    for wanted in ids:
        if wanted not in by_id:
            close = difflib.get_close_matches(wanted, list(by_id), n=3, cutoff=0.5)
            hint = (
                f"; did you mean {', '.join(close)}?" if close else "; `divsym verify` lists them"
            )
            raise UsageError(f"unknown derivation id {shorten(wanted)!r}{hint}")
    return tuple(by_id[wanted] for wanted in dict.fromkeys(ids))


def _verify(
    as_json: bool, source: str | None = None, ids: Sequence[str] | None = None
) -> tuple[tuple[DerivationReport, ...], int]:
    started = time.perf_counter()
    if source is None and not ids:
        reports = verify_all(all_derivations())
    else:
        try:
            derivations = all_derivations() if source is None else load_derivations(source)
        except LoadError as error:
            raise UsageError(str(error)) from None
        if ids:
            derivations = _select(derivations, ids)
        reports = tuple(verify_with_lemmas(derivations))
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


def _regenerate_numeric_module(root: Path) -> None:
    """Rewrite the checkout's generated numeric module from the proved forms, if it changed."""
    target = root / "divsym" / "numeric" / "_generated.py"
    if codegen.write_module(target):
        print(f"regenerated {target}")


def _build(out: Path | None, pdf_dir: Path | None, no_pdf: bool) -> int:
    root = project_root()
    if out is None:
        if root is None:
            raise UsageError(
                "build needs --out DIR: this divsym is installed, not a project checkout"
            )
        out = root / "derivations"
    if pdf_dir is None:
        pdf_dir = out / "build" if root is None or out != root / "derivations" else root / "build"
    if root is not None:
        _regenerate_numeric_module(root)
    derivations = all_derivations()
    reports, code = _verify(as_json=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            written = write_documents(out, render_documents(derivations, reports))
        except RenderError as error:
            print(f"divsym: error: {shorten_message(str(error))}", file=sys.stderr)
            return 1
    for warning in caught:
        print(f"divsym: warning: {warning.message}", file=sys.stderr)
    state = "updated" if written else "all up to date"
    print(f"wrote {len(written)} file(s) to {out}/ ({state})")
    if not no_pdf:
        code = max(code, _pdf(out, pdf_dir))
    return code


def _run(argv: Sequence[str] | None) -> int:
    arguments = protect_negative_numbers(sys.argv[1:] if argv is None else argv)
    arguments = protect_distill_numbers(arguments)
    args = _parser().parse_args(arguments)
    if getattr(args, "calculate", None) is not None:
        return int(args.calculate(args))
    if getattr(args, "run_batch", None) is not None:
        return int(args.run_batch(args))
    if args.command == "verify":
        return _verify(args.json, args.source, args.id)[1]
    return _build(args.out, args.pdf_dir, args.no_pdf)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    try:
        return _run(argv)
    except UsageError as error:
        print(f"divsym: error: {shorten_message(str(error))}", file=sys.stderr)
        return 2
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    except OSError as error:
        print(f"divsym: error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a bug of ours: still one line, never a traceback
        detail = shorten_message(f"{type(error).__name__}: {error}")
        print(f"divsym: internal error (please report): {detail}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
