"""Small, named, sound rewrite rules on Sum expressions.

Each rule is a pure function ``Expr -> Expr`` that returns an expression *equal* to its input
(under the facts in the :class:`~divsym.kernel.context.Context` where it takes one) and returns its
input unchanged when it does not apply. Rules never call ``simplify``: they are cheap,
predictable, and tested one by one, including on inputs where they must refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sympy import (
    Add,
    Basic,
    Dummy,
    Expr,
    Indexed,
    IndexedBase,
    S,
    Sum,
    expand_log,
)

from divsym.kernel.context import Context
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
    """A named rewrite: ``apply(expr, context)`` returns an equal expression."""

    name: str
    description: str
    apply: Callable[[Expr, Context], Expr]

    def __call__(self, expr: Expr, context: Context) -> Expr:
        return self.apply(expr, context)


def _unfold(expr: Expr, context: Context) -> Expr:
    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, NamedQuantity), lambda e: e.definition()
    )


def _split(expr: Expr, context: Context) -> Expr:
    def split(s: Sum) -> Expr:
        if isinstance(s.function, Add):
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
        if constant == 1:
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


_CANONICAL = tuple(Dummy(f"k{depth}", integer=True) for depth in range(16))


def _canonical(expr: Expr, context: Context) -> Expr:
    def rename(e: Basic, depth: int) -> Basic:
        if isinstance(e, Sum):
            function = e.function
            limits = []
            for offset, (var, low, high) in enumerate(e.limits):
                new = _CANONICAL[depth + offset]
                function = function.xreplace({var: new})
                limits.append((new, rename(low, depth), rename(high, depth)))
            inner = rename(function, depth + len(e.limits))
            return Sum(inner, *limits)
        if not e.args or isinstance(e, IndexedBase):
            return e
        return e.func(*(rename(a, depth) for a in e.args))

    return rename(expr, 0)  # type: ignore[return-value]


def _normalise(expr: Expr, context: Context) -> Expr:
    def is_total(e: Basic) -> bool:
        if not isinstance(e, Sum) or len(e.limits) != 1:
            return False
        var, low, high = e.limits[0]
        f = e.function
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
split_sums = Rule("split-sums", "Σ (a_i + b_i) = Σ a_i + Σ b_i", _split)
pull_constants = Rule(
    "pull-constants", "Σ c·a_i = c·Σ a_i when c does not depend on the index", _pull
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
    "rename every bound index by its nesting depth, so Σ_i and Σ_j are recognised as equal",
    _canonical,
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
