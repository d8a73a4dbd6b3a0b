"""Where the numeric backstop looks: numbers of classes, integer values, and random reals.

The backstop is only as good as its samples, so they are chosen to find false steps:

* several numbers of classes (:data:`CLASS_COUNTS`: small, even, odd, ``n ≥ 5``);
* labels and declared class indices over every class ``1..n``; any other free integer symbol
  over the edges of its declared range, ``{-(n+1), -n, -2, -1, 0, 1, 2, n, n+1}`` filtered by
  its assumptions (a bound such as ``m`` in ``Σ_{j=m+1}^{n}`` meets ``0, 1, n, n+1``), every
  combination when there are few (:data:`EXHAUSTIVE_LIMIT`), random ones otherwise;
* reals over many orders of magnitude: log-uniform on ``[1e-6, 1e6]``, plus values near 0,
  near 1 and large (up to ``1e9``), with both signs for a real symbol and exactly 0 where the
  assumptions allow it, always respecting every declared assumption and the context's ranges;
* normalised distributions with weights from nearly uniform to spread over six orders.

Values are drawn lazily by :class:`Point` as the evaluator meets each symbol or entry, so a
point holds exactly the numbers the two sides used (that is the counterexample reported).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, TypeAlias

import mpmath
from sympy import Basic, Indexed, IndexedBase, Symbol

from divsym.kernel.context import Context

__all__ = [
    "CLASS_COUNTS",
    "EXHAUSTIVE_LIMIT",
    "OutsideDomain",
    "Point",
    "SamplingError",
    "dependencies",
    "integer_assignments",
    "integer_candidates",
    "integer_symbols",
]

#: Numbers of classes at which every step is evaluated: the smallest, even and odd, n ≥ 5.
CLASS_COUNTS: tuple[int, ...] = (2, 3, 4, 5, 7)
#: Up to this many combinations of integer symbols' values, the backstop visits them all.
EXHAUSTIVE_LIMIT = 16


#: The index of the representative entry ``x[ι]`` whose assumptions stand for every entry.
_ENTRY = Symbol("iota", integer=True)


class SamplingError(ValueError):
    """A symbol the backstop cannot sample honestly (no assumption says what it may be)."""


class OutsideDomain(Exception):  # noqa: N818 - a condition, not a failure of the code
    """The integer values put the point outside what the context allows (``p[n+1]``)."""


@lru_cache(maxsize=4096)
def dependencies(expr: Basic) -> tuple[frozenset[Basic], frozenset[IndexedBase]]:
    """The free symbols of ``expr`` (without the labels of arrays) and the arrays it reads.

    Cached: SymPy recomputes a Sum's free symbols by substitution every time it is asked.
    """
    bases = frozenset(a.base for a in expr.atoms(Indexed))
    labels = {b.label for b in bases}
    symbols = frozenset(s for s in expr.free_symbols if isinstance(s, Symbol) and s not in labels)
    return symbols, bases


def integer_symbols(exprs: Iterable[Basic], context: Context) -> tuple[Symbol, ...]:
    """The free integer symbols of ``exprs`` (labels, indices, bounds) the backstop fixes.

    The number of classes itself is excluded (it is set per run), as is the label ``x`` of an
    ``IndexedBase`` (SymPy counts it as a free symbol; it names the array, it is no number).
    """
    declared = set(context.labels) | set(context.indices)
    found: set[Symbol] = set()
    for expr in exprs:
        found |= {
            s
            for s in dependencies(expr)[0]
            if isinstance(s, Symbol) and (s in declared or _facts(s)["integer"] is True)
        }
    return tuple(sorted(found - {context.classes}, key=str))


def _allowed(value: int, atom: Basic) -> bool:
    facts = _facts(atom)
    checks = (
        (facts["positive"], value > 0),
        (facts["nonnegative"], value >= 0),
        (facts["negative"], value < 0),
        (facts["nonpositive"], value <= 0),
        (facts["zero"] is False, value != 0),
        (facts["even"], value % 2 == 0),
        (facts["odd"], value % 2 == 1),
    )
    return all(holds for declared, holds in checks if declared is True)


def integer_candidates(symbol: Basic, context: Context, classes: int) -> tuple[int, ...]:
    """The values the backstop gives the integer ``symbol`` when there are ``classes`` classes.

    A label or class index of the context: every class ``1..classes``. A symbol with an
    integer range in the context: every integer in it. Anything else: the edges of its declared
    range (around 0 and around ``classes``), as far as its assumptions allow.
    """
    if symbol in context.labels or symbol in context.indices:
        return tuple(range(1, classes + 1))
    if symbol in context.ranges:
        low, high = context.ranges[symbol]
        values = range(int(mpmath.ceil(low)), int(mpmath.floor(high)) + 1)
        candidates = tuple(v for v in values if _allowed(v, symbol))
    else:
        edges = {-(classes + 1), -classes, -2, -1, 0, 1, 2, classes, classes + 1}
        candidates = tuple(sorted(v for v in edges if _allowed(v, symbol)))
    if not candidates:
        raise SamplingError(f"the backstop finds no integer value for {symbol} in its range")
    return candidates


def integer_assignments(
    symbols: tuple[Symbol, ...], context: Context, classes: int, count: int, rng: random.Random
) -> list[dict[Symbol, int]]:
    """Values for the integer ``symbols``: every combination when there are at most
    :data:`EXHAUSTIVE_LIMIT`, else the two extreme combinations and random ones (``count`` in
    all); at least ``count`` assignments either way (combinations repeat, with new reals)."""
    candidates = [integer_candidates(s, context, classes) for s in symbols]
    size = 1
    for values in candidates:
        size *= len(values)
    if size <= EXHAUSTIVE_LIMIT:
        combinations = list(itertools.product(*candidates))
    else:
        combinations = [tuple(v[0] for v in candidates), tuple(v[-1] for v in candidates)]
        combinations += [tuple(rng.choice(v) for v in candidates) for _ in range(count - 2)]
    while len(combinations) < count:
        combinations += combinations[: count - len(combinations)]
    return [dict(zip(symbols, combination, strict=True)) for combination in combinations]


def _log_uniform(rng: random.Random, low_exponent: float, high_exponent: float) -> Any:
    return mpmath.power(10, mpmath.mpf(rng.uniform(low_exponent, high_exponent)))


def positive_magnitude(rng: random.Random) -> Any:
    """A positive number: log-uniform on [1e-6, 1e6] mostly, sometimes near 0, 1 or large."""
    regime = rng.random()
    if regime < 0.5:
        return _log_uniform(rng, -6, 6)
    if regime < 0.65:
        return mpmath.mpf(rng.uniform(0.1, 10))
    if regime < 0.8:
        return 1 + rng.choice((-1, 1)) * _log_uniform(rng, -9, -2)
    if regime < 0.9:
        return _log_uniform(rng, -9, -6)
    return _log_uniform(rng, 6, 9)


def _in_range(rng: random.Random, low: float, high: float) -> Any:
    """A number strictly inside ``(low, high)``: uniform, log-uniform on a wide positive
    range, or within a millionth of the width from either end."""
    lo, hi = mpmath.mpf(low), mpmath.mpf(high)
    regime = rng.random()
    if regime < 0.15:
        return lo + (hi - lo) * _log_uniform(rng, -9, -3)
    if regime < 0.3:
        return hi - (hi - lo) * _log_uniform(rng, -9, -3)
    if regime < 0.6 and low > 0 and high / low >= 100:
        return mpmath.exp(mpmath.mpf(rng.uniform(float(mpmath.log(lo)), float(mpmath.log(hi)))))
    return lo + (hi - lo) * mpmath.mpf(rng.uniform(1e-9, 1 - 1e-9))


@lru_cache(maxsize=1024)
def _facts(atom: Basic) -> dict[str, bool | None]:
    """The assumptions sampling needs, asked once per symbol or array (asking SymPy about a
    fresh ``Indexed`` every time costs more than the evaluation)."""
    names = ("real", "extended_real", "zero", "positive", "negative", "nonnegative")
    facts = {name: getattr(atom, f"is_{name}") for name in names}
    facts.update(
        nonpositive=atom.is_nonpositive,
        integer=atom.is_integer,
        even=atom.is_even,
        odd=atom.is_odd,
    )
    return facts


@lru_cache(maxsize=256)
def _representative(base: IndexedBase) -> Basic:
    return base[_ENTRY]


def real_value(atom: Basic, rng: random.Random) -> Any:
    """A random real respecting ``atom``'s assumptions (sign, zero; integers are elsewhere)."""
    facts = _facts(atom)
    if facts["real"] is not True and facts["extended_real"] is not True:
        raise SamplingError(f"the backstop cannot sample {atom} (no range, no real assumption)")
    if facts["zero"] is True:
        return mpmath.mpf(0)
    may_be_zero = facts["zero"] is not False
    if facts["positive"] is True or (facts["nonnegative"] is True and not may_be_zero):
        return positive_magnitude(rng)
    if facts["negative"] is True or (facts["nonpositive"] is True and not may_be_zero):
        return -positive_magnitude(rng)
    if may_be_zero and rng.random() < 0.08:
        return mpmath.mpf(0)
    if facts["nonnegative"] is True:
        return positive_magnitude(rng)
    if facts["nonpositive"] is True:
        return -positive_magnitude(rng)
    return rng.choice((-1, 1)) * positive_magnitude(rng)


