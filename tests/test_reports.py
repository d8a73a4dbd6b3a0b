"""Step reports explain themselves: which route proved a step, or why none did, or who said no."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from sympy import Rational, S, Sum, Symbol, cos, log, sin

from divsym.identities.cross_entropy_kl import cross_entropy_decomposition
from divsym.kernel import verify as verify_module
from divsym.kernel.backstop import BackstopResult
from divsym.kernel.derivation import Derivation, Relation, Step
from divsym.kernel.rules import Rule
from divsym.kernel.verify import Status, verify
from divsym.symbols.notation import i, n, p, q

CE_SUM = -Sum(p[i] * log(q[i]), (i, 1, n))
x = Symbol("x", real=True)


def _pythagoras(*rules: Rule) -> Derivation:
    """``sin² + cos² = 1``: true, but beyond the canonical form and every fixed n."""
    return Derivation(
        "pythagoras",
        "sin² + cos² = 1",
        (Step(sin(x) ** 2 + cos(x) ** 2, "start"), Step(S.One, "Pythagoras", rules=rules)),
    )


def test_a_proved_step_gives_its_route_as_the_reason() -> None:
    report = verify(cross_entropy_decomposition())
    for step in report.steps:
        assert step.status is Status.PROVED
        assert step.reason == step.route


def test_a_failed_step_says_the_backstop_disagrees_with_both_values() -> None:
    wrong = cross_entropy_decomposition().with_step(1, -CE_SUM)  # sign flipped
    step = verify(wrong).steps[0]
    assert step.status is Status.FAILED
    assert step.reason.startswith("the numeric backstop disagrees")
    assert "n = " in step.reason  # the backstop says at which number of classes
    assert "is false" in step.reason


def test_a_failed_step_quotes_the_backstops_counterexample(monkeypatch: pytest.MonkeyPatch) -> None:
    # The backstop's counterexample (n, the point, both values) as the backstop reports it.
    example = SimpleNamespace(
        classes=4,
        point=(("p[1]", Rational(1, 4)), ("y", 3)),
        left=Rational(1, 5),
        right=Rational(5, 2),
        relation=Relation.EQ,
    )
    result = SimpleNamespace(ok=False, detail="n = 4: 0.2 = 2.5 is false", counterexample=example)
    monkeypatch.setattr(verify_module, "numeric_check", lambda *a, **k: result)
    step = verify(_pythagoras()).steps[0]
    assert step.status is Status.FAILED
    assert step.reason == (
        "the numeric backstop disagrees at n = 4, p[1] = 0.250000000000, y = 3: the previous "
        "expression is 0.200000000000 and this one 2.50000000000, and 0.200000000000 = "
        "2.50000000000 is false"
    )


def test_a_step_the_backstop_cannot_evaluate_says_so() -> None:
    w = Symbol("w")  # no assumptions: the backstop has no honest range to sample
    step = verify(Derivation("w", "w", (Step(w, "a"), Step(w, "b")))).steps[0]
    assert step.status is Status.FAILED
    assert step.reason.startswith("the numeric backstop cannot evaluate the step")
    assert "cannot sample w" in step.reason


def test_a_checked_numerically_step_says_why_no_route_proved_it() -> None:
    step = verify(_pythagoras()).steps[0]
    assert step.status is Status.CHECKED_NUMERICALLY
    assert step.route == "numeric backstop only"
    assert step.reason.startswith("no symbolic route proved it: ")
    assert "the canonical form does not decide the difference" in step.reason
    assert "at n = 2" in step.reason
    assert "the numeric backstop agrees" in step.reason


def test_a_checked_numerically_step_names_the_untrusted_user_rule() -> None:
    claims = Rule("claims", "says it is 1", lambda expr, context: S.One)
    step = verify(_pythagoras(claims)).steps[0]
    assert step.status is Status.CHECKED_NUMERICALLY
    assert "user rule claims not trusted" in step.reason


def test_a_derivation_report_as_json_lists_its_steps() -> None:
    report = verify(cross_entropy_decomposition())
    data = report.as_json()
    assert {"id", "title", "status", "fixed_n", "seconds"} <= set(data)
    assert data["step_count"] == len(report.steps) == 4
    assert data["lemmas"] == []
    steps = data["steps"]
    assert isinstance(steps, list)
    assert [s["index"] for s in steps] == [1, 2, 3, 4]
    assert steps[0] == {
        "index": 1,
        "status": "proved",
        "route": report.steps[0].route,
        "reason": report.steps[0].reason,
    }
    json.dumps(data)  # plain JSON all the way down


def test_backstop_result_still_has_its_two_fields() -> None:
    # The kernel reads the counterexample with getattr: a result without one still works.
    result = BackstopResult(False, "n = 4: 1 = 2 is false")
    assert verify_module._disagreement(result) == (
        "the numeric backstop disagrees: n = 4: 1 = 2 is false"
    )
