"""Each rewrite rule on its own: where it applies, and where it must refuse."""

from __future__ import annotations

from sympy import Dummy, IndexedBase, Sum, Symbol, log

from divsym.kernel.canonical import canonical_form
from divsym.kernel.context import Context
from divsym.kernel.rules import (
    RULES,
    canonical_indices,
    expand_logs,
    impose_normalisation,
    pull_constants,
    split_sums,
    unfold_definitions,
)
from divsym.symbols.notation import i, j, k, n, p, q, z
from divsym.symbols.quantities import CrossEntropy, Entropy, KLDivergence

CTX = Context(distributions=(p, q))
NO_FACTS = Context()


def test_every_rule_is_registered_under_its_name() -> None:
    assert {name for name in RULES} == {rule.name for rule in RULES.values()}
    assert len(RULES) == 7


def test_unfold_definitions_replaces_named_quantities_only() -> None:
    x = Symbol("x")
    unfolded = unfold_definitions(Entropy(p) + x, NO_FACTS)
    assert unfolded == -Sum(p[i] * log(p[i]), (i, 1, n)) + x


def test_split_sums_splits_a_sum_of_terms() -> None:
    s = Sum(p[i] + q[i], (i, 1, n))
    assert split_sums(s, NO_FACTS) == Sum(p[i], (i, 1, n)) + Sum(q[i], (i, 1, n))


def test_split_sums_refuses_a_product() -> None:
    s = Sum(p[i] * q[i], (i, 1, n))
    assert split_sums(s, NO_FACTS) == s


def test_pull_constants_pulls_index_free_factors() -> None:
    c = Symbol("c", positive=True)
    s = Sum(3 * c * p[i], (i, 1, n))
    assert pull_constants(s, NO_FACTS) == 3 * c * Sum(p[i], (i, 1, n))


def test_pull_constants_refuses_factors_that_depend_on_the_index() -> None:
    s = Sum(p[i] * q[i], (i, 1, n))
    assert pull_constants(s, NO_FACTS) == s
    with_index = Sum(i * p[i], (i, 1, n))
    assert pull_constants(with_index, NO_FACTS) == with_index


def test_expand_logs_splits_logs_of_positive_factors() -> None:
    assert expand_logs(log(p[i] / q[i]), NO_FACTS) == log(p[i]) - log(q[i])


def test_expand_logs_refuses_factors_of_unknown_sign() -> None:
    # log(z_i·z_j) = log z_i + log z_j is false for negative logits: the rule must not apply.
    expr = log(z[i] * z[j])
    assert expand_logs(expr, NO_FACTS) == expr


def test_canonical_indices_identifies_renamed_sums() -> None:
    a = Sum(p[i] * log(q[i]), (i, 1, n))
    b = Sum(p[j] * log(q[j]), (j, 1, n))
    assert a != b
    assert canonical_indices(a, NO_FACTS) == canonical_indices(b, NO_FACTS)


def test_canonical_indices_keeps_different_sums_apart() -> None:
    a = Sum(p[i] * log(q[i]), (i, 1, n))
    b = Sum(q[j] * log(p[j]), (j, 1, n))
    assert canonical_indices(a, NO_FACTS) != canonical_indices(b, NO_FACTS)


def test_canonical_indices_does_not_capture_free_symbols() -> None:
    # k is free here; the canonical dummies are fresh Dummy symbols, so it stays distinct.
    s = Sum(p[i] * q[k], (i, 1, n))
    renamed = canonical_indices(s, NO_FACTS)
    assert k in renamed.free_symbols
    assert any(isinstance(v, Dummy) for v in renamed.variables)


def test_impose_normalisation_needs_the_fact() -> None:
    total = Sum(p[j], (j, 1, n))
    assert impose_normalisation(total, CTX) == 1
    assert impose_normalisation(total, NO_FACTS) == total


def test_impose_normalisation_refuses_partial_sums_and_weighted_sums() -> None:
    partial = Sum(p[i], (i, 2, n))
    weighted = Sum(i * p[i], (i, 1, n))
    other = IndexedBase("r", positive=True)
    unknown = Sum(other[i], (i, 1, n))
    for expr in (partial, weighted, unknown):
        assert impose_normalisation(expr, CTX) == expr


def test_canonical_form_proves_cross_entropy_decomposition() -> None:
    assert canonical_form(CrossEntropy(p, q) - Entropy(p) - KLDivergence(p, q), CTX) == 0


def test_canonical_form_does_not_prove_a_wrong_identity() -> None:
    assert canonical_form(CrossEntropy(p, q) - Entropy(p) + KLDivergence(p, q), CTX) != 0
    assert canonical_form(KLDivergence(p, q) - KLDivergence(q, p), CTX) != 0
