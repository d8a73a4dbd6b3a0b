"""Only divsym's vetted rules can make a step proved; a user's rule only proposes."""

from __future__ import annotations

from types import FunctionType

import pytest
from sympy import Expr, Sum, Symbol, log

from divsym.kernel import (
    calculus_rules,
    discrete_rules,
    limit_rules,
    optimisation,
    rules,
    stable_rules,
)
from divsym.kernel.calculus_rules import split_sum_at
from divsym.kernel.canonical import CANONICAL_PIPELINE
from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Step
from divsym.kernel.rules import Rule, unfold_definitions
from divsym.kernel.trust import decide_equal, is_vetted, untrusted, vetted_rules
from divsym.kernel.verify import Status, symbolic_route, verify
from divsym.symbols.notation import i, n, p, q
from divsym.symbols.quantities import CrossEntropy

CE_SUM = -Sum(p[i] * log(q[i]), (i, 1, n))
FACTS = Context(distributions=(p, q))


def _one_step(target: Expr, *step_rules: Rule) -> Derivation:
    return Derivation(
        "one-step",
        "one step",
        (Step(CrossEntropy(p, q), "start"), Step(target, "by the rules", rules=step_rules)),
        FACTS,
    )


def _route(derivation: Derivation) -> tuple[Status, str]:
    status, route, _ = symbolic_route(derivation.steps[0].expr, derivation.steps[1], derivation)
    return status, route


def test_every_rule_of_the_kernel_modules_is_vetted() -> None:
    registries = (
        rules.RULES,
        calculus_rules.CALCULUS_RULES,
        discrete_rules.DISCRETE_RULES,
        limit_rules.LIMIT_RULES,
        stable_rules.STABLE_RULES,
    )
    for registry in registries:
        for rule in registry.values():
            assert is_vetted(rule), rule.name
    for rule in (*CANONICAL_PIPELINE, optimisation.argopt_log, optimisation.argopt_negate):
        assert is_vetted(rule), rule.name
    assert unfold_definitions in vetted_rules()


def test_rules_defined_outside_the_kernel_are_not_vetted() -> None:
    # A rule with the kernel's own function but made outside the kernel is a forgery.
    outside = Rule("combine-exponentials", "", stable_rules.combine_exponentials.apply)
    mine = Rule("mine", "unfold CE", lambda expr, ctx: CE_SUM)
    assert not is_vetted(outside)
    assert not is_vetted(mine)
    assert untrusted((unfold_definitions, mine, stable_rules.combine_exponentials)) == (mine,)
    assert not is_vetted("unfold-definitions")


def test_the_stable_form_rules_are_vetted_kernel_rules() -> None:
    # They used to live in identities/stable_forms.py, where the kernel could not trust them.
    for rule in (stable_rules.combine_exponentials, stable_rules.fold_x_minus_log1p):
        assert is_vetted(rule), rule.name
        assert rule in vetted_rules()


def test_a_copy_of_a_vetted_rule_is_not_vetted_identity_counts() -> None:
    copy = Rule(unfold_definitions.name, unfold_definitions.description, unfold_definitions.apply)
    assert copy == unfold_definitions  # equal as dataclasses …
    assert not is_vetted(copy)  # … but not the kernel's object


def test_the_products_of_split_sum_at_are_vetted_and_forgeries_are_not() -> None:
    m = Symbol("m", integer=True)
    assert is_vetted(split_sum_at(m))
    made = split_sum_at(m)
    renamed = Rule("split-sum-at-k", made.description, made.apply)
    assert not is_vetted(renamed)  # the name must be the one the factory gives that point
    impostor = Rule(made.name, made.description, lambda expr, context: expr)
    assert not is_vetted(impostor)
    function = made.apply
    assert isinstance(function, FunctionType)
    other_globals = FunctionType(
        function.__code__, {**function.__globals__}, None, None, function.__closure__
    )
    assert not is_vetted(Rule(made.name, made.description, other_globals))


def test_a_lying_user_rule_does_not_prove_a_false_step_without_the_backstop() -> None:
    liar = Rule("liar", "returns whatever the step claims", lambda expr, ctx: CE_SUM + 1)
    status, route = _route(_one_step(CE_SUM + 1, liar))
    assert status is Status.CHECKED_NUMERICALLY
    assert route == "numeric backstop only"


def test_a_user_rule_that_borrows_a_vetted_name_is_still_not_trusted() -> None:
    fake = Rule("unfold-definitions", unfold_definitions.description, lambda e, c: CE_SUM + 1)
    status, _ = _route(_one_step(CE_SUM + 1, fake))
    assert status is Status.CHECKED_NUMERICALLY


def test_a_lying_user_rule_next_to_vetted_rules_does_not_prove() -> None:
    liar = Rule("liar", "", lambda expr, ctx: CE_SUM + 1)
    status, _ = _route(_one_step(CE_SUM + 1, unfold_definitions, liar))
    assert status is Status.CHECKED_NUMERICALLY


def test_a_correct_user_rule_proposes_and_the_canonical_form_decides() -> None:
    mine = Rule("mine", "unfold CE", lambda expr, ctx: CE_SUM)
    status, route = _route(_one_step(CE_SUM, mine))
    assert status is Status.PROVED
    assert route == "proposed by user rule mine, decided by canonical form"


def test_a_true_step_with_a_wrong_user_rule_is_proved_by_the_kernel_alone() -> None:
    wrong = Rule("wrong", "", lambda expr, ctx: CE_SUM + 7)
    status, route = _route(_one_step(CE_SUM, wrong))
    assert status is Status.PROVED
    assert route.startswith("canonical form")
    assert "user rule wrong not trusted" in route


def test_the_untrusted_rule_is_named_in_the_reason_of_an_unproved_step() -> None:
    liar = Rule("liar", "", lambda expr, ctx: CE_SUM + 1)
    report = verify(_one_step(CE_SUM + 1, liar))
    assert report.status is Status.FAILED  # and the backstop catches it as well


def test_a_rule_returning_a_non_expression_fails_the_step_naming_the_rule() -> None:
    broken = Rule("broken", "", lambda expr, ctx: "H(P, Q)")  # type: ignore[arg-type,return-value]
    report = verify(_one_step(CE_SUM, broken))
    assert report.status is Status.FAILED
    assert "rule 'broken' returned str, not a SymPy Expr" in report.steps[0].reason


def test_a_rule_that_raises_fails_the_step_with_the_error_in_the_reason() -> None:
    def explode(expr: Expr, context: Context) -> Expr:
        raise ZeroDivisionError("by design")

    report = verify(_one_step(CE_SUM, Rule("explode", "", explode)))
    assert report.status is Status.FAILED
    assert "ZeroDivisionError: by design" in report.steps[0].reason


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [(CrossEntropy(p, q), CE_SUM, True), (CrossEntropy(p, q), CE_SUM + 1, False)],
)
def test_decide_equal_says_how_or_none(a: Expr, b: Expr, equal: bool) -> None:
    how = decide_equal(a, b, FACTS)
    assert (how is not None) is equal
