"""PyTorch CPU tensors that need no gradient take the NumPy path (divsym.numeric.torch_route).

The results must be bit-for-bit those of the NumPy path on the same data, come back as CPU
tensors of the input's dtype, raise the NumPy path's errors, and leave tensors that need a
gradient (and every dtype NumPy lacks) on the xp path, where autograd works.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from divsym.numeric import functions, torch_route, xp_path

torch: Any = pytest.importorskip("torch")
#: The public functions, untyped: on tensors they return tensors.
f: Any = functions

RNG = np.random.default_rng(20261201)
Z = 3.0 * RNG.standard_normal((6, 7))
P = np.exp(RNG.standard_normal((6, 7)))
P /= P.sum(axis=-1, keepdims=True)
Q = np.exp(RNG.standard_normal((6, 7)))
Q /= Q.sum(axis=-1, keepdims=True)
LABELS = np.array([0, 6, 3, 2, 5, 1])

#: Every public function and its NumPy arguments.
CALLS: dict[str, tuple[np.ndarray[Any, Any], ...]] = {
    "softmax": (Z,),
    "log_softmax": (Z,),
    "entropy": (P,),
    "cross_entropy": (P, Q),
    "kl_divergence": (P, Q),
    "js_divergence": (P, Q),
    "js_distance": (P, Q),
    "nll": (Q, LABELS),
}


@pytest.fixture
def no_xp_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the xp path fail, so a test proves that the fast route was taken."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the xp path was used")

    for name in ("logits", "reduce", "nll"):
        monkeypatch.setattr(xp_path, name, refuse)


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_results_are_the_numpy_paths_bit_for_bit(
    name: str, dtype: type[np.floating[Any]], no_xp_path: None
) -> None:
    arrays = tuple(a if a.dtype.kind == "i" else a.astype(dtype) for a in CALLS[name])
    expected = getattr(f, name)(*arrays)
    got = getattr(f, name)(*(torch.from_numpy(a) for a in arrays))
    assert isinstance(got, torch.Tensor)
    assert got.device.type == "cpu"
    assert got.dtype == torch.from_numpy(np.empty(0, dtype=dtype)).dtype
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.numpy(), expected, strict=True)


def test_float16_tensors_are_computed_in_float32(no_xp_path: None) -> None:
    # 70 000 ones overflow a float16 sum (max 65504); the float32 sum gives log 70 000.
    z = torch.zeros(70_000, dtype=torch.float16)
    got = f.log_softmax(z)
    assert got.dtype == torch.float16
    assert float(got[0]) == pytest.approx(-np.log(70_000.0), rel=1e-3)


def test_minus_inf_masks_a_class(no_xp_path: None) -> None:
    z = torch.tensor([[1.0, -np.inf, 2.0], [0.0, 500.0, -np.inf]], dtype=torch.float64)
    q = f.softmax(z, T=0.5)
    log_q = f.log_softmax(z, T=0.5)
    assert q[0, 1] == 0.0
    assert q[1, 2] == 0.0
    assert log_q[0, 1] == -np.inf
    assert log_q[1, 2] == -np.inf
    np.testing.assert_array_equal(q.numpy(), f.softmax(z.numpy(), T=0.5), strict=True)


def test_a_transposed_tensor_and_axis_0(no_xp_path: None) -> None:
    zt = torch.from_numpy(Z).T  # non-contiguous: strides (1, 7)
    assert not zt.is_contiguous()
    np.testing.assert_array_equal(
        f.softmax(zt, axis=0).numpy(), f.softmax(Z.T, axis=0), strict=True
    )
    pt, qt = torch.from_numpy(P).T, torch.from_numpy(Q).T
    np.testing.assert_array_equal(
        f.kl_divergence(pt, qt, axis=0).numpy(), f.kl_divergence(P.T, Q.T, axis=0), strict=True
    )
    np.testing.assert_array_equal(
        f.nll(qt, torch.from_numpy(LABELS), axis=0).numpy(), f.nll(Q.T, LABELS, axis=0)
    )


def test_mixed_numpy_and_tensor_arguments_give_a_tensor(no_xp_path: None) -> None:
    got = f.kl_divergence(P, torch.from_numpy(Q))
    assert isinstance(got, torch.Tensor)
    np.testing.assert_array_equal(got.numpy(), f.kl_divergence(P, Q), strict=True)
    labels = f.nll(Q, torch.from_numpy(LABELS))
    assert isinstance(labels, torch.Tensor)


def test_integer_and_bool_tensors_give_float64_like_numpy(no_xp_path: None) -> None:
    got = f.softmax(torch.tensor([1, 2, 3]))
    assert got.dtype == torch.float64
    np.testing.assert_array_equal(got.numpy(), f.softmax(np.array([1, 2, 3])), strict=True)
    assert f.entropy(torch.tensor([True, False])).dtype == torch.float64


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda t: f.entropy(t(np.array([0.5, 0.6]))), ValueError, r"p must sum to 1"),
        (
            lambda t: f.kl_divergence(t(np.array([0.5, 0.5])), t(np.array([1.5, -0.5]))),
            ValueError,
            r"q must be nonnegative, got -0\.5 at index \(1,\)",
        ),
        (
            lambda t: f.softmax(t(np.array([[0.0, 1.0], [-np.inf, -np.inf]]))),
            ValueError,
            r"z has a row with every logit -inf \(no class left\) at batch index \(1,\)",
        ),
        (lambda t: f.softmax(t(np.array([0.0, np.nan]))), ValueError, r"z must be finite"),
        (lambda t: f.softmax(t(np.array([0.0, 1.0])), T=0.0), ValueError, r"T must be finite"),
        (lambda t: f.nll(t(Q), t(np.array([7, 0, 0, 0, 0, 0]))), ValueError, r"lie in 0\.\.6"),
        (lambda t: f.entropy(t(np.empty((2, 0)))), ValueError, r"p must not be empty"),
        (lambda t: f.softmax(t(np.array(1.0))), ValueError, r"z must have at least one axis"),
        (lambda t: f.entropy(t(P), axis=2), ValueError, r"axis 2 is out of range for p"),
        (
            lambda t: f.softmax(t(np.array([1.0 + 1j, 0.0]))),
            TypeError,
            r"z must have a real numeric dtype, got dtype complex128",
        ),
    ],
)
def test_errors_are_the_numpy_paths(
    call: Any, error: type[Exception], message: str, no_xp_path: None
) -> None:
    with pytest.raises(error, match=message) as from_tensor:
        call(torch.from_numpy)
    with pytest.raises(error) as from_numpy:
        call(lambda a: a)
    assert str(from_tensor.value) == str(from_numpy.value)


def test_a_tensor_that_requires_grad_keeps_autograd() -> None:
    z = torch.tensor([[1.0, 2.0, -0.5]], dtype=torch.float64, requires_grad=True)
    out = f.log_softmax(z, T=2.0)
    assert out.grad_fn is not None  # the xp path: torch operations, a graph
    out[0, 0].backward()
    assert z.grad is not None
    q = torch.tensor([0.25, 0.25, 0.5], dtype=torch.float64, requires_grad=True)
    assert f.kl_divergence(torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64), q).grad_fn


def test_under_no_grad_a_requires_grad_tensor_takes_the_fast_route(no_xp_path: None) -> None:
    # torch records no graph under no_grad, so nothing is lost: the result has no grad_fn.
    z = torch.from_numpy(Z).requires_grad_()
    with torch.no_grad():
        out = f.softmax(z)
    assert out.grad_fn is None
    assert not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), f.softmax(Z), strict=True)
    with torch.inference_mode():
        assert isinstance(f.entropy(torch.from_numpy(P)), torch.Tensor)


def test_views_and_results_share_memory_with_no_copy() -> None:
    tensor = torch.from_numpy(P.copy())
    views = torch_route.numpy_views((tensor, [0.5, 0.5], None))
    assert views is not None
    assert np.shares_memory(views[0], tensor.numpy())
    assert views[1] == [0.5, 0.5]  # non-tensors pass through
    assert views[2] is None
    out = np.arange(3.0)
    assert np.shares_memory(torch_route.to_torch(out).numpy(), out)


def test_tensors_that_must_stay_on_the_xp_path_are_refused() -> None:
    plain = torch.from_numpy(P)
    assert torch_route.numpy_views((plain,)) is not None
    assert torch_route.numpy_views((P, [1.0])) is None  # no tensor at all
    grad = torch.from_numpy(P.copy()).requires_grad_()
    assert torch_route.numpy_views((plain, grad)) is None  # one needs a gradient
    assert torch_route.numpy_views((plain.to(torch.bfloat16),)) is None  # no NumPy dtype
    assert torch_route.numpy_views((plain.to_sparse(),)) is None
    assert torch_route.numpy_views((torch.empty(3, device="meta"),)) is None

    class Sub(torch.Tensor):
        pass

    assert torch_route.numpy_views((plain.as_subclass(Sub),)) is None
    conjugate = torch.tensor([1 + 1j, 2.0]).conj()  # a lazy conjugate cannot be viewed
    assert torch_route.numpy_views((conjugate,)) is None


def test_bfloat16_keeps_the_xp_path() -> None:
    z = torch.tensor([1.0, 2.0, 3.0], dtype=torch.bfloat16)
    out = f.softmax(z)
    assert out.dtype == torch.bfloat16
    expected = f.softmax(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(out.float().numpy(), expected, rtol=1e-2)
