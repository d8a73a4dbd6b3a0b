"""``log(n/d)`` given ``n − d``: the kernel behind the generated gradients of KL and JSD.

References are 50-digit mpmath values of ``log(n/d)`` from the float inputs as given
(``mpmath``, ``dps = 50``), so that a test measures the kernel's own error.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest
from sympy import log

from divsym.codegen.generate import generate_gradient_source, gradient_expression
from divsym.numeric.kernels import kernel_log_ratio
from divsym.numeric.xp_kernels import XpKernels
from divsym.symbols.notation import p, q
from divsym.symbols.stable import LogRatio

EPS = float(np.finfo(np.float64).eps)


def _exact(n: float, d: float) -> Any:
    with mpmath.workdps(50):
        return mpmath.log(mpmath.mpf(n) / mpmath.mpf(d))


def _worst(got: Any, n: Any, d: Any) -> float:
    return max(
        float(abs(mpmath.mpf(g) - _exact(x, y)) / abs(_exact(x, y)))
        for g, x, y in zip(np.asarray(got).tolist(), n.tolist(), d.tolist(), strict=True)
    )


def _close(size: int, spread: float) -> tuple[Any, Any]:
    rng = np.random.default_rng(20261204)
    d = rng.uniform(1e-3, 1.0, size)
    return d * (1 + spread * rng.standard_normal(size)), d


@pytest.mark.parametrize("spread", [1e-12, 1e-8, 1e-4, 0.1, 0.3, 3.0])
def test_log_ratio_keeps_float64_precision_near_one_and_far_from_it(spread: float) -> None:
    n, d = _close(500, spread)
    n = np.abs(n)
    got = kernel_log_ratio(n, d, n - d)
    assert _worst(got, n, d) <= 4 * EPS
    if spread <= 1e-8:  # the log of the rounded ratio loses ε/|log(n/d)|: what this is for
        assert _worst(np.log(n / d), n, d) > 1e-9


def test_log_ratio_of_subnormal_and_zero_sides() -> None:
    n = np.array([4e-322, 0.5, 0.0, 5e-324])
    d = np.array([0.5, 4e-322, 0.5, 5e-324])
    got = kernel_log_ratio(n, d, n - d)
    assert got[2] == -np.inf  # log 0
    assert got[3] == 0.0
    # log n − log d where n/d over- or underflows; computed with mpmath, dps = 50
    for k in (0, 1):
        assert abs(mpmath.mpf(got[k]) - _exact(n[k], d[k])) <= 1e-12 * abs(_exact(n[k], d[k]))


def test_log_ratio_keeps_float32_in_float32() -> None:
    n, d = _close(200, 1e-3)
    n32, d32 = np.abs(n).astype(np.float32), d.astype(np.float32)
    got = kernel_log_ratio(n32, d32, n32 - d32)
    assert got.dtype == np.float32
    assert _worst(got, n32.astype(np.float64), d32.astype(np.float64)) <= 4 * 2.0**-23


def test_array_api_log_ratio_matches() -> None:
    xp = pytest.importorskip("array_api_strict")
    n, d = _close(300, 1e-6)
    n = np.concatenate([np.abs(n), [3.0, 1e-300]])
    d = np.concatenate([d, [0.5, 1.0]])
    got = XpKernels(xp).kernel_log_ratio(xp.asarray(n), xp.asarray(d), xp.asarray(n - d))
    assert _worst(np.asarray(got), n, d) <= 4 * EPS


def test_generated_gradients_take_the_difference_written_out() -> None:
    assert "kernel_log_ratio(2*p, p + q, p - q)" in generate_gradient_source("js_divergence", p)
    assert "kernel_log_ratio(p, q, p - q)" in generate_gradient_source("kl_divergence", p)
    # and LogRatio is only a way of evaluating the same derivative: log(n/d) again
    for name, wrt in (("js_divergence", q), ("kl_divergence", p), ("js_distance", p)):
        expr = gradient_expression(name, wrt)
        assert expr.has(LogRatio)
        for node in expr.atoms(LogRatio):
            n, d, difference = node.args
            assert (n - d - difference).expand() == 0
            assert node.rewrite(log) == log(n / d)
    assert not gradient_expression("entropy", p).has(LogRatio)  # log p: not a ratio


def test_close_distributions_get_accurate_torch_gradients() -> None:
    """On the autograd route (CPU tensors that need a gradient) the JSD and KL gradients of
    close distributions were only as good as log of a rounded ratio: 2.6e-5 relative at
    ε = 1e-10 in float64, 5 % at 1e-4 in float32 (found by the outside breaker)."""
    torch = pytest.importorskip("torch")
    import divsym

    for dtype, epsilon, bound in ((torch.float64, 1e-10, 4 * EPS), (torch.float32, 1e-4, 1e-6)):
        p_t = torch.tensor([0.2, 0.3, 0.5], dtype=dtype, requires_grad=True)
        q_t = torch.tensor([0.2 + epsilon, 0.3 - epsilon, 0.5], dtype=dtype)
        for name in ("js_divergence", "kl_divergence"):
            (grad,) = torch.autograd.grad(getattr(divsym, name)(p_t, q_t), p_t)
            pv = [float(x) for x in p_t.detach()]
            qv = [float(x) for x in q_t]
            for k in (0, 1):  # computed with mpmath, dps = 50, from the float inputs
                with mpmath.workdps(50):
                    a, b = mpmath.mpf(pv[k]), mpmath.mpf(qv[k])
                    exact = (
                        mpmath.log(a / b)
                        if name == "kl_divergence"
                        else (mpmath.log(2 * a / (a + b)) / 2)
                    )
                assert abs(mpmath.mpf(float(grad[k])) - exact) <= bound * abs(exact), name
