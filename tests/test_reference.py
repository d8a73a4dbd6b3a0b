"""The mpmath references: the definitions at 50 digits, with the conventions, at known values."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from divsym import reference


def test_references_at_values_known_in_closed_form() -> None:
    # Compared at 60 digits (a comparison outside workdps would round to 15).
    with mpmath.workdps(60):
        log2 = mpmath.log(2)
        tolerance = mpmath.mpf(10) ** -48
        # log 2, and the JSD of disjoint distributions is log 2 (1 bit).
        assert abs(reference.entropy([0.5, 0.5]) - log2) < tolerance
        assert abs(reference.js_divergence([1.0, 0.0], [0.0, 1.0]) - log2) < tolerance
        assert abs(reference.js_distance([1.0, 0.0], [0.0, 1.0], base=2) - 1) < tolerance
        # D_KL([0.5, 0.5] ‖ [0.75, 0.25]) = ½ log(2/3) + ½ log 2 = ½ log(4/3); inputs exact.
        kl = reference.kl_divergence([0.5, 0.5], [0.75, 0.25])
        assert abs(kl - mpmath.log(mpmath.mpf(4) / 3) / 2) < tolerance
        assert abs(reference.nll([0.25, 0.75], 0, base=2) - 2) < tolerance
        # Conventions: 0·log 0 = 0, and q = 0 < p gives +inf.
        assert reference.entropy([1.0, 0.0]) == 0
        assert reference.kl_divergence([0.5, 0.5], [1.0, 0.0]) == mpmath.inf
        assert abs(reference.kl_divergence([1.0, 0.0], [0.5, 0.5]) - log2) < tolerance
        assert reference.cross_entropy([0.0, 1.0], [0.0, 1.0]) == 0


def test_softmax_reference_handles_logits_that_overflow_in_float64() -> None:
    values = reference.softmax([1e5, 1e5 - 1.0], T=2.0**-10)  # T exact in binary
    with mpmath.workdps(60):
        expected = mpmath.exp(-1024) / (1 + mpmath.exp(-1024))
        assert abs(values[1] / expected - 1) < mpmath.mpf(10) ** -45
    assert float(values[0]) == 1.0


def test_log_softmax_reference_resolves_the_dominant_class() -> None:
    values = reference.log_softmax([0.0, -200.0])
    # -log1p(e^-200) = -1.3838965267367376e-87 (e^-200 computed with mpmath, mp.dps = 50);
    # at 50 digits 1 + e^-200 rounds to 1, so the reference must use more.
    assert float(values[0]) == pytest.approx(-1.3838965267367376e-87, rel=1e-15)


def test_precision_is_not_changed_globally() -> None:
    before = mpmath.mp.dps
    reference.kl_divergence([0.5, 0.5], [0.25, 0.75])
    reference.log_softmax([0.0, -200.0])
    assert mpmath.mp.dps == before


def test_over_rows_and_relative_error() -> None:
    p = np.array([[0.5, 0.5], [1.0, 0.0]])
    values = reference.over_rows(reference.entropy, p)
    assert values.shape == (2,)
    assert reference.relative_error(np.log(2), values[0]) < 1e-16
    assert reference.relative_error(0.0, values[1]) == 0
    assert reference.relative_error(1.0, values[1]) == float("inf")
    assert reference.max_relative_error([np.log(2), 0.0], values) < 1e-16
