"""The streamed summary of ``divsym batch``: partials merged in any order equal the statistics
of all the values (NumPy on the whole array is the reference), quantiles within the stated
relative accuracy, infinities counted apart."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from numpy.typing import NDArray

from divsym.cli.batch_summary import (
    QUANTILES,
    RELATIVE_ACCURACY,
    Partial,
    format_summary,
    histogram,
    merge,
    partial,
    quantile,
)


def _values() -> NDArray[np.float64]:
    """Magnitudes over 30 orders of ten, both signs, exact zeros and repeated values."""
    rng = np.random.default_rng(7)
    x: NDArray[np.float64] = 10.0 ** rng.uniform(-20, 10, size=20_000)
    x *= rng.choice([-1.0, 1.0], size=20_000)
    x[::97] = 0.0
    x[::89] = 3.5
    return x


def _summary(x: NDArray[np.float64], pieces: int, seed: int = 0) -> Partial:
    cuts = np.sort(np.random.default_rng(seed).choice(np.arange(1, x.size), pieces - 1, False))
    parts = [partial(piece) for piece in np.split(x, cuts)]
    np.random.default_rng(seed + 1).shuffle(parts)  # merge order must not matter
    return functools.reduce(merge, parts)


def _assert_sketch_quantiles_hold(summary: Partial, x: NDArray[np.float64]) -> None:
    for q in (0.0, *QUANTILES, 1.0):
        exact = float(np.quantile(x, q, method="lower"))
        estimate = quantile(summary, q)
        assert abs(estimate - exact) <= RELATIVE_ACCURACY * abs(exact), (q, estimate, exact)


@pytest.mark.parametrize("pieces", [1, 2, 37])
def test_merged_partials_equal_numpy_on_all_values(pieces: int) -> None:
    x = _values()
    summary = _summary(x, pieces)
    assert summary.count == x.size
    assert summary.minimum == x.min()
    assert summary.maximum == x.max()
    assert summary.mean == pytest.approx(x.mean(), rel=1e-12, abs=1e-12 * np.abs(x).max())
    assert math.sqrt(summary.m2 / summary.count) == pytest.approx(x.std(), rel=1e-12)
    assert summary.zeros == np.count_nonzero(x == 0)
    _assert_sketch_quantiles_hold(summary, x)


def test_a_wrong_sketch_breaks_the_quantile_check() -> None:
    # The check above can fail: shift every positive bucket by one and 0.5 % is exceeded.
    x = np.abs(_values()) + 1.0
    summary = _summary(x, 5)
    keys, counts = summary.pos
    summary.pos = (keys + 1, counts)
    with pytest.raises(AssertionError):
        _assert_sketch_quantiles_hold(summary, x)


def test_infinities_and_nan_are_counted_apart_from_the_statistics() -> None:
    x = np.array([0.5, np.inf, 1.5, -np.inf, np.nan, np.inf])
    summary = merge(partial(x[:3]), partial(x[3:]))
    assert (summary.count, summary.pos_inf, summary.neg_inf, summary.nan) == (2, 2, 1, 1)
    assert summary.mean == 1.0
    assert (summary.minimum, summary.maximum) == (0.5, 1.5)
    assert "+inf 2, -inf 1, nan 1" in format_summary("kl", summary)


def test_empty_and_constant_inputs() -> None:
    empty = merge(partial(np.array([])), partial(np.array([np.inf])))
    assert empty.count == 0
    assert math.isnan(quantile(empty, 0.5))
    assert "mean   nan" in format_summary("kl", empty)
    constant = partial(np.full(10, 0.25))
    assert quantile(constant, 0.5) == 0.25  # clamped to [min, max]: exact here
    edges, counts = histogram(constant, 4)
    assert counts.tolist() == [10, 0, 0, 0]
    assert edges.tolist() == [0.25] * 5


def test_histogram_counts_every_value_and_bins_are_right_away_from_edges() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, 1.0, size=5000)
    edges, counts = histogram(_summary(x, 9), 10)
    assert counts.sum() == x.size
    exact, _ = np.histogram(x, bins=edges)
    # Only values within 0.5 % of an edge may move to a neighbouring bin.
    near_edge = np.abs(x[:, None] - edges[None, 1:-1]) <= RELATIVE_ACCURACY * x[:, None]
    assert np.abs(counts - exact).sum() <= 2 * near_edge.any(axis=1).sum()


def test_bad_arguments_name_themselves() -> None:
    summary = partial(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"q must lie in \[0, 1\], got 1.5"):
        quantile(summary, 1.5)
    with pytest.raises(ValueError, match="bins must be >= 1, got 0"):
        histogram(summary, 0)
