"""The lecture's named quantities: notation and unfolding to Sum definitions."""

from __future__ import annotations

import pytest
from sympy import Expr, IndexedBase, Sum, latex, log

from divsym.symbols.notation import i, n, p, q
from divsym.symbols.quantities import CrossEntropy, Entropy, JSDivergence, KLDivergence


@pytest.mark.parametrize(
    ("quantity", "text", "tex"),
    [
        (Entropy(p), "H(P)", "H(P)"),
        (CrossEntropy(p, q), "H(P, Q)", "H(P, Q)"),
        (KLDivergence(p, q), "D_KL(P || Q)", r"D_{KL}(P \parallel Q)"),
        (KLDivergence(q, p), "D_KL(Q || P)", r"D_{KL}(Q \parallel P)"),
        (JSDivergence(p, q), "JSD(P || Q)", r"JSD(P \parallel Q)"),
    ],
)
def test_quantity_prints_in_lecture_notation(quantity: Expr, text: str, tex: str) -> None:
    assert str(quantity) == text
    assert latex(quantity) == tex


@pytest.mark.parametrize(
    ("quantity", "definition"),
    [
        (Entropy(p), -Sum(p[i] * log(p[i]), (i, 1, n))),
        (CrossEntropy(p, q), -Sum(p[i] * log(q[i]), (i, 1, n))),
        (KLDivergence(p, q), Sum(p[i] * log(p[i] / q[i]), (i, 1, n))),
    ],
)
def test_quantity_unfolds_to_its_sum(quantity: Expr, definition: Expr) -> None:
    assert quantity.doit(deep=False) == definition


def test_quantity_stays_unevaluated_and_keeps_argument_order() -> None:
    assert KLDivergence(p, q) != KLDivergence(q, p)
    assert KLDivergence(p, q).args == (p, q, n)


def test_quantity_with_concrete_classes_writes_out_every_term() -> None:
    unfolded = Entropy(p, 3).doit()
    assert unfolded == -(p[1] * log(p[1]) + p[2] * log(p[2]) + p[3] * log(p[3]))


def test_distribution_must_be_indexed() -> None:
    with pytest.raises(TypeError, match="IndexedBase"):
        str(Entropy(IndexedBase("p")[i]))  # type: ignore[arg-type]


def test_power_of_a_quantity_prints_its_exponent_once() -> None:
    # SymPy hands _latex the exponent already printed; printing it again gave \mathtt{\text{2}}.
    assert latex(Entropy(p) ** 2) == "H(P)^{2}"
