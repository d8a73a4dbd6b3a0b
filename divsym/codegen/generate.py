"""Code generation: SymPy expressions → source of array functions over the class axis.

A definition such as ``-Sum(p[i]*log(q[i]), (i, 1, n))`` is turned into an *array*
expression: every entry ``p[i]`` of a distribution becomes an array symbol ``p``, the Sum over
the class index becomes :class:`~divsym.symbols.stable.ClassSum`, a reduction over ``axis``, and
named rewrites (:data:`REWRITES`) replace sub-expressions by the stable nodes that carry the
conventions and the accuracy (``x·log y`` → ``XLogY``, ``log Σ exp`` → ``LogSumExp``,
``w·(x − log(1 + x))`` → ``ScaledXMinusLog1p``, ``m·G(t)`` → ``ScaledSymmetricXLog1p``).
Each rewrite is an identity: mapping the nodes back with ``rewrite(log)`` gives the input
expression again (tested).
:class:`~divsym.codegen.printer.DivsymPrinter` prints the nodes, SymPy's lambdify printer
the function around them. :func:`generate_module` writes every public function of
:data:`~divsym.codegen.forms.FORMS` into one module, ``divsym/numeric/_generated.py``, at build
time (:func:`write_module`), so that using the numeric layer imports no SymPy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sympy import (
    Add,
    Dummy,
    Eq,
    Expr,
    Indexed,
    IndexedBase,
    Mul,
    Pow,
    Sum,
    Symbol,
    Wild,
    cancel,
    cse,
    diff,
    exp,
    fraction,
    log,
    logcombine,
    numbered_symbols,
    simplify,
    solve,
)
from sympy.codegen.cfunctions import expm1, log1p
from sympy.utilities.lambdify import _EvaluatorPrinter

from divsym.codegen.forms import BASE as BASE_SYMBOL
from divsym.codegen.forms import FORMS, GRADIENT_OUTPUT, GRADIENTS, OUTPUT, SPECS
from divsym.codegen.printer import SCALARS, DivsymPrinter
from divsym.symbols.stable import (
    AtArgmax,
    AtLabels,
    ClassMax,
    ClassSum,
    Expm1MinusX,
    LogRatio,
    LogSumExp,
    RelEntr,
    ScaledExpm1MinusX,
    ScaledSymmetricXLog1p,
    ScaledXMinusLog1p,
    SymmetricXLog1p,
    XLogY,
    XMinusLog1p,
)

__all__ = [
    "AXIS",
    "GENERATED_PATH",
    "REWRITES",
    "ClassMax",
    "ClassSum",
    "DivsymPrinter",
    "RelEntr",
    "Rewrite",
    "XLogY",
    "array_expression",
    "generate_gradient_source",
    "generate_module",
    "generate_source",
    "gradient_expression",
    "gradient_name",
    "printed_expression",
    "write_module",
]

#: Where the generated module lives in the source tree (the numeric layer's ``_generated``).
GENERATED_PATH = Path(__file__).resolve().parents[1] / "numeric" / "_generated.py"

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


def _use_symmetric(expr: Expr) -> Expr:
    """``w·SymmetricXLog1p(t)`` → ``ScaledSymmetricXLog1p(w(1 − t), w(1 + t))``, each one
    fraction: in a Jensen–Shannon term ``m·G(t)`` these are ``p`` and ``q`` themselves."""

    def rewrite(term: Mul) -> Expr:
        nodes = [factor for factor in term.args if isinstance(factor, SymmetricXLog1p)]
        if len(nodes) != 1:
            return term
        weight, t = term / nodes[0], nodes[0].args[0]
        return ScaledSymmetricXLog1p(cancel(weight * (1 - t)), cancel(weight * (1 + t)))

    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Mul) and any(isinstance(a, SymmetricXLog1p) for a in e.args),
        rewrite,
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


def _use_scaled_expm1(expr: Expr) -> Expr:
    """``w·Expm1MinusX(x)`` → ``ScaledExpm1MinusX(w, x)``: one kernel call per term."""

    def rewrite(term: Mul) -> Expr:
        nodes = [factor for factor in term.args if isinstance(factor, Expm1MinusX)]
        if len(nodes) != 1:
            return term
        return ScaledExpm1MinusX(term / nodes[0], nodes[0].args[0])

    return expr.replace(  # type: ignore[no-any-return]
        lambda e: isinstance(e, Mul) and any(isinstance(a, Expm1MinusX) for a in e.args), rewrite
    )


def _use_expm1_log1p(expr: Expr) -> Expr:
    """``exp(x) − 1 + r`` → ``expm1(x) + r`` (one ``exp`` in the sum) and ``log(1 + y)`` →
    ``log1p(y)``: each exactly equal."""

    def is_expm1(e: Expr) -> bool:
        return isinstance(e, Add) and -1 in e.args and sum(isinstance(a, exp) for a in e.args) == 1

    def to_expm1(e: Add) -> Expr:
        power = next(a for a in e.args if isinstance(a, exp))
        rest = [a for a in e.args if a is not power and a != -1]
        return Add(expm1(power.args[0]), *rest)

    def is_log1p(e: Expr) -> bool:
        return isinstance(e, log) and isinstance(e.args[0], Add) and 1 in e.args[0].args

    expr = expr.replace(is_expm1, to_expm1)
    return expr.replace(is_log1p, lambda e: log1p(e.args[0] - 1))  # type: ignore[no-any-return]


USE_XLOGY = Rewrite(
    "xlogy", "x·log y → XLogY(x, y) and x·log(x/y) → RelEntr(x, y), with 0·log 0 = 0", _use_xlogy
)
USE_WEIGHTED = Rewrite(
    "weighted-x-minus-log1p",
    "w·(x − log(1 + x)) → ScaledXMinusLog1p(w, w·x, w·(1 + x)), equal to w·x where w = 0",
    _use_weighted,
)
USE_SYMMETRIC = Rewrite(
    "scaled-symmetric-xlog1p",
    "m·((1 + t)log(1 + t) + (1 − t)log(1 − t)) → ScaledSymmetricXLog1p(m(1 − t), m(1 + t))",
    _use_symmetric,
)
USE_LOGSUMEXP = Rewrite("logsumexp", "log Σ_j exp(x_j) → LogSumExp(x)", _use_logsumexp)
USE_SCALED_EXPM1 = Rewrite(
    "scaled-expm1-minus-x", "w·(e^x − 1 − x) → ScaledExpm1MinusX(w, x)", _use_scaled_expm1
)
USE_EXPM1_LOG1P = Rewrite(
    "expm1-log1p", "exp(x) − 1 → expm1(x) and log(1 + y) → log1p(y)", _use_expm1_log1p
)

#: Every rewrite, in the order :func:`array_expression` applies them.
REWRITES: tuple[Rewrite, ...] = (
    USE_XLOGY,
    USE_WEIGHTED,
    USE_SYMMETRIC,
    USE_SCALED_EXPM1,
    USE_EXPM1_LOG1P,
    USE_LOGSUMEXP,
)


def array_expression(
    expr: Expr,
    arrays: Mapping[IndexedBase, Symbol],
    *,
    index: Symbol | None = None,
    labels: Mapping[Symbol, Symbol] | None = None,
    shifts: Mapping[Symbol, IndexedBase] | None = None,
    argmax_shifts: Mapping[Symbol, tuple[Symbol, Expr, IndexedBase]] | None = None,
) -> Expr:
    """``expr`` as an array expression over ``arrays``.

    - every Sum over the classes becomes a :class:`ClassSum` (its summand rewritten);
    - ``base[index]`` (the free class index of an elementwise result) becomes the array;
    - ``base[y]`` for a label symbol ``y`` becomes ``AtLabels(array, labels[y])``;
    - a shift symbol ``c`` in ``shifts`` becomes ``ClassMax`` of the array of its base;
    - a shift symbol ``m`` in ``argmax_shifts`` given as ``(k, x_k, w)`` becomes
      ``AtArgmax(x, w)``: the entry ``x_k`` (an expression in the index ``k``) at the class
      where the weights ``w`` are largest;
    - ``exp(x) − 1`` and ``log(1 + y)`` become ``expm1``/``log1p``, ``w·(e^x − 1 − x)`` one
      :class:`ScaledExpm1MinusX`.
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
        return ClassSum(_use_symmetric(_use_weighted(_use_xlogy(function))), AXIS)

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
    for shift, (bound, entry, weights) in (argmax_shifts or {}).items():
        values = entry.replace(
            lambda e, bound=bound: isinstance(e, Indexed) and e.indices == (bound,),
            lambda e: arrays[e.base],
        )
        result = result.xreplace({shift: AtArgmax(values, arrays[weights], AXIS)})
    if result.has(Indexed):
        raise ValueError(f"entries left that are not arrays: {result.atoms(Indexed)}")
    return _use_logsumexp(_use_expm1_log1p(_use_scaled_expm1(result)))


