"""Bad input raises ValueError/TypeError naming the argument and the offending value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import divsym
from divsym.numeric.validation import normalised_tolerance

GOOD = np.array([0.25, 0.75])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([0.5, -0.1, 0.6], r"p must be nonnegative, got -0\.1 at index \(1,\)"),
        ([np.nan, 1.0], r"p must not contain NaN, got nan at index \(0,\)"),
        ([np.inf, 0.0], r"p must be finite, got inf at index \(0,\)"),
        ([0.2, 0.2], r"p must sum to 1 along axis 0 \(within .*\), got a sum of 0\.4"),
        ([], r"p must not be empty, got shape \(0,\)"),
        (0.5, "p must have at least one axis"),
    ],
)
def test_bad_probabilities_name_p_and_the_value(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        divsym.entropy(value)


@pytest.mark.parametrize(
    "function",
    [divsym.cross_entropy, divsym.kl_divergence, divsym.js_divergence, divsym.js_distance],
)
def test_bad_q_is_named_q(function: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match=r"q must be nonnegative, got -0\.5"):
        function(GOOD, [1.5, -0.5])
    with pytest.raises(ValueError, match=r"q must sum to 1"):
        function(GOOD, [0.5, 0.6])


def test_bad_value_deep_in_a_batch_is_found_with_its_index() -> None:
    p = np.full((3, 2000, 4), 0.25)
    p[2, 1500, 3] = np.nan
    with pytest.raises(
        ValueError, match=r"p must not contain NaN, got nan at index \(2, 1500, 3\)"
    ):
        divsym.entropy(p)


def test_sum_tolerance_scales_with_classes_and_dtype() -> None:
    assert normalised_tolerance(np.dtype(np.float64), 100) == pytest.approx(10 * 64 * 2.0**-52)
    assert normalised_tolerance(np.dtype(np.float32), 4) == pytest.approx(2 * 64 * 2.0**-23)
    n = 10_000
    tolerance = normalised_tolerance(np.dtype(np.float64), n)
    p = np.full(n, 1 / n)
    p[0] += 0.5 * tolerance
    assert np.isfinite(divsym.entropy(p))
    p[0] += 2 * tolerance
    with pytest.raises(ValueError, match="p must sum to 1"):
        divsym.entropy(p)


@pytest.mark.parametrize("T", [0.0, -1.0, np.inf, np.nan])
def test_bad_temperature(T: float) -> None:
    with pytest.raises(ValueError, match=r"T must be finite and > 0, got"):
        divsym.softmax([1.0, 2.0], T=T)


@pytest.mark.parametrize("T", ["1", None, [1.0], True])
def test_non_numeric_temperature_is_a_type_error(T: Any) -> None:
    with pytest.raises(TypeError, match="T must be a real number"):
        divsym.log_softmax([1.0, 2.0], T=T)


@pytest.mark.parametrize(
    ("z", "message"),
    [
        ([1.0, np.nan], r"z must be finite, got nan at index \(1,\) \(-inf is allowed"),
        ([[1.0, 2.0], [np.inf, 0.0]], r"z must be finite, got inf at index \(1, 0\)"),
        ([[1.0, 2.0], [-np.inf, -np.inf]], r"z has a row with every logit -inf .*index \(1,\)"),
        ([-np.inf, -np.inf], r"z has a row with every logit -inf"),
        ([], r"z must not be empty"),
    ],
)
def test_bad_logits(z: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        divsym.softmax(z)


@pytest.mark.parametrize(
    ("labels", "error", "message"),
    [
        ([2], ValueError, r"labels must lie in 0\.\.1, got 2"),
        ([-1], ValueError, r"labels must lie in 0\.\.1, got -1"),
        ([0.5], ValueError, r"labels must be integers, got 0\.5"),
        ([True], TypeError, "labels must have an integer dtype, got dtype bool"),
        (["a"], TypeError, "labels must have an integer dtype"),
        ([0, 1, 0], ValueError, r"labels of shape \(3,\) do not broadcast"),
    ],
)
def test_bad_labels(labels: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        divsym.nll(np.array([[0.5, 0.5], [0.25, 0.75]]), labels)


def test_integral_float_labels_are_accepted() -> None:
    assert divsym.nll(GOOD, 1.0) == divsym.nll(GOOD, 1)


@pytest.mark.parametrize("base", [1.0, 0.0, -2.0, np.nan])
def test_bad_base(base: float) -> None:
    with pytest.raises(ValueError, match="base must"):
        divsym.entropy(GOOD, base=base)


def test_non_numeric_inputs_are_type_errors() -> None:
    with pytest.raises(TypeError, match="p must have a real numeric dtype"):
        divsym.entropy(["a", "b"])
    with pytest.raises(TypeError, match="q must have a real numeric dtype"):
        divsym.kl_divergence(GOOD, np.array([0.5, 0.5], dtype=complex))
    with pytest.raises(TypeError, match="z must be an array of numbers"):
        divsym.softmax("1, 2")
    with pytest.raises(TypeError, match="axis must be an int"):
        divsym.entropy(GOOD, axis=0.5)  # type: ignore[arg-type]


def test_shapes_that_do_not_broadcast_name_both_arguments() -> None:
    with pytest.raises(
        ValueError, match=r"p of shape \(2, 3\) and q of shape \(4,\) do not broadcast"
    ):
        divsym.kl_divergence(np.full((2, 3), 1 / 3), np.full(4, 0.25))


def test_class_axis_of_length_one_does_not_broadcast_silently() -> None:
    with pytest.raises(ValueError, match="q has 1 classes along axis -1 but the inputs have 2"):
        divsym.kl_divergence(GOOD, [1.0])


def test_axis_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"axis 2 is out of range for p of shape \(2,\)"):
        divsym.entropy(GOOD, axis=2)


def test_error_quotes_a_long_value_without_dumping_it() -> None:
    with pytest.raises(TypeError, match=r"T must be a real number, got array\(") as caught:
        divsym.softmax([1.0, 2.0], T=np.linspace(1.0, 2.0, 1000))  # type: ignore[arg-type]
    assert len(str(caught.value)) < 120


def test_public_functions_have_numpydoc_sections() -> None:
    """Every public function documents each parameter, what it returns, what it raises."""
    import inspect

    from divsym.numeric import functions

    for name in functions.__all__:
        function = getattr(functions, name)
        doc = inspect.getdoc(function) or ""
        for section in ("Parameters\n----------", "Returns\n-------", "Raises\n------"):
            assert section in doc, (name, section)
        assert "Examples\n--------\n>>>" in doc, name
        raises = doc.split("Raises\n------", 1)[1]
        assert "ValueError" in raises, name
        assert "TypeError" in raises, name
        documented = doc.split("Parameters\n----------", 1)[1].split("Returns\n-------", 1)[0]
        for parameter in inspect.signature(function).parameters:
            assert f"\n{parameter} : " in f"\n{documented}", (name, parameter)