def probabilities(rng: random.Random, classes: int, edge: int | None = None) -> list[Any]:
    """A normalised distribution over ``classes``: nearly uniform, uniform weights, or weights
    spread log-uniformly over six orders of magnitude (some classes almost impossible).

    ``edge`` 0 gives the exact uniform distribution (the maximum of every symmetric concave
    functional, where ``H(P) ≤ 3/2`` first fails at ``n = 5``), ``edge`` 1 a nearly one-hot one.
    """
    if edge == 0:
        return [mpmath.mpf(1) / classes] * classes
    if edge == 1:
        weights = [_log_uniform(rng, -12, -6) for _ in range(classes)]
        weights[rng.randrange(classes)] = mpmath.mpf(1)
        total = mpmath.fsum(weights)
        return [w / total for w in weights]
    regime = rng.random()
    if regime < 0.2:
        weights = [1 + mpmath.mpf(rng.uniform(-1e-3, 1e-3)) for _ in range(classes)]
    elif regime < 0.6:
        weights = [mpmath.mpf(rng.uniform(1e-3, 1)) for _ in range(classes)]
    else:
        weights = [_log_uniform(rng, -6, 0) for _ in range(classes)]
    total = mpmath.fsum(weights)
    return [w / total for w in weights]


Key: TypeAlias = Symbol | tuple[IndexedBase, tuple[int, ...]]


