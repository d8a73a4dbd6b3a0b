"""Decide what a derivation shows, and say so honestly.

Each step is checked twice, independently:

1. the numeric backstop (:mod:`~divsym.kernel.backstop`) at a concrete ``n``, 50 digits, random
   points; any disagreement makes the step — and the derivation — ``failed``;
2. a symbolic route, the strongest that succeeds:
   ``rules`` (the step's named rules reproduce it exactly, or up to the canonical form;
   symbolic ``n``), ``decided by SymPy`` (an inequality whose difference SymPy's assumptions
   decide as it is written, before the canonical form expands it),
   ``canonical`` (the difference reaches 0 in :func:`~divsym.kernel.canonical.canonical_form`),
   ``fixed-n`` (the difference is 0 after writing out the Sums for each listed ``n``),
   or none (``checked-numerically``).
"""

from __future__ import annotations

import random
import time
import zlib
from dataclasses import dataclass
from enum import Enum

from sympy import Add, Expr, cancel, expand, expand_log, together

from divsym.kernel.backstop import instantiate, numeric_check
from divsym.kernel.canonical import apply_rules, canonical_form
from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Relation, Step
from divsym.kernel.rules import canonical_indices

__all__ = [
    "BACKSTOP_CLASSES",
    "BACKSTOP_POINTS",
    "DerivationReport",
    "Status",
    "StepReport",
    "symbolic_route",
    "verify",
    "verify_all",
]

#: Number of classes and of random points at which the backstop evaluates every step.
BACKSTOP_CLASSES = 4
BACKSTOP_POINTS = 3


class Status(str, Enum):
    """Verification status, strongest first."""

    PROVED = "proved"
    PROVED_FIXED_N = "proved-fixed-n"
    CHECKED_NUMERICALLY = "checked-numerically"
    FAILED = "failed"


_ORDER = list(Status)


@dataclass(frozen=True)
class StepReport:
    index: int
    status: Status
    route: str
    backstop: str
    fixed_n: tuple[int, ...] = ()


@dataclass(frozen=True)
class DerivationReport:
    id: str
    title: str
    status: Status
    fixed_n: tuple[int, ...]
    steps: tuple[StepReport, ...]
    seconds: float
    #: The size the proof is general in: the number of classes ``n``, or the data size ``N``.
    size: str = "n"

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "fixed_n": list(self.fixed_n),
            "steps": len(self.steps),
            "seconds": round(self.seconds, 3),
        }


def _decides(difference: Expr, relation: Relation) -> bool:
    """Whether SymPy decides ``difference (=, ≥, ≤) 0``, where difference = previous − current."""
    if relation is Relation.EQ:
        return bool(difference == 0)
    if relation is Relation.GE:
        return difference.is_nonnegative is True
    return difference.is_nonpositive is True


def _impose_fixed_normalisation(expr: Expr, context: Context, classes: int) -> Expr:
    last = {
        base[classes]: 1 - Add(*(base[m] for m in range(1, classes)))
        for base in context.distributions
    }
    return expr.xreplace(last)  # type: ignore[no-any-return]


def _zero_at_fixed_n(difference: Expr, relation: Relation, context: Context, classes: int) -> bool:
    concrete = instantiate(difference, context, classes)
    concrete = _impose_fixed_normalisation(concrete, context, classes)
    concrete = expand(expand_log(concrete, force=False))
    if relation is Relation.EQ and concrete != 0:
        concrete = cancel(together(concrete))
    return _decides(concrete, relation)


def symbolic_route(
    previous: Expr, step: Step, derivation: Derivation
) -> tuple[Status, str, tuple[int, ...]]:
    context = derivation.context
    if step.rules and step.relation is Relation.EQ:
        produced = apply_rules(previous, step.rules, context)
        names = ", ".join(rule.name for rule in step.rules)
        if canonical_indices(produced, context) == canonical_indices(step.expr, context):
            return Status.PROVED, f"rules: {names}", ()
        # The rules' result may differ from the written step by algebra the canonical form does.
        if canonical_form(produced - step.expr, context) == 0:
            return Status.PROVED, f"rules: {names}; canonical form", ()
    if step.relation is not Relation.EQ and _decides(previous - step.expr, step.relation):
        # Before the canonical form expands it away, e.g. a sum of squares with positive weights.
        return Status.PROVED, "decided by SymPy", ()
    difference = canonical_form(previous - step.expr, context)
    if _decides(difference, step.relation):
        return Status.PROVED, "canonical form", ()
    proved_for = tuple(
        m
        for m in derivation.fixed_n
        if _zero_at_fixed_n(previous - step.expr, step.relation, context, m)
    )
    if proved_for and proved_for == derivation.fixed_n:
        return Status.PROVED_FIXED_N, f"fixed n = {_span(proved_for)}", proved_for
    return Status.CHECKED_NUMERICALLY, "numeric backstop only", ()


def _span(values: tuple[int, ...]) -> str:
    return ", ".join(str(v) for v in values)


def _check_step(
    index: int, previous: Expr, step: Step, derivation: Derivation, rng: random.Random
) -> StepReport:
    backstop = numeric_check(
        previous,
        step.expr,
        step.relation,
        derivation.context,
        classes=BACKSTOP_CLASSES,
        points=BACKSTOP_POINTS,
        rng=rng,
    )
    if not backstop.ok:
        return StepReport(index, Status.FAILED, "numeric backstop disagrees", backstop.detail)
    try:
        status, route, fixed = symbolic_route(previous, step, derivation)
    except Exception as error:  # SymPy may raise anything: report it, never crash
        route = f"symbolic route raised {type(error).__name__}: {error}"
        return StepReport(index, Status.FAILED, route, backstop.detail)
    return StepReport(index, status, route, backstop.detail, fixed)


def verify(derivation: Derivation, seed: int | None = None) -> DerivationReport:
    """Check every step of ``derivation``; the derivation gets its weakest step's status."""
    started = time.perf_counter()
    if seed is None:
        seed = zlib.crc32(derivation.id.encode())
    rng = random.Random(seed)
    reports = tuple(
        _check_step(index, derivation.steps[index - 1].expr, step, derivation, rng)
        for index, step in enumerate(derivation.steps)
        if index > 0
    )
    status = max((r.status for r in reports), key=_ORDER.index)
    fixed: tuple[int, ...] = ()
    if status is Status.PROVED_FIXED_N:
        fixed = tuple(sorted(set.intersection(*(set(r.fixed_n) for r in reports if r.fixed_n))))
    return DerivationReport(
        derivation.id,
        derivation.title,
        status,
        fixed,
        reports,
        time.perf_counter() - started,
        str(derivation.context.classes),
    )


def verify_all(derivations: tuple[Derivation, ...]) -> tuple[DerivationReport, ...]:
    return tuple(verify(d) for d in derivations)
