"""LaTeX in the lecture's notation.

:class:`LectureLatexPrinter` is SymPy's printer with the lecture's conventions:

- terms and factors in the written order (``order="none"``): an unevaluated ``Add``/``Mul``
  prints exactly as the derivation wrote it;
- ``p_i`` rather than SymPy's ``{p}_{i}``; ``\\delta_{ik}`` for a Kronecker delta;
- ``\\exp(z_i/T)`` rather than ``e^{\\frac{z_i}{T}}``; ``\\log q_i`` and ``\\log \\frac{p_i}{q_i}``
  without parentheses, ``\\log_2 x`` for ``log(x)/log(2)``;
- ``\\sum_j`` for a Sum over the classes ``j = 1..n`` (the lecture never writes those limits);
  any other range keeps its limits, e.g. ``\\prod_{i=1}^{N}``;
- ``\\frac{1}{2} D_{KL}(P \\parallel M)`` rather than ``\\frac{D_{KL}(P \\parallel M)}{2}``;
- ``\\frac{\\partial q_i}{\\partial T}`` for every derivative, ordinary or partial.

Node classes of the derivations carry their own ``_latex``; they print their arguments through
this printer, so the conventions above apply inside them too.
"""

from __future__ import annotations

import re
from typing import Any

from sympy import (
    Add,
    Basic,
    Derivative,
    Expr,
    Function,
    Indexed,
    Integer,
    Integral,
    KroneckerDelta,
    Mul,
    Number,
    Pow,
    Product,
    Rational,
    S,
    Sum,
    Symbol,
    exp,
    fraction,
    log,
)
from sympy.core.function import _coeff_isneg
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from divsym.symbols.notation import n

__all__ = ["LectureLatexPrinter", "to_latex", "upright_names", "written_terms"]


def _subscript(tex: str) -> str:
    """``_i`` for a one-character subscript, ``_{ik}`` otherwise."""
    return f"_{tex}" if len(tex) == 1 else f"_{{{tex}}}"


def _is_single_fraction(tex: str) -> bool:
    r"""Whether ``tex`` is exactly one ``\frac{..}{..}`` and nothing else."""
    if not tex.startswith(r"\frac{"):
        return False
    position, groups = len(r"\frac"), 0
    while groups < 2:
        if position >= len(tex) or tex[position] != "{":
            return False
        depth = 0
        for end in range(position, len(tex)):
            depth += {"{": 1, "}": -1}.get(tex[end], 0)
            if depth == 0:
                break
        position, groups = end + 1, groups + 1
    return position == len(tex)


#: Printed LaTeX that is taller than a line of text.
_TALL = (r"\frac", r"\sum", r"\prod", r"\left", r"\begin", r"\lim")

_ONE_CHARACTER_GROUP = re.compile(r"(?<!\\)([_^])\{([A-Za-z0-9])\}")


class _LogBase(Function):
    """``log(x)/log(b)`` while printing: ``\\log_b x`` (never built outside the printer)."""

    nargs = 2


def written_terms(expr: Add, top: bool = False) -> list[Expr]:
    """The terms of ``expr`` in the order to print them: a positive term first.

    ``- q_k + δ_ik`` reads ``δ_ik - q_k``, ``- log(Σ_j …) + z_i/T`` reads ``z_i/T - log(Σ_j …)``:
    the first term without a minus sign moves to the front and the others keep their order.
    One form stays as it is: a whole line (``top``) that starts with ``-Σ`` and adds only other
    Sums, the lecture's ``-Σ p log q + Σ p log p``. The line breaker uses the same order.
    """
    terms = list(expr.args)
    if not terms or not _coeff_isneg(terms[0]):
        return terms
    positives = [t for t in terms if not _coeff_isneg(t)]
    if not positives:
        return terms
    if top and isinstance(-terms[0], Sum) and all(isinstance(t, Sum) for t in positives):
        return terms
    terms.remove(positives[0])
    return [positives[0], *terms]


class LectureLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the lecture's conventions."""

    def __init__(self, settings: dict[str, Any] | None = None, line: bool = True) -> None:
        super().__init__({"order": "none", **(settings or {})})
        #: Whether the expression printed is a whole line of a derivation.
        self._line = line
        self._top: Any = None

    # --- atoms -------------------------------------------------------------------------------

    def _print_Indexed(self, expr: Indexed) -> str:
        base: str = self._print(expr.base.label)
        indices = "".join(self._print(index) for index in expr.indices)
        return base + _subscript(indices)

    def _print_KroneckerDelta(self, expr: KroneckerDelta, exp: Any = None) -> str:
        first, second = (self._print(index) for index in expr.args)
        simple = all(len(part) == 1 for part in (first, second))
        tex = r"\delta" + _subscript(first + second if simple else f"{first}, {second}")
        return rf"\left({tex}\right)^{{{exp}}}" if exp is not None else tex

    # --- log and exp ---------------------------------------------------------------------------

    def _bare_argument(self, argument: Expr) -> str | None:
        """The argument printed without parentheses when the lecture writes none, else None."""
        if isinstance(argument, (Indexed, Symbol, Number)) and not (
            isinstance(argument, Number) and argument.is_negative
        ):
            return self._print(argument)  # type: ignore[no-any-return]
        if isinstance(argument, Function) and not isinstance(argument, (exp, log)):
            return self._print(argument)  # type: ignore[no-any-return]
        if isinstance(argument, Mul) and not argument.could_extract_minus_sign():
            tex = self._print(argument)
            if _is_single_fraction(tex):
                return tex  # type: ignore[no-any-return]
        return None

    def _print_log(self, expr: log, exp: Any = None) -> str:
        (argument,) = expr.args
        bare = self._bare_argument(argument)
        tex = rf"\log {bare}" if bare is not None else rf"\log\left({self._print(argument)}\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp is not None else tex

    def _print__LogBase(self, expr: _LogBase, exp: Any = None) -> str:
        argument, base = expr.args
        bare = self._bare_argument(argument)
        inner = bare if bare is not None else rf"\left({self._print(argument)}\right)"
        tex = rf"\log{_subscript(self._print(base))} {inner}"
        return rf"\left({tex}\right)^{{{exp}}}" if exp is not None else tex

    def _inline_fraction(self, expr: Expr) -> str:
        """``z_i/T`` as the lecture writes inside ``exp``; anything else as usual."""
        numerator, denominator = fraction(expr, exact=True)
        if denominator == 1 or any(
            fraction(part, exact=True)[1] != 1 for part in (numerator, denominator)
        ):
            return self._print(expr)  # type: ignore[no-any-return]
        parts = []
        for part in (numerator, denominator):
            tex: str = self._print(part)
            if isinstance(part, Add):
                tall = any(marker in tex for marker in _TALL)
                tex = rf"\left({tex}\right)" if tall else f"({tex})"
            parts.append(tex)
        return "/".join(parts)

    def _print_exp(self, expr: exp, exp: Any = None) -> str:
        (argument,) = expr.args
        inner = self._inline_fraction(argument)
        tall = any(marker in inner for marker in _TALL)
        tex = rf"\exp\left({inner}\right)" if tall else rf"\exp({inner})"
        return rf"\left({tex}\right)^{{{exp}}}" if exp is not None else tex

    # --- sums and products ---------------------------------------------------------------------

    def _bound(self, bound: Expr) -> str:
        """A limit of a sum as one counts: ``m + 1``, not SymPy's ``1 + m``."""
        if isinstance(bound, Add) and isinstance(bound.args[0], Number) and bound.args[0] > 0:
            bound = Add(*bound.args[1:], bound.args[0], evaluate=False)
        return self._print(bound)  # type: ignore[no-any-return]

    def _big_operator(self, symbol: str, expr: Sum | Product) -> str:
        parts = []
        for index, lower, upper in expr.limits:
            if lower == 1 and upper == n:
                parts.append(symbol + _subscript(self._print(index)))
            else:
                bounds = (self._print(index), self._bound(lower), self._bound(upper))
                parts.append(rf"{symbol}_{{{bounds[0]}={bounds[1]}}}^{{{bounds[2]}}}")
        body = expr.function
        inner: str = self._print(body)
        if isinstance(body, Add):
            inner = rf"\left({inner}\right)"
        return " ".join(parts) + " " + inner

    def _print_Sum(self, expr: Sum) -> str:
        return self._big_operator(r"\sum", expr)

    def _print_Product(self, expr: Product) -> str:
        return self._big_operator(r"\prod", expr)

    # --- sums: SymPy's sorted order made readable ---------------------------------------------

    def _print_Add(self, expr: Add, order: str | None = None) -> str:
        """A sum as written, but with no needless minus sign in front (:func:`written_terms`)."""
        terms = written_terms(expr, top=expr is self._top)
        if terms != list(expr.args):
            expr = Add(*terms, evaluate=False)
        return super()._print_Add(expr, order)  # type: ignore[no-any-return]

    # --- brackets around factors -----------------------------------------------------------------

    def _needs_mul_brackets(self, expr: Expr, first: bool = False, last: bool = False) -> bool:
        """SymPy's rule, except that a factor already closed on the right keeps no brackets.

        SymPy brackets every factor that contains a Sum unless it is the last one, so that
        ``Σ_i a_i b`` cannot be misread; but ``(Σ_j …)²``, ``log(Σ_j …)`` or a ``\\frac`` is
        closed already, and brackets around it only double the ones it has.
        """
        if super()._needs_mul_brackets(expr, first=first, last=True):
            return True
        if last or not expr.has(Sum, Product, Integral):
            return False
        return not self._closed_on_the_right(expr)

    def _closed_on_the_right(self, expr: Expr) -> bool:
        """Whether ``expr`` prints as something nothing to its right could be read into."""
        if isinstance(expr, Pow) and expr.exp.is_Integer and expr.exp > 1:
            return True  # the base of a power is bracketed (or atomic) already
        if isinstance(expr, Function):
            return True  # log(…), exp(…), H(P, Q): closed by their own brackets
        return _is_single_fraction(self._print(expr))

    def doprint(self, expr: Any) -> str:
        """Print ``expr``, remembering it: its top-level sum is a whole line (``written_terms``)."""
        self._top = expr if self._line else None
        return super().doprint(expr)  # type: ignore[no-any-return]

    # --- products with a rational coefficient or a log base ------------------------------------

    def _print_Mul(self, expr: Mul) -> str:
        factors = Mul.make_args(expr)
        with_base = self._with_log_base(factors)
        if with_base is not None:
            return self._print(with_base)  # type: ignore[no-any-return]
        coefficient = factors[0]
        rest = factors[1:]
        if (
            isinstance(coefficient, Rational)
            and not isinstance(coefficient, Integer)
            and rest
            and not (len(rest) == 1 and isinstance(rest[0], (Add, Indexed, Symbol)))
        ):
            sign = "- " if coefficient < 0 else ""
            magnitude = abs(coefficient)
            tail = Mul(*rest, evaluate=False) if len(rest) > 1 else rest[0]
            body = self.parenthesize(tail, PRECEDENCE["Mul"], strict=True)
            return rf"{sign}\frac{{{magnitude.p}}}{{{magnitude.q}}} {body}"
        return super()._print_Mul(expr)  # type: ignore[no-any-return]

    @staticmethod
    def _with_log_base(factors: tuple[Basic, ...]) -> Expr | None:
        """``-log(x)/log(2)`` as ``-_LogBase(x, 2)``, or None when there is no such pair."""
        bases = [
            f
            for f in factors
            if isinstance(f, Pow)
            and f.exp == -1
            and isinstance(f.base, log)
            and isinstance(f.base.args[0], Integer)
        ]
        logs = [f for f in factors if isinstance(f, log) and not f.args[0].is_Number]
        if len(bases) != 1 or len(logs) != 1:
            return None
        (base,), (logarithm,) = bases, logs
        replaced = [
            _LogBase(logarithm.args[0], base.base.args[0]) if f is logarithm else f
            for f in factors
            if f is not base
        ]
        if len(replaced) == 1:
            return replaced[0]  # type: ignore[no-any-return]
        return Mul(*replaced, evaluate=False)

    # --- derivatives -----------------------------------------------------------------------------

    def _print_Derivative(self, expr: Derivative) -> str:
        order = 0
        denominator = []
        for variable, count in expr.variable_count:
            order += count
            power = f"^{{{self._print(count)}}}" if count != 1 else ""
            denominator.append(rf"\partial {self._print(variable)}{power}")
        numerator = r"\partial" + (f"^{{{order}}}" if order != 1 else "")
        target = expr.expr
        if isinstance(target, (Indexed, Symbol)) or (
            isinstance(target, Function) and not isinstance(target, (exp, log))
        ):
            return rf"\frac{{{numerator} {self._print(target)}}}{{{' '.join(denominator)}}}"
        body = self.parenthesize(
            target, PRECEDENCE["Mul"], is_neg=target.could_extract_minus_sign(), strict=True
        )
        return rf"\frac{{{numerator}}}{{{' '.join(denominator)}}} {body}"


