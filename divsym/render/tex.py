"""A small typed helper for assembling LaTeX: commands, environments, text, and a sanity check.

Every piece of LaTeX that divsym writes is built from :func:`command`, :func:`environment`,
:func:`join` and :func:`text`; :func:`check_tex` refuses output that cannot compile (unbalanced
braces, ``\\left`` without ``\\right``, an environment left open, a character pdfLaTeX cannot
typeset).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "KOREAN_NOTE",
    "UNICODE_MATH",
    "UNICODE_TEXT",
    "RenderError",
    "check_tex",
    "command",
    "environment",
    "join",
    "text",
    "typographic",
    "unicode_declarations",
]


class RenderError(Exception):
    """divsym produced LaTeX or Markdown that would not compile or would mislead."""


_GREEK = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
]
_CAPITAL_GREEK = [
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
]
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ⁿᵀ", "0123456789+-nT", strict=True))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋ᵢⱼₖₙ", "0123456789+-ijkn", strict=True))


def _greek(case: str, name: str) -> str:
    return unicodedata.lookup(f"GREEK {case} LETTER {name.upper().replace('LAMBDA', 'LAMDA')}")


#: Characters of the justifications typeset as math by ``newunicodechar`` (character → math).
UNICODE_MATH: dict[str, str] = {
    **{_greek("SMALL", name): f"\\{name}" for name in _GREEK},
    **{_greek("CAPITAL", name): f"\\{name}" for name in _CAPITAL_GREEK},
    "ϵ": r"\epsilon",
    "ε": r"\varepsilon",
    "ϑ": r"\vartheta",
    "ℓ": r"\ell",
    "∑": r"\sum",
    "∏": r"\prod",
    "∫": r"\int",
    "‖": r"\parallel",
    "∥": r"\parallel",
    "∂": r"\partial",
    "∇": r"\nabla",
    "∞": r"\infty",
    "≥": r"\geq",
    "≤": r"\leq",
    "≠": r"\neq",
    "≈": r"\approx",
    "≡": r"\equiv",
    "∼": r"\sim",
    "→": r"\to",
    "←": r"\leftarrow",
    "↔": r"\leftrightarrow",
    "⟷": r"\longleftrightarrow",
    "⇒": r"\Rightarrow",
    "⟹": r"\Longrightarrow",
    "⇔": r"\Leftrightarrow",
    "⟺": r"\iff",
    "∀": r"\forall",
    "∃": r"\exists",
    "∈": r"\in",
    "∉": r"\notin",
    "⊂": r"\subset",
    "⊥": r"\perp",
    "·": r"\cdot",
    "⋅": r"\cdot",
    "×": r"\times",
    "−": "-",
    "±": r"\pm",
    "∝": r"\propto",
    "√": r"\surd",
    "∘": r"\circ",
    "°": r"^{\circ}",
    "½": r"\tfrac{1}{2}",
    **{char: f"^{{{tex}}}" for char, tex in _SUPERSCRIPTS.items()},
    **{char: f"_{{{tex}}}" for char, tex in _SUBSCRIPTS.items()},
}

#: Characters of the justifications typeset in text mode (character → LaTeX text).
UNICODE_TEXT: dict[str, str] = {
    "—": "---",
    "–": "--",
    "…": r"\dots{}",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "é": r"\'e",
    "ü": r"\"u",
    "ö": r"\"o",
    "\u00a0": "~",
}

#: What replaces a quotation in Korean: pdfLaTeX here has no Korean fonts, and the Markdown
#: edition quotes it.
KOREAN_NOTE = "[Korean original quoted in lecture.md]"
_HANGUL_QUOTE = re.compile('"[^"]*[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af][^"]*"')

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "^": r"\^{}",
    "~": r"\~{}",
    # In the default (OT1) font encoding these ASCII characters print as other glyphs.
    "<": r"\ensuremath{<}",
    ">": r"\ensuremath{>}",
    "|": r"\ensuremath{|}",
}


def command(name: str, *arguments: str, optional: str | None = None) -> str:
    r"""``\name[optional]{argument}…``.

    >>> command("section", "Softmax")
    '\\section{Softmax}'
    """
    if not re.fullmatch(r"[A-Za-z]+\*?", name):
        raise RenderError(f"not a LaTeX command name: {name!r}")
    option = f"[{optional}]" if optional is not None else ""
    return "\\" + name + option + "".join(f"{{{argument}}}" for argument in arguments)


def environment(
    name: str, body: str | Iterable[str], *arguments: str, optional: str | None = None
) -> str:
    r"""``\begin{name}…body…\end{name}``, one line each; ``body`` lines are joined by newlines."""
    lines = body if isinstance(body, str) else "\n".join(body)
    begin = command("begin", name, *arguments)
    if optional is not None:
        begin += f"[{optional}]"
    return join(begin, lines, command("end", name))


def join(*parts: str, separator: str = "\n") -> str:
    """The non-empty ``parts`` joined by ``separator``."""
    return separator.join(part for part in parts if part)


def _quotes(plain: str) -> str:
    """Straight double quotes as TeX's opening and closing quotes, alternating."""
    pieces = plain.split('"')
    if len(pieces) % 2 == 0:
        raise RenderError(f"unbalanced double quotes in {plain!r}")
    return "".join(
        piece + ("" if number == len(pieces) - 1 else ("``" if number % 2 == 0 else "''"))
        for number, piece in enumerate(pieces)
    )


