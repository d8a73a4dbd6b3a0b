"""The adversarial suite of :mod:`divsym.testing`: inputs on which naive implementations of
softmax, KL, Jensen–Shannon, cross-entropy and the distillation loss lose accuracy.

Each case is built deterministically (a fixed seed), in float64, so that its reference is
computed once and every run compares the same numbers. The kinds of trouble:

- close distributions (``q = softmax(z + ε·noise)``, ε = 1e-4 and 1e-8): KL and JSD are tiny
  differences, ``CE − H`` or ``Σ rel_entr`` cancel;
- near one-hot (``1 − 1e-12`` and eleven entries of 1e-13);
- subnormal entries (``softmax([0, −740])``: 1e-322 next to 1);
- large logits (``±1000``: ``exp`` overflows without the shift);
- tiny temperature (``T = 1e-3`` over logits 1e-2 apart);
- many classes (2 000 to 20 000).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CALLS", "CASES", "Case"]


@dataclass(frozen=True)
class Case:
    """One input of the suite: a name to quote, the positional arguments, what it tests."""

    name: str
    args: tuple[Any, ...]
    about: str


def _softmax(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """The float64 probabilities of logits (shifted by the max; only builds inputs)."""
    e = np.exp(z - z.max())
    return e / e.sum()  # type: ignore[no-any-return]


def _rng() -> np.random.Generator:
    return np.random.default_rng(20150309)  # fixed: the suite is the same on every run


#: Entries of the close pairs are integers over 2^52: exact floats that sum to exactly 1, so
#: that the definition Σ p log(p/q) and any form using Σp = Σq = 1 agree to the last digit.
_GRID = 52


def _exact_pair(
    rng: np.random.Generator, weights: NDArray[np.float64], relative: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(p, q)`` near ``weights`` with ``|q − p| ≈ relative · p``, each summing exactly to 1."""
    scale = 2**_GRID
    p_int = np.floor(weights * scale).astype(np.int64)
    p_int[np.argmax(p_int)] += scale - p_int.sum()
    d_int = np.rint(relative * p_int * rng.normal(size=p_int.size)).astype(np.int64)
    d_int[np.argmax(p_int)] -= d_int.sum()
    q_int = p_int + d_int
    return p_int / scale, q_int / scale


def _pairs() -> list[Case]:
    rng = _rng()
    z = rng.normal(size=10)
    weights = _softmax(z)
    one_hot = np.full(12, 2.0**-43)  # about 1.1e-13, exact
    one_hot[0] = 1.0 - 11 * 2.0**-43
    near = one_hot.copy()
    near[1:] *= 1.5
    near[0] = 1.0 - 16.5 * 2.0**-43
    subnormal = _softmax(np.array([0.0, -740.0]))
    return [
        Case("close-1e-4", _exact_pair(rng, weights, 1e-4), "Q within 1e-4 of P"),
        Case("close-1e-8", _exact_pair(rng, weights, 1e-8), "Q within 1e-8 of P"),
        Case("far", (weights, _softmax(-2 * z)), "unrelated distributions"),
        Case("near-one-hot", (one_hot, near), "1 - 1.2e-12 and entries of 1.1e-13"),
        Case("near-one-hot-vs-uniform", (one_hot, np.full(12, 1 / 12)), "one-hot-like P"),
        Case("subnormal", (subnormal, np.array([0.5, 0.5])), "softmax([0, -740]) vs uniform"),
        Case(
            "many-classes-close",
            _exact_pair(rng, _softmax(rng.normal(size=20_000)), 1e-3),
            "20 000 classes, within 1e-3",
        ),
    ]


def _logits() -> list[Case]:
    rng = _rng()
    return [
        Case("moderate", (rng.normal(size=10), 1.0), "logits of a few units, T = 1"),
        Case("large-logits", (np.array([1000.0, 999.0, -1000.0, 0.0]), 1.0), "exp overflows"),
        Case("tiny-T", (np.array([0.0, 0.01, 0.02, -0.01]), 1e-3), "T = 1e-3"),
        Case("high-T", (rng.normal(size=10) * 5, 100.0), "T = 100: nearly uniform"),
        Case("many-classes", (rng.normal(size=2000) * 3, 1.0), "2 000 classes"),
    ]


def _distillation() -> list[Case]:
    rng = _rng()
    s = rng.normal(size=10)
    noise = rng.normal(size=10)
    wide = rng.normal(size=1000) * 4
    return [
        Case("close-1e-6", (s, s + 1e-6 * noise, 4.0), "student within 1e-6 of the teacher"),
        Case("close-1e-3", (s, s + 1e-3 * noise, 2.0), "student within 1e-3 of the teacher"),
        Case("far", (s, -s, 1.0), "unrelated logits, T = 1"),
        Case("large-logits", (s * 300, s * 290, 4.0), "logits in the hundreds"),
        Case("tiny-T", (s * 0.01, s * 0.0101, 1e-2), "T = 0.01"),
        Case("high-T", (s, noise, 50.0), "T = 50"),
        Case("many-classes", (wide, wide + 0.05 * rng.normal(size=1000), 4.0), "1 000 classes"),
    ]


#: name → the cases its implementation is run on.
CASES: dict[str, list[Case]] = {
    "softmax": _logits(),
    "log_softmax": _logits(),
    "kl_divergence": _pairs(),
    "js_divergence": _pairs(),
    "cross_entropy": _pairs(),
    "distillation_loss": _distillation(),
}

#: name → how the user's function is called, for messages and docs.
CALLS: dict[str, str] = {
    "softmax": "f(z, T) -> probabilities over the last axis",
    "log_softmax": "f(z, T) -> log-probabilities over the last axis",
    "kl_divergence": "f(p, q) -> D_KL(P || Q), a scalar",
    "js_divergence": "f(p, q) -> JSD(P || Q), a scalar",
    "cross_entropy": "f(p, q) -> H(P, Q), a scalar",
    "distillation_loss": "f(student, teacher, T) -> T² KL(softmax(t/T) || softmax(s/T))",
}
