"""The numeric backstop: every step evaluated at random points, 50 digits, concrete ``n``.

It is independent of the symbolic routes: it instantiates the number of classes, unfolds every
definition with ``doit()``, samples exact rational points that satisfy the derivation's
:class:`~divsym.kernel.context.Context` and compares both sides at 50 significant digits.

Calculus nodes are handled without SymPy's symbolic ``limit``:

- a ``Derivative`` is evaluated by differentiating the *instantiated* expression (every Sum
  written out for the concrete ``n``) before any number is substituted; the (large) result
  is evaluated by a compiled mpmath function with common subexpressions computed once, at
  twice the backstop's digits, when the point has no integer labels;
- a ``Limit`` is kept through instantiation; once every other symbol has its value, its argument
  ``f`` is evaluated at two points approaching the limit point ``x0`` — ``x0 ± 10^-40`` and
  ``x0 ± 10^-80`` (``±10^40`` and ``±10^80`` for ``x0 = ±∞``) — and the two values must agree
  within the backstop's tolerance (``1e-35`` relative), otherwise the step cannot be evaluated
  and fails. This is a numeric limit: it is exact enough for limits that converge at least
  like ``O(|x - x0|)`` (error ``≤ 10^-40`` times a modest constant) or exponentially, which
  covers every limit in divsym.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
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
    Rational,
    Sum,
    Symbol,
    lambdify,
    oo,
    sympify,
)

from divsym.kernel.context import Context
from divsym.kernel.derivation import Relation
from divsym.kernel.rules import unfold_definitions

__all__ = ["BACKSTOP_DIGITS", "BackstopResult", "instantiate", "numeric_check", "sample_point"]

#: Working precision of the backstop, in significant decimal digits.
BACKSTOP_DIGITS = 50
#: Two values agree when they differ by at most this, relative to ``max(1, |a|, |b|)``.
_TOLERANCE = Float("1e-35", BACKSTOP_DIGITS)
_SCALE = 10**9
#: Up to this many combinations of integer symbols' values, the backstop visits them all.
_EXHAUSTIVE_LIMIT = 16


@dataclass(frozen=True)
class BackstopResult:
    ok: bool
    detail: str


#: Distances from the limit point at which a ``Limit`` is evaluated numerically.
_LIMIT_STEPS = (Rational(1, 10**40), Rational(1, 10**80))


def _doit_keeping_limits(expr: Basic) -> Basic:
    """``doit()`` everywhere except on ``Limit`` nodes, which stay for :func:`_evaluate`.

    Sums and Products are written out and Derivatives taken, innermost first, so a Derivative
    acts on the written-out expression; a Limit's argument is written out but not limited.
    """
    if not expr.args or isinstance(expr, (IndexedBase, Symbol)):
        return expr
    args = [_doit_keeping_limits(a) for a in expr.args]
    rebuilt = expr.func(*args)
    if isinstance(rebuilt, (Sum, Product, Derivative)):
        return rebuilt.doit(deep=False)  # type: ignore[no-any-return]
    return rebuilt


#: Instantiated expressions: a step's expression is instantiated as the right side of one
#: check and the left side of the next; the result depends only on this key.
_INSTANCES: dict[tuple[object, ...], Expr] = {}
_MAX_INSTANCES = 512


def _context_key(context: Context) -> tuple[object, ...]:
    ranges = tuple(sorted(context.ranges.items(), key=lambda item: str(item[0])))
    return (context.classes, context.distributions, context.labels, ranges)


def instantiate(expr: Expr, context: Context, classes: int) -> Expr:
    """``expr`` with the number of classes set to ``classes`` and every Sum written out.

    Derivatives are taken on the written-out expression; Limits are kept (see the module
    docstring) and evaluated numerically once the point is known.
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


def _rational(rng: random.Random, low: float, high: float) -> Rational:
    fraction = Rational(rng.randint(1, _SCALE - 1), _SCALE)
    return Rational(low) + (Rational(high) - Rational(low)) * fraction  # type: ignore[no-any-return]


def _probabilities(rng: random.Random, classes: int) -> list[Rational]:
    weights = [Rational(rng.randint(1, _SCALE), _SCALE) for _ in range(classes)]
    total = sum(weights, Integer(0))
    return [w / total for w in weights]


def _value(atom: Basic, rng: random.Random, context: Context, classes: int) -> Expr:
    if atom in context.ranges:
        return _rational(rng, *context.ranges[atom])
    if atom in context.labels:
        return Integer(rng.randint(1, classes))
    if atom.is_integer:
        return Integer(rng.randint(1, classes))
    if atom.is_positive:
        return _rational(rng, 0.25, 4.0)
    if atom.is_real:
        return _rational(rng, -3.0, 3.0)
    raise ValueError(f"the backstop cannot sample {atom} (no range, no real assumption)")


