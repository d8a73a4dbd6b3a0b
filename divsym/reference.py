"""High-precision references: the symbolic definitions lambdified to mpmath.

Each reference evaluates the *definition* of :mod:`divsym.symbols.definitions` (not the stable forms
that the fast functions use) at :data:`REFERENCE_DIGITS` significant digits, on the exact
binary values of its float inputs, with the conventions ``0·log 0 = 0`` and
``p·log(p/0) = +inf``. Tests compare the generated NumPy functions with these values; users
can do the same::

    >>> from divsym import reference
    >>> float(reference.kl_divergence([0.5, 0.5], [0.9, 0.1]))  # the float 0.9 is 0.9000…0022
    0.5108256237659906

Inputs are one distribution (or one vector of logits); :func:`over_rows` maps a reference
over the last axis of an array. Precision is set with ``mpmath.workdps`` inside each call,
never globally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import mpmath
import numpy as np
from numpy.typing import ArrayLike, NDArray
from sympy import Expr, Sum, Symbol, lambdify

from divsym.codegen.generate import REWRITES
from divsym.symbols import definitions
from divsym.symbols.notation import T, i, n, p, q, z

__all__ = [
    "REFERENCE_DIGITS",
    "cross_entropy",
    "entropy",
    "js_distance",
    "js_divergence",
    "kl_divergence",
    "log_softmax",
    "max_relative_error",
    "nll",
    "over_rows",
    "relative_error",
    "softmax",
]

#: Working precision of every reference, in significant decimal digits.
REFERENCE_DIGITS = 50

_LABEL = Symbol("y", integer=True, positive=True)


class _OneBased:
    """A 0-based sequence seen through the definitions' 1-based class index."""

    def __init__(self, values: Sequence[Any]) -> None:
        self._values = values

    def __getitem__(self, index: int) -> Any:
        if not 1 <= index <= len(self._values):
            raise IndexError(f"class {index} outside 1..{len(self._values)}")
        return self._values[index - 1]


def _xlogy(x: Any, y: Any) -> Any:
    return mpmath.mpf(0) if x == 0 else x * mpmath.log(y)


def _rel_entr(x: Any, y: Any) -> Any:
    if x == 0:
        return mpmath.mpf(0)
    return mpmath.inf if y == 0 else x * mpmath.log(x / y)


_HELPERS = {"XLogY": _xlogy, "RelEntr": _rel_entr}


def _with_conventions(expr: Expr) -> Expr:
    """Each Sum's summand with ``x·log y`` as XLogY/RelEntr, so ``0·log 0 = 0``."""
    xlogy = next(r for r in REWRITES if r.name == "xlogy")
    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Sum),
        lambda s: Sum(xlogy.apply(s.function), *s.limits),
    )


def _compile(expr: Expr, args: Sequence[Any]) -> Callable[..., Any]:
    return lambdify(list(args), _with_conventions(expr), modules=[_HELPERS, "mpmath"])  # type: ignore[no-any-return]


def _mp(values: ArrayLike) -> list[Any]:
    array = np.asarray(values, dtype=np.float64).ravel()
    return [mpmath.mpf(float(v)) for v in array]


def _in_base(value: Any, base: float | None) -> Any:
    return value if base is None else value / mpmath.log(mpmath.mpf(base))


@cache
def _elementwise(name: str) -> tuple[Callable[..., Any], list[Callable[..., Any]]]:
    """The definition split into its index-free Sums and the per-class remainder."""
    expr = definitions.softmax(z, T) if name == "softmax" else definitions.log_softmax(z, T)
    sums = sorted(expr.atoms(Sum), key=str)
    placeholders = [Symbol(f"s{k}") for k in range(len(sums))]
    outer = expr.xreplace(dict(zip(sums, placeholders, strict=True)))
    return (
        _compile(outer, [z, T, i, *placeholders]),
        [_compile(s, [z, T, n]) for s in sums],
    )


#: Precision for log-softmax entries that round to 0 at 50 digits (see :func:`log_softmax`).
_WIDE_DIGITS = 400


def _logits(name: str, values: ArrayLike, temperature: float, digits: int) -> list[Any]:
    outer, sums = _elementwise(name)
    with mpmath.workdps(digits):
        entries = _mp(values)
        vector, t = _OneBased(entries), mpmath.mpf(float(temperature))
        totals = [s(vector, t, len(entries)) for s in sums]
        return [+outer(vector, t, k, *totals) for k in range(1, len(entries) + 1)]


def softmax(z: ArrayLike, T: float = 1.0) -> list[Any]:
    """``exp(z_i/T) / Σ_j exp(z_j/T)`` for every class, as mpmath numbers."""
    return _logits("softmax", z, T, REFERENCE_DIGITS)


