"""Which rules may contribute to ``proved``: divsym's own vetted rules, and no others.

As in an LCF prover, trust lives in a small kernel. A :class:`~divsym.kernel.rules.Rule` is
only a name and a function, and anyone can make one; so a Step's rules are trusted only when
they are *the* Rule objects of divsym's rule modules (``divsym/kernel/rules.py``,
``*_rules.py``, ``optimisation.py``, ``canonical.py``), collected once, by identity, when this
module is imported. Nothing in the public API adds to that set.

A rule built at run time by a vetted factory (``split_sum_at(point)``) is recognised by its
function: the factory's own code, the factory module's globals, the name and description the
factory gives that point.

Any other rule may still *propose* a rewrite; :func:`decide_equal` then decides
``previous = proposed`` by the canonical form alone, so a user's rule can save typing but
never make a false step ``proved``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FunctionType, ModuleType

from sympy import Basic, Expr, Symbol, log, preorder_traversal

from divsym.kernel import calculus_rules
from divsym.kernel.canonical import canonical_form
from divsym.kernel.context import Context
from divsym.kernel.rules import Rule

__all__ = [
    "decide_equal",
    "is_vetted",
    "lemmas_used",
    "unfold_lemma_nodes",
    "untrusted",
    "vetted_rules",
]

#: The kernel modules whose Rule objects are vetted (besides every ``*_rules`` module).
_RULE_MODULES = ("rules", "optimisation", "canonical")


def _rule_modules() -> tuple[ModuleType, ...]:
    names = sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if info.name in _RULE_MODULES or info.name.endswith("_rules")
    )
    package = calculus_rules.__name__.rpartition(".")[0]
    return tuple(importlib.import_module(f"{package}.{name}") for name in names)


def _rules_in(value: object) -> Iterable[Rule]:
    if type(value) is Rule:
        yield value
    elif isinstance(value, dict):
        yield from (v for v in value.values() if type(v) is Rule)
    elif isinstance(value, tuple):
        yield from (v for v in value if type(v) is Rule)


def _collect() -> dict[int, Rule]:
    """Every Rule object defined by the kernel's rule modules, keyed by ``id``."""
    package = calculus_rules.__name__.rpartition(".")[0]
    found: dict[int, Rule] = {}
    for module in _rule_modules():
        for value in vars(module).values():
            for rule in _rules_in(value):
                # Only rules whose function the kernel itself defines (not one imported into
                # a kernel module from elsewhere).
                if getattr(rule.apply, "__module__", "").startswith(f"{package}."):
                    found[id(rule)] = rule
    return found


#: The vetted rules, by identity. The dict keeps the objects alive, so the ids stay valid.
_VETTED: dict[int, Rule] = _collect()

_PROBE = Symbol("m", integer=True)
_SPLIT_CODE = getattr(calculus_rules.split_sum_at(_PROBE).apply, "__code__", None)


def _split_point(function: Callable[..., object]) -> object:
    """The ``point`` a ``split_sum_at`` product closes over, or None if it is not one."""
    if not isinstance(function, FunctionType) or function.__code__ is not _SPLIT_CODE:
        return None
    if function.__globals__ is not vars(calculus_rules) or function.__closure__ is None:
        return None
    cells = dict(zip(function.__code__.co_freevars, function.__closure__, strict=True))
    return cells["point"].cell_contents if "point" in cells else None


def _is_factory_product(rule: Rule) -> bool:
    point = _split_point(rule.apply)
    if not isinstance(point, Symbol):
        return False
    expected = calculus_rules.split_sum_at(point)
    return (rule.name, rule.description) == (expected.name, expected.description)


def is_vetted(rule: object) -> bool:
    """Whether ``rule`` is one of divsym's own vetted rules (identity, not equality)."""
    if type(rule) is not Rule:
        return False
    return _VETTED.get(id(rule)) is rule or _is_factory_product(rule)


def vetted_rules() -> tuple[Rule, ...]:
    """The vetted rules defined in the kernel's modules (factory products not included)."""
    return tuple(sorted(_VETTED.values(), key=lambda rule: rule.name))


def untrusted(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    """The rules of ``rules`` that are not vetted, in order."""
    return tuple(rule for rule in rules if not is_vetted(rule))


def decide_equal(a: Expr, b: Expr, context: Context) -> str | None:
    """How the kernel decides ``a = b`` for symbolic ``n`` (a route text), or None.

    Only by the canonical form of ``a − b``, which is built from vetted rules alone. (The
    stable forms' own rewrites are vetted rules of :mod:`~divsym.kernel.stable_rules`, so no
    extra normalisation is needed to confirm them.)
    """
    if canonical_form(a - b, context) == 0:
        return "canonical form"
    return None


def lemmas_used(exprs: Iterable[Expr]) -> tuple[str, ...]:
    """The lemma ids named by the node classes appearing anywhere in ``exprs``, sorted.

    A node class whose SymPy assumption is hand-set (``_eval_is_nonnegative`` answering from
    a fact, not from its definition) declares ``lemma: ClassVar[str]``, the id of the
    derivation that proves the fact.
    """
    found: set[str] = set()
    for expr in exprs:
        for node in preorder_traversal(expr):
            lemma = getattr(type(node), "lemma", None)
            if isinstance(lemma, str) and lemma:
                found.add(lemma)
    return tuple(sorted(found))


def unfold_lemma_nodes(expr: Expr, lemma: str) -> Expr | None:
    """``expr`` with every node naming ``lemma`` replaced by its definition, or None if some
    such node has no definition to unfold to.

    A lemma's own derivation is checked this way, so it cannot rely on its own hand-set
    assumption.
    """
    unfoldable = True

    def bears(e: Basic) -> bool:
        return getattr(type(e), "lemma", None) == lemma

    def unfold(e: Basic) -> Basic:
        nonlocal unfoldable
        definition = getattr(e, "definition", None)
        if callable(definition):
            try:
                return definition()  # type: ignore[no-any-return]
            except NotImplementedError:
                pass
        if hasattr(e, "_eval_rewrite_as_log"):
            return e.rewrite(log)
        unfoldable = False
        return e

    result = expr.replace(bears, unfold)
    return result if unfoldable else None  # type: ignore[no-any-return]
