"""High-precision references: the symbolic definitions evaluated directly in mpmath.

Each reference walks the SymPy expression of a *definition* of
:mod:`divsym.symbols.definitions` (not the stable forms that the fast functions use) and
evaluates it node by node at :data:`REFERENCE_DIGITS` significant digits, on the exact binary
values of its float inputs. It shares no code with the code generation or the numeric layer it
checks: no ``lambdify``, no printer, no rewrite, no kernel. Its two conventions are written
here, in :func:`_product` and :func:`_power`:

- ``0·log y = 0`` (``0·log 0 = 0``): a product whose factors other than logs are 0 is 0;
- ``x/0 = +inf`` for ``x > 0``, so ``p·log(p/0) = +inf`` and ``-p·log 0 = +inf``.

Tests compare the generated NumPy functions with these values; users can do the same::

    >>> from divsym import reference
    >>> float(reference.kl_divergence([0.5, 0.5], [0.9, 0.1]))  # the float 0.9 is 0.9000…0022
    0.5108256237659906

Inputs are one distribution (or one vector of logits); :func:`over_rows` maps a reference
over the last axis of an array. Precision is set with ``mpmath.workdps`` inside each call,
never globally.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import cache
from typing import Any

import mpmath
import numpy as np
from numpy.typing import ArrayLike, NDArray
from sympy import (
    Add,
    Expr,
    Indexed,
    Mul,
    Pow,
    Rational,
    Sum,
    Symbol,
    exp,
    log,
)

from divsym.symbols import definitions, notation

__all__ = [
    "REFERENCE_DIGITS",
    "cross_entropy",
    "cross_entropy_from_logits",
    "distillation_loss",
    "distillation_loss_grad",
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


#: What the symbols of a definition stand for: numbers (``n``, ``T``, the current index) and
#: 0-based vectors (the distributions, looked up 1-based); and, under the key ``_SUMS``, the
#: Sums already evaluated in this call.
_Env = dict[Any, Any]
_Compiled = Callable[[_Env], Any]
_SUMS = "sums"


def _evaluate(expr: Expr, env: _Env) -> Any:
    """``expr`` as an mpmath number at the current precision, with this module's conventions."""
    env.setdefault(_SUMS, {})
    return _compile(expr)(env)


@cache
def _compile(expr: Expr) -> _Compiled:
    """``expr`` as a function of the symbols' values, built once per expression from closures
    (the tree is not walked again for every class and every row)."""
    if isinstance(expr, Symbol):
        return lambda env: env[expr]
    if isinstance(expr, Indexed):
        return _entry(expr)
    if isinstance(expr, Rational):
        value = mpmath.mpf(int(expr.p)) / int(expr.q)
        return lambda env: value
    if isinstance(expr, Add):
        terms = [_compile(a) for a in expr.args]
        return lambda env: _fold(terms, env, operator.add)
    if isinstance(expr, Mul):
        return _product(expr)
    if isinstance(expr, Pow):
        base, power = _compile(expr.base), _compile(expr.exp)
        return lambda env: _power(base(env), power(env))
    if isinstance(expr, log):
        argument = _compile(expr.args[0])
        return lambda env: mpmath.log(argument(env))  # log 0 = -inf, log inf = inf
    if isinstance(expr, exp):
        exponent = _compile(expr.args[0])
        return lambda env: mpmath.exp(exponent(env))
    if isinstance(expr, Sum):
        return _sum(expr)
    raise TypeError(f"the reference cannot evaluate {type(expr).__name__}: {expr}")


def _entry(expr: Indexed) -> _Compiled:
    (index,) = expr.indices
    position, base = _compile(index), expr.base

    def entry(env: _Env) -> Any:
        values, k = env[base], int(position(env))
        if not 1 <= k <= len(values):
            raise IndexError(f"class {k} outside 1..{len(values)}")
        return values[k - 1]

    return entry


def _fold(parts: list[_Compiled], env: _Env, combine: Callable[[Any, Any], Any]) -> Any:
    """``parts`` evaluated and combined left to right (``+`` or ``×``); 1 if there are none."""
    if not parts:
        return mpmath.mpf(1)
    value = parts[0](env)
    for part in parts[1:]:
        value = combine(value, part(env))
    return value


def _power(base: Any, power: Any) -> Any:
    if base == 0 and power < 0:
        return mpmath.inf  # x/0 = +inf: every quantity divided here is nonnegative
    return mpmath.power(base, power)


