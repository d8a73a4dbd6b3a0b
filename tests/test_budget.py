"""Every symbolic route has a time budget; a route that runs out of it proves nothing."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from sympy import Expr, Sum, log

from divsym.kernel import verify as verify_module
from divsym.kernel.budget import RouteTimeout, time_budget
from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Step
from divsym.kernel.verify import Status, verify
from divsym.symbols.notation import i, n, p
from divsym.symbols.quantities import Entropy

ENTROPY_SUM = -Sum(p[i] * log(p[i]), (i, 1, n))
#: A short budget, so that every test here takes well under 5 s.
SHORT = 0.2


def _entropy() -> Derivation:
    """``H(P) = -Σ p log p``: proved by the canonical form in a few milliseconds."""
    return Derivation(
        "entropy",
        "H",
        (Step(Entropy(p), "start"), Step(ENTROPY_SUM, "definition")),
        Context(distributions=(p,)),
        fixed_n=(2,),
    )


def _slow(seconds: float) -> object:
    def sleep_then_fail(*args: object, **kwargs: object) -> Expr:
        time.sleep(seconds)
        raise AssertionError("the budget should have stopped this route")

    return sleep_then_fail


@pytest.fixture
def slow_routes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The canonical form and the fixed-n route take 30 s each (until the budget stops them)."""
    monkeypatch.setattr(verify_module, "canonical_form", _slow(30))
    monkeypatch.setattr(verify_module, "_zero_at_fixed_n", _slow(30))
    yield  # noqa: PT022 (monkeypatch undoes both on teardown)


def test_a_body_over_budget_is_stopped() -> None:
    started = time.monotonic()
    with pytest.raises(RouteTimeout, match=r"timed out after 0\.2 s"), time_budget(SHORT):
        time.sleep(5)
    assert time.monotonic() - started < 1.5


def test_a_body_within_budget_runs_and_leaves_no_timer_behind() -> None:
    before = signal.getsignal(signal.SIGALRM)
    with time_budget(SHORT) as budget:
        assert budget.enforced
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before


def test_an_outer_timer_keeps_its_handler_and_fires_later() -> None:
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.6)
        with pytest.raises(RouteTimeout), time_budget(SHORT):
            time.sleep(5)
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < left <= 0.5  # re-armed with what was left of it
        time.sleep(left + 0.2)
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_no_budget_outside_the_main_thread_and_it_says_why() -> None:
    seen: list[tuple[bool, str]] = []

    def run() -> None:
        with time_budget(SHORT) as budget:
            seen.append((budget.enforced, budget.why_not))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [(False, "not in the main thread")]


def test_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="seconds must be positive or None, got -1"):  # noqa: SIM117
        with time_budget(-1):
            pass


@pytest.mark.usefixtures("slow_routes")
def test_a_step_whose_routes_time_out_is_checked_numerically_not_proved() -> None:
    started = time.monotonic()
    report = verify(_entropy(), budget=SHORT)
    assert time.monotonic() - started < 4
    step = report.steps[0]
    assert report.status is Status.CHECKED_NUMERICALLY
    assert step.status is Status.CHECKED_NUMERICALLY
    assert step.route.startswith("timed out: canonical form, fixed n = 2 (budget 0.2 s each)")
    assert "timed out" in step.reason
    assert "numeric backstop agrees" in step.reason


@pytest.mark.usefixtures("slow_routes")
def test_a_step_with_slow_routes_in_a_thread_runs_unbounded_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quick = _slow(0.05)

    def canonical_after_a_while(expr: Expr, context: Context) -> Expr:
        with contextlib.suppress(AssertionError):
            quick()  # type: ignore[operator]
        return original(expr, context)

    from divsym.kernel.canonical import canonical_form as original

    monkeypatch.setattr(verify_module, "canonical_form", canonical_after_a_while)
    reports: list[verify_module.DerivationReport] = []
    thread = threading.Thread(target=lambda: reports.append(verify(_entropy(), budget=SHORT)))
    thread.start()
    thread.join()
    step = reports[0].steps[0]
    assert step.status is Status.PROVED
    assert step.route == "canonical form (no time budget: not in the main thread)"


def test_the_budget_can_be_switched_off() -> None:
    report = verify(_entropy(), budget=None)
    assert report.status is Status.PROVED
    assert report.steps[0].route == "canonical form"
