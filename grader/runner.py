"""Run a settled batch: cached results, kernels in worker threads, reports, outputs.

:func:`grader.batch.grade_batch` settles the batch (sandbox, devices, workers, its
fork server) and hands it to :func:`run_batch`. One broken or hostile submission
never stops the batch: whatever goes wrong is recorded as that submission's result
(status ``error``) with its reason and, for unexpected failures, the traceback.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Collection, Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from grader.assess import Run, reassess
from grader.batch import BatchOutcome, Progress, submissions
from grader.collect import FileDigests
from grader.data import prepare_kernel_copy
from grader.distributed import RemoteBatch, submit_all
from grader.envs import KernelEnv
from grader.envworker import EnvEvaluator
from grader.errors import GraderError
from grader.evaluate import DataSource, Evaluator
from grader.forkserver import ForkServers
from grader.grade import (
    GradingSetup,
    Ran,
    Started,
    assess_submission,
    error_result,
    run_submission,
    start_submission,
)
from grader.gradebook import GRADEBOOK, Gradebook
from grader.images import image_sets
from grader.kernels import remove_leftovers
from grader.outputs import student_result, write_outputs
from grader.pack import Pack
from grader.plan import RETRY, data_sources, fingerprints, rechecks_here, sort_batch
from grader.report.notebook_page import warm_html
from grader.report.pages import Pages
from grader.sandbox import Sandbox
from grader.schedule import Devices
from grader.spec import Profile
from grader.students import roster_order

T = TypeVar("T")
EVALUATE_LOG = "evaluate.log"  # what the evaluation workers print, under the batch's .grader


def run_batch(paths: Sequence[Path], pack: Pack, profile: Profile, expected: Mapping[str, Any],
              out_dir: Path, mnist_path: Path, sandbox: Sandbox, devices: Devices,
              workers: int, threads: Mapping[str, str], kernel: KernelEnv | None,
              servers: ForkServers | None, server: str | None, *, force: bool,
              regrade: Collection[str] = (),
              parameters: Mapping[str, Any] | None, data: Mapping[str, Path] | None,
              on_start: Progress | None, on_done: Progress | None, audience: str, pdf: bool,
              times: Mapping[str, datetime] | None, scheduler: str | None,
              root: Path | None = None) -> BatchOutcome:
    """:func:`grade_batch` once the batch's devices, workers and fork server are settled."""
    digests = FileDigests()  # each data file read once for the copy and the fingerprints
    kernel_mnist = prepare_kernel_copy(mnist_path, out_dir / ".grader" / "data",
                                       profile.train_limit, digests(mnist_path))
    remove_leftovers()
    outcome = BatchOutcome(out_dir, sandbox_note=sandbox.note)
    sources = data_sources(pack, mnist_path, data or {})
    every_file = [s.path for s in sources.values()]
    prints = fingerprints(pack, profile, sources, sandbox, parameters, digests)
    execution, fingerprint = prints.execution, prints.grade
    images = image_sets(pack, mnist_path, out_dir / ".grader" / "pngs")
    measuring = pack.evaluation_fingerprint(every_file, images, digests)
    # one clean evaluation worker per two kernels: measuring takes a fraction of a run,
    # and each worker fresh (not forked from the server) costs a TensorFlow import
    log = out_dir / ".grader" / EVALUATE_LOG
    log.unlink(missing_ok=True)  # this batch's alone
    evaluator = make_evaluator(kernel, sources, images, pack,
                               processes=max(1, min((workers + 1) // 2, len(paths))),
                               server=server, log=log)
    with Gradebook(out_dir / GRADEBOOK) as book, evaluator:
        setup = GradingSetup(pack, profile, expected, kernel_mnist, evaluator, fingerprint,
                             dict(parameters or {}), sandbox, devices, kernel, execution,
                             measuring, threads, forkservers=servers)
        sorted_ = sort_batch(submissions(paths, root), book, pack.id, prints, out_dir,
                             force=force, regrade=regrade,
                             recheck_here=rechecks_here(pack, scheduler))
        todo, again = sorted_.run, sorted_.again
        outcome.retried = len(sorted_.running(RETRY))
        for result in sorted_.reused:
            outcome.cached += 1
            outcome.results.append(result)
            if on_done:
                on_done(result["student"], "cached")

        if servers is not None and not (todo or again):
            servers.close()  # every submission unchanged: nothing to import TensorFlow for
        if (todo and not scheduler) or again:
            evaluator.warm()  # Keras in the clean workers while the first kernels start
        if todo and not scheduler:
            threading.Thread(target=warm_html, name="html-warm", daemon=True).start()
        pages = Pages(expected, audience)

        def finished(result: dict[str, Any]) -> None:
            book.record(result)  # one thread writes the gradebook, one result at a time
            outcome.new_results += 1
            outcome.rechecked += bool(result.get("rechecked"))
            outcome.results.append(result)
            student = result["student"]
            # its report now, while the workers go on (the same page the end would render)
            pages.html(student_result(book, pack, result, times),
                       out_dir / student / "report.html")
            if on_done:
                on_done(student, "graded from its stored run" if result.get("rechecked")
                        else result["status"])

        with contextlib.closing(reassess_all(again, workers, setup, out_dir)) as rechecked:
            for result in rechecked:
                finished(result)
        if scheduler:
            paths_of = {student: path for path, student in todo}
            remote = RemoteBatch(str(pack.root), profile, str(mnist_path), str(out_dir),
                                 fingerprint, sandbox, dict(parameters or {}),
                                 {k: str(v) for k, v in (data or {}).items()}, execution,
                                 measuring)
            with contextlib.closing(submit_all(scheduler, remote, todo,
                                               gpu=bool(devices.gpus))) as graded:
                for student, got in graded:
                    if isinstance(got, BaseException):
                        tb = "".join(getattr(got, "__notes__", [])) or None
                        got = error_result(paths_of[student], student, setup, got, tb)
                    finished(got)
        else:
            # closed at once however this loop ends: an interrupt here winds the workers down
            with contextlib.closing(run_workers(todo, workers, setup, out_dir,
                                                on_start)) as ready:
                for result in ready:
                    finished(result)  # every failure comes back as a recorded result
        outcome.results.sort(key=lambda r: roster_order(r["student"]))
        outcome.errors = sum(r["status"] == "error" for r in outcome.results)
        write_outputs(book, pack, expected, out_dir, audience, pdf, times)
    return outcome


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


def grade_one(path: Path, student: str, setup: GradingSetup,
              student_dir: Path) -> dict[str, Any]:
    """Grade one notebook; whatever goes wrong comes back as its recorded error result."""
    return finish_one(begin_one(path, student, setup, student_dir), setup)


def recorded(path: Path, student: str, setup: GradingSetup,
             step: Callable[[], T]) -> T | dict[str, Any]:
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
              ahead: bool = False) -> Started | dict[str, Any]:
    """:func:`start_submission`, or the submission's error result if it cannot start."""
    return recorded(path, student, setup,
                    lambda: start_submission(path, student, setup, student_dir, ahead=ahead))


def run_one(item: Started | dict[str, Any], setup: GradingSetup) -> Ran | dict[str, Any]:
    """:func:`run_submission`, or the error result it became; never raises."""
    if isinstance(item, dict):
        return item
    return recorded(item.path, item.student, setup, lambda: run_submission(item, setup))


def assess_one(ran: Ran | dict[str, Any], setup: GradingSetup) -> dict[str, Any]:
    """:func:`assess_submission`, or the error result it became; never raises."""
    if isinstance(ran, dict):
        return ran
    return recorded(ran.item.path, ran.item.student, setup,
                    lambda: assess_submission(ran, setup))


def finish_one(item: Started | dict[str, Any], setup: GradingSetup) -> dict[str, Any]:
    """:func:`run_submission`, then :func:`assess_submission`: the result; never raises."""
    return assess_one(run_one(item, setup), setup)


def reassess_all(again: Sequence[tuple[Path, str, Run]], workers: int, setup: GradingSetup,
                 out_dir: Path) -> Generator[dict[str, Any], None, None]:
    """Grade stored runs again (:func:`grader.assess.reassess`), ``workers`` at a time."""
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="recheck") as pool:
        futures = [pool.submit(recorded, path, student, setup,
                               lambda p=path, s=student, r=run: reassess(
                                   p, s, r, setup, out_dir / s))
                   for path, student, run in again]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:  # interrupted (or closed early): the rest is not started
            pool.shutdown(wait=False, cancel_futures=True)


