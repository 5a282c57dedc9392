"""Grade on a dask.distributed cluster: one task per submission, plain-data results back.

``grader grade ... --scheduler tcp://HOST:PORT`` hands each submission to the cluster.
Workers need the grader installed, bubblewrap, and the same paths as the machine that
submits: the pack, the data, the submissions and the output folder (a shared file
system, as on a SLURM cluster). Each worker process builds the batch's setup once and
grades in its own sandboxed kernels; its clean evaluation runs in the worker process
itself, which never runs student code. The gradebook and reports are written where
the command runs. Workers started with ``--resources GPU=1`` take GPU tasks.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.assignment.pack import Pack
from grader.assignment.spec import Profile
from grader.assignment.spec_toml import load_spec
from grader.errors import GraderError
from grader.evaluate.data import data_sources
from grader.evaluate.images import image_sets
from grader.execute.sandbox import Sandbox
from grader.execute.virtualenvs import kernel_environment
from grader.gradebook.result import Result
from grader.grading.setup import Fingerprints, GradingSetup, grading_setup
from grader.grading.submission import grade_one

_SETUPS: dict[str, GradingSetup] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class RemoteBatch:
    """What a worker needs to grade a batch's submissions (picklable, paths as text)."""

    pack_root: str
    profile: Profile
    mnist: str
    out_dir: str
    prints: Fingerprints
    sandbox: Sandbox
    parameters: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Identifies the batch on a worker (one setup per batch and worker process)."""
        return f"{self.pack_root}|{self.profile.name}|{self.prints.grade}|{self.out_dir}"


def _setup(batch: RemoteBatch) -> GradingSetup:
    """The worker's grading setup for ``batch``, built on first use."""
    with _LOCK:
        if batch.key not in _SETUPS:
            root, out = Path(batch.pack_root), Path(batch.out_dir)
            pack = Pack(root, load_spec(root / "spec.toml"))
            mnist = Path(batch.mnist)
            sources = data_sources(pack, mnist, {k: Path(v) for k, v in batch.data.items()})
            _SETUPS[batch.key] = grading_setup(
                pack, batch.profile, pack.expected(batch.profile.name), mnist, out, sources,
                image_sets(pack, mnist, out / ".grader" / "pngs"), batch.prints,
                batch.parameters, batch.sandbox, kernel_environment(pack), processes=0)
        return _SETUPS[batch.key]


def grade_remote(batch: RemoteBatch, path: str, student: str) -> Result:
    """Grade one submission on a worker; every failure comes back as a recorded result."""
    return grade_one(Path(path), student, _setup(batch), Path(batch.out_dir) / student)


def submit_all(address: str, batch: RemoteBatch, todo: list[tuple[Path, str]],
               gpu: bool = False,
               ) -> Generator[tuple[str, Result | BaseException], None, None]:
    """Send every submission to the cluster; yield (student, result or error) as they finish.

    Raises:
        GraderError: dask.distributed is not installed or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise GraderError("--scheduler needs dask.distributed: pip install "
                          "'grader[cluster]'") from None
    try:
        client = Client(address, timeout=10)
    except (OSError, TimeoutError) as exc:
        raise GraderError(f"cannot reach the dask scheduler at {address} ({exc})") from None
    with client:
        resources = {"GPU": 1} if gpu else None
        futures = {client.submit(grade_remote, batch, str(path), student, pure=False,
                                 resources=resources, key=f"grade-{student}-{id(batch)}"): student
                   for path, student in todo}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker becomes the student's error
                exc.__notes__ = [traceback.format_exc()]
                yield futures[future], exc
