"""Submissions as a zip: only notebooks unpacked, inside their folder, with their times."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from grader import notebook
from grader.batch import archive
from grader.errors import GraderError, NotebookError
from grader.gradebook.store import Gradebook
from tests.conftest import run_cli

MOODLE = "Jane Doe_4711_assignsubmission_file_"
STAMP = (2026, 12, 1, 23, 58, 0)  # in the zip: a minute before a due date


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, STAMP), data)
    return path


def _damaged(path: Path, name: str) -> Path:
    """``path`` with a member ``name`` added, one byte of it changed: its CRC-32 fails."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as zf:
        zf.writestr(name, b'{"cells": [], "metadata": {}}')
        info = zf.getinfo(name)
    raw = bytearray(path.read_bytes())
    raw[info.header_offset + 30 + len(name.encode()) + 3] ^= 0xFF
    path.write_bytes(bytes(raw))
    return path


def test_only_notebooks_are_unpacked_each_with_the_time_the_zip_gives(tmp_path):
    src = _zip(tmp_path / "class.zip", {
        f"{MOODLE}/mlp.ipynb": b"{}", f"{MOODLE}/notes.pdf": b"%PDF",
        "doejane_12_34_mlp.ipynb": b"{}", "__MACOSX/._doejane_12_34_mlp.ipynb": b"\x00\x05",
        ".ipynb_checkpoints/x-checkpoint.ipynb": b"{}", "windows\\made.ipynb": b"{}"})
    dest, damaged = archive.unpack_submissions(src, tmp_path / "out")
    found = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert found == [f"{MOODLE}/mlp.ipynb", "doejane_12_34_mlp.ipynb", "windows/made.ipynb"]
    assert damaged == []
    assert (dest / "doejane_12_34_mlp.ipynb").stat().st_mtime == time.mktime((*STAMP, 0, 0, -1))


@pytest.mark.parametrize("encoding", ["utf-8", "cp437"])
def test_names_without_the_utf8_flag_are_read_as_their_author_wrote_them(
        tmp_path, monkeypatch, encoding):
    """macOS' Archive Utility writes UTF-8 names unflagged; old Windows tools, cp437."""
    monkeypatch.setattr(zipfile.ZipInfo, "_encodeFilenameFlags",
                        lambda self: (self.filename.encode(encoding), self.flag_bits))
    names = ["Müller.ipynb", "Jöns Ängel_12_assignsubmission_file_/mlp.ipynb", "plain.ipynb"]
    if encoding == "utf-8":
        names.append("Mu\u0308ller-decomposed.ipynb")  # as macOS spells ü in a file name
    src = _zip(tmp_path / "class.zip", dict.fromkeys(names, b"{}"))
    with zipfile.ZipFile(src) as zf:
        assert not any(m.flag_bits & archive.UTF8_FLAG for m in zf.infolist())
    dest, _ = archive.unpack_submissions(src, tmp_path / "out")
    found = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert found == sorted(names)


def test_a_zip_unpacked_again_holds_only_what_the_new_zip_holds(tmp_path):
    dest = tmp_path / "out"
    archive.unpack_submissions(_zip(tmp_path / "a.zip", {"old.ipynb": b"{}"}), dest)
    archive.unpack_submissions(_zip(tmp_path / "b.zip", {"new.ipynb": b"{}"}), dest)
    assert [p.name for p in dest.iterdir()] == ["new.ipynb"]


@pytest.mark.parametrize("name", ["../escaped.ipynb", "/etc/escaped.ipynb", "a/../../x.ipynb",
                                  "..\\escaped.ipynb"])
def test_a_member_outside_the_folder_refuses_the_zip_and_writes_nothing(tmp_path, name):
    src = _zip(tmp_path / "evil.zip", {"fine.ipynb": b"{}", name: b"{}"})
    with pytest.raises(GraderError) as info:
        archive.unpack_submissions(src, tmp_path / "box" / "out")
    assert "outside the zip's folder" in str(info.value) and str(src) in str(info.value)
    assert not (tmp_path / "box").exists() and not (tmp_path / "escaped.ipynb").exists()


def test_an_oversized_or_damaged_notebook_becomes_that_student_s_error(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(notebook, "MAX_FILE_BYTES", 1000)
    src = _zip(tmp_path / "class.zip", {"big.ipynb": b" " * 50_000, "ok.ipynb": b"{}"})
    _damaged(src, "broken.ipynb")
    dest, damaged = archive.unpack_submissions(src, tmp_path / "out")
    assert (dest / "big.ipynb").stat().st_size == 1001  # cut just past the limit
    with pytest.raises(NotebookError, match="over 0 MiB; notebooks that large"):
        notebook.read_notebook(dest / "big.ipynb")
    assert len(damaged) == 1 and damaged[0].startswith("broken.ipynb (")
    assert (dest / "ok.ipynb").read_bytes() == b"{}"


def test_a_zip_that_would_unpack_to_too_much_is_refused_before_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 10_000)
    src = _zip(tmp_path / "bomb.zip", {f"s{i}.ipynb": b" " * 4000 for i in range(3)})
    with pytest.raises(GraderError, match="would unpack to"):
        archive.unpack_submissions(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_not_a_zip_is_one_clear_error(tmp_path):
    fake = tmp_path / "class.zip"
    fake.write_text("not a zip")
    with pytest.raises(GraderError, match="not a readable zip") as info:
        archive.unpack_submissions(fake, tmp_path / "out")
    assert str(fake) in str(info.value)


def test_grade_takes_the_zip_an_lms_gives(tmp_path, mnist_path):
    """One damaged notebook in a Moodle folder: no kernel needed to see the wiring."""
    src = _damaged(_zip(tmp_path / "class.zip", {}), f"{MOODLE}/mlp.ipynb")
    proc = run_cli("grade", str(src), "-a", "dlcourse_mlp", "--out", str(tmp_path / "out"),
                   "--no-pdf", env={"GRADER_MNIST": str(mnist_path)})
    # its one notebook is in error: recorded, and the exit says no grade came of the batch
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "no notebook could be graded" in proc.stderr
    assert f"damaged in the zip, graded as far as it reads: {MOODLE}/mlp.ipynb" in " ".join(
        proc.stderr.split())
    with Gradebook(tmp_path / "out" / "gradebook.sqlite") as book:
        (r,) = book.latest("dlcourse_mlp")
    assert r["student"] == "Jane_Doe_4711" and r["status"] == "error"
    assert "the file is empty" in r["error"] and "/.grader/unzipped/class/" in r["file"]
