"""A batch's typed inputs and outcome: what the CLI chose, what the machine settled, what it did.

The CLI builds one :class:`BatchOptions`; :func:`grader.batch.start.grade_batch` settles
the machine (:class:`Settled`) and hands both down, never as loose arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.assignment.spec import Profile
from grader.execute.devices import Devices
from grader.execute.forkservers import ForkServers
from grader.execute.sandbox import Sandbox
from grader.execute.virtualenvs import KernelEnv
from grader.gradebook.result import Result


@dataclass(frozen=True)
class BatchOptions:
    """Every choice of ``grader grade`` (and ``grader check``), made once by the CLI.

    Attributes:
        profile: Grading profile (the spec's default when None).
        force: Re-grade even submissions whose result is cached.
        regrade: Student ids to grade again even when unchanged (``force`` for a few).
        parameters: Extra papermill parameters for every notebook.
        data: Files for the spec's extra datasets, by name (``--data NAME=PATH``).
        audience: Who the per-student reports are for (``student`` hides hidden checks).
        pdf: Also print each report and the summary to PDF.
        times: Submission times by student (else each file's modification time).
        sandbox: How kernels are contained (default: bubblewrap where it runs, else
            resource limits only, with a note in the outcome and every result).
        timeouts: Seconds per cell and per notebook, instead of the profile's.
        workers: Notebooks graded at once, each in its own kernel (default: what the
            machine fits, :func:`grader.execute.devices.default_workers`).
        devices: The GPUs kernels run on, and how many share one (default: CPU only).
        scheduler: A dask.distributed scheduler (``tcp://HOST:PORT``) to grade on instead
            of this machine (see :mod:`grader.batch.cluster`).
        fresh_kernels: Start every kernel as a new Python, never forked from a server that
            imported TensorFlow once (see :mod:`grader.execute.forkservers`).
        root: The folder the notebooks were found in: a notebook in a folder of its own
            inside it is named for that folder (see :func:`grader.students.student_id`).
    """

    profile: str | None = None
    force: bool = False
    regrade: frozenset[str] = frozenset()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Path] = field(default_factory=dict)
    audience: str = "student"
    pdf: bool = True
    times: Mapping[str, datetime] | None = None
    sandbox: Sandbox | None = None
    timeouts: tuple[int | None, int | None] = (None, None)
    workers: int | None = None
    devices: Devices | None = None
    scheduler: str | None = None
    fresh_kernels: bool = False
    root: Path | None = None


@dataclass(frozen=True)
class Settled:
    """What :func:`~grader.batch.start.grade_batch` settled before the batch runs."""

    profile: Profile
    expected: Mapping[str, Any]
    sandbox: Sandbox
    devices: Devices
    workers: int
    threads: Mapping[str, str]
    kernel: KernelEnv | None = None
    servers: ForkServers | None = None  # the batch's fork servers, when kernels fork
    server: str | None = None  # the socket of the one its kernels fork from


@dataclass
class BatchOutcome:
    """What a batch did."""

    out_dir: Path
    results: list[Result] = field(default_factory=list)
    new_results: int = 0  # executed, or checked again from a stored run
    rechecked: int = 0  # of the new results, those from a stored run
    cached: int = 0  # results of the last run, reused unchanged
    errors: int = 0  # results (new or cached) in error
    retried: int = 0  # of the new results, unchanged notebooks the grader had failed on
    sandbox_note: str | None = None


Progress = Callable[[str, str], None]
