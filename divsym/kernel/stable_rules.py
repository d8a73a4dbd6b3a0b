"""Vetted rules for the stable forms divsym evaluates: combining exponentials, ``d − log(1 + d)``.

Like :mod:`~divsym.kernel.rules`, each rule is a pure function ``Expr -> Expr`` returning an
expression equal to its input, and its input unchanged where a side condition fails:

* ``combine-exponentials``: ``exp(a)·exp(b) = exp(a + b)`` (true for every complex ``a``,
  ``b``), only between ``exp`` factors of one product; a power of an ``exp``
  (``√exp(b) = exp(b/2)`` only for real ``b``) or an ``exp`` inside a Sum is left alone;
* ``fold-x-minus-log1p``: ``r − 1 − log r = d − log(1 + d)`` with ``d = r − 1`` brought to one
  fraction, only when all three terms are present and ``r > 0`` is known: the node
  :class:`~divsym.symbols.stable.XMinusLog1p` is declared nonnegative (by ``gibbs-lemma``) for
  ``1 + d > 0``, and ``log r`` is the real logarithm only there. ``d`` is formed with
  ``together``, never ``cancel``, so no removable singularity of ``r`` disappears.
"""

from __future__ import annotations

from sympy import Add, Expr, Mul, exp, factor_terms, log, together

from divsym.kernel.context import Context
from divsym.kernel.rules import Rule
from divsym.symbols.stable import XMinusLog1p

__all__ = ["STABLE_RULES", "combine_exponentials", "fold_x_minus_log1p"]


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

#: Every stable-form rule by name.
STABLE_RULES: dict[str, Rule] = {
    rule.name: rule for rule in (combine_exponentials, fold_x_minus_log1p)
}
