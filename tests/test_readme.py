"""The README does not lie: its quick start is two commands and its examples run."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_readme_examples_run() -> None:
    # A code fence right after an example's output would be read as output: blank them.
    text = re.sub(r"^```.*$", "", README.read_text(encoding="utf-8"), flags=re.M)
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0, "README has no >>> examples"
    assert result.failed == 0


def test_quick_start_is_two_commands_and_ci_runs_the_test_command() -> None:
    text = README.read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", quick_start, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2, commands
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = [
        line.strip()
        for line in ci.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    # CI runs the README's two commands in order, the test command last; in between it may only
    # install optional extras (the torch extra, so that the torch tests run in CI).
    setup, test = commands
    assert ci_commands[-1] == test
    between = ci_commands[ci_commands.index(setup) + 1 : -1]
    extras = re.compile(r"\.venv/bin/python -m pip install .*")
    assert all(extras.fullmatch(line) for line in between), between


def test_readme_calculator_lines_print_what_their_comments_say(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from divsym.cli.main import main

    text = README.read_text(encoding="utf-8")
    checked = 0
    for line in re.findall(r"^divsym [^#\n]*#[^\n]*$", text, flags=re.M):
        command, comment = (part.strip() for part in line.split("#", 1))
        numbers = comment.split()
        if not numbers or not all(re.fullmatch(r"-?\d+\.\d+(e-?\d+)?", x) for x in numbers):
            continue  # a comment in words, not an output
        assert main(shlex.split(command)[1:]) == 0, command
        assert capsys.readouterr().out.split() == numbers, command
        checked += 1
    assert checked >= 2


def test_readme_write_your_own_section_shows_a_proof_and_a_rejected_variant() -> None:
    section = README.read_text(encoding="utf-8").split("## Write your own derivation", 1)[1]
    section = section.split("\n## ", 1)[0]
    assert "'proved'" in section
    assert "'failed'" in section
    assert "DERIVATIONS" in section
    assert "derivations()" in section
