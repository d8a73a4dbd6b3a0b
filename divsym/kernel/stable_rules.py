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
  ``together``, never ``cancel``, so no removable singularity of ``r`` disappears.
"""

from __future__ import annotations

from sympy import Add, Expr, Mul, Sum, exp, factor_terms, log, together

from divsym.kernel.context import Context
from divsym.kernel.rules import Rule
from divsym.symbols.stable import SHIFT, Expm1MinusX, XMinusLog1p

__all__ = [
    "STABLE_RULES",
    "combine_exponentials",
    "fold_expm1_minus_x",
    "fold_x_minus_log1p",
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

#: Every stable-form rule by name.
STABLE_RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (combine_exponentials, fold_x_minus_log1p, fold_expm1_minus_x, shift_exponentials)
}
