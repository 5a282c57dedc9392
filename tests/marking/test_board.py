"""The marking board: answers grouped, alike students listed, marks shown as they stand."""

from __future__ import annotations

from grader.assignment.pack import find_pack
from grader.gradebook.overrides import Override, answer_sha
from grader.marking.board import alike_pairs, board, groups, normalise, written_questions

PACK = find_pack("dlcourse_mlp")
A1 = next(q for q in PACK.spec.questions if q.id == "a1_training_time")


def result(student: str, text: str | None, status: str = "graded") -> dict:
    answer = {"text": text, "cell": 7, "cells": [7, 7], "how": "label"} if text else None
    checks = [{"id": f"{q.id}.answer_present", "outcome": "manual", "message": "Awaiting.",
               "score": 0, "max_score": q.points} for q in written_questions(PACK.spec)]
    return {"student": student, "status": status, "figures": [{"file": "figure-1.png",
                                                              "cell": 7}],
            "execution": {"executed_html": "x.html"},
            "questions": [{"id": q.id, "answer": answer if q.id == A1.id else None,
                           "checks": [c for c in checks if c["id"].startswith(q.id + ".")]}
                          for q in written_questions(PACK.spec)]}


def test_written_questions_are_those_marked_by_hand():
    assert [q.id for q in written_questions(PACK.spec)] == [
        "a1_training_time", "a2_accuracy", "a3_confusion", "a4_overfitting"]


def test_same_and_nearly_same_answers_are_one_group_and_missing_ones_none():
    results = [result("s1", "It took about 40 seconds per epoch."),
               result("s2", "it took about 40 seconds per epoch!"),  # the same, normalised
               result("s3", "It took about 40 second per epoch."),   # nearly
               result("s4", "Training was fast: 3 s on the GPU."),
               result("s5", None), result("s6", None)]
    b = board(A1, results, [], {})
    assert b.groups == (("s1", "s2", "s3"),)
    assert normalise("It took ABOUT  40 s!") == "it took about 40 s"


def test_a_mark_on_a_changed_answer_is_flagged_and_an_errored_result_is_left_out():
    old = Override("s1", A1.id, 1.0, "ok", marker="ta", answer_sha=answer_sha("old text"))
    same = Override("s2", A1.id, 0.5, "half", answer_sha=answer_sha("Same  text"))
    b = board(A1, [result("s1", "new text"), result("s2", "Same text"),
                   result("s3", "x", status="error")], [old, same], {})
    marks = {a.student: a.mark for a in b.answers}
    assert set(marks) == {"s1", "s2"} and b.marked == 2
    assert marks["s1"]["answer_changed"] and not marks["s2"]["answer_changed"]
    first = b.answers[0]
    assert first.figures == ("figure-1.png",) and first.executed == "s1/executed.html"


def test_students_with_alike_long_answers_are_listed_short_and_given_text_never():
    long = ("The training took roughly forty seconds for each epoch on the CPU, so five "
            "epochs needed a little over three minutes in all.")
    results = [result("s1", long), result("s2", long.replace("roughly", "about")),
               result("s3", "Yes."), result("s4", "Yes."), result("s5", "Something else "
                                                                    "entirely, written alone.")]
    pairs = alike_pairs(PACK.spec, results)
    assert [(p.first, p.second, p.questions) for p in pairs] == [("s1", "s2", (A1.id,))]
    assert alike_pairs(PACK.spec, results, given=frozenset({normalise(long)})) == []
    assert set(groups(board(A1, results, [], {}).answers)) == {("s1", "s2"), ("s3", "s4")}


def test_students_whose_own_code_is_alike_are_listed_what_the_starter_gave_never(tmp_path):
    import nbformat

    from grader.marking.board import alike_code, starter_code

    given = "import keras\n(x, y), _ = keras.datasets.mnist.load_data()\n" * 1
    mine = "\n".join(f"layer_{i} = keras.layers.Dense({16 * i}, activation='relu')"
                     for i in range(1, 12))
    other = "\n".join(f"conv_{i} = keras.layers.Conv2D({i}, 3)  # mine" for i in range(1, 12))
    sources = {"s1": mine, "s2": mine.replace("relu", "relu "), "s3": other,
               "s4": given}  # s4 handed in the starter: nothing of its own
    for student, code in sources.items():
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(given), nbformat.v4.new_code_cell(code)]
        (tmp_path / student).mkdir()
        nbformat.write(nb, tmp_path / student / "executed.ipynb")
    starter = tmp_path / "starter.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(given)]
    nbformat.write(nb, starter)
    pairs = alike_code(tmp_path, [{"student": s} for s in sources], starter_code([starter]))
    assert [(p.first, p.second) for p in pairs] == [("s1", "s2")]
