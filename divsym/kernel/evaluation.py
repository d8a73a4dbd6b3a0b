"""Numbers for the numeric backstop: an expression evaluated at a :class:`Point`, in mpmath.

The evaluator walks the SymPy tree once per point, at :data:`WORKING_DIGITS` (twice the
backstop's 50), drawing each symbol's value from the point the first time it is met. It does
not ask SymPy to simplify, differentiate or integrate anything, so it is independent of the
symbolic routes it checks:

* ``Sum``/``Product`` with integer bounds are added up term by term under SymPy's (Karr's)
  convention: an upper bound one below the lower gives the empty sum, further below it gives
  minus the sum over the gap (``Σ_{j=m+2}^{n} 1 = -1`` at ``m = n``);
* an infinite ``Sum`` is ``mpmath.nsum``; it counts only if its terms tend to 0 and two
  methods at two precisions agree (mpmath gives a number for divergent series too);
* a ``Derivative`` is ``mpmath.diff`` of the evaluated expression (finite differences at
  raised precision, exact for the smooth expressions divsym differentiates);
* a ``Limit`` is its argument at two points approaching the limit point, ``x0 ± 10^-60`` and
  ``x0 ± 10^-120`` (``±10^60``, ``±10^120`` at infinity); the two must agree to the backstop's
  tolerance, which is exact enough for limits converging like ``O(|x - x0|)`` or faster.
  Near the limit point the argument is mostly a difference of nearly equal numbers
  (``(e^u − 1 − u)/u²`` cancels 240 digits at ``u = 10^-120``), so the digits are raised until
  the values are trustworthy: both points at 130 digits beyond the working precision; when
  they disagree, the nearer one again with 20 more digits — rounding noise moves, a limit that
  converges slowly (or not at all) does not, and is :class:`Unevaluable` — and, if it moved,
  everything again with 120 more digits, up to 610 more, after which the limit cannot be
  evaluated. Cancellation can also give an exact 0 (``e^u − 1 − u`` rounded), the same at both
  points and at 20 more digits. So when a sum inside the limit came out exactly 0 (or a log or
  a large power met exactly 1) on the way, unless its terms cancel as written, the digits are
  raised at once if the points disagree, and agreement counts only if the value at ``10^-60``
  stays with 240 more digits. What still passes unseen is a cancellation of order 8 or more
  at ``10^-60`` (``log(1 + u^12)/u^12`` reads 0): beyond what any divsym limit needs. The
  digits a Limit needed are remembered (:data:`_LIMIT_START`) and the next point starts
  there; the checks are the same at any start;
* an ``Integral`` (a :class:`~divsym.symbols.gibbs.UnitIntegral` as its ``as_integral()``,
  never its SymPy closed form) is ``mpmath.quad`` and counts only with a small error estimate;
* ``argmax``/``argmin`` is the optimiser over the grid
  :data:`~divsym.kernel.optimisation.THETA_GRID`.

Outcomes other than a number are exceptions: :class:`Undefined` (a value that is not a
finite real: division by 0, ``log`` of a negative, an infinity), :class:`Unevaluable` (no
method gave a trustworthy number here), :class:`~divsym.kernel.sampling.OutsideDomain`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import mpmath
from sympy import (
    Abs,
    Add,
    And,
    Basic,
    Derivative,
    Eq,
    Expr,
    Float,
    Ge,
    Gt,
    Indexed,
    Integer,
    Integral,
    KroneckerDelta,
    Le,
    Limit,
    Lt,
    Max,
    Min,
    Mul,
    Ne,
    Not,
    Or,
    Piecewise,
    Pow,
    Product,
    Rational,
    S,
    Sum,
    Symbol,
    acos,
    asin,
    atan,
    ceiling,
    cos,
    cosh,
    exp,
    floor,
    log,
    sign,
    sin,
    sinh,
    tan,
    tanh,
)
from sympy.logic.boolalg import BooleanFalse, BooleanTrue

from divsym.kernel.optimisation import THETA_GRID, ArgOptimum
from divsym.kernel.sampling import Point, dependencies
from divsym.symbols.conditional import ModelConditional
from divsym.symbols.gibbs import UnitIntegral
from divsym.symbols.quantities import NamedQuantity

__all__ = [
    "TOLERANCE",
    "WORKING_DIGITS",
    "Deadline",
    "Evaluator",
    "TimedOut",
    "Undefined",
    "Unevaluable",
    "unfold",
]

#: Working precision of the evaluation, in significant decimal digits.
WORKING_DIGITS = 100
#: Two numbers agree when they differ by at most this, relative to ``max(1, |a|, |b|)``.
TOLERANCE = mpmath.mpf("1e-35")
#: ``exp`` of a larger argument would need an exponent of thousands of bits (``exp(exp(T))``
#: at ``T = 10^9``): no number, the point is skipped. Limits reach about ``10^130``.
_EXP_LIMIT = mpmath.mpf(10) ** 300
#: Digits of the quadrature (tanh-sinh): enough for the 1e-35 tolerance, half the cost of 100.
_QUADRATURE_DIGITS = 60
#: A power of exactly 1 with an exponent above this may hide a base 1 + ε rounded to 1 (the
#: lost factor is about ``exponent · ε``); below it, the loss is far under the tolerance.
_AMPLIFYING = mpmath.mpf(10) ** 20
#: A ``Limit`` is evaluated at ``10^-e`` from its limit point for these ``e`` (``10^e`` at ∞).
_LIMIT_EXPONENTS = (60, 120)
#: Rounding noise in a limit's value moves when computed with this many more digits (by about
#: its own size): a value that does not move is not noise.
_PRECISION_CHECK_DIGITS = 20
#: When a limit's two values agree but a sum came out exactly 0 (or a log or power met exactly
#: 1) on the way, the nearer-than-needed agreement may be two equal artefacts of cancellation:
#: the value at ``10^-60`` is computed again with this many more digits and must not change.
#: An artefact that survives it is a difference of order 8 or more at ``10^-60``.
_CONFIRM_DIGITS = 2 * max(_LIMIT_EXPONENTS)
#: Extra digits a ``Limit`` may use beyond the working precision, in steps of 120 from 130:
#: with the working 100, a difference of fifth order at ``10^-120`` (600 digits cancel) keeps
#: 110; beyond that the limit cannot be evaluated.
_LIMIT_MAX_EXTRA_DIGITS = 5 * max(_LIMIT_EXPONENTS) + 10
#: The extra digits a Limit needed last time, so that the next point starts there instead of
#: failing at fewer first (every check is still made at the digits used). Cleared when full.
_LIMIT_START: dict[Basic, int] = {}
_LIMIT_START_SIZE = 1024


class Undefined(Exception):  # noqa: N818 - a mathematical outcome, not a crash
    """The value at this point is not a finite real number."""


class Unevaluable(Exception):  # noqa: N818
    """No method gives a trustworthy number here (a divergent integral, a limit that wobbles)."""


class TimedOut(Exception):  # noqa: N818
    """The backstop's time budget for the step is spent."""


