"""The class list: who is in the class, with the ids the LMS knows them by.

Read from what instructors download: Canvas' gradebook export, Moodle's grading
worksheet or participants list, Blackboard's Grade Center download, or a plain CSV
(``student,name,email,lms_id``), in any of the encodings and separators spreadsheets
write (UTF-8 with or without a BOM, UTF-16, commas, semicolons, tabs). Submissions are
matched to students by the LMS ids in their file names, then by id, login or e-mail,
then by name; a submission two students could be is listed as ambiguous, never guessed.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import RosterError
from grader.students import BLACKBOARD, CANVAS, moodle_participant, roster_order

PARTICIPANT = re.compile(r"(\d+)\s*$")
SKIPPED_ROWS = ("points possible", "test student", "student, test")


@dataclass(frozen=True)
class Member:
    """One student of the class list.

    Attributes:
        name: As the LMS shows it (``Doe, Jane`` or ``Jane Doe``).
        login: The LMS login or username (Canvas' SIS Login ID, Blackboard's Username).
        email: The e-mail address, if the list has one.
        lms_id: Canvas' user ID; Moodle's participant number (worksheet); Blackboard's
            username; the plain list's ``lms_id``.
        student: The plain list's ``student`` (the grader's id), if given.
        line: The line of the file it was read from.
    """

    name: str
    login: str = ""
    email: str = ""
    lms_id: str = ""
    student: str = ""
    line: int = 0

    @property
    def key(self) -> str:
        """How the member is named in messages and added rows."""
        return self.student or self.login or self.email or self.name or self.lms_id


@dataclass(frozen=True)
class Roster:
    """A class list, and which LMS wrote it (``canvas``, ``moodle``, ``blackboard``, ``plain``)."""

    members: tuple[Member, ...]
    kind: str
    path: Path


# column names per kind, as the LMS writes them (lower case); a header is recognised by
# the columns it needs
KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "plain": {"student": ("student",), "name": ("name",), "email": ("email",),
              "lms_id": ("lms_id",)},
    "canvas": {"name": ("student",), "lms_id": ("id",), "login": ("sis login id",),
               "student": ("sis user id",)},
    "moodle": {"lms_id": ("identifier", "id", "identifiant"),
               "name": ("full name", "vollständiger name", "nom complet"),
               "email": ("email address", "e-mail-adresse", "adresse de courriel")},
    "moodle participants": {"first": ("first name", "vorname", "prénom"),
                            "last": ("last name", "surname", "nachname", "nom"),
                            "email": ("email address", "e-mail-adresse", "adresse de courriel"),
                            "login": ("username", "anmeldename", "nom d'utilisateur")},
    "blackboard": {"last": ("last name",), "first": ("first name",), "login": ("username",),
                   "student": ("student id",)},
}
NEEDED = {"plain": ("student",), "canvas": ("name", "lms_id"), "moodle": ("lms_id", "name"),
          "moodle participants": ("first", "last", "email"),
          "blackboard": ("login", "last", "first")}


def _text(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # Excel's "CSV" on Western Windows


def _columns(header: Sequence[str]) -> tuple[str, dict[str, int]] | None:
    """Which kind of list a header is, and where its fields are; None when none fits."""
    names = [h.strip().lower() for h in header]
    for kind in ("canvas", "moodle", "blackboard", "moodle participants", "plain"):
        where = {f: next((names.index(c) for c in cols if c in names), -1)
                 for f, cols in KINDS[kind].items()}
        if all(where[f] >= 0 for f in NEEDED[kind]):
            return kind, {f: i for f, i in where.items() if i >= 0}
    return None


def read_roster(path: Path | str) -> Roster:
    """Read a class list; raise :class:`RosterError` naming the file and line."""
    path = Path(path)
    try:
        text = _text(path)
    except OSError as exc:
        raise RosterError(f"cannot read the class list ({exc.strerror})", path=path,
                          line=0) from None
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise RosterError("the class list is empty", path=path, line=0)
    found = _columns(rows[0])
    if found is None:
        raise RosterError(
            "line 1: not a class list this grader reads: expected Canvas' gradebook export "
            "(Student, ID, SIS Login ID), Moodle's grading worksheet (Identifier, Full name) or "
            "participants (First name, Last name, Email address), Blackboard's Grade Center "
            "(Last Name, First Name, Username) or a plain CSV (student, name, email, lms_id); "
            f"its columns: {', '.join(rows[0])[:200]}", path=path, line=1)
    kind, where = found
    members = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {f: row[i].strip() if i < len(row) else "" for f, i in where.items()}
        name = cell.get("name") or " ".join(p for p in (cell.get("first"), cell.get("last")) if p)
        if name.strip().lower().startswith(SKIPPED_ROWS):
            continue
        lms_id = cell.get("lms_id", "")
        if kind == "moodle":
            number = PARTICIPANT.search(lms_id)
            lms_id = number.group(1) if number else ""
        if kind == "blackboard":
            lms_id = cell.get("login", "")
        member = Member(name, cell.get("login", ""), cell.get("email", ""), lms_id,
                        cell.get("student", "") if kind == "plain" else "", line)
        if not member.key:
            raise RosterError(f"line {line}: a student with no name or id", path=path, line=line)
        for what in ("lms_id", "login", "email", "student"):
            value = getattr(member, what).casefold()
            if value and (what, value) in seen:
                raise RosterError(f"line {line}: {what} {getattr(member, what)!r} is also on "
                                  f"line {seen[(what, value)]}: one row per student",
                                  path=path, line=line)
            if value:
                seen[(what, value)] = line
        members.append(member)
    if not members:
        raise RosterError("the class list names no student", path=path, line=0)
    return Roster(tuple(members), kind, path)


def _compact(text: str) -> str:
    """A name as compared: accents, case, order of parts and punctuation ignored."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return "".join(sorted(re.findall(r"[a-z0-9]+", plain)))


