"""Beyond the lecture: knowledge distillation (Hinton, Vinyals & Dean, 2015, section 2.1).

A student with logits ``z`` is trained on the soft targets ``p_i`` of a teacher at the same
temperature ``T``: its loss is the cross-entropy ``C = −Σ_i p_i log q_i`` with the student's
softmax ``q_i = exp(z_i/T) / Σ_j exp(z_j/T)`` (the lecture's softmax). The paper's eq. (2),
``∂C/∂z_k = (q_k − p_k)/T``, is derived here for a symbolic number of classes ``n`` and a free
class ``k``: once for any normalised teacher distribution ``p``, once for a teacher that is
itself a softmax ``p_i = exp(v_i/T) / Σ_j exp(v_j/T)`` of logits ``v``; then the ``T²``
scaling the paper applies to the soft loss. At high temperature, the paper's eq. (3)
(``e^x ≈ 1 + x``) is proved with the order of its error, ``O(1/T³)``, as the finite limit of
``T³`` times the error, and eq. (4) as the limit of ``T² ∂C/∂z_k``; beside them, the
hard-label gradient, the gradient of the paper's weighted sum ``α T² C + (1 − α) H`` of
the soft and hard losses, and ``JSD = H(M) − (H(P) + H(Q))/2``.

The text (justifications, remarks) follows the handout rules of :mod:`divsym.render.prose`:
mathematics in ``$…$``, the lecture's equations by label (``{eq:softmax}``), and every remark
says which lines are the paper's (Hinton, Vinyals & Dean 2015, eqs. (2)–(4)) and which ours.
"""

from __future__ import annotations

from collections.abc import Callable

from sympy import (
    Add,
    Derivative,
    Expr,
    IndexedBase,
    KroneckerDelta,
    Mul,
    Rational,
    Sum,
    Symbol,
    exp,
    log,
    oo,
)

from divsym.kernel.calculus_rules import collapse_kronecker_sums, differentiate, sum_of_constant
from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Step
from divsym.kernel.gradient_rules import (
    absorb_count,
    limit_of_difference_quotients,
    quotients_over_one_sum,
)
from divsym.kernel.limit_rules import evaluate_limits, reciprocal_temperature, u
from divsym.kernel.rules import (
    Rule,
    canonical_indices,
    expand_logs,
    expand_summands,
    impose_normalisation,
    pull_constants,
    split_sums,
    unfold_definitions,
)
from divsym.symbols.distillation import TeacherProbability
from divsym.symbols.information import MixtureKL
from divsym.symbols.limits import CommutativeLimit as Limit
from divsym.symbols.notation import T, i, j, k, n, p, q, v, z
from divsym.symbols.quantities import Entropy, JSDivergence
from divsym.symbols.softmax import SoftmaxProbability

__all__ = [
    "alpha",
    "distillation_gradient",
    "distillation_gradient_softmax_teacher",
    "distillation_high_temperature",
    "distillation_temperature_squared",
    "distillation_weighted_gradient",
    "distillation_zero_mean_logits",
    "hard_label_gradient",
    "jsd_entropy_form",
    "label",
    "linearised_softmax",
    "soft_loss",
]

#: The dummy index of the teacher's normaliser, distinct from the student's ``j``.
_l = Symbol("l", integer=True, positive=True)


#: Σ_i p_i (a_i − b δ_ik) → (Σ_i p_i a_i) − b p_k → … with Σ p = 1: split the sum over the
#: soft targets, pull out what does not depend on i, collapse δ_ik, normalise.
_SUM_OUT_TARGETS = (
    expand_summands,
    split_sums,
    pull_constants,
    collapse_kronecker_sums,
    impose_normalisation,
)


def _context(*, normalised: bool) -> Context:
    """The facts: ``k`` is a class in ``1..n``; the teacher ``p`` is normalised when it is data.

    ``k`` is declared a free class index (an integer known to lie in ``1..n``, not a data
    label), which is what lets the ``δ_jk`` Sums collapse and the numeric backstop sample ``k``
    over every class.
    """
    return Context(distributions=(p,) if normalised else (), indices=(k,))


def _q(index: Expr) -> SoftmaxProbability:
    """The student's softmax ``q_index`` at temperature ``T``."""
    return SoftmaxProbability(z, T, index)


def _e(index: Expr) -> Expr:
    return exp(z[index] / T)


#: ``Σ_j exp(z_j/T)``, the student's normaliser.
_STUDENT = Sum(exp(z[j] / T), (j, 1, n))


def _teacher_softmax(index: Expr) -> Expr:
    """``exp(v_index/T) / Σ_l exp(v_l/T)``: the teacher's softmax written out (eq. (1) for v)."""
    return exp(v[index] / T) / Sum(exp(v[_l] / T), (_l, 1, n))


def soft_loss(target: Callable[[Expr], Expr]) -> Expr:
    """``C = −Σ_i p_i log q_i``: the cross-entropy of the student with the soft targets."""
    return -Sum(target(i) * log(_q(i)), (i, 1, n))


