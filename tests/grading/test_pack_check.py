"""A pack is ready when its starter earns (almost) nothing and its solution (almost) all."""

from __future__ import annotations

from grader.grading.pack_check import automatic_points, judge_pack


def _result(*checks: tuple[str, float, float], status: str = "graded") -> dict:
    return {"status": status, "error": None, "questions": [
        {"id": cid.split(".")[0], "checks": [
            {"id": cid, "score": score, "max_score": worth, "message": f"{cid} said so"}]}
        for cid, score, worth in checks]}


def test_written_answers_are_left_out_of_the_automatic_points():
    r = _result(("q1.param_count", 1, 2), ("q1.answer_present", 0, 3))
    assert automatic_points(r) == (1, 2)


def test_a_ready_pack():
    verdict = judge_pack(_result(("q1.accuracy_threshold", 0, 4)),
                         _result(("q1.accuracy_threshold", 3.8, 4)))
    assert verdict.ready and verdict.starter == (0, 4) and verdict.solution == (3.8, 4)


def test_the_checks_that_pay_the_starter_or_fail_the_solution_are_named():
    starter = _result(("q1.layer_structure", 1, 1), ("q2.accuracy_threshold", 0, 3))
    solution = _result(("q1.layer_structure", 1, 1), ("q2.accuracy_threshold", 1, 3))
    verdict = judge_pack(starter, solution)
    assert not verdict.ready
    said = "\n".join(verdict.problems)
    assert "the unchanged starter earns 1 of 4 automatic points (at most 5 %)" in said
    assert "q1.layer_structure gives it 1 of 1: if it grades given code" in said
    assert "exclude_given" in said
    assert "the solution earns 2 of 4 automatic points (at least 90 %)" in said
    assert "q2.accuracy_threshold gives it 1 of 3: q2.accuracy_threshold said so" in said


def test_a_notebook_that_was_not_graded_is_a_problem_of_its_own():
    verdict = judge_pack(_result(("q1.x", 0, 1)),
                         _result(("q1.x", 0, 0), status="error") | {"error": "bad JSON"})
    assert "the solution was not graded: bad JSON" in verdict.problems
