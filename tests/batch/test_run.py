"""How a batch's workers go through their submissions (:func:`grader.batch.run.run_workers`).

The three phases of a submission (start its kernel, run its notebook, check the run)
are replaced by fakes that record when they ran, so these tests need no kernel.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from grader.batch import run as runner
from grader.errors import ExecutionError
from grader.execute.devices import Devices
from grader.grading import submission
from grader.grading.submission import Ran, Started

WAIT = 10.0  # seconds a fake phase waits for another before it gives up and says so


class Phases:
    """Fake start, run and check phases that log ``(phase, student)`` as they begin and end."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.log: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.hooks: dict[tuple[str, str], Any] = {}  # (phase, student): called as it begins
        self.starters: dict[str, threading.Thread] = {}  # who started each student's kernel
        self.starter_alive: dict[str, bool] = {}  # ... and whether it lived on to its run
        self.kernels: dict[str, Any] = {}  # the kernel a student's run runs in, if any
        monkeypatch.setattr(submission, "start_submission", self.start)
        monkeypatch.setattr(submission, "run_submission", self.run)
        monkeypatch.setattr(submission, "assess_submission", self.assess)

    def _note(self, event: str, student: str) -> None:
        with self.lock:
            self.log.append((event, student))

    def _phase(self, phase: str, student: str) -> None:
        self._note(f"{phase} begins", student)
        hook = self.hooks.get((phase, student))
        if hook is not None:
            hook()
        self._note(f"{phase} ends", student)

    def start(self, path: Path, student: str, setup: Any, student_dir: Path,
              ahead: bool = False) -> Started:
        self._phase("start", student)
        self.starters[student] = threading.current_thread()
        return Started(path, student, student_dir, 0.0, "", None, [], student_dir, {}, [])

    def run(self, item: Started, setup: Any) -> Ran:
        item.kernel = self.kernels.get(item.student)
        try:
            self._phase("run", item.student)
        finally:
            item.kernel = None  # as the real run lets go of its kernel
        self.starter_alive[item.student] = self.starters[item.student].is_alive()
        return Ran(item, SimpleNamespace(), SimpleNamespace(), 0.0, True)

    def assess(self, ran: Ran, setup: Any) -> dict[str, Any]:
        self._phase("check", ran.item.student)
        return {"student": ran.item.student, "status": "graded"}

    def seen(self, event: str, student: str) -> bool:
        with self.lock:
            return (event, student) in self.log

    def when(self, event: str, student: str) -> int:
        with self.lock:
            return self.log.index((event, student))

    def wait_for(self, event: str, student: str) -> bool:
        """Whether ``event`` of ``student`` happens within :data:`WAIT` seconds."""
        deadline = time.monotonic() + WAIT
        while not self.seen(event, student):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True


def _setup() -> Any:
    """What :func:`grader.grading.submission.error_result` and a cancelled kernel read."""
    pack = SimpleNamespace(id="pack", spec=SimpleNamespace(title="Pack", max_score=10.0))
    profile = SimpleNamespace(name="fast", description="", seed=0)
    return SimpleNamespace(pack=pack, profile=profile, fingerprint="f", devices=Devices())


def _grade(tmp_path: Path, students: list[str], workers: int = 1) -> list[dict[str, Any]]:
    todo = [(tmp_path / f"{s}.ipynb", s) for s in students]
    return list(runner.run_workers(todo, workers, _setup(), tmp_path))


def test_a_worker_runs_its_next_notebook_while_the_last_one_is_checked(monkeypatch, tmp_path):
    """The check of s1 (grader work, no kernel) is not on the worker's way to s2's run."""
    phases = Phases(monkeypatch)
    overlapped = []
    phases.hooks["check", "s1"] = lambda: overlapped.append(phases.wait_for("run begins", "s2"))
    results = _grade(tmp_path, ["s1", "s2", "s3"])
    assert overlapped == [True]
    assert sorted(r["student"] for r in results) == ["s1", "s2", "s3"]
    assert all(r["status"] == "graded" for r in results)


def test_the_next_kernel_starts_while_this_notebook_runs(monkeypatch, tmp_path):
    """s2's kernel starts beside s1's run, not before it: starting is off the worker's way."""
    phases = Phases(monkeypatch)
    overlapped = []
    phases.hooks["start", "s2"] = lambda: overlapped.append(phases.wait_for("run begins", "s1"))
    _grade(tmp_path, ["s1", "s2"])
    assert overlapped == [True]
    assert phases.when("start ends", "s2") < phases.when("run begins", "s2")


def test_the_thread_that_started_a_kernel_lives_until_the_kernel_has_run(monkeypatch, tmp_path):
    """Each worker starts its kernels from a thread of its own, not one per kernel."""
    phases = Phases(monkeypatch)
    for student in ("s1", "s2", "s3", "s4"):  # time for a starter that ended to be gone
        phases.hooks["run", student] = lambda: time.sleep(0.05)
    _grade(tmp_path, ["s1", "s2", "s3", "s4"], workers=2)
    assert phases.starter_alive == dict.fromkeys(["s1", "s2", "s3", "s4"], True)


