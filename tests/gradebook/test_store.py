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


def _downgrade_to_version_1(path):
    """The gradebook as the release of schema 1 wrote it: overrides without marks' columns."""
    db = sqlite3.connect(path)
    db.executescript("""
        DROP TABLE rubric_items;
        CREATE TABLE overrides_v1 (id INTEGER PRIMARY KEY AUTOINCREMENT, assignment TEXT NOT
            NULL, student TEXT NOT NULL, question TEXT NOT NULL, points REAL NOT NULL, comment
            TEXT NOT NULL, source TEXT NOT NULL, line INTEGER NOT NULL, recorded_at REAL NOT
            NULL);
        INSERT INTO overrides_v1 SELECT id, assignment, student, question, points, comment,
            source, line, recorded_at FROM overrides;
        DROP TABLE overrides;
        ALTER TABLE overrides_v1 RENAME TO overrides;
        PRAGMA user_version = 1;
    """)
    db.commit()
    db.close()


def test_a_gradebook_of_the_release_before_versions_is_migrated_and_keeps_everything(tmp_path):
    from grader.gradebook.overrides import Override
    from grader.gradebook.store import SCHEMA_VERSION

    path = tmp_path / "g.sqlite"
    with Gradebook(path) as book:
        book.record(result("alice", 2.0))
        book.record(result("bob", 1.0))
        book.record_overrides("demo", [Override("bob", "q1", 0.5, "half", 3)], "marks.csv")
    _downgrade_to_version_1(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 0")  # as grader 0.2 left every gradebook
    db.commit()
    db.close()
    with Gradebook(path) as book:
        assert book.schema_version() == SCHEMA_VERSION == 2
        assert [(r["student"], r["score"]) for r in book.latest("demo")] == [("alice", 2.0),
                                                                               ("bob", 1.0)]
        assert book.assignments() == ["demo"]
        (kept,) = book.overrides("demo")
        assert (kept.student, kept.points, kept.comment, kept.marker, kept.items) == (
            "bob", 0.5, "half", "", ())
        assert book.rubric_items("demo") == {}


def test_a_gradebook_of_schema_1_takes_marks_after_its_migration(tmp_path):
    from grader.gradebook.overrides import Override

    path = tmp_path / "g.sqlite"
    with Gradebook(path) as book:
        book.record(result("alice", 2.0))
    _downgrade_to_version_1(path)
    with Gradebook(path) as book:
        item = book.record_rubric_item("demo", "q1", None, 0.5, "names the layer", "ta1")
        book.record_overrides("demo", [Override("alice", "q1", 0.5, "", 0, "ta1", (item.id,),
                                                True, "abc")], "marking page")
        (mark,) = book.overrides("demo")
        assert (mark.marker, mark.items, mark.by_items, mark.answer_sha) == (
            "ta1", ("m1",), True, "abc")
        assert book.rubric_items("demo")["q1"][0].text == "names the layer"


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
    with pytest.raises(GradebookError, match="newer grader .*schema 7.*reads up to 2"):
        Gradebook(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 7
    assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1
