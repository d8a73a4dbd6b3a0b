"""Derivations: chains of expressions, each step with the lecture's justification.

A :class:`Derivation` is ``e0 R1 e1 R2 e2 … ek`` where each relation ``R`` is ``=`` or ``≥``
(or ``≤``). Every step says *why* in the lecture's words (``because``) and may name the
:class:`~divsym.kernel.rules.Rule` objects that take the previous expression to it. Whether that is
true is decided by :func:`divsym.kernel.verify.verify`, never by the derivation itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import Enum

from sympy import Expr

from divsym.kernel.context import Context
from divsym.kernel.rules import Rule

__all__ = ["Derivation", "Relation", "Step"]

#: What a derivation id looks like: letters, digits, ``-``, ``_`` or ``.``, starting with a
#: letter or digit (ids name files of the generated documents and keys of the reports).
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class Relation(str, Enum):
    """How a step relates to the expression before it: ``previous R this``.

    Parameters
    ----------
    value : str
        The relation's sign: ``"="`` (:attr:`EQ`), ``">="`` (:attr:`GE`, the previous
        expression is at least this one) or ``"<="`` (:attr:`LE`).

    Raises
    ------
    ValueError
        For any other sign.
    """

    EQ = "="
    GE = ">="
    LE = "<="


@dataclass(frozen=True)
class Step:
    """One link of a derivation: ``previous <relation> expr``, because ``because``.

    Parameters
    ----------
    expr : sympy.Expr
        The expression this step arrives at.
    because : str
        The justification shown beside the step: prose with mathematics in ``$…$`` and
        lecture equations referred to as ``{eq:label}`` (see :mod:`divsym.render.prose`).
    rules : tuple of Rule, optional
        The kernel's rewrite rules that turn the previous expression into ``expr``; empty
        when the two canonical forms must agree on their own.
    relation : Relation, optional
        How the previous expression relates to ``expr`` (default :attr:`Relation.EQ`).

    Notes
    -----
    A step is checked only inside a :class:`Derivation`, which validates its fields.
    """

    expr: Expr
    because: str
    rules: tuple[Rule, ...] = ()
    relation: Relation = Relation.EQ


@dataclass(frozen=True)
class Derivation:
    """A checked chain of steps; ``steps[0]`` is the starting expression (it is not checked).

    Parameters
    ----------
    id : str
        A short name (letters, digits, ``-``, ``_``, ``.``): the key of its report and the
        name of its generated files.
    title : str
        A one-line statement of what is derived.
    steps : tuple of Step
        At least two steps; the first is where the chain starts.
    context : Context, optional
        What the derivation assumes (normalised distributions, labels, ranges).
    section : str, optional
        The id of the lecture section it belongs to, or ``""``.
    remarks : tuple of str, optional
        Notes for the reader, in the markup of :class:`Step`'s ``because``.
    fixed_n : tuple of int, optional
        Numbers of classes for which the kernel writes every sum out when the symbolic
        route does not decide a step.

    Raises
    ------
    TypeError
        When a field has the wrong type (the message names the field and the value).
    ValueError
        When a field has a wrong value, e.g. a malformed ``id`` or fewer than two steps.

    See Also
    --------
    divsym.verify : proves a derivation and reports each step's status.
    """

    id: str
    title: str
    steps: tuple[Step, ...]
    context: Context = field(default_factory=Context)
    #: The id of the lecture section (:data:`divsym.identities.lecture.SECTIONS`) it belongs to.
    section: str = ""
    #: Remarks for the reader, e.g. where the lecture is sloppy and what is proved instead.
    remarks: tuple[str, ...] = ()
    #: Concrete numbers of classes for the fixed-n route, when the symbolic route fails.
    fixed_n: tuple[int, ...] = (2, 3, 4, 5, 6)

    def __post_init__(self) -> None:
        _check_fields(self)

    def with_step(
        self,
        index: int,
        expr: Expr | None = None,
        *,
        relation: Relation | None = None,
        rules: tuple[Rule, ...] | None = None,
    ) -> Derivation:
        """A copy with step ``index`` changed (its expression, relation or rules).

        This is how wrong variants are made for mutation tests: a checker that cannot reject
        a flipped sign or a swapped argument proves nothing.

        Parameters
        ----------
        index : int
            The position of the step to change, ``0 <= index < len(steps)``.
        expr : sympy.Expr, optional
            The new expression; the step's own when omitted.
        relation : Relation, optional
            The new relation; the step's own when omitted.
        rules : tuple of Rule, optional
            The new rules; the step's own when omitted.

        Returns
        -------
        Derivation
            A new derivation; this one is unchanged.

        Raises
        ------
        ValueError
            When there is no step ``index``.
        """
        if not 0 <= index < len(self.steps):
            raise ValueError(f"derivation {self.id!r} has no step {index}")
        step = self.steps[index]
        changed = replace(
            step,
            expr=step.expr if expr is None else expr,
            relation=step.relation if relation is None else relation,
            rules=step.rules if rules is None else rules,
        )
        steps = (*self.steps[:index], changed, *self.steps[index + 1 :])
        return replace(self, steps=steps)

    @property
    def start(self) -> Expr:
        """The expression the chain starts from, ``steps[0].expr``."""
        return self.steps[0].expr

    @property
    def end(self) -> Expr:
        """The expression the chain arrives at, ``steps[-1].expr``."""
        return self.steps[-1].expr


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _check_step(position: int, step: object) -> None:
    """TypeError naming ``steps[position]`` and the field when a step is malformed."""
    where = f"steps[{position}]"
    if not isinstance(step, Step):
        raise TypeError(f"{where} must be a Step, got {type(step).__name__}: {_short(step)}")
    if not isinstance(step.expr, Expr):
        raise TypeError(
            f"{where}.expr must be a SymPy Expr, got {type(step.expr).__name__}: "
            f"{_short(step.expr)}"
        )
    if not isinstance(step.because, str):
        raise TypeError(f"{where}.because must be a str, got {type(step.because).__name__}")
    if not isinstance(step.relation, Relation):
        raise TypeError(
            f"{where}.relation must be a Relation, got {type(step.relation).__name__}: "
            f"{_short(step.relation)}"
        )
    if not isinstance(step.rules, tuple):
        raise TypeError(f"{where}.rules must be a tuple of Rule, got {type(step.rules).__name__}")
    for k, rule in enumerate(step.rules):
        if not isinstance(rule, Rule):
            raise TypeError(
                f"{where}.rules[{k}] must be a Rule, got {type(rule).__name__}: {_short(rule)}"
            )


def _check_direction(derivation: Derivation) -> None:
    """A chain may mix ``=`` with ``≥`` or with ``≤``, not ``≥`` with ``≤``: ``a ≥ b ≤ c``
    says nothing about ``a`` against ``c``, so its first and last lines would be shown in no
    relation while every step passes."""
    used = {step.relation for step in derivation.steps[1:]} - {Relation.EQ}
    if len(used) > 1:
        first = {
            relation: next(k for k, s in enumerate(derivation.steps) if s.relation is relation)
            for relation in used
        }
        raise ValueError(
            f"derivation {derivation.id!r} mixes >= (first at steps[{first[Relation.GE]}]) "
            f"and <= (first at steps[{first[Relation.LE]}]): such a chain relates no two of "
            "its lines; write two derivations"
        )


def _check_fields(derivation: Derivation) -> None:
    """Validate every field of ``derivation``; the error names the field and the value."""
    if not isinstance(derivation.id, str):
        raise TypeError(f"id must be a str, got {type(derivation.id).__name__}: {derivation.id!r}")
    if not _ID.fullmatch(derivation.id):
        raise ValueError(
            f"id must be a non-empty slug (letters, digits, '-', '_', '.'), got {derivation.id!r}"
        )
    if not isinstance(derivation.title, str):
        raise TypeError(f"title must be a str, got {type(derivation.title).__name__}")
    if not isinstance(derivation.steps, tuple):
        raise TypeError(f"steps must be a tuple of Step, got {type(derivation.steps).__name__}")
    if len(derivation.steps) < 2:
        raise ValueError(
            f"derivation {derivation.id!r} needs at least two steps, got {len(derivation.steps)}"
        )
    for position, step in enumerate(derivation.steps):
        _check_step(position, step)
    _check_direction(derivation)
    if not isinstance(derivation.context, Context):
        raise TypeError(
            f"context must be a Context, got {type(derivation.context).__name__}: "
            f"{_short(derivation.context)}"
        )
    if not isinstance(derivation.section, str):
        raise TypeError(f"section must be a str, got {type(derivation.section).__name__}")
    if not isinstance(derivation.remarks, tuple) or not all(
        isinstance(remark, str) for remark in derivation.remarks
    ):
        raise TypeError(f"remarks must be a tuple of str, got {_short(derivation.remarks)}")
    if not isinstance(derivation.fixed_n, tuple) or not all(
        type(m) is int and m >= 1 for m in derivation.fixed_n
    ):
        raise ValueError(
            f"fixed_n must be a tuple of positive ints, got {_short(derivation.fixed_n)}"
        )
