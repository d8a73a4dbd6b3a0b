"""The lecture's notation: the one public module for writing your own derivation.

Everything a derivation is written in lives here — the symbols with the lecture's assumptions,
the named quantities and the lecture's formulas:

>>> from divsym.symbols import H, KLDivergence, n, p, q
>>> H(p), H(p, q), KLDivergence(p, q)
(H(P), H(P, Q), D_KL(P || Q))

==============================  ==============================================================
``n``, ``i``, ``j``, ``k``      number of classes (positive integer) and class indices ``1..n``
``p``, ``q``                    distributions ``P`` (data) and ``Q`` (model): positive entries
``z``, ``v``, ``T``, ``c``      logits, teacher logits, temperature ``T > 0``, a real constant
``theta``                       the model's parameter ``θ``
``Entropy``, ``CrossEntropy``   ``H(P)``, ``H(P, Q)``; ``H(p)`` / ``H(p, q)`` builds either one
``KLDivergence``, ``D_KL``      ``D_KL(P ‖ Q)``
``JSDivergence``, ``JSD``       ``JSD(P ‖ Q)``
``Information``, ``Log2``       ``I_Q(x_i) = −log_2 q_i``, ``log_2 x``
``Expectation``                 ``E_P[f]``
``GibbsTerm``                   ``G(x) = x − 1 − log x ≥ 0`` (the lemma ``gibbs-lemma``)
``SoftmaxProbability``          the softmax node ``q_i = exp(z_i/T) / Σ_j exp(z_j/T)`` (eq. 1)
``definitions``                 every formula of the lecture, once (``entropy``, ``kl_divergence``)
==============================  ==============================================================

Names are loaded on first use (module ``__getattr__``), so importing this package costs
nothing until a symbol is asked for. The symbolic softmax is ``SoftmaxProbability`` (or
``definitions.softmax``); ``divsym.softmax`` is the array function. Normalisation
(``Σ p_i = 1``) is not an assumption SymPy can carry: state it in the derivation's
``Context(distributions=(p,))``.

The names' types are declared in ``__init__.pyi`` beside this file: importing the modules here,
even only for the type checker, would draw import cycles through this package.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "D_KL",
    "JSD",
    "CrossEntropy",
    "Entropy",
    "Expectation",
    "GibbsTerm",
    "H",
    "Information",
    "JSDivergence",
    "KLDivergence",
    "Log2",
    "NamedQuantity",
    "SoftmaxProbability",
    "T",
    "c",
    "definitions",
    "i",
    "j",
    "k",
    "n",
    "p",
    "q",
    "theta",
    "v",
    "z",
]

#: Public name → (module of this package, attribute in it; "" for the module itself).
_SOURCES: dict[str, tuple[str, str]] = {
    **{name: ("notation", name) for name in ("T", "c", "i", "j", "k", "n", "p", "q", "v", "z")},
    "theta": ("conditional", "theta"),
    "NamedQuantity": ("quantities", "NamedQuantity"),
    "Entropy": ("quantities", "Entropy"),
    "CrossEntropy": ("quantities", "CrossEntropy"),
    "KLDivergence": ("quantities", "KLDivergence"),
    "D_KL": ("quantities", "KLDivergence"),
    "JSDivergence": ("quantities", "JSDivergence"),
    "JSD": ("quantities", "JSDivergence"),
    "Information": ("information", "Information"),
    "Log2": ("information", "Log2"),
    "Expectation": ("information", "Expectation"),
    "GibbsTerm": ("gibbs", "GibbsTerm"),
    "SoftmaxProbability": ("softmax", "SoftmaxProbability"),
    "definitions": ("definitions", ""),
}


def H(first: Any, second: Any = None, classes: Any = None) -> Any:
    """The lecture's ``H``: ``H(p)`` is the entropy ``H(P)``, ``H(p, q)`` the cross-entropy.

    ``classes`` is the number of classes (default: the symbolic ``n``).

    >>> from divsym.symbols import H, p, q
    >>> H(p, q).doit()
    -Sum(log(q[i])*p[i], (i, 1, n))
    """
    quantities = importlib.import_module("divsym.symbols.quantities")
    size = () if classes is None else (classes,)
    if second is None:
        return quantities.Entropy(first, *size)
    return quantities.CrossEntropy(first, second, *size)


def __getattr__(name: str) -> Any:
    """Load a public name from the module that defines it, on first use."""
    try:
        module_name, attribute = _SOURCES[name]
    except KeyError:
        raise AttributeError(f"module 'divsym.symbols' has no attribute {name!r}") from None
    module = importlib.import_module(f"divsym.symbols.{module_name}")
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