def test_a_worker_has_at_most_one_run_waiting_for_its_checks(monkeypatch, tmp_path):
    """While s1's check is held up, s2 runs, and s3 waits: finished runs never pile up."""
    phases = Phases(monkeypatch)
    release = threading.Event()
    phases.hooks["check", "s1"] = lambda: release.wait(WAIT)
    done = threading.Thread(target=_grade, args=(tmp_path, ["s1", "s2", "s3"]))
    done.start()
    assert phases.wait_for("run ends", "s2")
    time.sleep(0.3)  # were s3 to run now, it would have begun by this
    assert not phases.seen("run begins", "s3")
    release.set()
    done.join(WAIT)
    assert phases.when("check ends", "s1") < phases.when("run begins", "s3")
    assert phases.seen("check ends", "s3")


def test_a_failing_run_or_check_is_that_submission_s_recorded_error(monkeypatch, tmp_path):
    """Failures in either phase come back as results with tracebacks; the others are graded."""
    phases = Phases(monkeypatch)

    def fail(message: str) -> None:
        raise RuntimeError(message)

    phases.hooks["run", "s1"] = lambda: fail("kernel phase broke")
    phases.hooks["check", "s2"] = lambda: fail("check phase broke")
    results = {r["student"]: r for r in _grade(tmp_path, ["s1", "s2", "s3", "s4"], workers=2)}
    assert sorted(results) == ["s1", "s2", "s3", "s4"]
    assert results["s1"]["status"] == results["s2"]["status"] == "error"
    assert "kernel phase broke" in results["s1"]["error"]
    assert "check phase broke" in results["s2"]["traceback"]
    # neither was the notebook's fault: an unchanged s1 or s2 is graded again next time
    assert results["s1"]["error_kind"] == results["s2"]["error_kind"] == "grader"
    assert results["s3"]["status"] == results["s4"]["status"] == "graded"
    assert not phases.seen("check begins", "s1")  # nothing ran: nothing to check



def test_a_grader_error_keeps_the_traceback_of_the_unexpected_failure_it_wraps(tmp_path):
    """A clear error needs no traceback; one that wraps a surprise keeps where it happened."""
    def wraps_a_surprise() -> None:
        try:
            {}["format"]
        except KeyError as exc:
            raise ExecutionError("the notebook could not be run: KeyError") from exc

    def plain() -> None:
        raise ExecutionError("the kernel did not start in 60 s") from None

    path = tmp_path / "s1.ipynb"
    wrapped = submission.recorded(path, "s1", _setup(), wraps_a_surprise)
    assert wrapped["status"] == "error" and "wraps_a_surprise" in wrapped["traceback"]
    assert submission.recorded(path, "s1", _setup(), plain)["traceback"] is None


@pytest.mark.parametrize("how", ["closed", "interrupted"])
def test_a_batch_stopped_early_kills_the_running_kernel_and_runs_nothing_more(monkeypatch,
                                                                             tmp_path, how):
    """Ctrl-C in the caller: s2's kernel killed, s3 (started ahead) never run, s4 never started."""
    phases = Phases(monkeypatch)
    killed = threading.Event()
    phases.kernels["s2"] = SimpleNamespace(kill=killed.set, stop=lambda: None)
    phases.hooks["run", "s2"] = lambda: killed.wait(WAIT)  # a cell that runs until killed
    todo = [(tmp_path / f"{s}.ipynb", s) for s in ("s1", "s2", "s3", "s4")]
    ready = runner.run_workers(todo, 1, _setup(), tmp_path)
    assert next(ready)["student"] == "s1"
    assert phases.wait_for("run begins", "s2") and phases.wait_for("start ends", "s3")
    began = time.monotonic()
    if how == "closed":
        ready.close()
    else:
        with pytest.raises(KeyboardInterrupt):
            ready.throw(KeyboardInterrupt())
    assert killed.is_set() and time.monotonic() - began < WAIT / 2
    assert phases.seen("run ends", "s2")  # its worker went on to clean up, and then ended
    assert not phases.seen("check begins", "s2")  # a killed run's checks would go unrecorded
    assert not phases.seen("run begins", "s3") and not phases.seen("start begins", "s4")
    assert not [t for t in threading.enumerate() if t.name == "grade-0"]


def test_stored_runs_not_yet_checked_again_are_dropped_when_the_batch_stops(monkeypatch,
                                                                           tmp_path):
    """A spec fix's re-check of a large class stops at Ctrl-C instead of checking everyone."""
    checked: list[str] = []

    def reassess(path: Path, student: str, run: Any, setup: Any, student_dir: Path) -> dict:
        checked.append(student)
        time.sleep(0.2)
        return {"student": student, "status": "graded"}

    monkeypatch.setattr(runner, "reassess", reassess)
    again = [(tmp_path / f"s{i}.ipynb", f"s{i}", None) for i in range(40)]
    rechecked = runner.reassess_all(again, 2, _setup(), tmp_path)
    next(rechecked)
    rechecked.close()
    assert len(checked) <= 4  # those already under way when it stopped: two workers' worth
