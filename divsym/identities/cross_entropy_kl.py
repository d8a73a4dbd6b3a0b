"""Lecture section "KL Divergence ↔ Cross Entropy": ``H(P, Q) = H(P) + D_KL(P ‖ Q)``."""

from __future__ import annotations

from sympy import Add, Sum, log

from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Step
from divsym.kernel.rules import unfold_definitions
from divsym.symbols.notation import i, n, p, q
from divsym.symbols.quantities import CrossEntropy, Entropy, KLDivergence

__all__ = ["cross_entropy_decomposition"]


def cross_entropy_decomposition() -> Derivation:
    """CE = H + KL, in the lecture's order: add and cancel ``Σ p log p``, then regroup."""
    sum_p_log_p = Sum(p[i] * log(p[i]), (i, 1, n))
    cross = -Sum(p[i] * log(q[i]), (i, 1, n))
    return Derivation(
        id="cross-entropy-decomposition",
        title="Cross-entropy = entropy + KL divergence",
        context=Context(distributions=(p, q)),
        section="kl-ce",
        steps=(
            Step(CrossEntropy(p, q), "the cross-entropy of $Q$ relative to $P$"),
            Step(
                cross,
                "the definition, $H(P, Q) = -\\sum_i p_i \\log q_i$",
                rules=(unfold_definitions,),
            ),
            Step(
                Add(cross, sum_p_log_p, -sum_p_log_p, evaluate=False),
                "add and subtract $\\sum_i p_i \\log p_i$, the term the lecture strikes out in"
                " eq. {eq:kl-ce}",
            ),
            Step(
                Add(-sum_p_log_p, -Sum(p[i] * log(q[i] / p[i]), (i, 1, n)), evaluate=False),
                "group the terms: $-\\sum_i p_i \\log q_i + \\sum_i p_i \\log p_i"
                " = -\\sum_i p_i \\log(q_i / p_i)$, one sum of the log of a quotient",
            ),
            Step(
                Add(Entropy(p), KLDivergence(p, q), evaluate=False),
                "the definitions $H(P) = -\\sum_i p_i \\log p_i$ and, eq. {eq:kl},"
                " $D_{\\mathrm{KL}}(P \\parallel Q) = -\\sum_i p_i \\log(q_i / p_i)$",
            ),
        ),
    )
