"""The public API: ``from divsym import Derivation, Step, Relation, Context, verify`` and
``from divsym.symbols import ...`` are all it takes to write and verify a derivation."""

from __future__ import annotations

import subprocess
import sys
from typing import Any, ClassVar

import pytest
from sympy import Expr, Sum, log

import divsym
import divsym.symbols
from divsym import api
from divsym.kernel.verify import Status
from divsym.symbols.quantities import NamedQuantity


def _kl_to_uniform() -> divsym.Derivation:
    from divsym import Context, Derivation, Step
    from divsym.symbols import H, i, n, p

    return Derivation(
        id="kl-uniform",
        title="KL divergence to the uniform distribution",
        context=Context(distributions=(p,)),
        steps=(
            Step(Sum(p[i] * log(n * p[i]), (i, 1, n)), "D_KL(P ‖ U) with u_i = 1/n"),
            Step(
                Sum(p[i] * log(p[i]), (i, 1, n)) + log(n) * Sum(p[i], (i, 1, n)),
                "log(n p_i) = log n + log p_i",
            ),
            Step(Sum(p[i] * log(p[i]), (i, 1, n)) + log(n), "P is normalised"),
            Step(log(n) - H(p), "definition of the entropy"),
        ),
    )


def test_every_public_name_of_divsym_resolves() -> None:
    for name in divsym.__all__:
        assert getattr(divsym, name) is not None, name
    assert set(divsym.__all__) <= set(dir(divsym))
    from divsym import Context, Derivation, Relation, Step, verify
    from divsym.kernel.context import Context as KernelContext
    from divsym.kernel.derivation import Derivation as KernelDerivation

    assert Derivation is KernelDerivation
    assert Context is KernelContext
    assert Relation.GE.value == ">="
    assert callable(verify)
    assert Step.__name__ == "Step"


def test_an_unknown_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="'no_such_thing'"):
        _ = divsym.no_such_thing  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="'no_such_symbol'"):
        _ = divsym.symbols.no_such_symbol


def test_every_public_name_of_divsym_symbols_resolves() -> None:
    from divsym.symbols import (
        D_KL,
        JSD,
        CrossEntropy,
        Entropy,
        H,
        JSDivergence,
        KLDivergence,
        SoftmaxProbability,
        T,
        i,
        n,
        p,
        q,
        z,
    )

    for name in divsym.symbols.__all__:
        assert getattr(divsym.symbols, name) is not None, name
    assert set(divsym.symbols.__all__) <= set(dir(divsym.symbols))
    assert D_KL is KLDivergence
    assert JSD is JSDivergence
    assert isinstance(H(p), Entropy)
    assert isinstance(H(p, q), CrossEntropy)
    assert H(p, q, 3).classes == 3
    assert n.is_integer
    assert n.is_positive
    assert T.is_positive
    assert str(SoftmaxProbability(z, T, i)) == "q_i"


