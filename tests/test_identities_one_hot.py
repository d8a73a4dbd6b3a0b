"""One-hot CE = NLL and argmin KL = argmin CE: proved for symbolic n, wrong variants fail."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sympy import Add, Expr, KroneckerDelta, Sum, Symbol, log

from divsym.identities.objectives import kl_cross_entropy_objective, p_cond
from divsym.identities.objectives import y as class_y
from divsym.identities.one_hot import label, one_hot_cross_entropy_nll, y
from divsym.kernel.derivation import Derivation
from divsym.kernel.verify import Status, verify
from divsym.render.latex import to_latex
from divsym.symbols.conditional import ModelConditional, OneHotTarget, theta
from divsym.symbols.likelihood import PointCrossEntropy, PointEntropy, PointKL, PointNLL
from divsym.symbols.notation import i, n
from divsym.symbols.optimum import ArgMax, ArgMin

FACTORIES: dict[str, Callable[[], Derivation]] = {
    "one-hot-cross-entropy-nll": one_hot_cross_entropy_nll,
    "kl-cross-entropy-objective": kl_cross_entropy_objective,
}


def test_juxtaposed_line_is_corrected_in_a_remark() -> None:
    remark = one_hot_cross_entropy_nll().remarks[0]
    assert "side by side" in remark
    assert r"H(p, p_\theta) = -\log p_\theta(y_i \mid x_i)" in remark


OTHER_LABEL = Symbol("y_j", integer=True, positive=True)
MODEL_AT_LABEL = ModelConditional(label, i, theta)
TARGET, MODEL = p_cond[class_y], ModelConditional(class_y, i, theta)

MUTATIONS: dict[str, tuple[str, int, Expr]] = {
    "one-hot at the wrong label": (
        "one-hot-cross-entropy-nll",
        2,
        -OneHotTarget(OTHER_LABEL, label, i) * log(ModelConditional(OTHER_LABEL, i, theta)),
    ),
    "NLL with a flipped sign": ("one-hot-cross-entropy-nll", 3, log(MODEL_AT_LABEL)),
    "all classes kept after the one-hot": (
        "one-hot-cross-entropy-nll",
        3,
        -Sum(log(ModelConditional(y, i, theta)), (y, 1, n)),
    ),
    "one-hot sum as a Kronecker delta at the wrong label": (
        "one-hot-cross-entropy-nll",
        1,
        -Sum(KroneckerDelta(y, OTHER_LABEL) * log(ModelConditional(y, i, theta)), (y, 1, n)),
    ),
    "argmax instead of argmin": (
        "kl-cross-entropy-objective",
        4,
        ArgMax(PointCrossEntropy(TARGET, MODEL, class_y, n), theta),
    ),
    "the cross-entropy dropped instead of the entropy": (
        "kl-cross-entropy-objective",
        4,
        ArgMin(-PointEntropy(TARGET, class_y, n), theta),
    ),
    "KL with swapped arguments": (
        "kl-cross-entropy-objective",
        1,
        ArgMin(-Sum(MODEL * log(TARGET / MODEL), (class_y, 1, n)), theta),
    ),
    # (Adding H(p) instead of subtracting it would *not* be wrong here: it is θ-free.)
    "cross-entropy with swapped arguments": (
        "kl-cross-entropy-objective",
        3,
        ArgMin(
            Add(PointCrossEntropy(MODEL, TARGET, class_y, n), -PointEntropy(TARGET, class_y, n)),
            theta,
        ),
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_wrong_step_is_reported_failed(mutation: str) -> None:
    name, index, expr = MUTATIONS[mutation]
    report = verify(FACTORIES[name]().with_step(index, expr, rules=()))
    assert report.status is Status.FAILED, f"{mutation}: {report}"


@pytest.mark.parametrize(
    ("node", "tex"),
    [
        (PointCrossEntropy(TARGET, MODEL, class_y, n), r"H(p, p_\theta)"),
        (PointEntropy(TARGET, class_y, n), "H(p)"),
        (PointKL(TARGET, MODEL, class_y, n), r"D_{\mathrm{KL}}(p \parallel p_\theta)"),
        (PointNLL(label, i, theta), r"\mathrm{NLL}"),
        (TARGET, r"p(y \mid x_i)"),
        (OneHotTarget(label, label, i), r"p(y_i \mid x_i)"),
        (MODEL_AT_LABEL, r"p_\theta(y_i \mid x_i)"),
    ],
)
def test_node_prints_in_lecture_notation(node: Expr, tex: str) -> None:
    assert to_latex(node) == tex


def test_one_hot_target_is_a_kronecker_delta() -> None:
    assert OneHotTarget(y, label, i).doit() == KroneckerDelta(y, label)
    assert OneHotTarget(label, label, i).doit() == 1
