"""Rewrite ``tests/golden/`` from the current rendering (``make golden``); review the diff.

This is the only code that writes the golden files; the tests only read them.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from golden_cases import GOLDEN, PINNED, SUFFIXES, render_pinned


def main() -> int:
    changed = 0
    for derivation_id in PINNED:
        for suffix in SUFFIXES:
            path = GOLDEN / f"{derivation_id}{suffix}"
            text = render_pinned(derivation_id, suffix)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                print(f"updated {path.relative_to(GOLDEN.parent.parent)}")
                changed += 1
    print(f"{changed} golden file(s) updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
