"""The lecture's formulas, each written once.

Everything else — the named quantities' ``doit()``, the derivations, the generated NumPy
functions, the mpmath references and the LaTeX — is produced from these expressions.
"""

from __future__ import annotations

from sympy import Expr, IndexedBase, Rational, Sum, Symbol, exp, log, sqrt

from divsym.symbols.notation import i, j, n

__all__ = [
    "cross_entropy",
    "entropy",
    "information",
    "js_distance",
    "js_divergence",
    "kl_divergence",
    "log_softmax",
    "nll",
    "softmax",
]


def softmax(
    z: IndexedBase, T: Expr, index: Symbol = i, classes: Expr = n, dummy: Symbol = j
) -> Expr:
    """Lecture eq. (1): ``q_i = exp(z_i/T) / Σ_j exp(z_j/T)``."""
    return exp(z[index] / T) / Sum(exp(z[dummy] / T), (dummy, 1, classes))


def log_softmax(
    z: IndexedBase, T: Expr, index: Symbol = i, classes: Expr = n, dummy: Symbol = j
) -> Expr:
    """The log of eq. (1): ``log q_i = log(exp(z_i/T) / Σ_j exp(z_j/T))``."""
    return log(softmax(z, T, index, classes, dummy))


def nll(q: IndexedBase, label: Symbol) -> Expr:
    """Negative log-likelihood of one data point: ``-log q_y`` at its label ``y``."""
    return -log(q[label])


def information(probability: Expr, base: Expr | None = None) -> Expr:
    """Information of an event, ``I(E) = -log p(E)``; the lecture writes ``log_2``."""
    if base is None:
        return -log(probability)
    return -log(probability) / log(base)


def entropy(p: IndexedBase, classes: Expr = n, index: Symbol = i) -> Expr:
    """``H(P) = -Σ_i p_i log p_i``."""
    return -Sum(p[index] * log(p[index]), (index, 1, classes))


def cross_entropy(p: IndexedBase, q: IndexedBase, classes: Expr = n, index: Symbol = i) -> Expr:
    """``H(P, Q) = -Σ_i p_i log q_i``."""
    return -Sum(p[index] * log(q[index]), (index, 1, classes))


def kl_divergence(p: IndexedBase, q: IndexedBase, classes: Expr = n, index: Symbol = i) -> Expr:
    """``D_KL(P ‖ Q) = Σ_i p_i log(p_i / q_i)``."""
    return Sum(p[index] * log(p[index] / q[index]), (index, 1, classes))


def js_divergence(p: IndexedBase, q: IndexedBase, classes: Expr = n, index: Symbol = i) -> Expr:
    """``JSD(P ‖ Q) = ½ D_KL(P ‖ M) + ½ D_KL(Q ‖ M)`` with ``M = (P + Q)/2``, as one Sum."""
    half = Rational(1, 2)
    m = (p[index] + q[index]) / 2
    return Sum(
        half * p[index] * log(p[index] / m) + half * q[index] * log(q[index] / m),
        (index, 1, classes),
    )


def js_distance(p: IndexedBase, q: IndexedBase, classes: Expr = n, index: Symbol = i) -> Expr:
    """Jensen–Shannon distance ``√JSD(P ‖ Q)``, what SciPy's ``jensenshannon`` returns."""
    return sqrt(js_divergence(p, q, classes, index))
