"""The numeric kernels against 50-digit mpmath values, route by route, and at their edges.

``kernel_x_minus_log1p(w, v, u)`` is ``v − w·log(u/w)``; the references below evaluate exactly
that at 50 digits from the float inputs as given (``mpmath``, ``dps = 50``), so that a test
measures the kernel's own error and nothing of how its inputs were made.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from typing import Any

import mpmath
import numpy as np
import pytest
from numeric_cases import KERNEL_ROUTES
from numpy.typing import NDArray

from divsym.numeric import kernels
from divsym.numeric.kernels import (
    kernel_logsumexp,
    kernel_x_minus_log1p,
    kernel_xlogy,
    workspace,
)
from divsym.numeric.series import (
    MAX_TERMS,
    MINIMAX,
    SERIES_THRESHOLD,
    TAYLOR,
    TOLERANCE,
    scaled_x_minus_log1p_series,
    series_coefficients,
    series_terms,
    series_threshold,
    truncation_bound,
)

Array = NDArray[Any]
RNG_SEED = 20261129
F64 = np.dtype(np.float64)
F32 = np.dtype(np.float32)


def _exact(w: float, v: float, u: float) -> Any:
    """``v − w·log(u/w)`` at 50 digits; ``v`` where ``w = 0``, ``+inf`` where ``u = 0 < w``."""
    with mpmath.workdps(50):
        W, V, U = mpmath.mpf(w), mpmath.mpf(v), mpmath.mpf(u)
        if W == 0:
            return V
        if U == 0:
            return mpmath.inf
        return V - W * mpmath.log(U / W)


def _max_error(got: Array, w: Array, v: Array, u: Array) -> float:
    """Largest relative error, less two subnormal ulps (a subnormal result is rounded to them)."""
    slack = 2 * 5e-324
    worst = 0.0
    with mpmath.workdps(50):
        for g, ww, vv, uu in zip(got.ravel(), w.ravel(), v.ravel(), u.ravel(), strict=True):
            e = _exact(float(ww), float(vv), float(uu))
            if mpmath.isinf(e):
                worst = max(worst, 0.0 if g == e else float("inf"))
            elif e == 0:
                worst = max(worst, abs(float(g)))
            else:
                miss = max(0, abs(mpmath.mpf(float(g)) - e) - slack)
                worst = max(worst, float(miss / abs(e)))
    return worst


def _pair(n: int, spread: float, dtype: Any = np.float64) -> tuple[Array, Array, Array]:
    """``w`` in [0.01, 1.01), ``u = w·exp(spread·N(0, 1))``, ``v = u − w`` (in ``dtype``).

    ``spread = inf`` instead makes ``|log(u/w)|`` uniform in [0.3, 3]: no entry near ``u = w``.
    """
    rng = np.random.default_rng(RNG_SEED)
    w = (rng.random(n) + 0.01).astype(dtype)
    if spread == np.inf:
        logs = rng.choice([-1.0, 1.0], n) * rng.uniform(0.3, 3.0, n)
    else:
        logs = spread * rng.standard_normal(n)
    u = (w * np.exp(logs)).astype(dtype)
    return w, u - w, u


# ---------------------------------------------------------------- the series and its bound


@pytest.mark.parametrize("a", [1e-8, 1e-4, 0.003, 0.02, 0.05, -0.05, 0.0999, -0.0999])
def test_truncation_bound_holds_at_50_digits(a: float) -> None:
    # computed with mpmath, dps = 120 (the errors reach 1e-70 of terms of size 1e-8)
    with mpmath.workdps(120):
        A = mpmath.mpf(a)
        exact = 2 * A / (1 - A) - 2 * mpmath.atanh(A)  # x − log(1 + x), x = 2a/(1 − a), w = 1
        for terms in range(1, MAX_TERMS + 1):
            cut = 2 * A / (1 - A) - 2 * sum(
                A ** (2 * k + 1) / (2 * k + 1) for k in range(terms + 1)
            )
            relative = float(abs(cut - exact) / exact)
            assert relative <= truncation_bound(a, terms), (a, terms, relative)
            if relative > 1e-100:  # resolved at this precision: the bound is not vacuous
                assert truncation_bound(a, terms) <= 10 * relative, (a, terms)


def test_series_length_follows_the_largest_a() -> None:
    terms = [series_terms(a, F64) for a in (0.0, 1e-8, 1e-4, 0.01, 0.05, 0.0999)]
    assert terms == sorted(terms)
    assert terms[0] == 1
    assert terms[-1] == MAX_TERMS
    assert series_terms(0.02, F64) <= 5  # the ε = 0.01 distillation case needs few terms
    for a in (1e-6, 1e-3, 0.02, 0.0999):
        k = series_terms(a, F64)
        assert truncation_bound(a, k) <= TOLERANCE[8]
        if k > 1:
            assert truncation_bound(a, k - 1) > TOLERANCE[8]  # the fewest terms
    assert series_terms(series_threshold(F32), F32) == 4  # float32's tolerance: short series
    assert series_terms(0.02, F32) == 2  # reach of 2 terms: 0.023
    assert truncation_bound(series_threshold(F32), 4) <= TOLERANCE[4]


def test_series_rejects_wrong_arguments() -> None:
    with pytest.raises(ValueError, match=r"largest must be \|a\| in \[0, 1\), got 1.5"):
        series_terms(1.5, F64)
    with pytest.raises(ValueError, match="largest must be"):
        series_terms(float("nan"), F64)
    a = np.zeros(3)
    with pytest.raises(ValueError, match=r"coefficients must number 1\.\.8, got 0"):
        scaled_x_minus_log1p_series(a, a, a, (), a.copy(), a.copy(), a.copy())
    with pytest.raises(ValueError, match="elements must be a positive int, got 0"):
        kernels.Workspace(0)


def test_too_few_terms_would_be_caught() -> None:
    """The accuracy tests below can fail: one term short of the rule misses 1e-15."""
    w, v, u = _pair(400, 0.15)
    a = v / (w + u)
    keep = np.abs(a) < SERIES_THRESHOLD
    w, v, u, a = w[keep], v[keep], u[keep], a[keep]
    out, y, h = (np.empty_like(a) for _ in range(3))
    for coefficients in (TAYLOR, MINIMAX):
        scaled_x_minus_log1p_series(a, v, w, coefficients, out, y, h)
        assert _max_error(out, w, v, u) < 1e-15
    scaled_x_minus_log1p_series(a, v, w, TAYLOR[: len(MINIMAX)], out, y, h)
    assert _max_error(out, w, v, u) > 1e-15  # six Taylor terms are not enough at |a| ≈ 0.1


def test_minimax_coefficients_refit_and_keep_their_bound() -> None:
    # computed with mpmath, dps = 40: the Chebyshev fit the module states, and its error
    with mpmath.workdps(40):

        def p_infinity(y: Any) -> Any:
            if y == 0:
                return mpmath.mpf(2) / 3
            s = mpmath.sqrt(y)
            return 2 * (mpmath.atanh(s) / s - 1) / y

        limit = mpmath.mpf(SERIES_THRESHOLD) ** 2
        fitted = mpmath.chebyfit(p_infinity, [0, limit], len(MINIMAX))
        for ours, theirs in zip(MINIMAX, reversed(fitted), strict=True):
            assert ours == pytest.approx(float(theirs), rel=1e-15)
        worst = mpmath.mpf(0)
        for k in range(2001):
            y = limit * k / 2000
            a = mpmath.sqrt(y)
            miss = abs(
                mpmath.polyval([mpmath.mpf(c) for c in reversed(MINIMAX)], y) - p_infinity(y)
            )
            worst = max(worst, miss * a * (1 + a) / 2)  # its weight in the relative error
        assert worst <= 6e-18  # 5.2e-18 with the coefficients rounded to float64
        assert worst <= TOLERANCE[8]


def test_series_coefficients_choose_taylor_near_zero_and_minimax_near_the_threshold() -> None:
    assert series_coefficients(1e-4, F64) == TAYLOR[: series_terms(1e-4, F64)]
    assert series_coefficients(0.0999, F64) == MINIMAX
    assert series_coefficients(SERIES_THRESHOLD, F64) == MINIMAX
    assert series_coefficients(series_threshold(F32), F32) == TAYLOR[:4]


# ---------------------------------------------------------------- each route of the kernel


@pytest.mark.parametrize(
    ("spread", "route"),
    [
        (1e-9, "series"),
        (1e-4, "series"),
        (0.02, "series"),
        (0.1, "series, direct patched in"),
        (0.5, "both, picked per entry"),
        (2.0, "direct, series patched in"),
        (np.inf, "direct"),
    ],
)
@pytest.mark.parametrize("in_workspace", [False, True])
def test_every_route_keeps_float64_precision(spread: float, route: str, in_workspace: bool) -> None:
    w, v, u = _pair(3000, spread)
    a = np.abs(v / (w + u))
    small = float(np.mean(a < SERIES_THRESHOLD))
    assert KERNEL_ROUTES[route](small), f"the input does not take the {route} route: {small}"
    if in_workspace:
        with workspace(w.size):
            got = kernel_x_minus_log1p(w, v, u)
    else:
        got = kernel_x_minus_log1p(w, v, u)
    assert got.dtype == np.float64
    # ≤ ~ε₆₄/f(x) where the direct form is used (|a| ≥ 0.1: f ≥ 0.0189), a few ulps elsewhere
    bound = 8e-15 if small < 1 else 1e-15
    error = _max_error(got, w, v, u)
    assert error <= bound, f"{route}: {error}"


@pytest.mark.parametrize("spread", [1e-9, 1e-3, 0.01, 0.1, 1.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_float32_and_float16_inputs_keep_their_precision(spread: float, dtype: Any) -> None:
    w, v, u = _pair(2000, spread, dtype)
    got = kernel_x_minus_log1p(w, v, u)
    assert got.dtype == np.float64
    error = _max_error(got, w.astype(np.float64), v.astype(np.float64), u.astype(np.float64))
    assert error <= 1e-9, error  # far inside float32's 6e-8 (computed in float64)


def test_workspace_buffers_are_reused_and_results_are_fresh() -> None:
    w, v, u = _pair(5000, 0.3)
    alone = kernel_x_minus_log1p(w, v, u)
    with workspace(w.size) as space:
        first = kernel_x_minus_log1p(w, v, u)
        second = kernel_x_minus_log1p(w[::-1], v[::-1], u[::-1])
        slot = space.buffers(w.size, w.shape)[0][3]
        assert np.shares_memory(slot, space.buffers(w.size, w.shape)[0][3])
    np.testing.assert_array_equal(first, alone)  # not overwritten by the second call
    np.testing.assert_array_equal(second, alone[::-1])
    assert not np.shares_memory(first, second)


# ---------------------------------------------------------------- edges: zeros, subnormals

SUBNORMAL = 4.2e-322  # softmax([0, −740])[1], computed with mpmath, dps = 50: 4.2e-322 rounded


@pytest.mark.parametrize(
    ("w", "u"),
    [
        (SUBNORMAL, 0.25),  # u/w overflows: x − log(u/w) was inf − inf = NaN
        (0.25, SUBNORMAL),  # u/w subnormal: its log has only a few bits
        (SUBNORMAL, 3 * SUBNORMAL),  # both subnormal, a normal ratio
        (5e-324, 1.0),  # the smallest subnormal against 1
        (1.0, 5e-324),
        (1e-300, 1.0),  # a huge but finite ratio
        (0.0, 0.5),  # w = 0: the term is v (0·log 0 = 0)
        (0.0, 0.0),  # w = u = 0: 0, not 0/0
        (0.5, 0.0),  # u = 0 < w: +inf
    ],
)
@pytest.mark.parametrize("size", [1, 3000])
def test_no_nan_at_zeros_subnormals_and_huge_ratios(w: float, u: float, size: int) -> None:
    # With 3000 entries the edge sits among ordinary close entries (the mixed routes).
    rng = np.random.default_rng(RNG_SEED)
    ws = 0.5 + 0.1 * rng.random(size)
    us = ws * np.exp(0.3 * rng.standard_normal(size))
    ws[size // 2], us[size // 2] = w, u
    vs = us - ws
    got = kernel_x_minus_log1p(ws, vs, us)
    assert not np.isnan(got).any(), got[size // 2]
    assert _max_error(got, ws, vs, us) <= 8e-15


def test_the_previous_direct_form_fails_on_a_subnormal_w() -> None:
    """``w·(x − log(u/w))`` with ``x = v/w`` is ``inf − inf`` there: the test above can fail."""
    w, u = np.array([SUBNORMAL]), np.array([0.25])
    with np.errstate(all="ignore"):
        old = w * (u / w - 1 - np.log(u / w))
    assert np.isnan(old).all()


def test_xlogy_follows_zero_log_zero_and_widens_float16() -> None:
    x = np.array([0.0, 0.5, 0.25], dtype=np.float16)
    y = np.array([0.0, 0.5, 0.0], dtype=np.float16)
    got = kernel_xlogy(x, y)
    assert got.dtype == np.float32
    assert got[0] == 0
    assert np.isneginf(got[2])
    assert got[1] == pytest.approx(0.5 * np.log(0.5), rel=1e-7)


# ---------------------------------------------------------------- logsumexp with masked logits


def _logsumexp_reference(row: Array) -> Any:
    with mpmath.workdps(50):
        return mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(t))) for t in row))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_logsumexp_of_partially_masked_rows_is_finite(dtype: Any) -> None:
    inf = np.inf
    x = np.array(
        [[0.0, -inf, -1.0, -inf], [-inf, -inf, 3.0, -inf], [-inf, 2.0, 2.0, -30.0]], dtype=dtype
    )
    got = kernel_logsumexp(x, -1)
    assert got.shape == (3, 1)
    assert got.dtype == (np.float32 if dtype == np.float16 else dtype)
    assert not np.isnan(got).any(), got
    rtol = {np.float64: 1e-15, np.float32: 3e-7, np.float16: 3e-7}[dtype]  # 2.5 ulps
    for k, row in enumerate(x):
        expected = _logsumexp_reference(row)  # computed with mpmath, dps = 50
        assert abs(float(got[k, 0]) - float(expected)) <= rtol * abs(float(expected)) + 1e-300
    # log-probabilities of the masked entries are −inf, probabilities 0, never NaN
    logp = x - got
    assert np.isneginf(logp[x == -inf]).all()
    assert np.all(np.exp(logp[x == -inf]) == 0)


def test_logsumexp_of_an_all_masked_row_is_minus_inf_not_nan() -> None:
    # Validation rejects such a row before it reaches the kernel; the kernel still says −inf.
    got = kernel_logsumexp(np.array([[-np.inf, -np.inf], [0.0, 0.0]]), -1)
    assert np.isneginf(got[0, 0])
    assert got[1, 0] == pytest.approx(np.log(2.0), rel=1e-15)


def test_float16_sums_in_float32() -> None:
    """70 000 terms of 1 overflow a float16 sum (max 65504); the kernel's float32 sum does not."""
    x = np.zeros((1, 70_000), dtype=np.float16)
    got = kernel_logsumexp(x, -1)
    assert got.dtype == np.float32
    assert float(got[0, 0]) == pytest.approx(np.log(70_000.0), rel=3e-7)
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(x).sum(axis=-1, dtype=np.float16))  # what float16 would give