def _gradient_steps(
    target: Callable[[Expr], Expr],
    unfolded: Callable[[Expr], Expr],
    normalisation: tuple[Rule, ...],
    normalisation_because: str,
) -> tuple[Step, ...]:
    """The chain ``∂C/∂z_k = … = (q_k − p_k)/T`` for the teacher ``target`` (written out as
    ``unfolded`` once eq. (1) is applied), its normalisation shown by ``normalisation``."""
    delta = KroneckerDelta
    t = unfolded
    return (
        Step(
            Derivative(soft_loss(target), z[k]),
            "the soft-target loss $C = -\\sum_i p_i \\log q_i$, the cross-entropy of the"
            " student's softmax $q$ at temperature $T$ with the teacher's soft targets $p$,"
            " differentiated with respect to the student's logit $z_k$",
        ),
        Step(
            Derivative(-Sum(t(i) * log(_e(i) / _STUDENT), (i, 1, n)), z[k]),
            "eq. {eq:softmax}: $q_i = \\exp(z_i/T) / \\sum_j \\exp(z_j/T)$",
            rules=(unfold_definitions,),
        ),
        Step(
            Derivative(-Sum(t(i) * (z[i] / T - log(_STUDENT)), (i, 1, n)), z[k]),
            "$\\log q_i = z_i/T - \\log \\sum_j \\exp(z_j/T)$: the log of a quotient of"
            " positive numbers",
            rules=(expand_logs,),
        ),
        Step(
            -Sum(
                t(i) * (delta(i, k) / T - Sum(delta(j, k) * _e(j), (j, 1, n)) / (T * _STUDENT)),
                (i, 1, n),
            ),
            "differentiate term by term: $\\partial z_i / \\partial z_k = \\delta_{ik}$;"
            " by the chain rule the derivative of $\\log \\sum_j \\exp(z_j/T)$ with respect"
            " to $z_k$ is $\\sum_j \\delta_{jk} \\exp(z_j/T) / (T \\sum_j \\exp(z_j/T))$;"
            " the targets $p_i$ do not depend on the student's logits",
            rules=(differentiate,),
        ),
        Step(
            -Sum(t(i) * (delta(i, k) / T - _e(k) / (T * _STUDENT)), (i, 1, n)),
            "only the term $j = k$ survives the inner sum ($k$ is a class, $1 \\leq k \\leq n$)",
            rules=(collapse_kronecker_sums,),
        ),
        Step(
            Add(
                -Sum(t(i) * delta(i, k), (i, 1, n)) / T,
                Mul(_e(k) / (T * _STUDENT), Sum(t(i), (i, 1, n)), evaluate=False),
                evaluate=False,
            ),
            "split the sum over $i$; $\\exp(z_k/T) / (T \\sum_j \\exp(z_j/T))$ does not"
            " depend on $i$: pull it out",
            rules=(expand_summands, split_sums, pull_constants),
        ),
        Step(
            Add(
                -t(k) / T,
                Mul(_e(k) / (T * _STUDENT), Sum(t(i), (i, 1, n)), evaluate=False),
                evaluate=False,
            ),
            "only the term $i = k$ survives $\\sum_i p_i \\delta_{ik}$",
            rules=(collapse_kronecker_sums,),
        ),
        Step(
            Add(-t(k) / T, _e(k) / (T * _STUDENT), evaluate=False),
            normalisation_because,
            rules=normalisation,
        ),
        Step(
            Mul(Add(_q(k), -target(k)), 1 / T, evaluate=False),
            "eq. {eq:softmax} for $q_k$; this is the paper's eq. (2),"
            " $\\partial C / \\partial z_k = (q_k - p_k)/T$",
        ),
    )


def _data_target(index: Expr) -> Expr:
    return p[index]


def distillation_gradient() -> Derivation:
    """``∂C/∂z_k = (q_k − p_k)/T`` for soft targets ``p`` that are any normalised distribution."""
    return Derivation(
        id="distillation-gradient",
        title="The gradient of the soft-target loss: ∂C/∂z_k = (q_k − p_k)/T",
        section="distillation",
        context=_context(normalised=True),
        steps=_gradient_steps(
            _data_target,
            _data_target,
            (impose_normalisation,),
            "the teacher's soft targets are a distribution: $\\sum_i p_i = 1$",
        ),
        remarks=(
            "The last line is the paper's eq. (2) (Hinton, Vinyals & Dean 2015, section 2.1,"
            " written there for the class $i$); the lines before it are ours: the paper states"
            " eq. (2) without a derivation.",
            "Here $p$ is any normalised distribution over the $n$ classes; with $p$ the"
            " teacher's own softmax at temperature $T$ see the derivation"
            " distillation-gradient-softmax-teacher.",
        ),
    )