def _product(expr: Mul) -> _Compiled:
    """A product as one division ``numerator / denominator`` (``p/m`` is 1 exactly at
    ``p = m``, which ``p·(1/m)`` is not), with the conventions ``0·log y = 0``, ``x/0 = ±inf``.
    """
    numerator, denominator, logs = [], [], []
    for factor in expr.args:
        if isinstance(factor, log):
            logs.append(_compile(factor))
        elif isinstance(factor, Pow) and factor.exp.is_negative:
            denominator.append(_compile(factor.base ** (-factor.exp)))
        else:
            numerator.append(_compile(factor))

    def product(env: _Env) -> Any:
        top = _fold(numerator, env, operator.mul)
        if top == 0 and logs:
            return mpmath.mpf(0)  # 0·log y = 0, also for y = 0 (the limit of x·log x)
        if denominator:
            bottom = _fold(denominator, env, operator.mul)
            if bottom == 0:
                return mpmath.inf * mpmath.sign(top) if top != 0 else mpmath.nan
            top = top / bottom
        return top * _fold(logs, env, operator.mul) if logs else top

    return product


def _sum(expr: Sum) -> _Compiled:
    """A Sum over a class index; evaluated once per call for each value of its free symbols."""
    (index, low, high), *rest = expr.limits
    if rest:
        raise TypeError(f"the reference evaluates single Sums only, got {expr}")
    body, start, stop = _compile(expr.function), _compile(low), _compile(high)
    outer = sorted((s for s in expr.free_symbols if isinstance(s, Symbol)), key=str)

    def total(env: _Env) -> Any:
        key = (expr, *(env.get(s) for s in outer))
        memo = env[_SUMS]
        if key not in memo:
            first, last = int(start(env)), int(stop(env))
            if last < first:
                raise ValueError(f"{expr} runs from {first} down to {last}: not an empty sum")
            terms = []
            for k in range(first, last + 1):
                env[index] = k
                terms.append(body(env))
            del env[index]
            memo[key] = mpmath.fsum(terms)
        return memo[key]

    return total


def _mp(values: ArrayLike) -> list[Any]:
    array = np.asarray(values, dtype=np.float64).ravel()
    return [mpmath.mpf(float(v)) for v in array]


def _in_base(value: Any, base: float | None) -> Any:
    return value if base is None else value / mpmath.log(mpmath.mpf(base))


#: Precision for log-softmax entries that round to 0 at 50 digits (see :func:`log_softmax`).
_WIDE_DIGITS = 400


def _logits(name: str, values: ArrayLike, temperature: float, digits: int) -> list[Any]:
    expr = (definitions.softmax if name == "softmax" else definitions.log_softmax)(
        notation.z, notation.T
    )
    with mpmath.workdps(digits):
        entries = _mp(values)
        env: _Env = {
            notation.z: entries,
            notation.T: mpmath.mpf(float(temperature)),
            notation.n: len(entries),
        }
        out = []
        for k in range(1, len(entries) + 1):
            env[notation.i] = k
            out.append(+_evaluate(expr, env))
        return out


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


_REDUCTIONS: dict[str, Callable[[], Expr]] = {
    "entropy": lambda: definitions.entropy(notation.p),
    "cross_entropy": lambda: definitions.cross_entropy(notation.p, notation.q),
    "kl_divergence": lambda: definitions.kl_divergence(notation.p, notation.q),
    "js_divergence": lambda: definitions.js_divergence(notation.p, notation.q),
    "js_distance": lambda: definitions.js_distance(notation.p, notation.q),
}


def _distributions(name: str, base: float | None, *arrays: ArrayLike) -> Any:
    expr = _REDUCTIONS[name]()
    # A class where every input is 0 contributes 0 by 0·log 0 = 0; dropping it avoids 0/0
    # inside the mixture of the Jensen–Shannon definition.
    stacked = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64).ravel() for a in arrays))
    keep = np.any([a != 0 for a in stacked], axis=0)
    with mpmath.workdps(REFERENCE_DIGITS):
        vectors = [_mp(a[keep]) for a in stacked]
        env: _Env = dict(zip((notation.p, notation.q), vectors, strict=False))
        env[notation.n] = len(vectors[0])
        if name == "js_distance":  # √(JSD in the base): the base goes under the root
            return mpmath.sqrt(_in_base(_evaluate(expr.base, env), base))
        return +_in_base(_evaluate(expr, env), base)


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
    with mpmath.workdps(REFERENCE_DIGITS):
        vector = _mp(q)
        env: _Env = {notation.q: vector, _LABEL: int(label) + 1}
        return +_in_base(_evaluate(definitions.nll(notation.q, _LABEL), env), base)


def _softmax_mp(logits: list[Any], temperature: Any) -> list[Any]:
    """Eq. (1) of mpmath logits (the definition, evaluated at the current precision)."""
    expr = definitions.softmax(notation.z, notation.T)
    env: _Env = {notation.z: logits, notation.T: temperature, notation.n: len(logits)}
    out = []
    for k in range(1, len(logits) + 1):
        env[notation.i] = k
        out.append(+_evaluate(expr, env))
    return out


