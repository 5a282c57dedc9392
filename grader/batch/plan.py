"""What a batch does with each notebook, decided before anything runs.

Each submission is run (new, changed, or what its kernel would see changed), checked
again from its stored run (the notebook and its run unchanged, the checks or expected
results not), or left as graded (nothing changed). :func:`sort_batch` decides it for
:mod:`grader.batch.run`; :func:`plan` decides it the same way for ``grader grade
--dry-run``, which runs nothing and writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grader.assignment.pack import Pack
from grader.assignment.spec import MNIST, Profile
from grader.evaluate.data import DataSource, data_sources
from grader.execute.sandbox import Sandbox
from grader.files import FileDigests, sha256_file
from grader.gradebook.result import Result
from grader.gradebook.store import GRADEBOOK, Gradebook, grader_failed
from grader.grading.assess import Run
from grader.grading.setup import Fingerprints

# why a notebook runs, in the order an instructor reads them
NEW, CHANGED, SETUP, STOPPED, UNSTORED = "new", "changed", "setup", "stopped", "unstored"
RETRY, ASKED = "retry", "asked"
WHY = {
    NEW: "never graded here",
    CHANGED: "changed since graded",
    SETUP: "unchanged, but what the kernel sees changed (profile, data, parameters, "
           "sandbox, the pack's kernel settings or the grader)",
    STOPPED: "unchanged, but the last run cannot be reused (it stopped early at a time limit "
             "or with its kernel dead, or its files are gone)",
    UNSTORED: "unchanged, but no run of them is stored to check again (none ran, or it "
              "was kept elsewhere)",
    RETRY: "unchanged, but the grader itself failed on them last time",
    ASKED: "asked for (--force or --regrade)",
}


def fingerprints(pack: Pack, profile: Profile, sources: Mapping[str, DataSource],
                 sandbox: Sandbox, parameters: Mapping[str, Any] | None,
                 digests: FileDigests) -> Fingerprints:
    """The batch's fingerprints, from what it is given (the same for a dry run)."""
    data_files = [s.path for n, s in sources.items() if n != MNIST]
    given = {"parameters": dict(parameters or {}), "sandbox": sandbox.mode,
             "limits": asdict(sandbox.limits)}
    execution = pack.execution_fingerprint(profile, [s.path for s in sources.values()], given,
                                           digests)
    return Fingerprints(execution, pack.fingerprint(profile.name, data_files, execution, digests))


def rechecks_here(pack: Pack, scheduler: str | None) -> bool:
    """Whether stored runs are checked again on this machine, with its evaluator.

    Not when the batch goes to a cluster and the pack's own Keras (``[kernel]
    requirements``) lives only on the cluster's workers: then they run there.
    """
    return scheduler is None or not pack.spec.kernel_requirements


@dataclass
class Sorted:
    """A batch's submissions, sorted by what grading them takes.

    Attributes:
        run: (path, student) to execute, with why in ``why``.
        again: (path, student, stored run) to check again without executing.
        reused: the results that stand, nothing having changed.
        why: why each student of ``run`` runs (a key of :data:`WHY`).
    """

    run: list[tuple[Path, str]] = field(default_factory=list)
    again: list[tuple[Path, str, Run]] = field(default_factory=list)
    reused: list[Result] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)

    def running(self, reason: str) -> list[str]:
        """The students that run for ``reason``."""
        return [student for _, student in self.run if self.why[student] == reason]


def sort_batch(subs: Iterable[tuple[Path, str]], book: Gradebook | None, pack_id: str,
               prints: Fingerprints, out_dir: Path, *, force: bool = False,
               regrade: Collection[str] = (), recheck_here: bool = True) -> Sorted:
    """Sort ``subs`` into notebooks to run, stored runs to check again, and results that stand.

    ``book`` None: nothing graded yet. ``recheck_here`` False: stored runs are not
    checked again here (their Keras lives only on a cluster's workers), they run.
    """
    out = Sorted()

    def run(path: Path, student: str, why: str) -> None:
        out.run.append((path, student))
        out.why[student] = why

    for path, student in subs:
        if force or student in regrade:
            run(path, student, ASKED)
            continue
        try:
            digest = sha256_file(path)
        except OSError:  # unreadable: running it records why, as that student's error
            run(path, student, CHANGED)
            continue
        hit = book.cached(pack_id, student, digest, prints.grade) if book is not None else None
        if hit is not None:
            if grader_failed(hit):
                run(path, student, RETRY)
            else:
                out.reused.append(hit)
            continue
        stored = Run.load(out_dir / student) if recheck_here else None
        if stored is not None and stored.reusable(digest, prints.execution, out_dir / student):
            out.again.append((path, student, stored))
            continue
        last = book.newest(pack_id, student) if book is not None else None  # to say why
        if last is None or last.get("sha256") != digest:
            run(path, student, NEW if last is None else CHANGED)
        elif stored is None:
            run(path, student, UNSTORED)
        elif stored.execution_fingerprint != prints.execution:
            run(path, student, SETUP)
        else:
            run(path, student, STOPPED)
    return out


def plan(subs: Iterable[tuple[Path, str]], pack: Pack, profile: Profile, out_dir: Path,
         mnist_path: Path, sandbox: Sandbox, *, parameters: Mapping[str, Any] | None = None,
         data: Mapping[str, Path] | None = None, force: bool = False,
         regrade: Collection[str] = (), scheduler: str | None = None) -> Sorted:
    """What ``grade_batch`` with these arguments would do; nothing runs, nothing is written.

    Raises:
        DataError: a ``--data`` file the pack has no dataset for, or that is missing.
    """
    sources = data_sources(pack, mnist_path, data or {})
    prints = fingerprints(pack, profile, sources, sandbox, parameters, FileDigests())
    path = Path(out_dir) / GRADEBOOK
    book = Gradebook(path) if path.is_file() else None  # none yet: it is not made here
    try:
        return sort_batch(subs, book, pack.id, prints, Path(out_dir).resolve(), force=force,
                          regrade=regrade, recheck_here=rechecks_here(pack, scheduler))
    finally:
        if book is not None:
            book.close()
