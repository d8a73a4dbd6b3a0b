"""Lecture section "Cross-entropy ↔ NLL": with a one-hot target the cross-entropy is the NLL.

For one data point ``(x_i, y_i)`` the target ``p(y | x_i)`` is one-hot at the label ``y_i``,
an integer in ``1..n`` (a :class:`~divsym.kernel.context.Context` label); ``p_θ(y | x_i)`` is the
model of :mod:`divsym.symbols.conditional`.
"""

from __future__ import annotations

from sympy import Sum, Symbol, log

from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Step
from divsym.kernel.discrete_rules import collapse_indicator_sum
from divsym.kernel.rules import unfold_definitions
from divsym.symbols.conditional import ModelConditional, OneHotTarget, theta
from divsym.symbols.likelihood import PointCrossEntropy, PointNLL
from divsym.symbols.notation import i, n

__all__ = ["label", "one_hot_cross_entropy_nll", "y"]

#: The class variable, bound in the Sum over 1..n.
y = Symbol("y", integer=True, positive=True)
#: The label y_i of the data point: an integer class in 1..n.
label = Symbol("y_i", integer=True, positive=True)


def one_hot_cross_entropy_nll() -> Derivation:
    """``H(p, p_θ) = -Σ_y p(y|x_i) log p_θ(y|x_i) = -p(y_i|x_i) log p_θ(y_i|x_i) = NLL``."""
    target = OneHotTarget(y, label, i)
    return Derivation(
        id="one-hot-cross-entropy-nll",
        title="With a one-hot target the cross-entropy is the negative log-likelihood",
        context=Context(labels=(label,)),
        section="ce-nll",
        remarks=(
            "The lecture first writes eq. {eq:ce-nll-juxtaposed}, the cross-entropy and the NLL"
            " side by side as one expression. Read as an equation it would count the NLL twice;"
            " what holds, and is proved here, is"
            " $H(p, p_\\theta) = -\\log p_\\theta(y_i \\mid x_i)$"
            " when $p(y \\mid x_i)$ is one-hot at $y_i$.",
            "The lecture's written-out sum, eq. {eq:ce-nll-expanded}, runs over the classes"
            " $1, \\dots, n$ (there $y_1, \\dots, y_n$ name the classes, not the labels of data"
            " points); it is the sum in the second line.",
        ),
        steps=(
            Step(
                PointCrossEntropy(target, ModelConditional(y, i, theta), y, n),
                "one data point $(x_i, y_i)$: the model output $p_\\theta(\\cdot \\mid x_i)$ is a"
                " probability distribution over the $n$ classes",
            ),
            Step(
                -Sum(target * log(ModelConditional(y, i, theta)), (y, 1, n)),
                "the definition of the cross-entropy, one term per class $y = 1, \\dots, n$",
                rules=(unfold_definitions,),
            ),
            Step(
                -OneHotTarget(label, label, i) * log(ModelConditional(label, i, theta)),
                "$p(y \\mid x_i)$ is one-hot: 1 for the single class $y_i$, 0 for all the"
                " others, so only the term $y = y_i$ is left ($y_i$ is an integer in"
                " $1, \\dots, n$), eq. {eq:ce-nll-one-term}. The lecture's margin note:"
                ' "1개의 class / $y_i$에 해당하는 class 뿐 / 남은 나머지는 전부 0"'
                ' ("one class / only the class of $y_i$ / all the rest are 0")',
                rules=(collapse_indicator_sum,),
            ),
            Step(
                -log(ModelConditional(label, i, theta)),
                "$p(y_i \\mid x_i) = 1$",
            ),
            Step(
                PointNLL(label, i, theta),
                "the negative log-likelihood of the data point, eq. {eq:summary-nll}",
            ),
        ),
    )