class Deadline:
    """A cooperative time budget: :meth:`check` raises :class:`TimedOut` once it is spent."""

    def __init__(self, seconds: float | None) -> None:
        if seconds is not None and not seconds > 0:
            raise ValueError(f"deadline must be a positive number of seconds, got {seconds!r}")
        self.seconds = seconds
        self._end = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        if self._end is not None and time.monotonic() > self._end:
            raise TimedOut(f"timed out after {self.seconds:g} s")


def _unfold_node(node: Basic) -> Basic:
    if isinstance(node, UnitIntegral):
        return node.as_integral()  # never its closed form: that is what is being checked
    return node.definition()  # type: ignore[attr-defined, no-any-return]


@lru_cache(maxsize=1024)
def unfold(expr: Basic) -> Basic:
    """``expr`` with every named quantity replaced by its definition, innermost and repeatedly
    (a :class:`~divsym.symbols.gibbs.UnitIntegral` by its plain ``Integral``)."""
    previous = None
    while previous != expr:
        previous = expr
        expr = expr.replace(lambda e: isinstance(e, NamedQuantity), _unfold_node)
    return expr


def _exp(x: Any) -> Any:
    """``exp(x)``; for large ``|x|`` as ``2^k · exp(r)`` with ``x = k log 2 + r``, which is
    what mpmath does too, but without its slow path for huge arguments (``exp(-d/T)`` at
    ``T = 10^-120``, milliseconds per call)."""
    if -1000 < x < 1000:
        return mpmath.exp(x)
    if abs(x) > _EXP_LIMIT:
        raise Unevaluable(f"exp of {mpmath.nstr(x, 5)} is beyond evaluation")
    extra = int(mpmath.log(abs(x), 2)) + 20
    with mpmath.workprec(mpmath.mp.prec + extra):
        k = int(mpmath.nint(x / mpmath.ln2))
        r = x - k * mpmath.ln2
    return mpmath.ldexp(mpmath.exp(r), k)


