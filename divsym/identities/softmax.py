"""Lecture section "Softmax with temperature" (Hinton et al., 2015), and its exact calculus.

``q_i = exp(z_i/T) / Σ_j exp(z_j/T)`` (lecture eq. (1)) is the node :class:`SoftmaxProbability`,
printed ``q_i`` and unfolded to eq. (1) by ``doit()``. The derivations here: the probabilities
sum to 1; a higher temperature gives a softer distribution (``dH/dT = Var_q(z)/T³ ≥ 0``); the
softmax is invariant under a shift of every logit; its Jacobian ``∂q_i/∂z_k = q_i(δ_ik − q_k)/T``.
"""

from __future__ import annotations

from sympy import (
    Add,
    Derivative,
    Expr,
    KroneckerDelta,
    Mul,
    Pow,
    S,
    Sum,
    exp,
    log,
)

from divsym.kernel.calculus_rules import collapse_kronecker_sums, differentiate, split_exponentials
from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Relation, Step
from divsym.kernel.rules import canonical_indices, expand_logs, pull_constants, unfold_definitions
from divsym.symbols.notation import T, c, i, j, k, n, z
from divsym.symbols.softmax import SoftmaxProbability

__all__ = [
    "SoftmaxProbability",
    "softmax_jacobian",
    "softmax_normalisation",
    "softmax_shift_invariance",
    "softmax_temperature_entropy",
]


def _inverse(expr: Expr) -> Expr:
    """``1/expr`` kept as written (an unevaluated power), for display."""
    return Pow(expr, -1, evaluate=False)  # type: ignore[no-any-return]


def _q(index: Expr) -> SoftmaxProbability:
    return SoftmaxProbability(z, T, index)


#: ``Σ_j exp(z_j/T)``, the softmax's normaliser.
_NORMALISER = Sum(exp(z[j] / T), (j, 1, n))


def _e(index: Expr) -> Expr:
    return exp(z[index] / T)


def softmax_normalisation() -> Derivation:
    """``Σ_i q_i = Σ_i exp(z_i/T) / Σ_j exp(z_j/T) = 1``: the softmax is a distribution."""
    return Derivation(
        id="softmax-normalisation",
        title="The softmax probabilities sum to 1",
        section="softmax",
        context=Context(),
        steps=(
            Step(Sum(_q(i), (i, 1, n)), "the total probability of the softmax"),
            Step(
                Sum(_e(i) / _NORMALISER, (i, 1, n)),
                "eq. {eq:softmax}: $q_i = \\exp(z_i/T) / \\sum_j \\exp(z_j/T)$",
                rules=(unfold_definitions,),
            ),
            Step(
                Mul(Sum(_e(i), (i, 1, n)), 1 / _NORMALISER, evaluate=False),
                "the denominator $\\sum_j \\exp(z_j/T)$ does not depend on $i$:"
                " pull it out of the sum",
                rules=(pull_constants,),
            ),
            Step(
                S.One,
                "$\\sum_i \\exp(z_i/T)$ and $\\sum_j \\exp(z_j/T)$"
                " are the same sum (rename the index)",
                rules=(canonical_indices,),
            ),
        ),
    )


def softmax_shift_invariance() -> Derivation:
    """``exp((z_i + c)/T) / Σ_j exp((z_j + c)/T) = q_i``: adding ``c`` to every logit."""
    shifted = exp((z[i] + c) / T) / Sum(exp((z[j] + c) / T), (j, 1, n))
    factor = exp(c / T)
    return Derivation(
        id="softmax-shift-invariance",
        title="Adding a constant to every logit leaves the softmax unchanged",
        section="softmax-beyond",
        context=Context(),
        steps=(
            Step(
                shifted, "eq. {eq:softmax} for the logits $z_j + c$, the same $c$ for every class"
            ),
            Step(
                Mul(
                    _e(i),
                    factor,
                    _inverse(Sum(_e(j) * factor, (j, 1, n))),
                    evaluate=False,
                ),
                "$\\exp((z + c)/T) = \\exp(z/T) \\exp(c/T)$, in the numerator and in every term",
                rules=(split_exponentials,),
            ),
            Step(
                Mul(
                    _e(i),
                    factor,
                    _inverse(Mul(factor, _NORMALISER, evaluate=False)),
                    evaluate=False,
                ),
                "$\\exp(c/T)$ does not depend on $j$: pull it out of the sum",
                rules=(split_exponentials, pull_constants),
            ),
            Step(
                _e(i) / _NORMALISER,
                "the factor $\\exp(c/T) > 0$ cancels",
                rules=(split_exponentials, pull_constants),
            ),
            Step(_q(i), "eq. {eq:softmax}: this is $q_i$ of the unshifted logits"),
        ),
        remarks=(
            "This identity is why divsym evaluates the softmax after subtracting $\\max_j z_j$:"
            " the value is unchanged and no $\\exp$ overflows.",
        ),
    )


