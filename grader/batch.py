"""Grade a folder of submissions: settle the batch, start its fork server, run it.

One broken or hostile submission never stops the batch: whatever goes wrong is
recorded as that submission's result (status ``error``) with its reason and,
for unexpected failures, the traceback (:mod:`grader.runner`).

This module imports only what settling the batch needs, so that its fork server
(TensorFlow's import) starts before the rest of the grader is imported.
"""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.diskcap import space_warning
from grader.envs import KernelEnv, build
from grader.errors import GraderError
from grader.folderlock import holding
from grader.forkserver import ForkServers
from grader.kernelenv import batch_kernel_env, font_cache, fork_server
from grader.pack import Pack
from grader.sandbox import Sandbox
from grader.schedule import Device, Devices, default_workers, thread_env
from grader.spec import Profile
from grader.students import assign_ids, never_submitted, roster_order

# what the grader writes in a student's output folder: the kernel's log as soon as its
# kernel starts (kernels.KERNEL_LOG, not imported here: it imports jupyter_client), the
# result at the end; a folder graded into itself is not submissions
GRADER_OUTPUT = ("kernel.log", "result.json")


def discover(folder: Path) -> list[Path]:
    """The notebooks to grade: every ``*.ipynb`` in ``folder`` or in a folder inside it.

    LMS downloads put each student's files in a folder of their own (Moodle) or all in
    one (Canvas); either is found. Left out: hidden files and folders (Jupyter's
    ``.ipynb_checkpoints``), macOS' ``__MACOSX`` and ``._*`` files from unzipping, and
    the grader's own output folders (:data:`GRADER_OUTPUT` beside the notebook).
    ``folder`` may also be one notebook.
    """
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        raise GraderError("no such folder of submissions", path=folder)

    def notebooks(where: Path) -> list[Path]:
        return [p for p in where.glob("*.ipynb") if p.is_file() and not never_submitted(p.name)]

    found = notebooks(folder)
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not never_submitted(p.name)):
        if not any((sub / name).exists() for name in GRADER_OUTPUT):
            found += notebooks(sub)
    return sorted(found)


def submissions(paths: Iterable[Path], root: Path | None = None) -> list[tuple[Path, str]]:
    """Each notebook (its path resolved) with the student id its report and grades get."""
    return assign_ids((Path(p).resolve() for p in paths), Path(root).resolve() if root else None)


def check_regrade(regrade: Collection[str], students: Collection[str]) -> None:
    """Refuse ``--regrade`` ids that no submission of the batch has, naming the nearest ids.

    Raises:
        GraderError: for the first unknown id (in class-list order).
    """
    unknown = sorted(set(regrade) - set(students), key=roster_order)
    if not unknown:
        return
    near = difflib.get_close_matches(unknown[0], list(students), n=3, cutoff=0.6)
    hint = (f"did you mean {' or '.join(near)}?" if near else
            "ids are the names in grades.csv and the list this command prints")
    raise GraderError(f"--regrade {unknown[0]}: no submission in this batch has that id "
                      f"({hint})")


@dataclass
class BatchOutcome:
    """What a batch did."""

    out_dir: Path
    results: list[dict[str, Any]] = field(default_factory=list)
    new_results: int = 0  # executed, or checked again from a stored run
    rechecked: int = 0  # of the new results, those from a stored run
    cached: int = 0  # results of the last run, reused unchanged
    errors: int = 0  # results (new or cached) in error
    retried: int = 0  # of the new results, unchanged notebooks the grader had failed on
    sandbox_note: str | None = None


Progress = Callable[[str, str], None]


