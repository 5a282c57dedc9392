"""Grade a folder of submissions: settle the batch, start its fork server, run it.

One broken or hostile submission never stops the batch: whatever goes wrong is
recorded as that submission's result (status ``error``) with its reason and,
for unexpected failures, the traceback (:mod:`grader.batch.run`).

This module imports only what settling the batch needs, so that its fork server
(TensorFlow's import) starts before the rest of the grader is imported.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from grader.assignment.pack import Pack
from grader.assignment.spec import Profile
from grader.batch.folder_lock import holding
from grader.batch.intake import check_regrade, submissions
from grader.batch.options import BatchOptions, BatchOutcome, Progress, Settled
from grader.execute.devices import Device, Devices, default_workers, thread_env
from grader.execute.diskcap import space_warning
from grader.execute.environ import batch_kernel_env, font_cache, fork_server
from grader.execute.forkservers import ForkServers
from grader.execute.sandbox import Sandbox
from grader.execute.virtualenvs import kernel_environment


def grade_batch(paths: Sequence[Path], pack: Pack, out_dir: Path, mnist_path: Path,
                options: BatchOptions | None = None, *, on_start: Progress | None = None,
                on_done: Progress | None = None,
                log: Callable[[str], None] | None = None) -> BatchOutcome:
    """Grade ``paths`` into ``out_dir`` and write the gradebook, CSV and reports.

    Args:
        paths: Notebook files; student ids come from their names.
        pack: The assignment pack.
        out_dir: Where the gradebook, ``grades.csv`` and reports go.
        mnist_path: The grader's MNIST file (test labels never leave the grader).
        options: What the command chose (:class:`~grader.batch.options.BatchOptions`).
        on_start: Called with (student, file name) before each submission.
        on_done: Called with (student, status) after each submission.
        log: Told what takes long before grading starts (building a kernel environment).

    Raises:
        GraderError: an id in ``options.regrade`` that none of ``paths`` has; nothing is
            graded.
        FolderBusyError: another grader command is writing ``out_dir`` (see
            :mod:`grader.batch.folder_lock`); nothing is graded.
    """
    options = options or BatchOptions()
    if options.regrade:
        check_regrade(options.regrade,
                      [student for _, student in submissions(paths, options.root)])
    profile = batch_profile(pack, options.profile, options.timeouts)
    expected = pack.expected(profile.name)
    out_dir, mnist_path = Path(out_dir).resolve(), Path(mnist_path).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    sandbox = (options.sandbox or Sandbox()).resolve()
    devices = options.devices or Devices()
    workers = max(1, options.workers or default_workers(sandbox.limits.memory,
                                                        gpu_slots=devices.slots))
    threads = thread_env(workers)
    scheduler = options.scheduler
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
        if (len(paths) > 1 and not (scheduler or options.fresh_kernels or devices.gpus)
                and sandbox.mode == "bwrap"):
            server = fork_server(servers, batch_kernel_env(out_dir, profile, threads, Device()),
                                 kernel.python if kernel else None, pack.spec.kernel_preload)
        from grader.batch import run as runner  # only now: its imports take a second

        settled = Settled(profile, expected, sandbox, devices, workers, threads, kernel,
                          servers if server else None, server)
        return runner.run_batch(paths, pack, out_dir, mnist_path, options, settled,
                                on_start=on_start, on_done=on_done)


def batch_profile(pack: Pack, profile_name: str | None,
                  timeouts: tuple[int | None, int | None] = (None, None)) -> Profile:
    """The profile a batch grades under: the spec's, with the time limits given instead."""
    profile = pack.spec.profile(profile_name)
    cell_timeout, notebook_timeout = timeouts
    return replace(profile, cell_timeout=cell_timeout or profile.cell_timeout,
                   notebook_timeout=notebook_timeout or profile.notebook_timeout)
