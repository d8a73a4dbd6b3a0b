"""The facts a derivation may use beyond SymPy's assumptions, checked when they are stated."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real

from sympy import Basic, Expr, IndexedBase, Symbol

from divsym.symbols.notation import n

__all__ = ["Context"]


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _tuple_of(name: str, value: object, kind: type, what: str) -> None:
    if not isinstance(value, tuple):
        raise TypeError(f"Context.{name} must be a tuple of {what}, got {_short(value)}")
    for item in value:
        if not isinstance(item, kind):
            raise TypeError(f"Context.{name} must hold only {what}, got {_short(item)}")


def _integer_symbols(name: str, value: object) -> None:
    _tuple_of(name, value, Symbol, "integer Symbols")
    assert isinstance(value, tuple)
    for symbol in value:
        if symbol.is_integer is not True:
            raise TypeError(
                f"Context.{name} must hold integer Symbols, got {symbol} (declare it"
                " Symbol(..., integer=True))"
            )
    if len(set(value)) != len(value):
        raise ValueError(f"Context.{name} names a symbol twice: {_short(value)}")


def _finite_number(name: str, key: Basic, bound: object) -> float:
    if isinstance(bound, bool) or not isinstance(bound, Real):
        raise TypeError(f"Context.ranges[{key}] must hold two real numbers, got {_short(bound)}")
    if not math.isfinite(float(bound)):
        raise ValueError(f"Context.ranges[{key}] must be finite, got {bound}")
    return float(bound)


@dataclass(frozen=True)
class Context:
    """What a derivation assumes.

    ``distributions`` are normalised over ``1..classes`` (``Σ_i p_i = 1``); ``labels`` are
    integer symbols known to lie in ``1..classes`` (a label of a data point, the number of tied
    maxima); ``indices`` are free class indices, also in ``1..classes`` (``k`` in ``∂/∂z_k``).
    The numeric backstop samples points that satisfy exactly these facts — labels and indices
    over every class, distributions normalised — so a step that needs more than is stated here
    fails there. Everything is validated here, when it is stated, with the field's name.

    Parameters
    ----------
    distributions : tuple of sympy.IndexedBase, optional
        Distributions normalised over the classes, ``Σ_i p_i = 1``, entries positive.
    classes : sympy.Symbol, optional
        The number of classes (default ``n``): a positive integer Symbol.
    labels : tuple of sympy.Symbol, optional
        Integer symbols known to lie in ``1..classes``.
    ranges : dict, optional
        Sampling ranges ``{Symbol or IndexedBase: (low, high)}`` with finite ``low < high``.
    indices : tuple of sympy.Symbol, optional
        Free class indices in ``1..classes``.

    Raises
    ------
    TypeError
        When a field has the wrong type (the message names the field and the value).
    ValueError
        When ``classes`` is not a positive integer Symbol, a symbol is both a label and an
        index, ``classes`` is a label, or a range is empty, not finite or given for a label.
    """

    distributions: tuple[IndexedBase, ...] = ()
    classes: Symbol = n
    labels: tuple[Symbol, ...] = ()
    #: Extra symbol ranges for sampling, ``{symbol or IndexedBase: (low, high)}``, low < high.
    ranges: dict[Expr, tuple[float, float]] = field(default_factory=dict)
    #: Free class indices in ``1..classes`` (sampled over every class, like labels).
    indices: tuple[Symbol, ...] = ()

    def __post_init__(self) -> None:
        _tuple_of("distributions", self.distributions, IndexedBase, "IndexedBase objects")
        if not isinstance(self.classes, Symbol):
            raise TypeError(f"Context.classes must be a Symbol, got {_short(self.classes)}")
        if self.classes.is_integer is not True or self.classes.is_positive is not True:
            raise ValueError(
                f"Context.classes must be a positive integer Symbol, got {self.classes}"
                " (declare it Symbol(..., integer=True, positive=True))"
            )
        _integer_symbols("labels", self.labels)
        _integer_symbols("indices", self.indices)
        both = set(self.labels) & set(self.indices)
        if both:
            names = ", ".join(sorted(str(s) for s in both))
            raise ValueError(f"Context: {names} is both a label and an index; choose one")
        if self.classes in set(self.labels) | set(self.indices):
            raise ValueError(f"Context: the number of classes {self.classes} cannot be a label")
        self._check_ranges()

    def _check_ranges(self) -> None:
        if not isinstance(self.ranges, dict):
            raise TypeError(f"Context.ranges must be a dict, got {_short(self.ranges)}")
        for key, bounds in self.ranges.items():
            if not isinstance(key, (Symbol, IndexedBase)):
                raise TypeError(
                    f"Context.ranges keys must be Symbols or IndexedBase objects, got {_short(key)}"
                )
            if not isinstance(bounds, tuple) or len(bounds) != 2:
                raise TypeError(f"Context.ranges[{key}] must be (low, high), got {_short(bounds)}")
            low, high = (_finite_number("ranges", key, b) for b in bounds)
            if not low < high:
                raise ValueError(f"Context.ranges[{key}] needs low < high, got {bounds}")
            if key in set(self.labels) | set(self.indices):
                raise ValueError(f"Context.ranges[{key}]: {key} is a label or index, not a range")
