"""Whole derivations pinned: the LaTeX fragment and the Markdown, byte for byte.

The expected text lives in ``tests/golden/<id>.tex`` and ``<id>.md``. After a deliberate change
to the rendering or to a pinned derivation, regenerate them with
``DIVSYM_UPDATE_GOLDEN=1 pytest tests/test_render_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from divsym.identities import all_derivations
from divsym.kernel.derivation import Derivation
from divsym.kernel.verify import verify
from divsym.render.derivation import derivation_markdown, derivation_tex

GOLDEN = Path(__file__).parent / "golden"
#: Derivations whose whole rendering is pinned.
PINNED = ("cross-entropy-decomposition", "softmax-normalisation", "softmax-jacobian")
UPDATE = os.environ.get("DIVSYM_UPDATE_GOLDEN") == "1"


def _derivation(derivation_id: str) -> Derivation:
    found = [d for d in all_derivations() if d.id == derivation_id]
    assert found, f"pinned derivation {derivation_id!r} no longer exists"
    return found[0]


@pytest.mark.parametrize("derivation_id", PINNED)
@pytest.mark.parametrize("suffix", [".tex", ".md"])
def test_whole_derivation_is_pinned(derivation_id: str, suffix: str) -> None:
    derivation = _derivation(derivation_id)
    render = derivation_tex if suffix == ".tex" else derivation_markdown
    rendered = render(derivation, verify(derivation))
    path = GOLDEN / f"{derivation_id}{suffix}"
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert rendered == expected, f"{path.name} differs; see the module docstring to update"


def test_every_golden_file_is_pinned() -> None:
    names = {path.name for path in GOLDEN.iterdir()}
    assert names == {f"{i}{s}" for i in PINNED for s in (".tex", ".md")}
