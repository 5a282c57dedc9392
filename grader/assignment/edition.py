"""Student editions of packs: everything self-check needs, none of the hidden answers.

An instructor builds one with ``grader pack build ID --student``: the spec, the
starter and the files the notebooks read, and the expected results with every
hidden check's expected values removed. The reference implementation (the solution)
is never in it. Students install the zip with ``grader pack install``; it lands in
their user pack folder, where ``grader check`` finds it.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from grader.assignment.pack import Pack, user_packs_dir
from grader.assignment.spec_toml import load_spec
from grader.checks.base import PACK_CHECKS
from grader.errors import SpecError

EDITION_KEY = "edition"
STUDENT = "student"


def hidden_checks(pack: Pack) -> list[str]:
    """Ids of the checks the spec marks ``public = false``."""
    return [f"{q.id}.{c.name}" for q in pack.spec.questions for c in q.checks if not c.public]


def student_expected(expected: dict[str, Any], hidden: list[str]) -> dict[str, Any]:
    """Expected results with the hidden checks' values replaced by a marker."""
    out = dict(expected)
    out["checks"] = {cid: ({"hidden": True} if cid in hidden else value)
                     for cid, value in expected.get("checks", {}).items()}
    out[EDITION_KEY] = STUDENT
    return out


def _pack_files(pack: Pack) -> list[Path]:
    """The files a student's notebook and self-check need, besides the expected results."""
    files = [pack.spec.path]
    files += [f for f in pack.starter_files if f.is_file()]
    for pattern in pack.spec.kernel_files:
        files += sorted(pack.root.glob(pattern))
    if pack.spec.example_images:
        files.append(pack.root / pack.spec.example_images)
    if (pack.root / PACK_CHECKS).is_file():  # the pack's own checks: self-check runs them
        files.append(pack.root / PACK_CHECKS)
    return [f for f in dict.fromkeys(files) if f.resolve() != pack.reference_file.resolve()]


def build_student_edition(pack: Pack, dest: Path) -> Path:
    """Write ``dest/<id>-student.zip``; return its path.

    The expected results of every built profile go in, hidden checks' values out.
    """
    dest = Path(dest)
    stage = dest / f".{pack.id}-student"
    if stage.exists():
        shutil.rmtree(stage)
    root = stage / pack.id
    (root / "expected").mkdir(parents=True)
    for f in _pack_files(pack):
        target = root / f.relative_to(pack.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)
    hidden = hidden_checks(pack)
    for profile in pack.spec.profiles:
        path = pack.expected_path(profile)
        if path.exists():
            doc = student_expected(json.loads(path.read_text(encoding="utf-8")), hidden)
            (root / "expected" / path.name).write_text(json.dumps(doc, indent=1),
                                                       encoding="utf-8")
    archive = shutil.make_archive(str(dest / f"{pack.id}-student"), "zip", stage)
    shutil.rmtree(stage)
    return Path(archive)


def _safe_members(archive: zipfile.ZipFile, path: Path) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    tops = {PurePosixPath(m.filename).parts[0] for m in members if m.filename.strip("/")}
    for m in members:
        name = PurePosixPath(m.filename)
        if name.is_absolute() or ".." in name.parts:
            raise SpecError(f"refusing a pack member outside the pack: {m.filename}", path=path,
                            key="")
    if len(tops) != 1:
        raise SpecError("not a pack edition: it should hold exactly one pack folder",
                        path=path, key="")
    return members


def install_edition(archive_path: Path, root: Path | None = None) -> Path:
    """Unpack a pack edition into the user pack folder (replacing an older one); return it.

    Raises:
        SpecError: The file is not a pack edition or its spec does not load.
    """
    root = Path(root or user_packs_dir())
    archive_path = Path(archive_path)
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = _safe_members(archive, archive_path)
            pack_id = PurePosixPath(members[0].filename).parts[0]
            staging = root / f".{pack_id}.installing"
            if staging.exists():
                shutil.rmtree(staging)
            archive.extractall(staging, members)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SpecError(f"not a pack edition ({exc})", path=archive_path, key="") from None
    load_spec(staging / pack_id / "spec.toml")  # refuse what would not load
    target = root / pack_id
    if target.exists():
        shutil.rmtree(target)
    (staging / pack_id).rename(target)
    shutil.rmtree(staging)
    return target


def is_student_edition(expected: dict[str, Any]) -> bool:
    """Whether expected results come from a student edition (hidden checks not gradable)."""
    return expected.get(EDITION_KEY) == STUDENT
