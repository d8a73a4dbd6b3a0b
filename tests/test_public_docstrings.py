"""Every public callable of divsym has a numpydoc docstring: Parameters, Returns (and Raises).

Walks ``divsym.__all__``, ``divsym.testing.__all__`` and ``divsym.plotting.__all__``: a function
needs a Parameters section when it takes arguments and a Returns section when it returns
something; a class needs Parameters, and each public method it defines is held to the function
rule. The docstrings are parsed with numpydoc's own parser, so a heading without the dashed
underline, or a section with no entries, does not count.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from numpydoc.docscrape import NumpyDocString  # type: ignore[import-untyped]

import divsym
import divsym.plotting
import divsym.testing

MODULES: tuple[ModuleType, ...] = (divsym, divsym.testing, divsym.plotting)


def _public() -> Iterator[tuple[str, Any]]:
    for module in MODULES:
        for name in module.__all__:
            value = getattr(module, name)
            if callable(value):
                yield f"{module.__name__}.{name}", value


def _function_problems(function: Callable[..., Any]) -> list[str]:
    doc = NumpyDocString(inspect.getdoc(function) or "")
    signature = inspect.signature(function)
    arguments = [p for p in signature.parameters if p not in ("self", "cls")]
    problems = []
    if arguments and not doc["Parameters"]:
        problems.append("no Parameters section")
    documented = {name.strip() for entry in doc["Parameters"] for name in entry.name.split(",")}
    missing = [a for a in arguments if a not in documented]
    if doc["Parameters"] and missing:
        problems.append(f"parameters not documented: {missing}")
    if signature.return_annotation not in (None, "None") and not doc["Returns"]:
        problems.append("no Returns section")
    return problems


def docstring_problems(value: Any) -> list[str]:
    """What the numpydoc docstring of the function or class ``value`` lacks."""
    if not inspect.isclass(value):
        return _function_problems(value)
    doc = NumpyDocString(inspect.getdoc(value) or "")
    problems = [] if doc["Parameters"] else ["no Parameters section"]
    for name, member in vars(value).items():
        if not name.startswith("_") and inspect.isfunction(member):
            problems += [f"{name}: {p}" for p in _function_problems(member)]
    return problems


@pytest.mark.parametrize(
    ("name", "value"),
    [pytest.param(name, value, id=name) for name, value in _public()],
)
def test_public_callable_has_numpydoc_sections(name: str, value: Any) -> None:
    assert not docstring_problems(value), (name, docstring_problems(value))


def test_the_walk_reaches_the_array_functions_and_the_engine() -> None:
    names = {name for name, _ in _public()}
    assert {"divsym.kl_divergence", "divsym.verify", "divsym.Derivation"} <= names


def _bare(x: int, y: int) -> int:
    """Add two numbers (no sections)."""
    return x + y


def _half(x: int, y: int) -> int:
    """Add two numbers.

    Parameters
    ----------
    x : int
        The first.

    Returns
    -------
    int
        The sum.
    """
    return x + y


class _Undocumented:
    """A class without a Parameters section."""

    def method(self, value: int) -> int:
        """Parameters but no underline.

        Parameters
        value : int
        """
        return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (_bare, ["no Parameters section", "no Returns section"]),
        (_half, ["parameters not documented: ['y']"]),
        (
            _Undocumented,
            [
                "no Parameters section",
                "method: no Parameters section",
                "method: no Returns section",
            ],
        ),
    ],
)
def test_the_check_finds_missing_sections(value: Any, expected: list[str]) -> None:
    assert docstring_problems(value) == expected
