"""Advice for cells that failed only because the grader is not the student's machine."""

from __future__ import annotations

import pytest

from grader.report.cell_advice import (
    COLAB,
    NO_FILE,
    NO_INPUT,
    NO_WIDGETS,
    OFFLINE,
    OUT_OF_MEMORY,
    READ_ONLY,
    TOO_MANY_FILES,
    across_class,
    advice,
    advise_once,
    explaining_failure,
)


@pytest.mark.parametrize(("ename", "evalue", "said"), [
    ("ModuleNotFoundError", "No module named 'google.colab'", COLAB),
    ("OSError", "[Errno 30] Read-only file system: '/content'", READ_ONLY),
    ("PermissionError", "[Errno 13] Permission denied: '/home/student/model.keras'", READ_ONLY),
    ("FileNotFoundError", "[Errno 2] No such file or directory: 'C:\\\\Users\\\\me\\\\x.npz'",
     NO_FILE),
    ("Exception", "URL fetch failure on https://example.org/x.npz: None -- [Errno -3] "
     "Temporary failure in name resolution", OFFLINE),
    ("URLError", "<urlopen error [Errno -3] Temporary failure in name resolution>", OFFLINE),
    ("ConnectionError", "HTTPSConnectionPool(host='x', port=443): Max retries exceeded",
     OFFLINE),
    ("StdinNotImplementedError", "raw_input was called, but this frontend does not support "
     "input requests.", NO_INPUT),
    ("ResourceExhaustedError", "OOM when allocating tensor with shape[60000,784]",
     OUT_OF_MEMORY),
    ("MemoryError", "Unable to allocate 4.00 GiB for an array", OUT_OF_MEMORY),
    ("ImportError", "IProgress not found. Please update jupyter and ipywidgets.", NO_WIDGETS),
])
def test_failures_the_grader_causes_say_what_to_change(ename, evalue, said):
    assert advice(ename, evalue) == said


def test_kernels_the_grader_stopped_for_memory_or_disk_get_the_advice_that_fits(tmp_path):
    from grader.execute.diskcap import DiskWatch
    from grader.execute.engine import killed_for_memory

    watch = DiskWatch(tmp_path, 0, lambda: None)
    (tmp_path / "x").write_bytes(b"x" * 10_000)
    assert watch.check() and watch.exceeded
    assert advice("KernelDied", watch.exceeded) == TOO_MANY_FILES
    assert advice("KernelDied", killed_for_memory(4 << 30)) == OUT_OF_MEMORY
    assert advice("KernelDied", "the kernel died while running this cell") is None


def test_a_missing_module_or_magic_is_named_and_the_students_own_errors_get_no_advice():
    said = advice("ModuleNotFoundError", "No module named 'my_helpers'")
    assert said is not None and "`my_helpers` is not available" in said and "in a cell" in said
    said = advice("UsageError", "Line magic function `%load_ext_colab` not found.")
    assert said is not None and "no `%load_ext_colab` magic" in said
    assert advice("UsageError", "%timeit: not enough arguments") is None
    for ename, evalue in [("NameError", "name 'x' is not defined"),
                          ("ValueError", "Shapes (None, 10) and (None, 1) are incompatible"),
                          ("KernelDied", "the kernel died"), ("SystemExit", "")]:
        assert advice(ename, evalue) is None


def test_the_same_advice_is_given_once_at_the_first_cell_it_fits():
    failures = [{"ename": "FileNotFoundError", "evalue": "a.npz"},
                {"ename": "NameError", "evalue": "x"},
                {"ename": "FileNotFoundError", "evalue": "b.npz"},
                {"ename": "OSError", "evalue": "[Errno 30] Read-only file system: '/content'"}]
    assert advise_once(failures) == [NO_FILE, None, None, READ_ONLY]


def test_across_the_class_each_piece_of_advice_counts_each_student_once():
    colab = {"ename": "ModuleNotFoundError", "evalue": "No module named 'google.colab'"}
    drive = {"ename": "OSError", "evalue": "[Errno 30] Read-only file system: '/content'"}
    results = [{"student": "amy", "execution": {"failures": [colab, drive, colab]}},
               {"student": "bo", "execution": {"failures": [colab]}},
               {"student": "cy", "execution": {"failures": [
                   {"ename": "NameError", "evalue": "name 'x' is not defined"}]}},
               {"student": "di", "execution": None}]
    rows = across_class(results, names=1)
    assert [(r["advice"], r["students"]) for r in rows] == [(COLAB, 2), (READ_ONLY, 1)]
    assert rows[0]["names"] == ["amy"] and rows[0]["more"] == 1


def test_an_import_the_grader_lacks_says_so_and_a_later_name_error_is_tied_to_it():
    from grader.report.cell_advice import advise_once, explained_by

    failures = [
        {"cell": 3, "ename": "ModuleNotFoundError", "evalue": "No module named 'session_info'",
         "source": "import session_info\nfrom sklearn.metrics import confusion_matrix"},
        {"cell": 8, "ename": "NameError", "evalue": "name 'confusion_matrix' is not defined",
         "source": "cm = confusion_matrix(y, p)"},
        {"cell": 9, "ename": "NameError", "evalue": "name 'undefined_here' is not defined",
         "source": "undefined_here + 1"},
    ]
    assert explained_by(failures) == [None, 3, None]
    first, tied, own = advise_once(failures)
    assert "`session_info` is not available on the grader" in first
    assert "[kernel] packages" in first
    assert tied.startswith("`confusion_matrix` is undefined because cell 3 failed")
    assert own is None  # the notebook's own mistake: no advice
    assert advise_once(failures, tie=False)[1] is None


def _q(checks, cells=None, score=0.0, points=2.0):
    return {"id": "q", "score": score, "points": points, "cells": cells, "checks": checks}


LOST = {"id": "q.plots_present", "outcome": "fail", "max_score": 1.0, "details": {"found": 0}}
NO_MODEL = {"id": "q.param_count", "outcome": "fail", "max_score": 1.0,
            "details": {"no_model": True}}


def test_the_failed_cell_in_a_questions_cells_explains_its_lost_checks():
    failures = [{"cell": 3, "ename": "ValueError", "evalue": "x", "source": "a = 1 / 0"},
                {"cell": 9, "ename": "NameError", "evalue": "name 'hist' is not defined",
                 "source": "plt.plot(hist)"}]
    assert explaining_failure(_q([LOST], {"start": 8, "end": 10}), failures)["cell"] == 9
    # a NameError there is the consequence of the cell that would have defined the name
    failures[0]["source"] = "hist = model.fit(x, y)"
    assert explaining_failure(_q([LOST], {"start": 8, "end": 10}), failures)["cell"] == 3


def test_a_question_with_nothing_to_grade_points_to_the_first_failure_and_others_to_none():
    failures = [{"cell": 5, "ename": "TypeError", "evalue": "bad", "source": "model.fit()"}]
    assert explaining_failure(_q([NO_MODEL], {"start": 8, "end": 9}), failures)["cell"] == 5
    wrong = {"id": "q.param_count", "outcome": "fail", "max_score": 1.0, "details": {}}
    assert explaining_failure(_q([wrong], {"start": 8, "end": 9}), failures) is None
    assert explaining_failure(_q([NO_MODEL]), []) is None
    written = {"id": "q.answer_present", "outcome": "fail", "max_score": 1.0, "details": {}}
    assert explaining_failure(_q([written]), failures) is None  # an answer is not code
