"""``DivsymPrinter``: SymPy's NumPy printer, retargeted at an array-API namespace ``xp``.

Generated code is written against two names that its caller passes in: ``xp``, an array
namespace of the Python array API standard (NumPy itself, or one given by
``array_api_compat``), and ``kernels``, an object with the kernels of the stable nodes of
:mod:`divsym.symbols.stable` (NumPy's in :mod:`divsym.numeric.kernels`, the others in
:mod:`divsym.numeric.xp_kernels`). Elementwise functions print as ``xp.exp``, ``xp.log``, …;
reductions over the class axis as ``xp.sum``/``xp.max`` with ``keepdims=True``; each stable
node as one kernel call. Functions of scalar arguments only (``log(base)``, ``sqrt(2)``)
print as ``math`` calls, because array-API functions accept arrays only. Nothing edits
generated source text.
"""

from __future__ import annotations

from typing import Any

from sympy import Expr, Pow, Rational, exp, log
from sympy.printing.numpy import NumPyPrinter

from divsym.symbols.stable import (
    AtArgmax,
    AtLabels,
    ClassMax,
    ClassSum,
    LogRatio,
    LogSumExp,
    RelEntr,
    ScaledExpm1MinusX,
    ScaledSymmetricXLog1p,
    ScaledXMinusLog1p,
    XLogY,
)

__all__ = ["SCALARS", "DivsymPrinter"]

#: Names of the generated functions' scalar (Python float) arguments.
SCALARS = frozenset({"T", "base"})


class DivsymPrinter(NumPyPrinter):
    """Array-API printer that knows divsym's array nodes."""

    def _module_format(self, fqn: str, register: bool = True) -> str:
        module, _, name = fqn.rpartition(".")
        if module != "numpy":
            raise ValueError(f"generated code may call xp and kernels only, not {fqn}")
        return f"xp.{name}"

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if isinstance(expr, Expr) and not isinstance(expr, Rational):
            scalar = _scalar_function(expr)
            if scalar is not None:
                name, argument = scalar
                return f"math.{name}({super()._print(argument, **kwargs)})"
        return super()._print(expr, **kwargs)  # type: ignore[no-any-return]

    def _call(self, function: str, *args: object) -> str:
        return f"{function}({', '.join(self._print(a) for a in args)})"

    def _reduce(self, function: str, expr: Expr) -> str:
        array, axis = expr.args
        return f"xp.{function}({self._print(array)}, axis={self._print(axis)}, keepdims=True)"

    def _print_ClassSum(self, expr: ClassSum) -> str:
        return self._reduce("sum", expr)

    def _print_ClassMax(self, expr: ClassMax) -> str:
        return self._reduce("max", expr)

    def _print_AtLabels(self, expr: AtLabels) -> str:
        return self._call("kernels.kernel_at_labels", *expr.args)

    def _print_XLogY(self, expr: XLogY) -> str:
        return self._call("kernels.kernel_xlogy", *expr.args)

    def _print_RelEntr(self, expr: RelEntr) -> str:
        return self._call("kernels.kernel_rel_entr", *expr.args)

    def _print_LogRatio(self, expr: LogRatio) -> str:
        return self._call("kernels.kernel_log_ratio", *expr.args)

    def _print_LogSumExp(self, expr: LogSumExp) -> str:
        return self._call("kernels.kernel_logsumexp", *expr.args)

    def _print_ScaledXMinusLog1p(self, expr: ScaledXMinusLog1p) -> str:
        return self._call("kernels.kernel_x_minus_log1p", *expr.args)

    def _print_ScaledSymmetricXLog1p(self, expr: ScaledSymmetricXLog1p) -> str:
        return self._call("kernels.kernel_symmetric_xlog1p", *expr.args)

    def _print_ScaledExpm1MinusX(self, expr: ScaledExpm1MinusX) -> str:
        return self._call("kernels.kernel_expm1_minus", *expr.args)

    def _print_AtArgmax(self, expr: AtArgmax) -> str:
        return self._call("kernels.kernel_at_argmax", *expr.args)


def _scalar_function(expr: Expr) -> tuple[str, Expr] | None:
    """``(math name, argument)`` if ``expr`` is log/exp/sqrt of numbers and scalars only."""
    if isinstance(expr, log):
        name, argument = "log", expr.args[0]
    elif isinstance(expr, exp):
        name, argument = "exp", expr.args[0]
    elif isinstance(expr, Pow) and expr.exp == Rational(1, 2):
        name, argument = "sqrt", expr.base
    else:
        return None
    if all(s.name in SCALARS for s in argument.free_symbols):
        return name, argument
    return None
