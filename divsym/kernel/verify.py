"""Decide what a derivation shows, and say so honestly.

Each step is checked twice, independently:

1. the numeric backstop (:mod:`~divsym.kernel.backstop`) at a concrete ``n``, 50 digits, random
   points; any disagreement makes the step — and the derivation — ``failed``;
2. a symbolic route, the strongest that succeeds:
   ``rules`` (the step's named rules reproduce it exactly, or up to the canonical form;
   symbolic ``n``; only divsym's vetted rules count, see :mod:`~divsym.kernel.trust` — a
   user's rule merely proposes a rewrite that the canonical form must confirm),
   ``decided by SymPy`` (an inequality whose difference SymPy's assumptions decide as it is
   written, before the canonical form expands it),
   ``canonical form`` (the difference reaches 0 in
   :func:`~divsym.kernel.canonical.canonical_form`),
   ``fixed-n`` (the difference is 0 after writing out the Sums for each listed ``n``),
   or none (``checked-numerically``).

Every route-attempt has a time budget (:mod:`~divsym.kernel.budget`); a route that runs out of
it is reported as timed out and never proves anything. A derivation is never better than the
lemmas its nodes' hand-set assumptions rest on (``lemma`` on the node class): their statuses
are passed in ``lemmas``, and :func:`verify_all` verifies the lemma derivations first. Every
step report says in one sentence (``reason``) why it has its status.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TypeVar

from sympy import Add, Basic, Expr, cancel, expand, expand_log, together

from divsym.kernel.backstop import BackstopResult, instantiate, numeric_check
from divsym.kernel.budget import ROUTE_BUDGET_SECONDS, RouteTimeout, time_budget
from divsym.kernel.canonical import canonical_form
from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Relation, Step
from divsym.kernel.rules import canonical_indices
from divsym.kernel.trust import decide_equal, lemmas_used, unfold_lemma_nodes, untrusted

__all__ = [
    "BACKSTOP_CLASSES",
    "BACKSTOP_POINTS",
    "ROUTE_BUDGET_SECONDS",
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

_T = TypeVar("_T")


class Status(str, Enum):
    """Verification status, strongest first.

    ``PROVED``: shown symbolically for a symbolic number of classes; ``PROVED_FIXED_N``: shown
    symbolically only for the concrete sizes listed in the report's ``fixed_n``;
    ``CHECKED_NUMERICALLY``: only evaluated at random points at 50 digits; ``FAILED``: a check
    disagreed. A derivation has the weakest status of its steps and of its lemmas.

    Parameters
    ----------
    value : str
        One of ``"proved"``, ``"proved-fixed-n"``, ``"checked-numerically"``, ``"failed"``.
    """

    PROVED = "proved"
    PROVED_FIXED_N = "proved-fixed-n"
    CHECKED_NUMERICALLY = "checked-numerically"
    FAILED = "failed"


_ORDER = list(Status)


def _weakest(*statuses: Status) -> Status:
    return max(statuses, key=_ORDER.index)


@dataclass(frozen=True)
class StepReport:
    """How step ``index`` was checked: its status, the route, the backstop, and why.

    Parameters
    ----------
    index : int
        The step's position in its derivation (1 is the first step after the start).
    status : Status
        What the step shows.
    route : str
        The symbolic route that decided it (named rules, canonical form, fixed n), or none.
    backstop : str
        What the 50-digit numeric backstop found.
    fixed_n : tuple of int
        The sizes a ``proved-fixed-n`` step was shown for.
    reason : str
        One sentence: the route that proved it, or why no symbolic route did, or which check
        said no, with the backstop's counterexample.
    """

    index: int
    status: Status
    route: str
    backstop: str
    fixed_n: tuple[int, ...] = ()
    #: One sentence: the route that proved it; or why no symbolic route did; or which check
    #: said no, with the backstop's counterexample.
    reason: str = ""

    def as_json(self) -> dict[str, object]:
        """The step as ``divsym verify --json`` prints it.

        Returns
        -------
        dict
            ``index``, ``status``, ``route`` and ``reason``.
        """
        return {
            "index": self.index,
            "status": self.status.value,
            "route": self.route,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class DerivationReport:
    """What :func:`~divsym.kernel.verify.verify` found for one derivation.

    Parameters
    ----------
    id : str
        The derivation's id.
    title : str
        Its title.
    status : Status
        The weakest status of its steps (and of its lemmas, see ``reason``).
    fixed_n : tuple of int
        The sizes a ``proved-fixed-n`` derivation was shown for.
    steps : tuple of StepReport
        One report per step.
    seconds : float
        Wall time of the verification.
    size : str
        The size the proof is general in: ``"n"`` (classes) or ``"N"`` (data size).
    lemmas : tuple of str
        The lemmas (derivation ids) whose hand-set assumptions the steps' nodes rest on.
    reason : str
        Why the status is weaker than the steps' (a lemma), else ``""``.
    """

    id: str
    title: str
    status: Status
    fixed_n: tuple[int, ...]
    steps: tuple[StepReport, ...]
    seconds: float
    #: The size the proof is general in: the number of classes ``n``, or the data size ``N``.
    size: str = "n"
    #: The lemmas (derivation ids) whose hand-set assumptions the steps' nodes rest on.
    lemmas: tuple[str, ...] = ()
    #: Why the derivation's status is weaker than its steps' (a lemma), else ``""``.
    reason: str = ""

    def as_json(self) -> dict[str, object]:
        """The derivation as ``divsym verify --json`` prints it.

        Returns
        -------
        dict
            ``id``, ``title``, ``status``, ``fixed_n``, ``step_count``, ``steps``, ``lemmas``,
            ``reason`` and ``seconds``.
        """
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "fixed_n": list(self.fixed_n),
            "step_count": len(self.steps),
            "steps": [step.as_json() for step in self.steps],
            "lemmas": list(self.lemmas),
            "reason": self.reason,
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


@dataclass
class _Attempts:
    """Runs route-attempts under the budget; remembers what timed out and what ran unbounded."""

    budget: float | None
    timed_out: list[str] = field(default_factory=list)
    unbounded: str = ""

    def run(self, name: str, attempt: Callable[[], _T]) -> _T | None:
        """``attempt()``, or None when it ran out of the budget."""
        try:
            with time_budget(self.budget) as budget:
                if self.budget is not None and not budget.enforced:
                    self.unbounded = budget.why_not
                return attempt()
        except RouteTimeout:
            self.timed_out.append(name)
            return None

    def note(self, route: str) -> str:
        """``route`` with a word on the budget when it could not be enforced."""
        if self.unbounded:
            return f"{route} (no time budget: {self.unbounded})"
        return route

    def timeouts(self) -> str:
        """``"canonical form, fixed n = 2 (budget 2 s each)"``: what ran out of its budget."""
        if not self.timed_out:
            return ""
        return f"{', '.join(self.timed_out)} (budget {self.budget:g} s each)"


@dataclass(frozen=True)
class _Outcome:
    status: Status
    route: str
    fixed: tuple[int, ...] = ()
    reason: str = ""


def _same(a: Expr, b: Expr, context: Context) -> str | None:
    """How the kernel sees ``a = b`` for a rules route: structurally or by the canonical form."""
    if canonical_indices(a, context) == canonical_indices(b, context):
        return ""
    if canonical_form(a - b, context) == 0:
        return "canonical form"
    return None


def _rules_route(previous: Expr, step: Step, context: Context) -> tuple[str | None, str]:
    """(the route text when the step's rules prove it, else None; why not)."""
    produced = previous
    for rule in step.rules:
        # Rule.rewrite: bound indices stay canonical (no naming back on every call); every
        # comparison below is made after canonical renaming anyway.
        produced = rule.rewrite(produced, context)
        if not isinstance(produced, Expr):
            raise TypeError(
                f"rule {rule.name!r} returned {type(produced).__name__}, not a SymPy Expr"
            )
    names = ", ".join(rule.name for rule in step.rules)
    users = untrusted(step.rules)
    if not users:
        how = _same(produced, step.expr, context)
        if how is None:
            return None, f"the rules {names} do not reach the step"
        return (f"rules: {names}; {how}" if how else f"rules: {names}"), ""
    label = ("user rules " if len(users) > 1 else "user rule ") + ", ".join(r.name for r in users)
    confirmed = decide_equal(previous, produced, context)
    if confirmed is None:
        return None, f"{label} not trusted and its rewrite not confirmed by the canonical form"
    if _same(produced, step.expr, context) is None:
        return None, f"{label} not trusted; its rewrite (confirmed) does not reach the step"
    return f"proposed by {label}, decided by {confirmed}", ""


def _route(previous: Expr, step: Step, derivation: Derivation, budget: float | None) -> _Outcome:
    """The strongest symbolic route that proves the step, each attempt under ``budget``."""
    context = derivation.context
    attempts = _Attempts(budget)
    why: list[str] = []
    if step.rules and step.relation is Relation.EQ:
        result = attempts.run("rules", lambda: _rules_route(previous, step, context))
        if result is not None:
            route, not_proved = result
            if route is not None:
                return _Outcome(Status.PROVED, attempts.note(route), (), attempts.note(route))
            why.append(not_proved)
    difference = previous - step.expr
    # Before the canonical form expands it away, e.g. a sum of squares with positive weights.
    if step.relation is not Relation.EQ and attempts.run(
        "decided by SymPy", lambda: _decides(difference, step.relation)
    ):
        return _Outcome(Status.PROVED, attempts.note("decided by SymPy"))
    canonical = attempts.run(
        "canonical form", lambda: _decides(canonical_form(difference, context), step.relation)
    )
    if canonical:
        route = attempts.note("canonical form")
        if why:  # a user rule was not trusted, but the step holds all the same
            route = f"{route}; {why[0]}"
        return _Outcome(Status.PROVED, route)
    if canonical is not None:
        why.append("the canonical form does not decide the difference")
    proved_for: list[int] = []
    for m in derivation.fixed_n:
        at_m = attempts.run(
            f"fixed n = {m}",
            lambda m=m: _zero_at_fixed_n(difference, step.relation, context, m),  # type: ignore[misc]
        )
        if not at_m:
            if at_m is not None:
                why.append(f"writing out the sums does not decide it at n = {m}")
            break
        proved_for.append(m)
    if proved_for and tuple(proved_for) == derivation.fixed_n:
        route = attempts.note(f"fixed n = {_span(tuple(proved_for))}")
        return _Outcome(Status.PROVED_FIXED_N, route, tuple(proved_for))
    timeouts = attempts.timeouts()
    route = f"timed out: {timeouts}; numeric backstop only" if timeouts else "numeric backstop only"
    reasons = ([f"timed out: {timeouts}"] if timeouts else []) + why
    return _Outcome(
        Status.CHECKED_NUMERICALLY,
        attempts.note(route),
        (),
        "no symbolic route proved it: " + "; ".join(reasons or ["no route applies"]),
    )


def symbolic_route(
    previous: Expr,
    step: Step,
    derivation: Derivation,
    *,
    budget: float | None = ROUTE_BUDGET_SECONDS,
) -> tuple[Status, str, tuple[int, ...]]:
    """The strongest symbolic route for ``previous <relation> step.expr``: status, route, n."""
    outcome = _route(previous, step, derivation, budget)
    return outcome.status, outcome.route, outcome.fixed


def _span(values: tuple[int, ...]) -> str:
    return ", ".join(str(v) for v in values)


def _number(value: object) -> str:
    if isinstance(value, Basic) and value.is_number:
        return str(value.evalf(12))
    return str(value)


def _disagreement(backstop: BackstopResult) -> str:
    """The backstop's finding in words, with its counterexample when it gives one."""
    example = getattr(backstop, "counterexample", None)
    if getattr(backstop, "evaluated", True) is False or "cannot evaluate" in backstop.detail:
        return f"the numeric backstop cannot evaluate the step ({backstop.detail})"
    if example is None:
        return f"the numeric backstop disagrees: {backstop.detail}"
    point = ", ".join(f"{name} = {_number(value)}" for name, value in getattr(example, "point", ()))
    relation = getattr(example, "relation", None)
    symbol = getattr(relation, "value", relation)
    left, right = _number(getattr(example, "left", "?")), _number(getattr(example, "right", "?"))
    classes = getattr(example, "classes", None)
    where = f"n = {classes}" + (f", {point}" if point else "")
    return (
        f"the numeric backstop disagrees at {where}: the previous expression is {left} and "
        f"this one {right}, and {left} {symbol} {right} is false"
    )


def _check_step(
    index: int,
    previous: Expr,
    step: Step,
    derivation: Derivation,
    rng: random.Random,
    budget: float | None,
) -> StepReport:
    try:
        backstop = numeric_check(
            previous,
            step.expr,
            step.relation,
            derivation.context,
            classes=BACKSTOP_CLASSES,
            points=BACKSTOP_POINTS,
            rng=rng,
        )
    except Exception as error:  # a node that cannot be instantiated: the step is not shown
        reason = (
            f"the numeric backstop could not evaluate the step: {type(error).__name__}: {error}"
        )
        return StepReport(index, Status.FAILED, "numeric backstop raised", reason, reason=reason)
    if not backstop.ok:
        return StepReport(
            index,
            Status.FAILED,
            "numeric backstop disagrees",
            backstop.detail,
            reason=_disagreement(backstop),
        )
    try:
        outcome = _route(previous, step, derivation, budget)
    except Exception as error:  # SymPy, or a rule, may raise anything: report it, never crash
        route = f"symbolic route raised {type(error).__name__}: {error}"
        return StepReport(index, Status.FAILED, route, backstop.detail, reason=route)
    reason = outcome.reason or outcome.route
    if outcome.status is Status.CHECKED_NUMERICALLY:
        reason = f"{reason}; the numeric backstop agrees ({backstop.detail})"
    return StepReport(index, outcome.status, outcome.route, backstop.detail, outcome.fixed, reason)


def _check_arguments(
    derivation: object, seed: object, lemmas: object, budget: object
) -> Mapping[str, Status]:
    if not isinstance(derivation, Derivation):
        raise TypeError(f"derivation must be a Derivation, got {type(derivation).__name__}")
    if seed is not None and type(seed) is not int:
        raise TypeError(f"seed must be an int or None, got {seed!r}")
    if budget is not None and (
        isinstance(budget, bool) or not isinstance(budget, (int, float)) or not budget > 0
    ):
        raise ValueError(f"budget must be a positive number of seconds or None, got {budget!r}")
    if lemmas is None:
        return {}
    if not isinstance(lemmas, Mapping):
        raise TypeError(f"lemmas must be a mapping of lemma id to Status, got {lemmas!r}")
    for key, value in lemmas.items():
        if not isinstance(key, str) or not isinstance(value, Status):
            raise TypeError(f"lemmas must map str to Status, got {key!r}: {value!r}")
    return lemmas


def _lemma_cap(used: tuple[str, ...], lemmas: Mapping[str, Status]) -> tuple[Status, str]:
    """The best status the lemmas allow, and why (``""`` when they do not limit it)."""
    cap, why = Status.PROVED, []
    for lemma in used:
        given = lemmas.get(lemma)
        if given is None:
            cap = _weakest(cap, Status.CHECKED_NUMERICALLY)
            why.append(f"the status of lemma {lemma} was not given")
        elif given is Status.PROVED_FIXED_N:
            # Which n the lemma holds for is not known here: nothing general follows from it.
            cap = _weakest(cap, Status.CHECKED_NUMERICALLY)
            why.append(f"lemma {lemma} is proved only for fixed n")
        elif given is not Status.PROVED:
            cap = _weakest(cap, given)
            why.append(f"lemma {lemma} is {given.value}")
    return cap, "; ".join(why)


def _routes_see(derivation: Derivation, used: tuple[str, ...]) -> tuple[Derivation, str]:
    """The derivation the symbolic routes check: a lemma's own nodes unfolded in its proof.

    A lemma derivation must not rest on the assumption it proves, so every node naming it is
    replaced by its definition there; if one cannot be, the derivation is capped (the reason).
    """
    if derivation.id not in used:
        return derivation, ""
    steps = []
    for step in derivation.steps:
        unfolded = unfold_lemma_nodes(step.expr, derivation.id)
        if unfolded is None:
            return (
                derivation,
                f"it uses its own lemma {derivation.id} through a node without a definition",
            )
        steps.append(Step(unfolded, step.because, step.rules, step.relation))
    return replace(derivation, steps=tuple(steps)), ""


def verify(
    derivation: Derivation,
    seed: int | None = None,
    *,
    lemmas: Mapping[str, Status] | None = None,
    budget: float | None = ROUTE_BUDGET_SECONDS,
) -> DerivationReport:
    """Check every step of ``derivation``; it gets its weakest step's status, capped by lemmas.

    ``lemmas`` gives the status of each lemma derivation (by id); a lemma the derivation uses
    whose status is not given caps it at ``checked-numerically``. ``budget`` is the time in
    seconds of each symbolic route-attempt (None: unbounded).
    """
    given = _check_arguments(derivation, seed, lemmas, budget)
    started = time.perf_counter()
    if seed is None:
        seed = zlib.crc32(derivation.id.encode())
    rng = random.Random(seed)
    used = lemmas_used(step.expr for step in derivation.steps)
    seen, own_problem = _routes_see(derivation, used)
    reports = tuple(
        _check_step(index, seen.steps[index - 1].expr, step, seen, rng, budget)
        for index, step in enumerate(seen.steps)
        if index > 0
    )
    external = tuple(lemma for lemma in used if lemma != derivation.id)
    status = _weakest(*(r.status for r in reports))
    cap, reason = _lemma_cap(external, given)
    if own_problem:
        cap, reason = (
            _weakest(cap, Status.CHECKED_NUMERICALLY),
            "; ".join(filter(None, (reason, own_problem))),
        )
    if _ORDER.index(cap) > _ORDER.index(status):
        status = cap
    else:
        reason = ""
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
        external,
        f"capped at {status.value}: {reason}" if reason else "",
    )


def verify_all(
    derivations: tuple[Derivation, ...], *, budget: float | None = ROUTE_BUDGET_SECONDS
) -> tuple[DerivationReport, ...]:
    """Verify every derivation, lemma derivations first; reports in the order given.

    A derivation whose id some node of the others names as its ``lemma`` is verified before
    them (lemmas that use other lemmas after those), and its status is passed on.
    """
    uses = {d.id: set(lemmas_used(step.expr for step in d.steps)) - {d.id} for d in derivations}
    wanted = set().union(*uses.values()) if uses else set()
    pending = [d for d in derivations if d.id in wanted]
    statuses: dict[str, Status] = {}
    reports: dict[int, DerivationReport] = {}
    while pending:
        ready = [d for d in pending if not (uses[d.id] & {p.id for p in pending})] or pending[:1]
        for d in ready:
            report = verify(d, lemmas=statuses, budget=budget)
            statuses[d.id] = report.status
            reports[id(d)] = report
            pending.remove(d)
    return tuple(
        reports[id(d)] if id(d) in reports else verify(d, lemmas=statuses, budget=budget)
        for d in derivations
    )
