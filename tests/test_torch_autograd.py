"""The autograd route for PyTorch CPU tensors (divsym.numeric.torch_autograd).

The oracle for every gradient is the namespace route's autograd gradient (torch's own autograd
through the stable forms written with torch operations, :mod:`divsym.numeric.xp_path`), taken
by switching the new route off; and, through divsym's own softmax (which keeps the inputs on
the simplex, where the stable forms equal the definitions), ``torch.autograd.gradcheck``'s
finite differences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

from divsym.numeric import _generated, torch_autograd
from divsym.numeric import functions as f

torch = pytest.importorskip("torch")

REDUCTIONS = {
    "entropy": 1,
    "cross_entropy": 2,
    "kl_divergence": 2,
    "js_divergence": 2,
    "js_distance": 2,
}


def _simplex(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1) -> Any:
    """Random distributions strictly inside the simplex (entries ≥ 0.05 before normalising)."""
    x = rng.random(shape) + 0.05
    return torch.tensor(x / x.sum(axis=axis, keepdims=True), dtype=torch.float64)


@contextmanager
def _namespace_route(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Switch the autograd route off: tensors needing grad take the xp path again."""
    with monkeypatch.context() as patch:
        patch.setattr(torch_autograd, "reduce", lambda *args, **kwargs: None)
        patch.setattr(torch_autograd, "logits", lambda *args, **kwargs: None)
        yield


def _grads(
    function: Callable[..., Any], tensors: list[Any], needs: list[bool], seed: int = 1, **kw: Any
) -> tuple[Any, list[Any]]:
    """The value and the gradients of ``Σ w · function(*tensors)`` with random weights ``w``."""
    leaves = [t.detach().clone().requires_grad_(n) for t, n in zip(tensors, needs, strict=True)]
    out = function(*leaves, **kw)
    weights = torch.tensor(
        np.random.default_rng(seed).normal(size=tuple(out.shape)), dtype=out.dtype
    )
    (out * weights).sum().backward()
    return out, [leaf.grad for leaf in leaves]


