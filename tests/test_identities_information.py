"""Information, entropy, cross-entropy, KL forms, JSD symmetry: proved; wrong variants fail."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sympy import Add, Expr, Mul, Rational, Sum, log

from divsym.identities.information import (
    cross_entropy_expectation,
    entropy_expected_information,
    kl_forms,
)
from divsym.identities.jensen_shannon import jsd_symmetry
from divsym.kernel.derivation import Derivation
from divsym.kernel.verify import Status, verify
from divsym.render.latex import to_latex
from divsym.symbols.information import Expectation, Information, Log2, MixtureKL
from divsym.symbols.notation import i, n, p, q

FACTORIES: dict[str, Callable[[], Derivation]] = {
    "entropy-expected-information": entropy_expected_information,
    "cross-entropy-expectation": cross_entropy_expectation,
    "kl-forms": kl_forms,
    "jsd-symmetry": jsd_symmetry,
}


def test_base_mismatch_is_stated_in_a_remark() -> None:
    for name in ("entropy-expected-information", "cross-entropy-expectation", "kl-forms"):
        (remark,) = FACTORIES[name]().remarks
        assert "log_2" in remark
        assert "log 2" in remark


E_INFO_P = Expectation(p, Information(p, i))
E_INFO_Q = Expectation(p, Information(q, i))

# (derivation, step index, wrong expression): each a classic slip that must be rejected.
MUTATIONS: dict[str, tuple[str, int, Expr]] = {
    "entropy without the bits-to-nats factor": ("entropy-expected-information", 1, E_INFO_P),
    "entropy with log base e changed to 2": (
        "entropy-expected-information",
        3,
        -Sum(p[i] * log(p[i], 2), (i, 1, n)),
    ),
    "entropy with a flipped sign": (
        "entropy-expected-information",
        3,
        Sum(p[i] * log(p[i]), (i, 1, n)),
    ),
    "cross-entropy with swapped arguments": (
        "cross-entropy-expectation",
        3,
        -Sum(q[i] * log(p[i]), (i, 1, n)),
    ),
    "cross-entropy with the information of P": (
        "cross-entropy-expectation",
        1,
        Mul(log(2), E_INFO_P, evaluate=False),
    ),
    "cross-entropy without the bits-to-nats factor": ("cross-entropy-expectation", 1, E_INFO_Q),
    "KL with I(P) − I(Q)": (
        "kl-forms",
        1,
        log(2) * Expectation(p, Information(p, i) - Information(q, i)),
    ),
    "KL with swapped arguments": ("kl-forms", 2, Sum(q[i] * log(q[i] / p[i]), (i, 1, n))),
    "KL with a flipped sign in the last form": (
        "kl-forms",
        3,
        Sum(p[i] * log(q[i] / p[i]), (i, 1, n)),
    ),
    "JSD with a dropped term": ("jsd-symmetry", 1, Rational(1, 2) * MixtureKL(p, p, q)),
    "JSD without the ½ weights": (
        "jsd-symmetry",
        1,
        Add(MixtureKL(p, p, q), MixtureKL(q, p, q), evaluate=False),
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_wrong_step_is_reported_failed(mutation: str) -> None:
    name, index, expr = MUTATIONS[mutation]
    report = verify(FACTORIES[name]().with_step(index, expr, rules=()))
    assert report.status is Status.FAILED, f"{mutation}: {report}"


@pytest.mark.parametrize(
    ("node", "text", "tex"),
    [
        (Log2(p[i]), "log_2(p[i])", r"\log_2 p_i"),
        (Log2(p[i] / q[i]), "log_2(p[i]/q[i])", r"\log_2\left(\frac{p_i}{q_i}\right)"),
        (Information(q, i), "I_Q(x_i)", r"I_Q(x_i)"),
        (Expectation(p, -log(q[i])), "E_P[-log(q[i])]", r"E_P\left[- \log q_i\right]"),
        (
            MixtureKL(q, p, q),
            "D_KL(Q || (P + Q)/2)",
            r"D_{\mathrm{KL}}\left(Q \parallel \frac{P+Q}{2}\right)",
        ),
    ],
)
def test_node_prints_in_lecture_notation(node: Expr, text: str, tex: str) -> None:
    assert str(node) == text
    assert to_latex(node) == tex


def test_nodes_unfold_to_their_formulas() -> None:
    assert Log2(p[i]).doit() == log(p[i]) / log(2)
    assert Information(q, i).doit() == log(q[i]) * -1 / log(2)
    assert Expectation(p, q[i]).doit() == Sum(p[i] * q[i], (i, 1, n))