def softmax_jacobian() -> Derivation:
    """``∂q_i/∂z_k = q_i (δ_ik − q_k) / T``, by the quotient rule and ``∂z_j/∂z_k = δ_jk``."""
    delta = KroneckerDelta(i, k)
    return Derivation(
        id="softmax-jacobian",
        title="The Jacobian of the softmax",
        section="softmax-beyond",
        context=Context(labels=(i, k)),
        steps=(
            Step(Derivative(_q(i), z[k]), "how $q_i$ changes with the logit $z_k$"),
            Step(
                Derivative(_e(i) / _NORMALISER, z[k]),
                "eq. {eq:softmax}",
                rules=(unfold_definitions,),
            ),
            Step(
                delta * _e(i) / (T * _NORMALISER)
                - _e(i) * Sum(delta.func(j, k) * _e(j) / T, (j, 1, n)) / _NORMALISER**2,
                "quotient and chain rules; $\\partial z_j / \\partial z_k = \\delta_{jk}$",
                rules=(differentiate,),
            ),
            Step(
                delta * _e(i) / (T * _NORMALISER) - _e(i) * _e(k) / (T * _NORMALISER**2),
                "only the term $j = k$ survives the sum ($1 \\leq k \\leq n$)",
                rules=(collapse_kronecker_sums,),
            ),
            Step(
                Mul(
                    1 / T,
                    _e(i) / _NORMALISER,
                    Add(delta, -_e(k) / _NORMALISER),
                    evaluate=False,
                ),
                "factor out $\\exp(z_i/T) / (T \\sum_j \\exp(z_j/T))$",
            ),
            Step(
                Mul(_q(i), Add(delta, -_q(k)), 1 / T, evaluate=False),
                "eq. {eq:softmax} for $q_i$ and $q_k$",
            ),
        ),
    )


def softmax_temperature_entropy() -> Derivation:
    """``dH(Q)/dT = Var_q(z)/T³ ≥ 0``: a higher temperature gives a softer distribution.

    With ``S = Σ_j exp(z_j/T)``: ``log q_i = z_i/T − log S``, so ``H = log S − Σ_i q_i z_i / T``;
    differentiating, ``dH/dT = (Σ_i q_i z_i² − (Σ_i q_i z_i)²)/T³ = Σ_i q_i (z_i − μ)²/T³``
    with ``μ = Σ_j q_j z_j``, a sum of nonnegative terms.
    """
    entropy = -Sum(_q(i) * log(_q(i)), (i, 1, n))
    unfolded = -Sum(_e(i) / _NORMALISER * log(_e(i) / _NORMALISER), (i, 1, n))
    expanded = -Sum(_e(i) / _NORMALISER * (z[i] / T - log(_NORMALISER)), (i, 1, n))
    first = Sum(z[i] * _e(i), (i, 1, n))
    second = Sum(z[i] ** 2 * _e(i), (i, 1, n))
    mean = Sum(_q(j) * z[j], (j, 1, n))
    return Derivation(
        id="softmax-temperature-entropy",
        title="A higher temperature gives a softer distribution: dH/dT = Var_q(z)/T³ ≥ 0",
        section="softmax",
        context=Context(),
        # Writing out the derivative for n = 4..6 is slow; n = 2, 3 stays a cheap fallback.
        fixed_n=(2, 3),
        steps=(
            Step(Derivative(entropy, T), "the rate of change of the entropy $H(Q)$ with $T$"),
            Step(Derivative(unfolded, T), "eq. {eq:softmax}", rules=(unfold_definitions,)),
            Step(
                Derivative(expanded, T),
                "$\\log q_i = z_i/T - \\log \\sum_j \\exp(z_j/T)$",
                rules=(expand_logs,),
            ),
            Step(
                Derivative(log(_NORMALISER) - first / (T * _NORMALISER), T),
                "$\\sum_i q_i = 1$ multiplies $\\log \\sum_j \\exp(z_j/T)$;"
                " pull $1/(T \\sum_j \\exp(z_j/T))$ out of the other sum",
            ),
            Step(
                second / (T**3 * _NORMALISER) - first**2 / (T**3 * _NORMALISER**2),
                "differentiate: $\\frac{d}{dT} \\exp(z_j/T) = -(z_j/T^2) \\exp(z_j/T)$;"
                " the terms in"
                " $\\sum_i z_i \\exp(z_i/T)$ over $T^2 \\sum_j \\exp(z_j/T)$ cancel",
                rules=(differentiate,),
            ),
            Step(
                (Sum(_q(i) * z[i] ** 2, (i, 1, n)) - mean**2) / T**3,
                "eq. {eq:softmax}: the variance of the logits under $Q$,"
                " $E_q[z^2] - E_q[z]^2$, over $T^3$",
            ),
            Step(
                Sum(_q(i) * (z[i] - mean) ** 2, (i, 1, n)) / T**3,
                "$\\operatorname{Var}_q(z) = \\sum_i q_i (z_i - \\mu)^2$"
                " with $\\mu = \\sum_j q_j z_j$, since $\\sum_i q_i = 1$",
            ),
            Step(
                S.Zero,
                "$q_i > 0$, $T > 0$ and a square is nonnegative",
                relation=Relation.GE,
            ),
        ),
    )
