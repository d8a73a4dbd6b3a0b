"""Derivations and reports as rendered math in IPython and Jupyter.

The kernel's classes cannot know about rendering (render sits above the kernel), so instead
of ``_repr_markdown_`` methods this module registers ``text/markdown`` formatters with
IPython *by type name* (``for_type_by_name``): registering imports neither SymPy nor the
kernel, and a class is looked up only when an object of it is displayed.

* A :class:`~divsym.kernel.derivation.Derivation` is verified when displayed (by the
  ``verifier`` given to :func:`register`; ``divsym`` passes its public ``verify``) and shown
  as an aligned block of its steps, each step's justification and status beneath, then why
  any step is not proved (the failing route and its counterexample).
* A :class:`~divsym.kernel.verify.DerivationReport` shows the same when it carries its
  derivation (``divsym.verify`` returns such a report), else a table of its steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["derivation_markdown", "register", "report_markdown", "unverified_markdown"]

#: (module, class name) of the objects this module displays.
DERIVATION_TYPE = ("divsym.kernel.derivation", "Derivation")
REPORT_TYPE = ("divsym.kernel.verify", "DerivationReport")

Verifier = Callable[[Any], Any]


def _explanations(report: Any) -> list[str]:
    from divsym.kernel.verify import Status
    from divsym.render.markdown import markdown_text
    from divsym.render.status import step_reason

    lines = [
        f"- step ({step.index}) is **{step.status.value}**: {markdown_text(step_reason(step))}"
        for step in report.steps
        if step.status is not Status.PROVED
    ]
    capped = getattr(report, "reason", "")
    if isinstance(capped, str) and capped:  # a lemma limits the derivation, not a step
        lines.append(f"- the derivation: {markdown_text(capped)}")
    return ["", "**Why not proved:**", "", *lines] if lines else []


def derivation_markdown(derivation: Any, report: Any) -> str:
    """``derivation`` with its ``report``: math, justifications, statuses, failure reasons."""
    from divsym.render.derivation import derivation_markdown as rendered

    return rendered(derivation, report) + "\n".join(_explanations(report)) + "\n"


def report_markdown(report: Any) -> str:
    """A report: with its derivation's math when it carries one, else a table of its steps."""
    derivation = getattr(report, "derivation", None)
    if derivation is not None:
        return derivation_markdown(derivation, report)
    from divsym.render.markdown import markdown_cell, markdown_text
    from divsym.render.status import status_sentence, step_reason, step_status

    lines = [
        f"### {markdown_text(report.title)}",
        "",
        f"`{report.id}`: **{markdown_text(status_sentence(report))}**",
        "",
        "| step | status | reason |",
        "|---|---|---|",
    ]
    lines += [
        f"| ({step.index}) | {markdown_cell(markdown_text(step_status(step)))} "
        f"| {markdown_cell(markdown_text(step_reason(step)))} |"
        for step in report.steps
    ]
    return "\n".join(lines) + "\n"


def unverified_markdown(derivation: Any) -> str:
    """``derivation``'s math and justifications, marked as not verified."""
    from divsym.render.derivation import derivation_rows
    from divsym.render.markdown import markdown_text

    block = " \\\\\n".join(
        f"{row.left} &{row.right}" + (rf" && \text{{({row.number})}}" if row.number else "")
        for row in derivation_rows(derivation)
    )
    lines = [
        f"### {markdown_text(derivation.title)}",
        "",
        "$$",
        r"\begin{aligned}",
        block,
        r"\end{aligned}",
        "$$",
        "",
    ]
    lines += [
        f"{number}. {markdown_text(step.because)}"
        for number, step in enumerate(derivation.steps[1:], start=1)
    ]
    lines += ["", "*Not verified: `divsym.verify(derivation)` checks it.*"]
    return "\n".join(lines) + "\n"


def _safely(render: Callable[[Any], str]) -> Callable[[Any], str]:
    """A formatter that reports its own failure in the cell instead of raising inside IPython."""

    def formatter(obj: Any) -> str:
        try:
            return render(obj)
        except Exception as error:  # a display must never break the notebook
            return f"*divsym could not display this: {type(error).__name__}: {error}*\n"

    return formatter


def register(shell: Any, verifier: Verifier | None = None) -> None:
    """Display derivations and reports in ``shell`` (an IPython ``InteractiveShell``) as Markdown.

    ``verifier(derivation)`` returns the report shown with a derivation; without one a
    derivation is shown unverified.
    """
    formatter = shell.display_formatter.formatters["text/markdown"]

    def show_derivation(derivation: Any) -> str:
        if verifier is None:
            return unverified_markdown(derivation)
        return derivation_markdown(derivation, verifier(derivation))

    formatter.for_type_by_name(*DERIVATION_TYPE, _safely(show_derivation))
    formatter.for_type_by_name(*REPORT_TYPE, _safely(report_markdown))
