"""The derivation engine: it proves what is true and says no to what is not."""

from __future__ import annotations

import re

import pytest
from sympy import Add, Expr, IndexedBase, S, Sum, Symbol, cos, log, sin

from divsym.identities import all_derivations
from divsym.identities.cross_entropy_kl import cross_entropy_decomposition
from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Relation, Step
from divsym.kernel.rules import Rule
from divsym.kernel.verify import DerivationReport, Status, symbolic_route, verify, verify_all
from divsym.symbols.notation import i, j, n, p, q
from divsym.symbols.quantities import CrossEntropy, Entropy, KLDivergence

CE_SUM = -Sum(p[i] * log(q[i]), (i, 1, n))


def test_cross_entropy_decomposition_is_proved_for_symbolic_n() -> None:
    report = verify(cross_entropy_decomposition())
    assert report.status is Status.PROVED, report
    assert report.fixed_n == ()
    assert all(step.status is Status.PROVED for step in report.steps)
    assert all("50 digits" in step.backstop for step in report.steps)


_ALL = all_derivations()
_REPORTS: dict[str, DerivationReport] = {}


def _report_with_lemmas(derivation: Derivation) -> DerivationReport:
    """The report from verify_all over every registered derivation (lemmas verified first)."""
    if not _REPORTS:
        _REPORTS.update((report.id, report) for report in verify_all(_ALL))
    return _REPORTS[derivation.id]


@pytest.mark.parametrize("derivation", _ALL, ids=lambda d: d.id)
def test_every_registered_derivation_is_proved_step_by_step(derivation: Derivation) -> None:
    report = _report_with_lemmas(derivation)
    assert report.status is Status.PROVED, [(s.index, s.route, s.backstop) for s in report.steps]
    assert report.fixed_n == ()
    assert all(step.status is Status.PROVED for step in report.steps)
    assert all("50 digits" in step.backstop for step in report.steps)
    assert all(step.because.strip() for step in derivation.steps)


def test_every_registered_derivation_has_a_unique_id() -> None:
    ids = [d.id for d in all_derivations()]
    assert len(ids) == len(set(ids))
    assert "cross-entropy-decomposition" in ids


