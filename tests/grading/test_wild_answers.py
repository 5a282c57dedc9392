"""The wild corpus (submissions/wild): answers located as a careful TA locates them.

Judged without a kernel, from the notebooks' cells and their truth files, by the same
code as ``benchmarks/fidelity.py``.
"""

from __future__ import annotations

import pytest

from benchmarks.fidelity import corpus, judge, notebook_cells, truth_of

NOTEBOOKS = corpus()


def test_the_corpus_is_at_least_thirty_notebooks_across_the_five_packs():
    assert len(NOTEBOOKS) >= 30
    assert {p.parent.name for p in NOTEBOOKS} == {"dat405_a7", "dlcourse_mlp", "zhaw_cnn",
                                                  "centralesupelec_lab7", "kit_blatt10"}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_answer_verdict_is_the_tas(notebook):
    wrong = [v for v in judge(notebook) if not v.agrees]
    assert wrong == []


def test_recall_and_no_false_finds_over_the_whole_corpus():
    verdicts = [v for nb in NOTEBOOKS for v in judge(nb)]
    present = [v for v in verdicts if v.truth == "present"]
    found = [v for v in present if v.found == "found" and v.agrees]
    assert len(found) >= 0.95 * len(present)
    assert not [v for v in present if v.found == "missing"], "told missing, but it is there"
    placeholders = [v for v in verdicts if v.truth != "present"]
    assert placeholders and not [v for v in placeholders if v.found == "found"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_tas_points_cover_every_question_with_automatic_points(notebook):
    """What `benchmarks/fidelity.py --run` compares with stays in step with the pack."""
    from grader.assignment.pack import find_pack

    spec = find_pack(notebook.parent.name).spec
    automatic = {q.id: sum(c.points for c in q.checks if c.name != "answer_present")
                 for q in spec.questions}
    truth = truth_of(notebook)
    assert set(truth["points"]) == {q for q, points in automatic.items() if points > 0}
    for qid, fair in truth["points"].items():
        assert 0 <= fair <= automatic[qid], qid
    selecting = {q.id for q in spec.questions if q.select is not None}
    assert truth["graded"] and set(truth["graded"]) <= selecting
    cells = len(notebook_cells(notebook))
    assert all(0 <= cell <= cells for cell in truth["graded"].values())