def integer_symbols(exprs: tuple[Expr, ...], context: Context) -> tuple[Symbol, ...]:
    """The free integer symbols of ``exprs`` (labels, class indices) that the backstop samples."""
    found: set[Symbol] = set()
    bases: set[Basic] = set()
    for expr in exprs:
        bases |= {atom.base.label for atom in expr.atoms(Indexed)}
        found |= {
            s
            for s in expr.free_symbols
            if isinstance(s, Symbol) and (s in context.labels or s.is_integer)
        }
    return tuple(sorted(found - bases - set(context.ranges), key=str))


def _integer_assignments(
    symbols: tuple[Symbol, ...], classes: int, points: int
) -> list[dict[Basic, Expr]]:
    """Every assignment of ``symbols`` to ``1..classes`` when there are at most
    :data:`_EXHAUSTIVE_LIMIT` of them, else ``points`` empty assignments (sampled at random)."""
    combinations = list(itertools.product(range(1, classes + 1), repeat=len(symbols)))
    if not symbols or len(combinations) > _EXHAUSTIVE_LIMIT:
        return [{} for _ in range(points)]
    return [
        {symbol: Integer(value) for symbol, value in zip(symbols, combination, strict=True)}
        for combination in combinations
    ]


def sample_point(
    exprs: tuple[Expr, ...],
    context: Context,
    classes: int,
    rng: random.Random,
    fixed: dict[Basic, Expr] | None = None,
) -> dict[Basic, Expr]:
    """Exact rational values for every free symbol and indexed entry of ``exprs``.

    ``fixed`` gives values that are used as they are (the integer symbols, when the backstop
    goes through all their combinations).
    """
    values: dict[Basic, Expr] = dict(fixed or {})
    bases: set[IndexedBase] = set()
    atoms: set[Basic] = set()
    for expr in exprs:
        atoms |= expr.atoms(Indexed)
        atoms |= {s for s in expr.free_symbols if isinstance(s, Symbol)}
    for atom in sorted(atoms, key=str):
        if isinstance(atom, Indexed):
            bases.add(atom.base)
    # SymPy counts the label of an IndexedBase (``x`` in ``x[1]``) as a free symbol; it names
    # the array, it is not a number, and giving it a value would turn ``x[1]`` into nonsense.
    atoms -= {base.label for base in bases}
    for base in sorted(bases, key=str):
        if base in context.distributions:
            for index, value in enumerate(_probabilities(rng, classes), start=1):
                values[base[index]] = value
    for atom in sorted(atoms, key=str):
        if atom in values or isinstance(atom, IndexedBase):
            continue
        if isinstance(atom, Indexed):
            if atom.base in context.distributions:
                raise ValueError(f"{atom} lies outside the classes 1..{classes}")
            values[atom] = _value(atom.base, rng, context, classes)
        else:
            values[atom] = _value(atom, rng, context, classes)
    # Entries that appear only once a label or a Sum's bound is an integer (``d[j]`` in
    # ``Σ_{j=m+1}^{n}``) get values too: every entry 1..classes of such a base.
    symbolic = {a.base for a in atoms if isinstance(a, Indexed) and not a.indices[0].is_Integer}
    for base in sorted(symbolic - set(context.distributions), key=str):
        for index in range(1, classes + 1):
            if base[index] not in values:
                values[base[index]] = _value(base, rng, context, classes)
    return values


def _limit_points(x0: Expr, direction: str) -> tuple[Expr, ...]:
    if x0 is oo:
        return tuple(1 / h for h in _LIMIT_STEPS)
    if x0 is -oo:
        return tuple(-1 / h for h in _LIMIT_STEPS)
    if direction == "+":
        return tuple(x0 + h for h in _LIMIT_STEPS)
    if direction == "-":
        return tuple(x0 - h for h in _LIMIT_STEPS)
    raise ValueError(f"a two-sided limit at {x0} is not evaluated numerically")


def _numeric_limit(limit: Limit, values: dict[Basic, Expr]) -> Expr:
    """The value of ``limit`` at the point ``values``, evaluated near the limit point."""
    function, variable, x0, direction = limit.args
    inner = {key: value for key, value in values.items() if key != variable}
    function = _evaluate_limits(function, inner)
    near, nearer = (
        function.xreplace({**inner, variable: point}).evalf(BACKSTOP_DIGITS)
        for point in _limit_points(x0, str(direction))
    )
    if not (near.is_number and nearer.is_number and _agrees(near, nearer, Relation.EQ)):
        raise ValueError(
            f"{limit} does not converge numerically: {near.evalf(12)!s} then {nearer.evalf(12)!s}"
        )
    return nearer  # type: ignore[no-any-return]


