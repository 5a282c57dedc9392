"""The SQLite gradebook: one row per graded submission, one per check, one per manual grade.

Every grading run of a submission is kept (the newest is the grade); each is
written in a single transaction, so a crash never leaves half a result.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from grader.assignment.spec import RubricItem
from grader.errors import GradebookError
from grader.gradebook.overrides import Override
from grader.gradebook.result import Result
from grader.students import roster_order

GRADEBOOK = "gradebook.sqlite"  # an output folder's gradebook, by this name
# The gradebook's schema version, kept in SQLite's ``user_version``. Version 1 is the
# schema of grader 0.2, which wrote no version (0 on a gradebook that has tables).
SCHEMA_VERSION = 2
# What takes a gradebook of version N to N + 1, run in one transaction with the new
# version. 0 → 1 changes no table: it only writes the version down. 1 → 2: marks made
# on the marking page (`grader mark`) say who marked, with which rubric items, and the
# answer they marked; rubric items added while marking get a table.
RUBRIC_TABLE = """
CREATE TABLE IF NOT EXISTS rubric_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    question TEXT NOT NULL,
    item TEXT NOT NULL,
    points REAL NOT NULL,
    text TEXT NOT NULL,
    marker TEXT NOT NULL,
    recorded_at REAL NOT NULL
);
"""
MIGRATIONS: dict[int, str] = {
    0: "",
    1: "ALTER TABLE overrides ADD COLUMN marker TEXT NOT NULL DEFAULT '';"
       "ALTER TABLE overrides ADD COLUMN items_json TEXT NOT NULL DEFAULT '[]';"
       "ALTER TABLE overrides ADD COLUMN by_items INTEGER NOT NULL DEFAULT 0;"
       "ALTER TABLE overrides ADD COLUMN answer_sha TEXT NOT NULL DEFAULT '';" + RUBRIC_TABLE,
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    profile TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    seed INTEGER,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    error TEXT,
    traceback TEXT,
    started_at REAL,
    finished_at REAL NOT NULL,
    execute_seconds REAL,
    evaluate_seconds REAL,
    total_seconds REAL,
    result_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_by_student ON submissions (assignment, student, id);
CREATE TABLE IF NOT EXISTS checks (
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    check_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    message TEXT NOT NULL,
    details_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS checks_by_submission ON checks (submission_id);
CREATE TABLE IF NOT EXISTS overrides (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    question TEXT NOT NULL,
    points REAL NOT NULL,
    comment TEXT NOT NULL,
    source TEXT NOT NULL,
    line INTEGER NOT NULL,
    recorded_at REAL NOT NULL,
    marker TEXT NOT NULL DEFAULT '',
    items_json TEXT NOT NULL DEFAULT '[]',
    by_items INTEGER NOT NULL DEFAULT 0,
    answer_sha TEXT NOT NULL DEFAULT ''
);
""" + RUBRIC_TABLE


def grader_failed(result: Mapping[str, Any]) -> bool:
    """A result in error through the grader's failure, not the notebook's: not to reuse.

    A batch grades such a notebook again even when it is unchanged. Results stored
    before the grader told the two apart (no ``error_kind``) count as the grader's.
    """
    return result.get("status") == "error" and result.get("error_kind") != "notebook"


