"""The gradebook keeps every run, serves the newest, and caches by content."""

from __future__ import annotations

import sqlite3

from grader.gradebook.store import Gradebook


def result(student, score, sha="a" * 64, fingerprint="f1", status="graded"):
    return {"assignment": "demo", "student": student, "file": f"{student}.ipynb", "sha256": sha,
            "profile": "fast", "fingerprint": fingerprint, "seed": 1, "status": status,
            "score": score, "max_score": 2.0, "error": None, "traceback": None,
            "started_at": 0.0, "timings": {"execute": 1.0, "evaluate": 0.5, "total": 1.6},
            "questions": [{"id": "q1", "checks": [
                {"id": "q1.x", "outcome": "pass", "score": score, "max_score": 2.0,
                 "message": "ok", "details": {"found": 1}}]}]}


def test_record_writes_submission_and_check_rows(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.record(result("alice", 2.0))
        assert book.count() == 1 and book.count("checks") == 1
    db = sqlite3.connect(tmp_path / "g.sqlite")
    row = db.execute("SELECT student, status, sha256, execute_seconds FROM submissions").fetchone()
    assert row == ("alice", "graded", "a" * 64, 1.0)


def test_latest_and_history(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.record(result("alice", 1.0))
        book.record(result("bob", 2.0))
        book.record(result("alice", 1.5, sha="b" * 64))
        latest = {r["student"]: r["score"] for r in book.latest("demo")}
        assert latest == {"alice": 1.5, "bob": 2.0}
        assert book.count() == 3
        assert book.runs("demo") == {"alice": 2, "bob": 1} and book.runs("other") == {}


def test_latest_is_in_class_list_order(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        for student in ("s10", "s9", "Bob", "alice"):
            book.record(result(student, 1.0))
        assert [r["student"] for r in book.latest("demo")] == ["alice", "Bob", "s9", "s10"]


def test_cache_hits_only_for_same_notebook_and_spec(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.record(result("alice", 1.0))
        assert book.cached("demo", "alice", "a" * 64, "f1")["score"] == 1.0
        assert book.cached("demo", "alice", "b" * 64, "f1") is None
        assert book.cached("demo", "alice", "a" * 64, "f2") is None
        assert book.cached("demo", "carol", "a" * 64, "f1") is None


def test_a_gradebook_of_the_release_before_versions_is_migrated_and_keeps_everything(tmp_path):
    from grader.gradebook.store import SCHEMA_VERSION

    path = tmp_path / "g.sqlite"
    with Gradebook(path) as book:
        book.record(result("alice", 2.0))
        book.record(result("bob", 1.0))
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 0")  # as grader 0.2 left every gradebook
    db.commit()
    db.close()
    with Gradebook(path) as book:
        assert book.schema_version() == SCHEMA_VERSION == 1
        assert [(r["student"], r["score"]) for r in book.latest("demo")] == [("alice", 2.0),
                                                                               ("bob", 1.0)]
        assert book.assignments() == ["demo"]


def test_a_gradebook_from_a_newer_grader_is_refused_and_left_alone(tmp_path):
    import pytest

    from grader.errors import GradebookError

    path = tmp_path / "g.sqlite"
    with Gradebook(path) as book:
        book.record(result("alice", 2.0))
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 7")
    db.commit()
    db.close()
    with pytest.raises(GradebookError, match="newer grader .*schema 7.*reads up to 1"):
        Gradebook(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 7
    assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1
