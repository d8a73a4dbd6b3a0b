"""Every display equation of the lecture has a derivation, a step that states it, and is proved."""

from __future__ import annotations

from dataclasses import replace

import pytest

from divsym.identities import all_derivations
from divsym.identities.lecture import EQUATIONS, SECTIONS, LectureEquation
from divsym.kernel.derivation import Derivation
from divsym.kernel.verify import DerivationReport, Status, verify

DERIVATIONS: dict[str, Derivation] = {d.id: d for d in all_derivations()}
_REPORTS: dict[str, DerivationReport] = {}


def _report(derivation_id: str) -> DerivationReport:
    if derivation_id not in _REPORTS:
        _REPORTS[derivation_id] = verify(DERIVATIONS[derivation_id])
    return _REPORTS[derivation_id]


def coverage_problems(
    equation: LectureEquation,
    derivations: dict[str, Derivation],
    status: Status | None,
) -> list[str]:
    """Why ``equation`` is not covered by a proved step (empty when it is)."""
    problems = []
    derivation = derivations.get(equation.derivation)
    if derivation is None:
        return [f"{equation.label}: unknown derivation {equation.derivation!r}"]
    if equation.step is None:
        problems.append(f"{equation.label}: no step given in {equation.derivation}")
    elif not 0 <= equation.step < len(derivation.steps):
        problems.append(
            f"{equation.label}: step {equation.step} out of range 0..{len(derivation.steps) - 1}"
        )
    if status is not Status.PROVED:
        problems.append(f"{equation.label}: {equation.derivation} is {status}, not proved")
    return problems


@pytest.mark.parametrize("equation", EQUATIONS, ids=[e.label for e in EQUATIONS])
def test_lecture_equation_has_a_proved_step(equation: LectureEquation) -> None:
    status = _report(equation.derivation).status if equation.derivation in DERIVATIONS else None
    assert coverage_problems(equation, DERIVATIONS, status) == []


def test_equation_labels_are_unique_and_sections_known() -> None:
    labels = [e.label for e in EQUATIONS]
    assert len(labels) == len(set(labels))
    assert {e.section for e in EQUATIONS} <= {s.id for s in SECTIONS}


# The checker itself must be able to fail: each broken entry is reported.
_GOOD = next(e for e in EQUATIONS if e.derivation == "kl-forms")


@pytest.mark.parametrize(
    ("broken", "status", "message"),
    [
        (replace(_GOOD, derivation="no-such-derivation"), Status.PROVED, "unknown derivation"),
        (replace(_GOOD, step=None), Status.PROVED, "no step given"),
        (replace(_GOOD, step=99), Status.PROVED, "out of range"),
        (replace(_GOOD, step=-1), Status.PROVED, "out of range"),
        (_GOOD, Status.CHECKED_NUMERICALLY, "not proved"),
        (_GOOD, Status.PROVED_FIXED_N, "not proved"),
    ],
)
def test_coverage_check_reports_broken_entries(
    broken: LectureEquation, status: Status, message: str
) -> None:
    problems = coverage_problems(broken, DERIVATIONS, status)
    assert any(message in problem for problem in problems), problems