# ---------------------------------------------------------------- memory: no faults per block
#
# Why the first version of this test failed in a fresh venv and passed in .venv: its "scratch"
# stand-in made 12 block-sized temporaries per block (plus the sum's), about 7 MiB per block since
# blocks grew to 512 KiB. glibc trims the top of its heap when more than its trim threshold is
# free there, and the threshold is 2 × the mmap threshold that prime_allocator raised to 3 MiB
# then (16 MiB now): 6 MiB. Whether 7 MiB freed at once reached the top of the heap (trimmed,
# faulted in again by the next block) or sat below a live allocation (kept) depended on the heap's
# layout before the call, which differs with the venv's size, the working directory, the modules
# imported: the same venv passed from one directory and failed from another. A block's temporaries
# must stay below that threshold; the library's do (the kernels' scratch is one workspace per
# call, the generated expressions make at most ~7 block-sized temporaries). So the test now
# measures the public functions themselves, and a stand-in of what the kernels did (7 scratch
# arrays per block), under two heap layouts.

#: The environment without glibc's MALLOC_* tunables. dask.distributed puts
#: MALLOC_TRIM_THRESHOLD_=65536 into os.environ when it starts a cluster (tests/test_batch*
#: do), and an explicit trim threshold turns glibc's dynamic mmap threshold off: the heap is
#: then trimmed and faulted in again on every call whatever prime_allocator does (2005 faults
#: per KL step instead of 13). These tests measure glibc's defaults, which users outside Dask
#: workers have; the README says what Dask workers pay.
_GLIBC_DEFAULTS = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}