def _evaluate_limits(expr: Expr, values: dict[Basic, Expr]) -> Expr:
    """``expr`` with every (outermost) Limit replaced by its numeric value at ``values``."""
    if not expr.has(Limit):
        return expr
    if isinstance(expr, Limit):
        return _numeric_limit(expr, values)
    return expr.func(*(_evaluate_limits(a, values) for a in expr.args))  # type: ignore[no-any-return]


def _evaluate(expr: Expr, values: dict[Basic, Expr]) -> Expr:
    # Labels are substituted first so that Indexed entries such as p[y] become p[3].
    integers = {k: v for k, v in values.items() if isinstance(k, Symbol) and v.is_Integer}
    if integers:
        expr = expr.xreplace(integers)
        expr = _doit_keeping_limits(expr) if expr.has(Limit) else expr.doit()  # type: ignore[assignment]
    expr = _evaluate_limits(expr, values)
    result = expr.xreplace(values).evalf(BACKSTOP_DIGITS)
    if not result.is_number:
        missing = sorted(str(s) for s in result.free_symbols)
        raise ValueError(f"unsampled symbols left: {', '.join(missing)}")
    return result  # type: ignore[no-any-return]


def _agrees(a: Expr, b: Expr, relation: Relation) -> bool:
    if a == b and relation is Relation.EQ:
        return True
    if not (a.is_real and b.is_real):
        return False  # NaN, a complex value or an infinity never passes the backstop
    slack = _TOLERANCE * max(Float(1), abs(a), abs(b))
    if relation is Relation.GE:
        return bool(a >= b - slack)
    if relation is Relation.LE:
        return bool(a <= b + slack)
    return bool(abs(a - b) <= slack)


@lru_cache(maxsize=128)
def _compiled(expr: Expr, keys: tuple[Basic, ...]) -> Callable[..., Any]:
    return lambdify(keys, expr, modules="mpmath", cse=True)  # type: ignore[no-any-return]


def _evaluate_compiled(expr: Expr, values: dict[Basic, Expr]) -> Expr:
    """``expr`` at ``values`` by a compiled mpmath function, at twice the backstop's digits.

    Used for the large expressions a Derivative expands into, where ``evalf`` would evaluate
    the same subexpressions over and over; common subexpressions are computed once. Only for
    points without integer values (labels change the expression's structure).
    """
    function = _compiled(expr, tuple(values))
    with mpmath.workdps(2 * BACKSTOP_DIGITS):
        result = function(*(mpmath.mpf(v.p) / v.q for v in values.values()))  # type: ignore[attr-defined]
    if isinstance(result, mpmath.mpc):
        return sympify(result)  # type: ignore[no-any-return]
    return Float(result, BACKSTOP_DIGITS)


def _compilable(values: dict[Basic, Expr]) -> bool:
    return all(
        v.is_Rational and not (isinstance(k, Symbol) and v.is_Integer) for k, v in values.items()
    )


def _evaluate_either(expr: Expr, values: dict[Basic, Expr], compile_: bool) -> Expr:
    if compile_ and _compilable(values):
        try:
            return _evaluate_compiled(expr, values)
        except (NotImplementedError, NameError, AttributeError, TypeError):
            pass  # a node mpmath cannot evaluate: evalf below is the reference anyway
    return _evaluate(expr, values)


def numeric_check(
    previous: Expr,
    current: Expr,
    relation: Relation,
    context: Context,
    *,
    classes: int,
    points: int,
    rng: random.Random,
) -> BackstopResult:
    """Compare ``previous`` and ``current`` at ``points`` random points with ``classes`` classes."""
    try:
        left = instantiate(previous, context, classes)
        right = instantiate(current, context, classes)
        compile_ = previous.has(Derivative) or current.has(Derivative)
        # A wrong step may differ only for some labels (i <= m < n, say): with few integer
        # symbols every combination of their values is visited, each with fresh random reals.
        assignments = _integer_assignments(integer_symbols((left, right), context), classes, points)
        points = len(assignments)
        for fixed in assignments:
            values = sample_point((left, right), context, classes, rng, fixed)
            a, b = (
                _evaluate_either(left, values, compile_),
                _evaluate_either(right, values, compile_),
            )
            if not _agrees(a, b, relation):
                return BackstopResult(
                    False,
                    f"n = {classes}: {a.evalf(12)!s} {relation.value} {b.evalf(12)!s} is false",
                )
    except (ValueError, TypeError, ZeroDivisionError) as error:
        return BackstopResult(False, f"n = {classes}: cannot evaluate: {error}")
    return BackstopResult(True, f"n = {classes}, {points} points, {BACKSTOP_DIGITS} digits")