#: Names of functions and operators, set upright as the ISO rules and every textbook do:
#: ``JSD`` in math italic reads as the product J·S·D.
_OPERATOR_NAMES = (
    (re.compile(r"D_\{KL\}|D_KL(?![A-Za-z])"), r"D_{\mathrm{KL}}"),
    (re.compile(r"(?<![A-Za-z\\{])JSD(?![A-Za-z])"), r"\operatorname{JSD}"),
    (re.compile(r"(?<![A-Za-z\\{])Var(?![A-Za-z])"), r"\operatorname{Var}"),
    (re.compile(r"(?<![A-Za-z\\{])NLL(?![A-Za-z])"), r"\mathrm{NLL}"),
)


def upright_names(tex: str) -> str:
    r"""``tex`` with the operator names upright: ``D_{\mathrm{KL}}``, ``\operatorname{JSD}``.

    >>> upright_names(r"JSD(P \parallel Q) \leq D_{KL}(P \parallel Q)")
    '\\operatorname{JSD}(P \\parallel Q) \\leq D_{\\mathrm{KL}}(P \\parallel Q)'
    """
    for pattern, replacement in _OPERATOR_NAMES:
        tex = pattern.sub(replacement.replace("\\", r"\\"), tex)
    return tex


def to_latex(expr: Basic, top: bool = True) -> str:
    """``expr`` in the lecture's LaTeX notation.

    ``top`` says that ``expr`` is a whole line of a derivation, not a piece of one (this only
    matters for the order of its terms, see :func:`written_terms`).

    >>> from divsym.symbols.notation import T, j, z
    >>> from divsym.symbols.definitions import softmax
    >>> to_latex(softmax(z, T))
    '\\\\frac{\\\\exp(z_i/T)}{\\\\sum_j \\\\exp(z_j/T)}'
    """
    if expr is S.NaN or expr.has(S.NaN, S.ComplexInfinity):
        raise ValueError(f"refusing to print an undefined expression: {expr}")
    tex: str = LectureLatexPrinter(line=top).doprint(expr)
    # Node classes of the derivations print their own LaTeX; drop their braces noise too.
    return upright_names(_ONE_CHARACTER_GROUP.sub(r"\1\2", tex))