_FUNCTIONS: dict[type, Callable[..., Any]] = {
    exp: _exp,
    log: mpmath.log,
    sin: mpmath.sin,
    cos: mpmath.cos,
    tan: mpmath.tan,
    sinh: mpmath.sinh,
    cosh: mpmath.cosh,
    tanh: mpmath.tanh,
    atan: mpmath.atan,
    asin: mpmath.asin,
    acos: mpmath.acos,
    Abs: mpmath.fabs,
    sign: mpmath.sign,
    floor: mpmath.floor,
    ceiling: mpmath.ceil,
    Max: max,
    Min: min,
}

_RELATIONS: dict[type, Callable[[Any, Any], bool]] = {
    Lt: lambda a, b: a < b,
    Le: lambda a, b: a <= b,
    Gt: lambda a, b: a > b,
    Ge: lambda a, b: a >= b,
    Eq: lambda a, b: a == b,
    Ne: lambda a, b: a != b,
}

Bound = Mapping[Any, Any]


def _real(value: Any, where: Basic) -> Any:
    """``value`` as a finite real, or :class:`Undefined`."""
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            raise Undefined(f"{where} is not real")
        value = value.real
    if isinstance(value, int):
        return value
    if not mpmath.isfinite(value):
        raise Undefined(f"{where} is not finite")
    return value


def _integer(value: Any, where: Basic) -> int:
    if isinstance(value, int):
        return value
    if value != mpmath.floor(value):
        raise Undefined(f"{where} is not an integer")
    return int(value)


def agrees(a: Any, b: Any, relation: str) -> bool:
    """Whether ``a relation b`` holds for two finite reals, up to :data:`TOLERANCE`."""
    slack = TOLERANCE * max(mpmath.mpf(1), abs(a), abs(b))
    if relation == ">=":
        return bool(a >= b - slack)
    if relation == "<=":
        return bool(a <= b + slack)
    return bool(abs(a - b) <= slack)


