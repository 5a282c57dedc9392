"""Moodle's feedback files zip: each student's report in the folder Moodle files it under."""

from __future__ import annotations

import zipfile
from pathlib import Path

from grader.report.lms_feedback import canvas_feedback_zip, moodle_feedback_zip


def moodle_student(folder: str) -> str | None:
    """The participant id Moodle's importer reads from a zip member's path, as it reads it.

    mod/assign/feedback/file/importziplib.php: each path part split at "_" into at most
    five; the first part with four or more pieces, a number second and the feedback
    file plugin third and fourth, names the participant.
    """
    for part in folder.split("/"):
        info = part.split("_", 4)
        if len(info) >= 4 and info[1].isdigit() and info[2:4] == ["assignfeedback", "file"]:
            return info[1]
    return None


def result(student: str, file: str) -> dict:
    return {"student": student, "file": file, "score": 1.0}


def draw(result: dict, page: Path) -> Path:
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(f"<p>{result['student']}</p>", encoding="utf-8")
    return page


def test_each_moodle_student_gets_their_report_in_their_folder(tmp_path):
    results = [result("Jane_Doe_4711", "/in/Jane Doe_4711_assignsubmission_file_/mlp.ipynb"),
               result("Mary_Ann_12", "/in/Mary_Ann_12_assignsubmission_file_mlp.ipynb"),
               result("Jane_Doe_4711-2", "/in/Jane Doe_4711_assignsubmission_file_/b.ipynb"),
               result("doejane", "/in/doejane_5_6_mlp.ipynb"), result("roe", "/in/roe.ipynb")]
    packed = moodle_feedback_zip(results, tmp_path, "dat405_a7", draw, None)
    assert packed.students == 3 and packed.left_out == ("doejane", "roe")
    with zipfile.ZipFile(packed.zip_path) as zf:
        names = zf.namelist()
        assert names == ["Mary Ann_12_assignfeedback_file/dat405_a7-feedback.html",
                         "Jane Doe_4711_assignfeedback_file/dat405_a7-feedback.html",
                         "Jane Doe_4711_assignfeedback_file/dat405_a7-feedback-2.html"]
        assert [moodle_student(n) for n in names] == ["12", "4711", "4711"]
        assert zf.read(names[0]) == b"<p>Mary_Ann_12</p>"
        assert zf.read(names[2]) == b"<p>Jane_Doe_4711-2</p>"


def test_the_printed_pdfs_are_packed_when_asked_for(tmp_path):
    printed: list[Path] = []

    def print_pdfs(pages: list[Path]) -> None:
        for page in pages:
            page.with_suffix(".pdf").write_bytes(b"%PDF-1.7 " + page.read_bytes())
            printed.append(page)

    results = [result("Participant_9", "/in/Participant_9_assignsubmission_file_/a.ipynb")]
    packed = moodle_feedback_zip(results, tmp_path, "mlp", draw, print_pdfs)
    assert printed == [tmp_path / "moodle_feedback" / "Participant_9" / "report.html"]
    with zipfile.ZipFile(packed.zip_path) as zf:
        assert zf.namelist() == ["Participant_9_assignfeedback_file/mlp-feedback.pdf"]
        assert zf.read(zf.namelist()[0]).startswith(b"%PDF")


def test_no_moodle_student_writes_no_zip(tmp_path):
    packed = moodle_feedback_zip([result("roe", "/in/roe.ipynb")], tmp_path, "mlp", draw, None)
    assert packed.zip_path is None and packed.left_out == ("roe",)
    assert not (tmp_path / "moodle_feedback.zip").exists()


def test_the_notebook_as_graded_goes_beside_the_report_and_nothing_else_is_linked(tmp_path):
    executed = tmp_path / "out" / "Jane_Doe_4711" / "executed.html"
    executed.parent.mkdir(parents=True)
    executed.write_text("<p>cell 3 raised</p>", encoding="utf-8")
    r = result("Jane_Doe_4711", "/in/Jane Doe_4711_assignsubmission_file_/mlp.ipynb")
    r["execution"] = {"executed_path": str(executed.with_suffix(".ipynb")),
                      "executed_html": str(executed), "failures": []}
    second = result("Jane_Doe_4711-2", "/in/Jane Doe_4711_assignsubmission_file_/b.ipynb")
    second["execution"] = {"executed_path": "/gone.ipynb", "executed_html": "/gone.html"}
    drawn: list[dict] = []

    def record(shown: dict, page: Path) -> Path:
        drawn.append(shown)
        return draw(shown, page)

    packed = moodle_feedback_zip([r, second], tmp_path / "exports", "mlp", record, None)
    folder = "Jane Doe_4711_assignfeedback_file"
    with zipfile.ZipFile(packed.zip_path) as zf:
        assert zf.namelist() == [f"{folder}/mlp-feedback.html", f"{folder}/mlp-as-graded.html",
                                 f"{folder}/mlp-feedback-2.html"]
        assert zf.read(f"{folder}/mlp-as-graded.html") == b"<p>cell 3 raised</p>"
    stage = tmp_path / "exports" / "moodle_feedback"
    assert drawn[0]["execution"] == {"executed_path": None, "failures": [], "executed_html": str(
        stage / "Jane_Doe_4711" / "mlp-as-graded.html")}
    assert drawn[1]["execution"]["executed_html"] is None  # nothing there to hand back
    assert r["execution"]["executed_path"].endswith("executed.ipynb")  # the class's unchanged


def test_each_canvas_student_gets_their_notebook_back_under_its_download_name(tmp_path):
    results = [result("doejane", "/in/doejane_LATE_4711_99_mlp.ipynb"),
               result("roe", "/in/roe_12_34_mlp.ipynb"), result("smith", "/in/smith.ipynb")]
    packed = canvas_feedback_zip(results, tmp_path, lambda r: f"notebook of {r['student']}")
    assert packed.students == 2 and packed.left_out == ("smith",)
    with zipfile.ZipFile(packed.zip_path) as zf:
        assert zf.namelist() == ["doejane_LATE_4711_99_mlp.ipynb", "roe_12_34_mlp.ipynb"]
        assert zf.read("roe_12_34_mlp.ipynb") == b"notebook of roe"
    for name in zf.namelist():  # as Canvas reads them: the first two numbers between "_"
        assert [p for p in name.split("_") if p.isdigit()][:2] in (["4711", "99"], ["12", "34"])
