"""Grade one submission: execute, probe, evaluate, select, check.

The result is one plain-data document that the gradebook stores and the report
renders; nothing in it comes from what the student's code printed.
"""

from __future__ import annotations

import secrets
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from grader.assignment.pack import Pack
from grader.errors import GraderError, NotebookError, ProbeError
from grader.execute.collect import MAX_RECORDS_BYTES, collect, read_figures
from grader.execute.devices import Device, Devices
from grader.execute.engine import ExecutionResult, execute, prepare
from grader.execute.environ import batch_kernel_env, font_cache
from grader.execute.inject import budget_cell, compat_cell, keras1_cell, probe_cell, setup_cell
from grader.execute.kernels import KERNEL_LOG, Kernel, launch
from grader.files import sha256_file
from grader.gradebook.result import RESULT_VERSION, Result
from grader.grading.assess import RUN_FILE, Run, assess, hardware, numbered_cells
from grader.grading.setup import GradingSetup
from grader.notebook import has_parameters_cell, read_notebook
from grader.report.notebook_page import export_html
from grader.version import VERSION

T = TypeVar("T")


def setup_cells(pack: Pack, seed: int, kernel_mnist: Path, figures_dir: Path,
                max_epochs: int = 0, train_limit: int = 0, loop_epochs: int = 0) -> list[Any]:
    """The cells before the student's: setup, budget, compatibility.

    The training budget's cell only where the profile sets a limit; the Keras 2
    compatibility layer's (and Keras 1's) where the pack has it on.
    """
    cells = [setup_cell(seed, kernel_mnist, figures_dir)]
    if max_epochs or train_limit or loop_epochs:
        cells.append(budget_cell(max_epochs, train_limit, loop_epochs))
    if pack.spec.compat:
        cells += [compat_cell(), keras1_cell()]
    return cells


def prepare_work_dir(path: Path, setup: GradingSetup, work_dir: Path) -> None:
    """A fresh work dir holding only what the kernel may see: the notebook and the pack's files."""
    if work_dir.exists():
        shutil.rmtree(work_dir)
    (work_dir / "figures").mkdir(parents=True)
    fonts = font_cache()
    if fonts is not None:
        (work_dir / ".matplotlib").mkdir()
        shutil.copyfile(fonts, work_dir / ".matplotlib" / fonts.name)
    shutil.copyfile(path, work_dir / "submission.ipynb")
    for pattern in setup.pack.spec.kernel_files:
        for file in sorted(setup.pack.root.glob(pattern)):
            shutil.copyfile(file, work_dir / file.name)
    for made in setup.course_files:  # the course's data files, made from MNIST
        shutil.copyfile(made, work_dir / made.name)


@dataclass
class Started:
    """A submission whose kernel may already be starting: all that runs before its cells."""

    path: Path
    student: str
    student_dir: Path
    started: float
    digest: str
    notebook: Any
    cells: list[dict[str, Any]]
    probe_dir: Path
    parameters: dict[str, Any]
    data_files: list[Path]
    device: Device | None = None
    kernel: Kernel | None = None

    def cancel(self, devices: Devices) -> None:
        """Stop its kernel and free its device (a batch that ends before its turn)."""
        if self.kernel is not None:
            self.kernel.stop()
        if self.device is not None:
            devices.give(self.device)


