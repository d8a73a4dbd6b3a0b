"""Property tests (Hypothesis): the identities hold on arbitrary inputs; fuzzing never leaks NaN."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special

import divsym

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def distribution_pairs(draw: Any, zeros: bool = True) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 12))
    rows = draw(st.integers(1, 3))
    low = 0.0 if zeros else 1e-6
    weights = st.floats(low, 1.0, allow_subnormal=False)
    a = draw(hnp.arrays(np.float64, (rows, n), elements=weights))
    b = draw(hnp.arrays(np.float64, (rows, n), elements=weights))
    a[:, 0] += 1e-3  # no all-zero row
    b[:, 0] += 1e-3
    return a / a.sum(axis=-1, keepdims=True), b / b.sum(axis=-1, keepdims=True)


@FAST
@given(distribution_pairs())
def test_kl_is_nonnegative_and_zero_for_equal_distributions(pair: Any) -> None:
    p, q = pair
    kl = divsym.kl_divergence(p, q)
    assert (kl >= 0).all(), (p, q, kl)
    assert (divsym.kl_divergence(p, p) == 0).all()


@FAST
@given(distribution_pairs(zeros=False))
def test_kl_is_positive_for_different_distributions(pair: Any) -> None:
    p, q = pair
    differ = np.abs(p - q).max(axis=-1) > 1e-6
    assert (divsym.kl_divergence(p, q)[differ] > 0).all()


@FAST
@given(distribution_pairs())
def test_jsd_is_symmetric_and_between_0_and_log2(pair: Any) -> None:
    p, q = pair
    forward, backward = divsym.js_divergence(p, q), divsym.js_divergence(q, p)
    np.testing.assert_allclose(forward, backward, rtol=1e-13, atol=1e-300)
    assert (forward >= 0).all()
    assert (forward <= np.log(2) * (1 + 1e-15)).all(), forward
    np.testing.assert_allclose(divsym.js_distance(p, q) ** 2, forward, rtol=1e-14, atol=1e-300)


@FAST
@given(distribution_pairs(zeros=False))
def test_cross_entropy_is_entropy_plus_kl(pair: Any) -> None:
    p, q = pair
    np.testing.assert_allclose(
        divsym.cross_entropy(p, q), divsym.entropy(p) + divsym.kl_divergence(p, q), rtol=1e-12
    )


logits = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 3), st.integers(2, 10)),
    elements=st.floats(-1e5, 1e5, allow_subnormal=False),
)
temperatures = st.floats(1e-3, 1e3)


@FAST
@given(logits, temperatures, st.floats(-1e4, 1e4))
def test_softmax_sums_to_one_and_is_shift_invariant(z: Any, T: float, shift: float) -> None:
    q = divsym.softmax(z, T)
    assert np.isfinite(q).all()
    np.testing.assert_allclose(q.sum(axis=-1), 1.0, rtol=1e-13)
    shifted = divsym.softmax(z + shift, T)
    # z + shift rounds each logit by up to ulp(z + shift): the bound of the softmax entry.
    scale = np.spacing(np.abs(z) + abs(shift)) * 4 / T
    np.testing.assert_allclose(shifted, q, rtol=1e-12 + float(scale.max()) * 10, atol=1e-300)
    log_q = divsym.log_softmax(z, T)
    np.testing.assert_allclose(np.exp(log_q), q, rtol=1e-12, atol=1e-300)


@FAST
@given(distribution_pairs(), st.data())
def test_nll_is_cross_entropy_with_one_hot_targets(pair: Any, data: Any) -> None:
    _, q = pair
    labels = data.draw(hnp.arrays(np.int64, q.shape[:-1], elements=st.integers(0, q.shape[-1] - 1)))
    one_hot = np.eye(q.shape[-1])[labels]
    np.testing.assert_array_equal(divsym.nll(q, labels), divsym.cross_entropy(one_hot, q))


FUNCTIONS = {
    "softmax": lambda a, b: divsym.softmax(a),
    "log_softmax": lambda a, b: divsym.log_softmax(a, T=0.5),
    "entropy": lambda a, b: divsym.entropy(a),
    "cross_entropy": lambda a, b: divsym.cross_entropy(a, b),
    "kl_divergence": lambda a, b: divsym.kl_divergence(a, b),
    "js_divergence": lambda a, b: divsym.js_divergence(a, b),
    "js_distance": lambda a, b: divsym.js_distance(a, b, base=2),
    "nll": lambda a, b: divsym.nll(a, np.zeros(np.shape(a)[:-1], dtype=int)),
}


@st.composite
def fuzz_arrays(draw: Any) -> Any:
    values = draw(
        hnp.arrays(
            np.float64,
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
            elements=st.one_of(
                st.floats(allow_nan=True, allow_infinity=True),
                st.sampled_from([0.0, 0.25, 0.5, 1.0, -0.5]),
            ),
        )
    )
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.float16]))
    with np.errstate(all="ignore"):
        return np.asarray(values.astype(dtype))


def _probabilities_like(a: np.ndarray) -> bool:
    return a.ndim > 0 and a.size > 0


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(FUNCTIONS)), fuzz_arrays(), fuzz_arrays(), st.booleans())
def test_fuzz_every_call_returns_finite_values_or_raises(
    name: str, a: np.ndarray, b: np.ndarray, normalise: bool
) -> None:
    if normalise and _probabilities_like(a) and a.dtype.kind == "f":
        with np.errstate(all="ignore"):
            a = a / a.sum(axis=-1, keepdims=True)
            b = a[::-1] if b.shape != a.shape else np.abs(b) / np.abs(b).sum(axis=-1, keepdims=True)
    try:
        with np.errstate(all="raise"):
            result = FUNCTIONS[name](a, b)
    except (ValueError, TypeError):
        return
    values = np.asarray(result)
    assert not np.isnan(values).any(), (name, a, b, values)
    if name in ("softmax", "entropy", "js_divergence", "js_distance"):
        assert np.isfinite(values).all(), (name, a, b, values)
    if name == "softmax":
        eps = float(np.finfo(values.dtype).eps)
        with np.errstate(over="ignore"):
            spread = float(np.ptp(a.astype(np.float64), axis=-1).max())
        # Logits more than the largest float apart overflow SciPy's own shift: that case is
        # checked against the 50-digit reference in tests/test_numeric_edges.py instead.
        if math.isfinite(spread):
            expected = special.softmax(a.astype(np.float64), axis=-1)
            np.testing.assert_allclose(values, expected, rtol=16 * eps * (1 + spread), atol=1e-300)
    if name in ("kl_divergence", "js_divergence", "js_distance", "entropy", "cross_entropy"):
        assert (values >= 0).all(), (name, a, b, values)


def test_fuzz_examples_that_must_raise() -> None:
    examples: list[Any] = [[np.nan, 1.0], [-0.5, 1.5], [[]], 3.0, np.array(["x"])]
    for bad in examples:
        for name, function in FUNCTIONS.items():
            function = cast(Callable[[Any, Any], Any], function)
            if name.endswith("softmax") and isinstance(bad, list) and bad == [-0.5, 1.5]:
                continue  # negative logits are fine
            with pytest.raises((ValueError, TypeError)):
                function(bad, [0.5, 0.5])
