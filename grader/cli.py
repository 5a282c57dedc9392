"""The ``grader`` command: grade a class, self-check one notebook, build references."""

from __future__ import annotations

import contextlib
import gc
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from grader.errors import GraderError
from grader.stopping import exit_code, signal_name, stop_signals

app = typer.Typer(help="Grade Keras/TensorFlow notebook assignments and write feedback.",
                  no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True, soft_wrap=True)

AssignmentOpt = Annotated[str, typer.Option("--assignment", "-a", help="Assignment id.")]
ProfileOpt = Annotated[str | None, typer.Option(help="Grading profile (spec default: fast).")]
MnistOpt = Annotated[Path | None, typer.Option(
    help="MNIST .npz in Keras layout (default: $GRADER_MNIST, then ~/.keras/datasets).")]
ParamOpt = Annotated[list[str] | None, typer.Option(
    "--parameter", "-p", help="NAME=VALUE injected into the notebook's parameters cell.")]
DataOpt = Annotated[list[str] | None, typer.Option(
    "--data", help="NAME=PATH: a file for one of the assignment's extra datasets.")]
AudienceOpt = Annotated[str, typer.Option(
    help="student: reports to hand out (no hidden-check details); instructor: everything.")]
PdfOpt = Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write PDF reports.")]
SubmittedOpt = Annotated[Path | None, typer.Option(
    help="CSV of student,submitted_at (ISO 8601) for the late rule; default: file times.")]
SandboxOpt = Annotated[str, typer.Option(
    help="auto: bubblewrap where it runs, else limits only (said once); bwrap: require it; "
         "none: no isolation (limits still apply).")]
MemoryOpt = Annotated[str, typer.Option(help="Memory cap per kernel, e.g. 4G (0: none).")]
DiskOpt = Annotated[str, typer.Option(
    help="Disk a notebook's files may take in its folder, e.g. 2G (0: no cap).")]
CpuOpt = Annotated[int | None, typer.Option(
    help="CPU-seconds cap per kernel (default: (notebook deadline + 10 min) × cores).")]
ProcessesOpt = Annotated[int, typer.Option(help="Processes and threads per kernel (0: none).")]
CellTimeoutOpt = Annotated[int | None, typer.Option(
    help="Seconds one cell may run (default: the profile's).")]
NotebookTimeoutOpt = Annotated[int | None, typer.Option(
    help="Seconds all of a notebook's cells may run (default: the profile's).")]
WorkersOpt = Annotated[int | None, typer.Option(
    help="Notebooks graded at once (default: one per core or GPU slot, as memory allows).")]
GpusOpt = Annotated[str, typer.Option(
    help="GPUs for kernels: auto (those nvidia-smi lists), none, or indices like 0,1.")]
PerGpuOpt = Annotated[int, typer.Option(help="Kernels sharing one GPU at once.")]
FreshKernelsOpt = Annotated[bool, typer.Option(
    "--fresh-kernels", help="Start each kernel as a new Python instead of forking it, "
    "TensorFlow already imported, from a server (each kernel still its own sandbox).")]
SchedulerOpt = Annotated[str | None, typer.Option(
    help="Grade on a dask.distributed cluster: its scheduler, tcp://HOST:PORT.")]


def _sandbox(mode: str, memory: str, cpu_seconds: int | None, processes: int,
             disk: str) -> Any:
    from grader.sandbox import Limits, Sandbox, parse_size

    return Sandbox(mode, Limits(memory=parse_size(memory) or None, cpu_seconds=cpu_seconds,
                                processes=processes or None,
                                disk=parse_size(disk) or None)).resolve()


def _times(path: Path | None) -> dict[str, Any]:
    from grader.late import read_submission_times

    return read_submission_times(path) if path is not None else {}


def _parameters(items: list[str] | None) -> dict[str, Any]:
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


def _data(items: list[str] | None) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        if not sep or not name or not raw:
            raise GraderError(f"--data {item!r} should look like NAME=PATH")
        out[name] = Path(raw).expanduser()
    return out


def _audience(value: str) -> str:
    from grader.report import AUDIENCES

    if value not in AUDIENCES:
        raise _fail(GraderError(f"--audience should be one of {', '.join(AUDIENCES)}, "
                                f"got {value!r}"))
    return value


