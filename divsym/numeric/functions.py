"""The public array functions, each generated with ``lambdify`` from its definition.

The formulas are not written here: each function is ``generate(definition)``, validated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sympy import Symbol

from divsym import definitions
from divsym.notation import p, q
from divsym.numeric.codegen import generate
from divsym.numeric.validation import as_probabilities, broadcast

__all__ = ["cross_entropy", "entropy", "kl_divergence"]

_P, _Q = Symbol("p"), Symbol("q")

_entropy = generate(definitions.entropy(p), {p: _P})
_cross_entropy = generate(definitions.cross_entropy(p, q), {p: _P, q: _Q})
_kl_divergence = generate(definitions.kl_divergence(p, q), {p: _P, q: _Q})


def _pair(p: ArrayLike, q: ArrayLike, axis: int) -> tuple[NDArray[Any], NDArray[Any]]:
    return broadcast(("p", "q"), as_probabilities("p", p, axis), as_probabilities("q", q, axis))


def entropy(p: ArrayLike, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Entropy ``H(P) = -Σ_i p_i log p_i`` in nats, over ``axis``; ``0·log 0 = 0``.

    >>> float(entropy([0.5, 0.5]))  # log 2
    0.6931471805599453
    """
    return np.asarray(_entropy(as_probabilities("p", p, axis), axis))


def cross_entropy(p: ArrayLike, q: ArrayLike, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Cross-entropy ``H(P, Q) = -Σ_i p_i log q_i`` in nats, over ``axis``.

    >>> float(cross_entropy([1.0, 0.0], [0.5, 0.5]))  # log 2
    0.6931471805599453
    """
    return np.asarray(_cross_entropy(*_pair(p, q, axis), axis))


def kl_divergence(p: ArrayLike, q: ArrayLike, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""KL divergence ``D_KL(P ‖ Q) = Σ_i p_i log(p_i/q_i)`` in nats.

    ``+inf`` where ``q_i = 0 < p_i``; ``0·log(0/q) = 0``.


    >>> float(kl_divergence([0.5, 0.5], [0.5, 0.5]))
    0.0
    """
    return np.asarray(_kl_divergence(*_pair(p, q, axis), axis))
