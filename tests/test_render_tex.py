"""The LaTeX helper: commands, environments, prose with Unicode, and refusing broken output."""

from __future__ import annotations

from typing import Any

import pytest

from divsym.render.layout import math_width, split_top_level
from divsym.render.markdown import markdown_cell, markdown_text
from divsym.render.tex import (
    UNICODE_MATH,
    RenderError,
    check_tex,
    command,
    environment,
    join,
    text,
    unicode_declarations,
)


def test_command_and_environment() -> None:
    assert command("section", "Softmax") == r"\section{Softmax}"
    assert command("hyperref", "t", optional="id") == r"\hyperref[id]{t}"
    assert command("item") == r"\item"
    assert (
        environment("align*", ["a &= b", "&= c"]) == "\\begin{align*}\na &= b\n&= c\n\\end{align*}"
    )
    assert join("a", "", "b") == "a\nb"


def test_command_name_is_checked() -> None:
    with pytest.raises(RenderError, match="not a LaTeX command"):
        command("sec tion", "x")


@pytest.mark.parametrize(
    ("plain", "tex"),
    [
        ("50% & $1", None),
        ("50% & more", r"50\% \& more"),
        ("p(y|x) < 1", r"p(y\ensuremath{|}x) \ensuremath{<} 1"),
        ("D_KL(P ‖ Q) ≥ 0", r"D\textsubscript{KL}(P ‖ Q) ≥ 0"),
        ("unfold_definitions, x_1234", r"unfold\_definitions, x\_1234"),
        ('the "one-hot" target', "the ``one-hot'' target"),
        ("keep $\\sum_j p_j$ as math", "keep $\\sum_j p_j$ as math"),
        ("x^2 ~ {a}", r"x\textsuperscript{2} \~{} \{a\}"),
        ("2^10 ^", r"2\textsuperscript{10} \^{}"),
    ],
)
def test_prose_is_escaped_and_math_kept(plain: str, tex: str | None) -> None:
    if tex is None:
        with pytest.raises(RenderError, match=r"unbalanced \$"):
            text(plain)
    else:
        assert text(plain) == tex


def test_unknown_unicode_is_refused_not_typeset_as_garbage() -> None:
    with pytest.raises(RenderError, match=r"U\+2603"):
        text("a snowman ☃")
    with pytest.raises(RenderError, match=r"U\+AC1C"):
        text("1개의 class, unquoted")


def test_a_korean_quotation_is_left_to_the_markdown_edition() -> None:
    quoted = 'the margin note "1개의 class / 남은 나머지는 전부 0" ("only one class")'
    assert (
        text(quoted)
        == "the margin note [Korean original quoted in lecture.md] (``only one class'')"
    )
    assert "1개의 class" in markdown_text(quoted)


def test_every_allowed_unicode_character_is_declared_for_pdflatex() -> None:
    declarations = unicode_declarations()
    for char, tex in UNICODE_MATH.items():
        assert rf"\newunicodechar{{{char}}}{{\ensuremath{{{tex}}}}}" in declarations


@pytest.mark.parametrize(
    ("tex", "message"),
    [
        (r"\frac{a}{b", "unbalanced braces"),
        (r"a}", "unbalanced braces"),
        (r"\left( a", r"1 \\left but 0 \\right"),
        ("\\begin{align*}\na\n\\end{aligned}", "without its"),
        ("\\begin{align*}\na", "left open"),
        (r"\log nan", "undefined value"),
        (r"x + zoo", "undefined value"),
    ],
)
def test_broken_latex_is_refused(tex: str, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        check_tex(tex, "here")


def test_sound_latex_passes_unchanged() -> None:
    tex = r"\begin{align*} \left(\frac{a}{b}\right) \{ \end{align*}"
    assert check_tex(tex.replace(r"\{", r"\{\}"), "here") == tex.replace(r"\{", r"\{\}")


def test_width_estimate_orders_expressions_sensibly() -> None:
    assert math_width(r"\frac{p_i}{q_i}") < math_width("p_i q_i")
    assert math_width(r"\sum_i p_i \log q_i") < math_width(r"\sum_i p_i \log q_i + \sum_i p_i")
    assert math_width(r"\left(a\right)") == math_width("(a)")


def test_split_at_top_level_equals_only() -> None:
    assert split_top_level(r"a = \sum_{i=1} b = c") == ["a", r"\sum_{i=1} b", "c"]
    assert split_top_level(r"= x = y") == ["", "x", "y"]
    assert split_top_level(r"\left(a = b\right)") == [r"\left(a = b\right)"]


def test_markdown_prose_and_cells() -> None:
    assert markdown_text("p_i * q_i [x]") == r"p\_i \* q\_i \[x\]"
    assert markdown_text("keep $p_i$") == "keep $p_i$"
    assert markdown_cell("$p(y|x)$") == r"$p(y\|x)$"


@pytest.mark.parametrize(
    ("build", "subtracted"),
    [
        (lambda x, y: x, "- x"),
        (lambda x, y: x - y, r"- \left(x - y\right)"),
        (lambda x, y: -2 * y, r"- \left(- 2 y\right)"),
    ],
    ids=["symbol", "difference", "negative"],
)
def test_exp_minus_one_minus_x_subtracts_the_whole_argument(build: Any, subtracted: str) -> None:
    """e^d − 1 − d with d = δ − c printed as '… − 1 − δ − c' subtracted only δ (a sign error
    in the rendered kl-logit-stable-form); the exponential is set as exp(…) like any other."""
    from sympy import Symbol

    from divsym.render.latex import to_latex
    from divsym.symbols.stable import Expm1MinusX

    tex = to_latex(Expm1MinusX(build(Symbol("x"), Symbol("y"))))
    assert tex.endswith(rf"- 1 {subtracted}\right)"), tex
    assert "e^{" not in tex