def _compact_joined(text: str) -> set[str]:
    """The ways a name may be run together in a file name (``doejane``, ``janedoe``)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    parts = re.findall(r"[a-z0-9]+", plain)
    return {"".join(parts), "".join(reversed(parts))} if parts else set()


@dataclass
class Matched:
    """Submissions matched to the class list."""

    kind: str = "plain"  # which LMS wrote the list: what its members' lms_id is
    members: dict[str, Member] = field(default_factory=dict)  # student id → member
    ambiguous: dict[str, list[Member]] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)  # students on no list
    missing: list[Member] = field(default_factory=list)  # on the list, no submission


def _file_ids(file: str) -> dict[str, str]:
    stem = unicodedata.normalize("NFC", Path(file).stem)
    ids: dict[str, str] = {}
    canvas = re.match(r"^.+?(?:_LATE)?_(\d+)_\d+_.+$", stem) if CANVAS.match(stem) else None
    if canvas:
        ids["canvas"] = canvas.group(1)
    moodle = moodle_participant(file)
    if moodle:
        ids["moodle"], ids["name"] = moodle[1], moodle[0]
    board = BLACKBOARD.match(stem)
    if board:
        ids["blackboard"] = board.group("student")
    return ids


def match(results: Sequence[Mapping[str, Any]], roster: Roster) -> Matched:
    """Each result's student on the list, by LMS id, then id, login or e-mail, then name."""
    out = Matched(roster.kind)
    taken: set[int] = set()
    for r in sorted(results, key=lambda r: roster_order(r["student"])):
        student = str(r["student"])
        ids = _file_ids(str(r.get("file") or ""))
        lms = ids.get({"canvas": "canvas", "moodle": "moodle",
                       "blackboard": "blackboard"}.get(roster.kind, ""), "")
        tiers = [
            [m for m in roster.members if lms and m.lms_id == lms],
            [m for m in roster.members if student.casefold() in {
                v.casefold() for v in (m.student, m.login, m.email, m.email.split("@")[0]) if v}],
            [m for m in roster.members if m.name and (
                _compact(m.name) == _compact(ids.get("name", student.replace("_", " ")))
                or student.casefold().replace("_", "") in _compact_joined(m.name))],
        ]
        found = next((tier for tier in tiers if tier), [])
        if len(found) == 1:
            out.members[student] = found[0]
            taken.add(id(found[0]))
        elif len(found) > 1:
            out.ambiguous[student] = found
        else:
            out.unmatched.append(student)
    out.missing = [m for m in roster.members if id(m) not in taken]
    return out
