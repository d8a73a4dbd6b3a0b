"""The mpmath references: the definitions at 50 digits, with the conventions, at known values."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys

import mpmath
import numpy as np
import pytest
from sympy import Symbol, sin

from divsym import reference


def test_references_at_values_known_in_closed_form() -> None:
    # Compared at 60 digits (a comparison outside workdps would round to 15).
    with mpmath.workdps(60):
        log2 = mpmath.log(2)
        tolerance = mpmath.mpf(10) ** -48
        # log 2, and the JSD of disjoint distributions is log 2 (1 bit).
        assert abs(reference.entropy([0.5, 0.5]) - log2) < tolerance
        assert abs(reference.js_divergence([1.0, 0.0], [0.0, 1.0]) - log2) < tolerance
        assert abs(reference.js_distance([1.0, 0.0], [0.0, 1.0], base=2) - 1) < tolerance
        # D_KL([0.5, 0.5] ‖ [0.75, 0.25]) = ½ log(2/3) + ½ log 2 = ½ log(4/3); inputs exact.
        kl = reference.kl_divergence([0.5, 0.5], [0.75, 0.25])
        assert abs(kl - mpmath.log(mpmath.mpf(4) / 3) / 2) < tolerance
        assert abs(reference.nll([0.25, 0.75], 0, base=2) - 2) < tolerance
        # Conventions: 0·log 0 = 0, and q = 0 < p gives +inf.
        assert reference.entropy([1.0, 0.0]) == 0
        assert reference.kl_divergence([0.5, 0.5], [1.0, 0.0]) == mpmath.inf
        assert abs(reference.kl_divergence([1.0, 0.0], [0.5, 0.5]) - log2) < tolerance
        assert reference.cross_entropy([0.0, 1.0], [0.0, 1.0]) == 0


def test_softmax_reference_handles_logits_that_overflow_in_float64() -> None:
    values = reference.softmax([1e5, 1e5 - 1.0], T=2.0**-10)  # T exact in binary
    with mpmath.workdps(60):
        expected = mpmath.exp(-1024) / (1 + mpmath.exp(-1024))
        assert abs(values[1] / expected - 1) < mpmath.mpf(10) ** -45
    assert float(values[0]) == 1.0


def test_log_softmax_reference_resolves_the_dominant_class() -> None:
    values = reference.log_softmax([0.0, -200.0])
    # -log1p(e^-200) = -1.3838965267367376e-87 (e^-200 computed with mpmath, mp.dps = 50);
    # at 50 digits 1 + e^-200 rounds to 1, so the reference must use more.
    assert float(values[0]) == pytest.approx(-1.3838965267367376e-87, rel=1e-15)


def test_precision_is_not_changed_globally() -> None:
    before = mpmath.mp.dps
    reference.kl_divergence([0.5, 0.5], [0.25, 0.75])
    reference.log_softmax([0.0, -200.0])
    assert mpmath.mp.dps == before


def test_over_rows_and_relative_error() -> None:
    p = np.array([[0.5, 0.5], [1.0, 0.0]])
    values = reference.over_rows(reference.entropy, p)
    assert values.shape == (2,)
    assert reference.relative_error(np.log(2), values[0]) < 1e-16
    assert reference.relative_error(0.0, values[1]) == 0
    assert reference.relative_error(1.0, values[1]) == float("inf")
    assert reference.max_relative_error([np.log(2), 0.0], values) < 1e-16


def test_reference_shares_no_code_with_what_it_checks() -> None:
    # The oracle must not import the code generation or the numeric layer (nor lambdify):
    # a bug there would otherwise hide in both sides of every accuracy test.
    tree = ast.parse(inspect.getsource(reference))
    modules = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert not any(m.startswith(("divsym.codegen", "divsym.numeric")) for m in modules), modules
    assert "lambdify" not in names
    # Import it with the codegen and numeric layers made unimportable (and the package's own
    # __init__, which imports the numeric functions, skipped): it must still compute.
    script = """
import importlib.util, sys, types
spec = importlib.util.find_spec("divsym")
package = types.ModuleType("divsym")
package.__path__ = list(spec.submodule_search_locations)
sys.modules["divsym"] = package
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.startswith(("divsym.codegen", "divsym.numeric", "divsym.identities")):
            raise ImportError(f"blocked {name}")
sys.meta_path.insert(0, Block())
import divsym.reference
print(float(divsym.reference.kl_divergence([0.5, 0.5], [0.9, 0.1])))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0.5108256237659906", out.stdout + out.stderr


def test_reference_conventions_at_zero_are_its_own() -> None:
    # -p·log 0 = +inf (cross-entropy with q = 0 < p); p·log(p/0) = +inf; 0·log(0/q) = 0.
    assert reference.cross_entropy([0.5, 0.5], [1.0, 0.0]) == mpmath.inf
    with mpmath.workdps(60):
        assert abs(reference.kl_divergence([0.0, 1.0], [0.5, 0.5]) - mpmath.log(2)) < 1e-48
    assert reference.js_divergence([0.0, 1.0], [0.0, 1.0]) == 0
    assert reference.nll([1.0, 0.0], 1) == mpmath.inf


def test_reference_refuses_a_node_it_does_not_know() -> None:
    x = Symbol("x")
    with pytest.raises(TypeError, match="cannot evaluate sin"):
        reference._evaluate(sin(x), {x: mpmath.mpf(1)})