def _two_pass_cse(expr: Expr) -> tuple[list[tuple[Symbol, Expr]], Expr]:
    """SymPy's ``cse``, run again on its output: it leaves a product of its own new symbols
    (``x0*x1``, the scaled logits of log-softmax) repeated; the second pass names it once.

    A named reciprocal of a scalar (``x0 = 1/T``) is put back into its uses, so the scaled
    logits are ``(z − c)/T``: one rounding, and at a subnormal ``T`` the largest logit gives
    ``0/T = 0`` rather than ``0·(1/T) = 0·inf = NaN``.
    """
    first, reduced = cse(expr, list=False)
    second, reduced = cse(reduced, symbols=numbered_symbols("y"), list=False)
    kept: list[tuple[Symbol, Expr]] = []
    inline: dict[Symbol, Expr] = {}
    for symbol, value in [*first, *second]:
        value = value.xreplace(inline)
        if _scalar_reciprocal(value):
            inline[symbol] = value
        else:
            kept.append((symbol, value))
    return kept, reduced.xreplace(inline)


def _scalar_reciprocal(expr: Expr) -> bool:
    return (
        isinstance(expr, Pow)
        and expr.exp.is_negative is True
        and isinstance(expr.base, Symbol)
        and expr.base.name in SCALARS
    )


