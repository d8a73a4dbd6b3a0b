"""Check your own softmax, KL, Jensen–Shannon, cross-entropy or distillation loss against
divsym's 50-digit references on an adversarial suite, in one line of pytest::

    import divsym.testing

    def test_my_kl():
        divsym.testing.assert_matches_reference(my_kl, "kl_divergence")

The suite (:data:`divsym.testing_cases.CASES`) holds close distributions, near one-hot and
subnormal entries, large logits, tiny and high temperatures and many classes. Each output is
compared with :mod:`divsym.reference` (the definitions evaluated in mpmath at 50 digits); the
error of an entry is ``|got − expected| / |expected|`` in units of float64's ``ε = 2^-52``
(``|expected|`` at least the smallest normal float, so a subnormal entry is held to an absolute
error). By default every case must be within :data:`DEFAULT_ULPS` ε — a function that is off
by one part in a million fails; give ``rtol=`` or ``ulps=`` to state a looser tolerance of
your own (e.g. ``rtol=1e-3`` for ``scipy.special.rel_entr(p, q).sum(-1)``, which cancels on
close distributions). A failure names the case, its input and the error in ε.

How the implementation is called: see :data:`divsym.testing_cases.CALLS` (``f(p, q)`` for the
divergences, ``f(z, T)`` for softmax, ``f(student, teacher, T)`` for the distillation loss, the
default ``T²``-scaled KL of one row).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import mpmath
import numpy as np

from divsym import reference
from divsym.testing_cases import CALLS, CASES, Case

__all__ = [
    "CASES",
    "DEFAULT_ULPS",
    "EPS",
    "Report",
    "assert_matches_reference",
    "check_against_reference",
]

#: float64's machine epsilon, the unit of the reported errors.
EPS = float(np.finfo(np.float64).eps)
#: The default tolerance, in ε: divsym's own functions are within it on every case.
DEFAULT_ULPS = 16.0
_TINY = float(np.finfo(np.float64).tiny)


@dataclass(frozen=True)
class Report:
    """The worst error of an implementation over the suite of one function.

    Parameters
    ----------
    function : str
        The name of the suite (``"kl_divergence"``, …).
    passed : bool
        Whether the worst error is within the tolerance.
    worst_ulps : float
        The worst relative error over the cases, in units of ``EPS`` (``inf`` for an
        exception, a NaN or a result of the wrong size).
    case, about : str
        The name and description of the case with the worst error.
    inputs : tuple
        That case's arguments.
    got, expected
        What the implementation returned there, and the 50-digit reference.
    tolerance : str
        The tolerance applied, as text (``"16 ε"`` or ``"rtol=1e-12"``).
    """

    function: str
    passed: bool
    worst_ulps: float
    case: str
    about: str
    inputs: tuple[Any, ...]
    got: Any
    expected: Any
    tolerance: str

    def __str__(self) -> str:
        verdict = "matches" if self.passed else "does NOT match"
        return (
            f"{self.function}: {verdict} the 50-digit reference within {self.tolerance}; worst "
            f"error {self.worst_ulps:.3g} ε ({self.worst_ulps * EPS:.3g} relative) on case "
            f"{self.case!r} ({self.about}): got {_short(self.got)}, expected "
            f"{_short(self.expected)}, input {_short(self.inputs)}"
        )


def _short(value: Any) -> str:
    with np.printoptions(precision=17, threshold=8, edgeitems=3):
        text = repr(value)
    return text if len(text) <= 300 else text[:297] + "..."


def _reference(name: str, case: Case) -> list[Any]:
    if name in ("softmax", "log_softmax"):
        z, temperature = case.args
        return list(getattr(reference, name)(z, T=temperature))
    if name == "distillation_loss":
        return [reference.distillation_loss(*case.args)]
    return [getattr(reference, name)(*case.args)]


@cache
def _expected(name: str) -> tuple[tuple[Any, ...], ...]:
    """The references of every case of ``name`` (computed once per process)."""
    return tuple(tuple(_reference(name, case)) for case in CASES[name])


def _error_ulps(got: float, expected: Any) -> float:
    """``|got − expected| / max(|expected|, tiny)`` in units of ε, at 50 digits."""
    with mpmath.workdps(reference.REFERENCE_DIGITS):
        g = mpmath.mpf(got)
        if g == expected:
            return 0.0
        if mpmath.isnan(g) or mpmath.isinf(g) or mpmath.isinf(expected):
            return math.inf
        return float(abs(g - expected) / max(abs(expected), mpmath.mpf(_TINY)) / EPS)


def _tolerance(rtol: Any, ulps: Any) -> tuple[float, str]:
    if rtol is not None and ulps is not None:
        raise ValueError(f"give rtol or ulps, not both (got rtol={rtol!r}, ulps={ulps!r})")
    if rtol is not None:
        value = _nonnegative("rtol", rtol)
        return value / EPS, f"rtol={value:g}"
    value = DEFAULT_ULPS if ulps is None else _nonnegative("ulps", ulps)
    return value, f"{value:g} ε"


def _nonnegative(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number >= 0, got {value!r}")
    number = float(value)
    if not number >= 0 or math.isinf(number):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def check_against_reference(
    implementation: Callable[..., Any],
    name: str,
    *,
    rtol: float | None = None,
    ulps: float | None = None,
) -> Report:
    """Run ``implementation`` on every case of ``name`` and report its worst error in ε.

    An exception, a NaN or a result of the wrong size counts as an infinite error on that
    case; the check itself never raises for a wrong implementation.

    Parameters
    ----------
    implementation : callable
        The function under test, called as :data:`~divsym.testing_cases.CALLS` says for
        ``name``.
    name : str
        The suite: one of ``softmax``, ``log_softmax``, ``kl_divergence``, ``js_divergence``,
        ``cross_entropy``, ``distillation_loss``.
    rtol : float, optional
        Relative tolerance; the case passes when the relative error is at most ``rtol``.
        Give ``rtol`` or ``ulps``, not both.
    ulps : float, optional
        Tolerance in units of ``EPS`` (float64 machine epsilon); default :data:`DEFAULT_ULPS`.

    Returns
    -------
    Report
        The worst case, whether it passed, and what was expected there.

    Raises
    ------
    TypeError
        When ``implementation`` is not callable or a tolerance is not a number.
    ValueError
        When ``name`` is not a suite, a tolerance is negative or not finite, or both
        ``rtol`` and ``ulps`` are given.
    """
    if not callable(implementation):
        raise TypeError(f"implementation must be callable, got {implementation!r}")
    if not isinstance(name, str) or name not in CASES:
        raise ValueError(f"name must be one of {', '.join(sorted(CASES))}, got {name!r}")
    limit, tolerance = _tolerance(rtol, ulps)
    worst: tuple[float, Case, Any, Any] | None = None
    for case, expected in zip(CASES[name], _expected(name), strict=True):
        try:
            got: Any = np.asarray(implementation(*case.args), dtype=np.float64).reshape(-1)
        except Exception as error:  # the user's function failed on this case
            got, errors = f"{type(error).__name__}: {error}", [math.inf]
        else:
            if got.size != len(expected):
                errors = [math.inf]
            else:
                errors = [_error_ulps(float(g), e) for g, e in zip(got, expected, strict=True)]
        error_ulps = max(errors)
        if worst is None or error_ulps > worst[0]:
            shown = got
            value = expected if len(expected) > 1 else expected[0]
            worst = (error_ulps, case, shown, value)
    assert worst is not None
    error_ulps, case, got_value, expected_value = worst
    expected_shown = (
        np.array([float(v) for v in expected_value])
        if isinstance(expected_value, tuple)
        else float(expected_value)
    )
    if isinstance(got_value, np.ndarray) and got_value.size == 1:
        got_value = float(got_value[0])
    return Report(
        function=name,
        passed=error_ulps <= limit,
        worst_ulps=error_ulps,
        case=case.name,
        about=case.about,
        inputs=case.args,
        got=got_value,
        expected=expected_shown,
        tolerance=tolerance,
    )


def assert_matches_reference(
    implementation: Callable[..., Any],
    name: str,
    *,
    rtol: float | None = None,
    ulps: float | None = None,
) -> Report:
    """:func:`check_against_reference`, raising AssertionError with its report on a failure.

    Parameters
    ----------
    implementation : callable
        The function under test, called as :data:`~divsym.testing_cases.CALLS` says for
        ``name``.
    name : str
        The suite, as for :func:`check_against_reference`.
    rtol : float, optional
        Relative tolerance; the case passes when the relative error is at most ``rtol``.
        Give ``rtol`` or ``ulps``, not both.
    ulps : float, optional
        Tolerance in units of ``EPS`` (float64 machine epsilon); default :data:`DEFAULT_ULPS`.

    Returns
    -------
    Report
        The report of a passing check.

    Raises
    ------
    AssertionError
        When the worst error exceeds the tolerance; the message is the report.
    TypeError, ValueError
        For bad arguments, as :func:`check_against_reference`.

    Examples
    --------
    >>> import divsym
    >>> assert_matches_reference(divsym.kl_divergence, "kl_divergence").passed
    True
    """
    report = check_against_reference(implementation, name, rtol=rtol, ulps=ulps)
    if not report.passed:
        raise AssertionError(f"{report} [called as {CALLS[name]}]")
    return report
