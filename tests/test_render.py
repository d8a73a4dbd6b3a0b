"""LaTeX in the lecture's notation, pinned string by string."""

from __future__ import annotations

import pytest
from sympy import (
    Add,
    Basic,
    Derivative,
    Eq,
    Expr,
    Function,
    Ge,
    KroneckerDelta,
    Limit,
    Mul,
    Piecewise,
    Product,
    Rational,
    S,
    Sum,
    Symbol,
    exp,
    log,
    oo,
    preorder_traversal,
)

from divsym.identities import all_derivations
from divsym.kernel.verify import DerivationReport, Status, StepReport
from divsym.render.latex import to_latex, upright_names
from divsym.render.layout import break_terms
from divsym.render.status import prefix_status, status_sentence, step_status
from divsym.symbols.definitions import information, softmax
from divsym.symbols.notation import T, c, i, j, k, n, p, q, z
from divsym.symbols.quantities import CrossEntropy, Entropy, JSDivergence, KLDivergence

y = Symbol("y", integer=True, positive=True)
N = Symbol("N", integer=True, positive=True)
f = Function("f")


@pytest.mark.parametrize(
    ("expr", "tex"),
    [
        pytest.param(Entropy(p), "H(P)", id="entropy"),
        pytest.param(CrossEntropy(p, q), "H(P, Q)", id="cross-entropy"),
        pytest.param(KLDivergence(p, q), r"D_{\mathrm{KL}}(P \parallel Q)", id="kl"),
        pytest.param(JSDivergence(p, q), r"\operatorname{JSD}(P \parallel Q)", id="jsd"),
        pytest.param(
            softmax(z, T), r"\frac{\exp(z_i/T)}{\sum_j \exp(z_j/T)}", id="softmax-lecture-eq-1"
        ),
        pytest.param(information(p[i], 2), r"- \log_2 p_i", id="information-log2"),
        pytest.param(
            Add(Mul(S.Half, KLDivergence(p, q)), Mul(S.Half, KLDivergence(q, p)), evaluate=False),
            r"\frac{1}{2} D_{\mathrm{KL}}(P \parallel Q) + \frac{1}{2} D_{\mathrm{KL}}(Q \parallel P)",
            id="half-kl",
        ),
    ],
)
def test_named_quantity_notation(expr: object, tex: str) -> None:
    assert to_latex(expr) == tex  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expr", "tex"),
    [
        pytest.param(p[i], "p_i", id="indexed-no-braces"),
        pytest.param(z[j], "z_j", id="logit"),
        pytest.param(log(q[i]), r"\log q_i", id="log-bare"),
        pytest.param(log(p[i] / q[i]), r"\log \frac{p_i}{q_i}", id="log-of-fraction"),
        pytest.param(log(p[i] + q[i]), r"\log\left(p_i + q_i\right)", id="log-of-sum"),
        pytest.param(log(2), r"\log 2", id="log-of-number"),
        pytest.param(-Sum(p[i] * log(q[i]), (i, 1, n)), r"- \sum_i p_i \log q_i", id="sum"),
        pytest.param(Sum(p[i], (i, 1, N)), r"\sum_{i=1}^N p_i", id="sum-other-range"),
        pytest.param(Product(p[i], (i, 1, N)), r"\prod_{i=1}^N p_i", id="product"),
        pytest.param(exp(z[i] / T), r"\exp(z_i/T)", id="exp-not-e"),
        pytest.param(exp((z[i] - c) / T), r"\exp((z_i - c)/T)", id="exp-shifted"),
        pytest.param(
            (q[i] - p[i]) / p[i], r"\frac{q_i - p_i}{p_i}", id="sorted-sum-positive-first"
        ),
        pytest.param(-p[i] - q[i], r"- p_i - q_i", id="sorted-sum-all-negative"),
        pytest.param(KroneckerDelta(i, k), r"\delta_{ik}", id="kronecker"),
        pytest.param(
            Sum(KroneckerDelta(i, y) * log(q[i]), (i, 1, n)),
            r"\sum_i \delta_{iy} \log q_i",
            id="kronecker-sum",
        ),
        pytest.param(
            Derivative(softmax(z, T), T),
            r"\frac{\partial}{\partial T} \frac{\exp(z_i/T)}{\sum_j \exp(z_j/T)}",
            id="derivative-of-expression",
        ),
        pytest.param(
            Derivative(f(T), T), r"\frac{\partial f{\left(T \right)}}{\partial T}", id="df-dT"
        ),
        pytest.param(
            Derivative(f(T), T, 2),
            r"\frac{\partial^2 f{\left(T \right)}}{\partial T^2}",
            id="second-derivative",
        ),
        pytest.param(
            Limit(softmax(z, T), T, oo),
            r"\lim_{T \to \infty}\left(\frac{\exp(z_i/T)}{\sum_j \exp(z_j/T)}\right)",
            id="limit",
        ),
        pytest.param(
            Piecewise((log(q[y]), y <= n), (0, True)),
            r"\begin{cases} \log q_y & \text{for}\: n \geq y \\0 & \text{otherwise} \end{cases}",
            id="piecewise",
        ),
        pytest.param(
            Ge(KLDivergence(p, q), 0, evaluate=False),
            r"D_{\mathrm{KL}}(P \parallel Q) \geq 0",
            id="ge",
        ),
        pytest.param(Eq(p[i], q[i]), "p_i = q_i", id="relation-eq"),
        pytest.param(
            Mul(log(q[i]), p[i], evaluate=False), r"\log q_i p_i", id="unevaluated-mul-order"
        ),
        pytest.param(
            Add(
                -Sum(p[i] * log(q[i]), (i, 1, n)), Sum(p[i] * log(p[i]), (i, 1, n)), evaluate=False
            ),
            r"- \sum_i p_i \log q_i + \sum_i p_i \log p_i",
            id="unevaluated-add-order",
        ),
        pytest.param(
            Rational(1, 2) * p[i] * log(p[i] / q[i]),
            r"\frac{1}{2} p_i \log \frac{p_i}{q_i}",
            id="half-in-front",
        ),
        pytest.param(
            Mul(Rational(1, 2), p[i] + q[i], evaluate=False), r"\frac{p_i + q_i}{2}", id="mean"
        ),
        pytest.param(
            -Rational(1, 2) * KLDivergence(p, q), r"- \frac{1}{2} D_{\mathrm{KL}}(P \parallel Q)"
        ),
    ],
)
def test_lecture_notation(expr: object, tex: str) -> None:
    assert to_latex(expr) == tex  # type: ignore[arg-type]


