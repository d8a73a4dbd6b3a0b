"""One-line error messages that never echo a huge argument back at the user."""

from __future__ import annotations

import re

__all__ = ["QUOTE_LIMIT", "shorten", "shorten_message"]

#: A quoted argument longer than this is shortened in error messages.
QUOTE_LIMIT = 40
#: A word (a run without spaces) this long in a message is an echoed argument: shorten it.
_LONG_WORD = re.compile(rf"\S{{{QUOTE_LIMIT + 20},}}")


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, ending in ``…`` when it was cut.

    >>> shorten("0.1," * 30)
    '0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shorten_message(message: str) -> str:
    """``message`` on one line, every very long word (an echoed argument) shortened."""
    one_line = " ".join(message.split())
    return _LONG_WORD.sub(lambda match: shorten(match.group()), one_line)