def distillation_gradient_softmax_teacher() -> Derivation:
    """``∂C/∂z_k = (q_k − p_k)/T`` for the teacher's softmax ``p_i = exp(v_i/T)/Σ_l exp(v_l/T)``."""
    return Derivation(
        id="distillation-gradient-softmax-teacher",
        title="The soft-target gradient with the teacher's softmax as targets",
        section="distillation",
        context=_context(normalised=False),
        steps=_gradient_steps(
            lambda index: TeacherProbability(v, T, index),
            _teacher_softmax,
            (pull_constants, canonical_indices),
            "the teacher's probabilities sum to 1:"
            " $\\sum_i \\exp(v_i/T) / \\sum_l \\exp(v_l/T) = 1$, as its denominator does not"
            " depend on $i$ (as in softmax-normalisation)",
        ),
        remarks=(
            "The teacher's soft targets are its softmax at the student's temperature,"
            " $p_i = \\exp(v_i/T) / \\sum_l \\exp(v_l/T)$ with the teacher's logits $v$"
            " (printed $p_i$); the second line writes out both softmaxes by eq. {eq:softmax}.",
            "The last line is the paper's eq. (2) (Hinton, Vinyals & Dean 2015, section 2.1);"
            " the lines before it are ours.",
        ),
    )


def distillation_temperature_squared() -> Derivation:
    """``T² ∂C/∂z_k = T (q_k − p_k)``: why the soft loss is multiplied by ``T²``."""
    gradient = Mul(Add(_q(k), -p[k]), 1 / T, evaluate=False)
    squared = T**2
    return Derivation(
        id="distillation-temperature-squared",
        title="The soft-target gradient scaled by T²",
        section="distillation",
        context=_context(normalised=True),
        steps=(
            Step(
                Mul(squared, Derivative(soft_loss(_data_target), z[k]), evaluate=False),
                "the gradient of the soft-target loss $C = -\\sum_i p_i \\log q_i$ with respect"
                " to the student's logit $z_k$, multiplied by $T^2$ as the paper scales the soft"
                " loss",
            ),
            Step(
                Mul(squared, gradient, evaluate=False),
                "the paper's eq. (2), $\\partial C / \\partial z_k = (q_k - p_k)/T$, as in the"
                " derivation distillation-gradient: eq. {eq:softmax}, differentiate, collapse"
                " $\\delta_{jk}$ and $\\delta_{ik}$, $\\sum_i p_i = 1$",
                rules=(
                    unfold_definitions,
                    expand_logs,
                    differentiate,
                    collapse_kronecker_sums,
                    *_SUM_OUT_TARGETS,
                ),
            ),
            Step(
                Mul(T, Add(_q(k), -p[k]), evaluate=False),
                "$T^2 / T = T$",
            ),
        ),
        remarks=(
            "The paper (Hinton, Vinyals & Dean 2015, section 2.1): ‘Since the magnitudes of"
            " the gradients produced by the soft targets scale as $1/T^2$ it is important to"
            " multiply them by $T^2$ when using both hard and soft targets.’ The starting"
            " expression is that scaling, the next is its eq. (2) times $T^2$, and the last"
            " line is ours. The"
            " $1/T^2$"
            " itself appears at high temperature, where $q_k - p_k \\approx (z_k - v_k)/(nT)$"
            " for zero-mean logits (the paper's eq. (4)).",
        ),
    )


_HALF = Rational(1, 2)


def _mixture(index: Expr) -> Expr:
    """``m_i = (p_i + q_i)/2``, the mixture ``M = (P + Q)/2``, kept as written."""
    return Mul(_HALF, Add(p[index], q[index]), evaluate=False)


