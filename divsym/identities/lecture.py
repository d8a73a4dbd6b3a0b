"""The lecture's structure: its sections in order, and every display equation it contains.

``SECTIONS`` orders the document that ``divsym build`` writes. ``EQUATIONS`` lists each display
equation of ``lecture.md`` as the lecture writes it, with the derivation (and the step of it)
that proves it; a test fails when an equation has no proved step.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EQUATIONS", "SECTIONS", "LectureEquation", "Section"]


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    #: ``True`` for the identities divsym adds beyond the lecture.
    beyond_lecture: bool = False


SECTIONS: tuple[Section, ...] = (
    Section("softmax", "Softmax with temperature"),
    Section("data", "Data and the i.i.d. assumption"),
    Section("mle", "Maximum likelihood and the negative log-likelihood"),
    Section("information", "Information, entropy, cross-entropy, KL and JS divergence"),
    Section("summary", "Summary for one data point"),
    Section("kl-ce", "KL divergence and cross-entropy"),
    Section("ce-nll", "Cross-entropy and the negative log-likelihood"),
    Section("softmax-beyond", "Beyond the lecture: softmax limits and Jacobian", True),
    Section("inequalities", "Beyond the lecture: Gibbs' inequality and JSD bounds", True),
    Section("stable-forms", "Beyond the lecture: the forms divsym evaluates", True),
    Section(
        "distillation", "Beyond the lecture: knowledge distillation (Hinton et al., 2015)", True
    ),
)


@dataclass(frozen=True)
class LectureEquation:
    """One display equation of the lecture and where divsym proves it.

    ``step`` is the index into the derivation's steps of the expression that states the
    equation (``0`` is the starting expression).
    """

    label: str
    section: str
    #: The equation as the lecture writes it (LaTeX, the lecture's own notation).
    tex: str
    derivation: str
    step: int | None = None
    #: Where the equation is written: ``"lecture"`` (numbered L1, L2, …), or ``"hinton2015"``
    #: for the distillation section's equations from Hinton, Vinyals & Dean (2015) and the
    #: results divsym adds beside them (numbered D1, D2, …).
    source: str = "lecture"


EQUATIONS: tuple[LectureEquation, ...] = (
    LectureEquation(
        "softmax",
        "softmax",
        r"q_i = \frac{\exp(z_i/T)}{\sum_j \exp(z_j/T)} \quad (1)",
        "softmax-normalisation",
        1,
    ),
    LectureEquation(
        "iid-factorisation",
        "data",
        r"p(D) = \prod p(x_i, y_i) = \prod p(x_i) p(y_i | x_i)",
        "likelihood-factorisation",
        2,
    ),
    LectureEquation(
        "model-likelihood",
        "data",
        r"p(D) = \prod p(x_i) p_\theta(y_i | x_i)",
        "log-likelihood",
        1,
    ),
    LectureEquation(
        "log-likelihood",
        "mle",
        r"\log p(D) = \sum \cancel{\log p(x_i)} + \log p_\theta(y_i | x_i)",
        "log-likelihood",
        3,
    ),
    LectureEquation(
        "mle",
        "mle",
        r"\theta^* \leftarrow \operatorname{argmax}_{\theta} \sum \log p_\theta(y_i | x_i)",
        "mle-to-nll",
        3,
    ),
    LectureEquation(
        "nll",
        "mle",
        r"\theta^* \leftarrow \operatorname{argmin}_{\theta} - \sum \log p_\theta(y_i | x_i)",
        "mle-to-nll",
        4,
    ),
    LectureEquation(
        "information",
        "information",
        r"I(E) = -\log_2 p(E)",
        "entropy-expected-information",
        2,
    ),
    LectureEquation(
        "entropy",
        "information",
        r"H(X) = E(I(X)) = -\sum p(x_i) \log p(x_i)",
        "entropy-expected-information",
        3,
    ),
    LectureEquation(
        "cross-entropy",
        "information",
        r"H(P, Q) = E_P(I(Q)) = E_P(-\log q(x)) = -\sum p(x) \log q(x)",
        "cross-entropy-expectation",
        3,
    ),
    LectureEquation(
        "kl",
        "information",
        r"D_{KL}(P \parallel Q) = E_P(I(Q) - I(P)) = \sum p(x) \log \frac{p(x)}{q(x)}"
        r" = -\sum p(x) \log \frac{q(x)}{p(x)}",
        "kl-forms",
        3,
    ),
    LectureEquation(
        "jsd",
        "information",
        r"JSD(P \parallel Q) = \frac{1}{2} D_{KL}(P \parallel \frac{P+Q}{2})"
        r" + \frac{1}{2} D_{KL}(Q \parallel \frac{P+Q}{2})",
        "jsd-symmetry",
        1,
    ),
    LectureEquation(
        "summary-cross-entropy",
        "summary",
        r"-\sum_y p(y|x_i) \log p_\theta(y|x_i)",
        "one-hot-cross-entropy-nll",
        1,
    ),
    LectureEquation(
        "summary-nll",
        "summary",
        r"-\log p_\theta(y_i|x_i)",
        "one-hot-cross-entropy-nll",
        3,
    ),
    LectureEquation(
        "summary-kl",
        "summary",
        r"-\sum_y p(y|x_i) \log \frac{p_\theta(y|x_i)}{p(y|x_i)}",
        "kl-cross-entropy-objective",
        1,
    ),
    LectureEquation(
        "kl-ce",
        "kl-ce",
        r"-\sum p(x) \log q(x) + \cancel{\sum p(x) \log p(x)} \quad -\sum p(x) \log q(x)",
        "cross-entropy-decomposition",
        2,
    ),
    LectureEquation(
        "kl-ce-conditional",
        "kl-ce",
        r"-\sum p(y|x_i) \log p_\theta(y|x_i) + \cancel{\sum p(y|x_i) \log p(y|x_i)}"
        r" \quad -\sum p(y|x_i) \log p_\theta(y|x_i)",
        "kl-cross-entropy-objective",
        2,
    ),
    LectureEquation(
        "ce-nll-juxtaposed",
        "ce-nll",
        r"H(p, p_\theta) = -\sum_y p(y|x_i) \log p_\theta(y|x_i) - \log p_\theta(y_i|x_i)",
        "one-hot-cross-entropy-nll",
        1,
    ),
    LectureEquation(
        "ce-nll-expanded",
        "ce-nll",
        r"H(p, p_\theta) = -p(y_1|x_i) \log p_\theta(y_1|x_i) - \dots"
        r" - p(y_n|x_i) \log p_\theta(y_n|x_i)",
        "one-hot-cross-entropy-nll",
        1,
    ),
    LectureEquation(
        "ce-nll-one-term",
        "ce-nll",
        r"= -p(y_i|x_i) \log p_\theta(y_i|x_i) = -\log p_\theta(y_i|x_i) = \text{NLL}",
        "one-hot-cross-entropy-nll",
        4,
    ),
    # Hinton, Vinyals & Dean (2015), section 2.1, in the paper's notation: soft targets p_i from
    # the teacher's logits v_i, the student's q_i from its logits z_i, both at temperature T,
    # N classes (n in the lecture), C the cross-entropy of q against p.
    LectureEquation(
        "hinton-gradient",
        "distillation",
        r"\frac{\partial C}{\partial z_i} = \frac{1}{T}\left(q_i - p_i\right) \quad (2)",
        "distillation-gradient",
        8,
        source="hinton2015",
    ),
    LectureEquation(
        "hinton-high-temperature",
        "distillation",
        r"\frac{\partial C}{\partial z_i} \approx \frac{1}{T}\left("
        r"\frac{1 + z_i/T}{N + \sum_j z_j/T} - \frac{1 + v_i/T}{N + \sum_j v_j/T}\right) \quad (3)",
        "distillation-high-temperature",
        4,
        source="hinton2015",
    ),
    LectureEquation(
        "hinton-zero-mean",
        "distillation",
        r"\frac{\partial C}{\partial z_i} \approx \frac{1}{N T^2}\left(z_i - v_i\right) \quad (4)",
        "distillation-zero-mean-logits",
        7,
        source="hinton2015",
    ),
    LectureEquation(
        "hinton-temperature-squared",
        "distillation",
        r"T^2 \frac{\partial C}{\partial z_i} = T\left(q_i - p_i\right)",
        "distillation-temperature-squared",
        2,
        source="hinton2015",
    ),
    LectureEquation(
        "hard-label-gradient",
        "distillation",
        r"\frac{\partial\left(-\log q_y\right)}{\partial z_k} = q_k - \delta_{ky}",
        "hard-label-gradient",
        5,
        source="hinton2015",
    ),
    LectureEquation(
        "weighted-gradient",
        "distillation",
        r"\frac{\partial}{\partial z_k}\left(\alpha T^2 C + (1 - \alpha) H\right)"
        r" = \alpha T\left(q_k - p_k\right) + (1 - \alpha)\left(q^{(1)}_k - \delta_{ky}\right)",
        "distillation-weighted-gradient",
        6,
        source="hinton2015",
    ),
)