def start_submission(path: Path, student: str, setup: GradingSetup, student_dir: Path,
                     ahead: bool = False) -> Started:
    """Read the notebook, prepare its work dir, and start its kernel when ``ahead``.

    A kernel started ahead imports the pack's ``[kernel] preload`` modules while an
    earlier notebook still runs. It needs a device: with GPUs all taken, the kernel
    starts in :func:`run_submission` instead. Raises :class:`GraderError` for a
    file that cannot be graded.
    """
    started = time.time()
    digest = sha256_file(path)
    nb = read_notebook(path)
    work_dir = student_dir / "work"
    (student_dir / RUN_FILE).unlink(missing_ok=True)  # its figures and models go with work/
    (student_dir / KERNEL_LOG).unlink(missing_ok=True)  # this run's kernel writes its own
    prepare_work_dir(path, setup, work_dir)
    cells = numbered_cells(nb)
    probe_dir = work_dir / f".probe-{secrets.token_hex(8)}"
    first = setup_cells(setup.pack, setup.profile.seed, setup.kernel_mnist, work_dir / "figures",
                        setup.profile.max_epochs, setup.profile.train_limit,
                        setup.profile.loop_epochs)
    prepared = prepare(nb, first, probe_cell(probe_dir, calls=setup.pack.spec.calls))
    # a profile's parameters go to the notebook's parameters cell; where neither it nor the
    # pack's starter has one (a course's own notebook), they are its reference's alone, and
    # the notebook is not told that none were injected
    quiet = not has_parameters_cell(nb) and not setup.pack.starter_takes_parameters
    params = {**({} if quiet else setup.profile.parameters), **setup.parameters}
    data_files = [setup.kernel_mnist, *([setup.kernel.path] if setup.kernel else [])]
    for source in setup.evaluator.sources.values():
        if source.dataset.parameter:
            params[source.dataset.parameter] = str(source.path)
            data_files.append(source.path)
    item = Started(path, student, student_dir, started, digest, prepared, cells, probe_dir,
                   params, data_files)
    if ahead:
        item.device = setup.devices.take(wait=False)
        if item.device is not None:
            try:
                item.kernel = _launch(item, setup)
            except GraderError:
                setup.devices.give(item.device)
                item.device = None  # tried again, and recorded if it fails, at its turn
    return item


def _launch(item: Started, setup: GradingSetup) -> Kernel:
    assert item.device is not None
    work_dir = item.student_dir / "work"
    return launch(work_dir, kernel_env=batch_kernel_env(work_dir, setup.profile, setup.threads,
                                                        item.device),
                  sandbox=setup.sandbox, read_only=item.data_files,
                  log_path=item.student_dir / KERNEL_LOG,
                  python=setup.kernel.python if setup.kernel else None,
                  notebook_timeout=setup.profile.notebook_timeout,
                  preload=setup.pack.spec.kernel_preload, forkservers=setup.forkservers)


@dataclass
class Ran:
    """A submission whose notebook has run: its kernel is gone, its device given back."""

    item: Started
    run: ExecutionResult
    device: Device
    turn: float
    prestarted: bool


def run_submission(item: Started, setup: GradingSetup) -> Ran:
    """Run the notebook, in its kernel started ahead if any: the part that needs a kernel.

    ``student_dir/work`` is the kernel's (the only place it can write); the executed
    notebook and kernel log go beside it, out of the kernel's reach.
    """
    turn = time.time()  # its turn: a kernel started ahead has waited before this
    prestarted = item.kernel is not None
    if item.device is None:
        item.device = setup.devices.take()
    device = item.device
    assert device is not None
    try:
        if item.kernel is None:
            item.kernel = _launch(item, setup)
        run = execute(item.notebook, item.student_dir / "work",
                      kernel_env={}, parameters=item.parameters,
                      cell_timeout=setup.profile.cell_timeout,
                      notebook_timeout=setup.profile.notebook_timeout,
                      executed_path=item.student_dir / "executed.ipynb", kernel=item.kernel,
                      keep={"figures/figures.jsonl": MAX_RECORDS_BYTES})
    finally:
        item.kernel = None
        setup.devices.give(device)
        item.device = None
    return Ran(item, run, device, turn, prestarted)