_SCRIPT = re.compile(r"(?<=[^\W_]|[)\]∫Σ∑Π∏])([_^])((?:[^\W_]|[+-]){1,3})(?![^\W_]|_)")
_TYPOGRAPHY = {
    ">=": "≥",
    "<=": "≤",
    "||": "‖",
    "!=": "≠",
    "->": "→",
    # Two people's names are joined by an en dash, not a hyphen.
    "Jensen-Shannon": "Jensen–Shannon",
}


def typographic(plain: str) -> str:
    """ASCII stand-ins replaced by what they stand for: ``>=`` → ``≥``, ``||`` → ``‖``, and the
    hyphen between two names by an en dash (``Jensen–Shannon``).

    >>> typographic("0 <= JSD(P || Q) <= log 2")
    '0 ≤ JSD(P ‖ Q) ≤ log 2'
    """
    for ascii_form, symbol in _TYPOGRAPHY.items():
        plain = plain.replace(ascii_form, symbol)
    return plain


def _prose(segment: str) -> str:
    """Escape prose; ``q_i``, ``D_KL``, ``log_2`` and ``x^2`` get real (text) scripts."""
    parts = _SCRIPT.split(segment)
    pieces = []
    for number in range(0, len(parts), 3):
        pieces.append("".join(_ESCAPES.get(c, c) for c in parts[number]))
        if number + 2 < len(parts):
            script = "textsubscript" if parts[number + 1] == "_" else "textsuperscript"
            pieces.append(command(script, parts[number + 2]))
    return "".join(pieces)


def text(plain: str) -> str:
    """Plain (Unicode) prose as LaTeX text: special characters escaped, quotes paired.

    ``$…$`` segments are math and are kept as they are. A quotation in Korean becomes
    :data:`KOREAN_NOTE` (its translation should follow it). Unicode symbols stay as they are (the
    preamble maps them with ``newunicodechar``); a character with no mapping is an error
    rather than a broken PDF.

    >>> text('p(y|x) ≥ 0 for $x_i$, "one-hot" & 50%')
    "p(y\\\\ensuremath{|}x) ≥ 0 for $x_i$, ``one-hot'' \\\\& 50\\\\%"
    """
    plain = _HANGUL_QUOTE.sub(KOREAN_NOTE, typographic(plain))
    segments = plain.split("$")
    if len(segments) % 2 == 0:
        raise RenderError(f"unbalanced $ in {plain!r}")
    escaped = "$".join(
        segment if number % 2 else _prose(segment) for number, segment in enumerate(segments)
    )
    unknown = sorted(
        {char for char in escaped if ord(char) > 127} - set(UNICODE_MATH) - set(UNICODE_TEXT)
    )
    if unknown:
        names = ", ".join(f"{char!r} (U+{ord(char):04X})" for char in unknown)
        raise RenderError(f"no LaTeX for the characters {names} in {plain!r}")
    return _quotes(escaped)


def unicode_declarations() -> str:
    r"""``\newunicodechar`` lines for every Unicode character :func:`text` lets through."""
    lines = [
        command("newunicodechar", char, command("ensuremath", tex))
        for char, tex in UNICODE_MATH.items()
    ]
    lines += [command("newunicodechar", char, tex) for char, tex in UNICODE_TEXT.items()]
    return join(*lines)


_ENVIRONMENT = re.compile(r"\\(begin|end)\{([^}]*)\}")


def check_tex(tex: str, where: str) -> str:
    """``tex`` itself, or :class:`RenderError` naming ``where`` if it cannot compile."""
    depth = 0
    previous = ""
    for char in tex:
        if previous != "\\":
            depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            break
        previous = "" if previous == "\\" else char
    if depth != 0:
        raise RenderError(f"{where}: unbalanced braces in LaTeX:\n{tex}")
    lefts = len(re.findall(r"\\left[^a-zA-Z]", tex))
    rights = len(re.findall(r"\\right[^a-zA-Z]", tex))
    if lefts != rights:
        raise RenderError(f"{where}: {lefts} \\left but {rights} \\right in LaTeX:\n{tex}")
    stack: list[str] = []
    for kind, name in _ENVIRONMENT.findall(tex):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise RenderError(f"{where}: \\end{{{name}}} without its \\begin in LaTeX:\n{tex}")
    if stack:
        raise RenderError(f"{where}: environment {stack[-1]} left open in LaTeX:\n{tex}")
    for marker in ("nan", "zoo", r"\tilde{\infty}", "None"):
        if re.search(rf"(?<![A-Za-z\\]){re.escape(marker)}(?![A-Za-z])", tex):
            raise RenderError(f"{where}: undefined value {marker!r} in LaTeX:\n{tex}")
    return tex
