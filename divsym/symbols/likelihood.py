"""The lecture's likelihoods and per-data-point losses as named SymPy nodes.

Each node prints as the lecture writes it and unfolds (``definition()``) to its formula:

* :class:`DataProbability` ``p(D) = Π_{i=1}^N p(x_i, y_i)`` — the i.i.d. assumption;
* :class:`ModelLikelihood` ``p_θ(D) = Π_{i=1}^N p(x_i) p_θ(y_i | x_i)`` — the model of the
  data, where the lecture's ``p(D)`` has the true ``p(y_i | x_i)`` replaced by the model;
* :class:`PointCrossEntropy` ``H(p, p_θ) = -Σ_y p(y | x_i) log p_θ(y | x_i)``,
  :class:`PointEntropy` ``H(p) = -Σ_y p(y | x_i) log p(y | x_i)`` and
  :class:`PointKL` ``D_KL(p ‖ p_θ) = Σ_y p(y | x_i) log(p(y | x_i) / p_θ(y | x_i))`` for one
  data point, where ``p`` and ``p_θ`` are expressions in the bound class variable ``y``;
* :class:`PointNLL` ``NLL_i(θ) = -log p_θ(y_i | x_i)``.

See :mod:`divsym.symbols.conditional` for how the probabilities themselves are modelled.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sympy import Expr, IndexedBase, Product, Sum, log
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from divsym.symbols.conditional import ModelConditional
from divsym.symbols.quantities import NamedQuantity

__all__ = [
    "DataProbability",
    "ModelLikelihood",
    "PointCrossEntropy",
    "PointEntropy",
    "PointKL",
    "PointNLL",
    "labels_base",
]


class _Printed(NamedQuantity):
    """A node printed as a fixed string (its arguments are not shown)."""

    text: ClassVar[str]
    tex: ClassVar[str]

    def _eval_is_real(self) -> bool:
        return True

    def _sympystr(self, printer: StrPrinter) -> str:
        return self.text

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        return (
            f"\\left({self.tex}\\right)^{{{printer._print(exp)}}}" if exp is not None else self.tex
        )


class DataProbability(_Printed):
    """``p(D) = Π_{i=1}^N p(x_i, y_i)``: arguments ``(joint, i, N)``."""

    nargs = 3
    text = "p(D)"
    tex = "p(D)"

    def definition(self) -> Expr:
        joint, index, size = self.args
        return Product(joint[index], (index, 1, size))

    def _eval_is_positive(self) -> bool | None:
        return self.args[0].is_positive  # type: ignore[no-any-return]


class ModelLikelihood(_Printed):
    """``p_θ(D) = Π_{i=1}^N p(x_i) p_θ(y_i | x_i)``: arguments ``(marginal, labels, i, θ, N)``."""

    nargs = 5
    text = "p_θ(D)"
    tex = r"p_\theta(D)"

    def definition(self) -> Expr:
        marginal, labels, index, theta, size = self.args
        factor = marginal[index] * ModelConditional(labels[index], index, theta)
        return Product(factor, (index, 1, size))

    def _eval_is_positive(self) -> bool | None:
        return self.args[0].is_positive  # type: ignore[no-any-return]


class PointCrossEntropy(_Printed):
    """``H(p, p_θ) = -Σ_{y=1}^n p(y|x_i) log p_θ(y|x_i)``: arguments ``(p, p_θ, y, n)``."""

    nargs = 4
    text = "H(p, p_θ)"
    tex = r"H(p, p_\theta)"

    def definition(self) -> Expr:
        target, model, y, classes = self.args
        return -Sum(target * log(model), (y, 1, classes))  # type: ignore[no-any-return]


class PointEntropy(_Printed):
    """``H(p) = -Σ_{y=1}^n p(y|x_i) log p(y|x_i)``: arguments ``(p, y, n)``."""

    nargs = 3
    text = "H(p)"
    tex = "H(p)"

    def definition(self) -> Expr:
        target, y, classes = self.args
        return -Sum(target * log(target), (y, 1, classes))  # type: ignore[no-any-return]


class PointKL(_Printed):
    """``D_KL(p ‖ p_θ) = Σ_{y=1}^n p(y|x_i) log(p(y|x_i)/p_θ(y|x_i))``: ``(p, p_θ, y, n)``."""

    nargs = 4
    text = "D_KL(p || p_θ)"
    tex = r"D_{KL}(p \parallel p_\theta)"

    def definition(self) -> Expr:
        target, model, y, classes = self.args
        return Sum(target * log(target / model), (y, 1, classes))


class PointNLL(_Printed):
    """``NLL_i(θ) = -log p_θ(y_i | x_i)``: arguments ``(y_i, i, θ)``."""

    nargs = 3
    text = "NLL"
    tex = r"\mathrm{NLL}"

    def definition(self) -> Expr:
        label, point, theta = self.args
        return -log(ModelConditional(label, point, theta))  # type: ignore[no-any-return]


def labels_base(name: str = "y") -> IndexedBase:
    """The labels ``y_i`` of the data points, as an ``IndexedBase``.

    Labels are classes, but the base is declared only ``positive``: a label enters the
    derivations only as the argument of ``p_θ(y_i | x_i)``, and the numeric backstop samples
    an integer-assumed base's label symbol as an integer and substitutes it inside ``y[i]``
    (reported; see the issue notes), which would break the entries.
    """
    return IndexedBase(name, positive=True)
