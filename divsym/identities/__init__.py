"""The lecture's identities, one module per section, gathered in lecture order."""

from __future__ import annotations

from collections.abc import Callable

from divsym.identities.cross_entropy_kl import cross_entropy_decomposition
from divsym.identities.distillation import (
    distillation_gradient,
    distillation_gradient_softmax_teacher,
    distillation_high_temperature,
    distillation_temperature_squared,
    distillation_weighted_gradient,
    distillation_zero_mean_logits,
    hard_label_gradient,
    jsd_entropy_form,
)
from divsym.identities.distillation_stable import kl_logit_stable_form, soft_gradient_logit_form
from divsym.identities.gibbs import gibbs_inequality, gibbs_lemma
from divsym.identities.information import (
    cross_entropy_expectation,
    entropy_expected_information,
    kl_forms,
)
from divsym.identities.jensen_shannon import jsd_bounds, jsd_symmetry
from divsym.identities.lecture import SECTIONS
from divsym.identities.likelihood import likelihood_factorisation, log_likelihood, mle_to_nll
from divsym.identities.objectives import kl_cross_entropy_objective
from divsym.identities.one_hot import one_hot_cross_entropy_nll
from divsym.identities.softmax import (
    softmax_jacobian,
    softmax_normalisation,
    softmax_shift_invariance,
    softmax_temperature_entropy,
)
from divsym.identities.softmax_limits import softmax_high_temperature, softmax_low_temperature
from divsym.identities.stable_forms import (
    jsd_stable_form,
    kl_nonnegative_terms,
    log_softmax_stable_form,
    softmax_stable_form,
)
from divsym.kernel.derivation import Derivation

__all__ = ["FACTORIES", "all_derivations"]

#: Every function that builds a derivation. Order within a section is kept; sections are
#: ordered as in :data:`divsym.identities.lecture.SECTIONS`.
FACTORIES: tuple[Callable[[], Derivation], ...] = (
    cross_entropy_decomposition,
    softmax_stable_form,
    log_softmax_stable_form,
    kl_nonnegative_terms,
    jsd_stable_form,
    softmax_normalisation,
    softmax_temperature_entropy,
    softmax_shift_invariance,
    softmax_high_temperature,
    softmax_low_temperature,
    softmax_jacobian,
    likelihood_factorisation,
    log_likelihood,
    mle_to_nll,
    entropy_expected_information,
    cross_entropy_expectation,
    kl_forms,
    jsd_symmetry,
    kl_cross_entropy_objective,
    one_hot_cross_entropy_nll,
    gibbs_lemma,
    gibbs_inequality,
    jsd_bounds,
    distillation_gradient,
    distillation_gradient_softmax_teacher,
    distillation_temperature_squared,
    jsd_entropy_form,
    hard_label_gradient,
    distillation_weighted_gradient,
    distillation_high_temperature,
    distillation_zero_mean_logits,
    kl_logit_stable_form,
    soft_gradient_logit_form,
)

_SECTION_ORDER = {section.id: position for position, section in enumerate(SECTIONS)}


def all_derivations() -> tuple[Derivation, ...]:
    """Every derivation divsym verifies, in the order of the lecture."""
    derivations = [factory() for factory in FACTORIES]
    unknown = [d.id for d in derivations if d.section not in _SECTION_ORDER]
    if unknown:
        raise ValueError(f"derivations without a known lecture section: {unknown}")
    return tuple(sorted(derivations, key=lambda d: _SECTION_ORDER[d.section]))
