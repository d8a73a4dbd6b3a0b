"""The derivations whose whole rendering is pinned in ``tests/golden/``, and how they render.

Shared by the golden test (which only compares) and ``tools/update_golden.py`` (which only
writes), so that no test ever writes the file it compares against.
"""

from __future__ import annotations

from pathlib import Path

from divsym.identities import all_derivations
from divsym.kernel.verify import verify
from divsym.render.derivation import derivation_markdown, derivation_tex

GOLDEN = Path(__file__).parent / "golden"
#: Derivations whose whole rendering is pinned.
PINNED = ("cross-entropy-decomposition", "softmax-normalisation", "softmax-jacobian")
SUFFIXES = (".tex", ".md")


def render_pinned(derivation_id: str, suffix: str) -> str:
    """The LaTeX fragment (``.tex``) or Markdown (``.md``) of a pinned derivation, as built now."""
    found = [d for d in all_derivations() if d.id == derivation_id]
    if not found:
        raise LookupError(f"pinned derivation {derivation_id!r} no longer exists")
    derivation = found[0]
    render = derivation_tex if suffix == ".tex" else derivation_markdown
    return render(derivation, verify(derivation))