#: The names every generated function receives first: the array namespace and the kernels.
NAMESPACE_ARGUMENTS = (Symbol("xp"), Symbol("kernels"))


def printed_expression(name: str) -> Expr:
    """The array expression that :func:`generate_source` prints for the public function
    ``name``: its form of :data:`~divsym.codegen.forms.FORMS` after the array rewrites."""
    spec = SPECS[name]
    return array_expression(FORMS[name], spec.arrays, **spec.options)


def generate_source(name: str) -> str:
    """``def name(xp, kernels, *arrays, *extra, axis): ...``, the source of one function.

    Reductions keep the class axis with length 1. The text is deterministic: the same SymPy
    version prints the same characters.
    """
    spec = SPECS[name]
    args = [*NAMESPACE_ARGUMENTS, *spec.arrays.values(), *spec.extra, AXIS]
    cses, reduced = _two_pass_cse(printed_expression(name))
    printer = _EvaluatorPrinter(DivsymPrinter({"fully_qualified_modules": True}))
    return printer.doprint(name, args, reduced, cses=cses)  # type: ignore[no-any-return]


_HEADER = '''# generated by divsym build; do not edit
# mypy: allow-untyped-defs
# ruff: noqa
# fmt: off
"""The bodies of the public numeric functions, printed from their proved forms.

Generated by ``divsym build`` (:func:`divsym.codegen.generate_module`) from
``divsym.codegen.forms.FORMS``; a test regenerates it and requires identical text. Each
function takes the array namespace ``xp`` and the ``kernels`` of the stable nodes first, then
its arrays, its scalars and the class ``axis``. It imports no SymPy and nothing of divsym.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
'''


def gradient_name(name: str, wrt: IndexedBase) -> str:
    """The generated gradient's name: ``kl_divergence_grad_q`` is ``∂ kl_divergence/∂q``."""
    return f"{name}_grad_{wrt}"


