"""The documentation site, opened in headless Chromium with the network off.

``make docs`` builds ``build/docs/`` (Sphinx + MyST-NB, see ``docs/conf.py``); this module
builds it when the build is missing or older than its sources, serves it on 127.0.0.1 from a
thread, and opens every page reachable from the site's root in Debian's Chromium driven by
Playwright, with every request to another host refused. On each page it checks that the
math was typeset by the site's own MathJax (every ``.math`` element holds a MathJax
container, no ``$…$`` or ``\\frac`` left in the text, no MathJax error), that every image
loaded (natural width > 0), and it crawls the site's own ``<a href>``: every target exists,
anchors included. The notebook with the ``ipywidgets`` slider must show its static figure.
A screenshot of the lecture is saved as ``build/docs/screenshot-lecture.png``.

The checkers are also fed a small broken site (raw TeX, a missing image, a dead link and a
dead anchor) and must report each fault.

Skipped only when Chromium is not installed (CI installs Debian's ``chromium``).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "build" / "docs"
#: Written by ``make docs`` after a build without warnings.
BUILT = SITE / ".built"
SCREENSHOT = SITE / "screenshot-lecture.png"

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,  # a fresh build executes every notebook
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (CI installs it)"),
]

#: Flags for Chromium started as root on a machine without network (see the CI notes).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Networking off at the resolver too: every host but the local server fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

#: TeX that MathJax should have replaced: $…$, $$, \\( \\[ delimiters or any TeX command (an
#: undefined macro is shown by MathJax as its name in red, and is caught here too).
RAW_TEX = re.compile(r"\$\$|\$[^$\s][^$\n]*\$|\\[(\[]|\\[A-Za-z]+")

#: Text of the page as a reader sees it, code blocks left out (they may quote TeX on purpose);
#: MathJax's assistive MathML is kept, so an undefined macro shown in red is seen as raw TeX.
TEXT_JS = """() => {
  const skip = new Set(["PRE", "CODE", "SCRIPT", "STYLE", "TEXTAREA"]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    let el = node.parentElement, inside = false;
    for (; el; el = el.parentElement) if (skip.has(el.tagName)) { inside = true; break; }
    if (!inside) parts.push(node.textContent);
  }
  return parts.join(" ");
}"""

#: For each Sphinx math element: does it hold a MathJax container, and any MathJax error.
MATH_JS = """() => ({
  math: document.querySelectorAll(".math").length,
  untypeset: [...document.querySelectorAll(".math")]
    .filter(el => !el.querySelector("mjx-container")).map(el => el.textContent.slice(0, 60)),
  containers: document.querySelectorAll("mjx-container").length,
  errors: [...document.querySelectorAll("mjx-merror")]
    .map(el => el.textContent.slice(0, 60)),
  clipped: [...document.querySelectorAll('mjx-container[display="true"]')]
    .filter(el => el.scrollWidth > el.clientWidth + 1
      && !["auto", "scroll"].includes(getComputedStyle(el).overflowX))
    .map(el => el.textContent.slice(0, 60)),
})"""

#: Load every image now (none lazily) and give the sources of those that did not decode.
IMAGES_JS = """async () => {
  const images = [...document.images];
  for (const img of images) img.loading = "eager";
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  return {
    count: images.length,
    broken: images.filter(img => !(img.complete && img.naturalWidth > 0))
      .map(img => img.getAttribute("src")),
  };
}"""

#: Every link's resolved target, and every id (or a name) on the page as anchor targets.
LINKS_JS = """() => ({
  links: [...document.querySelectorAll("a[href]")].map(a => a.href),
  ids: [...document.querySelectorAll("[id]")].map(el => el.id)
    .concat([...document.querySelectorAll("a[name]")].map(a => a.name)),
})"""

#: Waits until MathJax has typeset the page (resolves at once on pages without MathJax).
TYPESET_JS = """async () => {
  if (!document.querySelector(".math")) return true;
  for (let i = 0; i < 40 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
    await new Promise(r => setTimeout(r, 50));
  if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return false;
  await MathJax.startup.promise;
  return true;
}"""


@dataclass
class SiteScan:
    """What a crawl found: the pages, each page's anchors, and every fault, one line each."""

    pages: dict[str, set[str]] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    images: dict[str, int] = field(default_factory=dict)
    widget_figures: dict[str, int] = field(default_factory=dict)
    redirect: str = ""
    math_containers: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def _sources_newer_than(stamp: Path) -> list[Path]:
    """Sources of the site (docs, generated Markdown, notebooks, README, docstrings) newer
    than ``stamp``; all of them when it does not exist."""
    sources = [
        *(ROOT / "docs").rglob("*"),
        *(ROOT / "derivations").glob("*.md"),
        *(ROOT / "notebooks").glob("*.ipynb"),
        ROOT / "README.md",
        *(ROOT / "divsym").rglob("*.py"),
    ]
    if not stamp.exists():
        return sources
    built = stamp.stat().st_mtime
    return [path for path in sources if path.is_file() and path.stat().st_mtime > built]


@pytest.fixture(scope="module")
def site() -> Path:
    """``build/docs/``, built by ``make docs`` unless a build newer than every source exists."""
    if _sources_newer_than(BUILT):
        # -o: never reinstall the venv from inside its own test run.
        result = subprocess.run(
            ["make", "-o", ".venv/.installed", "docs"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        assert result.returncode == 0, (
            f"make docs failed:\n{result.stdout[-3000:]}\n" + (result.stderr[-5000:])
        )
    assert BUILT.exists(), "make docs did not finish (no build/docs/.built)"
    return SITE


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that drops a connection mid-file (navigating on) is not an error here."""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output free of one line per request."""


@contextmanager
def _serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) from a thread; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def _browser(profile: Path, base: str) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A fresh headless Chromium profile that may load only from ``base``.

    Yields the Playwright browser context and the list that collects every refused URL.
    """
    from playwright.sync_api import Route, sync_playwright

    blocked: list[str] = []
    origin = urlsplit(base).netloc

    def only_the_site(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).netloc == origin:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            context.route("**/*", only_the_site)
            yield context, blocked
        finally:
            context.close()


def _page_path(url: str) -> str:
    """The URL without fragment and query, ``…/`` read as ``…/index.html``."""
    path = urldefrag(url).url.split("?", 1)[0]
    return path + "index.html" if path.endswith("/") else path


def crawl(context: BrowserContext, base: str, root: Path, start: str = "index.html") -> SiteScan:
    """Open every HTML page of the site reachable from ``start`` and check it.

    Each page: math typeset (:data:`MATH_JS`, :data:`RAW_TEX`), images loaded
    (:data:`IMAGES_JS`); then every link into the site must reach an existing page or file,
    and a link with an anchor must name an id on its target page. ``root`` is the directory
    served at ``base`` (for links to files that are not pages).
    """
    scan = SiteScan()
    links: list[tuple[str, str]] = []  # (from page, to URL)
    queue = [urljoin(base, start)]
    page = context.new_page()
    try:
        while queue:
            url = _page_path(queue.pop())
            if url in scan.pages:
                continue
            response = page.goto(url, wait_until="load")
            name = url.removeprefix(base)
            scan.pages[url] = set()
            if response is None or not response.ok:
                scan.missing.add(url)  # reported by the links that lead here
                continue
            if not page.evaluate(TYPESET_JS):
                scan.problems.append(f"{name}: MathJax did not start")
            math = page.evaluate(MATH_JS)
            scan.math_containers[name] = math["containers"]
            scan.problems += [f"{name}: math not typeset: {t!r}" for t in math["untypeset"]]
            scan.problems += [f"{name}: MathJax error: {t!r}" for t in math["errors"]]
            scan.problems += [f"{name}: display math clipped: {t!r}" for t in math["clipped"]]
            raw = [m.group(0) for m in RAW_TEX.finditer(page.evaluate(TEXT_JS))]
            if raw:
                scan.problems.append(f"{name}: raw TeX in the rendered text: {raw[:5]}")
            images = page.evaluate(IMAGES_JS)
            scan.images[name] = images["count"]
            scan.problems += [f"{name}: image did not load: {src}" for src in images["broken"]]
            found = page.evaluate(LINKS_JS)
            scan.pages[url] = set(found["ids"])
            for link in found["links"]:
                if not link.startswith(base):
                    continue
                links.append((name, link))
                if _page_path(link).endswith(".html"):
                    queue.append(link)
    finally:
        page.close()
    scan.problems += _link_problems(links, scan, base, root)
    return scan


def _link_problems(
    links: list[tuple[str, str]], scan: SiteScan, base: str, root: Path
) -> list[str]:
    """Links whose target page or file is missing, or whose anchor names no id there."""
    problems = []
    for origin, link in links:
        target, anchor = urldefrag(link)
        path = _page_path(target)
        if path in scan.pages:
            exists = path not in scan.missing
        else:  # not a page: an image, a download, an asset
            exists = (root / path.removeprefix(base)).is_file()
        if not exists:
            problems.append(f"{origin}: link to a missing file: {link.removeprefix(base)}")
        elif anchor and anchor not in scan.pages.get(path, set()):
            problems.append(f"{origin}: link to a missing anchor: {link.removeprefix(base)}")
    return problems


@pytest.fixture(scope="module")
def scan(site: Path, tmp_path_factory: pytest.TempPathFactory) -> SiteScan:
    """The crawl of the built site, with the lecture's screenshot saved on the way.

    The browser is closed before the tests run: Playwright's sync API allows one at a time.
    """
    profile = tmp_path_factory.mktemp("chromium-profile")
    with _serve(site) as base, _browser(profile, base) as (context, blocked):
        result = crawl(context, base, site, start="docs/index.html")
        result.redirect = _follow_root_redirect(context, base)
        _screenshot_lecture(context, base)
        result.widget_figures = _widget_figures(context, base)
        result.blocked = list(blocked)
    return result


def _follow_root_redirect(context: BrowserContext, base: str) -> str:
    """Where the site's root ``index.html`` leads (a redirect to the root document)."""
    page = context.new_page()
    try:
        page.goto(base)
        page.wait_for_url("**/docs/index.html", timeout=10_000)
        return page.url.removeprefix(base)
    finally:
        page.close()


def _screenshot_lecture(context: BrowserContext, base: str) -> None:
    """Save the lecture at its derivation of dH/dT (a typeset align block) as a PNG."""
    page = context.new_page()
    try:
        page.goto(urljoin(base, "derivations/lecture.html#softmax-temperature-entropy"))
        page.evaluate(TYPESET_JS)
        page.evaluate("() => window.scrollBy(0, -160)")  # the heading out from under the bar
        page.screenshot(path=str(SCREENSHOT))
    finally:
        page.close()


def _widget_notebooks() -> list[Path]:
    """Notebooks whose code uses ipywidgets (they must draw a static figure first)."""
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        if re.search(r"^\s*(import ipywidgets|from ipywidgets\b)", code, re.MULTILINE):
            found.append(path)
    return found


#: Loaded, visible figures in the output just before the first widget's output (-1: no widget).
WIDGET_FALLBACK_JS = """async () => {
  const outputs = [...document.querySelectorAll(".cell_output")];
  const widget = outputs.findIndex(
    out => out.querySelector('script[type="application/vnd.jupyter.widget-view+json"]'));
  if (widget < 0) return -1;
  const shown = outputs.slice(0, widget).filter(out => out.querySelector("img"));
  if (!shown.length) return 0;
  const images = [...shown[shown.length - 1].querySelectorAll("img")];
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  return images.filter(img => img.naturalWidth > 0 && img.getBoundingClientRect().width > 0)
    .length;
}"""


def _widget_figures(context: BrowserContext, base: str) -> dict[str, int]:
    """For each widget notebook's page, the figures shown just before its widget (-1: no
    widget output found on the page)."""
    result = {}
    page = context.new_page()
    try:
        for path in _widget_notebooks():
            page.goto(urljoin(base, f"notebooks/{path.stem}.html"))
            result[path.name] = int(page.evaluate(WIDGET_FALLBACK_JS))
    finally:
        page.close()
    return result


def test_the_site_has_the_lecture_notebooks_and_api(scan: SiteScan) -> None:
    names = {url.rsplit("/", 2)[-2] + "/" + url.rsplit("/", 1)[-1] for url in scan.pages}
    expected = {"derivations/lecture.html", "derivations/index.html", "docs/api.html"}
    expected |= {f"notebooks/{p.stem}.html" for p in (ROOT / "notebooks").glob("*.ipynb")}
    expected |= {"docs/conventions.html", "docs/benchmarks.html"}
    assert expected <= names, f"pages not reached from the root: {sorted(expected - names)}"


def test_the_site_root_leads_to_the_documentation(scan: SiteScan) -> None:
    assert scan.redirect == "docs/index.html"


def test_every_page_is_typeset_loads_its_images_and_links_resolve(scan: SiteScan) -> None:
    assert scan.problems == [], "\n".join(scan.problems)


def test_the_lecture_math_is_typeset_by_the_sites_own_mathjax(scan: SiteScan) -> None:
    # 23 derivations, each an aligned block, plus the lecture's displays and inline math.
    assert scan.math_containers["derivations/lecture.html"] >= 23
    assert scan.math_containers["derivations/index.html"] > 0
    assert scan.blocked == [], f"the site asked for other hosts: {scan.blocked[:5]}"


def test_notebook_figures_are_on_the_site(scan: SiteScan) -> None:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert scan.images.get(f"notebooks/{path.stem}.html", 0) > 0, path.name


def test_the_widget_notebook_shows_its_static_figure(scan: SiteScan) -> None:
    if not _widget_notebooks():
        pytest.skip("no notebook in notebooks/ uses ipywidgets yet")
    assert scan.widget_figures, "the widget notebooks' pages were not opened"
    for name, shown in scan.widget_figures.items():
        assert shown != -1, f"{name}: its page has no widget output"
        assert shown > 0, f"{name}: no figure just before its widget (the widget needs a kernel)"


def test_a_screenshot_of_the_lecture_is_saved(scan: SiteScan) -> None:
    header = SCREENSHOT.read_bytes()[:8]
    assert header == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 10_000  # a blank page compresses to far less


BROKEN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title></head>
<body id="top">
<p>Inline <span class="math">$x + 1$</span> never typeset, and \\frac{a}{b} in the text.</p>
<img src="missing.png" alt="a figure that is not there">
<img src="good.svg" alt="a figure that is there">
<a href="good.html#here">fine</a> <a href="nowhere.html">dead</a>
<a href="good.html#gone">dead anchor</a> <a href="https://example.org/">outside</a>
<a href="#top">top</a>
<div class="math"><mjx-container display="true"
  style="display: block; width: 50px; overflow: hidden; white-space: nowrap"
  >a display equation far wider than its column</mjx-container></div>
</body></html>"""
GOOD_PAGE = '<!DOCTYPE html><html><body><h1 id="here">here</h1></body></html>'
GOOD_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'


def test_the_checks_report_a_broken_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(BROKEN_PAGE, encoding="utf-8")
    (site / "good.html").write_text(GOOD_PAGE, encoding="utf-8")
    (site / "good.svg").write_text(GOOD_SVG, encoding="utf-8")
    with _serve(site) as base, _browser(tmp_path / "profile", base) as (context, blocked):
        result = crawl(context, base, site)
        page = context.new_page()
        page.goto(urljoin(base, "index.html"))
        page.evaluate("() => fetch('https://example.org/x').catch(() => null)")
        page.close()
    report = "\n".join(result.problems)
    assert "index.html: math not typeset: '$x + 1$'" in report
    assert "raw TeX in the rendered text" in report
    assert "\\frac" in report
    assert "image did not load: missing.png" in report
    assert "good.svg" not in report
    assert "link to a missing file: nowhere.html" in report
    assert "link to a missing anchor: good.html#gone" in report
    assert "good.html#here" not in report
    assert "#top" not in report
    assert "MathJax did not start" in report
    assert "display math clipped: 'a display equation far wider" in report
    assert len(result.problems) == 7, report
    assert blocked == ["https://example.org/x"]


BAD_MATH_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad math</title>
<script defer src="mathjax/tex-chtml.js"></script></head><body>
<p>An undefined macro <span class="math">\\(\\notamacro{x} + 1\\)</span>.</p>
<div class="math">\\[x^2^3\\]</div>
<p>Fine: <span class="math">\\(\\frac{1}{2}\\)</span>.</p>
</body></html>"""


def test_the_checks_report_what_mathjax_could_not_typeset(site: Path, tmp_path: Path) -> None:
    # The site's own MathJax on a page with an undefined macro and a double exponent.
    bad = tmp_path / "site"
    bad.mkdir()
    (bad / "index.html").write_text(BAD_MATH_PAGE, encoding="utf-8")
    (bad / "mathjax").symlink_to(site / "_static" / "mathjax", target_is_directory=True)
    with _serve(bad) as base, _browser(tmp_path / "profile", base) as (context, blocked):
        result = crawl(context, base, bad)
    report = "\n".join(result.problems)
    assert result.math_containers["index.html"] == 3, report
    assert "raw TeX in the rendered text: ['\\\\notamacro']" in report
    assert "index.html: MathJax error: " in report
    assert len(result.problems) == 2, report
    assert blocked == []


def test_a_stale_build_is_detected(tmp_path: Path) -> None:
    stamp = tmp_path / ".built"
    assert _sources_newer_than(stamp), "a missing build must count as stale"
    stamp.touch()
    newest = max(p.stat().st_mtime for p in (ROOT / "docs").rglob("*") if p.is_file())
    os.utime(stamp, (newest - 10, newest - 10))
    assert _sources_newer_than(stamp)
    os.utime(stamp, (newest + 10**6, newest + 10**6))
    assert _sources_newer_than(stamp) == []
