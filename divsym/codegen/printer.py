"""``DivsymPrinter``: the SciPy printer of SymPy, taught divsym's array nodes.

Each node of :mod:`divsym.symbols.stable` is printed as one call: a NumPy reduction over the
class axis or a kernel of :mod:`divsym.numeric.kernels`. Nothing edits generated source text.
"""

from __future__ import annotations

from sympy.printing.numpy import SciPyPrinter

from divsym.symbols.stable import (
    AtLabels,
    ClassMax,
    ClassSum,
    LogSumExp,
    RelEntr,
    ScaledXMinusLog1p,
    XLogY,
)

__all__ = ["DivsymPrinter"]

_KERNELS = "divsym.numeric.kernels"


class DivsymPrinter(SciPyPrinter):
    """NumPy/SciPy printer that knows divsym's array nodes."""

    def _call(self, function: str, *args: object) -> str:
        printed = ", ".join(self._print(a) for a in args)
        return f"{self._module_format(function)}({printed})"

    def _print_ClassSum(self, expr: ClassSum) -> str:
        array, axis = expr.args
        return (
            f"{self._module_format('numpy.sum')}({self._print(array)}, "
            f"axis={self._print(axis)}, keepdims=True)"
        )

    def _print_ClassMax(self, expr: ClassMax) -> str:
        array, axis = expr.args
        return (
            f"{self._module_format('numpy.max')}({self._print(array)}, "
            f"axis={self._print(axis)}, keepdims=True)"
        )

    def _print_AtLabels(self, expr: AtLabels) -> str:
        array, labels, axis = (self._print(a) for a in expr.args)
        expand = self._module_format("numpy.expand_dims")
        return (
            f"{self._module_format('numpy.take_along_axis')}"
            f"({array}, {expand}({labels}, {axis}), {axis})"
        )

    def _print_XLogY(self, expr: XLogY) -> str:
        return self._call(f"{_KERNELS}.kernel_xlogy", *expr.args)

    def _print_RelEntr(self, expr: RelEntr) -> str:
        return self._call("scipy.special.rel_entr", *expr.args)

    def _print_LogSumExp(self, expr: LogSumExp) -> str:
        return self._call(f"{_KERNELS}.kernel_logsumexp", *expr.args)

    def _print_ScaledXMinusLog1p(self, expr: ScaledXMinusLog1p) -> str:
        return self._call(f"{_KERNELS}.kernel_x_minus_log1p", *expr.args)
