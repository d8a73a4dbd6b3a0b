"""Cross-checks with SciPy on ordinary inputs, and the conventions where SciPy differs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numeric_cases import distributions
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

import divsym

RNG = np.random.default_rng(20261129)
SHAPES = [(7,), (3, 11), (2, 3, 5)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("T", [0.5, 1.0, 3.0])
def test_softmax_and_log_softmax_match_scipy(shape: tuple[int, ...], T: float) -> None:
    z = 4 * RNG.standard_normal(shape)
    np.testing.assert_allclose(divsym.softmax(z, T), special.softmax(z / T, axis=-1), rtol=1e-13)
    np.testing.assert_allclose(
        divsym.log_softmax(z, T), special.log_softmax(z / T, axis=-1), rtol=1e-13, atol=1e-15
    )
    np.testing.assert_allclose(
        divsym.log_softmax(z, T),
        z / T - special.logsumexp(z / T, axis=-1, keepdims=True),
        rtol=1e-13,
        atol=1e-15,
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_reductions_match_scipy(shape: tuple[int, ...]) -> None:
    p, q = distributions(RNG, shape), distributions(RNG, shape, spread=2.0)
    np.testing.assert_allclose(divsym.entropy(p), stats.entropy(p, axis=-1), rtol=1e-13)
    np.testing.assert_allclose(
        divsym.entropy(p, base=2), stats.entropy(p, base=2, axis=-1), rtol=1e-13
    )
    kl = divsym.kl_divergence(p, q)
    np.testing.assert_allclose(kl, special.rel_entr(p, q).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(kl, stats.entropy(p, q, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(divsym.cross_entropy(p, q), -special.xlogy(p, q).sum(-1), rtol=1e-13)
    np.testing.assert_allclose(divsym.js_distance(p, q), jensenshannon(p, q, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(
        divsym.js_distance(p, q, base=2), jensenshannon(p, q, base=2, axis=-1), rtol=1e-12
    )
    np.testing.assert_allclose(
        divsym.js_divergence(p, q), jensenshannon(p, q, axis=-1) ** 2, rtol=1e-12
    )


def test_scipy_softmax_defaults_to_the_whole_array_divsym_to_the_last_axis() -> None:
    z = RNG.standard_normal((3, 4))
    assert special.softmax(z).sum() == pytest.approx(1.0)  # axis=None: one distribution
    np.testing.assert_allclose(divsym.softmax(z).sum(axis=-1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(divsym.softmax(z), special.softmax(z, axis=-1), rtol=1e-14)


def test_scipy_entropy_and_jensenshannon_default_to_axis_0() -> None:
    p, q = distributions(RNG, (4, 6)), distributions(RNG, (4, 6))
    assert stats.entropy(p).shape == (6,)  # one entropy per column
    assert divsym.entropy(p).shape == (4,)  # one per row
    np.testing.assert_allclose(divsym.entropy(p.T, axis=0), stats.entropy(p.T), rtol=1e-13)
    np.testing.assert_allclose(
        divsym.js_distance(p.T, q.T, axis=0), jensenshannon(p.T, q.T), rtol=1e-12
    )


def test_scipy_renormalises_divsym_refuses() -> None:
    weights = np.array([1.0, 3.0])  # not a distribution
    assert stats.entropy(weights) == pytest.approx(stats.entropy([0.25, 0.75]), rel=1e-15)
    assert jensenshannon(weights, [3.0, 1.0]) == pytest.approx(
        jensenshannon([0.25, 0.75], [0.75, 0.25]), rel=1e-15
    )
    with pytest.raises(ValueError, match="p must sum to 1"):
        divsym.entropy(weights)


def test_jensenshannon_is_the_distance_divsym_has_both() -> None:
    p, q = [0.1, 0.9], [0.6, 0.4]
    assert divsym.js_distance(p, q) == pytest.approx(jensenshannon(p, q), rel=1e-14)
    assert divsym.js_divergence(p, q) == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-13)


def test_peers_compute_nonsense_where_divsym_raises() -> None:
    with np.errstate(all="ignore"):
        assert np.isnan(special.softmax(np.array([1.0, 2.0]) / 0.0)).all()  # T = 0
    with pytest.raises(ValueError, match="T must be finite and > 0"):
        divsym.softmax([1.0, 2.0], T=0.0)
    assert stats.entropy(np.array([])) == 0 or np.isnan(stats.entropy(np.array([])))
    with pytest.raises(ValueError, match="must not be empty"):
        divsym.entropy([])


def test_float32_in_float32_out_and_broadcasting_like_numpy() -> None:
    p32 = distributions(RNG, (2, 3, 5)).astype(np.float32)
    q32 = distributions(RNG, (5,)).astype(np.float32)
    results: list[Any] = [
        divsym.entropy(p32),
        divsym.cross_entropy(p32, q32),
        divsym.kl_divergence(p32, q32),
        divsym.js_divergence(p32, q32),
        divsym.js_distance(p32, q32),
        divsym.nll(p32, np.array([0, 4, 2])),
        divsym.softmax(p32),
        divsym.log_softmax(p32, axis=1),
    ]
    for result in results:
        assert result.dtype == np.float32
    assert results[2].shape == (2, 3)
    assert results[5].shape == (2, 3)
    assert results[7].shape == (2, 3, 5)
    mixed = divsym.kl_divergence(p32, distributions(RNG, (5,)))  # a float32 p, a float64 q
    assert mixed.dtype == np.float64  # NumPy's promotion


def test_other_axes_are_kept() -> None:
    p = distributions(RNG, (4, 5, 6))
    for axis in (0, 1, 2, -1):
        moved = np.moveaxis(p, -1, axis)
        np.testing.assert_allclose(
            divsym.entropy(moved, axis=axis), stats.entropy(p, axis=-1), rtol=1e-13
        )
        np.testing.assert_allclose(
            divsym.softmax(moved, axis=axis),
            np.moveaxis(special.softmax(p, axis=-1), -1, axis),
            rtol=1e-14,
        )
