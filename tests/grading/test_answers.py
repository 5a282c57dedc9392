"""Written answers are found under their headings; placeholders do not count."""

from grader.assignment.spec import Answer
from grader.grading.answers import find_answer

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


def code(text):
    return {"cell_type": "code", "source": text, "metadata": {}}


def test_section_runs_from_the_heading_to_the_next_questions_heading():
    from grader.grading.answers import section_of

    cells = [md("## Question 4B"), code("plt.imshow(x)"), md("### Answer 4B\n\nhard at 0.6"),
             md("## Question 4C"), code("plt.plot(acc)")]
    b = section_of(cells, r"(?im)^#+\s*Question\s+4B\b",
                   [r"(?im)^#+\s*Question\s+4C\b", r"(?im)^#+\s*Answer\s+4C\b"])
    assert b == {"start": 1, "end": 3}
    c = section_of(cells, r"(?im)^#+\s*Question\s+4C\b", [r"(?im)^#+\s*Question\s+4B\b"])
    assert c == {"start": 4, "end": 5}
    assert section_of(cells, r"(?im)^#+\s*Question\s+9\b") is None


def test_answer_stops_at_the_next_heading_of_its_level_but_keeps_sub_headings():
    cells = [md("### Answer 2D\n\nAbout 98 %."), md("#### Why not 98.47\n\nSeeds."),
             md("## Question 3: Convolutional layers\n\nTrain for `epochs_cnn` epochs.")]
    text = find_answer(cells, Answer(r"(?im)^#+\s*Answer\s+2D\b"))["text"]
    assert "Seeds." in text and "Question 3" not in text
