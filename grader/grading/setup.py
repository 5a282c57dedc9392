"""What the submissions of one batch share, built in one place for this machine and a cluster's.

A local batch builds its :class:`GradingSetup` once; a dask worker builds the same from
the batch's description (:mod:`grader.batch.cluster`), with :func:`grading_setup` both.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.assignment.pack import Pack
from grader.assignment.spec import Profile
from grader.evaluate.data import (
    DataSource,
    instructor_course_file,
    make_course_file,
    prepare_kernel_copy,
)
from grader.evaluate.env_workers import EnvEvaluator
from grader.evaluate.workers import Evaluator, Meter
from grader.execute.devices import Devices
from grader.execute.forkservers import ForkServers
from grader.execute.sandbox import Sandbox
from grader.execute.virtualenvs import KernelEnv

EVALUATE_LOG = "evaluate.log"  # what the evaluation workers print, under the batch's .grader


@dataclass(frozen=True)
class GradingSetup:
    """Everything shared by the submissions of one batch."""

    pack: Pack
    profile: Profile
    expected: Mapping[str, Any]
    kernel_mnist: Path
    evaluator: Meter
    fingerprint: str
    parameters: Mapping[str, Any]
    sandbox: Sandbox = field(default_factory=lambda: Sandbox().resolve())
    devices: Devices = field(default_factory=Devices)
    kernel: KernelEnv | None = None
    execution_fingerprint: str = ""
    evaluation_fingerprint: str = ""
    threads: Mapping[str, str] = field(default_factory=dict)
    forkservers: ForkServers | None = None
    course_files: tuple[Path, ...] = ()  # made from MNIST or given; copied into every kernel folder


@dataclass(frozen=True)
class Fingerprints:
    """What a batch's results are valid for.

    Attributes:
        execution: what decides how a notebook runs (:meth:`Pack.execution_fingerprint`).
        grade: what decides a grade besides the notebook (:meth:`Pack.fingerprint`).
        measuring: what decides the grader's measurements of saved models
            (:meth:`Pack.evaluation_fingerprint`); empty where not yet known.
    """

    execution: str
    grade: str
    measuring: str = ""


def grading_setup(pack: Pack, profile: Profile, expected: Mapping[str, Any], mnist: Path,
                  out_dir: Path, sources: Mapping[str, DataSource],
                  images: Mapping[str, dict[str, Any]], prints: Fingerprints,
                  parameters: Mapping[str, Any], sandbox: Sandbox, kernel: KernelEnv | None, *,
                  processes: int, server: str | None = None, devices: Devices | None = None,
                  threads: Mapping[str, str] | None = None, servers: ForkServers | None = None,
                  mnist_digest: str | None = None) -> GradingSetup:
    """The batch's setup: the kernels' MNIST copy, clean evaluation workers, and the rest.

    ``processes = 0`` measures in this process (a dask worker); see :func:`make_evaluator`.
    The evaluation workers print to ``OUT/.grader/evaluate.log``, started empty.
    """
    grader_dir = Path(out_dir) / ".grader"
    # whole: the profile's training subset is applied where the notebook trains (its
    # ``fit``), so that ``load_data()`` gives the shapes a student's code expects
    kernel_mnist = prepare_kernel_copy(mnist, grader_dir / "data", 0, mnist_digest)
    course_files = tuple(make_course_file(made, mnist, grader_dir / "data" / "course",
                                          mnist_digest) for made in pack.spec.course_files)
    # the instructor's data files the course's notebooks open by name (e.g. its features)
    course_files += tuple(p for s in sources.values()
                          if (p := instructor_course_file(s, grader_dir / "data" / "course")))
    log = grader_dir / EVALUATE_LOG
    if processes:
        log.unlink(missing_ok=True)  # this batch's alone
    evaluator = make_evaluator(kernel, sources, images, pack, processes=processes,
                               server=server, log=log)
    return GradingSetup(pack, profile, expected, kernel_mnist, evaluator, prints.grade,
                        dict(parameters), sandbox, devices or Devices(), kernel,
                        prints.execution, prints.measuring, dict(threads or {}),
                        forkservers=servers, course_files=course_files)


def make_evaluator(kernel: KernelEnv | None, sources: Mapping[str, DataSource],
                   images: Mapping[str, dict[str, Any]], pack: Pack,
                   processes: int, server: str | None = None,
                   log: Path | None = None) -> Evaluator | EnvEvaluator:
    """Clean evaluation workers of the kernels' Python: the grader's own or the pack's.

    ``processes = 0`` evaluates in this process (a dask worker), unless the pack has
    its own environment, whose Python always runs in a worker of its own. With the
    ``server`` the batch's kernels come from, the workers are forks of it. A fresh
    worker prints to ``log``, a forked one to its server's log: never to the terminal.
    """
    if server is not None:
        python = kernel.python if kernel else Path(sys.executable)
        return EnvEvaluator(python, sources, images=images, denoising=pack.spec.denoising,
                            processes=max(1, processes), server=server, log=log)
    if kernel is None:
        return Evaluator(sources, images=images, denoising=pack.spec.denoising,
                         processes=processes, log=log)
    return EnvEvaluator(kernel.python, sources, images=images, denoising=pack.spec.denoising,
                        processes=max(1, processes), log=log)
