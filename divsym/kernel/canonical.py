"""A canonical form for Sum expressions, built only from the named rules.

Two expressions whose difference reaches ``0`` here are equal for every number of classes
``n``: each rule is an identity, and the final comparison is structural. Every rule first
renames each bound index by its Sum's own bounds (see :class:`~divsym.kernel.rules.Rule`), so
no step of the pipeline uses an assumption a user declared on an index; ``canonical-indices``
last makes the result independent of the names.
"""

from __future__ import annotations

from collections.abc import Sequence

from sympy import Expr

from divsym.kernel.context import Context
from divsym.kernel.discrete_rules import log_content
from divsym.kernel.rules import (
    Rule,
    canonical_indices,
    expand_logs,
    expand_summands,
    impose_normalisation,
    pull_constants,
    split_sums,
    unfold_definitions,
)

__all__ = ["CANONICAL_PIPELINE", "apply_rules", "canonical_form"]

#: The rules, in the order the normaliser applies them; it repeats them to a fixed point.
CANONICAL_PIPELINE: tuple[Rule, ...] = (
    unfold_definitions,
    log_content,
    expand_logs,
    expand_summands,
    split_sums,
    pull_constants,
    impose_normalisation,
    canonical_indices,
)

_MAX_ROUNDS = 6


def apply_rules(expr: Expr, rules: Sequence[Rule], context: Context) -> Expr:
    """Apply ``rules`` in order, once each; bound indices come out canonical (Rule.rewrite)."""
    for rule in rules:
        expr = rule.rewrite(expr, context)
    return expr


def canonical_form(expr: Expr, context: Context) -> Expr:
    """Rewrite ``expr`` with :data:`CANONICAL_PIPELINE` until nothing changes."""
    for _ in range(_MAX_ROUNDS):
        new = apply_rules(expr, CANONICAL_PIPELINE, context)
        if new == expr:
            return new
        expr = new
    return expr
