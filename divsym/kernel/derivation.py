"""Derivations: chains of expressions, each step with the lecture's justification.

A :class:`Derivation` is ``e0 R1 e1 R2 e2 … ek`` where each relation ``R`` is ``=`` or ``≥``
(or ``≤``). Every step says *why* in the lecture's words (``because``) and may name the
:class:`~divsym.kernel.rules.Rule` objects that take the previous expression to it. Whether that is
true is decided by :func:`divsym.kernel.verify.verify`, never by the derivation itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from sympy import Expr

from divsym.kernel.context import Context
from divsym.kernel.rules import Rule

__all__ = ["Derivation", "Relation", "Step"]


class Relation(str, Enum):
    """How a step relates to the expression before it: ``previous R this``."""

    EQ = "="
    GE = ">="
    LE = "<="


@dataclass(frozen=True)
class Step:
    """One link of a derivation: ``previous <relation> expr``, because ``because``."""

    expr: Expr
    because: str
    rules: tuple[Rule, ...] = ()
    relation: Relation = Relation.EQ


@dataclass(frozen=True)
class Derivation:
    """A checked chain of steps; ``steps[0]`` is the starting expression (it is not checked)."""

    id: str
    title: str
    steps: tuple[Step, ...]
    context: Context = field(default_factory=Context)
    #: The id of the lecture section (:data:`divsym.identities.lecture.SECTIONS`) it belongs to.
    section: str = ""
    #: Remarks for the reader, e.g. where the lecture is sloppy and what is proved instead.
    remarks: tuple[str, ...] = ()
    #: Concrete numbers of classes for the fixed-n route, when the symbolic route fails.
    fixed_n: tuple[int, ...] = (2, 3, 4, 5, 6)

    def __post_init__(self) -> None:
        if len(self.steps) < 2:
            raise ValueError(
                f"derivation {self.id!r} needs at least two steps, got {len(self.steps)}"
            )

    def with_step(
        self,
        index: int,
        expr: Expr | None = None,
        *,
        relation: Relation | None = None,
        rules: tuple[Rule, ...] | None = None,
    ) -> Derivation:
        """A copy with step ``index`` changed (its expression, relation or rules).

        This is how wrong variants are made for mutation tests: a checker that cannot reject
        a flipped sign or a swapped argument proves nothing.
        """
        if not 0 <= index < len(self.steps):
            raise ValueError(f"derivation {self.id!r} has no step {index}")
        step = self.steps[index]
        changed = replace(
            step,
            expr=step.expr if expr is None else expr,
            relation=step.relation if relation is None else relation,
            rules=step.rules if rules is None else rules,
        )
        steps = (*self.steps[:index], changed, *self.steps[index + 1 :])
        return replace(self, steps=steps)

    @property
    def start(self) -> Expr:
        return self.steps[0].expr

    @property
    def end(self) -> Expr:
        return self.steps[-1].expr
