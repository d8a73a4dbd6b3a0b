"""The namespace route (autograd tensors, GPU arrays, array-api-strict, JAX, CuPy) keeps the
NumPy route's accuracy on the adversarial suite of :mod:`divsym.testing`, as the README says.

array-api-strict stands in for every namespace without a NumPy view (it exposes only the
standard, so nothing NumPy-specific can leak into the route); PyTorch tensors with
``requires_grad`` take the same route in torch. The suite's cases are those on which naive
implementations lose accuracy: subnormal entries, near one-hot, close pairs, large logits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import divsym
from divsym import testing

xs = pytest.importorskip("array_api_strict")

#: The README's promise for the namespace route: within this many float64 ε on every case.
ULPS = 16.0

FUNCTIONS = [
    "softmax",
    "log_softmax",
    "kl_divergence",
    "js_divergence",
    "cross_entropy",
    "distillation_loss",
]


def _strict(a: Any) -> Any:
    return xs.asarray(a)


def _torch_grad(a: Any) -> Any:
    torch = pytest.importorskip("torch")
    return torch.tensor(a, requires_grad=True)


def _through(convert: Callable[[Any], Any], name: str) -> Callable[..., Any]:
    """``divsym.<name>`` called with every array argument converted, the result as NumPy."""
    function = getattr(divsym, name)

    def implementation(*args: Any) -> Any:
        out = function(*(convert(a) if isinstance(a, np.ndarray) else a for a in args))
        assert not isinstance(out, np.ndarray), "the namespace route must return its own kind"
        return np.asarray(out.detach()) if hasattr(out, "detach") else np.asarray(out)

    return implementation


@pytest.mark.parametrize("convert", [_strict, _torch_grad], ids=["array_api_strict", "torch-grad"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_namespace_route_is_as_accurate_as_promised(
    convert: Callable[[Any], Any], name: str
) -> None:
    report = testing.check_against_reference(_through(convert, name), name, ulps=ULPS)
    assert report.passed, str(report)


def test_the_check_catches_a_namespace_route_that_loses_accuracy() -> None:
    """The same check fails a KL that is right to 1e-9 only (so the test above can fail)."""
    exact = _through(_strict, "kl_divergence")
    report = testing.check_against_reference(
        lambda p, q: exact(p, q) * (1 + 1e-9), "kl_divergence", ulps=ULPS
    )
    assert not report.passed


def test_autograd_through_a_subnormal_probability_is_finite() -> None:
    """The gradient of the stable forms at p = softmax([0, −740]) = [1, 4.2e−322] against the
    uniform q is finite, where a division by the subnormal in a discarded branch used to give
    NaN. KL's stable form Σ_i (q_i − p_i − p_i log(q_i/p_i)) has ∂/∂p_i = log(p_i/q_i)."""
    torch = pytest.importorskip("torch")
    p = torch.tensor([1.0, 4.2e-322], dtype=torch.float64, requires_grad=True)
    q = torch.tensor([0.5, 0.5], dtype=torch.float64)
    kl: Any = divsym.kl_divergence(p, q)  # a tensor: divsym's stubs speak of NumPy
    kl.backward()
    assert p.grad is not None
    subnormal = float(p.detach()[1])
    expected = [math.log(1.0 / 0.5), math.log(subnormal) - math.log(0.5)]  # −739.3…
    np.testing.assert_allclose(p.grad.numpy(), expected, rtol=1e-12)
    p.grad = None
    jsd: Any = divsym.js_divergence(p, q)
    jsd.backward()
    assert p.grad is not None
    assert bool(torch.isfinite(p.grad).all()), p.grad
