"""What every sub-command shares: the consoles, option types, parsing and failing.

Sub-commands import from here, never from :mod:`grader.cli.main`, which imports them.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from grader.batch.stopping import exit_code, signal_name
from grader.errors import GraderError

console = Console()
err = Console(stderr=True, soft_wrap=True)

GRADING, REPORTS, SANDBOX, MACHINES = "Grading", "Reports", "Sandbox and limits", "Machines"


class Audience(str, Enum):
    """Who the reports are for (:data:`grader.report.AUDIENCES`)."""

    student = "student"
    instructor = "instructor"


class SandboxMode(str, Enum):
    """How kernels are contained (:class:`grader.execute.sandbox.Sandbox`)."""

    auto = "auto"
    bwrap = "bwrap"
    none = "none"


class MoodleLanguage(str, Enum):
    """The language of the Moodle site a worksheet goes to (its column names)."""

    en = "en"
    de = "de"
    fr = "fr"


class Missing(str, Enum):
    """What an export gives the students of the class list without a submission."""

    omit = "omit"
    zero = "zero"
    empty = "empty"


MissingOpt = Annotated[Missing, typer.Option(
    help="With --roster: what the class list's students without a submission get: no row, "
         "0 points, or an empty grade.")]
RosterOpt = Annotated[Path | None, typer.Option(
    help="The class list (Canvas' gradebook export, Moodle's grading worksheet or "
         "participants, Blackboard's Grade Center download, or student,name,email,lms_id): "
         "matches submissions to students and gives the LMS ids.")]


class ShowFormat(str, Enum):
    """How ``grader reference show`` prints."""

    table = "table"
    json = "json"


class ExportFormat(str, Enum):
    """What ``grader export`` writes (:data:`grader.report.export.FORMATS`)."""

    csv = "csv"
    canvas = "canvas"
    moodle = "moodle"
    blackboard = "blackboard"
    gradescope = "gradescope"


AssignmentOpt = Annotated[str, typer.Option("--assignment", "-a", help="Assignment id.")]
ProfileOpt = Annotated[str | None, typer.Option(
    help="Grading profile: one the spec names (default: its own, usually fast); checked "
         "before any work.", rich_help_panel=GRADING)]
MnistOpt = Annotated[Path | None, typer.Option(
    help="MNIST .npz in Keras layout (default: $GRADER_MNIST, then ~/.keras/datasets).",
    rich_help_panel=GRADING)]
ParamOpt = Annotated[list[str] | None, typer.Option(
    "--parameter", "-p", help="NAME=VALUE injected into the notebook's parameters cell.",
    rich_help_panel=GRADING)]
DataOpt = Annotated[list[str] | None, typer.Option(
    "--data", help="NAME=PATH: a file for one of the assignment's extra datasets.",
    rich_help_panel=GRADING)]
AudienceOpt = Annotated[Audience, typer.Option(
    help="student: reports to hand out (no hidden-check details); instructor: everything.",
    rich_help_panel=REPORTS)]
PdfOpt = Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write PDF reports.",
                                      rich_help_panel=REPORTS)]
SubmittedOpt = Annotated[Path | None, typer.Option(
    help="CSV of student,submitted_at (ISO 8601) for the late rule; default: file times.",
    rich_help_panel=REPORTS)]
SandboxOpt = Annotated[SandboxMode, typer.Option(
    help="auto: bubblewrap where it runs, else limits only (said once); bwrap: require it; "
         "none: no isolation (limits still apply).", rich_help_panel=SANDBOX)]
MemoryOpt = Annotated[str, typer.Option(
    help="Memory cap per kernel, e.g. 4G (0: none).",
    rich_help_panel=SANDBOX)]
DiskOpt = Annotated[str, typer.Option(
    help="Disk a notebook's files may take in its folder, e.g. 2G (0: no cap).",
    rich_help_panel=SANDBOX)]
CpuOpt = Annotated[int | None, typer.Option(
    help="CPU-seconds cap per kernel (default: (notebook deadline + 10 min) × cores).",
    rich_help_panel=SANDBOX)]
ProcessesOpt = Annotated[int, typer.Option(
    help="Processes and threads per kernel (0: none).",
    rich_help_panel=SANDBOX)]
CellTimeoutOpt = Annotated[int | None, typer.Option(
    help="Seconds one cell may run (default: the profile's).", rich_help_panel=SANDBOX)]
NotebookTimeoutOpt = Annotated[int | None, typer.Option(
    help="Seconds all of a notebook's cells may run (default: the profile's).",
    rich_help_panel=SANDBOX)]
WorkersOpt = Annotated[int | None, typer.Option(
    help="Notebooks graded at once (default: one per core or GPU slot, as memory allows).",
    rich_help_panel=MACHINES)]
GpusOpt = Annotated[str, typer.Option(
    help="GPUs for kernels: auto (those nvidia-smi lists), none, or indices like 0,1.",
    rich_help_panel=MACHINES)]
PerGpuOpt = Annotated[int, typer.Option(
    help="Kernels sharing one GPU at once.",
    rich_help_panel=MACHINES)]
FreshKernelsOpt = Annotated[bool, typer.Option(
    "--fresh-kernels", help="Start each kernel as a new Python instead of forking it, "
    "TensorFlow already imported, from a server (each kernel still its own sandbox).",
    rich_help_panel=MACHINES)]
SchedulerOpt = Annotated[str | None, typer.Option(
    help="Grade on a dask.distributed cluster: its scheduler, tcp://HOST:PORT.",
    rich_help_panel=MACHINES)]


def sandbox_from(mode: str, memory: str, cpu_seconds: int | None, processes: int,
             disk: str) -> Any:
    """The sandbox that ``--sandbox``, ``--memory``, ``--processes``, ``--disk`` ask for."""
    from grader.execute.sandbox import Limits, Sandbox, parse_size

    return Sandbox(mode, Limits(memory=parse_size(memory) or None, cpu_seconds=cpu_seconds,
                                processes=processes or None,
                                disk=parse_size(disk) or None)).resolve()


def parse_times(path: Path | None) -> dict[str, Any]:
    """Submission times from ``--submitted FILE`` (none given: an empty mapping)."""
    from grader.gradebook.late import read_submission_times

    return read_submission_times(path) if path is not None else {}


def parse_parameters(items: list[str] | None) -> dict[str, Any]:
    """``-p NAME=VALUE`` options as papermill parameters (JSON values, else text)."""
    out: dict[str, Any] = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        if not sep or not name.isidentifier():
            raise GraderError(f"parameter {item!r} should look like NAME=VALUE")
        try:
            out[name] = json.loads(raw)
        except json.JSONDecodeError:
            out[name] = raw
    return out


def parse_data(items: list[str] | None) -> dict[str, Path]:
    """``--data NAME=PATH`` options as paths by dataset name."""
    out: dict[str, Path] = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        if not sep or not name or not raw:
            raise GraderError(f"--data {item!r} should look like NAME=PATH")
        out[name] = Path(raw).expanduser()
    return out


def fail(exc: GraderError) -> typer.Exit:
    """Print a grader error and give the exit that ends the command with status 2."""
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
    return typer.Exit(2)


def interrupted(exc: KeyboardInterrupt, done: int, total: int, out: Path) -> typer.Exit:
    """Say what an interrupted ``grader grade`` kept, and how to go on; exit 128 + signal."""
    kept = escape(str(out))
    if done < total:
        said = (f"{done} of {total} submission(s) done and kept in {kept}; the same command "
                f"grades the other {total - done}, and what is done is not run again. `grader "
                "report` writes grades.csv and the summary of what is done now.")
    else:  # stopped while the class's outputs were written
        said = (f"all {total} submission(s) are graded and kept in {kept}; `grader report` "
                "(or the same command) writes what was left: grades.csv, the summary, the PDFs "
                "not yet printed.")
    err.print(f"[bold yellow]interrupted[/] ({signal_name(exc)}): {said}", highlight=False)
    return typer.Exit(exit_code(exc))
