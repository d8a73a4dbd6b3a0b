"""The ``divsym`` command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from divsym.cli.main import main


def test_verify_prints_one_row_per_derivation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("cross-entropy-decomposition"))
    assert "proved" in row
    assert "Cross-entropy = entropy + KL divergence" in row


def test_verify_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"derivations", "seconds"}
    entry = next(d for d in report["derivations"] if d["id"] == "cross-entropy-decomposition")
    # The kernel's reports may add keys (step_count, lemmas): these stay.
    assert {"id", "title", "status", "fixed_n", "steps", "seconds"} <= set(entry)
    assert entry["status"] == "proved"
    assert entry["fixed_n"] == []


def test_verify_exits_1_when_a_derivation_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataclasses import replace

    from sympy import S

    from divsym.cli import main as cli
    from divsym.identities.cross_entropy_kl import cross_entropy_decomposition

    good = cross_entropy_decomposition()
    bad = replace(good, steps=(*good.steps[:-1], replace(good.steps[-1], expr=S.Zero)))
    monkeypatch.setattr(cli, "all_derivations", lambda: (bad,))
    assert main(["verify"]) == 1
    assert "failed" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["frobnicate"], ["verify", "--nope"], [], ["build", "--out"]])
def test_bad_command_line_is_one_line_and_exit_2(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "divsym", *argv], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("divsym: error:")
    assert "Traceback" not in result.stderr


def test_build_writes_the_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "lecture.tex").exists()
    assert (tmp_path / "cross-entropy-decomposition.tex").exists()
    assert "wrote" in capsys.readouterr().out
