"""A sum's limits read as one counts: ``\\sum_{j=m + 1}^{n}``, never SymPy's ``1 + m``."""

from __future__ import annotations

from sympy import Sum, Symbol

from divsym.render.latex import LectureLatexPrinter
from divsym.symbols.notation import j, n, z

m = Symbol("m", integer=True, positive=True)


def test_the_number_in_a_lower_limit_comes_last() -> None:
    tex = LectureLatexPrinter().doprint(Sum(z[j], (j, m + 1, n)))
    assert tex.startswith(r"\sum_{j=m + 1}^{n}"), tex


def test_a_limit_without_a_number_is_unchanged() -> None:
    tex = LectureLatexPrinter().doprint(Sum(z[j], (j, m, n - m)))
    assert tex.startswith(r"\sum_{j=m}^{- m + n}") or tex.startswith(r"\sum_{j=m}^{n - m}"), tex


def test_sympy_alone_would_print_one_plus_m() -> None:
    # The reason for the rule: without it the limit reads 1 + m.
    from sympy import latex

    assert "1 + m" in latex(Sum(z[j], (j, m + 1, n)), order="none")
