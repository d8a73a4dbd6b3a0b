"""Which expression each public numeric function is printed from, and with which arrays.

No formula is written here. Each entry is either a definition of
:mod:`divsym.symbols.definitions` or the last line of a derivation of
:mod:`divsym.identities.stable_forms` (proved equal to the definition, status ``proved``),
divided by ``log(base)`` for the base of the logarithm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sympy import Expr, Indexed, IndexedBase, Symbol, log, sqrt

from divsym.identities.distillation import (
    distillation_gradient,
    distillation_temperature_squared,
    soft_loss,
)
from divsym.identities.distillation_stable import kl_logit_stable_form, soft_gradient_logit_form
from divsym.identities.stable_forms import (
    jsd_stable_form,
    kl_nonnegative_terms,
    log_softmax_stable_form,
    softmax_stable_form,
)
from divsym.symbols import definitions
from divsym.symbols.notation import T, c, i, k, p, q, v, z
from divsym.symbols.softmax import SoftmaxProbability
from divsym.symbols.stable import DELTA, SHIFT

__all__ = ["BASE", "FORMS", "GRADIENTS", "GRADIENT_OUTPUT", "LABEL", "OUTPUT", "SPECS", "Spec"]

Z, V, P, Q, LABELS = Symbol("z"), Symbol("v"), Symbol("p"), Symbol("q"), Symbol("labels")
#: The base of the logarithm, an argument of every generated reduction.
BASE = Symbol("base", positive=True)
#: The label of a data point in the NLL definition.
LABEL = Symbol("y", integer=True, nonnegative=True)


def _student_stable(expr: Expr) -> Expr:
    """``expr`` with each student softmax ``q_k`` (eq. (1) of the logits ``z``) written in its
    proved stable form (``softmax-stable-form``) and each ``log q_i`` in the proved stable form
    of the log-softmax (``log-softmax-stable-form``): the shift by ``c = max z`` first."""

    def log_stable(e: Expr) -> Expr:
        return log_softmax_stable_form().end.xreplace({i: e.args[0].args[2]})

    def stable(e: Expr) -> Expr:
        return softmax_stable_form().end.xreplace({i: e.args[2]})

    expr = expr.replace(
        lambda e: isinstance(e, log) and isinstance(e.args[0], SoftmaxProbability), log_stable
    )
    return expr.replace(lambda e: isinstance(e, SoftmaxProbability), stable)  # type: ignore[no-any-return]


def _logits_nll() -> Expr:
    """``−log q_y`` (the NLL definition) with ``log q_y`` in its proved stable form."""
    return definitions.nll(q, LABEL).replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, log) and e.args[0] == q[LABEL],
        lambda e: log_softmax_stable_form().end.xreplace({i: LABEL}),
    )


def _scaled_difference(index: Expr) -> Expr:
    """``δ_index = (z_index − v_index)/T``: student minus teacher logit, over the temperature."""
    return (z[index] - v[index]) / T


def _in_logits(expr: Expr) -> Expr:
    """``expr`` with every ``δ_i`` written out as ``(z_i − v_i)/T``."""
    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Indexed) and e.base == DELTA,
        lambda e: _scaled_difference(e.indices[0]),
    )


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
    # Distillation (divsym.identities.distillation): the soft-target cross-entropy
    # C = −Σ_i p_i log q_i of the student's logits, every term ≥ 0 after the shift; the
    # gradient ∂C/∂z_k = (q_k − p_k)/T (last line of distillation-gradient) and T² times it,
    # T (q_k − p_k) (last line of distillation-temperature-squared); the hard-label loss
    # −log q_y of logits (the NLL definition with the stable log-softmax).
    "soft_cross_entropy_logits": _student_stable(soft_loss(lambda index: p[index])),
    "soft_target_gradient": _student_stable(distillation_gradient().end),
    "soft_target_gradient_scaled": _student_stable(distillation_temperature_squared().end),
    "cross_entropy_logits": _student_stable(_logits_nll()),
    # KL(softmax(v/T) ‖ softmax(z/T)) from the logits and the teacher's probabilities p: the
    # last line of kl-logit-stable-form, exact to rounding when student and teacher are close.
    "kl_logits": _in_logits(kl_logit_stable_form().end),
    # (q_k − p_k)/T from the logits (last line of soft-gradient-logit-form), and T² times it.
    "soft_target_gradient_logits": _in_logits(soft_gradient_logit_form().end),
    "soft_target_gradient_logits_scaled": T**2 * _in_logits(soft_gradient_logit_form().end),
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
#: Student logits z and soft targets p, elementwise in the free class k.
_GRADIENT = Spec({z: Z, p: P}, (T,), {"index": k, "shifts": {c: z}})

_ARGMAX_SHIFT = {SHIFT: (k, _scaled_difference(k), p)}
#: Student logits z, teacher logits v and probabilities p, elementwise in the free class k.
_LOGIT_GRADIENT = Spec({z: Z, v: V, p: P}, (T,), {"index": k, "argmax_shifts": _ARGMAX_SHIFT})

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
    "soft_cross_entropy_logits": Spec({z: Z, p: P}, (T,), {"shifts": {c: z}}),
    "soft_target_gradient": _GRADIENT,
    "soft_target_gradient_scaled": _GRADIENT,
    "cross_entropy_logits": Spec(
        {z: Z}, (LABELS, T), {"labels": {LABEL: LABELS}, "shifts": {c: z}}
    ),
    # The shift m of the logit-space forms: δ at the teacher's largest probability.
    "kl_logits": Spec({z: Z, v: V, p: P}, (T,), {"argmax_shifts": _ARGMAX_SHIFT}),
    "soft_target_gradient_logits": _LOGIT_GRADIENT,
    "soft_target_gradient_logits_scaled": _LOGIT_GRADIENT,
}


#: The forward result ``F`` of a reduction, an argument of its generated gradient: the outer
#: derivative of ``js_distance`` (``√(·)``) is written in it instead of a second reduction.
OUTPUT = Symbol("out", positive=True)
#: The incoming gradient ``∂L/∂F`` (batch shape, class axis of length 1), an argument too.
GRADIENT_OUTPUT = Symbol("g")

#: The reductions whose gradient ``divsym build`` generates (for the PyTorch autograd route,
#: :mod:`divsym.numeric.torch_autograd`), and the distributions each is differentiated by.
#: Each form is ``F(Σ_i f(p_i, q_i))``: the gradient is ``F'(S)·∂f/∂p_i`` (or ``∂f/∂q_i``), the
#: summand differentiated as it stands in the proved form, with ``p`` and ``q`` free
#: coordinates (:func:`~divsym.codegen.generate.gradient_expression`). So the stable forms'
#: conventions hold: KL's ``Σ p (d − log(1 + d))`` gives ``∂/∂q_i = 1 − p_i/q_i`` (the extra
#: 1 is ``∂Σq/∂q_i``, zero on the simplex) and ``∂/∂p_i = log(p_i/q_i)``.
GRADIENTS: dict[str, tuple[IndexedBase, ...]] = {
    "entropy": (p,),
    "cross_entropy": (p, q),
    "kl_divergence": (p, q),
    "js_divergence": (p, q),
    "js_distance": (p, q),
}
