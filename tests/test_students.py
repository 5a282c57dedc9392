from pathlib import Path

from grader.students import assign_ids, student_id


def test_canvas_download_names():
    assert student_id("doejane_12345_67890_name.ipynb") == "doejane"
    assert student_id("doejane_LATE_12345_67890_my_mlp-1.ipynb") == "doejane"


def test_plain_names_and_unsafe_characters():
    assert student_id("alice.ipynb") == "alice"
    assert student_id("../we ird$name.ipynb") == "we_ird_name"


def test_duplicate_ids_are_made_unique_in_file_order():
    paths = [Path("doejane_1_2_b.ipynb"), Path("doejane_1_3_a.ipynb"), Path("bob.ipynb")]
    assert assign_ids(paths) == [(Path("bob.ipynb"), "bob"), (Path("doejane_1_2_b.ipynb"),
                                 "doejane"), (Path("doejane_1_3_a.ipynb"), "doejane-2")]
