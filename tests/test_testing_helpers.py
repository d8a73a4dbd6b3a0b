"""divsym.testing: it accepts divsym's functions, rejects a function off by 1e-6 and names
the case, and accepts SciPy's rel_entr sum only with a tolerance the user states."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import divsym.testing
from divsym.numeric import functions
from divsym.numeric.distillation import distillation_loss
from divsym.testing import assert_matches_reference, check_against_reference


@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("softmax", functions.softmax),
        ("log_softmax", functions.log_softmax),
        ("kl_divergence", functions.kl_divergence),
        ("js_divergence", functions.js_divergence),
        ("cross_entropy", functions.cross_entropy),
    ],
)
def test_divsym_passes_its_own_suite(name: str, function: Any) -> None:
    assert_matches_reference(function, name)


def test_distillation_loss_matches_the_reference_on_the_suite() -> None:
    # The KL form is evaluated from the scaled logit differences (kl-logit-stable-form), so
    # close logits and logits in the hundreds keep full precision: the default 16 ε holds.
    assert_matches_reference(lambda s, t, T: distillation_loss(s, t, T), "distillation_loss")


def test_distillation_loss_through_probabilities_is_caught() -> None:
    # The probability form T²·KL(softmax(t/T) ‖ softmax(s/T)) loses ~1e8 ε on close logits:
    # the suite must say so and name the case.
    def through_probabilities(s: Any, t: Any, T: Any) -> Any:
        return T**2 * functions.kl_divergence(functions.softmax(t, T), functions.softmax(s, T))

    report = check_against_reference(through_probabilities, "distillation_loss")
    assert not report.passed
    assert report.case.startswith("close")


def test_rejects_kl_off_by_one_part_in_a_million_and_names_the_case() -> None:
    def off(p: Any, q: Any) -> Any:
        return functions.kl_divergence(p, q) * (1 + 1e-6)

    with pytest.raises(AssertionError, match=r"does NOT match") as caught:
        assert_matches_reference(off, "kl_divergence")
    message = str(caught.value)
    assert "case '" in message
    assert "ε" in message
    report = check_against_reference(off, "kl_divergence")
    assert report.worst_ulps == pytest.approx(1e-6 / divsym.testing.EPS, rel=1e-3)


def test_rejects_softmax_off_in_one_entry() -> None:
    def off(z: Any, T: Any) -> Any:
        out = functions.softmax(z, T).copy()
        out[..., 0] *= 1 + 1e-6
        return out

    assert not check_against_reference(off, "softmax").passed


def test_scipy_rel_entr_needs_a_stated_tolerance() -> None:
    special = pytest.importorskip("scipy.special")

    def scipy_kl(p: Any, q: Any) -> Any:
        return special.rel_entr(p, q).sum(-1)

    report = check_against_reference(scipy_kl, "kl_divergence")
    assert not report.passed
    assert report.case.startswith("close")  # cancellation on close distributions
    assert check_against_reference(scipy_kl, "kl_divergence", rtol=1e-3).passed
    assert check_against_reference(scipy_kl, "kl_divergence", ulps=1e9).passed


def test_exceptions_and_wrong_sizes_are_failures() -> None:
    def broken(p: Any, q: Any) -> Any:
        raise RuntimeError("boom")

    report = check_against_reference(broken, "kl_divergence")
    assert not report.passed
    assert "boom" in str(report.got)
    assert not check_against_reference(lambda p, q: np.zeros(2), "kl_divergence").passed


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": "kl"}, ValueError),
        ({"name": "kl_divergence", "rtol": -1.0}, ValueError),
        ({"name": "kl_divergence", "rtol": 1e-3, "ulps": 4}, ValueError),
        ({"name": "kl_divergence", "ulps": "4"}, TypeError),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, Any], error: type) -> None:
    with pytest.raises(error, match=r"name|rtol|ulps"):
        check_against_reference(functions.kl_divergence, **kwargs)