def log_softmax(z: ArrayLike, T: float = 1.0) -> list[Any]:
    """``log(exp(z_i/T) / Σ_j exp(z_j/T))`` for every class, as mpmath numbers.

    The largest entry is ``−log(1 + Σ_{j≠k} exp((z_j − z_k)/T))``: the definition, a log of a
    ratio within ``δ`` of 1, loses ``−log10 δ`` of its 50 digits there (all of them below
    ``1e-50``). Rows with an entry below ``1e-15`` in magnitude are therefore evaluated again
    at 400 digits, enough for every value above float64's smallest subnormal.
    """
    values = _logits("log_softmax", z, T, REFERENCE_DIGITS)
    if len(values) > 1 and any(abs(v) < 1e-15 for v in values):
        values = _logits("log_softmax", z, T, _WIDE_DIGITS)
    return values


@cache
def _reduction(name: str) -> Callable[..., Any]:
    forms: dict[str, tuple[Expr, list[Any]]] = {
        "entropy": (definitions.entropy(p), [p, n]),
        "cross_entropy": (definitions.cross_entropy(p, q), [p, q, n]),
        "kl_divergence": (definitions.kl_divergence(p, q), [p, q, n]),
        "js_divergence": (definitions.js_divergence(p, q), [p, q, n]),
        "js_distance": (definitions.js_divergence(p, q), [p, q, n]),
        "nll": (definitions.nll(q, _LABEL), [q, _LABEL]),
    }
    expr, args = forms[name]
    return _compile(expr, args)


def _distributions(name: str, base: float | None, *arrays: ArrayLike) -> Any:
    function = _reduction(name)
    # A class where every input is 0 contributes 0 by 0·log 0 = 0; dropping it avoids 0/0
    # inside the mixture of the Jensen–Shannon definition.
    stacked = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64).ravel() for a in arrays))
    keep = np.any([a != 0 for a in stacked], axis=0)
    with mpmath.workdps(REFERENCE_DIGITS):
        vectors = [_mp(a[keep]) for a in stacked]
        value = _in_base(function(*(_OneBased(v) for v in vectors), len(vectors[0])), base)
        return mpmath.sqrt(value) if name == "js_distance" else +value


def entropy(p: ArrayLike, base: float | None = None) -> Any:
    """``-Σ p_i log p_i``."""
    return _distributions("entropy", base, p)


def cross_entropy(p: ArrayLike, q: ArrayLike, base: float | None = None) -> Any:
    """``-Σ p_i log q_i``."""
    return _distributions("cross_entropy", base, p, q)


def kl_divergence(p: ArrayLike, q: ArrayLike, base: float | None = None) -> Any:
    """``Σ p_i log(p_i/q_i)`` (the definition, not the stable form)."""
    return _distributions("kl_divergence", base, p, q)


def js_divergence(p: ArrayLike, q: ArrayLike, base: float | None = None) -> Any:
    """``Σ ½p_i log(p_i/m_i) + ½q_i log(q_i/m_i)``, ``m = (p + q)/2``."""
    return _distributions("js_divergence", base, p, q)


def js_distance(p: ArrayLike, q: ArrayLike, base: float | None = None) -> Any:
    """``√JSD(P ‖ Q)``."""
    return _distributions("js_distance", base, p, q)


def nll(q: ArrayLike, label: int, base: float | None = None) -> Any:
    """``-log q_y`` at the 0-based ``label``."""
    function = _reduction("nll")
    with mpmath.workdps(REFERENCE_DIGITS):
        return +_in_base(function(_OneBased(_mp(q)), int(label) + 1), base)


def over_rows(reference: Callable[..., Any], *arrays: ArrayLike, **kwargs: Any) -> NDArray[Any]:
    """``reference`` applied to each row (last axis) of ``arrays``; an object array of mpf.

    For reductions the result has the batch shape; for softmax/log-softmax the full shape.
    """
    stacked = np.broadcast_arrays(*(np.asarray(a) for a in arrays))
    batch = stacked[0].shape[:-1]
    results = [reference(*(a[index] for a in stacked), **kwargs) for index in np.ndindex(*batch)]
    out = np.empty(len(results), dtype=object)
    for k, value in enumerate(results):
        out[k] = value
    if results and isinstance(results[0], list):
        return np.array(results, dtype=object).reshape(*batch, -1)
    return out.reshape(batch)


def relative_error(got: Any, expected: Any) -> float:
    """``|got − expected| / |expected|`` at 50 digits; 0 when both are equal (0 or ±inf)."""
    with mpmath.workdps(REFERENCE_DIGITS):
        got_mp, expected_mp = mpmath.mpf(float(got)), mpmath.mpf(expected)
        if got_mp == expected_mp:
            return 0.0
        if mpmath.isinf(expected_mp) or mpmath.isnan(got_mp) or expected_mp == 0:
            return float("inf")
        return float(abs(got_mp - expected_mp) / abs(expected_mp))


def max_relative_error(got: ArrayLike, expected: NDArray[Any]) -> float:
    """The largest :func:`relative_error` over matching entries of ``got`` and ``expected``."""
    values = np.asarray(got, dtype=np.float64)
    flat = np.asarray(expected, dtype=object).reshape(values.shape)
    return max(
        (relative_error(g, e) for g, e in zip(values.ravel(), flat.ravel(), strict=True)),
        default=0.0,
    )
