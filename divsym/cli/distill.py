"""``divsym distill STUDENT TEACHER --T 4 [--alpha A] [--labels Y] [--form kl|ce]``.

One row of student and teacher logits (numbers separated by commas or whitespace, as in the
calculator, :mod:`divsym.cli.calculator`; negative numbers need no ``--``), the temperature,
optionally the 0-based label of the hard-label loss and alpha, the weight of the soft loss
(:func:`divsym.numeric.distillation.distillation_loss`). Prints the loss; with ``--grad`` also
its gradient with respect to the student's logits on a second line. A bad value prints one
line on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from divsym.cli.calculator import parse_label, parse_number, parse_vector
from divsym.cli.messages import shorten_message
from divsym.numeric.distillation import distillation_loss, distillation_loss_grad

__all__ = ["add_distill", "protect_distill_numbers"]

_NUMERIC_OPTIONS = ("--T", "--alpha", "--labels")


def _format(values: Any) -> str:
    return " ".join(repr(float(v) + 0.0) for v in values)


def _run(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {
        "labels": args.labels,
        "alpha": args.alpha,
        "form": args.form,
        "temperature_squared": not args.no_t2,
    }
    try:
        loss = distillation_loss(args.student, args.teacher, args.T, **options)
        lines = [_format([loss])]
        if args.grad:
            lines.append(
                _format(distillation_loss_grad(args.student, args.teacher, args.T, **options))
            )
    except (ValueError, TypeError, ArithmeticError) as error:
        print(f"divsym: error: {shorten_message(str(error))}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def add_distill(commands: Any) -> None:
    """Add ``distill`` to ``commands`` (an argparse subparsers object)."""
    vector = "numbers separated by commas or spaces, one argument"
    text = "knowledge-distillation loss alpha·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1−alpha)·CE"
    parser = commands.add_parser("distill", help=text, description=text)
    parser.add_argument("student", type=parse_vector, help=f"student logits: {vector}")
    parser.add_argument("teacher", type=parse_vector, help=f"teacher logits: {vector}")
    parser.add_argument("--T", type=parse_number, required=True, help="temperature > 0")
    parser.add_argument(
        "--alpha", type=parse_number, default=None, help="weight of the soft loss in [0, 1]"
    )
    parser.add_argument("--labels", type=parse_label, default=None, help="0-based hard label")
    parser.add_argument("--form", choices=("kl", "ce"), default="kl", help="soft loss form")
    parser.add_argument("--no-t2", action="store_true", help="do not multiply by T²")
    parser.add_argument("--grad", action="store_true", help="also print the gradient")
    parser.set_defaults(calculate=_run)


def protect_distill_numbers(argv: Sequence[str]) -> list[str]:
    """``argv`` with negative numbers after ``distill`` prefixed by a space (read as values)."""
    argv = list(argv)
    if "distill" not in argv:
        return argv
    start = argv.index("distill") + 1
    for k in range(start, len(argv)):
        arg = argv[k]
        if arg.startswith("-") and arg not in _NUMERIC_OPTIONS and arg[:2] != "--":
            try:
                parse_vector(arg)
            except argparse.ArgumentTypeError:
                continue
            argv[k] = " " + arg
    return argv