def _fail(exc: GraderError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
    return typer.Exit(2)


def _interrupted(exc: KeyboardInterrupt, done: int, total: int, out: Path) -> typer.Exit:
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


@app.command()
def grade(
    folder: Annotated[Path, typer.Argument(
        help="Folder of .ipynb submissions (or of a folder per student), or the zip of "
             "them an LMS gives.")],
    assignment: AssignmentOpt,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("reports"),
    profile: ProfileOpt = None,
    force: Annotated[bool, typer.Option(help="Re-grade unchanged submissions too.")] = False,
    regrade: Annotated[list[str] | None, typer.Option(
        help="Student id to grade again even if unchanged (repeat for more).")] = None,
    mnist: MnistOpt = None,
    parameter: ParamOpt = None,
    data: DataOpt = None,
    audience: AudienceOpt = "student",
    pdf: PdfOpt = True,
    submitted: SubmittedOpt = None,
    sandbox: SandboxOpt = "auto",
    memory: MemoryOpt = "4G",
    disk: DiskOpt = "2G",
    cpu_seconds: CpuOpt = None,
    processes: ProcessesOpt = 256,
    cell_timeout: CellTimeoutOpt = None,
    notebook_timeout: NotebookTimeoutOpt = None,
    workers: WorkersOpt = None,
    gpus: GpusOpt = "auto",
    kernels_per_gpu: PerGpuOpt = 1,
    scheduler: SchedulerOpt = None,
    fresh_kernels: FreshKernelsOpt = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Say which notebooks would run (and why), which would be checked "
        "again from their stored runs, and which stand as graded; run and write nothing.")]
    = False,
) -> None:
    """Grade every notebook in FOLDER and write gradebook, grades.csv and reports.

    Each notebook runs in its own sandboxed kernel (see docs/security.md).
    """
    from grader.archive import is_archive, unpack_submissions
    from grader.batch import check_regrade, discover, grade_batch, submissions
    from grader.data import locate_mnist
    from grader.folderlock import holding
    from grader.pack import find_pack
    from grader.schedule import Devices, parse_gpus

    with contextlib.ExitStack() as held:  # released however the command ends
        try:
            pack = find_pack(assignment)
            prof = pack.spec.profile(profile)
            pack.expected(prof.name)
            if dry_run:  # a zip is unpacked aside; the output folder is only read
                unzipped = Path(held.enter_context(tempfile.TemporaryDirectory())) / folder.stem
            else:  # the folder is this command's alone from before a zip is unpacked into it
                held.enter_context(holding(out))
                unzipped = out / ".grader" / "unzipped" / folder.stem
            source, damaged = (unpack_submissions(folder, unzipped) if is_archive(folder)
                               else (folder, []))
            paths = discover(source)
            root = source if source.is_dir() else None
            if regrade:  # before the progress bar starts: a typo is one line and nothing runs
                check_regrade(regrade, [student for _, student in submissions(paths, root)])
            mnist_path = locate_mnist(mnist)
            params = _parameters(parameter)
            extra = _data(data)
            times = _times(submitted)
            box = _sandbox(sandbox, memory, cpu_seconds, processes, disk)
            devices = Devices(parse_gpus(gpus), kernels_per_gpu)
        except GraderError as exc:
            raise _fail(exc) from None
        for note in [box.note, *(f"{folder}: damaged in the zip, graded as far as it reads: "
                                 f"{member}" for member in damaged)]:
            if note:
                err.print(f"[bold yellow]warning:[/] {escape(note)}", highlight=False)
        if not paths:
            raise _fail(GraderError("no .ipynb files to grade", path=folder))
        if dry_run:
            from grader.batch import batch_profile
            from grader.cli_views import dry_run_view
            from grader.plan import plan

            try:
                would = plan(submissions(paths, root), pack,
                             batch_profile(pack, prof.name, (cell_timeout, notebook_timeout)),
                             out, mnist_path, box, parameters=params, data=extra, force=force,
                             regrade=regrade or (), scheduler=scheduler)
            except GraderError as exc:
                raise _fail(exc) from None
            console.print(dry_run_view(would, out), highlight=False)
            return
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
        # time left from the notebooks finished in the last 10 minutes: a class's notebooks
        # take from seconds to many minutes each, too few finish in rich's default 30 s
        finished: list[str] = []
        stopped: KeyboardInterrupt | None = None
        with stop_signals(), _settled(), Progress(*columns, console=console, transient=False,
                                                speed_estimate_period=600) as bar:
            task = bar.add_task(f"grading {pack.id} ({prof.name})", total=len(paths))

            def started(student: str, name: str) -> None:
                bar.update(task, description=f"grading {student}")

            def done(student: str, status: str) -> None:
                finished.append(student)
                bar.console.print(f"  {student}: {status}", highlight=False)
                bar.advance(task)

            try:
                outcome = grade_batch(paths, pack, prof.name, out, mnist_path, force=force,
                                      regrade=regrade or (), parameters=params, data=extra,
                                      on_start=started, on_done=done,
                                      audience=_audience(audience), pdf=pdf, times=times,
                                      sandbox=box, timeouts=(cell_timeout, notebook_timeout),
                                      workers=workers, devices=devices, scheduler=scheduler,
                                      log=lambda msg: err.print(msg, highlight=False, markup=False),
                                      fresh_kernels=fresh_kernels,
                                      root=root)
            except GraderError as exc:
                raise _fail(exc) from None
            except KeyboardInterrupt as exc:  # said once the progress bar is gone
                stopped = exc
        if stopped is not None:
            raise _interrupted(stopped, len(finished), len(paths), out) from None
        from grader.cli_views import closing_line, results_table

        console.print(results_table(outcome.results, f"{pack.spec.title} — {prof.name} profile"))
        console.print(closing_line(outcome, out / "summary.html"))


