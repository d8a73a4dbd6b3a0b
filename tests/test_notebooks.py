"""The teaching notebooks: committed clean, on the public API only, and run top to bottom.

Each notebook is executed once on a fresh kernel (``slow``); the executed cells are then
checked by :func:`execution_problems`: no error, nothing on stderr (a warning is a failure), an
image from every plotting cell, a widget from every ``widget`` cell, and derivations displayed
as math. The checkers are plain functions so that tests can feed them wrong notebooks.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path
from typing import Any

import pytest

import divsym
import divsym.symbols

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

#: What a notebook may import from divsym: the package's public names, the notation module,
#: the lecture's registry, the plotting helpers and the documented high-precision references.
PUBLIC_MODULES = {"divsym", "divsym.symbols", "divsym.identities", "divsym.plotting"}
PUBLIC_SUBMODULES = {"plotting", "reference", "symbols"}
PUBLIC_FROM_IDENTITIES = {"all_derivations"}

#: A cell that draws (and so must leave an image behind).
PLOTTING_CALLS = ("plt.show()", "plotting.subplots(", "plt.subplots(", "plt.figure(")
WIDGET_TAG = "widget"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: The one formula a notebook may write out itself: the naive softmax, shown overflowing.
NAIVE_LABEL = "NAIVE FORMULA"


def _code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _python(source: str) -> str:
    """A cell's source without IPython magics and shell escapes, which are not Python."""
    lines = source.splitlines()
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def import_problems(notebook: Any) -> list[str]:
    """Imports of divsym that are not its public API, one message per import."""
    problems = []
    for number, cell in enumerate(_code_cells(notebook)):
        for node in ast.walk(ast.parse(_python(cell.source))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
                wrong = [
                    name
                    for name in names
                    if name.split(".")[0] == "divsym" and name not in PUBLIC_MODULES
                ]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("divsym"):
                imported = {alias.name for alias in node.names}
                if node.module == "divsym":
                    allowed = set(divsym.__all__) | PUBLIC_SUBMODULES
                elif node.module == "divsym.identities":
                    allowed = PUBLIC_FROM_IDENTITIES
                elif node.module == "divsym.symbols":
                    allowed = set(divsym.symbols.__all__)
                else:
                    allowed = set()
                wrong = [f"{node.module}.{name}" for name in sorted(imported - allowed)]
            else:
                continue
            problems += [f"code cell {number}: imports {name}, not public API" for name in wrong]
    return problems


def formula_problems(notebook: Any) -> list[str]:
    """Cells that write out an exponential themselves (a softmax divsym already has), unless
    the cell labels it as the naive formula shown for comparison."""
    return [
        f"code cell {number}: computes exp( itself; use divsym or label it {NAIVE_LABEL}"
        for number, cell in enumerate(_code_cells(notebook))
        if "exp(" in _python(cell.source) and NAIVE_LABEL not in cell.source
    ]


def execution_problems(notebook: Any) -> list[str]:
    """What is wrong with an executed notebook's outputs, one message per problem."""
    problems = []
    shown_math = False
    for number, cell in enumerate(_code_cells(notebook)):
        data = [output.get("data", {}) for output in cell.outputs]
        for output in cell.outputs:
            if output.output_type == "error":
                problems.append(f"code cell {number}: {output.ename}: {output.evalue}")
            if output.output_type == "stream" and output.name == "stderr":
                problems.append(f"code cell {number} wrote to stderr: {output.text[:200]!r}")
        for markdown in (d["text/markdown"] for d in data if "text/markdown" in d):
            if "could not display" in markdown:
                problems.append(f"code cell {number}: a display failed: {markdown[:200]!r}")
            elif "$$" in markdown:
                shown_math = True
        if WIDGET_TAG in cell.metadata.get("tags", []):
            if not any(WIDGET_VIEW in d for d in data):
                problems.append(f"code cell {number} is tagged {WIDGET_TAG} but shows no widget")
            continue
        plots = any(call in cell.source for call in PLOTTING_CALLS)
        if plots and not any("image/png" in d for d in data):
            problems.append(f"code cell {number} plots but yielded no image")
    if not shown_math:
        problems.append("no derivation is displayed as math")
    return problems


def test_there_are_the_six_notebooks() -> None:
    assert len(NOTEBOOKS) == 6, [p.name for p in NOTEBOOKS]
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    # Outputs hold timings and figure bytes; stripped notebooks keep the tree deterministic.
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_uses_only_the_public_api(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    assert import_problems(notebook) == []
    assert formula_problems(notebook) == []


def _notebook(*cells: Any) -> Any:
    return nbformat.v4.new_notebook(cells=list(cells))


def _executed(source: str, *outputs: Any, tags: tuple[str, ...] = ()) -> Any:
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = list(outputs)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


MATH = nbformat.v4.new_output("display_data", data={"text/markdown": "$$\nx\n$$"})
IMAGE = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="})


def test_import_checker_refuses_private_modules() -> None:
    notebook = _notebook(
        nbformat.v4.new_code_cell("import divsym\nfrom divsym import softmax, plotting"),
        nbformat.v4.new_code_cell("from divsym.kernel.verify import verify\nimport divsym.render"),
        nbformat.v4.new_code_cell(
            "from divsym import api\nfrom divsym.identities import FACTORIES"
        ),
        nbformat.v4.new_code_cell("%matplotlib inline\nfrom divsym.symbols import H, p"),
    )
    assert import_problems(notebook) == [
        "code cell 1: imports divsym.kernel.verify.verify, not public API",
        "code cell 1: imports divsym.render, not public API",
        "code cell 2: imports divsym.api, not public API",
        "code cell 2: imports divsym.identities.FACTORIES, not public API",
    ]


def test_formula_checker_refuses_an_unlabelled_exponential() -> None:
    notebook = _notebook(
        nbformat.v4.new_code_cell("q = np.exp(z) / np.exp(z).sum()"),
        nbformat.v4.new_code_cell('"""THE NAIVE FORMULA, for comparison."""\ne = np.exp(z / T)'),
    )
    assert formula_problems(notebook) == [
        f"code cell 0: computes exp( itself; use divsym or label it {NAIVE_LABEL}"
    ]


def test_execution_checker_accepts_a_good_notebook() -> None:
    widget = nbformat.v4.new_output("display_data", data={WIDGET_VIEW: {"model_id": "x"}})
    notebook = _notebook(
        _executed("plt.show()", IMAGE),
        _executed("interact(draw)", widget, tags=(WIDGET_TAG,)),
        _executed("display(report)", MATH),
    )
    assert execution_problems(notebook) == []


def test_execution_checker_reports_each_kind_of_problem() -> None:
    stderr = nbformat.v4.new_output("stream", name="stderr", text="RuntimeWarning: overflow")
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="T must be > 0")
    failed = nbformat.v4.new_output(
        "display_data", data={"text/markdown": "*divsym could not display this: TypeError*"}
    )
    notebook = _notebook(
        _executed("x = np.exp(1000)", stderr),
        _executed("divsym.softmax(z, T=0)", error),
        _executed("_, (ax,) = plotting.subplots(1)\nplt.show()"),
        _executed("interact(draw)", tags=(WIDGET_TAG,)),
        _executed("display(report)", failed),
    )
    assert execution_problems(notebook) == [
        "code cell 0 wrote to stderr: 'RuntimeWarning: overflow'",
        "code cell 1: ValueError: T must be > 0",
        "code cell 2 plots but yielded no image",
        f"code cell 3 is tagged {WIDGET_TAG} but shows no widget",
        "code cell 4: a display failed: '*divsym could not display this: TypeError*'",
        "no derivation is displayed as math",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_cleanly(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel's own inline backend draws the figures; no screen is needed.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    seconds = time.perf_counter() - start
    assert execution_problems(notebook) == []
    figures = [
        output
        for cell in _code_cells(notebook)
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert figures, f"{path.name} drew no figure"
    print(f"{path.name}: {seconds:.1f} s")  # the six together should stay under ~90 s
