"""Beyond the lecture: Gibbs' inequality ``D_KL(P ‖ Q) ≥ 0`` and the lemma it rests on.

The lemma ``G(x) = x − 1 − log x ≥ 0`` (``x > 0``) is derived as ``0 ≤ ∫_0^1 … ds = G(x)``
with an integrand that is visibly nonnegative; the inequality then writes ``D_KL`` as
``Σ p_i G(q_i/p_i)``, a sum of terms that are nonnegative by that lemma.
"""

from __future__ import annotations

from sympy import Add, Mul, S, Sum, Symbol, log

from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Relation, Step
from divsym.kernel.rules import unfold_definitions
from divsym.symbols.gibbs import GibbsTerm, UnitIntegral
from divsym.symbols.notation import i, n, p, q
from divsym.symbols.quantities import KLDivergence

__all__ = ["gibbs_inequality", "gibbs_lemma", "x"]

#: The lemma's variable: any positive real number.
x = Symbol("x", positive=True)
_s = Symbol("s", positive=True)
_x_minus_1 = Add(x, -1, evaluate=False)


def gibbs_lemma() -> Derivation:
    """``0 ≤ ∫_0^1 s (x−1)² / (1 + s(x−1)) ds = x − 1 − log x = G(x)`` for ``x > 0``."""
    return Derivation(
        id="gibbs-lemma",
        title="Lemma: x − 1 − log x ≥ 0 for x > 0",
        context=Context(),
        section="inequalities",
        steps=(
            Step(S.Zero, "the lemma behind Gibbs' inequality, for any $x > 0$"),
            Step(
                UnitIntegral(_s * _x_minus_1**2 / (1 + _s * _x_minus_1), _s),
                "the integrand is nonnegative for $0 < s < 1$: $s \\geq 0$, $(x - 1)^2 \\geq 0$"
                " and the denominator $1 + s(x - 1) = (1 - s) + s x$ is positive",
                relation=Relation.LE,
            ),
            Step(
                Add(x, -1, -log(x), evaluate=False),
                "evaluate the integral: the substitution $t = 1 + s(x - 1)$ turns it into"
                " $\\int_1^x (1 - 1/t) \\, dt = x - 1 - \\log x$ (checked against SymPy's"
                " antiderivative)",
            ),
            Step(GibbsTerm(x), "the Gibbs term $G(x) = x - 1 - \\log x$"),
        ),
    )


def gibbs_inequality() -> Derivation:
    """``D_KL(P‖Q) = -Σ p log(q/p) = Σ p (q/p − 1 − log(q/p)) = Σ p G(q/p) ≥ 0``."""
    return Derivation(
        id="gibbs-inequality",
        title="Gibbs' inequality: the KL divergence is nonnegative",
        context=Context(distributions=(p, q)),
        section="inequalities",
        steps=(
            Step(KLDivergence(p, q), "the KL divergence of normalised distributions $P$ and $Q$"),
            Step(
                Sum(p[i] * log(p[i] / q[i]), (i, 1, n)),
                "eq. {eq:kl}",
                rules=(unfold_definitions,),
            ),
            Step(
                -Sum(p[i] * log(q[i] / p[i]), (i, 1, n)),
                "$\\log(p_i / q_i) = -\\log(q_i / p_i)$",
            ),
            Step(
                Sum(
                    Mul(p[i], Add(q[i] / p[i], -1, -log(q[i] / p[i]), evaluate=False)),
                    (i, 1, n),
                ),
                "add $\\sum_i q_i - \\sum_i p_i = 1 - 1 = 0$ (both distributions are normalised)",
            ),
            Step(
                Sum(Mul(p[i], GibbsTerm(q[i] / p[i]), evaluate=False), (i, 1, n)),
                "each summand is $p_i \\, G(q_i / p_i)$ with $G(x) = x - 1 - \\log x$",
            ),
            Step(
                S.Zero,
                "$p_i > 0$ and $G(q_i / p_i) \\geq 0$ by the lemma above: a sum of nonnegative"
                " terms",
                relation=Relation.GE,
            ),
        ),
    )
