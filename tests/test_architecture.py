"""The package's import graph: layers, no upward arrow, no cycle (ARCHITECTURE.md).

Every ``import`` statement of every module is read with ``ast`` — those inside functions too,
because a deferred import is still an arrow — and mapped to the layer of the module it names.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "divsym"

#: Bottom to top. A module may import modules of its own layer or of a lower one. Folders of
#: the same rank sit side by side and must not import each other.
LAYERS: dict[str, int] = {
    "symbols": 0,
    "kernel": 1,
    "identities": 2,
    "codegen": 3,
    "numeric": 3,
    "render": 3,
    "reference": 3,
    "api": 4,
    "display": 4,
    "plotting": 4,
    "testing": 4,
    "testing_cases": 3,
    "cli": 5,
    "__init__": 5,
    "__main__": 6,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(module: str) -> str:
    """The folder (or top-level module) of ``divsym.x.y`` that carries the layer: ``x``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    return _imports_from_source(path.read_text(encoding="utf-8"), package)


def _imports_from_source(source: str, package: str) -> list[tuple[int, str]]:
    """``(line, module)`` for each import of a divsym module in ``source``; relative imports
    are resolved against ``package``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target == "divsym":  # ``from divsym import x`` names the submodule x
                found += [(node.lineno, f"divsym.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return [(line, name) for line, name in found if name.split(".")[0] == "divsym"]


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))
GRAPH = {_module_name(p): _imports(p) for p in MODULES}


def test_every_unit_of_the_package_has_a_layer() -> None:
    units = {_unit(name) for name in GRAPH}
    assert units <= set(LAYERS), f"folders or modules without a layer: {units - set(LAYERS)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_no_upward_or_sideways_import(path: Path) -> None:
    name = _module_name(path)
    own = _unit(name)
    wrong = []
    for line, target in _imports(path):
        if target == "divsym" and name != "divsym":
            wrong.append(f"line {line}: imports the package itself")
            continue
        other = _unit(target)
        if other == own:
            continue
        if LAYERS[other] > LAYERS[own] or LAYERS[other] == LAYERS[own]:
            wrong.append(f"line {line}: {name} ({own}) imports {target} ({other})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_modules() -> None:
    edges = {
        name: {t for _, t in targets if t in GRAPH and t != name} for name, targets in GRAPH.items()
    }
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycle.extend([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
                return True
            if nxt not in state and visit(nxt, [*trail, nxt]):
                return True
        state[node] = 2
        return False

    for start in sorted(edges):
        if start not in state and visit(start, [start]):
            break
    assert not cycle, " -> ".join(cycle)


def test_the_checker_sees_upward_and_deferred_imports() -> None:
    # A checker that cannot fail proves nothing: a kernel module importing render at the top
    # and the CLI inside a function is caught, relative imports included.
    source = "from ..render.latex import x\n\ndef f():\n    import divsym.cli.main\n"
    targets = [t for _, t in _imports_from_source(source, "divsym.kernel")]
    assert targets == ["divsym.render.latex", "divsym.cli.main"]
    assert all(LAYERS[_unit(t)] > LAYERS["kernel"] for t in targets)
