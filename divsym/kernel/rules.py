"""Small, named, sound rewrite rules on Sum expressions.

Each rule is a pure function ``Expr -> Expr`` that returns an expression *equal* to its input
(under the facts in the :class:`~divsym.kernel.context.Context` where it takes one) and returns its
input unchanged when it does not apply. Rules never call ``simplify``: they are cheap,
predictable, and tested one by one, including on inputs where they must refuse.

A rule never sees a user's index: :class:`Rule` first renames every bound index to a Dummy
whose assumptions come from its Sum's own bounds
(:func:`~divsym.kernel.index_ranges.rename_bound_indices`), so ``j`` declared positive but
summed from 0 is not treated as positive. The user's names are given back afterwards where
that is alpha-equivalent (:func:`~divsym.kernel.index_ranges.restore_names`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sympy import (
    Add,
    Basic,
    Expr,
    Indexed,
    S,
    Sum,
    expand_log,
)

from divsym.kernel.context import Context
from divsym.kernel.index_ranges import integer_limits, rename_bound_indices, restore_names
from divsym.symbols.quantities import NamedQuantity

__all__ = [
    "RULES",
    "Rule",
    "canonical_indices",
    "expand_logs",
    "expand_summands",
    "impose_normalisation",
    "pull_constants",
    "split_sums",
    "unfold_definitions",
]


@dataclass(frozen=True)
class Rule:
    """A named rewrite: ``apply(expr, context)`` returns an equal expression.

    :meth:`rewrite` applies it to ``expr`` with its bound indices renamed by their bounds
    (unless ``rename_first`` is false, for the renaming rule itself); calling the rule does the
    same and gives the user's index names back where that is sound. Both return ``expr``
    itself when the rule changed nothing.
    """

    name: str
    description: str
    apply: Callable[[Expr, Context], Expr]
    rename_first: bool = True

    def rewrite(self, expr: Expr, context: Context) -> Expr:
        """The rule's result with canonical bound indices (cheaper: nothing is named back)."""
        if not isinstance(expr, Basic):
            raise TypeError(f"rule {self.name}: expr must be a SymPy expression, got {expr!r}")
        if not self.rename_first:
            return self.apply(expr, context)
        renamed = rename_bound_indices(expr)
        result = self.apply(renamed, context)
        return expr if result == renamed else result

    def __call__(self, expr: Expr, context: Context) -> Expr:
        result = self.rewrite(expr, context)
        if result is expr or not self.rename_first:
            return result
        return restore_names(result, expr)


def _unfold(expr: Expr, context: Context) -> Expr:
    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, NamedQuantity), lambda e: e.definition()
    )


def _split(expr: Expr, context: Context) -> Expr:
    def split(s: Sum) -> Expr:
        # Finite bounds only: Σ (1 - 1) over j ≥ 1 is 0, but Σ 1 - Σ 1 is ∞ - ∞.
        if isinstance(s.function, Add) and integer_limits(s.limits):
            return Add(*(Sum(term, *s.limits) for term in s.function.args))
        return s

    previous = None
    while previous != expr:
        previous, expr = expr, expr.replace(lambda e: isinstance(e, Sum), split)
    return expr


def _pull(expr: Expr, context: Context) -> Expr:
    def pull(s: Sum) -> Expr:
        bound = {limit[0] for limit in s.limits}
        constant, dependent = s.function.as_independent(*bound, as_Add=False)
        # Finite bounds only: 0·Σ_{j≥1} 1 is not 0.
        if constant == 1 or not integer_limits(s.limits):
            return s
        return constant * Sum(dependent, *s.limits)  # type: ignore[no-any-return]

    return expr.replace(lambda e: isinstance(e, Sum), pull)  # type: ignore[no-any-return]


def _expand_logs(expr: Expr, context: Context) -> Expr:
    # Without force=True SymPy only splits logs whose factors it knows to be positive:
    # the positivity of p_i, q_i comes from the IndexedBase assumptions.
    return expand_log(expr, deep=True, force=False)  # type: ignore[no-any-return]


def _expand_summands(expr: Expr, context: Context) -> Expr:
    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Sum),
        lambda s: Sum(s.function.expand(log=False, power_exp=False), *s.limits),
    ).expand(log=False, power_exp=False)


def _canonical(expr: Expr, context: Context) -> Expr:
    return rename_bound_indices(expr)


def _normalise(expr: Expr, context: Context) -> Expr:
    def is_total(e: Basic) -> bool:
        if not isinstance(e, Sum) or len(e.limits) != 1:
            return False
        var, low, high = e.limits[0]
        f = e.function
        # Exactly the classes 1..n: Σ_{i=0}^{n-1} p_i or Σ_{i=1}^{n+1} p_i is not 1.
        return (
            isinstance(f, Indexed)
            and f.base in context.distributions
            and f.indices == (var,)
            and low == 1
            and high == context.classes
        )

    return expr.replace(is_total, lambda e: S.One)  # type: ignore[no-any-return]


unfold_definitions = Rule(
    "unfold-definitions",
    "replace each named quantity (H, D_KL, JSD) by its Sum definition",
    _unfold,
)
split_sums = Rule("split-sums", "Σ (a_i + b_i) = Σ a_i + Σ b_i over finite integer bounds", _split)
pull_constants = Rule(
    "pull-constants",
    "Σ c·a_i = c·Σ a_i when c does not depend on the index and the bounds are finite integers",
    _pull,
)
expand_logs = Rule(
    "expand-logs",
    "log(ab) = log a + log b and log(a/b) = log a − log b for positive a, b",
    _expand_logs,
)
expand_summands = Rule(
    "expand-summands", "distribute products over sums inside and outside each Sum", _expand_summands
)
canonical_indices = Rule(
    "canonical-indices",
    "rename every bound index by its nesting depth and bounds, so Σ_i and Σ_j are recognised"
    " as equal",
    _canonical,
    rename_first=False,
)
impose_normalisation = Rule(
    "impose-normalisation", "Σ_i p_i = 1 for every normalised distribution p", _normalise
)

#: Every rule by name.
RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        unfold_definitions,
        split_sums,
        pull_constants,
        expand_logs,
        expand_summands,
        canonical_indices,
        impose_normalisation,
    )
}
