"""Beyond the lecture: the forms divsym evaluates, each proved equal to its definition.

The array functions of :mod:`divsym.numeric` are lambdified from the *last* expression of
these derivations (see :mod:`divsym.numeric.functions`), so the formula that runs is the one
proved here:

- ``softmax-stable-form``: shift every logit by a constant ``c`` before dividing by ``T``;
  evaluated with ``c = max_j z_j``, so no ``exp`` overflows and the largest term is 1;
- ``log-softmax-stable-form``: the same shift inside the log;
- ``kl-nonnegative-terms``: ``D_KL(P ‖ Q) = Σ p_i (r_i − 1 − log r_i)``, ``r_i = q_i/p_i``,
  a sum of nonnegative terms (valid because ``Σp = Σq = 1``), each written
  ``d − log(1 + d)`` with ``d = (q_i − p_i)/p_i`` so that it stays accurate when ``r ≈ 1``;
- ``jsd-stable-form``: the Jensen–Shannon divergence in the mixture coordinates
  ``m = (p + q)/2``, ``t = (q − p)/(q + p)``: ``½ Σ m_i G(t_i)`` with
  ``G(t) = (1 + t) log(1 + t) + (1 − t) log(1 − t) ≥ 0``, one nonnegative term per class.

The rules that fold the last steps (``combine-exponentials``, ``fold-x-minus-log1p``,
``mixture-coordinates``, ``fold-symmetric-xlog1p``) are the
kernel's vetted rules of :mod:`divsym.kernel.stable_rules`.
"""

from __future__ import annotations

from sympy import Expr, Mul, Pow, Rational, Sum, exp, log

from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Step
from divsym.kernel.rules import pull_constants, unfold_definitions
from divsym.kernel.stable_rules import (
    combine_exponentials,
    fold_symmetric_xlog1p,
    fold_x_minus_log1p,
    mixture_coordinates,
)
from divsym.symbols import definitions
from divsym.symbols.notation import T, c, i, j, n, p, q, z
from divsym.symbols.quantities import JSDivergence, KLDivergence
from divsym.symbols.stable import SymmetricXLog1p, XMinusLog1p

__all__ = [
    "jsd_stable_form",
    "kl_nonnegative_terms",
    "log_softmax_stable_form",
    "softmax_stable_form",
]


def _unevaluated_ratio(numerator: Expr, denominator: Expr) -> Expr:
    return Mul(numerator, Pow(denominator, -1, evaluate=False), evaluate=False)


def softmax_stable_form() -> Derivation:
    """``softmax(z, T)_i = exp((z_i − c)/T) / Σ_j exp((z_j − c)/T)`` for every real ``c``."""
    shift = exp(-c / T)
    scaled = Mul(exp(z[i] / T), shift, evaluate=False)
    return Derivation(
        id="softmax-stable-form",
        title="Softmax is evaluated after shifting the logits by their maximum",
        section="stable-forms",
        context=Context(),
        remarks=(
            "divsym evaluates the last line with $c = \\max_j z_j$: every exponent is"
            " $\\leq 0$, the largest term is exactly 1, and $z_i - c$ is formed before the"
            " division by $T$.",
        ),
        steps=(
            Step(definitions.softmax(z, T), "the softmax with temperature, eq. {eq:softmax}"),
            Step(
                _unevaluated_ratio(
                    scaled, Mul(shift, Sum(exp(z[j] / T), (j, 1, n)), evaluate=False)
                ),
                "multiply the numerator and the denominator by $\\exp(-c/T) \\neq 0$",
            ),
            Step(
                _unevaluated_ratio(
                    scaled, Sum(Mul(exp(z[j] / T), shift, evaluate=False), (j, 1, n))
                ),
                "move the constant factor into the sum",
            ),
            Step(
                exp((z[i] - c) / T) / Sum(exp((z[j] - c) / T), (j, 1, n)),
                "$\\exp(a) \\exp(b) = \\exp(a + b)$",
                rules=(combine_exponentials,),
            ),
        ),
    )


def log_softmax_stable_form() -> Derivation:
    """``log softmax(z, T)_i = (z_i − c)/T − log Σ_j exp((z_j − c)/T)`` for every real ``c``."""
    shifted = (z[i] - c) / T
    total = Sum(exp(z[j] / T), (j, 1, n))
    return Derivation(
        id="log-softmax-stable-form",
        title="Log-softmax is evaluated after shifting the logits by their maximum",
        section="stable-forms",
        context=Context(),
        remarks=(
            "divsym evaluates the last line with $c = \\max_j z_j$; the log of the sum, whose"
            " largest term is 1, is evaluated as $\\operatorname{log1p}$ of the sum of the other"
            " terms.",
        ),
        steps=(
            Step(definitions.log_softmax(z, T), "the log of the softmax, eq. {eq:softmax}"),
            Step(z[i] / T - log(total), "$\\log(a/b) = \\log a - \\log b$ and $\\log \\exp x = x$"),
            Step(
                shifted - log(Mul(exp(-c / T), total, evaluate=False)),
                "add and subtract $c/T$, and $c/T = -\\log \\exp(-c/T)$",
            ),
            Step(
                shifted - log(Sum(Mul(exp(z[j] / T), exp(-c / T), evaluate=False), (j, 1, n))),
                "move the constant factor into the sum",
            ),
            Step(
                shifted - log(Sum(exp((z[j] - c) / T), (j, 1, n))),
                "$\\exp(a) \\exp(b) = \\exp(a + b)$",
                rules=(combine_exponentials,),
            ),
        ),
    )


