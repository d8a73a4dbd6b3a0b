"""The public verifier: ``divsym.verify(derivation)`` for a derivation you wrote yourself.

It is the kernel's :func:`~divsym.kernel.verify.verify` plus what a user cannot be expected to
supply: the statuses of the lemmas the derivation relies on. A node whose SymPy assumption is
hand-set (``GibbsTerm(x) ≥ 0``) names the derivation that proves it in its class attribute
``lemma`` (e.g. ``"gibbs-lemma"``); the kernel never lets a derivation claim more than its
lemmas. Here those lemma derivations are taken from the lecture's identities and verified once
per process (cached), so that a user's derivation using ``G(x)`` can be ``proved`` — and
would not be, were the lemma not.

The report returned is the kernel's :class:`~divsym.kernel.verify.DerivationReport` that also
keeps its derivation (:class:`VerifiedReport`), so a notebook can display the steps' math
with their statuses (:mod:`divsym.display`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

from divsym.identities import FACTORIES
from divsym.kernel.derivation import Derivation
from divsym.kernel.trust import lemmas_used as kernel_lemmas_used
from divsym.kernel.verify import DerivationReport, Status
from divsym.kernel.verify import verify as kernel_verify

__all__ = ["VerifiedReport", "lemma_statuses", "lemmas_used", "verify", "verify_all"]


@dataclass(frozen=True)
class VerifiedReport(DerivationReport):
    """A :class:`DerivationReport` together with the derivation it is about."""

    derivation: Derivation | None = field(default=None, repr=False, compare=False)


def lemmas_used(derivation: Derivation) -> tuple[str, ...]:
    """The ids of the lemmas named by the nodes that appear anywhere in ``derivation``'s steps."""
    return kernel_lemmas_used(step.expr for step in derivation.steps)


_LEMMA_STATUS: dict[str, Status] = {}


def _identity(lemma: str) -> Derivation | None:
    """The lecture's derivation with id ``lemma``, or None."""
    for factory in FACTORIES:
        derivation = factory()
        if derivation.id == lemma:
            return derivation
    return None


def lemma_statuses(
    lemmas: Iterable[str], _visiting: frozenset[str] = frozenset()
) -> dict[str, Status]:
    """The status of each lecture lemma in ``lemmas`` (verified once per process).

    An id that no lecture derivation has, or a lemma that (indirectly) uses itself, gets no
    status: the kernel then caps the derivation that uses it and says why.
    """
    statuses: dict[str, Status] = {}
    for lemma in lemmas:
        if lemma not in _LEMMA_STATUS and lemma not in _visiting:
            derivation = _identity(lemma)
            if derivation is None:
                continue
            inner = lemma_statuses(lemmas_used(derivation), _visiting | {lemma})
            _LEMMA_STATUS[lemma] = _kernel(derivation, inner, None).status
        if lemma in _LEMMA_STATUS:
            statuses[lemma] = _LEMMA_STATUS[lemma]
    return statuses


def _kernel(
    derivation: Derivation, lemmas: Mapping[str, Status], seed: int | None
) -> DerivationReport:
    return kernel_verify(derivation, seed=seed, lemmas=lemmas)


def _keep_derivation(report: DerivationReport, derivation: Derivation) -> VerifiedReport:
    values = {f.name: getattr(report, f.name) for f in fields(report) if f.init}
    return VerifiedReport(**values, derivation=derivation)


def verify(derivation: Derivation, *, seed: int | None = None) -> VerifiedReport:
    """Check every step of ``derivation`` and return the report (with the derivation).

    ``seed`` fixes the numeric backstop's random points (default: from the derivation's id).
    Lemmas the derivation relies on get their statuses from the lecture's lemma derivations.
    """
    if not isinstance(derivation, Derivation):
        raise TypeError(f"derivation must be a divsym Derivation, got {type(derivation).__name__}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int or None, got {seed!r}")
    lemmas = lemma_statuses(lemmas_used(derivation))
    return _keep_derivation(_kernel(derivation, lemmas, seed), derivation)


def verify_all(derivations: Iterable[Derivation]) -> tuple[VerifiedReport, ...]:
    """:func:`verify` each derivation, in order; reports in the same order."""
    return tuple(verify(derivation) for derivation in derivations)
