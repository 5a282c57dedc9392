"""Run a settled batch: cached results, kernels in worker threads, reports, outputs.

:func:`grader.batch.start.grade_batch` settles the batch (sandbox, devices, workers, its
fork server) and hands it to :func:`run_batch`. One broken or hostile submission
never stops the batch: whatever goes wrong is recorded as that submission's result
(status ``error``) with its reason and, for unexpected failures, the traceback.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

from grader.assignment.pack import Pack
from grader.batch.cluster import RemoteBatch, submit_all
from grader.batch.intake import submissions
from grader.batch.options import BatchOptions, BatchOutcome, Progress, Settled
from grader.batch.plan import RETRY, fingerprints, rechecks_here, sort_batch
from grader.evaluate.data import data_sources
from grader.evaluate.images import image_sets
from grader.execute.kernels import remove_leftovers
from grader.files import FileDigests
from grader.gradebook.result import Result
from grader.gradebook.store import GRADEBOOK, Gradebook
from grader.grading.assess import Run, reassess
from grader.grading.setup import GradingSetup, grading_setup
from grader.grading.submission import (
    Ran,
    Started,
    assess_one,
    begin_one,
    error_result,
    recorded,
    run_one,
)
from grader.report.notebook_page import warm_html
from grader.report.outputs import student_result, write_outputs
from grader.report.pages import Pages
from grader.students import roster_order


def run_batch(paths: Sequence[Path], pack: Pack, out_dir: Path, mnist_path: Path,
              options: BatchOptions, settled: Settled, *, on_start: Progress | None = None,
              on_done: Progress | None = None) -> BatchOutcome:
    """:func:`grade_batch` once the batch's devices, workers and fork server are settled."""
    profile, expected, sandbox, devices = (settled.profile, settled.expected, settled.sandbox,
                                           settled.devices)
    workers, kernel, scheduler = settled.workers, settled.kernel, options.scheduler
    force, regrade, parameters = options.force, options.regrade, options.parameters
    audience, pdf, times = options.audience, options.pdf, options.times
    digests = FileDigests()  # each data file read once for the copy and the fingerprints
    remove_leftovers()
    outcome = BatchOutcome(out_dir, sandbox_note=sandbox.note)
    sources = data_sources(pack, mnist_path, options.data)
    every_file = [s.path for s in sources.values()]
    prints = fingerprints(pack, profile, sources, sandbox, parameters, digests)
    images = image_sets(pack, mnist_path, out_dir / ".grader" / "pngs")
    prints = replace(prints, measuring=pack.evaluation_fingerprint(every_file, images, digests))
    # one clean evaluation worker per two kernels: measuring takes a fraction of a run,
    # and each worker fresh (not forked from the server) costs a TensorFlow import
    setup = grading_setup(pack, profile, expected, mnist_path, out_dir, sources, images, prints,
                          parameters, sandbox, kernel,
                          processes=max(1, min((workers + 1) // 2, len(paths))),
                          server=settled.server, devices=devices, threads=settled.threads,
                          servers=settled.servers, mnist_digest=digests(mnist_path))
    evaluator = setup.evaluator
    with Gradebook(out_dir / GRADEBOOK) as book, contextlib.closing(evaluator):
        sorted_ = sort_batch(submissions(paths, options.root), book, pack.id, prints, out_dir,
                             force=force, regrade=regrade,
                             recheck_here=rechecks_here(pack, scheduler))
        todo, again = sorted_.run, sorted_.again
        outcome.retried = len(sorted_.running(RETRY))
        for result in sorted_.reused:
            outcome.cached += 1
            outcome.results.append(result)
            if on_done:
                on_done(result["student"], "cached")

        if settled.servers is not None and not (todo or again):
            settled.servers.close()  # every submission unchanged: nothing to import TensorFlow for
        if (todo and not scheduler) or again:
            evaluator.warm()  # Keras in the clean workers while the first kernels start
        if todo and not scheduler:
            threading.Thread(target=warm_html, name="html-warm", daemon=True).start()
        pages = Pages(expected, audience, pack.spec.show_reference)

        def finished(result: Result) -> None:
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
                                 prints, sandbox, dict(parameters),
                                 {k: str(v) for k, v in options.data.items()})
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


def reassess_all(again: Sequence[tuple[Path, str, Run]], workers: int, setup: GradingSetup,
                 out_dir: Path) -> Generator[Result, None, None]:
    """Grade stored runs again (:func:`grader.grading.assess.reassess`), ``workers`` at a time."""
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
                ) -> Generator[Result, None, None]:
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
    results: queue.SimpleQueue[Result] = queue.SimpleQueue()
    stopping = threading.Event()
    running: dict[int, Started] = {}  # each worker's submission whose notebook runs now

    def take() -> Started | Result | None:
        if stopping.is_set():
            return None
        try:
            path, student = jobs.get_nowait()
        except queue.Empty:
            return None
        return begin_one(path, student, setup, out_dir / student, ahead=True)

    def announce(item: Started | Result) -> None:
        if on_start:
            path, student = ((item["file"], item["student"]) if isinstance(item, dict)
                             else (item.path, item.student))
            with contextlib.suppress(Exception):  # a progress display never stops grading
                on_start(student, Path(path).name)

    def check(ran: Ran | Result) -> None:
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