def _check_against_namespace(
    monkeypatch: pytest.MonkeyPatch, name: str, tensors: list[Any], rtol: float = 1e-12, **kw: Any
) -> None:
    """The route's value equals the no-grad route's bit for bit and its gradients equal the
    namespace route's autograd gradients to ``rtol``; the route really ran."""
    function = getattr(f, name)
    needs = [True] * len(tensors)
    out, mine = _grads(function, tensors, needs, **kw)
    assert type(out.grad_fn).__name__ in ("ReduceBackward", "LogitsBackward"), out.grad_fn
    with torch.no_grad():
        assert torch.equal(out.detach(), function(*tensors, **kw))
    with _namespace_route(monkeypatch):
        reference, theirs = _grads(function, tensors, needs, **kw)
    assert reference.grad_fn is not None
    assert type(reference.grad_fn).__name__ not in ("ReduceBackward", "LogitsBackward")
    for a, b in zip(mine, theirs, strict=True):
        assert a.shape == b.shape
        assert a.dtype == b.dtype
        torch.testing.assert_close(a, b, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_gradients_equal_the_namespace_routes(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    rng = np.random.default_rng(7)
    tensors = [_simplex(rng, (6, 11)) for _ in range(REDUCTIONS[name])]
    _check_against_namespace(monkeypatch, name, tensors)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_base_2_axis_0_and_broadcasting(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    rng = np.random.default_rng(8)
    count = REDUCTIONS[name]
    rows = [_simplex(rng, (5, 9)) for _ in range(count)]
    _check_against_namespace(monkeypatch, name, rows, base=2.0)
    columns = [_simplex(rng, (9, 4), axis=0) for _ in range(count)]
    _check_against_namespace(monkeypatch, name, columns, axis=0)
    if count == 2:
        # p one distribution for every row of q; p with a batch axis of length 1.
        _check_against_namespace(monkeypatch, name, [_simplex(rng, (9,)), _simplex(rng, (3, 9))])
        _check_against_namespace(
            monkeypatch, name, [_simplex(rng, (2, 1, 9)), _simplex(rng, (2, 4, 9))]
        )


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_logits_gradients_equal_torch_and_the_namespace_route(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    rng = np.random.default_rng(9)
    z = torch.tensor(rng.normal(scale=3.0, size=(4, 13)))
    for T, axis in ((1.0, -1), (2.5, -1), (0.7, 0)):
        _check_against_namespace(monkeypatch, name, [z], T=T, axis=axis)
        _, (mine,) = _grads(getattr(f, name), [z], [True], T=T, axis=axis)
        _, (torch_grad,) = _grads(getattr(torch, name), [z / T], [True], dim=axis)
        torch_grad = torch_grad / T  # d/dz of y(z/T): the chain rule's 1/T
        torch.testing.assert_close(mine, torch_grad, rtol=1e-12, atol=1e-14)


def test_masked_logits_get_torchs_gradient() -> None:
    z = torch.tensor([[0.5, -float("inf"), 2.0, -1.0]], dtype=torch.float64)
    for name in ("softmax", "log_softmax"):
        _, (mine,) = _grads(getattr(f, name), [z], [True])
        _, (theirs,) = _grads(getattr(torch, name), [z], [True], dim=-1)
        torch.testing.assert_close(mine, theirs, rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_gradcheck_through_divsyms_softmax(name: str) -> None:
    """Finite differences of the definitions: the inputs are divsym softmaxes of free logits,
    so every perturbed input is still a distribution (and the stable forms' extra ``∂Σq``
    term, a constant over the classes, is annihilated by the softmax Jacobian)."""
    rng = np.random.default_rng(10)
    logits = [
        torch.tensor(rng.normal(size=(3, 5)), requires_grad=True) for _ in range(REDUCTIONS[name])
    ]

    def composed(*zs: Any) -> Any:
        return getattr(f, name)(*(f.softmax(z) for z in zs), base=2.0)

    assert torch.autograd.gradcheck(composed, logits, eps=1e-6, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_gradcheck_logits_functions(name: str) -> None:
    z = torch.tensor(np.random.default_rng(11).normal(size=(3, 6)), requires_grad=True)
    function = getattr(f, name)
    assert torch.autograd.gradcheck(lambda x: function(x, T=1.7), (z,), eps=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_float32_in_float32_grads(name: str) -> None:
    rng = np.random.default_rng(12)
    wide = [_simplex(rng, (4, 10)) for _ in range(REDUCTIONS[name])]
    narrow = [t.float() for t in wide]
    out, grads = _grads(getattr(f, name), narrow, [True] * len(narrow))
    assert out.dtype == torch.float32
    _, expected = _grads(getattr(f, name), wide, [True] * len(wide))
    for a, b in zip(grads, expected, strict=True):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a.double(), b, rtol=1e-4, atol=1e-5)


def test_grads_land_on_the_tensors_that_need_them(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(13)
    p, q = _simplex(rng, (3, 6)), _simplex(rng, (3, 6))

    def refuse(*args: Any) -> Any:
        raise AssertionError("the gradient of p was evaluated although p needs none")

    monkeypatch.setitem(_generated.GRADIENT_FUNCTIONS, ("kl_divergence", "p"), refuse)
    _, (p_grad, q_grad) = _grads(f.kl_divergence, [p, q], [False, True])
    assert p_grad is None
    assert q_grad is not None
    assert q_grad.shape == q.shape
    assert bool(torch.isfinite(q_grad).all())
    _, (p_grad2, q_grad2) = _grads(f.cross_entropy, [p, q], [True, False])
    assert q_grad2 is None
    assert p_grad2 is not None


def test_a_wrong_generated_gradient_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The definition's −p/q instead of the stable form's 1 − p/q: the check must fail."""
    rng = np.random.default_rng(14)
    tensors = [_simplex(rng, (4, 8)), _simplex(rng, (4, 8))]
    monkeypatch.setitem(
        _generated.GRADIENT_FUNCTIONS,
        ("kl_divergence", "q"),
        lambda xp, kernels, p, q, out, g, base, axis: -g * p / q / np.log(base),
    )
    with pytest.raises(AssertionError):
        _check_against_namespace(monkeypatch, "kl_divergence", tensors)


def test_other_tensors_keep_the_namespace_route() -> None:
    rng = np.random.default_rng(15)
    p = _simplex(rng, (2, 5))
    half = p.half().requires_grad_(True)
    narrow: Any = f.entropy(half)
    assert type(narrow.grad_fn).__name__ != "ReduceBackward"
    mixed: Any = f.kl_divergence(p.float(), p.clone().requires_grad_(True))
    assert type(mixed.grad_fn).__name__ != "ReduceBackward"
    with torch.no_grad():
        quiet: Any = f.entropy(p.clone().requires_grad_(True))
        assert quiet.grad_fn is None


def test_bad_input_still_raises_the_numpy_routes_errors() -> None:
    q = torch.tensor([0.5, 0.6], dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match="q"):
        f.kl_divergence(torch.tensor([0.5, 0.5], dtype=torch.float64), q)
    with pytest.raises(ValueError, match="base"):
        f.entropy(torch.tensor([0.5, 0.5], dtype=torch.float64, requires_grad=True), base=1.0)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_zero_entries_take_the_namespace_routes_conventions(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A one-hot p against a q with a masked class: the generated formulas give −inf and 0/0
    there; the namespace route's ``0·log 0 = 0`` conventions give finite gradients, and the
    route hands such inputs to it (the generated gradients are not even called)."""
    p = torch.tensor([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]], dtype=torch.float64)
    q = torch.tensor([[0.5, 0.5, 0.0], [0.25, 0.25, 0.5]], dtype=torch.float64)
    tensors = [p, q][: REDUCTIONS[name]]

    def refuse(*args: Any) -> Any:
        raise AssertionError("a generated gradient ran on an input with a zero entry")

    for key in list(_generated.GRADIENT_FUNCTIONS):
        monkeypatch.setitem(_generated.GRADIENT_FUNCTIONS, key, refuse)
    # js_distance goes through its radicand (∂√F = ∂F/(2√F), 0 at √F = 0): one rounding
    # more or less than autograd through the square root.
    _check_against_namespace(
        monkeypatch, name, tensors, rtol=1e-15 if name == "js_distance" else 0.0
    )
    _, grads = _grads(getattr(f, name), tensors, [True] * len(tensors))
    for grad in grads:
        assert not bool(torch.isnan(grad).any())


@pytest.mark.parametrize(
    "pair",
    [
        ([0.3, 0.7], [0.3, 0.7]),  # no zero: the generated gradient
        ([1.0, 0.0], [1.0, 0.0]),  # a zero: the namespace route
        ([1.0], [1.0]),  # one class
    ],
)
def test_js_distance_of_equal_inputs_has_a_zero_gradient_not_nan(
    pair: tuple[list[float], list[float]],
) -> None:
    """√JSD has no derivative at P = Q: the gradient was inf·0 = NaN on both inputs (found by
    the outside breaker), which poisons a training step where student and teacher agree. It
    is now 0, the subgradient at that minimum (as torch's norms take it)."""
    p = torch.tensor(pair[0], dtype=torch.float64, requires_grad=True)
    q = torch.tensor(pair[1], dtype=torch.float64, requires_grad=True)
    distance: Any = f.js_distance(p, q)
    distance.backward()
    assert p.grad is not None
    assert q.grad is not None
    assert torch.equal(p.grad, torch.zeros_like(p))
    assert torch.equal(q.grad, torch.zeros_like(q))


def test_js_distance_gradient_is_the_radicands_over_twice_the_distance() -> None:
    """Rows with a zero (namespace route) and without (generated route), one of them with
    P = Q: ∂√JSD_b/∂p_i = ½ log(2p_i/(p_i + q_i)) / (log b · 2√JSD_b), and 0 on the equal row."""
    rows = [[0.3, 0.7, 0.0], [0.2, 0.8, 0.0], [0.1, 0.6, 0.3]]
    others = [[0.4, 0.6, 0.0], [0.2, 0.8, 0.0], [0.2, 0.5, 0.3]]
    for take in ([0, 1], [2]):
        p = torch.tensor([rows[k] for k in take], dtype=torch.float64, requires_grad=True)
        q = torch.tensor([others[k] for k in take], dtype=torch.float64)
        distance: Any = f.js_distance(p, q, base=2)
        distance.sum().backward()
        assert p.grad is not None
        pn, qn, dn = p.detach().numpy(), q.numpy(), distance.detach().numpy()[:, None]
        with np.errstate(all="ignore"):
            expected = 0.5 * np.log(2 * pn / (pn + qn)) / np.log(2) / (2 * dn)
        expected = np.where((dn == 0) | (pn == 0), 0.0, expected)  # P = Q; 0·log 0 = 0
        np.testing.assert_allclose(p.grad.numpy(), expected, rtol=1e-12, atol=1e-300)