class Gradebook:
    """Results of one output folder, in ``gradebook.sqlite``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise GradebookError(f"cannot open the gradebook ({exc})", path=self.path) from None

    def _migrate(self) -> None:
        """Bring an older gradebook to :data:`SCHEMA_VERSION`; refuse a newer one.

        A new (empty) file gets the current version. Each step runs in one transaction
        with its version number, so a failed step leaves the gradebook as it was.
        """
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        tables = self._db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                                  ).fetchone()[0]
        if version > SCHEMA_VERSION:
            self._db.close()
            raise GradebookError(
                f"written by a newer grader (gradebook schema {version}; this grader reads up "
                f"to {SCHEMA_VERSION}): upgrade grader to read it", path=self.path)
        if not tables:
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        while version < SCHEMA_VERSION:
            with self._db:
                if MIGRATIONS[version]:
                    self._db.executescript(MIGRATIONS[version])
                version += 1
                self._db.execute(f"PRAGMA user_version = {version}")

    def schema_version(self) -> int:
        """The schema version this gradebook is at (after any migration on opening)."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def assignments(self) -> list[str]:
        """The assignments this gradebook holds results of."""
        return [row[0] for row in self._db.execute(
            "SELECT DISTINCT assignment FROM submissions ORDER BY assignment")]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._db:
                yield self._db
        except sqlite3.DatabaseError as exc:
            raise GradebookError(f"gradebook write failed ({exc})", path=self.path) from None

    def record(self, result: Result) -> int:
        """Store one grading result and its checks atomically; return its row id."""
        t = result.get("timings", {})
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO submissions (assignment, student, file, sha256, profile, fingerprint,"
                " seed, status, score, max_score, error, traceback, started_at, finished_at,"
                " execute_seconds, evaluate_seconds, total_seconds, result_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (result["assignment"], result["student"], result["file"], result["sha256"],
                 result["profile"], result["fingerprint"], result.get("seed"), result["status"],
                 result["score"], result["max_score"], result.get("error"),
                 result.get("traceback"), result.get("started_at"), time.time(),
                 t.get("execute"), t.get("evaluate"), t.get("total"), json.dumps(result)),
            )
            sub_id = cur.lastrowid
            if sub_id is None:  # sqlite3 sets it after every INSERT
                raise GradebookError("gradebook write failed (no row id)", path=self.path)
            db.executemany(
                "INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(sub_id, q["id"], c["id"], c["outcome"], c["score"], c["max_score"],
                  c["message"], json.dumps(c["details"]))
                 for q in result.get("questions", []) for c in q["checks"]],
            )
        return sub_id

    def cached(self, assignment: str, student: str, sha256: str,
               fingerprint: str) -> Result | None:
        """The newest result for exactly this notebook under exactly this spec and profile."""
        result = self.newest(assignment, student)
        if result is not None and (result["sha256"], result["fingerprint"]) == (sha256,
                                                                                fingerprint):
            return result
        return None

    def newest(self, assignment: str, student: str) -> Result | None:
        """The student's newest result, whatever notebook and spec it was graded from."""
        row = self._db.execute(
            "SELECT result_json FROM submissions WHERE assignment = ? AND student = ?"
            " ORDER BY id DESC LIMIT 1", (assignment, student),
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def latest(self, assignment: str) -> list[dict[str, Any]]:
        """The newest result of every student of an assignment, in class-list order."""
        rows = self._db.execute(
            "SELECT student, result_json FROM submissions s WHERE assignment = ? AND id = "
            "(SELECT MAX(id) FROM submissions WHERE assignment = s.assignment AND "
            "student = s.student)", (assignment,),
        ).fetchall()
        return [json.loads(r[1]) for r in sorted(rows, key=lambda r: roster_order(r[0]))]

    def record_overrides(self, assignment: str, overrides: Sequence[Override],
                         source: Path | str) -> None:
        """Store manual grades, all or none; a newer grade for a question replaces older ones.

        Every grade is kept (who, when, from where): the newest counts.
        """
        now = time.time()
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO overrides (assignment, student, question, points, comment, source,"
                " line, recorded_at, marker, items_json, by_items, answer_sha)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(assignment, o.student, o.question, o.points, o.comment, str(source), o.line,
                  now, o.marker, json.dumps(list(o.items)), int(o.by_items), o.answer_sha)
                 for o in overrides],
            )

    def overrides(self, assignment: str) -> list[Override]:
        """The newest manual grade of each (student, question)."""
        rows = self._db.execute(
            "SELECT student, question, points, comment, line, marker, items_json, by_items,"
            " answer_sha, recorded_at FROM overrides o WHERE assignment = ? AND id = (SELECT"
            " MAX(id) FROM overrides WHERE assignment = o.assignment AND student = o.student"
            " AND question = o.question) ORDER BY student, question", (assignment,),
        ).fetchall()
        return [Override(s, q, float(p), c, int(n), m, tuple(json.loads(i)), bool(b), a,
                         float(t))
                for s, q, p, c, n, m, i, b, a, t in rows]

    def rubric_items(self, assignment: str) -> dict[str, list[RubricItem]]:
        """Rubric items added or changed while marking, per question (the newest of each)."""
        rows = self._db.execute(
            "SELECT question, item, points, text FROM rubric_items r WHERE assignment = ? AND"
            " id = (SELECT MAX(id) FROM rubric_items WHERE assignment = r.assignment AND"
            " question = r.question AND item = r.item) ORDER BY id", (assignment,),
        ).fetchall()
        out: dict[str, list[RubricItem]] = {}
        for question, item, points, text in rows:
            out.setdefault(question, []).append(RubricItem(item, float(points), text))
        return out

    def record_rubric_item(self, assignment: str, question: str, item: str | None,
                           points: float, text: str, marker: str = "") -> RubricItem:
        """Add a rubric item to a question, or change one: the newest row of an item counts.

        ``item`` None adds one (``m1``, ``m2`` …); else it changes the spec's or an added one.
        """
        with self._transaction() as db:
            if item is None:
                n = db.execute("SELECT COUNT(DISTINCT item) FROM rubric_items WHERE assignment"
                               " = ? AND question = ? AND item LIKE 'm%'",
                               (assignment, question)).fetchone()[0]
                item = f"m{int(n) + 1}"
            db.execute("INSERT INTO rubric_items (assignment, question, item, points, text,"
                       " marker, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (assignment, question, item, points, text, marker, time.time()))
        return RubricItem(item, points, text)

    def runs(self, assignment: str) -> dict[str, int]:
        """How many times each student of an assignment was graded (every run is kept)."""
        rows = self._db.execute(
            "SELECT student, COUNT(*) FROM submissions WHERE assignment = ? GROUP BY student",
            (assignment,),
        ).fetchall()
        return {student: int(n) for student, n in rows}

    def count(self, table: str = "submissions") -> int:
        """Rows in a table (for tests and summaries)."""
        if table not in ("submissions", "checks", "overrides", "rubric_items"):
            raise GradebookError(f"no table {table!r}", path=self.path)
        return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
