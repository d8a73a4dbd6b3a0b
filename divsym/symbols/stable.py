"""Array nodes: the SymPy functions that code generation prints as NumPy/SciPy calls.

Each node is an ordinary SymPy ``Function`` that names a primitive with a well-defined
meaning and a rewrite back to ``log``/``exp``/``Sum`` (``expr.rewrite(log)``), so that a
derivation stays readable and a test can map generated code back to the definition.

- :class:`ClassSum`, :class:`ClassMax`: reductions over the class axis (kept as a length-1
  axis, so that they broadcast against the per-class arrays).
- :class:`AtLabels`: the entry of each distribution at its integer label.
- :class:`XLogY`, :class:`RelEntr`: ``x·log y`` and ``x·log(x/y)`` with ``0·log 0 = 0``.
- :class:`LogSumExp`: ``log Σ_j exp(x_j)`` over the class axis, evaluated without overflow and
  to full relative precision when one term dominates.
- :class:`XMinusLog1p`: ``x − log(1 + x)`` (``= r − 1 − log r`` with ``r = 1 + x``), the
  nonnegative summand of the stable KL and Jensen–Shannon forms, accurate when ``x ≈ 0``.
- :class:`ScaledXMinusLog1p`: ``w·(x − log(1 + x))`` given ``w``, ``w·x`` and ``w·(1 + x)``,
  taking its limit ``w·x`` where ``w = 0`` (so ``p·(r − 1 − log r)`` at ``p = 0`` is ``q``).
- :class:`SymmetricXLog1p`: ``(1 + t)·log(1 + t) + (1 − t)·log(1 − t)`` (``≥ 0``, even), the
  summand of the Jensen–Shannon form in mixture coordinates, and
  :class:`ScaledSymmetricXLog1p`, ``m·(…)`` given ``m(1 − t)`` and ``m(1 + t)`` (a JSD term's
  ``p`` and ``q``), the node the code generator prints as one kernel call.
- :class:`Expm1MinusX`: ``e^x − 1 − x`` (``≥ 0``), the summand of the logit-space KL form, and
  :class:`ScaledExpm1MinusX`, ``w·(e^x − 1 − x)``, the node the code generator prints as one
  kernel call (a series near ``x = 0``, where ``expm1(x) − x`` cancels).
- :class:`LogRatio`: ``log(n/d)`` given also ``n − d`` written out, so that a kernel can use
  ``log1p((n − d)/d)`` where the ratio is near 1 (the generated gradients' logs).
- :class:`AtArgmax`: the entry of an array at the class where a weight array is largest (the
  shift ``m`` of the logit-space forms: the scaled logit difference at the teacher's top class).

:data:`DELTA` (``δ_i``, the scaled difference of student and teacher logits) and :data:`SHIFT`
(``m``, a real shift) are the symbols of the logit-space forms.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sympy import Add, Expr, Function, IndexedBase, Sum, Symbol, exp, log
from sympy import exp as sympy_exp

__all__ = [
    "DELTA",
    "SHIFT",
    "AtArgmax",
    "AtLabels",
    "ClassMax",
    "ClassSum",
    "Expm1MinusX",
    "LogRatio",
    "LogSumExp",
    "RelEntr",
    "ScaledExpm1MinusX",
    "ScaledSymmetricXLog1p",
    "ScaledXMinusLog1p",
    "SymmetricXLog1p",
    "XLogY",
    "XMinusLog1p",
]


#: ``δ_i = (z_i − v_i)/T``: the student's minus the teacher's logit, over the temperature.
DELTA = IndexedBase("delta", real=True)
#: ``m``: a real shift of the scaled logit differences (evaluated at the teacher's top class).
SHIFT = Symbol("m", real=True)


class ClassSum(Function):
    """``Σ_i f_i`` written as a reduction of the array ``f`` over the class axis."""

    nargs = 2  # (array expression, axis)


class ClassMax(Function):
    """``max_i f_i`` over the class axis: the shift ``c`` of the stable softmax forms."""

    nargs = 2  # (array expression, axis)


class AtLabels(Function):
    """``q_y``: the entry of each distribution ``q`` at its integer label ``y``."""

    nargs = 3  # (array, labels, axis)


class XLogY(Function):
    """``x·log y`` with ``0·log y = 0`` (also for ``y = 0``), as ``scipy.special.xlogy``."""

    nargs = 2

    def _eval_rewrite_as_log(self, x: Expr, y: Expr, **kwargs: Any) -> Expr:
        return x * log(y)  # type: ignore[no-any-return]


class RelEntr(Function):
    """``x·log(x/y)`` with ``0·log(0/y) = 0``, ``x·log(x/0) = inf`` (``scipy.special.rel_entr``)."""

    nargs = 2

    def _eval_rewrite_as_log(self, x: Expr, y: Expr, **kwargs: Any) -> Expr:
        return x * log(x / y)  # type: ignore[no-any-return]


class LogSumExp(Function):
    """``log Σ_j exp(x_j)`` over the class axis (arguments: array expression, axis)."""

    nargs = 2

    def _eval_rewrite_as_log(self, x: Expr, axis: Expr, **kwargs: Any) -> Expr:
        return log(ClassSum(exp(x), axis))  # type: ignore[no-any-return]


class XMinusLog1p(Function):
    """``x − log(1 + x)``: nonnegative for ``x > −1``, ``≈ x²/2`` near 0.

    Written ``r − 1 − log r`` with ``r = 1 + x`` it is the summand of Gibbs' inequality. The
    symbolic node unfolds with ``rewrite(log)``; numerically it is evaluated by
    :func:`divsym.numeric.kernels.weighted_x_minus_log1p` without the cancellation of
    ``x − log1p(x)`` for small ``x``.
    """

    nargs = 1
    #: The derivation behind the hand-set assumption ``x − log(1 + x) ≥ 0`` for ``x > −1``:
    #: it is ``G(1 + x) ≥ 0`` of ``gibbs-lemma`` (``G(r) = r − 1 − log r`` at ``r = 1 + x > 0``).
    lemma: ClassVar[str] = "gibbs-lemma"

    def _eval_rewrite_as_log(self, x: Expr, **kwargs: Any) -> Expr:
        return x - log(1 + x)  # type: ignore[no-any-return]

    def _eval_evalf(self, prec: int) -> Expr:
        return self.rewrite(log)._eval_evalf(prec)  # type: ignore[no-any-return]

    def _latex(self, printer: Any, exp: Any = None) -> str:
        x = printer._print(self.args[0])
        tex = rf"\left({x} - \log\left(1 + {x}\right)\right)"
        return f"{tex}^{{{printer._print(exp)}}}" if exp is not None else tex

    def _eval_is_nonnegative(self) -> bool | None:
        x = self.args[0]
        return True if (x + 1).is_positive else None


class ScaledXMinusLog1p(Function):
    """``w·(x − log(1 + x))`` with ``x = v/w`` and ``1 + x = u/w``, i.e. ``v − w·log(u/w)``.

    The arguments are ``w``, ``v = w·x`` and ``u = w·(1 + x)`` (in a KL term: ``p``, ``q − p``
    and ``q``), so that the kernel can use ``x`` where it is small and the ratio ``u/w`` where
    it is not, each where it is accurate. Where ``w = 0`` it is ``v``, the limit ``w → 0⁺``:
    a KL term ``p(r − 1 − log r)`` tends to ``q`` (not 0) as ``p → 0``.
    """

    nargs = 3

    def _eval_rewrite_as_log(self, w: Expr, v: Expr, u: Expr, **kwargs: Any) -> Expr:
        return v - w * log(u / w)  # type: ignore[no-any-return]


class SymmetricXLog1p(Function):
    """``G(t) = (1 + t)·log(1 + t) + (1 − t)·log(1 − t)``: even, ``≥ 0`` for ``|t| < 1``.

    With ``m = (p + q)/2`` and ``t = (q − p)/(q + p)`` (so ``p = m(1 − t)``, ``q = m(1 + t)``),
    a Jensen–Shannon term ``p log(p/m) + q log(q/m)`` is ``m·G(t)``. Near 0,
    ``G(t) = Σ_{k≥1} t^(2k)/(k(2k − 1))``, a series of positive terms: no cancellation when
    ``p ≈ q``. ``G(−t)`` is written ``G(t)`` (the node is even), so that both orientations of
    one term are the same expression.
    """

    nargs = 1
    #: The derivation behind the hand-set assumption ``G(t) ≥ 0`` for ``|t| < 1``: with
    #: ``g(r) = r − 1 − log r ≥ 0`` (``gibbs-lemma``),
    #: ``G(t) = (1 + t)·g(1/(1 + t)) + (1 − t)·g(1/(1 − t))`` (the ``∓t`` terms cancel).
    lemma: ClassVar[str] = "gibbs-lemma"

    @classmethod
    def eval(cls, t: Expr) -> Expr | None:
        if t.could_extract_minus_sign():
            return cls(-t)  # type: ignore[no-any-return]
        return None

    def _eval_rewrite_as_log(self, t: Expr, **kwargs: Any) -> Expr:
        return (1 + t) * log(1 + t) + (1 - t) * log(1 - t)  # type: ignore[no-any-return]

    def _eval_evalf(self, prec: int) -> Expr:
        return self.rewrite(log)._eval_evalf(prec)  # type: ignore[no-any-return]

    def _latex(self, printer: Any, exp: Any = None) -> str:
        t = printer._print(self.args[0])
        if isinstance(self.args[0], Add):
            t = rf"\left({t}\right)"
        tex = (
            rf"\left[\left(1 + {t}\right) \log\left(1 + {t}\right)"
            rf" + \left(1 - {t}\right) \log\left(1 - {t}\right)\right]"
        )
        return f"{tex}^{{{printer._print(exp)}}}" if exp is not None else tex

    def _eval_is_nonnegative(self) -> bool | None:
        t = self.args[0]
        return True if (1 + t).is_positive and (1 - t).is_positive else None


class ScaledSymmetricXLog1p(Function):
    """``m·G(t)`` (:class:`SymmetricXLog1p`) given ``a = m(1 − t)`` and ``b = m(1 + t)``:
    ``a·log(2a/(a + b)) + b·log(2b/(a + b))``, with ``0·log 0 = 0``.

    In a Jensen–Shannon term ``a`` and ``b`` are ``p`` and ``q`` themselves; the kernel forms
    ``t = (b − a)/(a + b)`` (one exact subtraction when ``p ≈ q``) and uses the series of
    ``G`` where ``|t|`` is small.
    """

    nargs = 2

    def _eval_rewrite_as_log(self, a: Expr, b: Expr, **kwargs: Any) -> Expr:
        return a * log(2 * a / (a + b)) + b * log(2 * b / (a + b))  # type: ignore[no-any-return]


class LogRatio(Function):
    """``log(n/d)`` for ``n, d > 0``, given ``n``, ``d`` and ``n − d`` (simplified symbolically,
    so that it is one exact subtraction when ``n ≈ d``): a kernel uses
    ``log1p((n − d)/d)`` where ``|n − d| ≤ d/2`` and ``log(n/d)`` elsewhere."""

    nargs = 3

    def _eval_rewrite_as_log(self, n: Expr, d: Expr, difference: Expr, **kwargs: Any) -> Expr:
        return log(n / d)  # type: ignore[no-any-return]


class AtArgmax(Function):
    """``x_a`` with ``a = argmax_i w_i`` along the class axis (kept with length 1)."""

    nargs = 3  # (array x, weights w, axis)


class Expm1MinusX(Function):
    """``e^x − 1 − x``: nonnegative for every real ``x``, ``≈ x²/2`` near 0.

    It is ``r − 1 − log r`` at ``r = e^x > 0``, the summand of Gibbs' inequality; evaluated
    (times a weight) by :class:`ScaledExpm1MinusX`'s kernel without the cancellation of
    ``expm1(x) − x`` for small ``x``.
    """

    nargs = 1
    #: The derivation behind the hand-set assumption ``e^x − 1 − x ≥ 0`` for real ``x``: it is
    #: ``G(e^x) ≥ 0`` of ``gibbs-lemma`` (``G(r) = r − 1 − log r`` at ``r = e^x > 0``).
    lemma: ClassVar[str] = "gibbs-lemma"

    def _eval_rewrite_as_exp(self, x: Expr, **kwargs: Any) -> Expr:
        return exp(x) - 1 - x  # type: ignore[no-any-return]

    def _eval_rewrite_as_log(self, x: Expr, **kwargs: Any) -> Expr:
        return exp(x) - 1 - x  # type: ignore[no-any-return]

    def _eval_evalf(self, prec: int) -> Expr:
        return self.rewrite(exp)._eval_evalf(prec)  # type: ignore[no-any-return]

    def _latex(self, printer: Any, exp: Any = None) -> str:
        # ``exp(x) − 1 − (x)``: the exponential as the printer sets it, and ``x`` in brackets
        # when it is a sum or negative, so that ``− x`` subtracts all of it.
        (argument,) = self.args
        power = printer._print(sympy_exp(argument))
        subtracted = printer._print(argument)
        if isinstance(argument, Add) or argument.could_extract_minus_sign():
            subtracted = rf"\left({subtracted}\right)"
        tex = rf"\left({power} - 1 - {subtracted}\right)"
        return f"{tex}^{{{printer._print(exp)}}}" if exp is not None else tex

    def _eval_is_nonnegative(self) -> bool | None:
        return True if self.args[0].is_real else None


class ScaledExpm1MinusX(Function):
    """``w·(e^x − 1 − x)`` (arguments ``w``, ``x``): a logit-space KL term ``p·(e^d − 1 − d)``."""

    nargs = 2

    def _eval_rewrite_as_exp(self, w: Expr, x: Expr, **kwargs: Any) -> Expr:
        return w * (exp(x) - 1 - x)  # type: ignore[no-any-return]

    def _eval_rewrite_as_log(self, w: Expr, x: Expr, **kwargs: Any) -> Expr:
        return w * (exp(x) - 1 - x)  # type: ignore[no-any-return]


def unfold_sum(node: ClassSum, entries: dict[Expr, Expr], index: Expr, classes: Expr) -> Expr:
    """``ClassSum(f)`` back as ``Sum(f_i, (index, 1, classes))``, arrays replaced by entries."""
    return Sum(node.args[0].xreplace(entries), (index, 1, classes))
