"""The public functions on arrays of other array-API libraries: same kind of array back,
accuracy against the 50-digit references, validation, and PyTorch autograd."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from divsym import reference
from divsym.numeric import functions as f
from divsym.numeric.xp_kernels import XpKernels

xs = pytest.importorskip("array_api_strict")


def _torch(a: Any) -> Any:
    torch = pytest.importorskip("torch")
    return torch.asarray(a)


def _dask(a: Any) -> Any:
    da = pytest.importorskip("dask.array")
    return da.from_array(a, chunks=(1, -1) if np.ndim(a) > 1 else -1)


BACKENDS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "array_api_strict": (xs.asarray, "array_api_strict"),
    "torch": (_torch, "torch"),
    "dask": (_dask, "dask"),
}

P = np.array([[0.2, 0.3, 0.5], [0.1, 1e-9, 0.9 - 1e-9]])
Q = np.array([[0.2 + 1e-12, 0.3, 0.5 - 1e-12], [0.0, 0.5, 0.5]])
Z = np.array([[1.0, 2.0, -np.inf], [0.0, 500.0, 3.0]])


def _host(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x.detach()) if hasattr(x, "detach") else np.asarray(x)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize(
    "name", ["entropy", "cross_entropy", "kl_divergence", "js_divergence", "js_distance"]
)
def test_reductions_return_the_same_kind_of_array_and_are_accurate(backend: str, name: str) -> None:
    convert, module = BACKENDS[backend]
    args = (P,) if name == "entropy" else (P, Q)
    out = getattr(f, name)(*(convert(a) for a in args))
    assert type(out).__module__.split(".")[0] == module
    expected = reference.over_rows(getattr(reference, name), *args)
    got = _host(out)
    numpy_error = reference.max_relative_error(getattr(f, name)(*args), expected)
    assert reference.max_relative_error(got, expected) <= max(numpy_error, 4e-16) * 4


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_logits_functions_keep_the_kind_and_mask_minus_inf(backend: str, name: str) -> None:
    convert, module = BACKENDS[backend]
    out = getattr(f, name)(convert(Z), T=0.5)
    assert type(out).__module__.split(".")[0] == module
    np.testing.assert_allclose(_host(out), getattr(f, name)(Z, T=0.5), rtol=1e-15, atol=0)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_nll_reads_labels_of_the_same_library(backend: str) -> None:
    convert, module = BACKENDS[backend]
    out = f.nll(convert(Q), convert(np.array([2, 1])), base=2)
    assert type(out).__module__.split(".")[0] == module
    np.testing.assert_array_equal(_host(out), f.nll(Q, [2, 1], base=2))


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_bad_inputs_are_named_on_every_backend(backend: str) -> None:
    convert, _ = BACKENDS[backend]
    with pytest.raises(ValueError, match="p must sum to 1"):
        f.entropy(convert(np.array([0.5, 0.6])))
    with pytest.raises(ValueError, match="q must be nonnegative"):
        f.kl_divergence(convert(np.array([0.5, 0.5])), convert(np.array([1.5, -0.5])))
    with pytest.raises(ValueError, match="z has a row with every logit -inf"):
        f.softmax(convert(np.array([[0.0, 1.0], [-np.inf, -np.inf]])))
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.2"):
        f.nll(convert(Q), convert(np.array([3, 0])))


def test_a_namespace_without_log1p_is_a_type_error() -> None:
    class Poor:
        __name__ = "poor"

    with pytest.raises(TypeError, match=r"'poor' lacks log1p"):
        XpKernels(Poor())


def test_torch_autograd_matches_the_analytic_gradients() -> None:
    torch = pytest.importorskip("torch")
    p = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    q = torch.tensor([0.25, 0.25, 0.5], dtype=torch.float64, requires_grad=True)
    loss: Any = f.kl_divergence(p, q)
    loss.backward()
    # d/dq_i Σ p log(p/q) = -p_i/q_i (q treated as free coordinates, as in the stable form
    # whose terms p·(r − 1 − log r) differ from the definition by Σq − Σp = 0 only on the
    # simplex: the extra +1 per coordinate is the gradient of Σq).
    expected = -p / q.detach() + 1.0
    torch.testing.assert_close(q.grad, expected, rtol=1e-14, atol=1e-15)

    q2 = torch.tensor([0.25, 0.25, 0.5], dtype=torch.float64, requires_grad=True)
    loss = f.cross_entropy(p, q2)
    loss.backward()
    torch.testing.assert_close(q2.grad, -p / q2.detach(), rtol=1e-14, atol=1e-15)

    z = torch.tensor([1.0, 2.0, -0.5], dtype=torch.float64, requires_grad=True)
    weights = torch.tensor([0.3, -1.0, 2.0], dtype=torch.float64)
    log_q: Any = f.log_softmax(z, T=2.0)
    (log_q * weights).sum().backward()
    soft = torch.softmax(z.detach() / 2.0, dim=-1)
    # d/dz_k Σ_i w_i log q_i = (w_k − q_k Σ_i w_i)/T
    torch.testing.assert_close(z.grad, (weights - soft * weights.sum()) / 2.0, rtol=1e-14, atol=0)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_logits_functions_give_no_negative_zero(backend: str, name: str) -> None:
    """The xp path skips the ``+ 0.0`` pass for these two: none of their zeros is -0.0."""
    convert, _ = BACKENDS[backend]
    z = np.array([[-0.0, -1000.0, -np.inf], [0.0, 0.0, -0.0], [-5.0, -5.0, -745.0]])
    for T in (1.0, 1e-300, 1e300):
        got = _host(getattr(f, name)(convert(z), T=T))
        zeros = got[got == 0]
        assert not np.signbit(zeros).any(), (T, got)


def test_a_gradient_tensor_takes_the_xp_path_and_gives_no_negative_zero() -> None:
    torch = pytest.importorskip("torch")
    z = torch.tensor([[-0.0, -1000.0, -np.inf], [0.0, 0.0, -0.0]], requires_grad=True)
    for name in ("softmax", "log_softmax"):
        out = getattr(f, name)(z)
        assert out.grad_fn is not None
        zeros = out.detach()[out.detach() == 0]
        assert not torch.signbit(zeros).any()


def test_arrays_of_two_other_libraries_are_a_type_error() -> None:
    """A torch tensor with a Dask array crashed with AttributeError (found by the outside
    breaker); NumPy arrays and lists mix with any library."""
    torch = pytest.importorskip("torch")
    da = pytest.importorskip("dask.array")
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    q = da.from_array(np.array([0.9, 0.1]))
    with pytest.raises(TypeError, match=r"one library, got torch\.Tensor and dask\.Array"):
        f.kl_divergence(p, q)
    with pytest.raises(TypeError, match="one library"):
        f.cross_entropy(xs.asarray([0.5, 0.5]), p)
    mixed = f.kl_divergence(p, np.array([0.9, 0.1]))
    assert isinstance(mixed, torch.Tensor)


@pytest.mark.parametrize("backend", ["array_api_strict", "dask"])
def test_valid_inputs_raise_no_numpy_warnings_on_numpy_backed_namespaces(backend: str) -> None:
    """Cross-entropy against a q with a zero and softmax at T = 1e-310 warned 'divide by zero
    in log' / 'overflow in divide' through array-api-strict and Dask (found by the outside
    breaker); the NumPy route never did. Dask evaluates lazily: its compute runs here too."""
    import warnings

    convert, _ = BACKENDS[backend]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ce = f.cross_entropy(convert(np.array([0.5, 0.5])), convert(np.array([1.0, 0.0])))
        assert float(np.asarray(ce)) == np.inf
        if backend == "array_api_strict":
            out = f.softmax(convert(np.array([0.0, 1.0])), T=1e-310)
            np.testing.assert_array_equal(np.asarray(out), [0.0, 1.0])


@pytest.mark.parametrize("backend", ["array_api_strict", "dask"])
def test_jsd_of_subnormal_classes_is_silent_and_exact(backend: str) -> None:
    """Both sides subnormal in a class: the array-API kernel's discarded branch divided by the
    subnormal total and Dask warned 'overflow in divide' (found by the outside breaker)."""
    import warnings

    convert, _ = BACKENDS[backend]
    p = np.array([0.5, 0.5, 4e-322, 9e-323])
    q = np.array([0.5, 0.5, 5e-322, 1e-323])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = float(np.asarray(f.js_divergence(convert(p), convert(q))))
    assert got == float(f.js_divergence(p, q))  # the NumPy kernel's value, 2e-323


def test_torch_gradients_of_a_zero_against_a_tiny_entry_are_finite() -> None:
    """A zero in the row sends the gradient through the array-API kernel, whose
    t = (b − a)/s had the gradient −(b − a)/s²: s² underflowed below s ≈ 1.5e-154 (float64)
    and 1e-19 (float32), and autograd gave NaN on p and q (found by the outside breaker).
    Expected: ∂JSD/∂p_i = ½ log(2p_i/(p_i + q_i)), which is ½ log 2 where q_i = 0."""
    torch = pytest.importorskip("torch")
    for dtype, tiny in ((torch.float32, 1e-20), (torch.float64, 1e-300)):
        p = torch.tensor([0.5, 0.5 - tiny, tiny], dtype=dtype, requires_grad=True)
        q = torch.tensor([0.5, 0.5, 0.0], dtype=dtype, requires_grad=True)
        loss: Any = f.js_divergence(p, q)
        loss.backward()
        assert p.grad is not None
        assert q.grad is not None
        assert torch.all(torch.isfinite(p.grad))
        assert torch.all(torch.isfinite(q.grad))
        assert p.grad[2].item() == pytest.approx(0.5 * np.log(2.0), rel=1e-6)


@pytest.mark.parametrize("dtype_name", ["float16", "bfloat16"])
def test_log_softmax_gradient_of_tied_largest_logits_matches_torch(dtype_name: str) -> None:
    """float16/bfloat16 tensors take the namespace route, whose log-sum-exp took its shift
    from xp.max (gradient shared among tied maxima by torch.amax) but left only the argmax
    out of the sum: a tied class got half a share too much (outside breaker: [0.75, −0.75]
    for [0.5, −0.5])."""
    torch = pytest.importorskip("torch")
    dtype = getattr(torch, dtype_name)
    for logits, T in (([0.0, 0.0], 1.0), ([2.0, 2.0, 2.0], 0.5), ([1.0, 3.0, 3.0, -1.0], 2.0)):
        z = torch.tensor(logits, dtype=dtype, requires_grad=True)
        weights = torch.arange(1, len(logits) + 1, dtype=dtype)
        (mine,) = torch.autograd.grad(f.log_softmax(z, T=T), z, weights)
        # torch's own gradient in float64 of the same logits: bfloat16's own log_softmax
        # rounds differently (divsym computes it in float32)
        wide = z.detach().double().requires_grad_()
        (theirs,) = torch.autograd.grad(torch.log_softmax(wide / T, -1), wide, weights.double())
        atol = 3e-3 if dtype_name == "float16" else 3e-2  # the error was a whole 1/(n T) share
        torch.testing.assert_close(mine.double(), theirs, rtol=0.0, atol=atol)
