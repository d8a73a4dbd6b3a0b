"""Small, named, sound rules for the lecture's discrete identities.

Each rule returns an expression equal to its input (under the
:class:`~divsym.kernel.context.Context` facts it names) and returns its input unchanged when it
does not apply:

* ``log-content``: ``log(c·a) = log c + log a`` for a positive rational content ``c`` of a
  positive sum, e.g. ``log(p/(p/2 + q/2)) = log 2 + log(p/(p + q))``. SymPy distributes
  ``(p + q)/2`` into ``p/2 + q/2`` on creation, after which ``expand_log`` cannot split the ``2``
  off; the canonical form runs this rule before ``expand-logs``;
* ``expand-log-arguments``: ``log(a) → log(expand(a))``, e.g. ``log((p+q)/p) = log(1 + q/p)``;
* ``log-of-product``: ``log Π_i f_i = Σ_i log f_i`` when every factor ``f_i`` is positive;
* ``collapse-indicator-sum``: ``Σ_{y=1}^n δ(y, a) f(y) = δ(a, a) f(a)`` for a label ``a``
  that the context declares an integer in ``1..n`` (``context.labels``); refuses otherwise.
  SymPy's own ``Sum.doit`` leaves ``Piecewise((f(a), n >= a))`` and also collapses when ``a``
  is not an integer, which is unsound; this rule does neither.

The rules on ``argmax``/``argmin`` live in :mod:`divsym.kernel.optimisation`.
"""

from __future__ import annotations

from sympy import Add, Basic, Expr, KroneckerDelta, Mul, Product, S, Sum, expand, log

from divsym.kernel.context import Context
from divsym.kernel.rules import Rule

__all__ = [
    "DISCRETE_RULES",
    "collapse_indicator_sum",
    "expand_log_arguments",
    "is_indicator",
    "log_content",
    "log_of_product",
]


def _log_content(expr: Expr, context: Context) -> Expr:
    def split(e: log) -> Expr:
        constant: Expr = S.One
        rest = []
        for factor in Mul.make_args(e.args[0]):
            base, exponent = factor.as_base_exp()
            if isinstance(base, Add) and exponent.is_Integer:
                content, primitive = base.primitive()
                if content != 1 and content.is_positive and primitive.is_positive:
                    constant *= content**exponent
                    rest.append(primitive**exponent)
                    continue
            rest.append(factor)
        remainder = Mul(*rest)
        if constant == 1 or remainder.is_positive is not True:
            return e
        return log(constant) + log(remainder)  # type: ignore[no-any-return]

    return expr.replace(lambda e: isinstance(e, log), split)  # type: ignore[no-any-return]


def _expand_log_arguments(expr: Expr, context: Context) -> Expr:
    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, log), lambda e: log(expand(e.args[0]))
    )


def _log_of_product(expr: Expr, context: Context) -> Expr:
    def applies(e: Basic) -> bool:
        return (
            isinstance(e, log)
            and isinstance(e.args[0], Product)
            and e.args[0].function.is_positive is True
        )

    def rewrite(e: log) -> Expr:
        product = e.args[0]
        return Sum(log(product.function), *product.limits)

    return expr.replace(applies, rewrite)  # type: ignore[no-any-return]


def is_indicator(e: Basic) -> bool:
    """Whether ``e`` is ``δ(a, b)``: a ``KroneckerDelta`` or a node with ``indicator_of``."""
    return isinstance(e, KroneckerDelta) or hasattr(e, "indicator_of")


def _indicator_pair(e: Basic) -> tuple[Expr, Expr]:
    if isinstance(e, KroneckerDelta):
        return e.args[0], e.args[1]
    return e.indicator_of  # type: ignore[attr-defined, no-any-return]


def _collapse(expr: Expr, context: Context) -> Expr:
    def collapse(s: Sum) -> Expr:
        if len(s.limits) != 1:
            return s
        var, low, high = s.limits[0]
        if low != 1 or high != context.classes:
            return s
        factors = Mul.make_args(s.function)
        for position, factor in enumerate(factors):
            if not is_indicator(factor):
                continue
            a, b = _indicator_pair(factor)
            label = b if a == var else a if b == var else None
            if label is None or label not in context.labels or label.has(var):
                continue
            if label.is_integer is not True:
                continue
            rest = Mul(*(f for j, f in enumerate(factors) if j != position))
            return factor.xreplace({var: label}) * rest.xreplace({var: label})  # type: ignore[no-any-return]
        return s

    return expr.replace(lambda e: isinstance(e, Sum), collapse)  # type: ignore[no-any-return]


log_content = Rule(
    "log-content",
    "log(c·a) = log c + log a for the positive rational content c of a positive sum",
    _log_content,
)
expand_log_arguments = Rule(
    "expand-log-arguments",
    "log(a) = log(expand(a)): multiply out the argument of each log, e.g. (p+q)/p = 1 + q/p",
    _expand_log_arguments,
)
log_of_product = Rule(
    "log-of-product",
    "log Π_i f_i = Σ_i log f_i when every factor f_i is positive",
    _log_of_product,
)
collapse_indicator_sum = Rule(
    "collapse-indicator-sum",
    "Σ_{y=1}^n δ(y, a) f(y) = δ(a, a) f(a) for a label a that is an integer in 1..n",
    _collapse,
)

#: The rules of this module by name.
DISCRETE_RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (log_content, expand_log_arguments, log_of_product, collapse_indicator_sum)
}
