"""Vetted rules for the stable forms divsym evaluates: combining exponentials, ``d − log(1 + d)``.

Like :mod:`~divsym.kernel.rules`, each rule is a pure function ``Expr -> Expr`` returning an
expression equal to its input, and its input unchanged where a side condition fails:

* ``combine-exponentials``: ``exp(a)·exp(b) = exp(a + b)`` (true for every complex ``a``,
  ``b``), only between ``exp`` factors of one product; a power of an ``exp``
  (``√exp(b) = exp(b/2)`` only for real ``b``) or an ``exp`` inside a Sum is left alone;
* ``fold-expm1-minus-x``: ``e^x − 1 − x = Expm1MinusX(x)`` when all three terms are present
  (an identity for every complex ``x``; the node declares itself nonnegative, by
  ``gibbs-lemma``, only where SymPy knows ``x`` is real);
* ``shift-exponentials``: ``exp(x) = exp(m)·exp(x − m)`` inside each Sum, with ``m`` the real
  shift symbol of :mod:`divsym.symbols.stable` (an identity for every ``x``; exponents that
  already contain ``m`` are left alone, so the rule applies once);
* ``fold-x-minus-log1p``: ``r − 1 − log r = d − log(1 + d)`` with ``d = r − 1`` brought to one
  fraction, only when all three terms are present and ``r > 0`` is known: the node
  :class:`~divsym.symbols.stable.XMinusLog1p` is declared nonnegative (by ``gibbs-lemma``) for
  ``1 + d > 0``, and ``log r`` is the real logarithm only there. ``d`` is formed with
  ``together``, never ``cancel``, so no removable singularity of ``r`` disappears;
* ``mixture-coordinates``: for the context's first two distributions ``p`` and ``q`` (entries
  positive), ``p_i = m_i(1 − t_i)`` and ``q_i = m_i(1 + t_i)`` with ``m_i = (p_i + q_i)/2`` and
  ``t_i = (q_i − p_i)/(q_i + p_i)``, each ``log``'s argument then brought to lowest terms in
  ``m`` and ``t`` (an identity wherever ``m ≠ 0``: here ``m > 0``);
* ``fold-symmetric-xlog1p``: ``c·A·log A + c·B·log B = c·G(t)`` with ``A = 1 + t``,
  ``B = 1 − t`` (``A + B = 2``), only when ``A > 0`` and ``B > 0`` are known: the node
  :class:`~divsym.symbols.stable.SymmetricXLog1p` is declared nonnegative (by ``gibbs-lemma``)
  for ``|t| < 1``, and the logs are real there.
"""

from __future__ import annotations

from sympy import (
    Add,
    Dummy,
    Expr,
    Indexed,
    IndexedBase,
    Mul,
    Sum,
    cancel,
    exp,
    factor_list,
    factor_terms,
    gcd,
    log,
    together,
)

from divsym.kernel.context import Context
from divsym.kernel.rules import Rule
from divsym.symbols.stable import SHIFT, Expm1MinusX, SymmetricXLog1p, XMinusLog1p

__all__ = [
    "STABLE_RULES",
    "combine_exponentials",
    "fold_expm1_minus_x",
    "fold_symmetric_xlog1p",
    "fold_x_minus_log1p",
    "mixture_coordinates",
    "shift_exponentials",
]


def _is_product_of_exps(e: Expr) -> bool:
    return isinstance(e, Mul) and sum(isinstance(a, exp) for a in e.args) > 1


def _combine(expr: Expr, context: Context) -> Expr:
    def combine(term: Mul) -> Expr:
        exps = [factor for factor in term.args if isinstance(factor, exp)]
        others = [factor for factor in term.args if not isinstance(factor, exp)]
        exponent = factor_terms(Add(*(e.args[0] for e in exps)))
        return Mul(*others) * exp(exponent)  # type: ignore[no-any-return]

    return expr.replace(_is_product_of_exps, combine)  # type: ignore[no-any-return]


