"""The numeric backstop: every step evaluated at sampled points, 50 digits, several ``n``.

It is independent of the symbolic routes. For each number of classes in
:data:`~divsym.kernel.sampling.CLASS_COUNTS` it fixes the free integer symbols (labels and
class indices over every class, other integers at the edges of their range), draws reals over
many orders of magnitude that respect every declared assumption and the
:class:`~divsym.kernel.context.Context`, and evaluates both sides by
:class:`~divsym.kernel.evaluation.Evaluator` (mpmath, 100 working digits; quadrature for
integrals, ``nsum`` for infinite sums, finite differences for derivatives, two near points
for limits). Two values agree when they differ by at most ``1e-35`` relative to
``max(1, |a|, |b|)``; an inequality gets the same slack.

What counts as evidence, and why:

* a value that is not a finite real (``zoo``, ``nan``, ``±oo``, complex) never agrees with
  anything, not even with the same infinity (SymPy's ``zoo == zoo`` is ``True``);
* one side a finite real and the other not: the step is false at that point (it claims a
  number equals something undefined), and the point is the counterexample;
* both sides undefined, or a value no method can trust (a wobbling limit, a divergent
  integral): the point lies outside the step's domain or beyond the methods, so it is
  *skipped* and another point is drawn — a point no side can evaluate is no evidence either
  way. Integer values that leave the context's domain (``p[n+1]``) are skipped the same way.
  Every ``n`` must still compare at least one point, otherwise the step cannot be checked
  and the result is not ok (``evaluated=False``), with the last reason.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mpmath
from sympy import (
    Basic,
    Derivative,
    Expr,
    Float,
    Indexed,
    IndexedBase,
    Integer,
    Limit,
    Product,
    Sum,
    Symbol,
)

from divsym.kernel.context import Context
from divsym.kernel.derivation import Relation
from divsym.kernel.evaluation import (
    WORKING_DIGITS,
    Deadline,
    Evaluator,
    TimedOut,
    Undefined,
    Unevaluable,
    agrees,
    unfold,
)
from divsym.kernel.rules import unfold_definitions
from divsym.kernel.sampling import (
    CLASS_COUNTS,
    OutsideDomain,
    Point,
    SamplingError,
    dependencies,
    integer_assignments,
    integer_symbols,
)

__all__ = [
    "BACKSTOP_DIGITS",
    "CLASS_COUNTS",
    "DEFAULT_DEADLINE",
    "EXPENSIVE_CLASS_COUNTS",
    "BackstopResult",
    "Counterexample",
    "instantiate",
    "numeric_check",
    "sample_point",
]

#: Precision of the comparison, in significant decimal digits (evaluation uses twice that).
BACKSTOP_DIGITS = 50
#: Numbers of classes for steps with a derivative (each point costs several evaluations):
#: still one ``n ≥ 5`` and an odd ``n``.
EXPENSIVE_CLASS_COUNTS: tuple[int, ...] = (2, 3, 5)
#: Seconds the backstop may spend on one step unless the caller says otherwise.
DEFAULT_DEADLINE = 60.0
#: Points drawn per ``n`` beyond the base count, for each free real symbol or array.
POINTS_PER_SYMBOL = 1
#: Draws per wanted point before giving up on points that are outside the domain.
_ATTEMPTS = 4
#: Skipped points at one ``n``, with none compared, after which the backstop stops trying.
_GIVE_UP = 6


@dataclass(frozen=True)
class Counterexample:
    """Where a step is false: the number of classes, every value used, both sides."""

    classes: int
    #: ``(symbol name, value to ~12 significant digits)``, sorted by name.
    point: tuple[tuple[str, str], ...]
    left: str
    right: str
    relation: str


@dataclass(frozen=True)
class BackstopResult:
    """The backstop's verdict. ``evaluated`` is False when it compared no numbers (it could
    not evaluate, or ran out of time); ``counterexample`` is set when the numbers disagreed."""

    ok: bool
    detail: str
    counterexample: Counterexample | None = None
    evaluated: bool = True


@lru_cache(maxsize=1024)
def _concrete(expr: Expr, symbol: Symbol, classes: int) -> Basic:
    """``expr`` unfolded, with the number of classes ``symbol`` set to ``classes`` (Sums stay
    Sums: the evaluator adds them up)."""
    return unfold(expr).xreplace({symbol: Integer(classes)})


def _dimensions(exprs: tuple[Basic, ...], integers: tuple[Symbol, ...]) -> int:
    """How many independent real inputs the step has: free real symbols and arrays."""
    inputs: set[Basic] = set()
    for expr in exprs:
        symbols, bases = dependencies(expr)
        inputs |= symbols | bases
    return len(inputs - set(integers))


def _shown(value: Any) -> str:
    if isinstance(value, Undefined):
        return f"undefined ({value})"
    return str(value) if isinstance(value, int) else mpmath.nstr(value, 12)


def _side(evaluate: Evaluator, expr: Basic) -> Any:
    """The value of one side, or the :class:`Undefined` it raised (kept for the verdict)."""
    try:
        return evaluate(expr)
    except Undefined as undefined:
        return undefined


class _Run:
    """One step checked at one number of classes: the points compared or skipped."""

    def __init__(self, left: Basic, right: Basic, relation: Relation, deadline: Deadline) -> None:
        self.left, self.right, self.relation, self.deadline = left, right, relation, deadline
        self.compared = 0
        self.skipped = 0
        self.reason = ""

    def at(self, point: Point) -> Counterexample | None:
        """Compare both sides at ``point``; a counterexample, or None (agreed or skipped)."""
        self.deadline.check()
        evaluate = Evaluator(point, self.deadline)
        a, b = _side(evaluate, self.left), _side(evaluate, self.right)
        undefined = [v for v in (a, b) if isinstance(v, Undefined)]
        if len(undefined) == 2:
            self.skipped += 1
            self.reason = f"both sides are undefined: {undefined[0]}"
            return None
        self.compared += 1
        if not undefined and agrees(a, b, self.relation.value):
            return None
        return Counterexample(
            point.classes, point.shown(), _shown(a), _shown(b), self.relation.value
        )


def _check_n(
    previous: Expr,
    current: Expr,
    relation: Relation,
    context: Context,
    classes: int,
    points: int,
    rng: random.Random,
    deadline: Deadline,
) -> tuple[_Run, Counterexample | None]:
    left = _concrete(previous, context.classes, classes)
    right = _concrete(current, context.classes, classes)
    integers = integer_symbols((left, right), context)
    wanted = points + POINTS_PER_SYMBOL * _dimensions((left, right), integers)
    run = _Run(left, right, relation, deadline)
    for serial, fixed in enumerate(integer_assignments(integers, context, classes, wanted, rng)):
        for _ in range(_ATTEMPTS):
            before = run.compared
            try:
                example = run.at(Point(context, classes, rng, fixed, serial))
            except OutsideDomain as outside:
                run.skipped += 1
                run.reason = str(outside)
                break  # the integers are outside the domain: new reals will not help
            except Unevaluable as unevaluable:
                run.skipped += 1
                run.reason = str(unevaluable)
                example = None
            if example is not None:
                return run, example
            if run.compared == 0 and run.skipped >= _GIVE_UP:
                return run, None  # nothing evaluates here: more draws would cost, not help
            if run.compared > before:
                break  # compared and agreed; otherwise both sides were undefined: draw again
    return run, None


def _class_counts(previous: Expr, current: Expr, context: Context) -> tuple[int, ...]:
    """:data:`CLASS_COUNTS`; :data:`EXPENSIVE_CLASS_COUNTS` for a derivative step; only the
    largest for a step that does not involve the classes at all (no ``n``, no distribution,
    no label or index: every ``n`` would repeat the same check; it gets all their points)."""
    exprs = (unfold(previous), unfold(current))
    symbols = set().union(*(dependencies(e)[0] for e in exprs))
    bases = set().union(*(dependencies(e)[1] for e in exprs))
    involved = {context.classes, *context.labels, *context.indices}
    if not symbols & involved and not bases & set(context.distributions):
        return CLASS_COUNTS[-1:]
    if any(e.has(Derivative) for e in exprs):
        return EXPENSIVE_CLASS_COUNTS
    return CLASS_COUNTS


def _point_text(example: Counterexample) -> str:
    return ", ".join(f"{name} = {value}" for name, value in example.point)


def numeric_check(
    previous: Expr,
    current: Expr,
    relation: Relation,
    context: Context,
    *,
    classes: int | None = None,
    points: int = 3,
    rng: random.Random,
    deadline: float | None = DEFAULT_DEADLINE,
    class_counts: tuple[int, ...] | None = None,
) -> BackstopResult:
    """Whether ``previous relation current`` holds at sampled points for several ``n``.

    ``points`` is the base number of points per ``n`` (more for each free real symbol, and
    every combination of few integer values). ``class_counts`` overrides the numbers of
    classes (default :data:`CLASS_COUNTS`, :data:`EXPENSIVE_CLASS_COUNTS` for derivative
    steps); ``classes`` is accepted for compatibility and ignored: one ``n`` is too few.
    ``deadline`` is the time budget in seconds (``None``: none), checked between evaluations.
    """
    del classes  # deprecated: the backstop chooses several numbers of classes itself
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ValueError(f"points must be a positive integer, got {points!r}")
    counts = class_counts or _class_counts(previous, current, context)
    if not class_counts and len(counts) == 1:
        points *= len(CLASS_COUNTS)  # one n for a step without n: as many points in all
    if any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in counts):
        raise ValueError(f"class_counts must be positive integers, got {counts!r}")
    budget = Deadline(deadline)
    compared = skipped = 0
    classes_now = counts[0]
    try:
        with mpmath.workdps(WORKING_DIGITS):
            for classes_now in counts:
                run, example = _check_n(
                    previous, current, relation, context, classes_now, points, rng, budget
                )
                compared, skipped = compared + run.compared, skipped + run.skipped
                if example is not None:
                    detail = (
                        f"n = {example.classes}, {_point_text(example)}: {example.left} "
                        f"{example.relation} {example.right} is false"
                    )
                    return BackstopResult(False, detail, example)
                if run.compared == 0:
                    detail = (
                        f"n = {classes_now}: cannot evaluate at any of {run.skipped} points:"
                        f" {run.reason}"
                    )
                    return BackstopResult(False, detail, evaluated=False)
    except TimedOut as timed_out:
        return BackstopResult(False, f"n = {classes_now}: {timed_out}", evaluated=False)
    except (SamplingError, TypeError, ValueError, ZeroDivisionError) as error:
        detail = f"n = {classes_now}: cannot evaluate: {error}"
        return BackstopResult(False, detail, evaluated=False)
    shown = ", ".join(str(c) for c in counts)
    extra = f", {skipped} outside the domain skipped" if skipped else ""
    return BackstopResult(
        True, f"n = {shown}: {compared} points agree at {BACKSTOP_DIGITS} digits{extra}"
    )


# -- the written-out instance (the fixed-n symbolic route uses it) ---------------------------


def _doit_keeping_limits(expr: Basic) -> Basic:
    """``doit()`` everywhere except on ``Limit`` nodes (innermost first)."""
    if not expr.args or isinstance(expr, (IndexedBase, Symbol)):
        return expr
    args = [_doit_keeping_limits(a) for a in expr.args]
    rebuilt = expr.func(*args)
    if isinstance(rebuilt, (Sum, Product, Derivative)):
        return rebuilt.doit(deep=False)  # type: ignore[no-any-return]
    return rebuilt


_INSTANCES: dict[tuple[object, ...], Expr] = {}
_MAX_INSTANCES = 512


def _context_key(context: Context) -> tuple[object, ...]:
    ranges = tuple(sorted(context.ranges.items(), key=lambda item: str(item[0])))
    return (context.classes, context.distributions, context.labels, context.indices, ranges)


def instantiate(expr: Expr, context: Context, classes: int) -> Expr:
    """``expr`` with the number of classes set to ``classes`` and every Sum written out.

    Derivatives are taken on the written-out expression, Limits are kept. This is for the
    symbolic fixed-``n`` route; the backstop itself evaluates without writing anything out.
    """
    key = (expr, classes, *_context_key(context))
    if key in _INSTANCES:
        return _INSTANCES[key]
    concrete = unfold_definitions(expr.subs(context.classes, classes), context)
    if concrete.has(Limit):
        result: Expr = _doit_keeping_limits(concrete)  # type: ignore[assignment]
    else:
        result = concrete.doit()
    if len(_INSTANCES) >= _MAX_INSTANCES:
        _INSTANCES.clear()
    _INSTANCES[key] = result
    return result


def sample_point(
    exprs: tuple[Expr, ...],
    context: Context,
    classes: int,
    rng: random.Random,
    fixed: dict[Symbol, int] | None = None,
) -> dict[Basic, Expr]:
    """Values the backstop would use for every free symbol and entry of ``exprs`` (SymPy
    numbers), with the free integer symbols at ``fixed`` or a random allowed value.

    Entries with a symbolic index (``d[j]`` in a Sum) get values for every class ``1..n``.
    """
    point = Point(context, classes, rng, dict(fixed or {}))
    values: dict[Basic, Expr] = {}
    with mpmath.workdps(WORKING_DIGITS):
        for expr in exprs:
            bases = {a.base for a in expr.atoms(Indexed)}
            for symbol in sorted(expr.free_symbols - {b.label for b in bases}, key=str):
                if isinstance(symbol, Symbol):
                    values[symbol] = _sympy(point.symbol(symbol))
            for atom in sorted(expr.atoms(Indexed), key=str):
                if all(i.is_Integer for i in atom.indices):
                    indices = tuple(int(i) for i in atom.indices)
                    values[atom] = _sympy(point.entry(atom.base, indices))
                else:
                    for index in range(1, classes + 1):
                        values[atom.base[index]] = _sympy(point.entry(atom.base, (index,)))
    return values


def _sympy(value: Any) -> Expr:
    return Integer(value) if isinstance(value, int) else Float(value, WORKING_DIGITS)
