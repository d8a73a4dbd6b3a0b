"""Each public function is the lambdified form of the expression proved equal to its definition."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from sympy import Expr, Indexed, IndexedBase, Sum, Symbol, cancel, exp, expand_log, log, simplify

from divsym.codegen.generate import REWRITES, array_expression
from divsym.identities.stable_forms import (
    jsd_stable_form,
    kl_nonnegative_terms,
    log_softmax_stable_form,
    softmax_stable_form,
)
from divsym.kernel.canonical import canonical_form
from divsym.kernel.context import Context
from divsym.kernel.rules import canonical_indices
from divsym.kernel.verify import Status, verify
from divsym.numeric import functions
from divsym.symbols import definitions
from divsym.symbols.notation import c, i, j, n, p, q, z
from divsym.symbols.stable import (
    AtLabels,
    ClassMax,
    ClassSum,
    LogSumExp,
    RelEntr,
    ScaledXMinusLog1p,
    XLogY,
    XMinusLog1p,
)

Z, P, Q, LABELS = Symbol("z"), Symbol("p"), Symbol("q"), Symbol("labels")
BASE, LABEL = functions.BASE, functions.LABEL

# name: (generated function, derivation whose last line it runs, arrays, codegen options)
CASES: dict[str, tuple[Callable[..., Any], Any, dict[IndexedBase, Symbol], dict[str, Any]]] = {
    "softmax": (
        functions._softmax,
        softmax_stable_form,
        {z: Z},
        {"index": i, "shifts": {c: z}},
    ),
    "log_softmax": (
        functions._log_softmax,
        log_softmax_stable_form,
        {z: Z},
        {"index": i, "shifts": {c: z}},
    ),
    "kl_divergence": (functions._kl_divergence, kl_nonnegative_terms, {p: P, q: Q}, {}),
    "js_divergence": (functions._js_divergence, jsd_stable_form, {p: P, q: Q}, {}),
}


def _restore(expr: Expr, arrays: dict[IndexedBase, Symbol]) -> Expr:
    """Map the array nodes back: ClassSum → Sum over j, arrays → entries at i, ClassMax → c."""
    entries_j = {array: base[j] for base, array in arrays.items()}
    entries_i = {array: base[i] for base, array in arrays.items()}
    restored = expr.replace(lambda e: isinstance(e, ClassMax), lambda e: c)
    restored = restored.replace(
        lambda e: isinstance(e, (XLogY, RelEntr, ScaledXMinusLog1p, LogSumExp)),
        lambda e: e.rewrite(log),
    )
    restored = restored.replace(
        lambda e: isinstance(e, ClassSum),
        lambda e: Sum(e.args[0].xreplace(entries_j), (j, 1, n)),
    )
    return restored.xreplace(entries_i)  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", sorted(CASES))
def test_function_runs_the_last_line_of_a_proved_derivation(name: str) -> None:
    generated, factory, arrays, options = CASES[name]
    derivation = factory()
    assert verify(derivation).status is Status.PROVED
    form = functions.FORMS[name]
    assert form.has(derivation.end)
    source = inspect.getsource(generated)
    assert generated.__name__ == "_lambdifygenerated"
    assert "for " not in source  # NumPy reductions, no Python loop over classes
    array_expr = array_expression(derivation.end, arrays, **options)
    restored = _restore(array_expr, arrays)
    proved = derivation.end.replace(lambda e: isinstance(e, XMinusLog1p), lambda e: e.rewrite(log))
    # Both sides with each log argument as one fraction: log((p/2 + q/2)/p) = log((p + q)/(2p)).
    one_fraction = {"restored": restored, "proved": proved}
    for key, value in one_fraction.items():
        one_fraction[key] = value.replace(
            lambda e: isinstance(e, log), lambda e: log(cancel(e.args[0]))
        )
    difference = canonical_form(
        one_fraction["restored"] - one_fraction["proved"], Context(distributions=(p, q))
    )
    assert canonical_indices(difference, Context()) == 0, (restored, derivation.end)


def test_softmax_source_shifts_before_dividing_by_t() -> None:
    source = inspect.getsource(functions._softmax)
    assert "numpy.exp((z - numpy.max(z, axis=axis, keepdims=True))/T)" in source


def test_kl_and_jsd_sources_pass_q_minus_p_to_the_kernel() -> None:
    kl = inspect.getsource(functions._kl_divergence)
    assert "kernel_x_minus_log1p(p, -p + q, q)" in kl
    assert "log(" not in kl.replace("numpy.log(base)", "")
    jsd = inspect.getsource(functions._js_divergence)
    assert "log(" not in jsd.replace("numpy.log(base)", "")  # logs only inside the kernel


@pytest.mark.parametrize(
    ("name", "definition"),
    [
        ("entropy", definitions.entropy(p)),
        ("cross_entropy", definitions.cross_entropy(p, q)),
        ("nll", definitions.nll(q, LABEL)),
    ],
)
def test_reductions_without_a_stable_form_run_the_definition(name: str, definition: Expr) -> None:
    assert functions.FORMS[name] == definition / log(BASE)


def test_nll_reads_the_label_entry() -> None:
    expr = array_expression(definitions.nll(q, LABEL), {q: Q}, labels={LABEL: LABELS})
    assert expr == -log(AtLabels(Q, LABELS, Symbol("axis", integer=True)))
    assert not expr.has(Indexed)


@pytest.mark.parametrize("rewrite", REWRITES, ids=lambda r: r.name)
def test_each_rewrite_is_an_identity(rewrite: Any) -> None:
    x, y, w, v = (Symbol(s, positive=True) for s in "xywv")
    axis = Symbol("axis", integer=True)
    samples = {
        "xlogy": [x * log(y), 3 * x * log(y), x * log(x / y)],
        "weighted-x-minus-log1p": [w * XMinusLog1p(v / w - 1)],
        "logsumexp": [log(ClassSum(exp(x), axis))],
    }[rewrite.name]
    for sample in samples:
        rewritten = rewrite.apply(sample)
        assert rewritten != sample, f"{rewrite.name} did not apply to {sample}"
        back = rewritten.replace(
            lambda e: isinstance(e, (XLogY, RelEntr, ScaledXMinusLog1p, LogSumExp)),
            lambda e: e.rewrite(log),
        )
        assert (
            simplify(
                expand_log(
                    back
                    - sample.replace(
                        lambda e: isinstance(e, XMinusLog1p), lambda e: e.rewrite(log)
                    ),
                    force=True,
                )
            )
            == 0
        ), (sample, rewritten)


def test_rewrites_refuse_what_they_do_not_match() -> None:
    x, y = Symbol("x", positive=True), Symbol("y", positive=True)
    for rewrite in REWRITES:
        assert rewrite.apply(x + y) == x + y
