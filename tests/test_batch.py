"""``divsym batch`` on the local threaded scheduler: results, formats, atomic outputs, errors.

Every expected array is the public in-memory function on the same rows (``divsym.numeric``),
compared bit for bit: chunking must not change a single result.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

pytest.importorskip("dask")
zarr = pytest.importorskip("zarr")

from divsym.cli.batch import chunk_rows, parse_size  # noqa: E402
from divsym.cli.main import main  # noqa: E402
from divsym.numeric import functions as f  # noqa: E402

ROWS, CLASSES = 3001, 37  # an odd row count: the last chunk is not a whole one
BUDGET = "64kB"  # ~40 rows of two float64 inputs with their soft targets: ~75 chunks


def _logits(seed: int, rows: int = ROWS, classes: int = CLASSES) -> NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.uniform(-2, 1.5, size=(rows, 1))  # near-uniform to near-one-hot rows
    return rng.normal(size=(rows, classes)) * scale


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, Path]:
    """Teacher and student logits (the student close to the teacher on some rows), their soft
    targets at T = 1, labels, and a Zarr copy of the teacher."""
    teacher = _logits(1)
    student = teacher + _logits(2) * 0.01
    student[::3] = _logits(3)[::3]
    paths = {name: tmp_path / f"{name}.npy" for name in ("t", "s", "pt", "ps", "y")}
    np.save(paths["t"], teacher)
    np.save(paths["s"], student)
    np.save(paths["pt"], f.softmax(teacher))
    np.save(paths["ps"], f.softmax(student))
    np.save(paths["y"], np.random.default_rng(4).integers(0, CLASSES, size=ROWS))
    paths["tz"] = tmp_path / "t.zarr"
    zarr.create_array(store=str(paths["tz"]), shape=teacher.shape, chunks=(500, 10), dtype="f8")
    zarr.open_array(str(paths["tz"]), mode="r+")[:] = teacher
    return paths


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main(["batch", *(str(a) for a in argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _read(path: Path) -> NDArray[Any]:
    if path.suffix == ".zarr":
        array: NDArray[Any] = np.asarray(zarr.open_array(str(path), mode="r")[:])
    else:
        array = np.load(path)
    return array


def _same_bits(actual: NDArray[Any], expected: NDArray[Any]) -> None:
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    assert actual.tobytes() == expected.tobytes()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".divsym-" in p.name)


T = 2.5
TWO: dict[str, Callable[..., NDArray[Any]]] = {
    "kl": f.kl_divergence,
    "js": f.js_divergence,
    "js-distance": f.js_distance,
    "cross-entropy": f.cross_entropy,
}


@pytest.mark.parametrize("name", sorted(TWO))
def test_two_distribution_functions_from_logits_match_in_memory_bit_for_bit(
    name: str, corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = corpus["t"].parent / f"{name}.npy"
    args = (name, corpus["t"], corpus["s"], "--from-logits", "--T", T, "--out", out)
    code, _, err = _run(capsys, *args, "--memory-per-chunk", BUDGET)
    assert code == 0, err
    teacher, student = np.load(corpus["t"]), np.load(corpus["s"])
    _same_bits(np.load(out), TWO[name](f.softmax(teacher, T=T), f.softmax(student, T=T)))


def test_probabilities_entropy_and_nll_with_base_match_in_memory(
    corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = corpus["t"].parent
    p, q, y = np.load(corpus["pt"]), np.load(corpus["ps"]), np.load(corpus["y"])
    for argv, expected in (
        (("kl", corpus["pt"], corpus["ps"]), f.kl_divergence(p, q, base=2)),
        (("entropy", corpus["pt"]), f.entropy(p, base=2)),
        (("nll", corpus["ps"], corpus["y"]), f.nll(q, y, base=2)),
    ):
        out = folder / f"{argv[0]}-base2.npy"
        code, _, err = _run(capsys, *argv, "--base", 2, "--out", out, "--memory-per-chunk", BUDGET)
        assert code == 0, err
        _same_bits(np.load(out), expected)


@pytest.mark.parametrize("name", ["softmax", "log-softmax"])
@pytest.mark.parametrize("suffix", [".npy", ".zarr"])
def test_soft_targets_have_the_input_shape_in_npy_and_zarr(
    name: str, suffix: str, corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = corpus["t"].parent / f"{name}{suffix}"
    argv = (name, corpus["tz"], "--T", T, "--out", out, "--memory-per-chunk", BUDGET)
    code, _, err = _run(capsys, *argv)
    assert code == 0, err
    function = f.softmax if name == "softmax" else f.log_softmax
    _same_bits(_read(out), function(np.load(corpus["t"]), T=T))


def test_float32_in_gives_float32_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    z = _logits(5).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    code, _, err = _run(
        capsys, "entropy", tmp_path / "z.npy", "--from-logits", "--out", tmp_path / "h.zarr"
    )
    assert code == 0, err
    _same_bits(_read(tmp_path / "h.zarr"), f.entropy(f.softmax(z)))


def test_fortran_ordered_and_big_endian_npy_inputs_read_the_same_rows(
    corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    p = np.load(corpus["pt"])
    folder = corpus["t"].parent
    np.save(folder / "pf.npy", np.asfortranarray(p))
    np.save(folder / "pb.npy", p.astype(">f8"))
    for name in ("pf", "pb"):
        out = folder / f"h-{name}.npy"
        argv = ("entropy", folder / f"{name}.npy", "--out", out, "--memory-per-chunk", BUDGET)
        code, _, err = _run(capsys, *argv)
        assert code == 0, err
        assert np.array_equal(np.load(out), f.entropy(p)), name


def test_summary_is_streamed_statistics_of_the_rows(
    corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("kl", corpus["t"], corpus["s"], "--from-logits", "--summary", "--bins", 7)
    code, out, err = _run(capsys, *args, "--memory-per-chunk", BUDGET)
    assert code == 0, err
    values = f.kl_divergence(f.softmax(np.load(corpus["t"])), f.softmax(np.load(corpus["s"])))
    lines = dict(line.split(None, 1) for line in out.splitlines() if line[:1].isalpha())
    assert int(lines["count"]) == ROWS
    assert float(lines["mean"]) == pytest.approx(values.mean(), rel=1e-5)  # printed to 6 digits
    assert float(lines["std"]) == pytest.approx(values.std(), rel=1e-5)
    assert float(lines["min"]) == pytest.approx(values.min(), rel=1e-5)
    assert float(lines["max"]) == pytest.approx(values.max(), rel=1e-5)
    quantiles = [line.split() for line in out.splitlines() if line.startswith("  q")]
    assert len(quantiles) == 7
    for label, printed in quantiles:
        exact = np.quantile(values, int(label[1:]) / 100, method="lower")
        assert float(printed) == pytest.approx(exact, rel=0.005 + 1e-5)
    bars = [line for line in out.splitlines() if line.startswith("  [")]
    assert len(bars) == 7
    assert sum(int(line.split(")")[-1].split("]")[-1].split()[0]) for line in bars) == ROWS
    assert not _leftovers(corpus["t"].parent)
    assert not list(corpus["t"].parent.glob("kl*"))  # --summary alone writes nothing


def test_existing_output_is_kept_without_force_and_replaced_with_it(
    corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    for suffix in (".npy", ".zarr"):
        out = corpus["t"].parent / f"h{suffix}"
        out.mkdir() if suffix == ".zarr" else out.write_bytes(b"precious")
        code, stdout, err = _run(capsys, "entropy", corpus["pt"], "--out", out)
        assert code == 2
        assert "exists; use --force" in err
        assert err.count("\n") == 1
        assert not stdout
        assert out.is_dir() if suffix == ".zarr" else out.read_bytes() == b"precious"
        code, _, err = _run(capsys, "entropy", corpus["pt"], "--out", out, "--force")
        assert code == 0, err
        _same_bits(_read(out), f.entropy(np.load(corpus["pt"])))
    assert not _leftovers(corpus["t"].parent)


def _bad(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(6)
    p = f.softmax(rng.normal(size=(400, 5)))
    broken = p.copy()
    broken[301, 2] = -0.25  # a negative probability deep in a later chunk
    files = {
        "p": p,
        "short": p[:-1],
        "wide": f.softmax(rng.normal(size=(400, 6))),
        "ints": np.ones((400, 5), dtype=np.int64),
        "flat": p[:, 0].copy(),
        "broken": broken,
        "float_labels": np.zeros(400),
        "labels": np.zeros(400, dtype=np.int64),
    }
    paths = {name: tmp_path / f"{name}.npy" for name in files}
    for name, array in files.items():
        np.save(paths[name], array)
    (tmp_path / "notnpy.npy").write_text("not an array")
    paths["notnpy"] = tmp_path / "notnpy.npy"
    return paths


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["kl", "{p}", "{tmp}/missing.npy"], "missing.npy' does not exist"),
        (["kl", "{p}", "{short}"], "row counts differ: '{p}' has 400 rows, '{short}' has 399"),
        (["kl", "{p}", "{wide}"], "class counts differ: '{p}' has 5 classes, '{wide}' has 6"),
        (
            ["entropy", "{ints}"],
            "must be a 2-D float array (rows, classes), got shape (400, 5) and dtype int64",
        ),
        (["entropy", "{flat}"], "must be a 2-D float array"),
        (["nll", "{p}", "{float_labels}"], "must be a 1-D integer array"),
        (["entropy", "{notnpy}"], "is not a readable .npy file"),
        (["kl", "{p}"], "kl takes 2 input(s) (P, Q), got 1"),
        (["entropy", "{broken}", "--memory-per-chunk", "4kB"], "at index (301, 2)"),
        (["entropy", "{p}", "--T", "2"], "--T applies to logits: add --from-logits"),
        (["softmax", "{p}", "--T", "0"], "--T must be finite and > 0, got 0.0"),
        (["softmax", "{p}", "--T", "nan"], "--T must be finite and > 0, got nan"),
        (["entropy", "{p}", "--base", "1"], "base"),
        (["entropy", "{p}", "--memory-per-chunk", "lots"], "not a size: 'lots'"),
        (["entropy", "{p}", "--memory-per-chunk", "0"], "size must be > 0"),
        (["entropy", "{p}", "--out", "{tmp}/h.txt"], "must end in .npy or .zarr"),
        (["entropy", "{p}", "--out", "{tmp}/no/such/h.npy"], "does not exist"),
        (["entropy", "{p}", None], "nothing to do: give --out OUTPUT, --summary or both"),
        (
            ["entropy", "{p}", "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "0.5"],
            "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' within 0.5 s",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    argv: list[str | None],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # short relative names: messages quote them whole
    paths = {name: path.name for name, path in _bad(tmp_path).items()}
    paths["tmp"] = "."
    words = [a.format(**paths) for a in argv if a is not None]
    if None not in argv and "--out" not in words:
        words += ["--out", "result.npy"]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = _run(capsys, *words)
    assert code == 2
    assert err.startswith("divsym: error: ")
    assert err.count("\n") == 1, err
    assert message.format(**paths) in err
    assert "Traceback" not in err
    assert not out
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_no_progress_bar_when_stderr_is_not_a_terminal_or_quiet(
    corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = corpus["t"].parent / "h.npy"
    code, stdout, err = _run(capsys, "entropy", corpus["pt"], "--out", out)
    assert code == 0
    assert err == f"wrote {out}\n"  # captured stderr is no terminal: no bar
    assert not stdout
    code, stdout, err = _run(capsys, "entropy", corpus["pt"], "--out", out, "--force", "--quiet")
    assert (code, stdout, err) == (0, "", "")


def test_progress_bar_is_drawn_on_a_terminal(corpus: dict[str, Path]) -> None:
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    out = corpus["t"].parent / "h.npy"
    command = "from divsym.cli.main import main; raise SystemExit(main())"
    argv = ["batch", "entropy", str(corpus["pt"]), "--out", str(out), "--memory-per-chunk", "8kB"]
    done = subprocess.run(
        [sys.executable, "-c", command, *argv], stderr=follower, stdout=subprocess.PIPE, timeout=120
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    terminal = b"".join(chunks).decode(errors="replace")
    assert done.returncode == 0
    assert "divsym batch" in terminal
    assert "row" in terminal
    assert f"/{ROWS / 1000:.2f}k [" in terminal  # tqdm counts rows out of the total
    assert "row/s" in terminal


def test_chunk_rows_keep_chunks_near_the_budget_and_never_tiny() -> None:
    for rows in (1, 5, 99, 100, 101, 149, 150, 151, 1000, 12345):
        chunks = chunk_rows(rows, 100)
        assert sum(chunks) == rows
        assert max(chunks) < 150 or rows < 150
        assert min(chunks) >= 50 or len(chunks) == 1
        assert all(c == 100 for c in chunks[:-1])  # Zarr chunks of 100 rows: one writer each


def test_parse_size_units_and_refusals() -> None:
    assert parse_size("64MiB") == 64 << 20
    assert parse_size("1GB") == 10**9
    assert parse_size("500k") == 500_000
    assert parse_size(" 2 KiB ") == 2048
    assert parse_size("123") == 123
    for text in ("", "MiB", "-1MiB", "1 XB", "1e3", "0"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_size(text)


def test_readme_batch_example_runs_at_a_small_scale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import re
    import shlex

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Corpus-scale batches", 1)[1].split("\n## ", 1)[0]
    snippet = re.search(r"```python\n(.*?)```", section, re.S)
    commands = re.search(r"```sh\n(.*?)```", section, re.S)
    assert snippet is not None
    assert commands is not None
    code = snippet.group(1).replace("500_000", "3_000").replace("50_000", "1_000")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})  # the README's own code, 3000 rows
    lines = [line.split("#", 1)[0] for line in commands.group(1).splitlines() if line.strip()]
    for line in lines:
        argv = shlex.split(line)
        assert argv[:2] == ["divsym", "batch"]
        assert main(argv[1:]) == 0, line
    out = capsys.readouterr().out
    assert out.count("summary of ") == 2
    teacher, student = np.load("teacher.npy"), np.load("student.npy")
    expected = f.kl_divergence(f.softmax(teacher, T=4), f.softmax(student, T=4))
    assert np.load("kl.npy").tobytes() == expected.tobytes()
    assert zarr.open_array("soft.zarr", mode="r").shape == teacher.shape


def test_a_sigterm_whose_exception_python_dropped_still_ends_the_block() -> None:
    """Python prints and drops an exception raised while the main thread runs a weakref or
    __del__ callback; a SIGTERM arriving there (seen in CI: importlib's module-lock callback)
    let the run commit its output and exit 0. The block now ends with Terminated anyway,
    and raise_if_terminated (called before the commit) says so."""
    import contextlib
    import signal

    from divsym.cli.batch_run import Terminated, raise_if_terminated, sigterm_interrupts

    def dropped_sigterm() -> None:
        with sigterm_interrupts():
            with contextlib.suppress(Terminated):  # what Python does inside a callback
                os.kill(os.getpid(), signal.SIGTERM)
            with pytest.raises(Terminated):
                raise_if_terminated()

    with pytest.raises(Terminated):
        dropped_sigterm()
    with sigterm_interrupts():  # a new block starts clean
        raise_if_terminated()