@app.command()
def check(
    notebook: Annotated[Path, typer.Argument(help="Your notebook.")],
    assignment: AssignmentOpt,
    profile: ProfileOpt = None,
    out: Annotated[Path, typer.Option(help="Where the report goes.")] = Path(".grader/check"),
    mnist: MnistOpt = None,
    data: DataOpt = None,
    sandbox: SandboxOpt = "auto",
    memory: MemoryOpt = "4G",
    disk: DiskOpt = "2G",
) -> None:
    """Grade one notebook and print what the grader will say.

    Public checks are shown in full, hidden ones only counted. Exit 0 when every
    public check passes, 1 when one fails, 2 when the notebook cannot be graded.
    """
    from grader.batch import grade_batch
    from grader.data import locate_mnist
    from grader.pack import find_pack
    from grader.selfcheck import public_view

    try:
        if not notebook.is_file():
            raise GraderError("no such notebook", path=notebook)
        pack = find_pack(assignment)
        prof = pack.spec.profile(profile)
        mnist_path = locate_mnist(mnist)
        box = _sandbox(sandbox, memory, None, 256, disk)
        if box.note:
            err.print(f"[bold yellow]warning:[/] {escape(box.note)}", highlight=False)
        with stop_signals(), _settled(), console.status(
                f"running {notebook.name} ({prof.name} profile)…"):
            outcome = grade_batch([notebook], pack, prof.name, out, mnist_path, force=True,
                                  data=_data(data), pdf=False, sandbox=box,
                                  log=lambda msg: err.print(msg, highlight=False, markup=False))
    except GraderError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt as exc:
        err.print(f"interrupted ({signal_name(exc)}): the notebook was not graded",
                  highlight=False)
        raise typer.Exit(exit_code(exc)) from None
    result = outcome.results[0]
    report = out / result["student"] / "report.html"
    if result["status"] == "error":
        from grader.cli_views import not_graded

        err.print(not_graded(result, report), highlight=False)
        raise typer.Exit(2)
    print_view(public_view(result["questions"]), pack.spec.title, report, result.get("compat"),
               result.get("execution") or {})


def print_view(view: Any, title: str, report: Path | None = None,
               compat: list[dict[str, Any]] | None = None,
               execution: dict[str, Any] | None = None) -> None:
    """Print a student's view of a result; exit 1 if a public check failed, else 0."""
    from grader.cli_views import student_view

    for item in student_view(view, title, compat, execution):
        console.print(item)
    if report is not None:
        console.print(f"report: {report}")
    raise typer.Exit(1 if view.failed else 0)


@contextlib.contextmanager
def _settled() -> Iterator[None]:
    """Leave what exists before a batch (modules, the pack) out of the collections during it.

    It outlives the batch; each full collection walked it again while every worker
    thread waited (up to 0.3 s each, 0.7 s in all for a class of 20 trivial notebooks).
    It is collectable again after, for a caller that goes on (tests run commands
    in-process).
    """
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:  # else the caller froze it: it stays as it was
            gc.unfreeze()


def main() -> None:
    """Console entry point."""
    try:
        app()
    finally:
        # the process ends here: its last collections walked everything the run made
        # (0.3-0.4 s after a class of 20), to free memory that exiting frees anyway
        gc.freeze()


from grader.cli_env import env_app  # noqa: E402 - they use the helpers above
from grader.cli_outputs import export_grades, report  # noqa: E402
from grader.cli_pack import pack_app  # noqa: E402
from grader.cli_reference import reference_app  # noqa: E402

app.command()(report)
app.command("export")(export_grades)

app.add_typer(reference_app, name="reference")
app.add_typer(pack_app, name="pack")
app.add_typer(env_app, name="env")