def gradient_expression(name: str, wrt: IndexedBase) -> Expr:
    """``g · ∂F/∂wrt_i`` for the reduction ``name`` of :data:`~divsym.codegen.forms.GRADIENTS`,
    as an elementwise array expression.

    Its form is ``F(S)`` with ``S = Σ_i f(p_i, q_i)`` (one Sum over the classes). By the chain
    rule ``∂F/∂p_i = F'(S)·∂f/∂p_i``: the summand ``f`` is differentiated by SymPy as it stands
    in the proved form (stable nodes unfolded with ``rewrite(log)``, which is the identity
    each node is defined by), then simplified and its logs combined (``log p − log q`` →
    ``log(p/q)``, one ``log``). Where ``F'`` still depends on ``S`` (``js_distance``,
    ``F = √(S/(2 log b))``), ``S`` is solved from ``F = out``, the forward result, so the
    backward needs no second reduction. ``g`` is the incoming gradient ``∂L/∂F``.
    """
    form = FORMS[name]
    (total,) = form.atoms(Sum)
    bound = total.limits[0][0]
    S = Dummy("S", positive=True)
    outer = form.xreplace({total: S})
    outer_derivative = diff(outer, S)
    if outer_derivative.has(S):
        (value,) = solve(Eq(outer, OUTPUT), S)
        outer_derivative = outer_derivative.xreplace({S: value})
    # log(base) > 0 where a square root of it is taken (js_distance needs base > 1).
    L = Dummy("L", positive=True)
    outer_derivative = simplify(outer_derivative.xreplace({log(BASE_SYMBOL): L})).xreplace(
        {L: log(BASE_SYMBOL)}
    )
    inner = logcombine(simplify(diff(total.function.rewrite(log), wrt[bound])), force=True)
    inner = _use_log_ratio(inner)
    spec = SPECS[name]
    return array_expression(GRADIENT_OUTPUT * outer_derivative * inner, spec.arrays, index=bound)


def _use_log_ratio(expr: Expr) -> Expr:
    """Each ``log(n/d)`` whose numerator and denominator both hold array entries becomes
    ``LogRatio(n, d, n − d)`` (``n − d`` cancelled symbolically: ``2p − (p + q) = p − q``), so
    that the kernel keeps full precision where ``n ≈ d``: the gradients of KL and JSD,
    ``log(p/q)`` and ``log(2p/(p + q))``, on the close distributions of distillation (where
    ``log`` of the rounded ratio loses ``ε/|log(n/d)|`` relative)."""

    def is_ratio(e: Expr) -> bool:
        if not isinstance(e, log):
            return False
        n, d = fraction(e.args[0])
        return bool(n.has(Indexed) and d.has(Indexed))

    def rewrite(e: log) -> Expr:
        n, d = fraction(e.args[0])
        return LogRatio(n, d, cancel(n - d))

    return expr.replace(is_ratio, rewrite)  # type: ignore[no-any-return]


def generate_gradient_source(name: str, wrt: IndexedBase) -> str:
    """``def name_grad_wrt(xp, kernels, *arrays, out, g, base, axis): ...``: the gradient of
    :func:`gradient_expression`, of the broadcast shape of the arrays (not yet summed over
    broadcast axes: the caller does that)."""
    spec = SPECS[name]
    args = [*NAMESPACE_ARGUMENTS, *spec.arrays.values(), OUTPUT, GRADIENT_OUTPUT, *spec.extra, AXIS]
    cses, reduced = _two_pass_cse(gradient_expression(name, wrt))
    printer = _EvaluatorPrinter(DivsymPrinter({"fully_qualified_modules": True}))
    return printer.doprint(gradient_name(name, wrt), args, reduced, cses=cses)  # type: ignore[no-any-return]


def generate_module() -> str:
    """The text of ``divsym/numeric/_generated.py``: every public function of
    :data:`~divsym.codegen.forms.FORMS`, then ``FUNCTIONS``, a name → function table, then
    the gradients of :data:`~divsym.codegen.forms.GRADIENTS` and ``GRADIENT_FUNCTIONS``,
    a ``(name, argument)`` → gradient table."""
    sources = [generate_source(name) for name in SPECS]
    table = "".join(f"    {name!r}: {name},\n" for name in SPECS)
    pairs = [(name, wrt) for name, wrts in GRADIENTS.items() for wrt in wrts]
    gradients = [generate_gradient_source(name, wrt) for name, wrt in pairs]
    gradient_table = "".join(
        f"    ({name!r}, {str(wrt)!r}): {gradient_name(name, wrt)},\n" for name, wrt in pairs
    )
    return (
        _HEADER
        + "".join(f"\n\n{source}" for source in sources)
        + f"\n\nFUNCTIONS: dict[str, Callable[..., Any]] = {{\n{table}}}\n"
        + "".join(f"\n\n{source}" for source in gradients)
        + "\n\nGRADIENT_FUNCTIONS: dict[tuple[str, str], Callable[..., Any]] = "
        + f"{{\n{gradient_table}}}\n"
    )


def write_module(path: Path | str = GENERATED_PATH) -> bool:
    """Write :func:`generate_module` to ``path``; True if its text changed (or it was new)."""
    target = Path(path)
    text = generate_module()
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return False
    target.write_text(text, encoding="utf-8")
    return True