class Point:
    """One sample point for ``classes`` classes: integer symbols fixed, reals drawn lazily.

    ``values`` maps a Symbol, or ``(base, indices)`` for an entry, to its number (a Python
    ``int`` for integer symbols, an mpmath ``mpf`` otherwise). :meth:`shown` prints them.
    """

    def __init__(
        self,
        context: Context,
        classes: int,
        rng: random.Random,
        fixed: dict[Symbol, int],
        serial: int = 2,
    ) -> None:
        #: The point's number for its ``n``: points 0 and 1 put distributions at the edges.
        self.serial = serial
        self.context = context
        self.classes = classes
        self.rng = rng
        self.values: dict[Key, Any] = dict(fixed)

    def symbol(self, symbol: Symbol) -> Any:
        """The value of a free symbol, drawn on first use."""
        if symbol in self.values:
            return self.values[symbol]
        if symbol == self.context.classes:
            return self.classes
        if symbol in self.context.ranges:
            if _facts(symbol)["integer"]:
                value: Any = self.rng.choice(integer_candidates(symbol, self.context, self.classes))
            else:
                value = _in_range(self.rng, *self.context.ranges[symbol])
        elif (
            _facts(symbol)["integer"]
            or symbol in self.context.labels
            or symbol in self.context.indices
        ):
            value = self.rng.choice(integer_candidates(symbol, self.context, self.classes))
        else:
            value = real_value(symbol, self.rng)
        self.values[symbol] = value
        return value

    def entry(self, base: IndexedBase, indices: tuple[int, ...]) -> Any:
        """The value of ``base[indices]``, drawn on first use (a distribution all at once)."""
        key = (base, indices)
        if key in self.values:
            return self.values[key]
        if base in self.context.distributions:
            if len(indices) != 1 or not 1 <= indices[0] <= self.classes:
                where = ", ".join(str(i) for i in indices)
                raise OutsideDomain(f"{base}[{where}] lies outside the classes 1..{self.classes}")
            edge = self.serial if self.serial < 2 else None
            for index, p in enumerate(probabilities(self.rng, self.classes, edge), start=1):
                self.values[(base, (index,))] = p
            return self.values[key]
        atom = _representative(base)
        if base in self.context.ranges:
            value: Any = _in_range(self.rng, *self.context.ranges[base])
        elif _facts(atom)["integer"]:
            value = self.rng.choice(integer_candidates(atom, self.context, self.classes))
        else:
            value = real_value(atom, self.rng)
        self.values[key] = value
        return value

    def shown(self, digits: int = 12) -> tuple[tuple[str, str], ...]:
        """Every value used, ``(name, value to ~digits significant digits)``, sorted by name."""
        shown = []
        for key, value in self.values.items():
            if isinstance(key, tuple):
                base, indices = key
                name = f"{base}[{', '.join(str(i) for i in indices)}]"
            else:
                name = str(key)
            text = str(value) if isinstance(value, int) else mpmath.nstr(value, digits)
            shown.append((name, text))
        return tuple(sorted(shown))
