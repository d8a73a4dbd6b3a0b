"""The trust registry holds only the kernel's own, documented rules; node classes are not there.

Every Rule the kernel trusts must say what it does (a name, a one-line description) and be
defined in ``divsym/kernel``; every custom SymPy node class lives in ``divsym/symbols``
(ARCHITECTURE.md), not in the kernel.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from sympy import Basic, Expr, Function, Symbol

import divsym.kernel
from divsym.kernel.calculus_rules import split_sum_at
from divsym.kernel.context import Context
from divsym.kernel.rules import Rule
from divsym.kernel.trust import is_vetted, vetted_rules

KERNEL = Path(divsym.kernel.__file__).resolve().parent
_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _problems(rule: Rule) -> list[str]:
    """What is wrong with ``rule`` as a registered rule (empty when nothing is)."""
    found = []
    if not _NAME.fullmatch(rule.name):
        found.append(f"name {rule.name!r} is not lower-case words joined by hyphens")
    description = rule.description
    if not description.strip() or "\n" in description or description != description.strip():
        found.append(f"description {description!r} is not one line of text")
    module = getattr(rule.apply, "__module__", "") or ""
    if not module.startswith("divsym.kernel."):
        found.append(f"its function is defined in {module!r}, not in divsym.kernel")
    try:
        source = Path(inspect.getfile(rule.apply)).resolve()
    except TypeError:
        found.append("its function has no source file")
    else:
        if source.parent != KERNEL:
            found.append(f"its function is defined in {source.name}, outside divsym/kernel")
    return found


REGISTRY = vetted_rules()


def test_the_registry_is_not_empty_and_names_are_unique() -> None:
    names = [rule.name for rule in REGISTRY]
    assert len(names) >= 31  # 31 rules when this test was written
    assert len(names) == len(set(names))
    assert {"combine-exponentials", "fold-x-minus-log1p", "differentiate"} <= set(names)


@pytest.mark.parametrize("rule", REGISTRY, ids=lambda rule: rule.name)
def test_every_registered_rule_is_named_described_and_defined_in_the_kernel(rule: Rule) -> None:
    assert _problems(rule) == []
    assert is_vetted(rule)


def test_factory_products_are_named_described_and_defined_in_the_kernel() -> None:
    rule = split_sum_at(Symbol("m", integer=True))
    assert is_vetted(rule)
    assert _problems(rule) == []


def _identity(expr: Expr, context: Context) -> Expr:
    return expr


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        (Rule("Bad Name", "fine", divsym.kernel.rules.RULES["split-sums"].apply), "name"),
        (Rule("ok", "", divsym.kernel.rules.RULES["split-sums"].apply), "description"),
        (Rule("ok", "two\nlines", divsym.kernel.rules.RULES["split-sums"].apply), "description"),
        (Rule("ok", "defined in a test", _identity), "not in divsym.kernel"),
    ],
)
def test_the_checker_flags_a_bad_rule(rule: Rule, complaint: str) -> None:
    problems = _problems(rule)
    assert any(complaint in problem for problem in problems), problems


def _kernel_modules() -> list[str]:
    return sorted(f"divsym.kernel.{info.name}" for info in pkgutil.iter_modules([str(KERNEL)]))


def _node_classes_defined_in(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    return [
        name
        for name, value in vars(module).items()
        if inspect.isclass(value) and issubclass(value, Basic) and value.__module__ == module_name
    ]


@pytest.mark.parametrize("module_name", _kernel_modules())
def test_no_kernel_module_defines_a_node_class(module_name: str) -> None:
    # ArgOptimum and CommutativeLimit were kernel classes; they are in symbols/ now.
    assert _node_classes_defined_in(module_name) == []


def test_the_node_class_check_finds_a_node_class() -> None:
    assert "ArgOptimum" in _node_classes_defined_in("divsym.symbols.optimum")
    assert "CommutativeLimit" in _node_classes_defined_in("divsym.symbols.limits")
    assert issubclass(importlib.import_module("divsym.symbols.stable").XMinusLog1p, Function)
