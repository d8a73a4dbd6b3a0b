"""What a rule may know about the index of a Sum: only what the Sum's own bounds say.

A user's dummy index carries the assumptions it was declared with (``j`` positive, say), and
SymPy keeps them even when a Sum runs it from 0 or from ``-n``. Every rule therefore sees each
bound index replaced first by a Dummy whose assumptions come from the bounds alone
(:func:`rename_bound_indices`). The remaining helpers state the side conditions the rules share:
finite integer bounds (:func:`integer_limits`) and inequalities known from SymPy's assumptions
plus the ranges the :class:`~divsym.kernel.context.Context` declares (:func:`known_le`).

SymPy's Sum follows Karr's convention: with ``b < a - 1``, ``Σ_{j=a}^{b} f = -Σ_{j=b+1}^{a-1} f``.
So the index of ``Σ_{j=a}^{b}`` takes the values ``a..b`` or ``b+1..a-1``; a fact about it has
to hold on both.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from sympy import Basic, Dummy, Expr, Product, Sum, Symbol, oo

from divsym.kernel.context import Context

__all__ = [
    "bound_dummy",
    "context_ranged",
    "integer_limits",
    "known_le",
    "rename_bound_indices",
    "restore_names",
]

#: Binders whose limits are ``(index, low, high)`` with Karr's convention.
_BINDERS = (Sum, Product)

_DUMMIES: dict[tuple[int, bool, bool, bool], Dummy] = {}
_SLOT: dict[Dummy, int] = {}


def _flags(low: Expr, high: Expr) -> tuple[bool, bool, bool]:
    """``(integer, nonnegative, positive)`` for an index running ``low..high`` (either way)."""
    integer = bool((low.is_integer or low == -oo) and (high.is_integer or high == oo))
    # Values lie in low..high or in high+1..low-1: a lower bound must hold at low and high + 1.
    nonnegative = low.is_extended_nonnegative is True and (high + 1).is_extended_nonnegative is True
    positive = (low - 1).is_extended_nonnegative is True and high.is_extended_nonnegative is True
    return integer, integer and nonnegative, integer and positive


def bound_dummy(slot: int, low: Expr, high: Expr) -> Dummy:
    """The canonical Dummy of name ``k<slot>`` for an index that runs ``low..high``.

    It is the same object for the same slot and the same facts, so alpha-equivalent Sums
    become equal; its assumptions are exactly what the bounds prove: integer (integer or
    infinite bounds), and nonnegative or positive only when both ``low`` and ``high + 1`` are.
    """
    key = (slot, *_flags(low, high))
    if key not in _DUMMIES:
        _, integer, nonnegative, positive = key
        facts = {"integer": True} if integer else {}
        if positive:
            facts["positive"] = True
        elif nonnegative:
            facts["nonnegative"] = True
        _DUMMIES[key] = Dummy(f"k{slot}", **facts)
        _SLOT[_DUMMIES[key]] = slot
    return _DUMMIES[key]


def _is_binder(e: Basic) -> bool:
    return isinstance(e, _BINDERS) and all(len(limit) == 3 for limit in e.limits)


def _fresh(e: Basic) -> Basic:
    """Every bound index of a Sum or Product replaced by a new, assumption-free Dummy.

    Fresh names cannot be captured by anything. SymPy's first limit is the innermost one, so
    the bounds of a limit may mention the indices of the limits after it
    (``Sum(f, (i, 1, j), (j, 1, n))`` is ``Σ_{j=1}^{n} Σ_{i=1}^{j} f``) and are renamed with them.
    """
    if not e.args:
        return e
    if _is_binder(e):
        mapping: dict[Basic, Basic] = {}
        limits: list[tuple[Basic, Basic, Basic]] = []
        for var, low, high in reversed(e.limits):  # outermost first
            low, high = _fresh(low.xreplace(mapping)), _fresh(high.xreplace(mapping))
            mapping[var] = Dummy()
            limits.insert(0, (mapping[var], low, high))
        return e.func(_fresh(e.function.xreplace(mapping)), *limits)
    return e.func(*(_fresh(a) for a in e.args))


def _substitute(e: Basic, mapping: dict[Basic, Basic]) -> Basic:
    """``e.xreplace(mapping)`` without capture by a binder inside ``e`` that uses a new name."""
    active = {old: new for old, new in mapping.items() if old != new}
    if not active:
        return e
    targets = set(active.values())
    if any(targets & set(b.variables) for b in e.atoms(*_BINDERS)):
        e = _fresh(e)
    return e.xreplace(active)


class _Renamer:
    """One top-down pass: each binder's indices get the slot of their nesting depth."""

    def __init__(self, avoid: set[int]) -> None:
        self.avoid = avoid
        self.slots: list[int] = []
        #: The user's names each canonical Dummy replaced (Dummies, e.g. canonical, left out).
        self.origins: dict[Dummy, set[Symbol]] = {}

    def slot(self, depth: int) -> int:
        """The ``depth``-th slot not used by a canonical Dummy free in the expression."""
        candidate = self.slots[-1] + 1 if self.slots else 0
        while len(self.slots) <= depth:
            while candidate in self.avoid:
                candidate += 1
            self.slots.append(candidate)
            candidate += 1
        return self.slots[depth]

    def rename(self, e: Basic, depth: int) -> Basic:
        if not e.args:
            return e
        if not _is_binder(e):
            args = tuple(self.rename(a, depth) for a in e.args)
            if all(new is old for new, old in zip(args, e.args, strict=True)):
                return e
            return e.func(*args)
        mapping: dict[Basic, Basic] = {}
        limits: list[tuple[Basic, Basic, Basic]] = []
        # The last limit is the outermost: its index is in scope in the earlier limits' bounds.
        for offset, (var, low, high) in enumerate(reversed(e.limits)):
            low = self.rename(_substitute(low, mapping), depth + offset)
            high = self.rename(_substitute(high, mapping), depth + offset)
            mapping[var] = new = bound_dummy(self.slot(depth + offset), low, high)
            limits.insert(0, (new, low, high))
            if isinstance(var, Symbol) and not isinstance(var, Dummy):
                self.origins.setdefault(new, set()).add(var)
        function = self.rename(_substitute(e.function, mapping), depth + len(limits))
        if function is e.function and all(
            new == old for new, old in zip(limits, e.limits, strict=True)
        ):
            return e
        return e.func(function, *limits)


