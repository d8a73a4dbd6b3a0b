"""Using the numeric layer imports no SymPy: its functions are generated at build time."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    script = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_numeric_functions_import_no_sympy_and_no_codegen() -> None:
    modules = _modules_after("import divsym.numeric.functions")
    assert "divsym.numeric.functions" in modules
    assert "divsym.numeric._generated" in modules
    heavy = {m for m in modules if m.split(".")[0] in {"sympy", "mpmath"}}
    assert not heavy, sorted(heavy)[:5]
    assert not {m for m in modules if m.startswith(("divsym.codegen", "divsym.identities"))}


def test_the_check_sees_sympy_when_it_is_imported() -> None:
    # The probe above must be able to fail: the code generation does import SymPy.
    assert "sympy" in _modules_after("import divsym.codegen")
