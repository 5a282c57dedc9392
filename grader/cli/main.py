"""The ``grader`` command: grade a class, self-check one notebook, build references."""

from __future__ import annotations

import contextlib
import gc
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from grader.batch.stopping import exit_code, signal_name, stop_signals
from grader.cli.common import (
    AssignmentOpt,
    Audience,
    AudienceOpt,
    CellTimeoutOpt,
    CpuOpt,
    DataOpt,
    DiskOpt,
    FreshKernelsOpt,
    GpusOpt,
    MemoryOpt,
    Missing,
    MissingOpt,
    MnistOpt,
    NotebookTimeoutOpt,
    ParamOpt,
    PdfOpt,
    PerGpuOpt,
    ProcessesOpt,
    ProfileOpt,
    RosterOpt,
    SandboxMode,
    SandboxOpt,
    SchedulerOpt,
    SubmittedOpt,
    WorkersOpt,
    console,
    err,
    fail,
    interrupted,
    parse_data,
    parse_parameters,
    parse_times,
    sandbox_from,
)
from grader.cli.env import env_app
from grader.cli.gradescope import gradescope_app
from grader.cli.mark import mark
from grader.cli.outputs import export_grades, report
from grader.cli.pack import pack_app
from grader.cli.reference import reference_app
from grader.errors import GraderError

app = typer.Typer(help="Grade Keras/TensorFlow notebook assignments and write feedback.",
                  no_args_is_help=True, add_completion=True)


def _version(value: bool) -> None:
    if value:
        from grader.version import VERSION

        console.print(f"grader {VERSION}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", help="Print the grader's version and exit.", is_eager=True,
        callback=_version)] = False) -> None:
    """Grade Keras/TensorFlow notebook assignments and write feedback."""


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
    audience: AudienceOpt = Audience.student,
    pdf: PdfOpt = True,
    submitted: SubmittedOpt = None,
    sandbox: SandboxOpt = SandboxMode.auto,
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
    roster: RosterOpt = None,
    missing: MissingOpt = Missing.omit,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Say which notebooks would run (and why), which would be checked "
        "again from their stored runs, and which stand as graded; run and write nothing.")]
    = False,
) -> None:
    """Grade every notebook in FOLDER and write gradebook, grades.csv and reports.

    Each notebook runs in its own sandboxed kernel (see docs/security.md).
    """
    from grader.assignment.pack import find_pack
    from grader.batch.archive import is_archive, unpack_submissions
    from grader.batch.folder_lock import holding
    from grader.batch.intake import check_regrade, discover, join_submissions, submissions
    from grader.batch.options import BatchOptions
    from grader.batch.start import grade_batch
    from grader.evaluate.data import locate_mnist
    from grader.execute.devices import Devices, parse_gpus

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
            left_out: list[str] = []
            if pack.spec.notebooks:  # several notebooks per student: one joined notebook each
                joined = (Path(held.enter_context(tempfile.TemporaryDirectory())) if dry_run
                          else out / ".grader" / "joined")
                paths, left_out = join_submissions(paths, root, pack.spec.notebooks, joined)
                root = joined
            if regrade:  # before the progress bar starts: a typo is one line and nothing runs
                check_regrade(regrade, [student for _, student in submissions(paths, root)])
            mnist_path = locate_mnist(mnist)
            params = parse_parameters(parameter)
            extra = parse_data(data)
            times = parse_times(submitted)
            box = sandbox_from(sandbox.value, memory, cpu_seconds, processes, disk)
            devices = Devices(parse_gpus(gpus), kernels_per_gpu)
            options = BatchOptions(
                profile=prof.name, force=force, regrade=frozenset(regrade or ()),
                parameters=params, data=extra, audience=audience.value, pdf=pdf,
                times=times, sandbox=box, timeouts=(cell_timeout, notebook_timeout),
                workers=workers, devices=devices, scheduler=scheduler,
                fresh_kernels=fresh_kernels, root=root)
        except GraderError as exc:
            raise fail(exc) from None
        for note in [box.note, *(f"{folder}: damaged in the zip, graded as far as it reads: "
                                 f"{member}" for member in damaged), *left_out]:
            if note:
                err.print(f"[bold yellow]warning:[/] {escape(note)}", highlight=False)
        if not paths:
            raise fail(GraderError("no .ipynb files to grade", path=folder))
        if dry_run:
            from grader.batch.plan import plan
            from grader.batch.start import batch_profile
            from grader.cli.views import dry_run_view

            try:
                would = plan(submissions(paths, root), pack,
                             batch_profile(pack, prof.name, options.timeouts),
                             out, mnist_path, box, parameters=params, data=extra, force=force,
                             regrade=options.regrade, scheduler=scheduler)
            except GraderError as exc:
                raise fail(exc) from None
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
                outcome = grade_batch(paths, pack, out, mnist_path, options,
                                      on_start=started, on_done=done,
                                      log=lambda msg: err.print(msg, highlight=False, markup=False))
            except GraderError as exc:
                raise fail(exc) from None
            except KeyboardInterrupt as exc:  # said once the progress bar is gone
                stopped = exc
        if stopped is not None:
            raise interrupted(stopped, len(finished), len(paths), out) from None
        from grader.cli.views import closing_line, results_table

        console.print(results_table(outcome.results, f"{pack.spec.title} — {prof.name} profile"))
        console.print(closing_line(outcome, out / "summary.html"))
        if roster is not None:  # grades.csv with the class's students who handed nothing in
            from grader.cli.outputs import say_roster
            from grader.report.outputs import class_results, open_gradebook, roster_grades

            try:
                with open_gradebook(out) as book:
                    matched = roster_grades(class_results(book, pack), pack, out, roster,
                                            missing.value)
            except GraderError as exc:
                raise fail(exc) from None
            say_roster(matched, missing.value, roster)
        if outcome.results and outcome.errors == len(outcome.results):
            err.print("[bold red]error:[/] no notebook could be graded (every one is in "
                      "error: see the summary)", highlight=False)
            raise typer.Exit(1)  # a script must not take a class of errors for grades