class Evaluator:
    """Evaluates expressions at one :class:`Point` (call it inside ``workdps``)."""

    def __init__(self, point: Point, deadline: Deadline) -> None:
        self.point = point
        self.deadline = deadline
        self._memo: dict[tuple[Any, ...], Any] = {}
        #: How many sums came out exactly 0 and logs or powers met exactly 1 inside a Limit,
        #: depending on its variable: the marks of digits lost to cancellation or absorption
        #: that a few more digits would not reveal (:meth:`_exact`).
        self.exact_cancellations = 0
        #: The variables of the Limits being evaluated, innermost last.
        self._limit_variables: tuple[Basic, ...] = ()

    def __call__(self, expr: Basic) -> Any:
        """The finite real value of ``expr`` at the point, or an exception (module docstring)."""
        try:
            return _real(self.value(unfold(expr), {}), expr)
        except ZeroDivisionError as error:
            raise Undefined(f"division by zero in {expr}") from error

    def value(self, expr: Basic, bound: Bound) -> Any:
        kind = type(expr)
        handler = _DISPATCH.get(kind)
        if handler is None:
            handler = _DISPATCH[kind] = _handler_for(kind)
        return handler(self, expr, bound)

    # -- leaves -----------------------------------------------------------------------------
    def _symbol(self, expr: Symbol, bound: Bound) -> Any:
        if expr in bound:
            return bound[expr]
        return self.point.symbol(expr)

    def _indexed(self, expr: Indexed, bound: Bound) -> Any:
        indices = tuple(_integer(self.value(i, bound), expr) for i in expr.indices)
        key = (expr.base, indices)
        if key in bound:
            return bound[key]
        return self.point.entry(expr.base, indices)

    def _number(self, expr: Expr, bound: Bound) -> Any:
        if isinstance(expr, Integer):
            return int(expr)
        if isinstance(expr, Rational):
            return mpmath.mpf(expr.p) / expr.q
        if expr.is_finite is not True:
            raise Undefined(f"{expr} is not a finite number")
        return _real(expr._to_mpmath(mpmath.mp.prec), expr)

    # -- arithmetic ---------------------------------------------------------------------------
    def _add(self, expr: Add, bound: Bound) -> Any:
        args = expr.args
        total = self.value(args[0], bound)
        for arg in args[1:]:
            total += self.value(arg, bound)
        if total == 0 and self._limit_variables:
            self._exact(expr, bound)  # e^u - 1 - u - u^2/2 - u^3/6 at too few digits
        return total

    def _mul(self, expr: Mul, bound: Bound) -> Any:
        args = expr.args
        product = self.value(args[0], bound)
        for arg in args[1:]:
            product *= self.value(arg, bound)
        return product

    def _pow(self, expr: Pow, bound: Bound) -> Any:
        base, exponent = (self.value(a, bound) for a in expr.args)
        if base == 1 and self._limit_variables and abs(exponent) > _AMPLIFYING:
            self._exact(expr, bound)  # (1 + u^6)^(1/u^6) at too few digits
        if base == 0 and exponent < 0:
            raise Undefined(f"{expr} divides by zero")
        if exponent == -1:
            return 1 / mpmath.mpf(base)
        if isinstance(exponent, int) or exponent == mpmath.floor(exponent):
            exponent = int(exponent)
            if isinstance(base, int) and exponent >= 0:
                return base**exponent
            return _real(mpmath.mpf(base) ** exponent, expr)
        return _real(mpmath.power(base, exponent), expr)

    def _log(self, expr: log, bound: Bound) -> Any:
        argument = self.value(expr.args[0], bound)
        if argument <= 0:
            raise Undefined(f"{expr} takes the log of {mpmath.nstr(argument, 12)}")
        if argument == 1 and self._limit_variables:
            self._exact(expr, bound)
        return mpmath.log(argument)

    def _exact(self, expr: Basic, bound: Bound) -> None:
        """Count an exact 0 (or 1) of ``expr`` inside a Limit as a possible loss of digits,
        unless it is exact at every precision: ``expr`` does not depend on a limit variable
        (data cancel exactly or not at all), or it is an Add whose terms cancel as written once
        its integers take their values (``exp(z_k u) − exp(z_j u)`` at ``j = k``)."""
        if not expr.has(*self._limit_variables):
            return
        if isinstance(expr, Add):
            if not any(self.value(arg, bound) for arg in expr.args):
                return  # nothing cancelled: every term is 0
            integers = _integer_symbols(expr)
            values = tuple(int(self.value(symbol, bound)) for symbol in integers)
            if _cancels_as_written(expr, integers, values):
                return
        self.exact_cancellations += 1

    # -- logic ------------------------------------------------------------------------------
    def _truth(self, condition: Basic, bound: Bound) -> bool:
        if isinstance(condition, BooleanTrue):
            return True
        if isinstance(condition, BooleanFalse):
            return False
        if isinstance(condition, And):
            return all(self._truth(c, bound) for c in condition.args)
        if isinstance(condition, Or):
            return any(self._truth(c, bound) for c in condition.args)
        if isinstance(condition, Not):
            return not self._truth(condition.args[0], bound)
        compare = _RELATIONS.get(type(condition))
        if compare is None:
            raise Unevaluable(f"cannot decide the condition {condition}")
        lhs, rhs = (self.value(a, bound) for a in condition.args)
        return compare(lhs, rhs)

    def _piecewise(self, expr: Piecewise, bound: Bound) -> Any:
        for piece, condition in expr.args:
            if self._truth(condition, bound):
                return self.value(piece, bound)
        raise Undefined(f"{expr} is undefined here (no condition holds)")

    def _delta(self, expr: KroneckerDelta, bound: Bound) -> Any:
        a, b = (self.value(x, bound) for x in expr.args[:2])
        return 1 if a == b else 0

    # -- sums, products -----------------------------------------------------------------------
    def _reduce(self, expr: Sum | Product, bound: Bound) -> Any:
        """A Sum or Product, remembered for the bindings it depends on: the normaliser
        ``Σ_j exp(z_j/T)`` inside ``q_i`` is computed once, not once per ``i``."""
        self.deadline.check()
        symbols, bases = dependencies(expr)
        relevant = tuple(
            (key, value)
            for key, value in bound.items()
            if key in symbols or (isinstance(key, tuple) and key[0] in bases)
        )
        memo_key = (expr, mpmath.mp.prec, relevant)
        if memo_key not in self._memo:
            is_sum = isinstance(expr, Sum)
            self._memo[memo_key] = self._over(expr.function, list(expr.limits), bound, is_sum)
        return self._memo[memo_key]

    def _over(self, function: Basic, limits: list[Any], bound: Bound, is_sum: bool) -> Any:
        if not limits:
            return self.value(function, bound)
        *inner, (index, low, high) = limits  # the last limit is the outermost
        a, b = self._end(low, bound), self._end(high, bound)

        def term(j: Any) -> Any:
            return self._over(function, inner, {**bound, index: j}, is_sum)

        if not (mpmath.isfinite(a) and mpmath.isfinite(b)):
            return self._series(term, a, b, is_sum, index)
        a, b = _integer(a, low), _integer(b, high)
        # Karr's convention, as SymPy: Σ_{a}^{a-1} is empty, Σ_{a}^{b} = -Σ_{b+1}^{a-1} below.
        flip = b < a - 1
        if flip:
            a, b = b + 1, a - 1
        values = []
        for j in range(a, b + 1):
            if j % 256 == 0:
                self.deadline.check()
            values.append(term(j))
        if is_sum:
            total = mpmath.fsum(values)
            if total == 0 and self._limit_variables and any(values):
                self._exact(function, bound)
            return -total if flip else total
        product = mpmath.fprod(values)
        if flip and product == 0:
            raise Undefined("a product over a reversed range divides by zero")
        return 1 / product if flip else product

    def _series(
        self, term: Callable[[Any], Any], a: Any, b: Any, is_sum: bool, index: Basic
    ) -> Any:
        if not is_sum or not (a == -mpmath.inf or mpmath.isfinite(a)) or b == -mpmath.inf:
            raise Unevaluable(f"an infinite product or reversed infinite range over {index}")
        far = mpmath.mpf(10) ** 20
        tail = [term(far if b == mpmath.inf else -far)] + ([term(-far)] if a == -mpmath.inf else [])
        if any(abs(t) > mpmath.mpf(10) ** -10 for t in tail):
            raise Undefined(f"the terms of the series over {index} do not tend to 0")
        interval = [a, b]

        def checked(j: Any) -> Any:
            self.deadline.check()
            return term(j)

        # Richardson at two precisions, or Shanks with two numbers of terms, must agree:
        # for a divergent series each gives a number, but not the same one twice.
        for method, settings in (("r", ((50, None), (75, None))), ("s", ((60, 60), (60, 120)))):
            estimates = []
            for digits, terms in settings:
                with mpmath.workdps(digits):
                    try:
                        options = {} if terms is None else {"maxterms": terms}
                        estimates.append(+mpmath.nsum(checked, interval, method=method, **options))
                    except (ValueError, ZeroDivisionError) as error:
                        raise Unevaluable(
                            f"the series over {index} cannot be summed: {error}"
                        ) from None
            first, second = estimates
            if mpmath.isfinite(first) and mpmath.isfinite(second) and agrees(first, second, "="):
                return second
        raise Unevaluable(f"the series over {index} does not converge numerically")

    def _end(self, end: Basic, bound: Bound) -> Any:
        """A bound of a Sum or Integral: a number, or ``±inf`` for ``±oo``."""
        if end is S.Infinity:
            return mpmath.inf
        if end is S.NegativeInfinity:
            return -mpmath.inf
        return self.value(end, bound)

    # -- calculus -----------------------------------------------------------------------------
    def _key(self, variable: Basic, bound: Bound) -> Any:
        if isinstance(variable, Indexed):
            indices = tuple(_integer(self.value(i, bound), variable) for i in variable.indices)
            return (variable.base, indices)
        return variable

    def _derivative(self, expr: Derivative, bound: Bound) -> Any:
        self.deadline.check()
        keys = [self._key(v, bound) for v, _ in expr.variable_count]
        orders = [int(count) for _, count in expr.variable_count]
        at = [self.value(v, bound) for v, _ in expr.variable_count]

        def function(*values: Any) -> Any:
            return self.value(expr.expr, {**bound, **dict(zip(keys, values, strict=True))})

        if len(keys) == 1:
            return mpmath.diff(function, at[0], orders[0])
        return mpmath.diff(function, at, orders)

    def _limit(self, expr: Limit, bound: Bound) -> Any:
        """The limit as the argument's value at two points approaching it, with the digits
        raised until the values are not artefacts of rounding (module docstring)."""
        self.deadline.check()
        x0, direction = expr.args[2], str(expr.args[3])
        if not x0.is_infinite and direction not in ("+", "-"):
            raise Unevaluable(f"a two-sided limit at {x0} is not evaluated numerically")
        point = 0 if x0.is_infinite else self.value(x0, bound)
        # f near x0 differs from f(x0) by ~10^-120: 120 more digits keep that difference
        # (and x0 ± 10^-120 apart from x0); a difference of order k needs ~120 k more.
        base = mpmath.mp.dps + (max(0, int(mpmath.log10(abs(point)))) if point != 0 else 0)
        step = max(_LIMIT_EXPONENTS)
        for extra in range(_LIMIT_START.get(expr, step + 10), _LIMIT_MAX_EXTRA_DIGITS + 1, step):
            digits = base + extra
            before = self.exact_cancellations
            near, nearer = (
                self._limit_argument(expr, bound, point, e, digits) for e in _LIMIT_EXPONENTS
            )
            if agrees(near, nearer, "="):
                if self.exact_cancellations == before:
                    return _remember(expr, extra, nearer)
                # An exact 0 (e^u - 1 - u - u^2/2 at too few digits) is the same 0 at both
                # points and at a few more digits: near again with CONFIRM more digits.
                again = self._limit_argument(
                    expr, bound, point, min(_LIMIT_EXPONENTS), digits + _CONFIRM_DIGITS
                )
                if agrees(near, again, "="):
                    return _remember(expr, extra, nearer)
            elif self.exact_cancellations == before:
                # Digits lost to rounding are noise, which 20 more digits move; a limit that
                # converges slowly, or not at all, keeps its values. (After an exact 0, which
                # a few more digits do not move, the digits are raised at once.)
                again = self._limit_argument(
                    expr, bound, point, step, digits + _PRECISION_CHECK_DIGITS
                )
                if agrees(nearer, again, "="):
                    raise Unevaluable(
                        f"{expr} does not converge numerically: "
                        f"{mpmath.nstr(near, 12)} then {mpmath.nstr(nearer, 12)}"
                    )
        raise Unevaluable(
            f"{expr} cannot be evaluated: with {digits} digits its argument still changes"
            f" with the precision ({mpmath.nstr(near, 12)} and {mpmath.nstr(nearer, 12)}"
            f" at 10^-{min(_LIMIT_EXPONENTS)} and 10^-{step} from the limit point)"
        )

    def _limit_argument(
        self, expr: Limit, bound: Bound, point: Any, exponent: int, digits: int
    ) -> Any:
        """The Limit's argument at ``10^-exponent`` from ``point`` on the Limit's side
        (``±10^exponent`` for an infinite limit point), computed with ``digits`` digits."""
        self.deadline.check()
        function, variable, x0, direction = expr.args
        outer = self._limit_variables
        self._limit_variables = (*outer, variable)
        try:
            with mpmath.workdps(digits):
                h = mpmath.mpf(10) ** -exponent
                if x0.is_infinite:
                    where = (1 if x0.is_extended_positive else -1) / h
                else:
                    where = point + h if str(direction) == "+" else point - h
                value = self.value(function, {**bound, variable: where})
        finally:
            self._limit_variables = outer
        return _real(value, expr)

    def _integral(self, expr: Integral, bound: Bound) -> Any:
        self.deadline.check()
        if len(expr.limits) != 1 or len(expr.limits[0]) != 3:
            raise Unevaluable(f"only a definite integral in one variable is evaluated: {expr}")
        variable, low, high = expr.limits[0]
        a, b = self._end(low, bound), self._end(high, bound)
        with mpmath.workdps(_QUADRATURE_DIGITS):
            value, error = mpmath.quad(
                lambda s: self.value(expr.function, {**bound, variable: s}), [a, b], error=True
            )
        value = _real(value, expr)
        if not error <= TOLERANCE * max(1, abs(value)):
            raise Unevaluable(
                f"{expr} does not converge numerically (quadrature error {mpmath.nstr(error, 3)})"
            )
        return value

    def _optimum(self, expr: ArgOptimum, bound: Bound) -> Any:
        values = []
        for theta in THETA_GRID:
            objective = self.value(
                expr.objective, {**bound, expr.variable: self._number(theta, bound)}
            )
            if not mpmath.isfinite(objective):
                raise Unevaluable(f"the objective of {expr} is not finite at {theta}")
            values.append(expr.sense * objective)
        best = max(range(len(values)), key=values.__getitem__)
        return self._number(THETA_GRID[best], bound)

    def _model(self, expr: ModelConditional, bound: Bound) -> Any:
        return ModelConditional.family(*(mpmath.mpf(self.value(a, bound)) for a in expr.args))

    def _rewritten(self, expr: Basic, bound: Bound) -> Any:
        """A node without a rule here: its ``log`` form if it has one, else SymPy's ``evalf``."""
        rewritten = _log_form(expr)
        if rewritten is not None:
            return self.value(rewritten, bound)
        return self._evalf(expr, bound)

    def _evalf(self, expr: Basic, bound: Bound) -> Any:
        integers = {k: Integer(v) for k, v in bound.items() if isinstance(v, int)}
        concrete = expr.xreplace(integers).doit() if integers else expr
        values: dict[Basic, Basic] = {}
        for atom in concrete.atoms(Indexed):
            values[atom] = Float(self.value(atom, bound), WORKING_DIGITS)
        for symbol in concrete.free_symbols - {a.base.label for a in values}:
            if isinstance(symbol, Symbol):
                number = self.value(symbol, bound)
                values[symbol] = (
                    Integer(number) if isinstance(number, int) else Float(number, WORKING_DIGITS)
                )
        result = concrete.xreplace(values).evalf(WORKING_DIGITS)
        if not result.is_number or result.has(Symbol):
            raise Unevaluable(f"cannot evaluate {expr} numerically")
        if result.is_finite is not True or result.is_real is not True:
            raise Undefined(f"{expr} is {result}")
        return result._to_mpmath(mpmath.mp.prec)