def _folded(term: Add) -> Expr | None:
    """``term`` with its ``r − 1 − log r`` written ``XMinusLog1p(r − 1)``, or None."""
    for arg in term.args:
        if not (isinstance(arg, Mul) and len(arg.args) == 2 and arg.args[0] == -1):
            continue
        inner = arg.args[1]
        if not isinstance(inner, log):
            continue
        r = inner.args[0]
        if r.is_positive is not True:
            continue  # XMinusLog1p(d) ≥ 0 is declared for 1 + d > 0 only
        parts = Add.make_args(r - 1 - log(r))
        if set(parts) <= set(term.args):
            rest = Add(*(a for a in term.args if a not in parts))
            return rest + XMinusLog1p(together(r - 1))  # type: ignore[no-any-return]
    return None


def _fold(expr: Expr, context: Context) -> Expr:
    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Add) and _folded(e) is not None, _folded
    )


def _folded_exp(term: Add) -> Expr | None:
    """``term`` with its ``e^x − 1 − x`` written ``Expm1MinusX(x)``, or None."""
    for arg in term.args:
        if not isinstance(arg, exp):
            continue
        x = arg.args[0]  # an identity for every complex x; the node is ≥ 0 only for real x
        parts = Add.make_args(arg - 1 - x)
        if set(parts) <= set(term.args):
            rest = Add(*(a for a in term.args if a not in parts))
            return rest + Expm1MinusX(x)  # type: ignore[no-any-return]
    return None


def _fold_exp(expr: Expr, context: Context) -> Expr:
    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Add) and _folded_exp(e) is not None, _folded_exp
    )


def _shift(expr: Expr, context: Context) -> Expr:
    """Inside each Sum: ``exp(x) = exp(m)·exp(x − m)`` for the shift symbol ``m`` (real)."""

    def split(e: exp) -> Expr:
        return Mul(exp(SHIFT), exp(e.args[0] - SHIFT), evaluate=False)

    def in_sum(s: Sum) -> Expr:
        function = s.function.replace(
            lambda e: isinstance(e, exp) and not e.args[0].has(SHIFT), split
        )
        return Sum(function, *s.limits)

    return expr.replace(lambda e: isinstance(e, Sum), in_sum)  # type: ignore[no-any-return]


def _mixture(expr: Expr, context: Context) -> Expr:
    """``p_i = m_i(1 − t_i)``, ``q_i = m_i(1 + t_i)`` for the context's first two distributions;
    each log's argument cancelled in the opaque ``m``, ``t``; then ``m``, ``t`` written out."""
    if len(context.distributions) < 2:
        return expr
    first, second = context.distributions[:2]
    mean, ratio = IndexedBase(Dummy("m")), IndexedBase(Dummy("t"))

    def is_entry(e: Expr) -> bool:
        return isinstance(e, Indexed) and e.base in (first, second) and len(e.indices) == 1

    def coordinates(e: Indexed) -> Expr:
        (index,) = e.indices
        sign = -1 if e.base == first else 1
        return mean[index] * (1 + sign * ratio[index])  # type: ignore[no-any-return]

    def written_out(e: Indexed) -> Expr:
        (index,) = e.indices
        a, b = first[index], second[index]
        return (a + b) / 2 if e.base == mean else (b - a) / (b + a)  # type: ignore[no-any-return]

    def positive(factor: Expr) -> bool:
        """``m_j``, ``1 + t_j`` or ``1 − t_j`` (up to sign): positive for positive p, q."""
        for index in {e.indices for e in factor.atoms(Indexed) if e.base in (mean, ratio)}:
            m, t = mean[index], ratio[index]
            if factor in (m, t + 1, t - 1, -t + 1, -t - 1):
                return True
        return False

    def lowest_terms(e: log) -> Expr:
        """The argument cancelled only by factors that cannot vanish (no removable
        singularity of another variable disappears: ``(q − 3p)x/(q − 3p)`` is left alone)."""
        numerator, denominator = e.args[0].as_numer_denom()  # combined, not cancelled
        _, common = factor_list(gcd(numerator, denominator))
        if all(f.is_number or positive(f) for f, _ in common):
            return log(cancel(e.args[0]))  # type: ignore[no-any-return]
        return e

    if not expr.has(first) or not expr.has(second):
        return expr
    opaque = expr.replace(is_entry, coordinates)
    opaque = opaque.replace(lambda e: isinstance(e, log), lowest_terms)
    return opaque.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Indexed) and e.base in (mean, ratio), written_out
    )


