"""Beyond the lecture: the soft distillation loss in logit space, accurate for close logits.

``distillation_loss`` needs ``KL(P ‖ Q)`` with ``p = softmax(v/T)`` (teacher) and
``q = softmax(z/T)`` (student). Formed from the two probability vectors it loses accuracy when
the logits are close: ``q_i − p_i`` is then a difference of two rounded numbers. In terms of
the scaled logit differences ``δ_i = (z_i − v_i)/T`` the student's softmax is
``q_i = p_i e^{δ_i} / Σ_j p_j e^{δ_j}`` (eq. (1) of both, divided), and

- ``c = log Σ_j p_j e^{δ_j} = m + log(1 + Σ_j p_j (e^{δ_j − m} − 1))`` for every real shift
  ``m`` (``Σ p = 1``), evaluated as ``m + log1p(Σ p expm1(δ − m))`` with ``m`` the ``δ`` of the
  teacher's top class: a small sum of small terms when the logits are close;
- ``d_i = δ_i − c = log q_i − log p_i``, and since ``Σ_i p_i e^{d_i} = Σ_i q_i = 1``,
  ``KL(P ‖ Q) = −Σ_i p_i d_i = Σ_i p_i (e^{d_i} − 1 − d_i)``, a sum of nonnegative terms.

Derivation ``kl-logit-stable-form`` proves this chain; the code generator prints its last line
(with ``δ_i = (z_i − v_i)/T``) as ``kl_logits`` (see :mod:`divsym.codegen.forms`). The
gradient ``(q_k − p_k)/T`` (the paper's eq. (2)) cancels in the same way; derivation
``soft-gradient-logit-form`` writes it as ``p_k (e^{δ_k − m} − 1 − S)/(T (1 + S))`` with
``S = Σ_j p_j (e^{δ_j − m} − 1)``, a difference of two small numbers computed from ``δ``.
"""

from __future__ import annotations

from sympy import Add, Expr, Mul, Sum, exp, log

from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Step
from divsym.kernel.rules import (
    expand_logs,
    expand_summands,
    impose_normalisation,
    pull_constants,
    split_sums,
)
from divsym.kernel.stable_rules import (
    combine_exponentials,
    fold_expm1_minus_x,
    shift_exponentials,
)
from divsym.symbols.notation import T, i, j, k, n, p
from divsym.symbols.stable import DELTA, SHIFT, Expm1MinusX

__all__ = [
    "kl_logit_stable_form",
    "log_normaliser_ratio",
    "soft_gradient_logit_form",
    "student_from_teacher",
]

#: Sampling range of ``δ`` and ``m`` for the 50-digit backstop: ``1 + Σ p (e^{δ−m} − 1)`` is
#: ``Σ p e^{δ−m}``, which 50 digits resolve only while ``|δ − m|`` stays far below 115.
_RANGE = (-20.0, 20.0)


def student_from_teacher(index: Expr) -> Expr:
    """``q_index = p_index e^{δ_index} / Σ_j p_j e^{δ_j}``: the student's softmax written with
    the teacher's (``e^{z/T} = e^{v/T} e^{δ}``, eq. (1) divided by ``Σ_l e^{v_l/T}``)."""
    return p[index] * exp(DELTA[index]) / Sum(p[j] * exp(DELTA[j]), (j, 1, n))


def log_normaliser_ratio() -> Expr:
    """``c = m + log(1 + Σ_j p_j (e^{δ_j − m} − 1))`` (``= log Σ_j p_j e^{δ_j}`` for ``Σp = 1``)."""
    return SHIFT + log(1 + Sum(p[j] * (exp(DELTA[j] - SHIFT) - 1), (j, 1, n)))


