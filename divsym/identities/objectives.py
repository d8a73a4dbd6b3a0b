"""Lecture section "KL divergence ↔ cross-entropy", for one data point and a model ``p_θ``.

With the data distribution ``p(y | x_i)`` fixed, ``H(p)`` does not depend on ``θ``, so
minimising ``D_KL(p ‖ p_θ)`` over ``θ`` is minimising the cross-entropy ``H(p, p_θ)``.
``p(y | x_i)`` is a normalised distribution over the classes ``y = 1..n``; ``p_θ(y | x_i)`` is
the opaque positive model of :mod:`divsym.symbols.conditional`.
"""

from __future__ import annotations

from sympy import Add, Sum, Symbol, log

from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Step
from divsym.kernel.optimisation import argopt_drop_constant
from divsym.symbols.conditional import ClassConditional, ModelConditional, theta
from divsym.symbols.likelihood import PointCrossEntropy, PointEntropy, PointKL
from divsym.symbols.notation import i, n
from divsym.symbols.optimum import ArgMin

__all__ = ["kl_cross_entropy_objective", "p_cond", "y"]

#: The class variable of one data point's distributions, bound in every Sum over 1..n.
y = Symbol("y", integer=True, positive=True)
#: The data distribution p(y | x_i) over the classes, for the fixed data point x_i.
p_cond = ClassConditional("p_c", positive=True)


def kl_cross_entropy_objective() -> Derivation:
    """``argmin_θ D_KL(p ‖ p_θ) = argmin_θ (H(p, p_θ) − H(p)) = argmin_θ H(p, p_θ)``."""
    target, model = p_cond[y], ModelConditional(y, i, theta)
    cross = -Sum(target * log(model), (y, 1, n))
    entropy_term = Sum(target * log(target), (y, 1, n))
    return Derivation(
        id="kl-cross-entropy-objective",
        title="Minimising the KL divergence is minimising the cross-entropy",
        context=Context(distributions=(p_cond,)),
        section="kl-ce",
        remarks=(
            "The lecture strikes out $\\sum_y p(y \\mid x_i) \\log p(y \\mid x_i)$ in both lines"
            " of eq. {eq:kl-ce-conditional}; the term is not zero, it only does not depend on"
            " $\\theta$. So $D_{\\mathrm{KL}}$ and the cross-entropy are different numbers with"
            " the same minimisers over $\\theta$, which is what is shown here.",
        ),
        steps=(
            Step(
                ArgMin(PointKL(target, model, y, n), theta),
                "fit the model $p_\\theta(y \\mid x_i)$ to the data distribution"
                " $p(y \\mid x_i)$ by minimising the KL divergence",
            ),
            Step(
                ArgMin(-Sum(target * log(model / target), (y, 1, n)), theta),
                "the lecture's summary form of the KL divergence, eq. {eq:summary-kl}",
            ),
            Step(
                ArgMin(Add(cross, entropy_term, evaluate=False), theta),
                "$\\log(p_\\theta / p) = \\log p_\\theta - \\log p$: the cross-entropy plus"
                " $\\sum_y p \\log p$",
            ),
            Step(
                ArgMin(
                    Add(
                        PointCrossEntropy(target, model, y, n),
                        -PointEntropy(target, y, n),
                        evaluate=False,
                    ),
                    theta,
                ),
                "the definitions $H(p, p_\\theta) = -\\sum_y p \\log p_\\theta$ and"
                " $H(p) = -\\sum_y p \\log p$",
            ),
            Step(
                ArgMin(PointCrossEntropy(target, model, y, n), theta),
                "with $p(y \\mid x_i)$ fixed by the data, $H(p)$ does not depend on $\\theta$:"
                " eq. {eq:kl-ce-conditional} without its struck-out term",
                rules=(argopt_drop_constant,),
            ),
        ),
    )