_FIRST_CALL = """
import resource, sys
import numpy as np
import divsym
from divsym.numeric import kernels
from divsym.numeric.blocks import run_rows

def scratch_per_block(p, q, axis):  # what the kernels did: 7 scratch arrays made per block
    parts = [np.sqrt(p + k) for k in range(7)]
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return np.sum(total, axis=axis, keepdims=True)

rows, function, layout = int(sys.argv[1]), sys.argv[2], sys.argv[3]
kernels._primed = layout == "unprimed"  # "unprimed": as if primed already (it was not)
rng = np.random.default_rng(0)
p, q = np.empty((rows, 32768)), np.empty((rows, 32768))  # no temporaries: none freed before
rng.random(out=p)
p += 0.5
p /= p.sum(axis=-1, keepdims=True)
rng.standard_normal(out=q)
q *= 0.3
np.exp(q, out=q)
q *= p
q /= q.sum(axis=-1, keepdims=True)
if layout == "shuffled":  # live small blocks between freed ones: another heap layout
    keep = [bytearray(int(n)) for n in rng.integers(1_000, 200_000, 200)]
    del keep[::2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
if function == "scratch":
    run_rows(scratch_per_block, [p, q], [], reduced=True, dtype=np.dtype(np.float64),
             check=lambda blocks: True, diagnose=lambda: None, additive=True)
else:
    getattr(divsym, function)(p, q)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _first_call_faults(rows: int, function: str, layout: str) -> int:
    """Minor page faults of the first call in a fresh process (where they used to pile up)."""
    result = subprocess.run(
        [sys.executable, "-c", _FIRST_CALL, str(rows), function, layout],
        env=_GLIBC_DEFAULTS,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(result.stdout.split()[-1])


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's allocator and getrusage")
@pytest.mark.parametrize("layout", ["primed", "shuffled"])
@pytest.mark.parametrize("function", ["js_divergence", "kl_divergence", "scratch"])
def test_minor_page_faults_of_a_fresh_call_do_not_grow_with_the_blocks(
    function: str, layout: str
) -> None:
    # 16 and 128 rows of 32768 float64: 8 and 64 blocks of 2 rows (512 KiB per input).
    few, many = _first_call_faults(16, function, layout), _first_call_faults(128, function, layout)
    assert many <= few + 64, (few, many)


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's allocator and getrusage")
def test_unprimed_the_fault_check_fails() -> None:
    """Without prime_allocator the expression's own temporaries fault per block: the check
    above can fail. (KL's expression makes ``q − p`` per block; the Jensen–Shannon one, a
    single kernel call on ``p`` and ``q``, no longer makes any: 777 and 875 faults.)"""
    few = _first_call_faults(16, "kl_divergence", "unprimed")
    unprimed = _first_call_faults(128, "kl_divergence", "unprimed")
    assert unprimed > few + 64 * 50, (few, unprimed)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_logsumexp_of_one_vector_is_the_row_kernels_bit_for_bit(dtype: Any) -> None:
    """The 1-D shortcut (direct indexing) gives what the batched kernel gives for that row."""
    rng = np.random.default_rng(11)
    cases = [(30 * rng.standard_normal(n)).astype(dtype) for n in (1, 2, 10, 1000)]
    masked = (30 * rng.standard_normal(50)).astype(dtype)
    masked[::3] = -np.inf
    cases += [masked, np.zeros(4, dtype=dtype), np.full(3, -np.inf, dtype=dtype)]
    for x in cases:
        got = kernel_logsumexp(x, 0)
        expected = kernel_logsumexp(x[None, :], -1)[0]
        np.testing.assert_array_equal(got, expected, strict=True)
    assert float(kernel_logsumexp(np.array([0.0, 0.0]), 0)[0]) == math.log(2)


_REPEATED_CALLS = """
import resource, sys
import numpy as np
import divsym