def test_undefined_values_are_refused() -> None:
    with pytest.raises(ValueError, match="undefined"):
        to_latex(S.NaN + p[i])


def _report(status: Status, fixed: tuple[int, ...] = ()) -> DerivationReport:
    return DerivationReport("x", "x", status, fixed, (), 0.0)


@pytest.mark.parametrize(
    ("report", "sentence"),
    [
        (_report(Status.PROVED), "proved for all n"),
        (_report(Status.PROVED_FIXED_N, (2, 3)), "proved for n = 2, 3 only"),
        (_report(Status.CHECKED_NUMERICALLY), "checked numerically only (not proved)"),
        (_report(Status.FAILED), "FAILED verification"),
    ],
)
def test_status_sentence_never_overclaims(report: DerivationReport, sentence: str) -> None:
    assert status_sentence(report) == sentence


def test_an_equation_gets_the_weakest_status_of_the_steps_that_reach_it() -> None:
    steps = (
        StepReport(1, Status.PROVED, "canonical form", ""),
        StepReport(2, Status.PROVED_FIXED_N, "fixed n = 2, 3", "", (2, 3)),
        StepReport(3, Status.CHECKED_NUMERICALLY, "numeric backstop only", ""),
    )
    report = DerivationReport("x", "x", Status.CHECKED_NUMERICALLY, (), steps, 0.0)
    assert prefix_status(report, 1) == "proved for all n"
    assert prefix_status(report, 2) == "proved for n = 2, 3 only"
    assert prefix_status(report, 3) == "checked numerically only (not proved)"
    assert prefix_status(report, None) == "checked numerically only (not proved)"
    with pytest.raises(ValueError, match="3 checked steps"):
        prefix_status(report, 4)


@pytest.mark.parametrize(
    ("step", "words"),
    [
        (StepReport(1, Status.PROVED, "canonical form", ""), "proved (canonical form)"),
        (StepReport(1, Status.PROVED_FIXED_N, "fixed n = 2", "", (2,)), "proved for n = 2 only"),
        (
            StepReport(1, Status.CHECKED_NUMERICALLY, "numeric backstop only", ""),
            "checked numerically only (not proved)",
        ),
        (
            StepReport(1, Status.FAILED, "numeric backstop disagrees", ""),
            "FAILED (numeric backstop disagrees)",
        ),
    ],
)
def test_step_status_names_its_route(step: StepReport, words: str) -> None:
    assert step_status(step) == words


def _first_of_each_node() -> dict[str, Basic]:
    """The first instance of every divsym node class in the derivations, by class name."""
    found: dict[str, Basic] = {}
    for derivation in all_derivations():
        for step in derivation.steps:
            for node in preorder_traversal(step.expr):
                name = type(node).__name__
                if type(node).__module__.startswith("divsym") and name not in found:
                    found[name] = node
    return found


NODES = _first_of_each_node()


