"""Context validates what a derivation states, naming the field and the value."""

from __future__ import annotations

import pytest
from sympy import IndexedBase, Symbol

from divsym.kernel.context import Context
from divsym.symbols.notation import i, k, n, p

real = Symbol("a", real=True)


def test_defaults_and_a_full_context_are_accepted() -> None:
    assert Context().classes == n
    assert Context().indices == ()
    d = IndexedBase("d", positive=True)
    context = Context(distributions=(p,), labels=(i,), indices=(k,), ranges={d: (0.25, 4.0)})
    assert context.indices == (k,)


@pytest.mark.parametrize(
    ("fields", "error", "words"),
    [
        ({"distributions": (Symbol("p0"),)}, TypeError, "distributions"),
        ({"distributions": p}, TypeError, "distributions"),
        ({"labels": (real,)}, TypeError, "labels"),
        ({"indices": (real,)}, TypeError, "indices"),
        ({"indices": ("k",)}, TypeError, "indices"),
        ({"labels": (i,), "indices": (i,)}, ValueError, "both a label and an index"),
        ({"labels": (i, i)}, ValueError, "twice"),
        ({"classes": Symbol("N", integer=True)}, ValueError, "classes"),
        ({"classes": 4}, TypeError, "classes"),
        ({"labels": (n,)}, ValueError, "number of classes"),
        ({"ranges": {real: (2.0, 1.0)}}, ValueError, "low < high"),
        ({"ranges": {real: (0.0, float("inf"))}}, ValueError, "finite"),
        ({"ranges": {real: (0.0,)}}, TypeError, "(low, high)"),
        ({"ranges": {real: ("0", 1.0)}}, TypeError, "real numbers"),
        ({"ranges": {"a": (0.0, 1.0)}}, TypeError, "keys"),
        ({"ranges": [(real, (0.0, 1.0))]}, TypeError, "dict"),
        ({"labels": (i,), "ranges": {i: (1.0, 3.0)}}, ValueError, "label or index"),
    ],
)
def test_wrong_facts_are_rejected_with_the_field_named(
    fields: dict[str, object], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        Context(**fields)  # type: ignore[arg-type]
