"""``divsym verify --id``, ``divsym verify MODULE_OR_FILE``, ``--version`` and where
``divsym build`` writes."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from divsym.cli import main as cli
from divsym.cli.build import FILE_MODE, project_root
from divsym.cli.main import main

#: A user's module as the README shows it: one proved derivation and one wrong variant.
USER_MODULE = textwrap.dedent(
    """
    from sympy import Sum, log

    from divsym import Context, Derivation, Step
    from divsym.symbols import H, i, n, p

    good = Derivation(
        id="kl-uniform",
        title="KL divergence to the uniform distribution",
        context=Context(distributions=(p,)),
        steps=(
            Step(Sum(p[i] * log(n * p[i]), (i, 1, n)), "D_KL(P || U) with u_i = 1/n"),
            Step(Sum(p[i] * log(p[i]), (i, 1, n)) + log(n), "log(n p_i) = log n + log p_i"),
            Step(log(n) - H(p), "definition of the entropy"),
        ),
    )
    wrong = Derivation(
        id="kl-uniform-wrong",
        title="A wrong sign",
        context=good.context,
        steps=(*good.steps[:2], Step(log(n) + H(p), "definition of the entropy")),
    )
    """
)


def _run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "divsym", *argv],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def _user_file(folder: Path, tail: str, name: str = "user_derivations.py") -> Path:
    path = folder / name
    path.write_text(USER_MODULE + tail, encoding="utf-8")
    return path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"divsym {cli.version()}"


def test_verify_only_the_given_ids_in_that_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--id", "kl-forms", "cross-entropy-decomposition"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert [row.split()[0] for row in rows[1:3]] == ["kl-forms", "cross-entropy-decomposition"]
    assert rows[-1].startswith("2 derivations in ")


def test_a_derivation_that_uses_a_lemma_is_proved_when_verified_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["verify", "--id", "gibbs-inequality", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["derivations"]
    assert entry["status"] == "proved"


def test_a_derivation_capped_by_a_missing_lemma_says_so_under_its_row(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from divsym.identities.gibbs import gibbs_inequality

    # The lecture table runs the kernel alone: without gibbs-lemma in the run, its status is
    # not known, so gibbs-inequality is capped even though each of its steps is proved.
    monkeypatch.setattr(cli, "all_derivations", lambda: (gibbs_inequality(),))
    assert main(["verify"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "checked-numerically" in lines[1]
    assert lines[2].startswith("    ")
    assert "gibbs-lemma" in lines[2]


def test_an_unknown_id_is_one_line_with_close_matches_and_exit_2() -> None:
    result = _run("verify", "--id", "gibs-lemma")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "unknown derivation id 'gibs-lemma'; did you mean gibbs-lemma" in result.stderr


def test_a_user_file_is_verified_and_a_failure_explained_exit_1(tmp_path: Path) -> None:
    path = _user_file(tmp_path, "\nDERIVATIONS = [good, wrong]\n")
    result = _run("verify", str(path), cwd=tmp_path.parent)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split()[0] == "kl-uniform"
    assert "proved" in lines[1]
    assert lines[2].split()[0] == "kl-uniform-wrong"
    assert "failed" in lines[2]
    assert lines[3].startswith("    step 2: ")  # the failing step's reason, with its numbers
    assert "n = " in lines[3]
    assert lines[4].startswith("2 derivations in ")


def test_a_dotted_module_from_the_current_directory_with_a_function(tmp_path: Path) -> None:
    _user_file(tmp_path, "\ndef derivations():\n    return (good,)\n")
    result = _run("verify", "user_derivations", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(result.stdout)["derivations"]
    assert entry["id"] == "kl-uniform"
    assert entry["status"] == "proved"


def test_ids_select_within_a_user_module(tmp_path: Path) -> None:
    path = _user_file(tmp_path, "\nDERIVATIONS = (good, wrong)\n")
    result = _run("verify", str(path), "--id", "kl-uniform")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kl-uniform-wrong" not in result.stdout


@pytest.mark.parametrize(
    ("tail", "fragment"),
    [
        ("", "declares neither DERIVATIONS"),
        ("\nDERIVATIONS = []\n", "declares no derivations"),
        ("\nDERIVATIONS = [good, 'kl']\n", "derivation 1 is a str, not a Derivation"),
        ("\nDERIVATIONS = [good, good]\n", "ids must be unique, repeated: ['kl-uniform']"),
        ("\ndef derivations():\n    raise KeyError('x')\n", "could not be read: KeyError"),
        ("\nraise RuntimeError('boom')\n", "RuntimeError: boom"),
        ("\nimport no_such_module_here\n", "ModuleNotFoundError"),
        ("\ndef broken(:\n", "SyntaxError"),
        ("\nimport sys\nsys.exit(3)\n", "SystemExit"),
    ],
)
def test_a_bad_user_module_is_one_line_and_exit_2(tmp_path: Path, tail: str, fragment: str) -> None:
    path = _user_file(tmp_path, tail)
    result = _run("verify", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("divsym: error:")
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("no_such_module_for_divsym", "No module named 'no_such_module_for_divsym'"),
        ("missing/file.py", "no such file: 'missing/file.py'"),
        ("not a module", "neither a .py file nor a dotted module name"),
        ("x" * 100_000, "…"),
    ],
)
def test_a_source_that_is_not_there_is_one_line_and_exit_2(source: str, fragment: str) -> None:
    result = _run("verify", source)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert fragment in result.stderr
    assert len(result.stderr) < 400


def test_verify_json_steps_carry_their_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--id", "cross-entropy-decomposition", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["derivations"]
    assert {"id", "title", "status", "fixed_n", "steps", "seconds"} <= set(entry)
    if isinstance(entry["steps"], list):  # the kernel's reports that explain themselves
        assert entry["step_count"] == len(entry["steps"])
        assert all({"index", "status", "route", "reason"} <= set(s) for s in entry["steps"])
    else:
        assert entry["steps"] == 4  # cross-entropy-decomposition has 4 checked steps


# --- divsym build: where it writes ---------------------------------------------------------


def _one_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    from divsym.identities.cross_entropy_kl import cross_entropy_decomposition

    monkeypatch.setattr(cli, "all_derivations", lambda: (cross_entropy_decomposition(),))


def test_build_writes_into_the_checkout_not_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _one_derivation(monkeypatch)
    checkout, elsewhere = tmp_path / "checkout", tmp_path / "elsewhere"
    elsewhere.mkdir()
    generated: list[Path] = []
    monkeypatch.setattr(cli, "project_root", lambda: checkout)
    monkeypatch.setattr(
        cli, "codegen", SimpleNamespace(write_module=lambda path: generated.append(path))
    )
    monkeypatch.chdir(elsewhere)
    assert main(["build", "--no-pdf"]) == 0
    written = checkout / "derivations" / "cross-entropy-decomposition.tex"
    assert written.exists()
    assert list(elsewhere.iterdir()) == []
    assert generated == [checkout / "divsym" / "numeric" / "_generated.py"]
    assert f"to {checkout / 'derivations'}/" in capsys.readouterr().out


def test_generated_files_are_mode_0644(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _one_derivation(monkeypatch)
    assert main(["build", "--no-pdf", "--out", str(tmp_path)]) == 0
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes
    assert set(modes.values()) == {FILE_MODE}, modes
    (tmp_path / "lecture.md").chmod(0o600)  # as an older divsym left it
    assert main(["build", "--no-pdf", "--out", str(tmp_path)]) == 0
    assert stat.S_IMODE((tmp_path / "lecture.md").stat().st_mode) == FILE_MODE


def test_an_installed_divsym_builds_only_with_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "project_root", lambda: None)
    assert main(["build", "--no-pdf"]) == 2
    assert "build needs --out DIR" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("pyproject", "is_root"),
    [
        ('[project]\nname = "divsym"\nversion = "1"\n', True),
        ('[project]\nname = "other"\n\n[tool.x]\nname = "divsym"\n', False),
        (None, False),
    ],
)
def test_project_root_is_the_folder_with_divsym_pyproject(
    tmp_path: Path, pyproject: str | None, is_root: bool
) -> None:
    package = tmp_path / "divsym"
    package.mkdir()
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    assert project_root(package) == (tmp_path if is_root else None)


def test_project_root_of_this_checkout() -> None:
    root: Any = project_root()
    assert root is not None
    assert (root / "divsym" / "cli" / "build.py").exists()