def kl_logit_stable_form() -> Derivation:
    """``KL(P ‖ Q) = Σ_i p_i (e^{d_i} − 1 − d_i)``, ``d_i = δ_i − c``, from the scaled logit
    differences ``δ_i = (z_i − v_i)/T`` and the teacher's probabilities ``p``."""
    total = Sum(p[j] * exp(DELTA[j]), (j, 1, n))
    shifted = Sum(p[j] * exp(DELTA[j] - SHIFT), (j, 1, n))
    mean_delta = Sum(p[i] * DELTA[i], (i, 1, n))
    c = log_normaliser_ratio()
    d = DELTA[i] - c
    return Derivation(
        id="kl-logit-stable-form",
        title="The soft distillation loss D_KL(P ‖ Q) in logit space, as nonnegative terms",
        section="distillation",
        context=Context(distributions=(p,), ranges={SHIFT: _RANGE, DELTA: _RANGE}),
        remarks=(
            "Ours, not the paper's: the form divsym evaluates for the distillation loss. With"
            " $p = \\operatorname{softmax}(v/T)$ and $q = \\operatorname{softmax}(z/T)$"
            " (eq. {eq:softmax}), $q_i = p_i \\exp(\\delta_i) / \\sum_j p_j \\exp(\\delta_j)$"
            " for $\\delta_i = (z_i - v_i)/T$ (the starting expression); every line after it"
            " holds for any normalised $p$ and real $\\delta$.",
            "divsym evaluates the last line with $m$ the $\\delta$ of the teacher's most"
            " probable class, $\\log(1 + x)$ as log1p and $\\exp(x) - 1$ as expm1: for close"
            " logits every $\\delta_j - m$ is small, the sum is a small number computed from"
            " small terms, and each $p_i (\\exp(d_i) - 1 - d_i) \\geq 0$ is evaluated by a"
            " series in $d_i$ (no cancellation).",
            "The backstop samples $\\delta$ and $m$ in $[-20, 20]$: the identity holds for"
            " every real value, but $1 + \\sum_j p_j (\\exp(\\delta_j - m) - 1)"
            " = \\sum_j p_j \\exp(\\delta_j - m)$ cancels to 0 at 50 digits once"
            " $\\delta_j - m$ is below about $-115$.",
        ),
        steps=(
            Step(
                Sum(p[i] * log(p[i] / student_from_teacher(i)), (i, 1, n)),
                "$D_{\\mathrm{KL}}(P \\parallel Q) = \\sum_i p_i \\log(p_i/q_i)$ (eq. {eq:kl})"
                " with the student's softmax written with the teacher's:"
                " $q_i = p_i \\exp(\\delta_i) / \\sum_j p_j \\exp(\\delta_j)$",
            ),
            Step(
                Sum(p[i] * (log(total) - DELTA[i]), (i, 1, n)),
                "$\\log(p_i / q_i) = \\log \\sum_j p_j \\exp(\\delta_j) - \\delta_i$: the log"
                " of a quotient of positive numbers",
                rules=(expand_logs,),
            ),
            Step(
                log(total) - mean_delta,
                "split the sum; $\\log \\sum_j p_j \\exp(\\delta_j)$ does not depend on $i$,"
                " and $\\sum_i p_i = 1$",
                rules=(expand_summands, split_sums, pull_constants, impose_normalisation),
            ),
            Step(
                log(Mul(exp(SHIFT), shifted, evaluate=False)) - mean_delta,
                "$\\exp(\\delta_j) = \\exp(m) \\exp(\\delta_j - m)$ for a real shift $m$;"
                " $\\exp(m)$ does not depend on $j$",
                rules=(shift_exponentials, pull_constants),
            ),
            Step(
                SHIFT + log(shifted) - mean_delta,
                "$\\log(\\exp(m)\\, x) = m + \\log x$ for $x > 0$",
                rules=(expand_logs,),
            ),
            Step(
                c - mean_delta,
                "$\\sum_j p_j \\exp(\\delta_j - m) = 1 + \\sum_j p_j (\\exp(\\delta_j - m) - 1)$"
                " because $\\sum_j p_j = 1$; call the result $c$"
                " (so $c = \\log \\sum_j p_j \\exp(\\delta_j)$)",
            ),
            Step(
                Sum(p[i] * (exp(d, evaluate=False) - 1 - d), (i, 1, n)),
                "add $\\sum_i p_i \\exp(\\delta_i - c) - \\sum_i p_i = \\exp(-c) \\sum_i p_i"
                " \\exp(\\delta_i) - 1 = 0$; with $d_i = \\delta_i - c = \\log q_i - \\log p_i$",
            ),
            Step(
                Sum(p[i] * Expm1MinusX(d), (i, 1, n)),
                "$\\exp(d) - 1 - d \\geq 0$ is one term: $r - 1 - \\log r$ at $r = \\exp(d)$"
                " (derivation gibbs-lemma)",
                rules=(fold_expm1_minus_x,),
            ),
        ),
    )


