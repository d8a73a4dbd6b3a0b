"""A hand-set SymPy assumption names the lemma that proves it; no derivation beats its lemmas."""

from __future__ import annotations

import inspect
from typing import ClassVar

import pytest
from sympy import Expr, Function, S, Symbol, log

from divsym.identities.gibbs import gibbs_inequality, gibbs_lemma
from divsym.identities.stable_forms import kl_nonnegative_terms
from divsym.kernel import verify as verify_module
from divsym.kernel.backstop import BackstopResult
from divsym.kernel.derivation import Derivation, Relation, Step
from divsym.kernel.trust import lemmas_used
from divsym.kernel.verify import Status, verify, verify_all
from divsym.symbols import conditional, gibbs, information, likelihood, quantities, softmax, stable
from divsym.symbols.gibbs import GibbsTerm
from divsym.symbols.quantities import NamedQuantity
from divsym.symbols.stable import XMinusLog1p

#: Node classes whose sign is set by hand but follows from their definition or from what is
#: declared about their arguments, so that no lemma is needed (why, for each):
DEFINITION_FOLLOWING = {
    # ∫_0^1 f ds ≥ 0 is decided from the integrand (factored, s = σ/(1+σ)), not asserted.
    "UnitIntegral",
    # p(x_i, y_i)/p(x_i) with both DataBase entries declared positive.
    "TrueConditional",
    # the model p_θ is declared an opaque positive function (a modelling assumption, stated
    # in symbols/conditional.py), like a Symbol declared positive.
    "ModelConditional",
    # δ(y, y_i) ∈ {0, 1}.
    "OneHotTarget",
    # products of the positive entries of a positive base (read from the argument).
    "DataProbability",
    "ModelLikelihood",
    # exp(z_i/T)/Σ_j exp(z_j/T) for real logits, T > 0, n > 0 (read from the arguments).
    "SoftmaxProbability",
    # returns None: SymPy is told nothing.
    "KLDivergence",
}


def _hand_set_sign_classes() -> dict[str, type]:
    found = {}
    for module in (conditional, gibbs, information, likelihood, quantities, softmax, stable):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            own = vars(cls)
            if "_eval_is_nonnegative" in own or "_eval_is_positive" in own:
                found[name] = cls
    return found


def test_every_hand_set_sign_names_a_lemma_or_follows_from_the_definition() -> None:
    classes = _hand_set_sign_classes()
    assert {"GibbsTerm", "XMinusLog1p", "UnitIntegral"} <= set(classes)  # the scan sees them
    for name, cls in classes.items():
        if name in DEFINITION_FOLLOWING:
            continue
        assert isinstance(getattr(cls, "lemma", None), str), f"{name} names no lemma"


def test_the_gibbs_term_and_x_minus_log1p_rest_on_the_gibbs_lemma() -> None:
    assert GibbsTerm.lemma == gibbs_lemma().id == "gibbs-lemma"
    assert XMinusLog1p.lemma == "gibbs-lemma"
    x = Symbol("x", positive=True)
    assert lemmas_used([GibbsTerm(x) + 1]) == ("gibbs-lemma",)
    assert lemmas_used([x - log(x)]) == ()


def test_a_used_lemma_without_a_status_caps_the_derivation() -> None:
    report = verify(gibbs_inequality())
    assert all(step.status is Status.PROVED for step in report.steps)
    assert report.lemmas == ("gibbs-lemma",)
    assert report.status is Status.CHECKED_NUMERICALLY
    assert "gibbs-lemma" in report.reason
    assert report.as_json()["lemmas"] == ["gibbs-lemma"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (Status.PROVED, Status.PROVED),
        (Status.PROVED_FIXED_N, Status.CHECKED_NUMERICALLY),
        (Status.CHECKED_NUMERICALLY, Status.CHECKED_NUMERICALLY),
        (Status.FAILED, Status.FAILED),
    ],
)
def test_a_derivation_is_never_better_than_its_lemma(given: Status, expected: Status) -> None:
    report = verify(kl_nonnegative_terms(), lemmas={"gibbs-lemma": given})
    assert report.status is expected
    assert report.lemmas == ("gibbs-lemma",)
    assert ("gibbs-lemma" in report.reason) is (expected is not Status.PROVED)