def _soft_mp(student: list[Any], teacher: list[Any], temperature: Any, form: str) -> Any:
    """``KL(softmax(t/T) ‖ softmax(s/T))`` or the cross-entropy ``−Σ p log q``, definitions."""
    p, q = _softmax_mp(teacher, temperature), _softmax_mp(student, temperature)
    definition = definitions.kl_divergence if form == "kl" else definitions.cross_entropy
    env: _Env = {notation.p: p, notation.q: q, notation.n: len(p)}
    return _evaluate(definition(notation.p, notation.q), env)


def _hard_mp(student: list[Any], label: int) -> Any:
    """``−log q_y`` at ``T = 1`` (the NLL definition of the softmax), 0-based ``label``."""
    q = _softmax_mp(student, mpmath.mpf(1))
    return _evaluate(definitions.nll(notation.q, _LABEL), {notation.q: q, _LABEL: label + 1})


def _distillation_mp(
    student: list[Any],
    teacher: list[Any],
    T: float,
    label: int | None,
    alpha: float | None,
    form: str,
    temperature_squared: bool,
) -> Any:
    temperature = mpmath.mpf(float(T))
    weight = (
        mpmath.mpf(float(alpha)) if alpha is not None else mpmath.mpf(1 if label is None else 0.9)
    )
    scale = temperature**2 if temperature_squared else 1
    total = weight * scale * _soft_mp(student, teacher, temperature, form) if weight else 0
    if label is not None and weight != 1:
        total += (1 - weight) * _hard_mp(student, int(label))
    return +total


def distillation_loss(
    student_logits: ArrayLike,
    teacher_logits: ArrayLike,
    T: float,
    label: int | None = None,
    alpha: float | None = None,
    form: str = "kl",
    temperature_squared: bool = True,
) -> Any:
    """One row's distillation loss from the definitions: ``alpha · T² · KL(softmax(t/T) ‖
    softmax(s/T)) + (1 − alpha) · (−log softmax(s)_y)`` (the conventions of
    :func:`divsym.numeric.distillation.distillation_loss`; alpha weights the soft loss, 1
    without a label and 0.9 with one unless given; ``form="ce"`` uses ``−Σ p log q``)."""

    def at(digits: int) -> Any:
        with mpmath.workdps(digits):
            return _distillation_mp(
                _mp(student_logits), _mp(teacher_logits), T, label, alpha, form, temperature_squared
            )

    # The definition Σ p log(p/q) cancels when p and q are close, or when one class holds all
    # but 1e-45 of both: then 50 digits keep only a few. The precision is doubled until two
    # evaluations agree to REFERENCE_DIGITS − 10 digits (the answer is the wider one).
    digits, value = REFERENCE_DIGITS, at(REFERENCE_DIGITS)
    while digits < _WIDE_DIGITS:
        digits *= 2
        wider = at(digits)
        with mpmath.workdps(digits):
            if wider == value or abs(wider - value) <= abs(wider) * mpmath.mpf(10) ** (
                10 - REFERENCE_DIGITS
            ):
                return +wider
        value = wider
    return value


def distillation_loss_grad(
    student_logits: ArrayLike,
    teacher_logits: ArrayLike,
    T: float,
    label: int | None = None,
    alpha: float | None = None,
    form: str = "kl",
    temperature_squared: bool = True,
) -> list[Any]:
    """The gradient of :func:`distillation_loss` in each student logit, by mpmath's numerical
    differentiation of the definitions (``mpmath.diff`` at 50 digits): independent of the
    proved ``(q − p)/T``, which it checks."""
    with mpmath.workdps(REFERENCE_DIGITS):
        student, teacher = _mp(student_logits), _mp(teacher_logits)

        def along(k: int) -> Callable[[Any], Any]:
            def loss(x: Any) -> Any:
                moved = [*student[:k], x, *student[k + 1 :]]
                return _distillation_mp(moved, teacher, T, label, alpha, form, temperature_squared)

            return loss

        return [+mpmath.diff(along(k), student[k]) for k in range(len(student))]


def cross_entropy_from_logits(logits: ArrayLike, label: int, label_smoothing: float = 0.0) -> Any:
    """``(1 − ε)(−log q_y) + ε · (−(1/n) Σ_j log q_j)``, ``q = softmax(logits)`` from the
    definitions (PyTorch's ``cross_entropy`` with ``label_smoothing=ε``), 0-based ``label``."""
    with mpmath.workdps(REFERENCE_DIGITS):
        z = _mp(logits)
        smoothing = mpmath.mpf(float(label_smoothing))
        total = (1 - smoothing) * _hard_mp(z, int(label))
        if smoothing:
            uniform = sum(_hard_mp(z, j) for j in range(len(z))) / len(z)
            total += smoothing * uniform
        return +total


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
