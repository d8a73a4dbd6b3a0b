"""Sphinx configuration of divsym's documentation site (``make docs`` → ``build/docs/``).

Why Sphinx + MyST-NB: it is the scientific Python standard (NumPy, SciPy, Matplotlib and
Jupyter's own sites are built with it), MyST-NB executes the notebooks at build time so every
figure on the site is computed by the code it documents, MyST reads the Markdown that
``divsym build`` already generates (``derivations/lecture.md``, ``index.md``) with its ``$$``
math unchanged, and autodoc + numpydoc turn the public docstrings into API pages.

The source directory is the repository root (``sphinx-build -c docs . build/docs``), limited
by ``include_patterns`` to ``docs/``, the generated ``derivations/*.md`` and
``notebooks/*.ipynb``: nothing is copied, so the site always shows the committed derivations
and every notebook in ``notebooks/`` (a new one appears through the toctree's glob).

MathJax is served from the site itself, never from a CDN: ``make docs`` installs the npm
package ``mathjax@3`` into ``build/docs-vendor/`` and :func:`_copy_mathjax` copies its ``es5``
bundle into ``_static/mathjax`` of the built site.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Where ``make docs`` installs MathJax (npm package ``mathjax``, version 3).
MATHJAX_ES5 = ROOT / "build" / "docs-vendor" / "node_modules" / "mathjax" / "es5"

project = "divsym"
author = "divsym developers"
copyright = "divsym developers"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
]

root_doc = "docs/index"
include_patterns = ["docs/**", "derivations/*.md", "notebooks/*.ipynb"]
exclude_patterns = [
    ".venv",
    "build",
    "docs/README.md",
    "docs/_extra",
    "docs/_static",
    "**/.ipynb_checkpoints",
]

# MyST: the generated Markdown writes math as $…$ and $$…$$ (GitHub's syntax).
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
# derivations/lecture.md uses GitHub's ```math fences; MyST reads them as the math directive.
myst_fence_as_directive = ["math"]

# MyST-NB: notebooks are committed without outputs; execute each one whenever Sphinx reads it
# (a changed notebook, or any notebook after divsym's code changed: _notebooks_follow_divsym)
# and fail on any error, so the site never shows outputs of older code.
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
# Markdown outputs (a derivation displayed as math) are parsed as MyST, so their $$ is math.
nb_render_markdown_format = "myst"
# No widget JavaScript from a CDN: a notebook's slider is interactive in Jupyter only, and the
# site shows the static figure each such notebook draws before its widget.
nb_ipywidgets_js: dict[str, dict[str, str]] = {}

# autodoc + numpydoc: API pages from the public docstrings.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config: dict[str, Any] = {
    "loader": {"load": ["[tex]/cancel"]},
    "tex": {"packages": {"[+]": ["cancel"]}},
}

html_theme = "pydata_sphinx_theme"
html_title = "divsym"
html_extra_path = ["_extra"]  # the site root's index.html: a redirect to docs/index.html
html_theme_options: dict[str, Any] = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = ["_static"]
html_css_files = ["divsym.css"]
html_copy_source = False  # the Markdown sources are in the repository; no _sources/ copy
html_show_sourcelink = False


def _copy_mathjax(app: Any, exception: Exception | None) -> None:
    """Copy the npm package's MathJax bundle into the built site's ``_static/mathjax``."""
    if exception is not None or app.builder.format != "html":
        return
    if not (MATHJAX_ES5 / "tex-chtml.js").is_file():
        raise FileNotFoundError(
            f"MathJax not installed at {MATHJAX_ES5}: run `make docs`, which installs the npm "
            "package mathjax@3 there"
        )
    target = Path(app.outdir) / "_static" / "mathjax"
    shutil.copytree(MATHJAX_ES5, target, dirs_exist_ok=True)


#: ``divsym build`` marks each derivation with a raw HTML anchor (GitHub shows no MyST syntax).
_HTML_ANCHOR = re.compile(r'^<a id="([A-Za-z0-9_-]+)"></a>$', re.MULTILINE)


def _anchors_as_targets(app: Any, docname: str, source: list[str]) -> None:
    """Read the generated Markdown's ``<a id="x"></a>`` lines as MyST targets ``(x)=``.

    A raw HTML anchor is invisible to Sphinx, so links to it (``#x``, ``lecture.md#x``) would
    not resolve; as a MyST target it labels the derivation's heading, and Sphinx checks every
    such link. Only the generated ``derivations/`` pages are read this way.
    """
    if docname.startswith("derivations/"):
        source[0] = _HTML_ANCHOR.sub(r"(\1)=", source[0])


def _divsym_source_hash() -> str:
    """A hash of divsym's Python sources, which the notebooks' outputs depend on."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "divsym").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _notebooks_follow_divsym(
    app: Any, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Re-read (so re-execute) every notebook when divsym's code changed since the last build.

    Sphinx re-reads a page only when its own source changed; a notebook's outputs also
    depend on the package it runs.
    """
    current = _divsym_source_hash()
    if getattr(env, "divsym_source_hash", None) == current:
        return []
    env.divsym_source_hash = current
    return sorted(name for name in env.found_docs if name.startswith("notebooks/"))


def setup(app: Any) -> dict[str, Any]:
    """Register the anchor conversion, the notebooks' dependency on divsym, the MathJax copy."""
    app.connect("source-read", _anchors_as_targets)
    app.connect("env-get-outdated", _notebooks_follow_divsym)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True}
