"""cross_entropy_from_logits: PyTorch's ignore_index, label_smoothing and reductions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from divsym import reference
from divsym.numeric.distillation import cross_entropy_from_logits

RNG = np.random.default_rng(3)
Z = RNG.normal(size=(5, 7)) * 3
Y = np.array([0, 6, -100, 3, 2])


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
def test_rows_match_the_50_digit_reference(smoothing: float) -> None:
    # reference: -log softmax from the definitions in mpmath, 50 digits
    rows = cross_entropy_from_logits(Z, Y, label_smoothing=smoothing, reduction="none")
    for k, label in enumerate(Y):
        if label == -100:
            assert rows[k] == 0.0
            continue
        expected = reference.cross_entropy_from_logits(Z[k], int(label), smoothing)
        assert reference.relative_error(rows[k], expected) < 4e-16


def test_large_logits_do_not_overflow() -> None:
    got = float(cross_entropy_from_logits([[1000.0, -1000.0]], [1]))
    assert got == 2000.0  # -log softmax = 2000 + log1p(e^-2000), exactly 2000 in float64


def test_mean_ignores_the_ignored_rows() -> None:
    rows = cross_entropy_from_logits(Z, Y, reduction="none")
    assert float(cross_entropy_from_logits(Z, Y)) == pytest.approx(rows.sum() / 4, rel=1e-15)
    assert float(cross_entropy_from_logits(Z, Y, reduction="sum")) == pytest.approx(rows.sum())
    assert np.isnan(cross_entropy_from_logits(Z[:1], [-100]))  # as PyTorch: 0/0


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_torch(smoothing: float, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.cross_entropy(
        torch.tensor(Z), torch.tensor(Y), label_smoothing=smoothing, reduction=reduction
    )
    got = cross_entropy_from_logits(Z, Y, label_smoothing=smoothing, reduction=reduction)
    # 1e-13: torch loses ~1e-14 where q_y is near 1; ours is held to 4e-16 above
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-13)
    on_tensors = cross_entropy_from_logits(
        torch.tensor(Z), torch.tensor(Y), label_smoothing=smoothing, reduction=reduction
    )
    np.testing.assert_allclose(on_tensors.numpy(), expected.numpy(), rtol=1e-13)


def test_a_wrong_smoothing_convention_would_be_caught() -> None:
    # smoothing over the n − 1 other classes (another common convention) differs
    rows = cross_entropy_from_logits(Z[:1], [0], label_smoothing=0.1, reduction="none")
    expected_other = reference.cross_entropy_from_logits(Z[0], 0, 0.1 * 7 / 6)
    assert reference.relative_error(rows[0], expected_other) > 1e-6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label_smoothing": 1.5}, "label_smoothing must lie in [0, 1]"),
        ({"label_smoothing": "0.1"}, "label_smoothing must be a real number"),
        ({"ignore_index": 1.5}, "ignore_index must be an int"),
        ({"reduction": "batchmean"}, "reduction must be one of"),
    ],
)
def test_bad_options_are_named(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError)) as caught:
        cross_entropy_from_logits(Z, Y, **kwargs)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("labels", "message"),
    [([0, 1, 2, 3, 7], "labels must lie in 0..6"), ([0, 1], "labels"), ([0.5] * 5, "integers")],
)
def test_bad_labels_are_named(labels: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match="labels") as caught:
        cross_entropy_from_logits(Z, labels)
    assert message in str(caught.value)
