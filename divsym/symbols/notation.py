"""The lecture's symbols, with the assumptions the lecture makes about them.

Classes are indexed ``i = 1..n`` with a *symbolic* number of classes ``n``. Probability
distributions are :class:`sympy.IndexedBase` objects whose entries are positive; whether they
are normalised (``Σ p_i = 1``) is not an assumption SymPy can carry, so a derivation states it
in its :class:`~divsym.kernel.derivation.Context`.
"""

from __future__ import annotations

from sympy import IndexedBase, Symbol

__all__ = [
    "T",
    "c",
    "i",
    "j",
    "k",
    "n",
    "p",
    "q",
    "v",
    "z",
]

#: Number of classes: a positive integer, never given a value in a proof.
n = Symbol("n", integer=True, positive=True)

#: Class indices. They run over ``1..n`` inside every Sum.
i = Symbol("i", integer=True, positive=True)
j = Symbol("j", integer=True, positive=True)
k = Symbol("k", integer=True, positive=True)

#: Distributions over the classes: ``p`` is the data (reference) distribution ``P``, ``q`` the
#: model distribution ``Q``. Entries are positive; normalisation is a context fact.
p = IndexedBase("p", positive=True)
q = IndexedBase("q", positive=True)

#: Logits of the model (``z``) and of a second model, e.g. the teacher (``v``).
z = IndexedBase("z", real=True)
v = IndexedBase("v", real=True)

#: Softmax temperature (Hinton et al., 2015) and a real constant (used for logit shifts).
T = Symbol("T", positive=True)
c = Symbol("c", real=True)
