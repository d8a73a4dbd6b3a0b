"""Small, named, sound rules for the lecture's discrete identities.

Each rule returns an expression equal to its input (under the
:class:`~divsym.kernel.context.Context` facts it names) and returns its input unchanged when it
does not apply:

* ``log-content``: ``log(c·a) = log c + log a`` for a positive rational content ``c`` of a
  positive sum, e.g. ``log(p/(p/2 + q/2)) = log 2 + log(p/(p + q))``. SymPy distributes
  ``(p + q)/2`` into ``p/2 + q/2`` on creation, after which ``expand_log`` cannot split the ``2``
  off; the canonical form runs this rule before ``expand-logs``;
* ``expand-log-arguments``: ``log(a) → log(expand(a))``, e.g. ``log((p+q)/p) = log(1 + q/p)``;
* ``log-of-product``: ``log Π_i f_i = Σ_i log f_i`` over finite integer bounds when every
  factor ``f_i`` is positive (for every value the index takes, by its bounds);
* ``collapse-indicator-sum``: ``Σ_{y=a}^{b} δ(y, ℓ) f(y) = δ(ℓ, ℓ) f(ℓ)`` for an integer
  ``ℓ`` known to lie in ``a..b``: either ``a ≤ ℓ ≤ b`` follows from SymPy's assumptions, or
  ``ℓ`` is a label or free index of the context (an integer in ``1..n``) and the Sum's own
  bounds contain ``1..n``. It refuses otherwise, and on infinite or non-integer bounds. SymPy's
  own ``Sum.doit`` leaves ``Piecewise((f(ℓ), n >= ℓ))`` and also collapses when ``ℓ`` is not an
  integer, which is unsound; this rule does neither. It is the one collapse rule: the calculus
  name ``collapse-kronecker-sums`` applies the same function.

The rules on ``argmax``/``argmin`` live in :mod:`divsym.kernel.optimisation`.
"""

from __future__ import annotations

from sympy import Add, Basic, Expr, KroneckerDelta, Mul, Product, S, Sum, expand, log

from divsym.kernel.context import Context
from divsym.kernel.index_ranges import context_ranged, integer_limits, known_le
from divsym.kernel.rules import Rule

__all__ = [
    "DISCRETE_RULES",
    "collapse_indicator_sum",
    "collapse_indicators",
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
            and integer_limits(e.args[0].limits)  # finitely many factors
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


def _in_range(label: Expr, low: Expr, high: Expr, context: Context) -> bool:
    """Whether ``label`` is an integer known to lie in ``low..high``."""
    if label.is_integer is not True:
        return False
    if known_le(low, label, context) and known_le(label, high, context):
        return True
    # A label or free index of the context lies in 1..n: enough when low..high contains 1..n.
    return (
        label in context_ranged(context)
        and known_le(low, 1, context)
        and known_le(context.classes, high, context)
    )


def _collapse_one(s: Sum, context: Context) -> Expr:
    if len(s.limits) != 1 or not integer_limits(s.limits):
        return s
    var, low, high = s.limits[0]
    factors = Mul.make_args(s.function)
    for position, factor in enumerate(factors):
        if not is_indicator(factor):
            continue
        if isinstance(factor, KroneckerDelta) and len(factor.args) != 2:
            continue  # a delta with its own range: not the plain indicator
        a, b = _indicator_pair(factor)
        label = b if a == var else a if b == var else None
        if label is None or label.has(var) or not _in_range(label, low, high, context):
            continue
        rest = Mul(*(f for j, f in enumerate(factors) if j != position))
        return factor.xreplace({var: label}) * rest.xreplace({var: label})  # type: ignore[no-any-return]
    return s


def collapse_indicators(expr: Expr, context: Context) -> Expr:
    """``Σ_{v=a}^{b} δ(v, ℓ) f(v) = δ(ℓ, ℓ) f(ℓ)`` wherever ``ℓ`` is an integer known in ``a..b``.

    The one collapse function behind ``collapse-indicator-sum`` and ``collapse-kronecker-sums``.
    """
    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Sum), lambda e: _collapse_one(e, context)
    )


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
    "log Π_i f_i = Σ_i log f_i over finite integer bounds when every factor f_i is positive",
    _log_of_product,
)
collapse_indicator_sum = Rule(
    "collapse-indicator-sum",
    "Σ_(y=a..b) δ(y, ℓ) f(y) = δ(ℓ, ℓ) f(ℓ) for an integer ℓ known to lie in a..b",
    collapse_indicators,
)

#: The rules of this module by name.
DISCRETE_RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (log_content, expand_log_arguments, log_of_product, collapse_indicator_sum)
}
