"""One submission's steps: its work dir, its injected cells, its error result."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from grader.assignment.pack import find_pack
from grader.errors import GraderError, NotebookError
from grader.grading.submission import error_result, prepare_work_dir, recorded, setup_cells
from grader.notebook import is_injected


def _setup(pack):
    profile = pack.spec.profile("fast")
    return SimpleNamespace(pack=pack, profile=profile, fingerprint="f1", course_files=())


def test_the_work_dir_holds_only_the_notebook_and_the_packs_kernel_files(tmp_path):
    pack = find_pack("kit_blatt10")
    nb = tmp_path / "student.ipynb"
    nb.write_text("{}")
    work = tmp_path / "out" / "work"
    (work / "leftover").mkdir(parents=True)
    prepare_work_dir(nb, _setup(pack), work)
    names = {p.name for p in work.iterdir()}
    assert "leftover" not in names and "submission.ipynb" in names and "figures" in names
    pngs = {p.name for p in pack.root.glob("example_input_*.png")}
    assert pngs and pngs <= names
    assert not any("label" in n for n in names), "labels never reach the kernel"
    made = tmp_path / "made" / "mnist_4000.pkl.gz"  # a course's data file, made from MNIST
    made.parent.mkdir()
    made.write_bytes(b"made")
    with_data = SimpleNamespace(**{**vars(_setup(pack)), "course_files": (made,)})
    prepare_work_dir(nb, with_data, work)
    assert (work / "mnist_4000.pkl.gz").read_bytes() == b"made"


def test_injected_cells_follow_the_spec(tmp_path):
    with_compat = setup_cells(find_pack("zhaw_cnn"), 1, Path("/m.npz"), tmp_path)
    plain = setup_cells(find_pack("dlcourse_mlp"), 1, Path("/m.npz"), tmp_path)
    assert all(is_injected(c) for c in with_compat + plain)
    assert find_pack("zhaw_cnn").spec.compat and len(with_compat) == 3  # setup, Keras 2, Keras 1
    assert len(plain) == 1 + 2 * find_pack("dlcourse_mlp").spec.compat
    fast = find_pack("dlcourse_mlp").spec.profile("fast")
    budgeted = setup_cells(find_pack("dlcourse_mlp"), 1, Path("/m.npz"), tmp_path,
                           fast.max_epochs, fast.train_limit, fast.loop_epochs)
    assert [c.metadata["tags"][1] for c in budgeted][:2] == ["grader-setup", "grader-budget"]


def test_whose_failure_it_was_is_recorded_with_the_error(tmp_path):
    pack = find_pack("dlcourse_mlp")
    nb = tmp_path / "s.ipynb"
    nb.write_text("not a notebook")
    mine = error_result(nb, "s", _setup(pack), NotebookError("not JSON", path=nb), None)
    assert mine["status"] == "error" and mine["error_kind"] == "notebook"
    assert mine["score"] == 0.0 and mine["max_score"] == pack.spec.max_score
    theirs = error_result(nb, "s", _setup(pack), RuntimeError("worker died"), "tb")
    assert theirs["error_kind"] == "grader" and theirs["error"] == "RuntimeError: worker died"
    assert error_result(tmp_path / "gone.ipynb", "s", _setup(pack), OSError("x"), None)[
        "sha256"] == ""


def test_recorded_turns_any_failure_into_the_result_and_keeps_the_traceback(tmp_path):
    pack = find_pack("dlcourse_mlp")
    nb = tmp_path / "s.ipynb"
    nb.write_text("{}")

    def surprise():
        raise KeyError("boom")

    def known():
        raise GraderError("explained")

    assert "KeyError" in recorded(nb, "s", _setup(pack), surprise)["traceback"]
    assert recorded(nb, "s", _setup(pack), known)["traceback"] is None
    assert recorded(nb, "s", _setup(pack), lambda: 42) == 42
