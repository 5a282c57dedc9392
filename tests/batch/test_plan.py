"""Which notebooks a batch runs, checks again from stored runs, or leaves as graded (plan.py)."""

from __future__ import annotations

from pathlib import Path

from grader.batch.plan import ASKED, CHANGED, NEW, RETRY, SETUP, STOPPED, UNSTORED, WHY, sort_batch
from grader.files import sha256_file
from grader.gradebook.store import Gradebook
from grader.grading.assess import Run
from grader.grading.setup import Fingerprints
from tests.gradebook.test_store import result

PRINTS = Fingerprints(execution="e1", grade="g1")


def _notebook(folder: Path, student: str, text: str = "{}") -> tuple[Path, str]:
    path = folder / f"{student}.ipynb"
    path.write_text(text)
    return path, student


def _run(out: Path, student: str, path: Path, execution: str = "e1", **execution_doc) -> None:
    (out / student).mkdir(parents=True, exist_ok=True)
    Run(execution, sha256_file(path), 0.0, execution_doc, {"models": []}, [], [], "cpu",
        False).save(out / student)


def test_each_notebook_is_sorted_by_what_changed_since_it_was_graded(tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    subs = {s: _notebook(folder, s) for s in ("same", "edited", "spec_fixed", "setup_changed",
                                              "timed_out", "never_ran", "grader_broke", "new")}
    with Gradebook(tmp_path / "g.sqlite") as book:
        for student, (path, _) in subs.items():
            if student == "new":
                continue
            digest = "0" * 64 if student == "edited" else sha256_file(path)
            fingerprint = "g0" if student in ("spec_fixed", "setup_changed", "timed_out",
                                              "never_ran") else "g1"
            status = "error" if student == "grader_broke" else "graded"
            book.record(result(student, 1.0, sha=digest, fingerprint=fingerprint,
                               status=status))
        _run(out, "spec_fixed", subs["spec_fixed"][0])  # same run: only the checks changed
        _run(out, "setup_changed", subs["setup_changed"][0], execution="e0")
        _run(out, "timed_out", subs["timed_out"][0], deadline_hit=True)
        plan = sort_batch(sorted(subs.values()), book, "demo", PRINTS, out)
    assert [r["student"] for r in plan.reused] == ["same"]
    assert [s for _, s, _ in plan.again] == ["spec_fixed"]
    assert plan.why == {"edited": CHANGED, "setup_changed": SETUP, "timed_out": STOPPED,
                        "never_ran": UNSTORED, "grader_broke": RETRY, "new": NEW}
    assert plan.running(NEW) == ["new"] and set(WHY) >= set(plan.why.values())


def test_asked_for_runs_whatever_is_stored_and_no_gradebook_means_all_new(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    subs = [_notebook(folder, s) for s in ("a", "b")]
    with Gradebook(tmp_path / "g.sqlite") as book:
        for path, student in subs:
            book.record(result(student, 1.0, sha=sha256_file(path), fingerprint="g1"))
        plan = sort_batch(subs, book, "demo", PRINTS, tmp_path, regrade={"b"})
        assert plan.why == {"b": ASKED} and [r["student"] for r in plan.reused] == ["a"]
        assert sort_batch(subs, book, "demo", PRINTS, tmp_path, force=True).why == {
            "a": ASKED, "b": ASKED}
    assert sort_batch(subs, None, "demo", PRINTS, tmp_path).why == {"a": NEW, "b": NEW}