z = np.random.default_rng(0).standard_normal((256, 1000))
call = {  # a training step's pattern: teacher and student soft targets, then their KL
    "softmax": lambda: divsym.softmax(z, T=2.0),
    "kl_divergence": lambda: divsym.kl_divergence(divsym.softmax(z), divsym.softmax(z * 1.01)),
}[sys.argv[1]]
call()
call()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    call()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's allocator and getrusage")
@pytest.mark.parametrize("function", ["softmax", "kl_divergence"])
def test_repeated_calls_on_a_training_batch_do_not_fault_their_memory_in_again(
    function: str,
) -> None:
    """A (256, 1000) batch, called again and again as in a training loop: the output and the
    blocks' temporaries must come back from glibc's heap. With the 3 MiB prime they were
    trimmed and faulted in on every call (845 faults per softmax, 2500 per KL)."""
    result = subprocess.run(
        [sys.executable, "-c", _REPEATED_CALLS, function],
        env=_GLIBC_DEFAULTS,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert float(result.stdout.split()[-1]) <= 64


def test_block_route_takes_one_form_the_majority_or_both() -> None:
    """The routes that the share table above names, decided from the series' count alone."""
    assert kernels.block_route(4096, 4096) == kernels.SERIES
    assert kernels.block_route(0, 4096) == kernels.DIRECT
    assert kernels.block_route(4000, 4096) == kernels.SERIES_PATCHED  # 96 direct entries
    assert kernels.block_route(96, 4096) == kernels.DIRECT_PATCHED
    assert kernels.block_route(2048, 4096) == kernels.BOTH  # half and half: no gathering
    assert kernels.block_route(4000, 4096, short_series=True) == kernels.BOTH
    assert kernels.block_route(1000, 1010) == kernels.BOTH  # below 1024 entries
    for route in (kernels.SERIES, kernels.DIRECT, kernels.BOTH):
        assert route in KERNEL_ROUTES
