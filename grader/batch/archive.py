"""Submissions as an LMS hands them out: a zip of notebooks, unpacked safely.

Canvas and Moodle give "download all submissions" as one zip (Canvas: every file in
one folder; Moodle: a folder per student). ``grader grade class.zip`` unpacks its
notebooks under the output folder and grades them as it would the unzipped folder.
The zip is untrusted: no member may land outside the folder it is unpacked to, only
notebooks are written, and none is written bigger than a notebook may be.
"""

from __future__ import annotations

import os
import shutil
import time
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from grader.errors import GraderError
from grader.notebook import MAX_FILE_BYTES
from grader.students import never_submitted

MAX_MEMBERS = 20_000  # a class of hundreds, each with a few files; more is not a download
MAX_TOTAL_BYTES = 16 << 30  # what the notebooks may unpack to, all together
CHUNK = 1 << 20
UTF8_FLAG = 0x800  # general purpose bit 11: the member's name is UTF-8


def is_archive(path: Path) -> bool:
    """Whether ``path`` is a zip file to unpack (by its name: notebooks are never zips)."""
    return path.suffix.lower() == ".zip" and path.is_file()


def member_name(member: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it.

    A zip that does not flag its names as UTF-8 is read as cp437, the format's old
    default; macOS' Archive Utility and older Windows tools write UTF-8 names without
    the flag, and ``Müller.ipynb`` would then unpack as ``M├╝ller.ipynb``. A name whose
    bytes are valid UTF-8 is taken as UTF-8 (a real cp437 name with letters beyond
    ASCII almost never is).
    """
    name = member.filename
    if member.flag_bits & UTF8_FLAG or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("utf-8")
    except UnicodeError:
        return name


def _wanted(name: PurePosixPath) -> bool:
    """A notebook, in no folder and of no name that submissions never have."""
    return name.suffix.lower() == ".ipynb" and not any(map(never_submitted, name.parts))


def unpack_submissions(archive: Path, dest: Path) -> tuple[Path, list[str]]:
    """Unpack the notebooks of ``archive`` into ``dest`` (emptied first).

    Each keeps the time the zip gives it, since the late rule reads file times. A
    notebook bigger than :data:`~grader.notebook.MAX_FILE_BYTES` is written only that far
    (and one byte more), so that reading it refuses it by its size, as it would the file.
    A member the zip holds damaged is written as far as it reads, to be refused as that
    student's error; the rest are unpacked all the same.

    Returns:
        ``dest``, and the names of the damaged members with what was wrong.

    Raises:
        GraderError: The file is not a zip, holds too many members or too much, or names
            a member outside the folder it unpacks to (naming the zip and the member).
    """
    damaged: list[str] = []
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > MAX_MEMBERS:
                raise GraderError(f"the zip holds {len(members):,} files; more than "
                                  f"{MAX_MEMBERS:,} is not a class's submissions", path=archive)
            names = [PurePosixPath(member_name(m).replace("\\", "/")) for m in members]
            for m, name in zip(members, names, strict=True):
                if name.is_absolute() or ".." in name.parts:
                    raise GraderError(f"refusing a member outside the zip's folder: "
                                      f"{m.filename!r}", path=archive)
            total = sum(min(m.file_size, MAX_FILE_BYTES + 1) for m, name in
                        zip(members, names, strict=True) if _wanted(name))
            if total > MAX_TOTAL_BYTES:
                raise GraderError(f"the zip's notebooks would unpack to {total / 2**30:.0f} GiB;"
                                  f" more than {MAX_TOTAL_BYTES >> 30} GiB is not a class's "
                                  "submissions", path=archive)
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            for m, name in zip(members, names, strict=True):
                if m.is_dir() or not _wanted(name):
                    continue
                try:
                    _write(zf, m, dest.joinpath(*name.parts))
                except (zipfile.BadZipFile, zlib.error, RuntimeError, EOFError) as exc:
                    damaged.append(f"{m.filename} ({exc})")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise GraderError(f"not a readable zip ({exc})", path=archive) from None
    except OSError as exc:
        raise GraderError(f"cannot unpack the zip ({exc.strerror or exc})",
                          path=archive) from None
    return dest, damaged


def _write(zf: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> None:
    """One member to ``target``, at most one byte past the notebook size limit, with its time.

    What was read stays written when reading fails (a damaged or encrypted member).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    left = MAX_FILE_BYTES + 1
    try:
        with target.open("wb") as out, zf.open(member) as src:
            while left > 0:
                chunk = src.read(min(CHUNK, left))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
    finally:
        stamp = time.mktime((*member.date_time, 0, 0, -1))
        os.utime(target, (stamp, stamp))
