"""The command's own options: its version, and shell completion."""

from __future__ import annotations

from typer.testing import CliRunner

from grader.cli.main import app
from grader.version import VERSION


def test_version_is_printed_and_nothing_else_runs():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"grader {VERSION}"


def test_shell_completion_is_offered():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "--install-completion" in result.output and "--version" in result.output
