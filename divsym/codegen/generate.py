"""Code generation: SymPy expressions → NumPy functions, vectorised over the class axis.

A definition such as ``-Sum(p[i]*log(q[i]), (i, 1, n))`` is turned into an *array*
expression: every entry ``p[i]`` of a distribution becomes an array symbol ``p``, the Sum over
the class index becomes :class:`~divsym.symbols.stable.ClassSum`, a reduction over ``axis``, and
named rewrites (:data:`REWRITES`) replace sub-expressions by the stable nodes that carry the
conventions and the accuracy (``x·log y`` → ``XLogY``, ``log Σ exp`` → ``LogSumExp``,
``w·(x − log(1 + x))`` → ``ScaledXMinusLog1p``). Each rewrite is an identity: mapping the
nodes back with ``rewrite(log)`` gives the input expression again (tested).
:class:`~divsym.codegen.printer.DivsymPrinter` prints the nodes; ``lambdify`` does the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sympy import (
    Expr,
    Indexed,
    IndexedBase,
    Mul,
    Sum,
    Symbol,
    Wild,
    cancel,
    cse,
    exp,
    lambdify,
    log,
    numbered_symbols,
)

import divsym
from divsym.codegen.printer import DivsymPrinter
from divsym.numeric import kernels
from divsym.symbols.stable import (
    AtLabels,
    ClassMax,
    ClassSum,
    LogSumExp,
    RelEntr,
    ScaledXMinusLog1p,
    XLogY,
    XMinusLog1p,
)

__all__ = [
    "AXIS",
    "REWRITES",
    "ClassMax",
    "ClassSum",
    "DivsymPrinter",
    "RelEntr",
    "Rewrite",
    "XLogY",
    "array_expression",
    "generate",
]

#: Names the printed code refers to beyond NumPy and SciPy (the kernels, fully qualified).
_NAMESPACE = {"divsym": divsym, "kernels": kernels}

#: The argument through which generated functions receive the class axis.
AXIS = Symbol("axis", integer=True)


@dataclass(frozen=True)
class Rewrite:
    """A named identity that replaces a sub-expression by a stable array node."""

    name: str
    description: str
    apply: Callable[[Expr], Expr]


_x, _y = Wild("x"), Wild("y")


def _use_xlogy(expr: Expr) -> Expr:
    """Replace ``x·log(x/y)`` by RelEntr and ``x·log y`` by XLogY (identities for x > 0)."""

    def rewrite(term: Mul) -> Expr:
        match = term.match(_x * log(_x / _y))
        if match and match[_x] != 0 and match[_y] != 1:
            return RelEntr(match[_x], match[_y])
        logs = [factor for factor in term.args if isinstance(factor, log)]
        if len(logs) != 1:
            return term
        constant, weight = (term / logs[0]).as_coeff_Mul()
        if weight == 1:
            return term
        return constant * XLogY(weight, logs[0].args[0])  # type: ignore[no-any-return]

    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Mul) and e.has(log) and not e.has(ClassSum), rewrite
    )


def _use_weighted(expr: Expr) -> Expr:
    """``w·XMinusLog1p(x)`` → ``ScaledXMinusLog1p(w, w·x, w·(1 + x))``, each one fraction.

    In a KL term these are ``p``, ``q − p`` (one exact subtraction when ``q ≈ p``) and ``q``.
    """

    def rewrite(term: Mul) -> Expr:
        nodes = [factor for factor in term.args if isinstance(factor, XMinusLog1p)]
        if len(nodes) != 1:
            return term
        weight, x = term / nodes[0], nodes[0].args[0]
        return ScaledXMinusLog1p(weight, cancel(weight * x), cancel(weight * (1 + x)))

    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Mul) and any(isinstance(a, XMinusLog1p) for a in e.args), rewrite
    )


def _use_logsumexp(expr: Expr) -> Expr:
    """``log(ClassSum(exp(x)))`` → ``LogSumExp(x)``."""

    def is_logsumexp(e: Expr) -> bool:
        return (
            isinstance(e, log)
            and isinstance(e.args[0], ClassSum)
            and isinstance(e.args[0].args[0], exp)
        )

    return expr.replace(  # type: ignore[no-any-return]
        is_logsumexp, lambda e: LogSumExp(e.args[0].args[0].args[0], e.args[0].args[1])
    )


USE_XLOGY = Rewrite(
    "xlogy", "x·log y → XLogY(x, y) and x·log(x/y) → RelEntr(x, y), with 0·log 0 = 0", _use_xlogy
)
USE_WEIGHTED = Rewrite(
    "weighted-x-minus-log1p",
    "w·(x − log(1 + x)) → ScaledXMinusLog1p(w, w·x, w·(1 + x)), equal to w·x where w = 0",
    _use_weighted,
)
USE_LOGSUMEXP = Rewrite("logsumexp", "log Σ_j exp(x_j) → LogSumExp(x)", _use_logsumexp)

#: Every rewrite, in the order :func:`array_expression` applies them.
REWRITES: tuple[Rewrite, ...] = (USE_XLOGY, USE_WEIGHTED, USE_LOGSUMEXP)


def array_expression(
    expr: Expr,
    arrays: Mapping[IndexedBase, Symbol],
    *,
    index: Symbol | None = None,
    labels: Mapping[Symbol, Symbol] | None = None,
    shifts: Mapping[Symbol, IndexedBase] | None = None,
) -> Expr:
    """``expr`` as an array expression over ``arrays``.

    - every Sum over the classes becomes a :class:`ClassSum` (its summand rewritten);
    - ``base[index]`` (the free class index of an elementwise result) becomes the array;
    - ``base[y]`` for a label symbol ``y`` becomes ``AtLabels(array, labels[y])``;
    - a shift symbol ``c`` in ``shifts`` becomes ``ClassMax`` of the array of its base.
    """

    def vectorise(s: Sum) -> Expr:
        if len(s.limits) != 1:
            raise ValueError(f"only single Sums over the classes vectorise, got {s}")
        bound = s.limits[0][0]
        function = s.function.replace(
            lambda e: isinstance(e, Indexed) and e.indices == (bound,) and e.base in arrays,
            lambda e: arrays[e.base],
        )
        if function.has(bound):
            raise ValueError(f"{s} uses its index outside the arrays {sorted(map(str, arrays))}")
        return ClassSum(_use_weighted(_use_xlogy(function)), AXIS)

    result: Expr = expr.replace(lambda e: isinstance(e, Sum), vectorise)
    if index is not None:
        result = result.replace(
            lambda e: isinstance(e, Indexed) and e.indices == (index,) and e.base in arrays,
            lambda e: arrays[e.base],
        )
    for label, argument in (labels or {}).items():
        result = result.replace(
            lambda e, label=label: isinstance(e, Indexed) and e.indices == (label,),
            lambda e, argument=argument: AtLabels(arrays[e.base], argument, AXIS),
        )
    result = result.xreplace(
        {shift: ClassMax(arrays[base], AXIS) for shift, base in (shifts or {}).items()}
    )
    if result.has(Indexed):
        raise ValueError(f"entries left that are not arrays: {result.atoms(Indexed)}")
    return _use_logsumexp(result)


def _two_pass_cse(expr: Expr) -> tuple[list[tuple[Symbol, Expr]], Expr]:
    """SymPy's ``cse``, run again on its output: it leaves a product of its own new symbols
    (``x0*x1``, the scaled logits of log-softmax) repeated; the second pass names it once."""
    first, reduced = cse(expr, list=False)
    second, reduced = cse(reduced, symbols=numbered_symbols("y"), list=False)
    return [*first, *second], reduced


def generate(
    expr: Expr,
    arrays: Mapping[IndexedBase, Symbol],
    extra: Sequence[Symbol] = (),
    **kwargs: Any,
) -> Callable[..., Any]:
    """A NumPy function ``f(*arrays, *extra, axis)`` lambdified from ``expr``.

    Keyword arguments are those of :func:`array_expression`. Reductions keep the class axis
    with length 1.
    """
    array_expr = array_expression(expr, arrays, **kwargs)
    args = [*arrays.values(), *extra, AXIS]
    return lambdify(  # type: ignore[no-any-return]
        args,
        array_expr,
        modules=[_NAMESPACE, "scipy", "numpy"],
        printer=DivsymPrinter,
        cse=_two_pass_cse,
    )
