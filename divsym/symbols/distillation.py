"""The teacher's soft targets of knowledge distillation (Hinton et al., 2015) as a SymPy node."""

from __future__ import annotations

from typing import Any

from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from divsym.symbols.softmax import SoftmaxProbability

__all__ = ["TeacherProbability"]


class TeacherProbability(SoftmaxProbability):
    """``p_i = exp(v_i/T) / Σ_j exp(v_j/T)``: the teacher's soft target, printed ``p_i``.

    The same softmax as :class:`SoftmaxProbability` (lecture eq. (1)), of the teacher's logits
    ``v`` at the student's temperature ``T``; only its name differs, so that a derivation with
    both the teacher and the student reads ``p_i`` and ``q_i`` as the paper does.
    """

    def _sympystr(self, printer: StrPrinter) -> str:
        return f"p_{printer._print(self.index)}"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        tex = f"p_{{{printer._print(self.index)}}}"
        return f"{tex}^{{{exp}}}" if exp is not None else tex