def assess_submission(ran: Ran, setup: GradingSetup) -> Result:
    """What the run left, collected, measured in the clean worker and checked: the result.

    Needs no kernel: a worker runs the next notebook meanwhile. Everything the grader
    keeps (collected models, result) goes beside ``work/``, out of the kernels' reach.
    """
    item, run = ran.item, ran.run
    student_dir = item.student_dir
    notes = list(run.notes)
    try:
        executed_html: str | None = str(export_html(run.executed_path))
    except Exception as exc:  # noqa: BLE001 - the HTML copy is a convenience, never fatal
        executed_html = None
        notes.append(f"the executed notebook could not be exported to HTML ({exc})"[:300])
    try:
        probe = collect(item.probe_dir, student_dir / "collected")
    except ProbeError as exc:
        if run.kernel_died_in is None:  # else the report's first line says why, and where
            notes.append(str(exc.message))
        probe = {"models": [], "histories": [], "arrays": []}
    kept = Run(setup.execution_fingerprint, item.digest, item.started,
               run.to_dict() | {"executed_html": executed_html}, probe,
               read_figures(student_dir / "work" / "figures"), notes, ran.device.name,
               ran.device.gpu is not None, ran.turn - item.started if ran.prestarted else 0.0)
    return assess(kept, item.path, item.student, item.cells, setup, student_dir, ran.turn)


def error_result(path: Path, student: str, setup: GradingSetup, exc: BaseException,
                 tb: str | None) -> Result:
    """The recorded result of a submission that could not be graded at all."""
    try:
        digest = sha256_file(path)
    except OSError:
        digest = ""
    message = str(exc) if isinstance(exc, GraderError) else f"{type(exc).__name__}: {exc}"
    return {
        "result_version": RESULT_VERSION, "student": student, "assignment": setup.pack.id,
        "title": setup.pack.spec.title, "file": str(path), "sha256": digest,
        "profile": setup.profile.name, "profile_description": setup.profile.description,
        "fingerprint": setup.fingerprint, "status": "error", "error": message, "traceback": tb,
        # whose failure: an unreadable notebook stays so until its file changes; the
        # grader's own (a kernel that could not start, a worker that died) may not recur
        "error_kind": "notebook" if isinstance(exc, NotebookError) else "grader",
        "score": 0.0, "max_score": setup.pack.spec.max_score, "manual_pending": 0,
        "questions": [], "execution": None, "notes": [], "seed": setup.profile.seed,
        "models": [], "histories": [], "figures": [], "keras_version": None,
        "grader_version": VERSION, "hardware": hardware(), "started_at": time.time(),
        "timings": {"execute": 0.0, "evaluate": 0.0, "total": 0.0},
    }


def grade_one(path: Path, student: str, setup: GradingSetup,
              student_dir: Path) -> Result:
    """Grade one notebook; whatever goes wrong comes back as its recorded error result."""
    return finish_one(begin_one(path, student, setup, student_dir), setup)


def recorded(path: Path, student: str, setup: GradingSetup,
             step: Callable[[], T]) -> T | Result:
    """``step()``, or the submission's error result if it raises (never lost, never raised)."""
    try:
        return step()
    except GraderError as exc:
        # its message says it all, unless it wraps an unexpected failure: keep where that was
        unexpected = exc.__cause__ is not None and not isinstance(exc.__cause__, GraderError)
        return error_result(path, student, setup, exc,
                            traceback.format_exc() if unexpected else None)
    except Exception as exc:  # noqa: BLE001 - recorded with its traceback, never swallowed
        return error_result(path, student, setup, exc, traceback.format_exc())


def begin_one(path: Path, student: str, setup: GradingSetup, student_dir: Path,
              ahead: bool = False) -> Started | Result:
    """:func:`start_submission`, or the submission's error result if it cannot start."""
    return recorded(path, student, setup,
                    lambda: start_submission(path, student, setup, student_dir, ahead=ahead))


def run_one(item: Started | Result, setup: GradingSetup) -> Ran | Result:
    """:func:`run_submission`, or the error result it became; never raises."""
    if isinstance(item, dict):
        return item
    return recorded(item.path, item.student, setup, lambda: run_submission(item, setup))


def assess_one(ran: Ran | Result, setup: GradingSetup) -> Result:
    """:func:`assess_submission`, or the error result it became; never raises."""
    if isinstance(ran, dict):
        return ran
    return recorded(ran.item.path, ran.item.student, setup,
                    lambda: assess_submission(ran, setup))


def finish_one(item: Started | Result, setup: GradingSetup) -> Result:
    """:func:`run_submission`, then :func:`assess_submission`: the result; never raises."""
    return assess_one(run_one(item, setup), setup)
