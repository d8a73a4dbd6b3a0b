"""Whole derivations pinned: the LaTeX fragment and the Markdown, byte for byte.

The expected text lives in ``tests/golden/<id>.tex`` and ``<id>.md``. The test only compares;
after a deliberate change to the rendering or to a pinned derivation, regenerate the files with
``make golden`` (``tools/update_golden.py``) and review the diff before committing it.
"""

from __future__ import annotations

import pytest
from golden_cases import GOLDEN, PINNED, SUFFIXES, render_pinned


@pytest.mark.parametrize("derivation_id", PINNED)
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_whole_derivation_is_pinned(derivation_id: str, suffix: str) -> None:
    path = GOLDEN / f"{derivation_id}{suffix}"
    expected = path.read_text(encoding="utf-8")
    assert render_pinned(derivation_id, suffix) == expected, (
        f"{path.name} differs from the rendering; if the change is deliberate run `make golden`"
    )


def test_every_golden_file_is_pinned() -> None:
    names = {path.name for path in GOLDEN.iterdir()}
    assert names == {f"{i}{s}" for i in PINNED for s in SUFFIXES}


def test_golden_comparison_can_fail() -> None:
    # The comparison above must notice a one-character change in a pinned rendering.
    rendered = render_pinned(PINNED[0], ".md")
    expected = (GOLDEN / f"{PINNED[0]}.md").read_text(encoding="utf-8")
    assert rendered == expected
    assert rendered.replace("=", "≠", 1) != expected
