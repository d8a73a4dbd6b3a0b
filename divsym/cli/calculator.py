"""A small calculator on the command line: ``divsym softmax 2 1 0.1 --T 0.5``.

Subcommands: ``softmax``/``log-softmax`` (logits), ``entropy`` (one distribution),
``cross-entropy``, ``kl``, ``js``, ``js-distance`` (two distributions P and Q) and ``nll``
(a distribution and a 0-based label).

One convention for every vector: numbers separated by commas or whitespace (``0.5,0.5``,
``"0.5 0.5"`` or ``"0.5, 0.5"``). A command with one vector also takes its numbers as separate
arguments (``softmax 2 1 0.1``); a command with two takes each vector as one argument
(``kl 0.5,0.5 0.9,0.1``). Negative numbers need no ``--``: ``softmax -1,2,3`` and
``--T -1e-3`` are numbers, not options.

Numbers are parsed with ``float`` only — never ``eval`` or ``sympify`` — so any other text is a
usage error. A usage error or a bad value (a negative probability, a sum far from 1,
``T ≤ 0`` …) prints one line on stderr, quoting a long argument shortened, and exits 2; a
result prints on stdout (``-0.0`` as ``0.0``), exit 0.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from divsym.cli.messages import shorten, shorten_message
from divsym.numeric import functions

__all__ = [
    "COMMANDS",
    "add_calculator",
    "parse_label",
    "parse_number",
    "parse_vector",
    "protect_negative_numbers",
]

_SEPARATOR = re.compile(r"\s*,\s*|\s+")


def parse_number(text: str) -> float:
    """``float(text)``, nothing else: no expressions, no names."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {shorten(text.strip())!r}") from None


def parse_vector(text: str) -> list[float]:
    """Numbers separated by commas or whitespace, e.g. ``0.5,0.5`` or ``"0.5 0.5"``."""
    stripped = text.strip()
    if not stripped:
        raise argparse.ArgumentTypeError("empty vector: give at least one number")
    parts = _SEPARATOR.split(stripped)
    if "" in parts:
        raise argparse.ArgumentTypeError(f"empty entry in the vector {shorten(stripped)!r}")
    return [parse_number(part) for part in parts]


def parse_label(text: str) -> int:
    """A 0-based class index: a decimal integer, or a number with an integral value (``1.0``),
    as the API accepts float labels with integral values."""
    stripped = text.strip()
    try:
        return int(stripped, 10)
    except ValueError:
        pass
    try:
        value = float(stripped)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value != math.floor(value):
        raise argparse.ArgumentTypeError(f"not an integer label: {shorten(stripped)!r}")
    return int(value)


def _is_numeric(text: str) -> bool:
    try:
        parse_vector(text)
    except argparse.ArgumentTypeError:
        return False
    return True


def protect_negative_numbers(argv: Sequence[str]) -> list[str]:
    """``argv`` with each argument that is a negative number or vector (``-1,2``, ``-1e-3``,
    ``-inf``) prefixed by a space, so that argparse reads it as a value, not as an option.

    Only arguments after a calculator command are touched; ``float`` ignores the space.
    """
    argv = list(argv)
    command = next((k for k, arg in enumerate(argv) if not arg.startswith("-")), len(argv))
    if command == len(argv) or argv[command] not in COMMANDS:
        return argv
    rest = argv[command + 1 :]
    if "--" in rest:
        rest = rest[: rest.index("--")]
    for offset, arg in enumerate(rest, start=command + 1):
        if arg.startswith("-") and _is_numeric(arg):
            argv[offset] = " " + arg
    return argv


def _format(result: Any) -> str:
    values = np.atleast_1d(np.asarray(result, dtype=np.float64))
    return " ".join(repr(float(v) + 0.0) for v in values)  # + 0.0 turns -0.0 into 0.0


def _flat(vectors: list[list[float]]) -> list[float]:
    return [value for vector in vectors for value in vector]


def _logits(function: Callable[..., Any]) -> Callable[[argparse.Namespace], Any]:
    return lambda args: function(_flat(args.z), T=args.T)


def _one(function: Callable[..., Any]) -> Callable[[argparse.Namespace], Any]:
    return lambda args: function(_flat(args.p), base=args.base)


def _two(function: Callable[..., Any]) -> Callable[[argparse.Namespace], Any]:
    return lambda args: function(args.p, args.q, base=args.base)


#: name: (help, kind, how to call the function)
COMMANDS: dict[str, tuple[str, str, Callable[[argparse.Namespace], Any]]] = {
    "softmax": ("softmax with temperature of logits", "logits", _logits(functions.softmax)),
    "log-softmax": ("log-softmax of logits", "logits", _logits(functions.log_softmax)),
    "entropy": ("entropy H(P)", "one", _one(functions.entropy)),
    "cross-entropy": ("cross-entropy H(P, Q)", "two", _two(functions.cross_entropy)),
    "kl": ("KL divergence D_KL(P ‖ Q)", "two", _two(functions.kl_divergence)),
    "js": ("Jensen–Shannon divergence JSD(P ‖ Q)", "two", _two(functions.js_divergence)),
    "js-distance": ("Jensen–Shannon distance √JSD", "two", _two(functions.js_distance)),
    "nll": (
        "negative log-likelihood −log q_y",
        "nll",
        lambda args: functions.nll(args.q, args.label, base=args.base),
    ),
}


def _calculate(args: argparse.Namespace) -> int:
    try:
        result = COMMANDS[args.command][2](args)
        text = _format(result)
    except (ValueError, TypeError, ArithmeticError) as error:
        print(f"divsym: error: {shorten_message(str(error))}", file=sys.stderr)
        return 2
    print(text)
    return 0


def add_calculator(commands: Any) -> None:
    """Add the calculator's subcommands to ``commands`` (an argparse subparsers object).

    Each parsed namespace gets ``calculate``: a function of the namespace returning the exit
    status.
    """
    vector = "numbers separated by commas or spaces"
    for name, (help_text, kind, _) in COMMANDS.items():
        parser = commands.add_parser(name, help=help_text, description=help_text)
        if kind == "logits":
            parser.add_argument("z", type=parse_vector, nargs="+", help=f"logits: {vector}")
            parser.add_argument("--T", type=parse_number, default=1.0, help="temperature > 0")
        else:
            if kind == "one":
                parser.add_argument("p", type=parse_vector, nargs="+", help=f"P: {vector}")
            elif kind == "two":
                parser.add_argument("p", type=parse_vector, help=f"P, one argument: {vector}")
                parser.add_argument("q", type=parse_vector, help=f"Q, one argument: {vector}")
            else:
                parser.add_argument("q", type=parse_vector, help=f"model distribution: {vector}")
                parser.add_argument("label", type=parse_label, help="0-based class label")
            parser.add_argument("--base", type=parse_number, default=None, help="log base")
        parser.set_defaults(calculate=_calculate)
