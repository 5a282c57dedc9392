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


def test_the_choices_are_the_libraries_own():
    from grader.cli.common import Audience, ExportFormat, MoodleLanguage, SandboxMode
    from grader.execute.sandbox import MODES
    from grader.report import AUDIENCES
    from grader.report.export import FORMATS, MOODLE_LANGUAGES

    assert {a.value for a in Audience} == set(AUDIENCES)
    assert {f.value for f in ExportFormat} == set(FORMATS)
    assert {m.value for m in SandboxMode} == set(MODES)
    assert {m.value for m in MoodleLanguage} == set(MOODLE_LANGUAGES)


def test_choices_are_shown_and_refused_before_any_work(tmp_path):
    runner = CliRunner()
    shown = " ".join(runner.invoke(app, ["grade", "--help"], env={"COLUMNS": "200"})
                     .output.split())
    assert "<student|instructor>" in shown and "<auto|bwrap|none>" in shown
    for panel in ("Grading", "Reports", "Sandbox and limits", "Machines"):
        assert panel in shown  # the options of grade, grouped
    bad = runner.invoke(app, ["grade", str(tmp_path), "-a", "dlcourse_mlp", "--out",
                              str(tmp_path / "out"), "--audience", "teacher"])
    assert bad.exit_code == 2 and "'teacher' is not one of" in " ".join(bad.output.split())
    assert not (tmp_path / "out").exists()
    bad = runner.invoke(app, ["export", str(tmp_path), "-a", "dlcourse_mlp", "--format", "xls"])
    assert bad.exit_code == 2 and "'xls' is not one of" in " ".join(bad.output.split())
