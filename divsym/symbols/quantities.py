"""Named quantities of the lecture as SymPy objects.

``H(P)``, ``H(P, Q)``, ``D_KL(P ‖ Q)`` and ``JSD(P ‖ Q)`` stay unevaluated, print in the
lecture's notation (``str`` and LaTeX) and unfold to their Sum definitions with ``doit()``.
The number of classes is an argument so that a concrete ``n`` can be substituted.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sympy import Expr, Function, IndexedBase
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from divsym.symbols import definitions
from divsym.symbols.notation import n

__all__ = [
    "CrossEntropy",
    "Entropy",
    "JSDivergence",
    "KLDivergence",
    "NamedQuantity",
    "distribution_name",
]


def distribution_name(base: Expr) -> str:
    """The capital letter the lecture uses for a distribution: ``p`` → ``P``."""
    if not isinstance(base, IndexedBase):
        raise TypeError(f"distribution must be an IndexedBase, got {base!r}")
    return str(base.label).upper()


class NamedQuantity(Function):
    """A lecture quantity over distributions: the last argument is the number of classes."""

    #: Symbol printed before the parenthesis, in plain text and in LaTeX.
    text_name: ClassVar[str]
    latex_name: ClassVar[str]
    #: Separator between the distributions: ``,`` or ``‖``.
    text_separator: ClassVar[str] = ", "
    latex_separator: ClassVar[str] = ", "

    @classmethod
    def eval(cls, *args: Any) -> None:
        """Never evaluate on construction: the name is the point."""
        return None

    @property
    def distributions(self) -> tuple[IndexedBase, ...]:
        return tuple(self.args[:-1])  # type: ignore[arg-type]

    @property
    def classes(self) -> Expr:
        return self.args[-1]  # type: ignore[no-any-return]

    def definition(self) -> Expr:
        raise NotImplementedError

    def doit(self, **hints: Any) -> Expr:
        unfolded = self.definition()
        return unfolded.doit(**hints) if hints.get("deep", True) else unfolded

    def _eval_is_real(self) -> bool:
        return True

    def _sympystr(self, printer: StrPrinter) -> str:
        names = self.text_separator.join(distribution_name(d) for d in self.distributions)
        return f"{self.text_name}({names})"

    def _latex(self, printer: LatexPrinter, exp: Any = None) -> str:
        names = self.latex_separator.join(distribution_name(d) for d in self.distributions)
        tex = f"{self.latex_name}({names})"
        return f"{tex}^{{{exp}}}" if exp is not None else tex


class Entropy(NamedQuantity):
    """``H(P) = -Σ_i p_i log p_i``."""

    nargs = 2
    text_name = "H"
    latex_name = "H"

    def __new__(cls, p: IndexedBase, classes: Expr = n, **kwargs: Any) -> Entropy:
        return super().__new__(cls, p, classes, **kwargs)  # type: ignore[no-any-return]

    def definition(self) -> Expr:
        return definitions.entropy(self.args[0], self.classes)


class CrossEntropy(NamedQuantity):
    """``H(P, Q) = -Σ_i p_i log q_i``."""

    nargs = 3
    text_name = "H"
    latex_name = "H"

    def __new__(
        cls, p: IndexedBase, q: IndexedBase, classes: Expr = n, **kwargs: Any
    ) -> CrossEntropy:
        return super().__new__(cls, p, q, classes, **kwargs)  # type: ignore[no-any-return]

    def definition(self) -> Expr:
        return definitions.cross_entropy(self.args[0], self.args[1], self.classes)


class KLDivergence(NamedQuantity):
    """``D_KL(P ‖ Q) = Σ_i p_i log(p_i / q_i)``."""

    nargs = 3
    text_name = "D_KL"
    latex_name = "D_{KL}"
    text_separator = " || "
    latex_separator = r" \parallel "

    def __new__(
        cls, p: IndexedBase, q: IndexedBase, classes: Expr = n, **kwargs: Any
    ) -> KLDivergence:
        return super().__new__(cls, p, q, classes, **kwargs)  # type: ignore[no-any-return]

    def _eval_is_nonnegative(self) -> None:
        # Gibbs' inequality holds only for normalised p and q, which SymPy cannot know.
        return None

    def definition(self) -> Expr:
        return definitions.kl_divergence(self.args[0], self.args[1], self.classes)


class JSDivergence(NamedQuantity):
    """``JSD(P ‖ Q) = ½ D_KL(P ‖ M) + ½ D_KL(Q ‖ M)``, ``M = (P + Q)/2``."""

    nargs = 3
    text_name = "JSD"
    latex_name = "JSD"
    text_separator = " || "
    latex_separator = r" \parallel "

    def __new__(
        cls, p: IndexedBase, q: IndexedBase, classes: Expr = n, **kwargs: Any
    ) -> JSDivergence:
        return super().__new__(cls, p, q, classes, **kwargs)  # type: ignore[no-any-return]

    def definition(self) -> Expr:
        return definitions.js_divergence(self.args[0], self.args[1], self.classes)