def jsd_entropy_form() -> Derivation:
    """``JSD(P ‖ Q) = H(M) − (H(P) + H(Q))/2`` with the mixture ``M = (P + Q)/2``."""
    m = _mixture(i)
    mixture_entropy = -Sum(Mul(m, log(m), evaluate=False), (i, 1, n))
    return Derivation(
        id="jsd-entropy-form",
        title="The Jensen–Shannon divergence is the entropy of the mixture minus the mean entropy",
        section="distillation",
        context=Context(distributions=(p, q)),
        steps=(
            Step(JSDivergence(p, q), "the Jensen–Shannon divergence of $P$ and $Q$"),
            Step(
                Add(_HALF * MixtureKL(p, p, q), _HALF * MixtureKL(q, p, q), evaluate=False),
                "eq. {eq:jsd}: the mean KL divergence of $P$ and of $Q$ from the mixture"
                " $M = (P + Q)/2$",
                rules=(unfold_definitions,),
            ),
            Step(
                Add(
                    _HALF * Sum(p[i] * log(p[i]), (i, 1, n)),
                    _HALF * Sum(q[i] * log(q[i]), (i, 1, n)),
                    -Sum(Mul(_HALF, p[i], log(m), evaluate=False), (i, 1, n)),
                    -Sum(Mul(_HALF, q[i], log(m), evaluate=False), (i, 1, n)),
                    evaluate=False,
                ),
                "eq. {eq:kl}; $\\log(p_i/m_i) = \\log p_i - \\log m_i$ and"
                " $\\log(q_i/m_i) = \\log q_i - \\log m_i$ (all positive)",
            ),
            Step(
                Add(
                    _HALF * Sum(p[i] * log(p[i]), (i, 1, n)),
                    _HALF * Sum(q[i] * log(q[i]), (i, 1, n)),
                    mixture_entropy,
                    evaluate=False,
                ),
                "$\\tfrac{1}{2} p_i \\log m_i + \\tfrac{1}{2} q_i \\log m_i = m_i \\log m_i$:"
                " the two sums over $\\log m_i$ are one",
            ),
            Step(
                Add(
                    mixture_entropy,
                    Mul(-_HALF, Add(Entropy(p), Entropy(q)), evaluate=False),
                    evaluate=False,
                ),
                "eq. {eq:entropy}: $\\sum_i p_i \\log p_i = -H(P)$,"
                " $\\sum_i q_i \\log q_i = -H(Q)$; the remaining sum is the entropy $H(M)$ of"
                " the mixture",
            ),
        ),
        remarks=(
            "$\\operatorname{JSD}(P \\parallel Q) = H(M) - (H(P) + H(Q))/2$ with"
            " $M = (P + Q)/2$: the form in which the Jensen–Shannon divergence is usually"
            " computed. It is not in the paper; the derivation is ours, from eq. {eq:jsd};"
            " $-\\sum_i m_i \\log m_i$ is $H(M)$ written out.",
        ),
    )


#: The hard label of the data point: an integer class in ``1..n``.
label = Symbol("y", integer=True, positive=True)


def hard_label_gradient() -> Derivation:
    """``∂(−log q_y)/∂z_k = q_k − δ_ky`` at ``T = 1``: the gradient of the hard-label loss."""
    q1 = SoftmaxProbability(z, 1, label)
    normaliser = Sum(exp(z[j]), (j, 1, n))
    delta = KroneckerDelta
    return Derivation(
        id="hard-label-gradient",
        title="The gradient of the hard-label loss at T = 1: q_k − δ_ky",
        section="distillation",
        context=Context(labels=(label,), indices=(k,)),
        steps=(
            Step(
                Derivative(-log(q1), z[k]),
                "the hard-label loss $-\\log q_y$, the negative log-likelihood of the true"
                " class $y$, at temperature 1, differentiated with respect to the student's"
                " logit $z_k$",
            ),
            Step(
                Derivative(-log(exp(z[label]) / normaliser), z[k]),
                "eq. {eq:softmax} at $T = 1$: $q_y = \\exp(z_y) / \\sum_j \\exp(z_j)$",
                rules=(unfold_definitions,),
            ),
            Step(
                Derivative(log(normaliser) - z[label], z[k]),
                "$\\log q_y = z_y - \\log \\sum_j \\exp(z_j)$",
                rules=(expand_logs,),
            ),
            Step(
                Sum(delta(j, k) * exp(z[j]), (j, 1, n)) / normaliser - delta(label, k),
                "differentiate: $\\partial z_y / \\partial z_k = \\delta_{yk}$; by the chain"
                " rule the derivative of $\\log \\sum_j \\exp(z_j)$ with respect to $z_k$ is"
                " $\\sum_j \\delta_{jk} \\exp(z_j) / \\sum_j \\exp(z_j)$",
                rules=(differentiate,),
            ),
            Step(
                exp(z[k]) / normaliser - delta(label, k),
                "only the term $j = k$ survives the sum ($k$ is a class, $1 \\leq k \\leq n$)",
                rules=(collapse_kronecker_sums,),
            ),
            Step(
                Add(SoftmaxProbability(z, 1, k), -delta(k, label), evaluate=False),
                "eq. {eq:softmax} at $T = 1$ for $q_k$",
            ),
        ),
        remarks=(
            "The paper's hard-target term (Hinton, Vinyals & Dean 2015, section 2): the"
            " cross-entropy with the correct labels, computed at temperature 1. Its gradient"
            " $q_k - \\delta_{ky}$ is the paper's eq. (2) at $T = 1$ with the one-hot target"
            " $p_k = \\delta_{ky}$. The derivation is ours; the paper does not write it out.",
        ),
    )


def _difference_quotients(logits: IndexedBase, dummy: Symbol) -> Expr:
    """``Σ_dummy (exp(w_k u) − exp(w_dummy u))/u`` for the logits ``w``."""
    return Sum((exp(logits[k] * u) - exp(logits[dummy] * u)) / u, (dummy, 1, n))