@app.command()
def check(
    notebook: Annotated[Path, typer.Argument(
        help="Your notebook (for an assignment of several notebooks: their folder).")],
    assignment: AssignmentOpt,
    profile: ProfileOpt = None,
    out: Annotated[Path, typer.Option(help="Where the report goes.")] = Path(".grader/check"),
    mnist: MnistOpt = None,
    data: DataOpt = None,
    sandbox: SandboxOpt = SandboxMode.auto,
    memory: MemoryOpt = "4G",
    disk: DiskOpt = "2G",
) -> None:
    """Grade one notebook and print what the grader will say.

    Public checks are shown in full, hidden ones only counted. Exit 0 when every
    public check passes, 1 when one fails, 2 when the notebook cannot be graded.
    """
    from grader.assignment.pack import find_pack
    from grader.batch.options import BatchOptions
    from grader.batch.start import grade_batch
    from grader.evaluate.data import locate_mnist
    from grader.report.selfcheck import public_view

    try:
        pack = find_pack(assignment)
        if pack.spec.notebooks and notebook.is_dir():  # the folder of an assignment's notebooks
            from grader.assignment.parts import join_folder

            notebook = join_folder(notebook, pack.spec.notebooks,
                                   out / ".joined" / f"{notebook.resolve().name}.ipynb")
        if not notebook.is_file():
            raise GraderError("no such notebook" + (
                f" (this assignment is {len(pack.spec.notebooks)} notebooks: give the folder "
                "that holds them)" if pack.spec.notebooks else ""), path=notebook)
        prof = pack.spec.profile(profile)
        mnist_path = locate_mnist(mnist)
        box = sandbox_from(sandbox.value, memory, None, 256, disk)
        if box.note:
            err.print(f"[bold yellow]warning:[/] {escape(box.note)}", highlight=False)
        with stop_signals(), _settled(), console.status(
                f"running {notebook.name} ({prof.name} profile)…"):
            options = BatchOptions(profile=prof.name, force=True, data=parse_data(data),
                                   pdf=False, sandbox=box)
            outcome = grade_batch([notebook], pack, out, mnist_path, options,
                                  log=lambda msg: err.print(msg, highlight=False, markup=False))
    except GraderError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt as exc:
        err.print(f"interrupted ({signal_name(exc)}): the notebook was not graded",
                  highlight=False)
        raise typer.Exit(exit_code(exc)) from None
    result = outcome.results[0]
    report = out / result["student"] / "report.html"
    if result["status"] == "error":
        from grader.cli.views import not_graded

        err.print(not_graded(result, report), highlight=False)
        raise typer.Exit(2)
    print_view(public_view(result["questions"]), pack.spec.title, report, result.get("compat"),
               result.get("execution") or {})


def print_view(view: Any, title: str, report: Path | None = None,
               compat: list[dict[str, Any]] | None = None,
               execution: dict[str, Any] | None = None) -> None:
    """Print a student's view of a result; exit 1 if a public check failed, else 0."""
    from grader.cli.views import student_view

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



app.command()(report)
app.command("export")(export_grades)
app.command("mark")(mark)

app.add_typer(reference_app, name="reference")
app.add_typer(pack_app, name="pack")
app.add_typer(env_app, name="env")
app.add_typer(gradescope_app, name="gradescope")