def kl_nonnegative_terms() -> Derivation:
    """``D_KL(P ‖ Q) = Σ p_i (r_i − 1 − log r_i)``, ``r_i = q_i/p_i``, then in ``d = r − 1``."""
    r = q[i] / p[i]
    terms = Sum(p[i] * (r - 1 - log(r)), (i, 1, n))
    return Derivation(
        id="kl-nonnegative-terms",
        title="KL divergence as a sum of nonnegative terms",
        section="stable-forms",
        context=Context(distributions=(p, q)),
        remarks=(
            "Each term $p_i (r_i - 1 - \\log r_i)$ is $\\geq 0$, since $x - 1 - \\log x \\geq 0$,"
            " so no cancellation occurs when $P$ and $Q$ are close; $d - \\log(1 + d)$ is"
            " evaluated by a kernel that is accurate for small $d$. The equality uses"
            " $\\sum_i p_i = \\sum_i q_i = 1$.",
        ),
        steps=(
            Step(KLDivergence(p, q), "the KL divergence of $Q$ from $P$"),
            Step(
                definitions.kl_divergence(p, q),
                "the definition, eq. {eq:kl}:"
                " $D_{\\mathrm{KL}}(P \\parallel Q) = \\sum_i p_i \\log(p_i / q_i)$",
                rules=(unfold_definitions,),
            ),
            Step(
                terms,
                "add $\\sum_i q_i - \\sum_i p_i = 1 - 1 = 0$ and write"
                " $\\log(p_i / q_i) = -\\log r_i$ with $r_i = q_i / p_i$",
            ),
            Step(
                Sum(p[i] * XMinusLog1p((q[i] - p[i]) / p[i]), (i, 1, n)),
                "with $d_i = r_i - 1 = (q_i - p_i) / p_i$:"
                " $r_i - 1 - \\log r_i = d_i - \\log(1 + d_i)$",
                rules=(fold_x_minus_log1p,),
            ),
        ),
    )


def _mixture_terms(index: Expr) -> tuple[Expr, Expr]:
    """``m_i = (p_i + q_i)/2`` and ``t_i = (q_i − p_i)/(q_i + p_i)``, as ``mixture-coordinates``
    writes them."""
    return (p[index] + q[index]) / 2, (q[index] - p[index]) / (q[index] + p[index])


def jsd_stable_form() -> Derivation:
    """``JSD = ½ Σ m_i G(t_i)``, ``G(t) = (1 + t) log(1 + t) + (1 − t) log(1 − t)``, in the
    mixture coordinates ``m = (p + q)/2``, ``t = (q − p)/(q + p)``."""
    m, t = _mixture_terms(i)
    half = Rational(1, 2)
    return Derivation(
        id="jsd-stable-form",
        title="Jensen–Shannon divergence as a sum of nonnegative terms in p and q",
        section="stable-forms",
        context=Context(distributions=(p, q)),
        remarks=(
            "Every step is an identity class by class, so the last line equals the definition"
            " even for unnormalised inputs. The bracket is $G(t_i)$ with"
            " $G(t) = (1 + t) \\log(1 + t) + (1 - t) \\log(1 - t)"
            " = \\sum_{k \\geq 1} \\frac{t^{2k}}{k (2k - 1)} \\geq 0$ for $|t| < 1$, a series"
            " of positive terms: divsym evaluates $m_i G(t_i)$ from $p_i$ and $q_i$ (with"
            " $q_i - p_i$ one exact subtraction when $P$ and $Q$ are close) by that series for"
            " $|t_i| < 0.2$, so the terms neither cancel nor lose digits.",
        ),
        steps=(
            Step(JSDivergence(p, q), "the Jensen–Shannon divergence"),
            Step(
                definitions.js_divergence(p, q),
                "the definition, eq. {eq:jsd}: $\\frac{1}{2} D_{\\mathrm{KL}}(P \\parallel M)"
                " + \\frac{1}{2} D_{\\mathrm{KL}}(Q \\parallel M)$ with $M = (P + Q)/2$,"
                " as one sum",
                rules=(unfold_definitions,),
            ),
            Step(
                Sum(
                    half * m * (1 - t) * log(1 - t) + half * m * (1 + t) * log(1 + t),
                    (i, 1, n),
                ),
                "with $m_i = (p_i + q_i)/2$ and $t_i = (q_i - p_i)/(q_i + p_i)$:"
                " $p_i = m_i (1 - t_i)$, $q_i = m_i (1 + t_i)$, so"
                " $p_i / m_i = 1 - t_i$ and $q_i / m_i = 1 + t_i$",
                rules=(mixture_coordinates,),
            ),
            Step(
                half * Sum(m * SymmetricXLog1p(t), (i, 1, n)),
                "collect the two terms of each class, and take the constant factor out of the sum",
                rules=(fold_symmetric_xlog1p, pull_constants),
            ),
        ),
    )
