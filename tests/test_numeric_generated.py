"""The NumPy functions are lambdified from the definitions and agree with SciPy."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import special, stats
from sympy import Sum, Symbol, log

import divsym
from divsym import definitions
from divsym.canonical import canonical_form
from divsym.context import Context
from divsym.notation import i, n, p, q
from divsym.numeric import functions
from divsym.numeric.codegen import ClassSum, RelEntr, XLogY, array_expression

RNG = np.random.default_rng(20261129)
P_ARRAY, Q_ARRAY = Symbol("p"), Symbol("q")


def _random(shape: tuple[int, ...]) -> NDArray[np.float64]:
    return RNG.dirichlet(np.ones(shape[-1]), size=shape[:-1])


@pytest.mark.parametrize(
    ("generated", "definition", "arrays"),
    [
        (functions._entropy, definitions.entropy(p), {p: P_ARRAY}),
        (functions._cross_entropy, definitions.cross_entropy(p, q), {p: P_ARRAY, q: Q_ARRAY}),
        (functions._kl_divergence, definitions.kl_divergence(p, q), {p: P_ARRAY, q: Q_ARRAY}),
    ],
)
def test_function_is_the_lambdified_definition(
    generated: Callable[..., Any], definition: Any, arrays: Any
) -> None:
    assert generated.__name__ == "_lambdifygenerated"
    source = inspect.getsource(generated)
    expression = array_expression(definition, arrays)
    assert expression.has(ClassSum)
    assert "numpy.sum(" in source
    assert "axis=axis" in source
    assert "for " not in source  # a NumPy reduction, not a Python loop over classes
    # Mapping the array nodes back (ClassSum → Sum over i, ufunc nodes → log) gives the definition.
    entries = {array: base[i] for base, array in arrays.items()}
    restored = expression.replace(
        lambda e: isinstance(e, (XLogY, RelEntr)), lambda e: e.rewrite(log)
    ).replace(
        lambda e: isinstance(e, ClassSum), lambda e: Sum(e.args[0].xreplace(entries), (i, 1, n))
    )
    assert canonical_form(restored - definition, Context()) == 0


@pytest.mark.parametrize("shape", [(5,), (3, 7), (2, 3, 4)])
def test_entropy_matches_scipy(shape: tuple[int, ...]) -> None:
    x = _random(shape)
    np.testing.assert_allclose(divsym.entropy(x), stats.entropy(x, axis=-1), rtol=1e-13)


@pytest.mark.parametrize("shape", [(5,), (3, 7), (2, 3, 4)])
def test_cross_entropy_and_kl_match_scipy(shape: tuple[int, ...]) -> None:
    x, y = _random(shape), _random(shape)
    kl = divsym.kl_divergence(x, y)
    np.testing.assert_allclose(kl, special.rel_entr(x, y).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(kl, stats.entropy(x, y, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(
        divsym.cross_entropy(x, y), stats.entropy(x, axis=-1) + kl, rtol=1e-12
    )


def test_reduction_over_another_axis_keeps_the_others() -> None:
    x = _random((4, 6)).T  # distributions along axis 0
    assert divsym.entropy(x, axis=0).shape == (4,)
    np.testing.assert_allclose(divsym.entropy(x, axis=0), stats.entropy(x, axis=0), rtol=1e-13)


def test_zero_probabilities_follow_the_conventions() -> None:
    # 0·log 0 = 0; KL = +inf where q = 0 < p; SciPy agrees on both.
    one_hot = np.array([0.0, 1.0, 0.0])
    assert divsym.entropy(one_hot) == 0 == stats.entropy(one_hot)
    assert divsym.kl_divergence([0.5, 0.5, 0.0], [1.0, 0.0, 0.0]) == np.inf
    assert divsym.kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(np.log(2), rel=1e-15)
    assert divsym.cross_entropy([1.0, 0.0], [0.25, 0.75]) == pytest.approx(np.log(4), rel=1e-15)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([0.5, -0.1, 0.6], r"p must be nonnegative, got -0\.1 at index \(1,\)"),
        ([np.nan, 1.0], "p must not contain NaN"),
        ([np.inf, 0.0], "p must be finite"),
        ([0.2, 0.2], r"p must sum to 1 along axis -1 .* got a sum of 0\.4"),
        ([], r"p must not be empty, got shape \(0,\)"),
        (0.5, "p must have at least one axis"),
    ],
)
def test_bad_probabilities_raise_value_error_naming_p(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        divsym.entropy(value)


def test_non_numeric_input_raises_type_error() -> None:
    with pytest.raises(TypeError, match="p must have a real numeric dtype"):
        divsym.entropy(["a", "b"])
    with pytest.raises(TypeError, match="q must have a real numeric dtype"):
        divsym.kl_divergence([0.5, 0.5], np.array([0.5, 0.5], dtype=complex))


def test_mismatched_shapes_name_both_arguments() -> None:
    with pytest.raises(
        ValueError, match=r"p of shape \(2, 3\) and q of shape \(4,\) do not broadcast"
    ):
        divsym.kl_divergence(np.full((2, 3), 1 / 3), np.full(4, 0.25))


def test_bad_q_is_named_q() -> None:
    with pytest.raises(ValueError, match="q must be nonnegative"):
        divsym.cross_entropy([0.5, 0.5], [1.5, -0.5])
