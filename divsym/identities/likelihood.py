"""Lecture sections "Data" and "Maximum likelihood": i.i.d. factorisation, log-likelihood, NLL.

Modelling (see :mod:`divsym.symbols.conditional`): the data set has a symbolic size ``N``; each
derivation puts ``N`` in ``Context.classes``, so the numeric backstop instantiates it and writes
the products out. ``p(x_i)``, ``p(x_i, y_i)`` are positive entries sampled in ``(0.01, 1)``;
``p(y_i | x_i)`` is defined as ``p(x_i, y_i)/p(x_i)``; the model ``p_θ(y_i | x_i)`` is an
opaque positive function of ``θ``.
"""

from __future__ import annotations

from sympy import Add, Product, Sum, Symbol, log

from divsym.kernel.context import Context
from divsym.kernel.derivation import Derivation, Step
from divsym.kernel.discrete_rules import log_of_product
from divsym.kernel.optimisation import argopt_drop_constant, argopt_log, argopt_negate
from divsym.kernel.rules import unfold_definitions
from divsym.symbols.conditional import Joint, Marginal, ModelConditional, TrueConditional, theta
from divsym.symbols.likelihood import DataProbability, ModelLikelihood, labels_base
from divsym.symbols.notation import i
from divsym.symbols.optimum import ArgMax, ArgMin

__all__ = ["N", "likelihood_factorisation", "log_likelihood", "mle_to_nll"]

#: Size of the training set D = {(x_1, y_1), …, (x_N, y_N)} (the lecture reuses n).
N = Symbol("N", integer=True, positive=True)

p_x = Marginal("p_x", positive=True)
p_xy = Joint("p_xy", positive=True)
y = labels_base()

_DATA = Context(classes=N, ranges={p_x: (0.01, 1.0), p_xy: (0.01, 1.0)})
_N_REMARK = (
    "The lecture indexes the data set by $n$, the number of classes elsewhere; here the data "
    "set has a symbolic size $N$, and $i = 1, \\dots, N$ runs over the data points."
)


def likelihood_factorisation() -> Derivation:
    """``p(D) = Π p(x_i, y_i) = Π p(x_i) p(y_i | x_i)`` for i.i.d. data."""
    return Derivation(
        id="likelihood-factorisation",
        title="The probability of i.i.d. data factorises",
        context=_DATA,
        section="data",
        remarks=(
            _N_REMARK,
            "The lecture's next line, eq. {eq:model-likelihood}, is not an equality but the "
            "model: the true $p(y_i \\mid x_i)$ is replaced by the model"
            " $p_\\theta(y_i \\mid x_i)$. divsym calls that model likelihood $p_\\theta(D)$ and"
            " uses it for the log-likelihood and for maximum likelihood in the next section.",
        ),
        steps=(
            Step(DataProbability(p_xy, i, N), "the probability of the training set D"),
            Step(
                Product(p_xy[i], (i, 1, N)),
                "eq. {eq:iid-factorisation}: the pairs $(x_i, y_i)$ are i.i.d., independent"
                " and each drawn from $p(x, y)$",
                rules=(unfold_definitions,),
            ),
            Step(
                Product(p_x[i] * TrueConditional(p_xy, p_x, i), (i, 1, N)),
                "the product rule $p(x, y) = p(x) \\, p(y \\mid x)$, which is the definition"
                " $p(y \\mid x) = p(x, y) / p(x)$",
            ),
        ),
    )


def _model_terms() -> tuple[Sum, Sum]:
    return Sum(log(p_x[i]), (i, 1, N)), Sum(log(ModelConditional(y[i], i, theta)), (i, 1, N))


def log_likelihood() -> Derivation:
    """``log p_θ(D) = log Π p(x_i) p_θ(y_i|x_i) = Σ log p(x_i) + Σ log p_θ(y_i|x_i)``."""
    data_term, model_term = _model_terms()
    return Derivation(
        id="log-likelihood",
        title="The log-likelihood is a sum over the data points",
        context=_DATA,
        section="mle",
        remarks=(_N_REMARK,),
        steps=(
            Step(
                log(ModelLikelihood(p_x, y, i, theta, N)),
                "the log of the model's probability of the data",
            ),
            Step(
                log(Product(p_x[i] * ModelConditional(y[i], i, theta), (i, 1, N))),
                "eq. {eq:model-likelihood}: the model $p_\\theta(y_i \\mid x_i)$ in place of the"
                " true $p(y_i \\mid x_i)$",
                rules=(unfold_definitions,),
            ),
            Step(
                Sum(log(p_x[i] * ModelConditional(y[i], i, theta)), (i, 1, N)),
                "the log of a product of positive factors is the sum of their logs",
                rules=(log_of_product,),
            ),
            Step(
                Add(data_term, model_term, evaluate=False),
                "$\\log (p(x_i) \\, p_\\theta(y_i \\mid x_i)) = \\log p(x_i)"
                " + \\log p_\\theta(y_i \\mid x_i)$; split the sum in two, as in"
                " eq. {eq:log-likelihood}",
            ),
        ),
    )


def mle_to_nll() -> Derivation:
    """``argmax_θ p_θ(D) = argmax_θ Σ log p_θ(y_i|x_i) = argmin_θ -Σ log p_θ(y_i|x_i)``."""
    data_term, model_term = _model_terms()
    likelihood = ModelLikelihood(p_x, y, i, theta, N)
    return Derivation(
        id="mle-to-nll",
        title="Maximum likelihood is minimum negative log-likelihood",
        context=_DATA,
        section="mle",
        remarks=(
            _N_REMARK,
            "An argmax or argmin here is the set of optimisers over $\\theta$; each step shows"
            " that the two objectives differ by a strictly increasing map (the logarithm), by a"
            " term that does not depend on $\\theta$, or by a sign that swaps max and min."
            " Whether an optimiser exists or is unique is not claimed.",
        ),
        steps=(
            Step(
                ArgMax(likelihood, theta),
                "choose $\\theta$ so that $p_\\theta(D)$ is as large as possible",
            ),
            Step(
                ArgMax(log(likelihood), theta),
                "$p_\\theta(D) > 0$ and $\\log$ is strictly increasing, so the maximisers are"
                " the same",
                rules=(argopt_log,),
            ),
            Step(
                ArgMax(Add(data_term, model_term, evaluate=False), theta),
                "the log-likelihood as a sum over the data points, derived above",
            ),
            Step(
                ArgMax(model_term, theta),
                "$\\sum_i \\log p(x_i)$ does not depend on $\\theta$: dropping it keeps the"
                " maximisers. This is maximum likelihood estimation (MLE), eq. {eq:mle}",
                rules=(argopt_drop_constant,),
            ),
            Step(
                ArgMin(-model_term, theta),
                "maximising $f$ is minimising $-f$: the negative log-likelihood (NLL),"
                " eq. {eq:nll}, our loss",
                rules=(argopt_negate,),
            ),
        ),
    )
