"""Code generation: SymPy definitions → NumPy functions, vectorised over the class axis.

A definition such as ``-Sum(p[i]*log(q[i]), (i, 1, n))`` is turned into an *array*
expression: every entry ``p[i]`` of a distribution becomes an array symbol ``p``, and the Sum
over the class index becomes :class:`ClassSum`, a reduction over ``axis``. Products with
logarithms become the SciPy ufuncs that carry the conventions ``0·log 0 = 0`` and
``p·log(p/0) = +inf``. :class:`DivsymPrinter` prints these nodes; ``lambdify`` does the rest.
Nothing here edits generated source text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sympy import Expr, Function, Indexed, IndexedBase, Mul, Sum, Symbol, Wild, lambdify, log
from sympy.printing.numpy import SciPyPrinter

__all__ = [
    "ClassSum",
    "DivsymPrinter",
    "RelEntr",
    "XLogY",
    "array_expression",
    "generate",
]

#: The argument through which generated functions receive the class axis.
AXIS = Symbol("axis", integer=True)


class ClassSum(Function):
    """``Σ_i f_i`` written as a reduction of the array ``f`` over the class axis."""

    nargs = 2  # (array expression, axis)


class XLogY(Function):
    """``x·log y`` with ``0·log y = 0`` (``scipy.special.xlogy``)."""

    nargs = 2

    def _eval_rewrite_as_log(self, x: Expr, y: Expr, **kwargs: Any) -> Expr:
        return x * log(y)  # type: ignore[no-any-return]


class RelEntr(Function):
    """``x·log(x/y)`` with ``0·log(0/y) = 0``, ``x·log(x/0) = inf`` (``scipy.special.rel_entr``)."""

    nargs = 2

    def _eval_rewrite_as_log(self, x: Expr, y: Expr, **kwargs: Any) -> Expr:
        return x * log(x / y)  # type: ignore[no-any-return]


class DivsymPrinter(SciPyPrinter):
    """NumPy/SciPy printer that knows divsym's array nodes."""

    def _print_ClassSum(self, expr: ClassSum) -> str:
        array, axis = expr.args
        return f"{self._module_format('numpy.sum')}({self._print(array)}, axis={self._print(axis)})"

    def _print_XLogY(self, expr: XLogY) -> str:
        x, y = expr.args
        return f"{self._module_format('scipy.special.xlogy')}({self._print(x)}, {self._print(y)})"

    def _print_RelEntr(self, expr: RelEntr) -> str:
        x, y = expr.args
        return (
            f"{self._module_format('scipy.special.rel_entr')}({self._print(x)}, {self._print(y)})"
        )


_x, _y = Wild("x"), Wild("y")


def _use_ufuncs(expr: Expr) -> Expr:
    """Replace ``x·log(x/y)`` by RelEntr and ``x·log y`` by XLogY (identities for x > 0)."""

    def rewrite(term: Mul) -> Expr:
        match = term.match(_x * log(_x / _y))
        if match and match[_x] != 0:
            return RelEntr(match[_x], match[_y])
        logs = [factor for factor in term.args if isinstance(factor, log)]
        if len(logs) != 1:
            return term
        rest = term / logs[0]
        constant, weight = rest.as_independent(
            *term.free_symbols - logs[0].free_symbols, as_Add=False
        )
        if weight == 1:
            return term
        return constant * XLogY(weight, logs[0].args[0])  # type: ignore[no-any-return]

    return expr.replace(lambda e: isinstance(e, Mul) and e.has(log), rewrite)  # type: ignore[no-any-return]


def array_expression(expr: Expr, arrays: dict[IndexedBase, Symbol]) -> Expr:
    """``expr`` with each class Sum turned into a :class:`ClassSum` over ``arrays``."""

    def vectorise(s: Sum) -> Expr:
        if len(s.limits) != 1:
            raise ValueError(f"only single Sums over the classes vectorise, got {s}")
        index = s.limits[0][0]
        function = s.function.replace(
            lambda e: isinstance(e, Indexed) and e.indices == (index,) and e.base in arrays,
            lambda e: arrays[e.base],
        )
        if function.has(index):
            raise ValueError(f"{s} uses its index outside the arrays {sorted(map(str, arrays))}")
        return ClassSum(_use_ufuncs(function), AXIS)

    return expr.replace(lambda e: isinstance(e, Sum), vectorise)  # type: ignore[no-any-return]


def generate(
    expr: Expr, arrays: dict[IndexedBase, Symbol], extra: Sequence[Symbol] = ()
) -> Callable[..., Any]:
    """A NumPy function ``f(*arrays, *extra, axis)`` lambdified from the definition ``expr``."""
    array_expr = array_expression(expr, arrays)
    args = [*arrays.values(), *extra, AXIS]
    return lambdify(args, array_expr, modules=["scipy", "numpy"], printer=DivsymPrinter)  # type: ignore[no-any-return]
