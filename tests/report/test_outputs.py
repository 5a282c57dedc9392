"""What reports are written from: the gradebook's newest results, manual grades applied."""

from __future__ import annotations

import pytest

from grader.assignment.pack import find_pack
from grader.errors import GradebookError
from grader.gradebook.overrides import Override
from grader.gradebook.store import GRADEBOOK, Gradebook
from grader.report import outputs
from tests.gradebook.test_store import result as stored


def result(student, score, sha="a" * 64):
    doc = stored(student, score, sha)
    doc["questions"][0] |= {"score": score, "points": 2.0, "outcome": "pass"}
    return doc


def test_a_folder_never_graded_is_one_clear_error(tmp_path):
    with pytest.raises(GradebookError, match="grade the class first") as info:
        outputs.open_gradebook(tmp_path)
    assert str(info.value.path) == str(tmp_path / GRADEBOOK)


def test_results_as_reported_count_runs_and_apply_manual_grades(tmp_path):
    pack = find_pack("dlcourse_mlp")
    with Gradebook(tmp_path / GRADEBOOK) as book:
        book.record(result("alice", 1.0) | {"assignment": pack.id})
        book.record(result("alice", 2.0, sha="b" * 64) | {"assignment": pack.id})
        book.record(result("bob", 0.5) | {"assignment": pack.id})
        book.record_overrides(pack.id, [Override("bob", "q1", 1.5, "seen by hand")], "o.csv")
        reported = {r["student"]: r for r in outputs.class_results(book, pack)}
    assert reported["alice"]["runs"] == 2 and reported["alice"]["score"] == 2.0
    assert reported["bob"]["runs"] == 1 and reported["bob"]["score"] == 1.5


def test_pdf_printers_never_exceed_the_cores_and_are_at_least_one(monkeypatch):
    monkeypatch.setattr(outputs, "usable_cpus", lambda: 8)
    monkeypatch.setattr(outputs, "available_memory", lambda: 1)
    assert outputs.pdf_processes() == 1
    monkeypatch.setattr(outputs, "available_memory", lambda: 1 << 40)
    assert outputs.pdf_processes() == 8
    monkeypatch.setattr(outputs, "available_memory", lambda: None)
    assert outputs.pdf_processes() == 8
