"""Written answers are found under their headings; placeholders do not count."""

from grader.answers import find_answer
from grader.spec import Answer

Q1 = Answer(r"(?im)^#+\s*Q1\b", "*Your answer here.*")
Q2 = Answer(r"(?im)^#+\s*Q2\b", "*Your answer here.*")


def md(text):
    return {"cell_type": "markdown", "source": text, "metadata": {}}


def test_answer_in_heading_cell():
    cells = [md("### Q1. How long?\n\nFive epochs, 10 s."), md("### Q2. Accuracy?\n\n98 %")]
    assert find_answer(cells, Q1, [Q2]) == {"cell": 1, "text": "Five epochs, 10 s."}


def test_answer_in_following_cells_until_next_question():
    cells = [md("### Q1. How long?\n\n*Your answer here.*"), md("I trained 12 epochs."),
             md("### Q2. Accuracy?"), md("97 %")]
    assert find_answer(cells, Q1, [Q2])["text"] == "I trained 12 epochs."
    assert find_answer(cells, Q2, [Q1])["text"] == "97 %"


def test_placeholder_or_code_cell_is_no_answer():
    cells = [md("### Q1. How long?\n\n*Your answer here.*"),
             {"cell_type": "code", "source": "x = 1", "metadata": {}}, md("late text")]
    assert find_answer(cells, Q1, [Q2]) is None
    assert find_answer([md("nothing")], Q1) is None
