"""The facts a derivation may use beyond SymPy's assumptions."""

from __future__ import annotations

from dataclasses import dataclass, field

from sympy import Expr, IndexedBase, Symbol

from divsym.symbols.notation import n

__all__ = ["Context"]


@dataclass(frozen=True)
class Context:
    """What a derivation assumes.

    ``distributions`` are normalised over ``1..classes`` (``Σ_i p_i = 1``); ``labels`` are
    integer symbols known to lie in ``1..classes``. The numeric backstop samples points that
    satisfy exactly these facts, so a step that needs more than is stated here fails there.
    """

    distributions: tuple[IndexedBase, ...] = ()
    classes: Symbol = n
    labels: tuple[Symbol, ...] = ()
    #: Extra symbol ranges for sampling, ``{symbol: (low, high)}``.
    ranges: dict[Expr, tuple[float, float]] = field(default_factory=dict)
