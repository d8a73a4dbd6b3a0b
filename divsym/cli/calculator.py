"""A small calculator on the command line: ``divsym softmax 2 1 0.1 --T 0.5``.

Subcommands: ``softmax``/``log-softmax`` (logits as separate numbers), ``entropy`` (one
distribution), ``cross-entropy``, ``kl``, ``js``, ``js-distance`` (two distributions) and
``nll`` (a distribution and a 0-based label). A distribution is written with commas:
``0.5,0.5``. Numbers are parsed with ``float`` only — never ``eval`` or ``sympify`` — so any
other text is a usage error. A usage error or a bad value (a negative probability, a sum far
from 1, ``T ≤ 0`` …) prints one line on stderr and exits 2; a result prints on stdout, exit 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from divsym.numeric import functions

__all__ = ["COMMANDS", "add_calculator", "parse_number", "parse_vector"]


def parse_number(text: str) -> float:
    """``float(text)``, nothing else: no expressions, no names."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def parse_vector(text: str) -> list[float]:
    """Comma-separated numbers, e.g. ``0.5,0.5``."""
    return [parse_number(part) for part in text.split(",")]


def parse_label(text: str) -> int:
    """A 0-based class index written as a decimal integer."""
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer label: {text!r}") from None


def _format(result: Any) -> str:
    values = np.atleast_1d(np.asarray(result, dtype=np.float64))
    return " ".join(repr(float(v)) for v in values)


def _logits(function: Callable[..., Any]) -> Callable[[argparse.Namespace], Any]:
    return lambda args: function(args.z, T=args.T)


def _one(function: Callable[..., Any]) -> Callable[[argparse.Namespace], Any]:
    return lambda args: function(args.p, base=args.base)


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
    except (ValueError, TypeError) as error:
        print(f"divsym: error: {error}", file=sys.stderr)
        return 2
    print(_format(result))
    return 0


def add_calculator(commands: Any) -> None:
    """Add the calculator's subcommands to ``commands`` (an argparse subparsers object).

    Each parsed namespace gets ``calculate``: a function of the namespace returning the exit
    status.
    """
    for name, (help_text, kind, _) in COMMANDS.items():
        parser = commands.add_parser(name, help=help_text)
        if kind == "logits":
            parser.add_argument("z", type=parse_number, nargs="+", help="logits, e.g. 2 1 0.1")
            parser.add_argument("--T", type=parse_number, default=1.0, help="temperature > 0")
        else:
            if kind == "one":
                parser.add_argument("p", type=parse_vector, help="distribution, e.g. 0.5,0.5")
            elif kind == "two":
                parser.add_argument("p", type=parse_vector, help="distribution P, e.g. 0.5,0.5")
                parser.add_argument("q", type=parse_vector, help="distribution Q, e.g. 0.9,0.1")
            else:
                parser.add_argument("q", type=parse_vector, help="model distribution, e.g. 0.2,0.8")
                parser.add_argument("label", type=parse_label, help="0-based class label")
            parser.add_argument("--base", type=parse_number, default=None, help="log base")
        parser.set_defaults(calculate=_calculate)
