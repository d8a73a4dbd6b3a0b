"""Data points and conditional probabilities in the lecture's notation.

Modelling, chosen so that the numeric backstop can sample every quantity:

* data-point probabilities ``p(x_i)`` and ``p(x_i, y_i)`` are entries of
  :class:`DataBase` objects (``IndexedBase`` with ``positive=True``) over the data index
  ``i = 1..N``; derivations over the data set put the data size ``N`` in
  ``Context.classes`` so that the backstop instantiates ``N`` and writes the products out;
* the true conditional ``p(y_i | x_i)`` is :class:`TrueConditional`, *defined* as
  ``p(x_i, y_i) / p(x_i)`` (the definition of conditional probability);
* the model ``p_θ(y | x_i)`` is :class:`ModelConditional`, an opaque positive function of
  the label, the data point and ``θ``: ``∂/∂θ`` of it stays unevaluated, so no symbolic
  check ever takes it for a constant in ``θ``. Only for numerical evaluation (``evalf``,
  which the backstop uses) it is the fixed positive test family
  ``p_θ(y | x_i) = 1 / (1 + (θ − y/2 − i/3)²)``;
* the data distribution over classes for one data point, ``p(y | x_i)``, is an entry of a
  :class:`DataBase` that a derivation lists among its normalised ``Context.distributions``;
  a one-hot target is :class:`OneHotTarget`, defined as ``δ(y, y_i)``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sympy import Expr, Float, Function, Indexed, IndexedBase, KroneckerDelta, Symbol
from sympy.core.logic import fuzzy_and
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from divsym.symbols.quantities import NamedQuantity

__all__ = [
    "ClassConditional",
    "DataBase",
    "DataEntry",
    "Joint",
    "Marginal",
    "ModelConditional",
    "OneHotTarget",
    "TrueConditional",
    "theta",
]


def _power(tex: str, printer: LatexPrinter, exp: Any) -> str:
    return f"\\left({tex}\\right)^{{{printer._print(exp)}}}" if exp is not None else tex


class DataEntry(Indexed):
    """An entry of a :class:`DataBase`, printed with the base's template (e.g. ``p(x_i)``)."""

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        indices = [printer._print(index) for index in self.indices]
        return _power(self.base.latex_template.format(*indices), printer, exp)

    def _sympystr(self, printer: StrPrinter) -> str:
        indices = [printer._print(index) for index in self.indices]
        return self.base.text_template.format(*indices)  # type: ignore[no-any-return]


class DataBase(IndexedBase):
    """An ``IndexedBase`` whose entries print as the lecture writes them.

    Subclasses set ``latex_template``/``text_template`` with ``{0}`` for the index, e.g.
    ``p(x_{{{0}}})``.
    """

    latex_template: ClassVar[str] = "{0}"
    text_template: ClassVar[str] = "{0}"

    def __getitem__(self, indices: Any, **kw_args: Any) -> DataEntry:
        entry = super().__getitem__(indices, **kw_args)
        return DataEntry(self, *entry.indices)


class Marginal(DataBase):
    """``p(x_i)``: the probability of the input of data point ``i``."""

    latex_template = "p(x_{{{0}}})"
    text_template = "p(x_{0})"


class Joint(DataBase):
    """``p(x_i, y_i)``: the probability of data point ``i``."""

    latex_template = "p(x_{{{0}}}, y_{{{0}}})"
    text_template = "p(x_{0}, y_{0})"


class ClassConditional(DataBase):
    """``p(y | x_i)``: the data distribution over the classes ``y`` for a fixed data point."""

    latex_template = r"p({0} \mid x_i)"
    text_template = "p({0}|x_i)"


class TrueConditional(NamedQuantity):
    """``p(y_i | x_i) = p(x_i, y_i) / p(x_i)``: the definition of conditional probability."""

    nargs = 3

    def definition(self) -> Expr:
        joint, marginal, index = self.args
        return joint[index] / marginal[index]  # type: ignore[no-any-return]

    def _eval_is_positive(self) -> bool | None:
        # Positive exactly when both probabilities are: it follows the definition, no lemma.
        joint, marginal, index = self.args
        return fuzzy_and((joint[index].is_positive, marginal[index].is_positive))  # type: ignore[no-any-return]

    def _sympystr(self, printer: StrPrinter) -> str:
        index = printer._print(self.args[2])
        return f"p(y_{index}|x_{index})"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        index = printer._print(self.args[2])
        return _power(f"p(y_{{{index}}} \\mid x_{{{index}}})", printer, exp)


class ModelConditional(Function):
    """``p_θ(y | x_i)``: the model's probability of label ``y`` for data point ``i``.

    Arguments ``(y, i, θ)``. Opaque and positive for every symbolic route; numerically the
    test family ``1 / (1 + (θ − y/2 − i/3)²)`` (see the module docstring).
    """

    nargs = 3

    @classmethod
    def eval(cls, *args: Expr) -> Expr | None:
        # Only floating-point arguments evaluate on construction (fast numerics for the
        # backstop's argmax grid); symbolic and exact arguments stay unevaluated.
        if all(a.is_number for a in args) and any(isinstance(a, Float) for a in args):
            return cls.family(*args)
        return None

    @staticmethod
    def family(label: Any, point: Any, theta: Any) -> Any:
        """The numeric test family ``1 / (1 + (θ − y/2 − i/3)²)`` (SymPy or mpmath numbers)."""
        shift = label / 2 + point / 3
        return 1 / (1 + (theta - shift) ** 2)

    def _eval_is_positive(self) -> bool:
        return True

    def _eval_is_real(self) -> bool:
        return True

    def _eval_evalf(self, prec: int) -> Expr | None:
        if not all(a.is_number for a in self.args):
            return None
        return self.family(*self.args)._eval_evalf(prec)  # type: ignore[no-any-return]

    def _sympystr(self, printer: StrPrinter) -> str:
        label, point, _ = self.args
        return f"p_θ({printer._print(label)}|x_{printer._print(point)})"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        label, point, _ = self.args
        tex = f"p_\\theta({printer._print(label)} \\mid x_{{{printer._print(point)}}})"
        return _power(tex, printer, exp)


class OneHotTarget(NamedQuantity):
    """``p(y | x_i)`` for a one-hot target at the label ``y_i``: defined as ``δ(y, y_i)``.

    Arguments ``(y, y_i, i)``. ``indicator_of`` lets the ``collapse-indicator-sum`` rule treat
    it like a Kronecker delta.
    """

    nargs = 3

    @property
    def indicator_of(self) -> tuple[Expr, Expr]:
        return self.args[0], self.args[1]

    def definition(self) -> Expr:
        return KroneckerDelta(self.args[0], self.args[1])

    def _eval_is_nonnegative(self) -> bool:
        return True

    def _sympystr(self, printer: StrPrinter) -> str:
        y, _, point = self.args
        return f"p({printer._print(y)}|x_{printer._print(point)})"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        y, _, point = self.args
        return _power(f"p({printer._print(y)} \\mid x_{{{printer._print(point)}}})", printer, exp)


#: The symbol for the model parameters θ (real; a vector in practice, one symbol here).
theta = Symbol("theta", real=True)