def test_lazy_names_are_not_loaded_by_import_divsym() -> None:
    code = (
        "import sys, divsym\n"
        "print(sorted(set(divsym._LAZY) & set(vars(divsym))))\n"
        "print('divsym.api' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split("\n")[:2] == ["[]", "False"]


def test_import_divsym_adds_no_sympy_to_what_the_numeric_functions_import() -> None:
    probe = "import sys, {0}; print('sympy' in sys.modules)"
    numeric = subprocess.run(
        [sys.executable, "-c", probe.format("divsym.numeric.functions")],
        capture_output=True,
        text=True,
        check=True,
    )
    if numeric.stdout.strip() == "True":
        pytest.skip("divsym.numeric.functions still imports SymPy (generated module pending)")
    package = subprocess.run(
        [sys.executable, "-c", probe.format("divsym")], capture_output=True, text=True, check=True
    )
    assert package.stdout.strip() == "False"


def test_a_user_derivation_is_proved() -> None:
    report = divsym.verify(_kl_to_uniform())
    assert report.status is Status.PROVED
    assert [s.status for s in report.steps] == [Status.PROVED] * 3
    assert report.derivation is not None
    assert report.derivation.id == "kl-uniform"


def test_a_wrong_user_derivation_fails_at_the_wrong_step() -> None:
    from divsym.render.status import first_unproved, step_reason
    from divsym.symbols import H, n, p

    wrong = _kl_to_uniform().with_step(3, log(n) + H(p))
    report = divsym.verify(wrong)
    assert report.status is Status.FAILED
    failing = first_unproved(report)
    assert failing is not None
    assert failing.index == 3
    assert "n = " in step_reason(failing)


@pytest.mark.parametrize("bad", [None, "kl-uniform", 3])
def test_verify_rejects_what_is_not_a_derivation(bad: object) -> None:
    with pytest.raises(TypeError, match="derivation must be a divsym Derivation"):
        divsym.verify(bad)  # type: ignore[arg-type]


def test_verify_rejects_a_bad_seed() -> None:
    with pytest.raises(TypeError, match="seed must be an int or None, got 'x'"):
        divsym.verify(_kl_to_uniform(), seed="x")  # type: ignore[arg-type]


class _NeedsGibbs(NamedQuantity):
    """A node whose (hand-set) assumption is proved by the lecture's ``gibbs-lemma``."""

    nargs = 1
    lemma: ClassVar[str] = "gibbs-lemma"

    def definition(self) -> Expr:
        return self.args[0] - 1 - log(self.args[0])  # type: ignore[no-any-return]


def test_lemmas_used_are_read_from_the_nodes_of_every_step() -> None:
    from divsym.identities.gibbs import x

    assert api.lemmas_used(_kl_to_uniform()) == ()
    from divsym import Derivation, Step

    visible = Derivation("uses-gibbs", "uses G", (Step(_NeedsGibbs(x), "a"), Step(x - 1, "b")))
    assert api.lemmas_used(visible) == ("gibbs-lemma",)


def test_lemma_statuses_come_from_the_lecture_and_unknown_lemmas_get_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(api, "_LEMMA_STATUS", {})
    assert api.lemma_statuses(["gibbs-lemma", "no-such-lemma"]) == {"gibbs-lemma": Status.PROVED}
    # Cached: a second call does not verify again.
    monkeypatch.setattr(api, "_identity", lambda lemma: pytest.fail("verified twice"))
    assert api.lemma_statuses(["gibbs-lemma"]) == {"gibbs-lemma": Status.PROVED}


def test_the_kernel_gets_the_lemma_statuses(monkeypatch: pytest.MonkeyPatch) -> None:
    from divsym import Derivation, Step
    from divsym.identities.gibbs import x

    seen: dict[str, Any] = {}
    from divsym.kernel.verify import verify as real

    def kernel(derivation: Any, seed: Any = None, lemmas: Any = None) -> Any:
        seen["lemmas"] = lemmas
        return real(derivation, seed=seed)

    monkeypatch.setattr(api, "kernel_verify", kernel)
    monkeypatch.setattr(api, "_LEMMA_STATUS", {"gibbs-lemma": Status.CHECKED_NUMERICALLY})
    derivation = Derivation(
        "uses-gibbs", "uses G", (Step(_NeedsGibbs(x), "a"), Step(x - 1 - log(x), "b"))
    )
    api.verify(derivation)
    assert seen["lemmas"] == {"gibbs-lemma": Status.CHECKED_NUMERICALLY}


def test_a_lemma_that_uses_itself_gets_its_status_without_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from divsym import Derivation, Step
    from divsym.identities.gibbs import x

    class _Loop(_NeedsGibbs):
        lemma: ClassVar[str] = "loop"

    loop = Derivation(
        "loop", "a lemma using itself", (Step(_Loop(x), "a"), Step(x - 1 - log(x), "b"))
    )
    monkeypatch.setattr(api, "FACTORIES", (lambda: loop,))
    monkeypatch.setattr(api, "_LEMMA_STATUS", {})
    statuses = api.lemma_statuses(["loop"])  # terminates: the cycle is cut
    assert set(statuses) == {"loop"}
