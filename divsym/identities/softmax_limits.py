"""Beyond the lecture: the softmax at the temperature extremes.

``T → ∞`` gives the uniform distribution ``1/n``; ``T → 0⁺`` gives ``1/m`` on the ``m`` tied
largest logits and 0 elsewhere — the one-hot at the largest logit when it is unique (``m = 1``).
Both are derived with the limit laws of :mod:`divsym.kernel.calculus_rules`, for a symbolic ``n``.
"""

from __future__ import annotations

from sympy import IndexedBase, Mul, Piecewise, Pow, Sum, Symbol, exp, oo

from divsym.identities.softmax import SoftmaxProbability
from divsym.kernel.calculus_rules import (
    factor_common_terms,
    fold_piecewise,
    resolve_piecewise_in_sums,
    split_exponentials,
    split_sum_at,
    sum_of_constant,
)
from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Step
from divsym.kernel.limit_rules import (
    evaluate_limits,
    limit_laws,
    limit_through_piecewise,
    limit_through_sum,
    reciprocal_temperature,
    u,
)
from divsym.kernel.rules import pull_constants, unfold_definitions
from divsym.symbols.limits import CommutativeLimit as Limit
from divsym.symbols.notation import T, i, j, n, z

__all__ = ["GAP", "LARGEST", "TIES", "gap", "softmax_high_temperature", "softmax_low_temperature"]

#: The largest logit ``M = max_j z_j``.
LARGEST = Symbol("M", real=True)
#: The number of classes whose logit equals the largest, ``1 ≤ m ≤ n``.
TIES = Symbol("m", integer=True, positive=True)
#: The gaps ``d_j > 0`` below the largest logit of the classes that are not maxima.
GAP = IndexedBase("d", positive=True)


def gap(index: Symbol) -> Piecewise:
    """``g_j = 0`` for the maxima ``j ≤ m`` and ``g_j = d_j > 0`` for ``j > m``."""
    return Piecewise((0, index <= TIES), (GAP[index], True))


def softmax_high_temperature() -> Derivation:
    """``lim_{T→∞} q_i = 1/n``: with ``u = 1/T``, ``exp(z_j u) → 1`` for every class."""
    normaliser = Sum(exp(z[j] * u), (j, 1, n))
    return Derivation(
        id="softmax-high-temperature",
        title="At high temperature the softmax tends to the uniform distribution",
        section="softmax-beyond",
        context=Context(),
        steps=(
            Step(Limit(SoftmaxProbability(z, T, i), T, oo), "$q_i$ as the temperature grows"),
            Step(
                Limit(exp(z[i] / T) / Sum(exp(z[j] / T), (j, 1, n)), T, oo),
                "eq. {eq:softmax}",
                rules=(unfold_definitions,),
            ),
            Step(
                Limit(exp(z[i] * u) / normaliser, u, 0, "+"),
                "substitute $u = 1/T$: $T \\to \\infty$ is $u \\to 0^+$",
                rules=(reciprocal_temperature,),
            ),
            Step(
                Limit(exp(z[i] * u), u, 0, "+") / Sum(Limit(exp(z[j] * u), u, 0, "+"), (j, 1, n)),
                "the limit of a quotient, and of a sum of $n$ terms ($n$ does not depend on"
                " $u$): every limit is finite and the denominator's is not 0",
                rules=(limit_laws, limit_through_sum),
            ),
            Step(
                1 / Sum(1, (j, 1, n)),
                "$\\exp(z_j u) \\to \\exp(0) = 1$ for every class",
                rules=(evaluate_limits,),
            ),
            Step(
                1 / n,
                "a sum of $n$ ones is $n$: the uniform distribution",
                rules=(sum_of_constant,),
            ),
        ),
    )