def test_verify_all_proves_the_lemma_first_and_passes_its_status_on() -> None:
    # The lemma comes last in the tuple; it is verified first, reports keep the given order.
    reports = verify_all((gibbs_inequality(), gibbs_lemma()))
    assert [r.id for r in reports] == ["gibbs-inequality", "gibbs-lemma"]
    assert [r.status for r in reports] == [Status.PROVED, Status.PROVED]
    assert reports[0].lemmas == ("gibbs-lemma",)


def test_verify_all_without_the_lemma_caps_its_users() -> None:
    (report,) = verify_all((gibbs_inequality(),))
    assert report.status is Status.CHECKED_NUMERICALLY


def test_a_wrong_lemma_derivation_drags_its_users_down() -> None:
    wrong = gibbs_lemma().with_step(1, S.One, relation=Relation.LE)  # 0 ≤ 1 = … = G(x): false
    reports = verify_all((wrong, gibbs_inequality()))
    assert reports[0].status is Status.FAILED
    assert reports[1].status is Status.FAILED
    assert "lemma gibbs-lemma is failed" in reports[1].reason


def test_a_lemma_derivation_does_not_use_itself() -> None:
    # gibbs-lemma ends in G(x); its own routes see G's definition, never G's assumption.
    report = verify(gibbs_lemma())
    assert report.status is Status.PROVED
    assert report.lemmas == ()


class _Opaque(Function):
    """A node with a hand-set sign and no definition to unfold to."""

    nargs = 1
    lemma: ClassVar[str] = "opaque-lemma"

    def _eval_is_nonnegative(self) -> bool:
        return True

    def _eval_is_real(self) -> bool:
        return True

    def _eval_evalf(self, prec: int) -> Expr:
        return (self.args[0] ** 2)._eval_evalf(prec)  # type: ignore[no-any-return]


class _Circular(NamedQuantity):
    """A node whose sign rests on the derivation that mentions it."""

    nargs = 1
    lemma: ClassVar[str] = "circular-lemma"

    def definition(self) -> Expr:
        return self.args[0] ** 2  # type: ignore[no-any-return]

    def _eval_is_nonnegative(self) -> bool:
        return True


def test_a_lemma_derivation_proving_itself_by_its_own_assumption_is_not_proved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    y = Symbol("y", real=True)
    # "_Circular(y) ≥ 0" would be decided by the node's own assumption; unfolded it is y² ≥ 0,
    # which SymPy decides honestly. With a false definition it must not be proved.
    honest = Derivation(
        "circular-lemma",
        "y² ≥ 0",
        (Step(_Circular(y), "a"), Step(S.Zero, "b", relation=Relation.GE)),
    )
    assert verify(honest).status is Status.PROVED

    class _Lying(_Circular):
        lemma: ClassVar[str] = "lying-lemma"

        def definition(self) -> Expr:
            return -(self.args[0] ** 2) - 1  # type: ignore[no-any-return]

    lying = Derivation(
        "lying-lemma",
        "a lie",
        (Step(_Lying(y), "a"), Step(S.Zero, "b", relation=Relation.GE)),
    )
    # Not even with a backstop that agrees to everything: proved must not depend on it.
    monkeypatch.setattr(verify_module, "numeric_check", lambda *a, **k: BackstopResult(True, "ok"))
    assert verify(lying).status is Status.CHECKED_NUMERICALLY


def test_a_lemma_node_without_a_definition_in_its_own_derivation_caps_it() -> None:
    y = Symbol("y", real=True)
    derivation = Derivation(
        "opaque-lemma",
        "opaque",
        (Step(_Opaque(y), "a"), Step(_Opaque(y), "b")),
    )
    report = verify(derivation)
    assert report.steps[0].status is Status.PROVED
    assert report.status is Status.CHECKED_NUMERICALLY
    assert "uses its own lemma opaque-lemma" in report.reason