def _remember(limit: Limit, extra: int, value: Any) -> Any:
    """``value``, after noting that ``limit`` needed ``extra`` digits (:data:`_LIMIT_START`)."""
    if _LIMIT_START.get(limit) != extra:
        if len(_LIMIT_START) >= _LIMIT_START_SIZE:
            _LIMIT_START.clear()
        _LIMIT_START[limit] = extra
    return value


@lru_cache(maxsize=1024)
def _integer_symbols(expr: Basic) -> tuple[Symbol, ...]:
    """The integer symbols of ``expr`` (class indices, dummies of enclosing Sums), sorted."""
    symbols = (s for s in expr.free_symbols if isinstance(s, Symbol) and s.is_integer)
    return tuple(sorted(symbols, key=str))


@lru_cache(maxsize=1024)
def _cancels_as_written(expr: Add, integers: tuple[Symbol, ...], values: tuple[int, ...]) -> bool:
    """Whether the terms of ``expr`` cancel as written with ``integers`` at ``values``: then
    they are the same computations and cancel exactly at any precision."""
    substituted = expr.xreplace(dict(zip(integers, map(Integer, values), strict=True)))
    return bool(substituted == 0)


@lru_cache(maxsize=256)
def _log_form(expr: Basic) -> Basic | None:
    if not hasattr(expr, "_eval_rewrite_as_log"):
        return None
    rewritten = expr.rewrite(log)
    return None if rewritten == expr else rewritten


