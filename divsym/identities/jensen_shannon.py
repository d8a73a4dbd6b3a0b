"""Lecture's Jensen–Shannon divergence: its definition, its symmetry, and ``0 ≤ JSD ≤ log 2``.

``JSD(P ‖ Q) = ½ D_KL(P ‖ M) + ½ D_KL(Q ‖ M)`` with ``M = (P + Q)/2``. The bounds go beyond
the lecture: the lower one writes each KL term as a sum of Gibbs terms (lemma ``gibbs-lemma``),
the upper one writes ``JSD = log 2 − ½ Σ p log(1 + q/p) − ½ Σ q log(1 + p/q)`` where every
log is of a number ≥ 1.
"""

from __future__ import annotations

from sympy import Add, Mul, Rational, S, Sum, log

from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Relation, Step
from divsym.kernel.discrete_rules import expand_log_arguments
from divsym.symbols.gibbs import GibbsTerm
from divsym.symbols.information import MixtureKL
from divsym.symbols.notation import i, n, p, q
from divsym.symbols.quantities import JSDivergence

__all__ = ["jsd_bounds", "jsd_symmetry"]

_HALF = Rational(1, 2)


def jsd_symmetry() -> Derivation:
    """``JSD(P‖Q) = ½ D_KL(P‖M) + ½ D_KL(Q‖M) = ½ D_KL(Q‖M) + ½ D_KL(P‖M) = JSD(Q‖P)``."""
    return Derivation(
        id="jsd-symmetry",
        title="The Jensen–Shannon divergence is symmetric",
        context=Context(distributions=(p, q)),
        section="information",
        steps=(
            Step(JSDivergence(p, q), "the Jensen–Shannon divergence of $P$ and $Q$"),
            Step(
                Add(_HALF * MixtureKL(p, p, q), _HALF * MixtureKL(q, p, q), evaluate=False),
                "eq. {eq:jsd}: the mean KL divergence of $P$ and of $Q$ from the mixture"
                " $M = (P + Q)/2$",
            ),
            Step(
                Add(_HALF * MixtureKL(q, q, p), _HALF * MixtureKL(p, q, p), evaluate=False),
                "swap the two terms; the mixture is symmetric, $(P + Q)/2 = (Q + P)/2$",
            ),
            Step(JSDivergence(q, p), "eq. {eq:jsd} with the roles of $P$ and $Q$ exchanged"),
        ),
    )


def jsd_bounds() -> Derivation:
    """``0 ≤ ½Σ p G(m/p) + ½Σ q G(m/q) = JSD(P‖Q) = log 2 − ½Σ p log(1+q/p) − … ≤ log 2``."""
    m_over_p = (p[i] + q[i]) / (2 * p[i])
    m_over_q = (p[i] + q[i]) / (2 * q[i])
    return Derivation(
        id="jsd-bounds",
        title="0 ≤ JSD(P ‖ Q) ≤ log 2",
        context=Context(distributions=(p, q)),
        section="inequalities",
        steps=(
            Step(
                S.Zero, "for normalised distributions $P$ and $Q$ with the mixture $M = (P + Q)/2$"
            ),
            Step(
                Add(
                    _HALF * Sum(Mul(p[i], GibbsTerm(m_over_p), evaluate=False), (i, 1, n)),
                    _HALF * Sum(Mul(q[i], GibbsTerm(m_over_q), evaluate=False), (i, 1, n)),
                    evaluate=False,
                ),
                "every summand is a positive weight times a Gibbs term"
                " $G(x) = x - 1 - \\log x \\geq 0$ (the lemma above)",
                relation=Relation.LE,
            ),
            Step(
                JSDivergence(p, q),
                "$\\sum_i p_i (m_i / p_i - 1) = \\sum_i m_i - \\sum_i p_i = 0$ and likewise for"
                " $Q$ ($M$ is normalised too), and $-p_i \\log(m_i / p_i) = p_i \\log(p_i / m_i)$:"
                " the two Gibbs sums are $D_{\\mathrm{KL}}(P \\parallel M)$ and"
                " $D_{\\mathrm{KL}}(Q \\parallel M)$, eq. {eq:jsd}",
            ),
            Step(
                Add(
                    log(2),
                    -_HALF * Sum(p[i] * log((p[i] + q[i]) / p[i]), (i, 1, n)),
                    -_HALF * Sum(q[i] * log((p[i] + q[i]) / q[i]), (i, 1, n)),
                    evaluate=False,
                ),
                "$\\log(p_i / m_i) = \\log 2 - \\log((p_i + q_i) / p_i)$, and"
                " $\\frac{1}{2} \\sum_i p_i \\log 2 + \\frac{1}{2} \\sum_i q_i \\log 2 = \\log 2$",
            ),
            Step(
                Add(
                    log(2),
                    -_HALF * Sum(p[i] * log(1 + q[i] / p[i]), (i, 1, n)),
                    -_HALF * Sum(q[i] * log(1 + p[i] / q[i]), (i, 1, n)),
                    evaluate=False,
                ),
                "$(p_i + q_i) / p_i = 1 + q_i / p_i$",
                rules=(expand_log_arguments,),
            ),
            Step(
                log(2),
                "$1 + q_i / p_i \\geq 1$, so every $\\log(1 + q_i / p_i) \\geq 0$: the subtracted"
                " sums are nonnegative",
                relation=Relation.LE,
            ),
        ),
    )