def grade_batch(
    paths: Sequence[Path],
    pack: Pack,
    profile_name: str | None,
    out_dir: Path,
    mnist_path: Path,
    *,
    force: bool = False,
    parameters: Mapping[str, Any] | None = None,
    data: Mapping[str, Path] | None = None,
    on_start: Progress | None = None,
    on_done: Progress | None = None,
    audience: str = "student",
    pdf: bool = True,
    times: Mapping[str, datetime] | None = None,
    sandbox: Sandbox | None = None,
    timeouts: tuple[int | None, int | None] = (None, None),
    workers: int | None = None,
    devices: Devices | None = None,
    scheduler: str | None = None,
    log: Callable[[str], None] | None = None,
    fresh_kernels: bool = False,
    root: Path | None = None,
    regrade: Collection[str] = (),
) -> BatchOutcome:
    """Grade ``paths`` into ``out_dir`` and write the gradebook, CSV and reports.

    Args:
        paths: Notebook files; student ids come from their names.
        pack: The assignment pack.
        profile_name: Grading profile (the spec's default when None).
        out_dir: Where the gradebook, ``grades.csv`` and reports go.
        mnist_path: The grader's MNIST file (test labels never leave the grader).
        force: Re-grade even submissions whose result is cached.
        parameters: Extra papermill parameters for every notebook.
        data: Files for the spec's extra datasets, by name (``--data NAME=PATH``).
        audience: Who the per-student reports are for (``student`` hides hidden checks).
        pdf: Also print each report and the summary to PDF.
        times: Submission times by student (else each file's modification time).
        on_start: Called with (student, file name) before each submission.
        on_done: Called with (student, status) after each submission.
        sandbox: How kernels are contained (default: bubblewrap where it runs, else
            resource limits only, with a note in the outcome and every result).
        timeouts: Seconds per cell and per notebook, instead of the profile's.
        workers: Notebooks graded at once, each in its own kernel (default: what the
            machine fits, :func:`grader.schedule.default_workers`).
        devices: The GPUs kernels run on, and how many share one (default: CPU only).
        scheduler: A dask.distributed scheduler (``tcp://HOST:PORT``) to grade on instead
            of this machine (see :mod:`grader.distributed`).
        log: Told what takes long before grading starts (building a kernel environment).
        fresh_kernels: Start every kernel as a new Python, never forked from a server that
            imported TensorFlow once (see :mod:`grader.forkserver`).
        root: The folder ``paths`` were found in: a notebook in a folder of its own
            inside it is named for that folder (see :func:`grader.students.student_id`).
        regrade: Student ids to grade again even when unchanged (``force`` for a few).

    Raises:
        GraderError: an id in ``regrade`` that none of ``paths`` has; nothing is graded.
        FolderBusyError: another grader command is writing ``out_dir`` (see
            :mod:`grader.folderlock`); nothing is graded.
    """
    if regrade:
        check_regrade(regrade, [student for _, student in submissions(paths, root)])
    profile = batch_profile(pack, profile_name, timeouts)
    expected = pack.expected(profile.name)
    out_dir, mnist_path = Path(out_dir).resolve(), Path(mnist_path).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    sandbox = (sandbox or Sandbox()).resolve()
    devices = devices or Devices()
    workers = max(1, workers or default_workers(sandbox.limits.memory,
                                                gpu_slots=devices.slots))
    threads = thread_env(workers)
    # one command at a time writes the folder: a second is refused before it starts anything
    with holding(out_dir), ForkServers(font_cache()) as servers:
        warning = None if scheduler else space_warning(shutil.disk_usage(out_dir).free,
                                                       workers, sandbox.limits.disk)
        if warning and log:
            log(warning)
        kernel = None if scheduler else kernel_environment(pack, log)
        # the batch's fork server imports TensorFlow while the rest of the grader is
        # imported and the batch prepared; its kernels and evaluation workers are forks
        # of it (one import for them all)
        server = None
        if (len(paths) > 1 and not (scheduler or fresh_kernels or devices.gpus)
                and sandbox.mode == "bwrap"):
            server = fork_server(servers, batch_kernel_env(out_dir, profile, threads, Device()),
                                 kernel.python if kernel else None, pack.spec.kernel_preload)
        from grader import runner  # only now: its imports (papermill, pyplot) take a second

        return runner.run_batch(paths, pack, profile, expected, out_dir, mnist_path, sandbox,
                                devices, workers, threads, kernel,
                                servers if server else None, server, force=force,
                                parameters=parameters, data=data, on_start=on_start,
                                on_done=on_done, audience=audience, pdf=pdf, times=times,
                                scheduler=scheduler, root=root, regrade=frozenset(regrade))


def batch_profile(pack: Pack, profile_name: str | None,
                  timeouts: tuple[int | None, int | None] = (None, None)) -> Profile:
    """The profile a batch grades under: the spec's, with the time limits given instead."""
    profile = pack.spec.profile(profile_name)
    cell_timeout, notebook_timeout = timeouts
    return replace(profile, cell_timeout=cell_timeout or profile.cell_timeout,
                   notebook_timeout=notebook_timeout or profile.notebook_timeout)


def kernel_environment(pack: Pack, log: Callable[[str], None] | None = None,
                       ) -> KernelEnv | None:
    """The pack's kernel environment, built first if needed; None: the grader's own Python."""
    if not pack.spec.kernel_requirements:
        return None
    return build(KernelEnv.for_requirements(pack.spec.kernel_requirements), log)
