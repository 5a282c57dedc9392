"""Student editions: built without the solution or hidden answers, installed, and graded."""

from __future__ import annotations

import json
import zipfile

import pytest

from grader.assignment.edition import (
    build_student_edition,
    hidden_checks,
    install_edition,
    is_student_edition,
)
from grader.assignment.pack import find_pack
from grader.checks import Outcome
from grader.errors import SpecError
from grader.grading.assess import run_check


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    pack = find_pack("dlcourse_mlp")
    archive = build_student_edition(pack, tmp_path_factory.mktemp("dist"))
    return pack, archive


def test_edition_has_what_self_check_needs_and_not_the_solution(edition):
    pack, archive = edition
    assert archive.name == "dlcourse_mlp-student.zip"
    names = set(zipfile.ZipFile(archive).namelist())
    assert {"dlcourse_mlp/spec.toml", "dlcourse_mlp/starter.ipynb",
            "dlcourse_mlp/expected/fast.json", "dlcourse_mlp/expected/full.json"} <= names
    assert not any(n.endswith("reference.py") for n in names)


def test_hidden_expected_values_are_left_out(edition):
    pack, archive = edition
    hidden = hidden_checks(pack)
    assert hidden == ["q3_training.overfitting_gap"]
    full = pack.expected("fast")
    student = json.loads(zipfile.ZipFile(archive).read("dlcourse_mlp/expected/fast.json"))
    assert student["checks"][hidden[0]] == {"hidden": True} != full["checks"][hidden[0]]
    public = [c for c in full["checks"] if c not in hidden]
    assert all(student["checks"][c] == full["checks"][c] for c in public)
    assert is_student_edition(student) and not is_student_edition(full)


def test_installed_edition_is_found_and_hides_its_hidden_checks(edition, tmp_path):
    _, archive = edition
    target = install_edition(archive, tmp_path)
    pack = find_pack("dlcourse_mlp", roots=[tmp_path])
    assert pack.root == target and not pack.reference_file.exists()
    expected = pack.expected("fast")
    q = next(q for q in pack.spec.questions if q.id == "q3_training")
    gap = next(c for c in q.checks if c.name == "overfitting_gap")
    result = run_check(gap, q, {"history": None}, expected)
    assert result.outcome is Outcome.SKIPPED and result.details["hidden"]
    assert "hidden check worth 0.5 point" in result.message
    install_edition(archive, tmp_path)  # installing again replaces it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dlcourse_mlp"]


def test_bad_editions_are_refused_with_the_file_named(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("pack/spec.toml", "id = 'x'")
        z.writestr("../outside.txt", "boo")
    with pytest.raises(SpecError, match="outside the pack"):
        install_edition(evil, tmp_path / "packs")
    junk = tmp_path / "junk.zip"
    junk.write_text("not a zip")
    with pytest.raises(SpecError, match="junk.zip: not a pack edition"):
        install_edition(junk, tmp_path / "packs")
    assert not (tmp_path / "outside.txt").exists()
