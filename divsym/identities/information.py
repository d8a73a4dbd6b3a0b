"""Lecture section "Information": entropy, cross-entropy and KL divergence as expectations.

The lecture defines information in bits, ``I(E) = -log_2 p(E)``, and then writes
``H(X) = E(I(X)) = -Σ p log p`` with the natural log. Both cannot hold at once: the two sides
differ by the factor ``log 2`` (nats per bit). Each derivation here keeps the base visible and
proves the corrected statement, ``H = log 2 · E[I]`` in nats (equivalently ``H = E[I]`` in bits).
"""

from __future__ import annotations

from sympy import Add, Mul, Sum, log

from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Step
from divsym.kernel.rules import unfold_definitions
from divsym.symbols.information import Expectation, Information, Log2
from divsym.symbols.notation import i, n, p, q
from divsym.symbols.quantities import CrossEntropy, Entropy, KLDivergence

__all__ = ["cross_entropy_expectation", "entropy_expected_information", "kl_forms"]


def _base_remark(what: str, corrected: str) -> str:
    """The remark on the lecture's bits-versus-nats mismatch in ``what`` (a reference)."""
    return (
        "The lecture defines information in bits, eq. {eq:information},"
        f" $I(E) = -\\log_2 p(E)$, but writes {what} with the natural log; read literally,"
        " its first equality is off by the factor $\\log 2$ (nats per bit). Proved here:"
        f" {corrected}, that is, the lecture's equality holds when both sides use the same base."
    )


def entropy_expected_information() -> Derivation:
    """``H(P) = log 2 · E_P[I_P(x_i)] = log 2 · (-Σ p_i log_2 p_i) = -Σ p_i log p_i``."""
    return Derivation(
        id="entropy-expected-information",
        title="Entropy is the expected information",
        context=Context(distributions=(p,)),
        section="information",
        remarks=(
            _base_remark(
                what="eq. {eq:entropy}",
                corrected="$H(X) = \\log 2 \\cdot E[I(X)]$ in nats",
            ),
        ),
        steps=(
            Step(Entropy(p), "the entropy of the random variable $X$ with distribution $P$"),
            Step(
                Mul(Expectation(p, Information(p, i)), log(2), evaluate=False),
                "eq. {eq:entropy}, $H(X) = E(I(X))$, with the information $I$ in bits and $H$"
                " in nats: one bit is $\\log 2$ nats",
            ),
            Step(
                Mul(log(2), -Sum(p[i] * Log2(p[i]), (i, 1, n)), evaluate=False),
                "the information of an event, $I(E) = -\\log_2 p(E)$ (eq. {eq:information}),"
                " averaged with the weights $p(x_i)$",
                rules=(unfold_definitions,),
            ),
            Step(
                -Sum(p[i] * log(p[i]), (i, 1, n)),
                "change of base, $\\log_2 x = \\log x / \\log 2$: the factor $\\log 2$ cancels",
            ),
        ),
    )


def cross_entropy_expectation() -> Derivation:
    """``H(P, Q) = log 2 · E_P[I_Q(x_i)] = E_P[-log q_i] = -Σ p_i log q_i``."""
    return Derivation(
        id="cross-entropy-expectation",
        title="Cross-entropy is the expected information under the model",
        context=Context(distributions=(p, q)),
        section="information",
        remarks=(
            _base_remark(
                what="eq. {eq:cross-entropy}",
                corrected="$H(P, Q) = \\log 2 \\cdot E_P[I(Q)]$ in nats",
            ),
        ),
        steps=(
            Step(CrossEntropy(p, q), "the cross-entropy of $Q$ relative to $P$"),
            Step(
                Mul(Expectation(p, Information(q, i)), log(2), evaluate=False),
                "eq. {eq:cross-entropy}, $H(P, Q) = E_P(I(Q))$, with $I$ in bits and $H$ in"
                " nats (the factor $\\log 2$)",
            ),
            Step(
                Expectation(p, -log(q[i])),
                "$I_Q(x_i) = -\\log_2 q(x_i) = -\\log q(x_i) / \\log 2$: the lecture's"
                " $E_P(-\\log q(x))$",
            ),
            Step(
                -Sum(p[i] * log(q[i]), (i, 1, n)),
                "the expectation under $P$ is the sum weighted by $p(x)$",
                rules=(unfold_definitions,),
            ),
        ),
    )


def kl_forms() -> Derivation:
    """``D_KL(P‖Q) = log 2 · E_P[I_Q − I_P] = Σ p log(p/q) = -Σ p log(q/p)``."""
    return Derivation(
        id="kl-forms",
        title="The three forms of the KL divergence",
        context=Context(distributions=(p, q)),
        section="information",
        remarks=(
            _base_remark(
                what="eq. {eq:kl}",
                corrected="$D_{\\mathrm{KL}}(P \\parallel Q) = \\log 2 \\cdot E_P[I(Q) - I(P)]$"
                " in nats",
            ),
        ),
        steps=(
            Step(KLDivergence(p, q), "the KL divergence of the model $Q$ from the data $P$"),
            Step(
                Mul(
                    Expectation(p, Add(Information(q, i), -Information(p, i), evaluate=False)),
                    log(2),
                    evaluate=False,
                ),
                "eq. {eq:kl}, $E_P(I(Q) - I(P))$: the information $Q$ assigns, less the"
                " information $P$ assigns, averaged under $P$ ($I$ in bits,"
                " $D_{\\mathrm{KL}}$ in nats: the factor $\\log 2$)",
            ),
            Step(
                Sum(p[i] * log(p[i] / q[i]), (i, 1, n)),
                "$I_Q - I_P = (\\log p - \\log q) / \\log 2 = \\log(p/q) / \\log 2$;"
                " the factor $\\log 2$ cancels",
            ),
            Step(
                -Sum(p[i] * log(q[i] / p[i]), (i, 1, n)),
                "$\\log(p/q) = -\\log(q/p)$",
            ),
        ),
    )