def run_workers(todo: Sequence[tuple[Path, str]], workers: int, setup: GradingSetup,
                out_dir: Path, on_start: Progress | None = None,
                ) -> Generator[dict[str, Any], None, None]:
    """Grade ``todo`` with ``workers`` threads; yield each result as it is ready.

    A worker's kernels run one after another, with nothing of the grader's between
    them: while one submission's notebook runs, the kernel of the worker's next one
    starts (TensorFlow imported, :func:`start_submission` with ``ahead``), and the
    submission before it is collected, measured and checked beside it. So each worker
    has a small pool of fresh kernels, each used for one submission only, and at most
    one finished run waiting for its checks.

    Closed before the last result (Ctrl-C in the caller), it winds the batch down: no
    notebook starts, the running ones' kernels are killed, and the workers get
    :data:`WIND_DOWN` seconds to remove their kernels' folders and cgroups. What they
    finish meanwhile is not yielded: the caller records nothing half-done.
    """
    jobs: queue.SimpleQueue[tuple[Path, str]] = queue.SimpleQueue()
    for job in todo:
        jobs.put(job)
    results: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
    stopping = threading.Event()
    running: dict[int, Started] = {}  # each worker's submission whose notebook runs now

    def take() -> Started | dict[str, Any] | None:
        if stopping.is_set():
            return None
        try:
            path, student = jobs.get_nowait()
        except queue.Empty:
            return None
        return begin_one(path, student, setup, out_dir / student, ahead=True)

    def announce(item: Started | dict[str, Any]) -> None:
        if on_start:
            path, student = ((item["file"], item["student"]) if isinstance(item, dict)
                             else (item.path, item.student))
            with contextlib.suppress(Exception):  # a progress display never stops grading
                on_start(student, Path(path).name)

    def check(ran: Ran | dict[str, Any]) -> None:
        results.put(assess_one(ran, setup))

    def work(n: int) -> None:
        # threads of this worker's own: another worker's slow start or check never holds it up
        with (ThreadPoolExecutor(1, thread_name_prefix=f"start-ahead-{n}") as starter,
              ThreadPoolExecutor(1, thread_name_prefix=f"check-{n}") as checker):
            item, checking = take(), None
            while item is not None:
                if stopping.is_set():  # a kernel started ahead, not to be run
                    if isinstance(item, Started):
                        item.cancel(setup.devices)
                    break
                upcoming = starter.submit(take)  # its kernel starts while this one runs
                try:
                    announce(item)
                    if isinstance(item, Started):
                        running[n] = item
                    ran = run_one(item, setup)
                    running.pop(n, None)
                    if stopping.is_set():  # no one records its checks now: none are run
                        item = upcoming.result()
                        continue
                    if checking is not None:
                        checking.result()  # one run waits for its checks, never a queue of them
                    checking = checker.submit(check, ran)
                except BaseException:
                    later = upcoming.result()
                    if isinstance(later, Started):
                        later.cancel(setup.devices)
                    raise
                item = upcoming.result()

    threads = [threading.Thread(target=work, args=(i,), name=f"grade-{i}", daemon=True)
               for i in range(max(1, min(workers, len(todo))))]
    for t in threads:
        t.start()
    completed = False
    try:
        for _ in todo:
            yield results.get()
        completed = True
    finally:
        if not completed:
            wind_down(stopping, running, threads)
    for t in threads:
        t.join()


WIND_DOWN = 5.0  # seconds an interrupted batch's workers get to clean up after their kernels


def wind_down(stopping: threading.Event, running: Mapping[int, Started],
              threads: Sequence[threading.Thread], wait: float = WIND_DOWN) -> None:
    """Stop a batch: no notebook starts, running kernels are killed until the workers end.

    A kernel still starting when this begins is killed once it exists. Workers still
    busy after ``wait`` seconds (checks of a finished run) are left to the process's end.
    """
    stopping.set()
    deadline = time.monotonic() + wait
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        for item in list(running.values()):
            kernel = item.kernel
            if kernel is not None:
                kernel.kill()
        for t in threads:
            t.join(timeout=0.02)