def softmax_low_temperature() -> Derivation:
    """``lim_{T→0⁺} q_i = 1/m`` for the ``m`` tied largest logits, ``0`` for the others.

    Modelling: the classes are numbered so that the largest logit ``M`` is shared by the
    classes ``1..m`` (``1 ≤ m ≤ n``, a label of the context); every other class ``j > m`` lies
    a gap ``d_j > 0`` below it. So ``z_j = M − g_j`` with ``g_j = 0`` for ``j ≤ m`` and
    ``g_j = d_j`` for ``j > m`` (:func:`gap`). The backstop samples exactly these facts: an
    integer ``m`` in ``1..n``, gaps ``d_j`` in ``[1/4, 4]``, a real ``M``. With ``m = 1`` the
    limit is the one-hot vector at the unique largest logit.
    """
    numerator = exp((LARGEST - gap(i)) / T)
    term = exp((LARGEST - gap(j)) / T)
    others = Sum(exp(-GAP[j] / T), (j, TIES + 1, n))
    weight = Piecewise((1, i <= TIES), (exp(-GAP[i] / T), True))
    zero_or_one = Piecewise((1, i <= TIES), (0, True))
    below = Sum(exp((LARGEST - GAP[j]) / T), (j, TIES + 1, n))
    return Derivation(
        id="softmax-low-temperature",
        title="At low temperature the softmax tends to the one-hot (1/m on m tied maxima)",
        section="softmax-beyond",
        context=Context(labels=(TIES,), ranges={GAP: (0.25, 4.0)}),
        steps=(
            Step(
                Limit(numerator / Sum(term, (j, 1, n)), T, 0, "+"),
                "eq. {eq:softmax} as $T \\to 0^+$, for the logits $z_j = M - g_j$: $M$ is the"
                " largest logit, shared by the classes $1, \\dots, m$, and every class $j > m$"
                " lies $g_j = d_j > 0$ below it",
            ),
            Step(
                Limit(
                    numerator / (Sum(term, (j, 1, TIES)) + Sum(term, (j, TIES + 1, n))), T, 0, "+"
                ),
                "split the classes into the $m$ maxima and the others",
                rules=(split_sum_at(TIES),),
            ),
            Step(
                Limit(numerator / (Sum(exp(LARGEST / T), (j, 1, TIES)) + below), T, 0, "+"),
                "$g_j = 0$ for $j \\leq m$ and $g_j = d_j$ for $j > m$",
                rules=(resolve_piecewise_in_sums,),
            ),
            Step(
                Limit(numerator / (TIES * exp(LARGEST / T) + below), T, 0, "+"),
                "the $m$ maxima contribute $m \\exp(M/T)$",
                rules=(sum_of_constant,),
            ),
            Step(
                Limit(exp(-gap(i) / T) / (TIES + others), T, 0, "+"),
                "divide the numerator and the denominator by $\\exp(M/T) > 0$",
                rules=(split_exponentials, pull_constants, factor_common_terms),
            ),
            Step(
                Limit(Mul(weight, Pow(TIES + others, -1), evaluate=False), T, 0, "+"),
                "$\\exp(-g_i/T)$ is 1 for a maximum $i \\leq m$ and $\\exp(-d_i/T)$ otherwise",
                rules=(fold_piecewise,),
            ),
            Step(
                Piecewise((1, i <= TIES), (Limit(exp(-GAP[i] / T), T, 0, "+"), True))
                / (TIES + Sum(Limit(exp(-GAP[j] / T), T, 0, "+"), (j, TIES + 1, n))),
                "the limits of a quotient, of a sum (its $n - m$ terms do not depend on $T$)"
                " and of a case distinction (its conditions do not depend on $T$): all are"
                " finite, and the denominator's limit is at least $m \\geq 1$",
                rules=(limit_laws, limit_through_sum, limit_through_piecewise),
            ),
            Step(
                zero_or_one / (TIES + Sum(0, (j, TIES + 1, n))),
                "$\\exp(-d/T) \\to 0$ as $T \\to 0^+$ for every gap $d > 0$",
                rules=(evaluate_limits,),
            ),
            Step(
                Piecewise((1 / TIES, i <= TIES), (0, True)),
                "the others contribute 0: $1/m$ for each of the $m$ maxima, 0 for every other"
                " class",
                rules=(sum_of_constant, fold_piecewise),
            ),
        ),
        remarks=(
            "The classes are numbered so that the $m$ largest logits come first; this loses no"
            " generality, since the softmax commutes with a permutation of the classes.",
            "With a unique largest logit ($m = 1$) the limit is the one-hot vector at that class;"
            " the softmax at low temperature is the argmax.",
        ),
    )