@pytest.mark.parametrize(
    ("node", "tex"),
    [
        ("SoftmaxProbability", "q_i"),
        ("DataProbability", "p(D)"),
        ("DataEntry", "p(x_i, y_i)"),
        ("TrueConditional", r"p(y_i \mid x_i)"),
        ("ModelLikelihood", r"p_\theta(D)"),
        ("ModelConditional", r"p_\theta(y_i \mid x_i)"),
        ("ArgMax", r"\operatorname{argmax}_{\theta} p_\theta(D)"),
        ("Entropy", "H(P)"),
        ("CrossEntropy", "H(P, Q)"),
        ("KLDivergence", r"D_{\mathrm{KL}}(P \parallel Q)"),
        ("JSDivergence", r"\operatorname{JSD}(P \parallel Q)"),
        ("MixtureKL", r"D_{\mathrm{KL}}\left(P \parallel \frac{P+Q}{2}\right)"),
        ("Information", "I_P(x_i)"),
        ("Log2", r"\log_2 p_i"),
        ("Expectation", r"E_P\left[I_P(x_i)\right]"),
        ("PointCrossEntropy", r"H(p, p_\theta)"),
        ("PointKL", r"D_{\mathrm{KL}}(p \parallel p_\theta)"),
        ("OneHotTarget", r"p(y \mid x_i)"),
        ("PointNLL", r"\mathrm{NLL}"),
    ],
)
def test_named_quantity_in_the_derivations_prints_in_lecture_notation(node: str, tex: str) -> None:
    assert node in NODES, f"no {node} in any derivation any more"
    assert to_latex(NODES[node]) == tex


def test_status_names_the_data_size_for_derivations_over_the_data() -> None:
    report = DerivationReport("x", "x", Status.PROVED, (), (), 0.0, "N")
    assert status_sentence(report) == "proved for all N"
    fixed = DerivationReport("x", "x", Status.PROVED_FIXED_N, (2, 3), (), 0.0, "N")
    assert status_sentence(fixed) == "proved for N = 2, 3 only"


# --- sign order and brackets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "tex"),
    [
        pytest.param(Add(-q[k], KroneckerDelta(i, k)), r"\delta_{ik} - q_k", id="delta-minus-q"),
        pytest.param(-log(Sum(exp(z[j] / T), (j, 1, n))) + z[i] / T, None, id="log-last"),
        pytest.param((z[i] - Sum(z[j] * q[j], (j, 1, n))) ** 2 * q[i], None, id="square-times-q"),
    ],
)
def test_a_sum_starts_with_a_positive_term(expr: Expr, tex: str | None) -> None:
    printed = to_latex(expr)
    assert not printed.startswith("-"), printed
    assert "(-" not in printed.replace(" ", ""), printed
    if tex is not None:
        assert printed == tex


def test_the_lectures_minus_sum_plus_sum_line_keeps_its_order() -> None:
    line = Add(-Sum(p[i] * log(q[i]), (i, 1, n)), Sum(p[i] * log(p[i]), (i, 1, n)))
    assert to_latex(line).startswith(r"- \sum_i p_i \log q_i + ")
    # ... but only as a whole line: inside a product the positive Sum comes first.
    assert to_latex(line * T).startswith(r"T \left(\sum_i p_i \log p_i - ")


def test_a_power_of_a_sum_gets_one_pair_of_brackets() -> None:
    square = (z[i] - Sum(z[j] * q[j], (j, 1, n))) ** 2
    printed = to_latex(square * q[i])
    assert printed == r"\left(z_i - \sum_j z_j q_j\right)^2 q_i"
    # A bare Sum that is not the last factor still needs its brackets: Σ_j z_j times q_i.
    sum_first = Mul(Sum(z[j], (j, 1, n)), q[i], evaluate=False)
    assert to_latex(sum_first) == r"\left(\sum_j z_j\right) q_i"


def test_the_line_breaker_uses_the_printers_order() -> None:
    terms = [-Symbol(f"a_{m}") * log(q[i]) for m in range(10)] + [z[i] ** 2]
    lines = break_terms(Add(*terms))
    assert len(lines) > 1
    assert lines[0].startswith("z_i^2"), lines


@pytest.mark.parametrize(
    ("tex", "upright"),
    [
        (r"JSD(P \parallel Q)", r"\operatorname{JSD}(P \parallel Q)"),
        (r"D_{KL}(P \parallel Q)", r"D_{\mathrm{KL}}(P \parallel Q)"),
        (r"\operatorname{JSD}(P)", r"\operatorname{JSD}(P)"),
        (r"\mathrm{NLL}", r"\mathrm{NLL}"),
        (r"\mathrm{Var}_q", r"\mathrm{Var}_q"),
    ],
)
def test_operator_names_are_upright_once(tex: str, upright: str) -> None:
    assert upright_names(tex) == upright
