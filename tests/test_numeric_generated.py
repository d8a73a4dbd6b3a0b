"""Each public function is generated from the expression proved equal to its definition."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sympy import (
    Add,
    Expr,
    Indexed,
    Pow,
    Rational,
    Sum,
    Symbol,
    cancel,
    collect,
    exp,
    expand_log,
    log,
    simplify,
)
from sympy.codegen.cfunctions import expm1, log1p

from divsym.api import verify
from divsym.codegen.forms import BASE, FORMS, LABEL, SPECS, Spec, _in_logits, _student_stable
from divsym.codegen.generate import (
    GENERATED_PATH,
    REWRITES,
    array_expression,
    generate_module,
    generate_source,
    printed_expression,
    write_module,
)
from divsym.codegen.printer import DivsymPrinter
from divsym.identities.distillation import (
    distillation_gradient,
    distillation_temperature_squared,
    soft_loss,
)
from divsym.identities.distillation_stable import kl_logit_stable_form, soft_gradient_logit_form
from divsym.identities.stable_forms import (
    jsd_stable_form,
    kl_nonnegative_terms,
    log_softmax_stable_form,
    softmax_stable_form,
)
from divsym.kernel.canonical import canonical_form
from divsym.kernel.context import Context
from divsym.kernel.rules import canonical_indices
from divsym.kernel.verify import Status
from divsym.numeric import _generated
from divsym.symbols import definitions
from divsym.symbols.notation import T, c, i, j, k, n, p, q, v, z
from divsym.symbols.stable import (
    SHIFT,
    AtArgmax,
    AtLabels,
    ClassMax,
    ClassSum,
    Expm1MinusX,
    LogSumExp,
    RelEntr,
    ScaledExpm1MinusX,
    ScaledSymmetricXLog1p,
    ScaledXMinusLog1p,
    SymmetricXLog1p,
    XLogY,
    XMinusLog1p,
)

Z, P, Q, LABELS = Symbol("z"), Symbol("p"), Symbol("q"), Symbol("labels")
AXIS = Symbol("axis", integer=True)

# name: the derivation whose last line the function runs (None: it runs the definition)
DERIVATIONS: dict[str, Any] = {
    "softmax": softmax_stable_form,
    "log_softmax": log_softmax_stable_form,
    "entropy": None,
    "cross_entropy": None,
    "nll": None,
    "kl_divergence": kl_nonnegative_terms,
    "js_divergence": jsd_stable_form,
    "js_distance": jsd_stable_form,
    "soft_cross_entropy_logits": distillation_gradient,
    "soft_target_gradient": distillation_gradient,
    "soft_target_gradient_scaled": distillation_temperature_squared,
    "cross_entropy_logits": None,
    "kl_logits": kl_logit_stable_form,
    "soft_target_gradient_logits": soft_gradient_logit_form,
    "soft_target_gradient_logits_scaled": soft_gradient_logit_form,
}


def _restore(expr: Expr, spec: Spec) -> Expr:
    """Map the array nodes back: ClassSum → Sum over j, arrays → entries at the free class
    index (i, or the spec's ``index``), ClassMax → c, AtArgmax → m, AtLabels → the entry at
    the label y, every stable node and expm1/log1p → its definition in exp and log."""
    arrays = spec.arrays
    free = spec.options.get("index", i)
    entries_j = {array: base[j] for base, array in arrays.items()}
    entries_free = {array: base[free] for base, array in arrays.items()}
    restored = expr.replace(lambda e: isinstance(e, ClassMax), lambda e: c)
    restored = restored.replace(lambda e: isinstance(e, AtArgmax), lambda e: SHIFT)
    restored = restored.replace(
        lambda e: isinstance(e, AtLabels),
        lambda e: next(b for b, a in arrays.items() if a == e.args[0])[LABEL],
    )
    restored = restored.replace(
        lambda e: isinstance(
            e, (XLogY, RelEntr, ScaledXMinusLog1p, LogSumExp, ScaledExpm1MinusX, log1p)
        ),
        lambda e: e.rewrite(log),
    )
    restored = restored.replace(lambda e: isinstance(e, expm1), lambda e: e.rewrite(exp))
    restored = restored.replace(
        lambda e: isinstance(e, ClassSum),
        lambda e: Sum(e.args[0].xreplace(entries_j), (j, 1, n)),
    )
    return restored.xreplace(entries_free)  # type: ignore[no-any-return]


def _one_fraction(expr: Expr) -> Expr:
    """Each log argument as one fraction: log((p/2 + q/2)/p) = log((p + q)/(2p)); the
    stable nodes as logs; in each Sum, the coefficient of each log as one fraction too
    (m·(1 + t) = q with t = (q − p)/(q + p)); a square root squared away (both sides ≥ 0)."""
    nodes = (XMinusLog1p, Expm1MinusX, SymmetricXLog1p, ScaledSymmetricXLog1p)
    expr = expr.replace(lambda e: isinstance(e, nodes), lambda e: e.rewrite(log))
    expr = expr.replace(lambda e: isinstance(e, log), lambda e: log(cancel(e.args[0])))
    expr = expr.replace(lambda e: isinstance(e, Sum), _coefficients_in_lowest_terms)
    return expr**2 if isinstance(expr, Pow) and expr.exp == Rational(1, 2) else expr


def _coefficients_in_lowest_terms(s: Sum) -> Sum:
    logs = sorted(s.function.atoms(log), key=str)
    if not logs:
        return s
    parts = collect(s.function.expand(log=False), logs, evaluate=False)
    return Sum(Add(*(cancel(c) * term for term, c in parts.items())), *s.limits)


def _same(printed: Expr, proved: Expr) -> bool:
    """Whether the restored printed expression equals the proved one, with no assumption on
    the inputs (in particular not Σp = Σq = 1): an empty Context."""
    difference = canonical_form(_one_fraction(printed) - _one_fraction(proved), Context())
    return canonical_indices(difference, Context()) == 0  # type: ignore[no-any-return]


def test_every_generated_function_is_mapped_back() -> None:
    assert set(SPECS) == set(DERIVATIONS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_printed_expression_maps_back_to_the_proved_one(name: str) -> None:
    spec, form = SPECS[name], FORMS[name]
    factory = DERIVATIONS[name]
    if factory is not None:
        derivation = factory()
        assert verify(derivation).status is Status.PROVED
        last = _in_logits(derivation.end)
        assert form.has(last) or form == T**2 * last or _last_line_used(form, derivation)
    printed = printed_expression(name)
    source = generate_source(name)
    assert source.startswith(f"def {name}(xp, kernels, ")
    assert "for " not in source  # array reductions, no Python loop over classes
    assert _same(_restore(printed, spec), form), (name, printed, form)


def _last_line_used(form: Expr, derivation: Any) -> bool:
    """The softmax-based forms contain the derivation's last line with each ``q_k`` (or
    ``log q_i``) written in its proved stable form: compare with that substitution."""
    return bool(form == _student_stable(derivation.end)) or bool(
        form == _student_stable(soft_loss(lambda index: p[index]))
    )


@pytest.mark.parametrize(
    ("name", "wrong"),
    [
        ("kl_divergence", lambda f: f.xreplace({p: q, q: p})),  # arguments swapped
        ("entropy", lambda f: -f),  # sign flipped
        ("js_divergence", lambda f: 2 * f),  # the ½ dropped
        ("softmax", lambda f: f.xreplace({T: 2 * T})),  # temperature doubled
        ("nll", lambda f: f * log(BASE) / log(2)),  # wrong base
        ("kl_logits", lambda f: f.xreplace({z: v, v: z})),  # student and teacher swapped
        ("kl_logits", lambda f: f.xreplace({SHIFT: 2 * SHIFT})),  # shift not undone
        ("soft_target_gradient_logits", lambda f: T * f),  # the 1/T dropped
        ("soft_target_gradient_logits_scaled", lambda f: f.xreplace({p: q})),  # wrong weights
        ("cross_entropy_logits", lambda f: f.xreplace({LABEL: LABEL + 1})),  # label off by one
        ("soft_target_gradient", lambda f: f.xreplace({k: i})),  # wrong free class
        ("soft_cross_entropy_logits", lambda f: -f),  # sign flipped
    ],
)
def test_map_back_rejects_a_wrong_proved_expression(name: str, wrong: Any) -> None:
    restored = _restore(printed_expression(name), SPECS[name])
    bad = wrong(FORMS[name])
    assert bad != FORMS[name]
    assert not _same(restored, bad), name


def test_committed_module_is_the_generated_text() -> None:
    assert GENERATED_PATH.read_text(encoding="utf-8") == generate_module(), (
        "divsym/numeric/_generated.py is stale: run `divsym build`"
    )
    assert generate_module().startswith("# generated by divsym build; do not edit\n")


def test_generated_text_does_not_depend_on_hash_seeds() -> None:
    script = "from divsym.codegen import generate_module; print(generate_module(), end='')"
    texts = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert texts == {generate_module()}


def test_write_module_reports_whether_it_changed(tmp_path: Path) -> None:
    target = tmp_path / "_generated.py"
    assert write_module(target) is True
    assert write_module(target) is False
    target.write_text("stale", encoding="utf-8")
    assert write_module(target) is True
    assert target.read_text(encoding="utf-8") == generate_module()


def test_softmax_source_shifts_before_dividing_by_t() -> None:
    source = inspect.getsource(_generated.softmax)
    assert "xp.exp((z - xp.max(z, axis=axis, keepdims=True))/T)" in source


def test_kl_and_jsd_sources_pass_q_minus_p_to_the_kernel() -> None:
    kl = inspect.getsource(_generated.kl_divergence)
    assert "kernel_x_minus_log1p(p, -p + q, q)" in kl
    assert "log(" not in kl.replace("math.log(base)", "")
    jsd = inspect.getsource(_generated.js_divergence)
    assert "kernel_symmetric_xlog1p(p, q)" in jsd  # m·G(t) from p and q: t formed in the kernel
    assert "log(" not in jsd.replace("math.log(base)", "")  # logs only inside the kernel


def test_printer_refuses_modules_other_than_xp() -> None:
    with pytest.raises(ValueError, match=r"scipy\.special\.erf"):
        DivsymPrinter()._module_format("scipy.special.erf")


@pytest.mark.parametrize(
    ("name", "definition"),
    [
        ("entropy", definitions.entropy(p)),
        ("cross_entropy", definitions.cross_entropy(p, q)),
        ("nll", definitions.nll(q, LABEL)),
    ],
)
def test_reductions_without_a_stable_form_run_the_definition(name: str, definition: Expr) -> None:
    assert FORMS[name] == definition / log(BASE)


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
        "scaled-expm1-minus-x": [w * Expm1MinusX(x - y), 2 * w * Expm1MinusX(x)],
        "expm1-log1p": [exp(x) - 1, w * (exp(x - y) - 1 - v), log(1 + x), log(x + 1 + y)],
        "scaled-symmetric-xlog1p": [
            (x + y) / 2 * SymmetricXLog1p((y - x) / (x + y)),
            3 * w * SymmetricXLog1p((v - w) / (v + w)),
        ],
    }[rewrite.name]
    for sample in samples:
        rewritten = rewrite.apply(sample)
        assert rewritten != sample, f"{rewrite.name} did not apply to {sample}"
        back = rewritten.replace(
            lambda e: isinstance(
                e,
                (
                    XLogY,
                    RelEntr,
                    ScaledXMinusLog1p,
                    ScaledSymmetricXLog1p,
                    LogSumExp,
                    ScaledExpm1MinusX,
                    log1p,
                ),
            ),
            lambda e: e.rewrite(log),
        ).replace(lambda e: isinstance(e, expm1), lambda e: e.rewrite(exp))
        assert (
            simplify(
                expand_log(
                    back
                    - sample.replace(
                        lambda e: isinstance(e, (XMinusLog1p, Expm1MinusX, SymmetricXLog1p)),
                        lambda e: e.rewrite(log),
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