Handler = Callable[[Evaluator, Any, Bound], Any]

_HANDLERS: dict[type, Handler] = {
    Symbol: Evaluator._symbol,
    Add: Evaluator._add,
    Mul: Evaluator._mul,
    Pow: Evaluator._pow,
    log: Evaluator._log,
    Piecewise: Evaluator._piecewise,
    KroneckerDelta: Evaluator._delta,
    Sum: Evaluator._reduce,
    Product: Evaluator._reduce,
    Derivative: Evaluator._derivative,
    Integral: Evaluator._integral,
    Indexed: Evaluator._indexed,
    Limit: Evaluator._limit,
    ArgOptimum: Evaluator._optimum,
    ModelConditional: Evaluator._model,
}
#: Handlers by exact type, filled on first use from :func:`_handler_for`.
_DISPATCH: dict[type, Handler] = {}


def _apply(function: Callable[..., Any]) -> Handler:
    def handler(evaluator: Evaluator, expr: Basic, bound: Bound) -> Any:
        return _real(function(*(evaluator.value(a, bound) for a in expr.args)), expr)

    return handler


def _handler_for(kind: type) -> Handler:
    """How to evaluate a node of type ``kind``: its own handler, its base class's (a
    ``DataEntry`` is an ``Indexed``), a number, an mpmath function, or the fallback."""
    for base in kind.__mro__:
        if base in _HANDLERS:
            return _HANDLERS[base]
    if getattr(kind, "is_Number", False) or getattr(kind, "is_NumberSymbol", False):
        return Evaluator._number
    function = _FUNCTIONS.get(kind)
    if function is not None:
        return _apply(function)
    return Evaluator._rewritten
