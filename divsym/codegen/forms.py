"""Which expression each public numeric function is printed from, and with which arrays.

No formula is written here. Each entry is either a definition of
:mod:`divsym.symbols.definitions` or the last line of a derivation of
:mod:`divsym.identities.stable_forms` (proved equal to the definition, status ``proved``),
divided by ``log(base)`` for the base of the logarithm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sympy import Expr, IndexedBase, Symbol, log, sqrt

from divsym.identities.stable_forms import (
    jsd_stable_form,
    kl_nonnegative_terms,
    log_softmax_stable_form,
    softmax_stable_form,
)
from divsym.symbols import definitions
from divsym.symbols.notation import T, c, i, p, q, z

__all__ = ["BASE", "FORMS", "LABEL", "SPECS", "Spec"]

Z, P, Q, LABELS = Symbol("z"), Symbol("p"), Symbol("q"), Symbol("labels")
#: The base of the logarithm, an argument of every generated reduction.
BASE = Symbol("base", positive=True)
#: The label of a data point in the NLL definition.
LABEL = Symbol("y", integer=True, nonnegative=True)

#: The expression each public function is generated from (before the array rewrites).
FORMS: dict[str, Expr] = {
    "softmax": softmax_stable_form().end,
    "log_softmax": log_softmax_stable_form().end,
    "entropy": definitions.entropy(p) / log(BASE),
    "cross_entropy": definitions.cross_entropy(p, q) / log(BASE),
    "nll": definitions.nll(q, LABEL) / log(BASE),
    "kl_divergence": kl_nonnegative_terms().end / log(BASE),
    "js_divergence": jsd_stable_form().end / log(BASE),
    # Unevaluated, so that SymPy does not split sqrt(x/2) into sqrt(2)·sqrt(x)/2 (one rounding).
    "js_distance": sqrt(jsd_stable_form().end / log(BASE), evaluate=False),
}


@dataclass(frozen=True)
class Spec:
    """How one form becomes an array function: its arrays, its scalar arguments, and the
    options of :func:`~divsym.codegen.generate.array_expression`."""

    arrays: dict[IndexedBase, Symbol]
    extra: tuple[Symbol, ...]
    options: dict[str, Any] = field(default_factory=dict)


_LOGITS = Spec({z: Z}, (T,), {"index": i, "shifts": {c: z}})
_ONE = Spec({p: P}, (BASE,))
_TWO = Spec({p: P, q: Q}, (BASE,))

#: name → how it is generated; the order is the order of the generated module.
SPECS: dict[str, Spec] = {
    "softmax": _LOGITS,
    "log_softmax": _LOGITS,
    "entropy": _ONE,
    "cross_entropy": _TWO,
    "nll": Spec({q: Q}, (LABELS, BASE), {"labels": {LABEL: LABELS}}),
    "kl_divergence": _TWO,
    "js_divergence": _TWO,
    "js_distance": _TWO,
}