@lru_cache(maxsize=4096)
def _renamed(expr: Expr) -> tuple[Expr, tuple[tuple[Dummy, Symbol], ...]]:
    if not expr.has(*_BINDERS):
        return expr, ()
    avoid = {_SLOT[s] for s in expr.free_symbols if s in _SLOT}
    renamer = _Renamer(avoid)
    renamed = renamer.rename(expr, 0)
    unique = tuple((d, next(iter(v))) for d, v in renamer.origins.items() if len(v) == 1)
    return renamed, unique  # type: ignore[return-value]


def rename_bound_indices(expr: Expr) -> Expr:
    """``expr`` with each bound index renamed to the :func:`bound_dummy` of its depth and bounds.

    Alpha-equivalent expressions give the same result (``Σ_i p_i`` and ``Σ_j p_j``), and no
    SymPy assumption of a user's index survives: a rule applied to the result can only use
    what the bounds prove. A name already free in ``expr`` is never used for a bound index.
    """
    return _renamed(expr)[0]


def restore_names(result: Expr, original: Expr) -> Expr:
    """``result`` with the user's index names of ``original`` given back where that is sound.

    A canonical Dummy gets back the one name it replaced in ``original`` (none where it
    replaced several), and only if the named expression is alpha-equivalent to ``result``:
    a name that would capture a free symbol, or a SymPy evaluation that the name's own
    assumptions trigger, makes the two differ and ``result`` is returned as it is.
    """
    names = dict(_renamed(original)[1])
    if not names or not result.has(*names):
        return result
    named = result.xreplace(names)
    same = rename_bound_indices(named) == rename_bound_indices(result)
    return named if same else result  # type: ignore[no-any-return]


def integer_limits(limits: Iterable[tuple[Basic, ...]]) -> bool:
    """Whether every limit is ``(index, low, high)`` with integer, hence finite, bounds."""
    return all(
        len(limit) == 3 and limit[1].is_integer is True and limit[2].is_integer is True
        for limit in limits
    )


def context_ranged(context: Context) -> tuple[Symbol, ...]:
    """The symbols the context declares integers in ``1..classes``: labels and free indices."""
    indices: tuple[Symbol, ...] = getattr(context, "indices", ())
    return tuple(dict.fromkeys((*context.labels, *indices)))


def known_le(a: Expr, b: Expr, context: Context) -> bool:
    """Whether ``a ≤ b`` is known, from SymPy's assumptions and the context's ranges.

    Each ranged symbol ``ℓ`` (see :func:`context_ranged`) is an integer with ``1 ≤ ℓ ≤ n``,
    i.e. ``ℓ = 1 + s`` and ``n = ℓ + t`` with integers ``s, t ≥ 0``; the substitutions are
    tried one ranged symbol at a time.
    """
    gap = b - a
    if gap.is_nonnegative is True:
        return True
    if gap.is_finite is not True:
        return False
    s = Dummy("s", integer=True, nonnegative=True)
    t = Dummy("t", integer=True, nonnegative=True)
    n = context.classes
    for label in context_ranged(context):
        for candidate in (gap.subs(n, label + t), gap):
            if candidate.subs(label, 1 + s).is_nonnegative is True:
                return True
    return False