def distillation_zero_mean_logits() -> Derivation:
    """``lim_{T→∞} T² ∂C/∂z_k = ((z_k − z̄) − (v_k − v̄))/n``: the paper's eq. (4) times ``T²``."""
    z_norm = Sum(exp(z[j] * u), (j, 1, n))
    v_norm = Sum(exp(v[_l] * u), (_l, 1, n))
    dz, dv = _difference_quotients(z, j), _difference_quotients(v, _l)

    def at_zero(e: Expr) -> Limit:
        return Limit(e, u, 0, "+")

    def sum_of_limits(logits: IndexedBase, dummy: Symbol) -> Expr:
        quotient = at_zero((exp(logits[k] * u) - exp(logits[dummy] * u)) / u)
        return Sum(quotient, (dummy, 1, n)) / (
            n * Sum(at_zero(exp(logits[dummy] * u)), (dummy, 1, n))
        )

    z_sum, v_sum = Sum(z[j], (j, 1, n)), Sum(v[_l], (_l, 1, n))
    return Derivation(
        id="distillation-zero-mean-logits",
        title="At high temperature T² ∂C/∂z_k tends to (z_k − v_k)/n for zero-mean logits",
        section="distillation",
        context=_context(normalised=False),
        steps=(
            Step(
                Limit(Mul(T, Add(_q(k), -TeacherProbability(v, T, k)), evaluate=False), T, oo),
                "$T^2 \\, \\partial C / \\partial z_k = T (q_k - p_k)$ as the temperature grows:"
                " the paper's eq. (2), proved in distillation-gradient-softmax-teacher, times"
                " $T^2$ as in distillation-temperature-squared",
            ),
            Step(
                at_zero((exp(z[k] * u) / z_norm - exp(v[k] * u) / v_norm) / u),
                "eq. {eq:softmax} for $q_k$ and $p_k$; substitute $u = 1/T$: $T \\to \\infty$ is"
                " $u \\to 0^+$",
                rules=(unfold_definitions, reciprocal_temperature),
            ),
            Step(
                at_zero(dz / (Sum(1, (j, 1, n)) * z_norm) - dv / (Sum(1, (_l, 1, n)) * v_norm)),
                "subtract and add $1/n = \\sum_j \\exp(z_j u) / (n \\sum_j \\exp(z_j u))$:"
                " $q_k - 1/n = \\sum_j (\\exp(z_k u) - \\exp(z_j u)) / (n \\sum_j \\exp(z_j u))$,"
                " the same for $p_k$, and the two $1/n$ cancel ($n$ written as $\\sum_j 1$)",
            ),
            Step(
                at_zero(dz / (n * z_norm) - dv / (n * v_norm)),
                "a sum of $n$ ones is $n$",
                rules=(sum_of_constant,),
            ),
            Step(
                sum_of_limits(z, j) - sum_of_limits(v, _l),
                "limits of a difference, a quotient and of sums of $n$ terms ($n$ does not depend"
                " on $u$): each difference quotient has a finite limit, the denominators' limits"
                " are $n^2 \\neq 0$",
                rules=(limit_of_difference_quotients,),
            ),
            Step(
                Sum(z[k] - z[j], (j, 1, n)) / (n * Sum(1, (j, 1, n)))
                - Sum(v[k] - v[_l], (_l, 1, n)) / (n * Sum(1, (_l, 1, n))),
                "$(\\exp(a u) - \\exp(b u))/u \\to a - b$ and $\\exp(w u) \\to 1$ as"
                " $u \\to 0^+$: the paper's $e^x \\approx 1 + x$",
                rules=(evaluate_limits,),
            ),
            Step(
                (n * z[k] - z_sum) / n**2 - (n * v[k] - v_sum) / n**2,
                "split the sums; $\\sum_j z_k = n z_k$ and $\\sum_j 1 = n$",
                rules=(expand_summands, split_sums, pull_constants, sum_of_constant),
            ),
            Step(
                Mul(
                    Add(z[k] - v[k], -Mul(Add(z_sum, -v_sum), 1 / n, evaluate=False)),
                    1 / n,
                    evaluate=False,
                ),
                "collect: $(z_k - v_k - (\\sum_j z_j - \\sum_j v_j)/n)/n$, which is"
                " $(z_k - v_k)/n$ for zero-mean logits, $\\sum_j z_j = \\sum_j v_j = 0$",
            ),
        ),
        remarks=(
            "The paper's eq. (4) (Hinton, Vinyals & Dean 2015, section 2.1): with zero-mean"
            " logits, $\\partial C / \\partial z_k \\approx (z_k - v_k)/(N T^2)$ at high"
            " temperature ($N = n$ classes). What is proved here, and is ours, is its exact form"
            " as a limit for any logits:"
            " $T^2 \\, \\partial C / \\partial z_k \\to ((z_k - \\bar z) - (v_k - \\bar v))/n$"
            " with the means $\\bar z = \\sum_j z_j / n$ and $\\bar v = \\sum_j v_j / n$."
            " The last line's $(z_k - v_k)/n$ for zero-mean logits is the paper's statement,"
            " and the reason the soft loss is multiplied by $T^2$. The paper's eq. (3), the"
            " expansion $e^x \\approx 1 + x$, is the step that takes the limits of the"
            " difference quotients; with the order of its error it is"
            " distillation-high-temperature.",
            "The zero means are not a fact divsym can state about the data, so the last line"
            " keeps the means; setting them to 0 is substitution, not a proof step.",
        ),
    )