def _xlogx_parts(term: Expr) -> list[tuple[Expr, Expr]]:
    """Each way of writing ``term`` as ``c·A·log A``: the pairs ``(A, c)``."""
    factors = list(Mul.make_args(term))
    parts = []
    for position, factor in enumerate(factors):
        if not isinstance(factor, log):
            continue
        argument = factor.args[0]
        rest = factors[:position] + factors[position + 1 :]
        if argument in rest:
            rest.remove(argument)
            parts.append((argument, Mul(*rest)))
    return parts


def _folded_symmetric(term: Add) -> Expr | None:
    """``term`` with a pair ``c·(1 + t)·log(1 + t) + c·(1 − t)·log(1 − t)`` written
    ``c·SymmetricXLog1p(t)``, or None."""
    candidates = [(arg, a, c) for arg in term.args for a, c in _xlogx_parts(arg)]
    for first, a, c in candidates:
        if cancel(a).is_positive is not True:
            continue  # G(t) ≥ 0 is declared for |t| < 1 only, and log(1 ± t) is real there
        for second, b, d in candidates:
            if second is first or d != c or cancel(b).is_positive is not True:
                continue
            if cancel(a + b - 2) != 0:
                continue
            rest = Add(*(x for x in term.args if x is not first and x is not second))
            return rest + c * SymmetricXLog1p(a - 1)  # type: ignore[no-any-return]
    return None


def _fold_symmetric(expr: Expr, context: Context) -> Expr:
    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Add) and _folded_symmetric(e) is not None, _folded_symmetric
    )


combine_exponentials = Rule(
    "combine-exponentials",
    "exp(a)·exp(b) = exp(a + b) between the exp factors of one product, the exponent's common"
    " factors pulled out",
    _combine,
)
fold_x_minus_log1p = Rule(
    "fold-x-minus-log1p",
    "r − 1 − log r = d − log(1 + d) with d = r − 1 brought to one fraction, for r > 0",
    _fold,
)

fold_expm1_minus_x = Rule(
    "fold-expm1-minus-x",
    "e^x − 1 − x = Expm1MinusX(x) when all three terms are present (the node's own"
    " assumption makes it ≥ 0 only for real x)",
    _fold_exp,
    # Renaming bound indices rebuilds the expression, and a rebuilt exp(x − log y) becomes
    # exp(x)/y: the e^x to fold would be gone. The fold itself renames nothing.
    rename_first=False,
)
shift_exponentials = Rule(
    "shift-exponentials",
    "exp(x) = exp(m)·exp(x − m) inside each Sum, for the logit-space forms' real shift m"
    " (an identity for every x and m)",
    _shift,
)

mixture_coordinates = Rule(
    "mixture-coordinates",
    "p_i = m_i(1 − t_i), q_i = m_i(1 + t_i) with m_i = (p_i + q_i)/2, t_i = (q_i − p_i)/(q_i + p_i)"
    " for the context's first two distributions, each log's argument in lowest terms",
    _mixture,
)
fold_symmetric_xlog1p = Rule(
    "fold-symmetric-xlog1p",
    "c·(1 + t)·log(1 + t) + c·(1 − t)·log(1 − t) = c·G(t) when 1 + t > 0 and 1 − t > 0",
    _fold_symmetric,
)

#: Every stable-form rule by name.
STABLE_RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        combine_exponentials,
        fold_x_minus_log1p,
        fold_expm1_minus_x,
        shift_exponentials,
        mixture_coordinates,
        fold_symmetric_xlog1p,
    )
}
