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
    """A :class:`DerivationReport` together with the derivation it is about.

    Parameters
    ----------
    id, title, status, fixed_n, steps, seconds, size, lemmas, reason
        The fields of :class:`~divsym.kernel.verify.DerivationReport`: the derivation's id
        and title, its overall :class:`~divsym.kernel.verify.Status`, the numbers of classes
        tried, one :class:`~divsym.kernel.verify.StepReport` per checked step, the time taken,
        the size the proof is general in (``"n"`` or ``"N"``), the lemmas relied on and why
        the status is capped (or ``""``).
    derivation : Derivation or None, optional
        The derivation that was verified, kept so that a notebook can display its steps.
    """

    derivation: Derivation | None = field(default=None, repr=False, compare=False)


def lemmas_used(derivation: Derivation) -> tuple[str, ...]:
    """The ids of the lemmas named by the nodes that appear anywhere in ``derivation``'s steps.

    Parameters
    ----------
    derivation : Derivation
        The derivation to inspect.

    Returns
    -------
    tuple of str
        The lemma ids (e.g. ``"gibbs-lemma"``), each once.
    """
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

    Parameters
    ----------
    lemmas : iterable of str
        Lemma ids, as :func:`lemmas_used` returns them.
    _visiting : frozenset of str, optional
        Internal: the lemmas being verified further up (breaks a cycle).

    Returns
    -------
    dict
        ``{lemma id: Status}`` for each lemma that a lecture derivation proves.
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

    Lemmas the derivation relies on get their statuses from the lecture's lemma derivations.

    Parameters
    ----------
    derivation : Derivation
        The chain of steps to check; its first step is the starting point.
    seed : int or None, optional
        Fixes the numeric backstop's random points; by default they follow from the
        derivation's id, so a report is reproducible.

    Returns
    -------
    VerifiedReport
        The overall status (``proved``, ``proved for n = …``, ``checked numerically``,
        ``failed``) and one report per step, with the derivation itself.

    Raises
    ------
    TypeError
        When ``derivation`` is not a :class:`Derivation` or ``seed`` is not an int or None.

    Examples
    --------
    >>> from divsym.identities.softmax import softmax_normalisation
    >>> verify(softmax_normalisation()).status.value
    'proved'
    """
    if not isinstance(derivation, Derivation):
        raise TypeError(f"derivation must be a divsym Derivation, got {type(derivation).__name__}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int or None, got {seed!r}")
    lemmas = lemma_statuses(lemmas_used(derivation))
    return _keep_derivation(_kernel(derivation, lemmas, seed), derivation)


def verify_all(derivations: Iterable[Derivation]) -> tuple[VerifiedReport, ...]:
    """:func:`verify` each derivation, in order; reports in the same order.

    Parameters
    ----------
    derivations : iterable of Derivation
        The derivations to check.

    Returns
    -------
    tuple of VerifiedReport
        One report per derivation, in the given order.

    Raises
    ------
    TypeError
        When an item is not a :class:`Derivation`.
    """
    return tuple(verify(derivation) for derivation in derivations)