def linearised_softmax(logits: IndexedBase, dummy: Symbol, temperature: Expr) -> Expr:
    """``(1 + w_k/T) / (n + Σ_j w_j/T)``: the softmax ``q_k`` with ``e^x ≈ 1 + x`` in every
    exponential, as in the paper's eq. (3)."""
    return (1 + logits[k] / temperature) / (n + Sum(logits[dummy], (dummy, 1, n)) / temperature)


def _second_order_quotient(logits: IndexedBase, dummy: Symbol) -> Expr:
    """``(e^{w_k u}(1 + w_j u) − (1 + w_k u) e^{w_j u})/u²``, which tends to ``(w_k² − w_j²)/2``."""
    return (
        exp(logits[k] * u) * (1 + logits[dummy] * u) - (1 + logits[k] * u) * exp(logits[dummy] * u)
    ) / u**2


def _softmax_minus_linearised(logits: IndexedBase, dummy: Symbol) -> Expr:
    """``q_k − A_k`` at ``T = 1/u`` as one Sum over one denominator, divided by ``u²``."""
    return Sum(_second_order_quotient(logits, dummy), (dummy, 1, n)) / (
        Sum(exp(logits[dummy] * u), (dummy, 1, n)) * Sum(1 + logits[dummy] * u, (dummy, 1, n))
    )


def distillation_high_temperature() -> Derivation:
    """``∂C/∂z_k − (1/T)(A_k − B_k) = O(1/T³)``: the paper's eq. (3) with its error's order.

    ``A_k`` and ``B_k`` are the student's and the teacher's softmax with ``e^x ≈ 1 + x``; the
    order is stated as the finite limit of ``T³`` times the difference, found exactly.
    """
    z_norm = Sum(exp(z[j] * u), (j, 1, n))
    v_norm = Sum(exp(v[_l] * u), (_l, 1, n))
    z_linear = (1 + z[k] * u) / (n + u * Sum(z[j], (j, 1, n)))
    v_linear = (1 + v[k] * u) / (n + u * Sum(v[_l], (_l, 1, n)))
    approximation = Mul(
        Add(linearised_softmax(z, j, T), -linearised_softmax(v, _l, T)), 1 / T, evaluate=False
    )
    gradient = Mul(Add(_q(k), -TeacherProbability(v, T, k)), 1 / T, evaluate=False)

    def at_zero(e: Expr) -> Limit:
        return Limit(e, u, 0, "+")

    def value(logits: IndexedBase, dummy: Symbol) -> Expr:
        return (
            Sum((logits[k] ** 2 - logits[dummy] ** 2) / 2, (dummy, 1, n))
            / Sum(1, (dummy, 1, n)) ** 2
        )

    z_squares, v_squares = Sum(z[j] ** 2, (j, 1, n)), Sum(v[_l] ** 2, (_l, 1, n))
    return Derivation(
        id="distillation-high-temperature",
        title="At high temperature ∂C/∂z_k = (A_k − B_k)/T + O(1/T³), with e^x ≈ 1 + x",
        section="distillation",
        context=_context(normalised=False),
        steps=(
            Step(
                Limit(Mul(T**3, Add(gradient, -approximation), evaluate=False), T, oo),
                "$\\partial C / \\partial z_k = (q_k - p_k)/T$ (the paper's eq. (2), proved in"
                " distillation-gradient-softmax-teacher) minus its high-temperature"
                " approximation $(A_k - B_k)/T$, the paper's eq. (3), with"
                " $A_k = (1 + z_k/T)/(n + \\sum_j z_j/T)$ and $B_k$ the same for the teacher's"
                " logits $v$; the error is $O(1/T^3)$ when $T^3$ times it has a finite limit as"
                " $T \\to \\infty$",
            ),
            Step(
                at_zero(
                    (exp(z[k] * u) / z_norm - z_linear) / u**2
                    - (exp(v[k] * u) / v_norm - v_linear) / u**2
                ),
                "eq. {eq:softmax} for $q_k$ and $p_k$; substitute $u = 1/T$: $T \\to \\infty$ is"
                " $u \\to 0^+$, and $T^3 \\cdot (1/T) = 1/u^2$",
                rules=(unfold_definitions, reciprocal_temperature),
            ),
            Step(
                at_zero(_softmax_minus_linearised(z, j) - _softmax_minus_linearised(v, _l)),
                "$n + u \\sum_j z_j = \\sum_j (1 + z_j u)$; then over one denominator,"
                " $\\exp(z_k u) / \\sum_j \\exp(z_j u) - (1 + z_k u) / \\sum_j (1 + z_j u)"
                " = \\sum_j (\\exp(z_k u) (1 + z_j u) - (1 + z_k u) \\exp(z_j u))"
                " / (\\sum_j \\exp(z_j u) \\cdot \\sum_j (1 + z_j u))$, and the same for $v$",
                rules=(absorb_count, quotients_over_one_sum),
            ),
            Step(
                value(z, j) - value(v, _l),
                "limits of a difference, a quotient and of sums of $n$ terms ($n$ does not"
                " depend on $u$): by Taylor's theorem"
                " $\\exp(au) (1 + bu) - (1 + au) \\exp(bu) = (a^2 - b^2) u^2 / 2 + O(u^3)$, so each"
                " term's limit is $(a^2 - b^2)/2$; $\\exp(z_j u) \\to 1$ and $1 + z_j u \\to 1$, so"
                " each denominator tends to $n^2 \\neq 0$",
                rules=(limit_of_difference_quotients, evaluate_limits),
            ),
            Step(
                (z[k] ** 2 - v[k] ** 2) / (2 * n) - (z_squares - v_squares) / (2 * n**2),
                "split the sums; $\\sum_j z_k^2 = n z_k^2$ and $\\sum_j 1 = n$",
                rules=(expand_summands, split_sums, pull_constants, sum_of_constant),
            ),
        ),
        remarks=(
            "The paper's eq. (3) (Hinton, Vinyals & Dean 2015, section 2.1) is the"
            " approximation subtracted in the starting expression,"
            " $\\partial C / \\partial z_k \\approx (1/T) \\bigl((1 + z_k/T) / (N + \\sum_j z_j/T)"
            " - (1 + v_k/T) / (N + \\sum_j v_j/T)\\bigr)$"
            " for $T$ large compared with the logits, by $e^x \\approx 1 + x$ ($N = n$"
            " classes). Everything else is ours: the paper states eq. (3) with $\\approx$ and no"
            " order. Here the order is proved: $T^3$ times the error tends to the finite value"
            " $c_k$ of the last line, so"
            " $\\partial C / \\partial z_k = (A_k - B_k)/T + c_k/T^3 + o(1/T^3)$ with"
            " $c_k = (z_k^2 - v_k^2)/(2n) - (\\sum_j z_j^2 - \\sum_j v_j^2)/(2n^2)$.",
            "The order is not better than $1/T^3$: $c_k$ is not 0 in general ($z = (1, 0,"
            " \\dots, 0)$ and $v = 0$ give $c_1 = (n - 1)/(2n^2)$). The starting expression"
            " begins with the paper's eq. (2), which distillation-gradient-softmax-teacher"
            " proves, because the numeric backstop cannot take a derivative inside a limit"
            " at $T = 10^{120}$.",
            "The error is a difference of second order: at $1/T = 10^{-120}$, where the numeric"
            " backstop evaluates a limit, $q_k - A_k$ is about $10^{-240}$, so the backstop"
            " checks the first three steps with 350 working digits (it raises its digits until"
            " the values stop changing).",
        ),
    )


