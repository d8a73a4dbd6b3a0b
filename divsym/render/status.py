"""Verification status in words no reader can mistake: a check is never called a proof."""

from __future__ import annotations

from collections.abc import Sequence

from divsym.kernel.verify import DerivationReport, Status, StepReport

__all__ = ["first_unproved", "prefix_status", "status_sentence", "step_reason", "step_status"]

_STRONGEST_FIRST = list(Status)


def _sentence(status: Status, fixed_n: Sequence[int], size: str = "n") -> str:
    if status is Status.PROVED:
        return f"proved for all {size}"
    if status is Status.PROVED_FIXED_N:
        return f"proved for {size} = " + ", ".join(str(m) for m in fixed_n) + " only"
    if status is Status.CHECKED_NUMERICALLY:
        return "checked numerically only (not proved)"
    return "FAILED verification"


def status_sentence(report: DerivationReport) -> str:
    """What the whole derivation shows."""
    return _sentence(report.status, report.fixed_n, report.size)


def prefix_status(report: DerivationReport, step: int | None) -> str:
    """What the derivation shows up to its expression number ``step`` (all of it for None, 0)."""
    if not step:
        return status_sentence(report)
    if step > len(report.steps):
        raise ValueError(f"{report.id} has {len(report.steps)} checked steps, not {step}")
    checked = report.steps[:step]
    status = max((s.status for s in checked), key=_STRONGEST_FIRST.index)
    fixed = [set(s.fixed_n) for s in checked if s.status is Status.PROVED_FIXED_N]
    return _sentence(status, sorted(set.intersection(*fixed)) if fixed else (), report.size)


def step_status(report: StepReport) -> str:
    """One step's status and how it was reached, e.g. ``proved (canonical form)``."""
    if report.status is Status.PROVED:
        return f"proved ({report.route})"
    if report.status is Status.FAILED:
        return f"FAILED ({report.route})"
    return _sentence(report.status, report.fixed_n)


def step_reason(report: StepReport) -> str:
    """One sentence on why step ``report.index`` has its status.

    The kernel's own ``reason`` when it gives one (which route said no, the counterexample);
    otherwise the route and the backstop's finding, e.g. ``numeric backstop disagrees: n = 4:
    0.2 = 2.5 is false``.
    """
    reason = getattr(report, "reason", "")
    if isinstance(reason, str) and reason:
        return reason
    if report.status is Status.FAILED or report.status is Status.CHECKED_NUMERICALLY:
        return f"{report.route}: {report.backstop}"
    return report.route


def first_unproved(report: DerivationReport) -> StepReport | None:
    """The first step whose status is the derivation's (weakest) one, when that is not proved."""
    if report.status is Status.PROVED:
        return None
    return next((s for s in report.steps if s.status is report.status), None)