def soft_gradient_logit_form() -> Derivation:
    """``(q_k − p_k)/T = p_k (e^{δ_k − m} − 1 − S) / (T (1 + S))``,
    ``S = Σ_j p_j (e^{δ_j − m} − 1)``: the soft-target gradient from the logit differences."""
    shifted = Sum(p[j] * exp(DELTA[j] - SHIFT), (j, 1, n))
    excess = Sum(p[j] * (exp(DELTA[j] - SHIFT) - 1), (j, 1, n))
    inverse_t = 1 / T
    return Derivation(
        id="soft-gradient-logit-form",
        title="The soft-target gradient (q_k − p_k)/T in logit space",
        section="distillation",
        context=Context(distributions=(p,), indices=(k,), ranges={SHIFT: _RANGE, DELTA: _RANGE}),
        remarks=(
            "Ours, not the paper's: the starting expression is the paper's eq. (2),"
            " $(q_k - p_k)/T$ (derivation distillation-gradient), with"
            " $q_k = p_k \\exp(\\delta_k) / \\sum_j p_j \\exp(\\delta_j)$ for"
            " $\\delta_i = (z_i - v_i)/T$ as in kl-logit-stable-form.",
            "divsym evaluates the last line with $m$ the $\\delta$ of the teacher's most"
            " probable class and $\\exp(x) - 1$ as expm1: for close logits"
            " $\\exp(\\delta_k - m) - 1$ and $S$ are small numbers computed from $\\delta$,"
            " and their difference is $q_k/p_k - 1$ to a few roundings of $\\delta$, where"
            " $q_k - p_k$ formed from two probabilities loses every digit they share.",
        ),
        steps=(
            Step(
                Mul(Add(student_from_teacher(k), -p[k]), inverse_t, evaluate=False),
                "the paper's eq. (2), $(q_k - p_k)/T$, with"
                " $q_k = p_k \\exp(\\delta_k) / \\sum_j p_j \\exp(\\delta_j)$",
            ),
            Step(
                Mul(
                    Add(
                        Mul(p[k], exp(DELTA[k]), exp(-SHIFT), 1 / shifted, evaluate=False),
                        -p[k],
                    ),
                    inverse_t,
                    evaluate=False,
                ),
                "$\\exp(\\delta_j) = \\exp(m) \\exp(\\delta_j - m)$ for a real shift $m$;"
                " $\\exp(m)$ does not depend on $j$",
                rules=(shift_exponentials, pull_constants),
            ),
            Step(
                Mul(Add(p[k] * exp(DELTA[k] - SHIFT) / shifted, -p[k]), inverse_t, evaluate=False),
                "$\\exp(\\delta_k) \\exp(-m) = \\exp(\\delta_k - m)$",
                rules=(combine_exponentials,),
            ),
            Step(
                Mul(
                    Add(p[k] * exp(DELTA[k] - SHIFT) / (1 + excess), -p[k]),
                    inverse_t,
                    evaluate=False,
                ),
                "$\\sum_j p_j \\exp(\\delta_j - m) = 1 + S$ with"
                " $S = \\sum_j p_j (\\exp(\\delta_j - m) - 1)$, because $\\sum_j p_j = 1$",
            ),
            Step(
                p[k] * (exp(DELTA[k] - SHIFT) - 1 - excess) / (T * (1 + excess)),
                "one fraction: $\\exp(\\delta_k - m)/(1 + S) - 1"
                " = (\\exp(\\delta_k - m) - 1 - S)/(1 + S)$",
            ),
        ),
    )
