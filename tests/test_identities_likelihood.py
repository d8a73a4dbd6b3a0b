"""i.i.d. factorisation, log-likelihood, MLE → NLL: proved for symbolic N; wrong variants fail."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from sympy import Add, Expr, Product, Sum, log

from divsym.identities.likelihood import (
    N,
    likelihood_factorisation,
    log_likelihood,
    mle_to_nll,
    p_x,
    p_xy,
    y,
)
from divsym.kernel.backstop import instantiate, sample_point
from divsym.kernel.derivation import Derivation
from divsym.kernel.verify import Status, verify
from divsym.render.latex import to_latex
from divsym.symbols.conditional import ModelConditional, TrueConditional, theta
from divsym.symbols.likelihood import DataProbability, ModelLikelihood
from divsym.symbols.notation import i
from divsym.symbols.optimum import ArgMax, ArgMin

FACTORIES: dict[str, Callable[[], Derivation]] = {
    "likelihood-factorisation": likelihood_factorisation,
    "log-likelihood": log_likelihood,
    "mle-to-nll": mle_to_nll,
}

DATA_TERM = Sum(log(p_x[i]), (i, 1, N))
MODEL_TERM = Sum(log(ModelConditional(y[i], i, theta)), (i, 1, N))


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_derivation_is_proved_for_symbolic_data_size(name: str) -> None:
    derivation = FACTORIES[name]()
    assert derivation.id == name
    assert derivation.context.classes == N  # the backstop instantiates the data size
    report = verify(derivation)
    assert report.status is Status.PROVED, report
    assert all(step.status is Status.PROVED for step in report.steps), report
    assert all("50 digits" in step.backstop for step in report.steps)


def test_backstop_writes_the_products_over_the_data_out() -> None:
    # With N instantiated every data point gets its own sampled p(x_k) and label y_k.
    derivation = log_likelihood()
    concrete = instantiate(derivation.steps[1].expr, derivation.context, 3)
    assert not concrete.has(Product)
    values = sample_point((concrete,), derivation.context, 3, random.Random(0))
    assert all(p_x[k] in values and y[k] in values for k in (1, 2, 3))
    assert all(0.01 <= float(values[p_x[k]]) <= 1.0 for k in (1, 2, 3))


MUTATIONS: dict[str, tuple[str, int, Expr]] = {
    "product rule without the marginal": (
        "likelihood-factorisation",
        2,
        Product(TrueConditional(p_xy, p_x, i), (i, 1, N)),
    ),
    "i.i.d. as a sum instead of a product": (
        "likelihood-factorisation",
        1,
        Sum(p_xy[i], (i, 1, N)),
    ),
    "log-likelihood with the model term dropped": ("log-likelihood", 3, DATA_TERM),
    "log-likelihood with a flipped sign": (
        "log-likelihood",
        3,
        Add(DATA_TERM, -MODEL_TERM, evaluate=False),
    ),
    "argmax and argmin confused": ("mle-to-nll", 4, ArgMax(-MODEL_TERM, theta)),
    "the θ-dependent term dropped": ("mle-to-nll", 3, ArgMax(DATA_TERM, theta)),
    "NLL without its minus sign": ("mle-to-nll", 4, ArgMin(MODEL_TERM, theta)),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_wrong_step_is_reported_failed(mutation: str) -> None:
    name, index, expr = MUTATIONS[mutation]
    report = verify(FACTORIES[name]().with_step(index, expr, rules=()))
    assert report.status is Status.FAILED, f"{mutation}: {report}"


@pytest.mark.parametrize(
    ("node", "tex"),
    [
        (DataProbability(p_xy, i, N), "p(D)"),
        (ModelLikelihood(p_x, y, i, theta, N), r"p_\theta(D)"),
        (p_x[i], "p(x_i)"),
        (p_xy[i], "p(x_i, y_i)"),
        (TrueConditional(p_xy, p_x, i), r"p(y_i \mid x_i)"),
        (ModelConditional(y[i], i, theta), r"p_\theta(y_i \mid x_i)"),
        (ArgMax(MODEL_TERM, theta), r"\operatorname{argmax}_{\theta}"),
    ],
)
def test_node_prints_in_lecture_notation(node: Expr, tex: str) -> None:
    assert to_latex(node).startswith(tex)


def test_conditional_probability_is_joint_over_marginal() -> None:
    assert TrueConditional(p_xy, p_x, i).doit() == p_xy[i] / p_x[i]