# Wrong variants of CE = H + KL, each a classic slip; every one must be rejected.
MUTATIONS = {
    "flipped sign": (1, Sum(p[i] * log(q[i]), (i, 1, n))),
    "swapped arguments of KL": (4, Add(Entropy(p), KLDivergence(q, p), evaluate=False)),
    "swapped arguments of CE": (1, -Sum(q[i] * log(p[i]), (i, 1, n))),
    "dropped term": (2, CE_SUM + Sum(p[i] * log(p[i]), (i, 1, n))),
    "log base e changed to 2": (1, -Sum(p[i] * log(q[i], 2), (i, 1, n))),
    "wrong decomposition": (4, Add(Entropy(p), -KLDivergence(p, q), evaluate=False)),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_wrong_step_is_reported_failed(name: str) -> None:
    index, expr = MUTATIONS[name]
    report = verify(cross_entropy_decomposition().with_step(index, expr))
    assert report.status is Status.FAILED, f"{name}: {report}"
    assert any(step.status is Status.FAILED for step in report.steps)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_symbolic_route_alone_does_not_prove_a_wrong_step(name: str) -> None:
    index, expr = MUTATIONS[name]
    derivation = cross_entropy_decomposition().with_step(index, expr)
    previous = derivation.steps[index - 1].expr
    status, route, _ = symbolic_route(previous, derivation.steps[index], derivation)
    assert status is not Status.PROVED, f"{name} proved by {route}"


def test_an_unsound_user_rule_proves_nothing_even_without_the_backstop() -> None:
    # A rule written outside divsym that "proves" anything: the symbolic route alone must
    # refuse it (proved must not depend on the backstop), and the backstop rejects the step.
    liar = Rule("liar", "returns whatever the step claims", lambda expr, ctx: CE_SUM + 1)
    derivation = Derivation(
        "liar",
        "an unsound rule",
        (Step(CrossEntropy(p, q), "start"), Step(CE_SUM + 1, "by the liar", rules=(liar,))),
        Context(distributions=(p, q)),
    )
    status, route, _ = symbolic_route(derivation.steps[0].expr, derivation.steps[1], derivation)
    assert status is Status.CHECKED_NUMERICALLY, route
    report = verify(derivation)
    assert report.status is Status.FAILED
    assert "numeric backstop disagrees" in report.steps[0].reason


def test_rules_route_keeps_canonical_indices_without_naming_them_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The rules route uses Rule.rewrite: naming the user's indices back on every rule call
    # is wasted work, since every comparison is made after canonical renaming.
    import divsym.kernel.rules as rules_module

    def forbidden(result: Expr, original: Expr) -> Expr:
        raise AssertionError("restore_names called by the rules route")

    monkeypatch.setattr(rules_module, "restore_names", forbidden)
    derivation = cross_entropy_decomposition()
    for index in range(1, len(derivation.steps)):
        step = derivation.steps[index]
        if step.rules:
            previous = derivation.steps[index - 1].expr
            status, route, _ = symbolic_route(previous, step, derivation)
            assert status is Status.PROVED, route
            assert route.startswith("rules: "), route


def test_normalisation_is_used_only_when_stated() -> None:
    r = IndexedBase("r", positive=True)
    steps = (Step(Sum(r[i], (i, 1, n)), "start"), Step(S.One, "Σ r = 1"))
    stated = Derivation("stated", "Σr = 1", steps, Context(distributions=(r,)))
    unstated = Derivation("unstated", "Σr = 1", steps, Context())
    assert verify(stated).status is Status.PROVED
    assert verify(unstated).status is Status.FAILED


def test_fixed_n_status_lists_the_n_it_was_proved_for() -> None:
    # (Σ p_i)² = Σ_i Σ_j p_i p_j: beyond the canonical form, true for every concrete n.
    r = IndexedBase("r", positive=True)
    derivation = Derivation(
        "square",
        "square of a sum",
        (
            Step(Sum(r[i], (i, 1, n)) ** 2, "start"),
            Step(Sum(Sum(r[i] * r[j], (j, 1, n)), (i, 1, n)), "multiply out"),
        ),
        fixed_n=(2, 3, 4),
    )
    report = verify(derivation)
    assert report.status is Status.PROVED_FIXED_N
    assert report.fixed_n == (2, 3, 4)
    assert report.as_json()["fixed_n"] == [2, 3, 4]


def test_true_step_beyond_every_symbolic_route_is_only_checked_numerically() -> None:
    x = Symbol("x", real=True)
    derivation = Derivation(
        "pythagoras",
        "sin² + cos² = 1",
        (Step(sin(x) ** 2 + cos(x) ** 2, "start"), Step(S.One, "Pythagoras")),
    )
    report = verify(derivation)
    assert report.status is Status.CHECKED_NUMERICALLY
    assert report.steps[0].route == "numeric backstop only"


def test_inequality_step_is_decided_or_rejected() -> None:
    squares = Sum(p[i] ** 2, (i, 1, n))
    true = Derivation(
        "ge", "Σp² ≥ 0", (Step(squares, "start"), Step(S.Zero, "squares", relation=Relation.GE))
    )
    false = Derivation(
        "le", "Σp² ≤ 0", (Step(squares, "start"), Step(S.Zero, "wrong", relation=Relation.LE))
    )
    assert verify(true).status is Status.PROVED
    assert verify(false).status is Status.FAILED


def test_step_with_a_symbol_the_backstop_cannot_sample_fails_with_a_reason() -> None:
    w = Symbol("w")  # no assumptions: complex, so no honest sampling range
    derivation = Derivation("w", "w = w", (Step(w, "start"), Step(w, "same")))
    report = verify(derivation)
    assert report.status is Status.FAILED
    assert "cannot sample w" in report.steps[0].backstop


def test_verification_is_deterministic() -> None:
    first = verify(cross_entropy_decomposition())
    second = verify(cross_entropy_decomposition())
    assert [s.backstop for s in first.steps] == [s.backstop for s in second.steps]
    assert first.status == second.status


def test_derivation_needs_two_steps() -> None:
    with pytest.raises(ValueError, match="at least two steps"):
        Derivation("one", "one step", (Step(Entropy(p), "start"),))


def test_a_rule_that_crashes_makes_the_step_failed_not_the_program() -> None:
    def explode(expr: Expr, context: Context) -> Expr:
        raise RuntimeError("boom")

    derivation = Derivation(
        "crash",
        "a crashing rule",
        (
            Step(CrossEntropy(p, q), "start"),
            Step(CE_SUM, "by a broken rule", rules=(Rule("boom", "", explode),)),
        ),
        Context(distributions=(p, q)),
    )
    report = verify(derivation)
    assert report.status is Status.FAILED
    assert "RuntimeError: boom" in report.steps[0].route


def test_with_step_changes_one_step_and_keeps_the_rest() -> None:
    derivation = cross_entropy_decomposition()
    changed = derivation.with_step(2, S.Zero, relation=Relation.GE, rules=())
    assert changed.steps[2].expr == 0
    assert changed.steps[2].relation is Relation.GE
    assert changed.steps[:2] == derivation.steps[:2]
    assert changed.steps[3:] == derivation.steps[3:]
    assert derivation.with_step(1).steps == derivation.steps
    with pytest.raises(ValueError, match="has no step 9"):
        derivation.with_step(9, S.Zero)


def _steps() -> tuple[Step, Step]:
    return (Step(Entropy(p), "start"), Step(-Sum(p[i] * log(p[i]), (i, 1, n)), "definition"))


@pytest.mark.parametrize(
    ("fields", "error", "words"),
    [
        ({"id": ""}, ValueError, "id must be a non-empty slug"),
        ({"id": "has space"}, ValueError, "'has space'"),
        ({"id": 7}, TypeError, "id must be a str"),
        ({"title": None}, TypeError, "title must be a str"),
        ({"steps": list(_steps())}, TypeError, "steps must be a tuple of Step, got list"),
        ({"steps": (_steps()[0], "x = 1")}, TypeError, "steps[1] must be a Step, got str"),
        ({"steps": (_steps()[0], Step(1, "int"))}, TypeError, "steps[1].expr must be a SymPy Expr"),
        (
            {"steps": (_steps()[0], Step(S.One, "eq", relation="="))},  # type: ignore[arg-type]
            TypeError,
            "steps[1].relation must be a Relation, got str",
        ),
        (
            {"steps": (_steps()[0], Step(S.One, "f", rules=(len,)))},  # type: ignore[arg-type]
            TypeError,
            "steps[1].rules[0] must be a Rule",
        ),
        (
            {"steps": (_steps()[0], Step(S.One, "f", rules=[]))},  # type: ignore[arg-type]
            TypeError,
            "steps[1].rules must be a tuple",
        ),
        ({"context": {}}, TypeError, "context must be a Context, got dict"),
        ({"fixed_n": (2, 0)}, ValueError, "fixed_n must be a tuple of positive ints"),
        ({"fixed_n": [2]}, ValueError, "fixed_n must be a tuple"),
        ({"remarks": "one remark"}, TypeError, "remarks must be a tuple of str"),
    ],
)
def test_derivation_rejects_a_malformed_field_naming_it(
    fields: dict[str, object], error: type[Exception], words: str
) -> None:
    arguments: dict[str, object] = {"id": "ok", "title": "ok", "steps": _steps(), **fields}
    with pytest.raises(error, match=re.escape(words)):
        Derivation(**arguments)  # type: ignore[arg-type]


def test_derivation_accepts_the_dataclass_api_it_always_had() -> None:
    derivation = Derivation(
        "entropy.v1_x",
        "H",
        _steps(),
        Context(distributions=(p,)),
        section="s",
        remarks=("r",),
        fixed_n=(2,),
    )
    assert derivation.start == Entropy(p)
    assert derivation.with_step(1, relation=Relation.GE).steps[1].relation is Relation.GE
    with pytest.raises(TypeError, match=re.escape("steps[1].expr must be a SymPy Expr")):
        derivation.with_step(1, "x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "error", "words"),
    [
        ({"seed": "1"}, TypeError, "seed must be an int or None, got '1'"),
        ({"budget": 0}, ValueError, "budget must be a positive number of seconds or None, got 0"),
        ({"budget": "2"}, ValueError, "budget must be a positive number"),
        ({"lemmas": ["gibbs-lemma"]}, TypeError, "lemmas must be a mapping"),
        ({"lemmas": {"gibbs-lemma": "proved"}}, TypeError, "lemmas must map str to Status"),
    ],
)
def test_verify_rejects_bad_arguments_naming_them(
    arguments: dict[str, object], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=re.escape(words)):
        verify(Derivation("ok", "ok", _steps()), **arguments)  # type: ignore[arg-type]


def test_verify_rejects_what_is_not_a_derivation() -> None:
    with pytest.raises(TypeError, match="derivation must be a Derivation, got tuple"):
        verify(_steps())  # type: ignore[arg-type]


def test_a_step_the_backstop_cannot_instantiate_fails_with_a_reason() -> None:
    # SymPy's own diff of the softmax node (not an unevaluated Derivative) reaches the node's
    # definition with a Dummy for the logits; verify must report the step, not raise.
    from sympy import KroneckerDelta, diff

    from divsym.symbols.notation import T, k, z
    from divsym.symbols.softmax import SoftmaxProbability

    start = diff(log(SoftmaxProbability(z, T, k, n)), z[j])
    wrong = (KroneckerDelta(j, k) - SoftmaxProbability(z, T, j, n)) / T
    derivation = Derivation(
        "diff-of-node", "diff", (Step(start, "start"), Step(wrong, "claimed gradient"))
    )
    report = verify(derivation, lemmas={})
    assert report.status is Status.FAILED
    assert "could not evaluate" in report.steps[0].reason


def test_a_chain_mixing_ge_and_le_is_refused_and_named() -> None:
    """KL ≥ 0 ≤ log n (found by the outside breaker) relates no two lines: a ValueError at
    construction, naming where each direction first appears; ≥ with = is fine."""
    x = Symbol("x", positive=True)
    steps = (
        Step(x + 1, "start"),
        Step(x, "drop 1", relation=Relation.GE),
        Step(x, "the same", relation=Relation.EQ),
        Step(x + 2, "add 2", relation=Relation.LE),
    )
    with pytest.raises(
        ValueError, match=r"mixes >= \(first at steps\[1\]\) and <= \(first at steps\[3\]\)"
    ):
        Derivation(id="mixed", title="mixed", steps=steps)
    Derivation(id="one-way", title="one way", steps=steps[:3])  # = and ≥ only: accepted