#: The weight of the soft loss in the paper's weighted average: a real number in ``[0, 1]``.
alpha = Symbol("alpha", real=True)


def _weighted(soft: Expr, hard: Expr) -> Expr:
    """``α soft + (1 − α) hard``, kept as written."""
    return Add(
        Mul(alpha, soft, evaluate=False), Mul(1 - alpha, hard, evaluate=False), evaluate=False
    )


def distillation_weighted_gradient() -> Derivation:
    """``∂L/∂z_k = α T (q_k − p_k) + (1 − α)(q⁽¹⁾_k − δ_ky)`` for ``L = α T² C + (1 − α) H``.

    ``C`` is the soft-target loss at temperature ``T`` and ``H = −log q⁽¹⁾_y`` the hard-label
    loss at ``T = 1``: the loss of :func:`divsym.distillation_loss` with labels, whose gradient
    :func:`divsym.distillation_loss_grad` evaluates. The last line joins the last lines of
    ``distillation-temperature-squared`` and ``hard-label-gradient``.
    """
    delta = KroneckerDelta
    squared = T**2
    normaliser = Sum(exp(z[j]), (j, 1, n))

    def weighted(soft: Expr, hard: Expr) -> Expr:
        return _weighted(Mul(squared, soft, evaluate=False), hard)

    def soft_sum(summand: Expr) -> Expr:
        return -Sum(p[i] * summand, (i, 1, n))

    return Derivation(
        id="distillation-weighted-gradient",
        title="The gradient of the weighted loss α T² C + (1 − α) H",
        section="distillation",
        context=Context(
            distributions=(p,), labels=(label,), indices=(k,), ranges={alpha: (0.0, 1.0)}
        ),
        steps=(
            Step(
                Derivative(
                    weighted(soft_loss(_data_target), -log(SoftmaxProbability(z, 1, label))),
                    z[k],
                ),
                "the paper's weighted average of the soft-target loss"
                " $C = -\\sum_i p_i \\log q_i$ at temperature $T$, multiplied by $T^2$, and the"
                " hard-label loss $H = -\\log q^{(1)}_y$ at temperature 1, with the weight"
                " $\\alpha$, $0 \\leq \\alpha \\leq 1$, on the soft loss; differentiated with"
                " respect to the student's logit $z_k$",
            ),
            Step(
                Derivative(
                    weighted(soft_sum(log(_e(i) / _STUDENT)), -log(exp(z[label]) / normaliser)),
                    z[k],
                ),
                "eq. {eq:softmax}: $q_i = \\exp(z_i/T) / \\sum_j \\exp(z_j/T)$ and, at $T = 1$,"
                " $q^{(1)}_y = \\exp(z_y) / \\sum_j \\exp(z_j)$",
                rules=(unfold_definitions,),
            ),
            Step(
                Derivative(
                    weighted(soft_sum(z[i] / T - log(_STUDENT)), log(normaliser) - z[label]),
                    z[k],
                ),
                "$\\log q_i = z_i/T - \\log \\sum_j \\exp(z_j/T)$ and"
                " $\\log q^{(1)}_y = z_y - \\log \\sum_j \\exp(z_j)$: the log of a quotient of"
                " positive numbers",
                rules=(expand_logs,),
            ),
            Step(
                weighted(
                    soft_sum(
                        delta(i, k) / T - Sum(delta(j, k) * _e(j), (j, 1, n)) / (T * _STUDENT)
                    ),
                    Sum(delta(j, k) * exp(z[j]), (j, 1, n)) / normaliser - delta(label, k),
                ),
                "differentiate term by term ($\\alpha$ and $T$ do not depend on the logits):"
                " $\\partial z_i / \\partial z_k = \\delta_{ik}$,"
                " $\\partial z_y / \\partial z_k = \\delta_{yk}$; by the chain rule the"
                " derivative of $\\log \\sum_j \\exp(z_j/T)$ with respect to $z_k$ is"
                " $\\sum_j \\delta_{jk} \\exp(z_j/T) / (T \\sum_j \\exp(z_j/T))$, and that of"
                " $\\log \\sum_j \\exp(z_j)$ is"
                " $\\sum_j \\delta_{jk} \\exp(z_j) / \\sum_j \\exp(z_j)$;"
                " the targets $p_i$ do not depend on the student's logits",
                rules=(differentiate,),
            ),
            Step(
                weighted(
                    soft_sum(delta(i, k) / T - _e(k) / (T * _STUDENT)),
                    exp(z[k]) / normaliser - delta(label, k),
                ),
                "only the term $j = k$ survives each sum over $j$ ($k$ is a class,"
                " $1 \\leq k \\leq n$)",
                rules=(collapse_kronecker_sums,),
            ),
            Step(
                weighted(
                    Add(-p[k] / T, _e(k) / (T * _STUDENT), evaluate=False),
                    exp(z[k]) / normaliser - delta(label, k),
                ),
                "split the sum over $i$ and pull out"
                " $\\exp(z_k/T) / (T \\sum_j \\exp(z_j/T))$, which does not depend on $i$; only"
                " the term $i = k$ survives $\\sum_i p_i \\delta_{ik}$; the soft targets are a"
                " distribution, $\\sum_i p_i = 1$",
                rules=_SUM_OUT_TARGETS,
            ),
            Step(
                _weighted(
                    Mul(T, Add(_q(k), -p[k]), evaluate=False),
                    Add(SoftmaxProbability(z, 1, k), -delta(k, label), evaluate=False),
                ),
                "eq. {eq:softmax} for $q_k$ and, at $T = 1$, for $q^{(1)}_k$;"
                " $T^2 (q_k - p_k)/T = T (q_k - p_k)$",
            ),
        ),
        remarks=(
            "The paper's weighted average of two objective functions (Hinton, Vinyals & Dean"
            " 2015, section 2): the cross-entropy with the soft targets, computed at the"
            " temperature $T$ and multiplied by $T^2$ so that its gradients keep their"
            " magnitude as $T$ changes (distillation-temperature-squared), and the"
            " cross-entropy with the correct labels at temperature 1 (hard-label-gradient)."
            " The paper names no weight and puts a considerably lower one on the hard"
            " targets; here $\\alpha$ weights the soft loss. The derivation is ours.",
            "The last line is the gradient that divsym's"
            " $\\texttt{distillation\\_loss\\_grad}$ evaluates for the loss of"
            " $\\texttt{distillation\\_loss}$ with labels (by default with $T^2$), with"
            " $q = \\operatorname{softmax}(z/T)$, $p$ the teacher's softmax at $T$ and"
            " $q^{(1)} = \\operatorname{softmax}(z)$.",
        ),
    )
