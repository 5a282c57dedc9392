"""The notebook's outline from the labels students write (grader.grading.outline)."""

from __future__ import annotations

import time

import pytest

from grader.assignment.pack import find_pack
from grader.grading.answers import answers_and_sections, unmapped_labels
from grader.grading.outline import build_outline, canonical, read_label, student_prose


def md(text: str) -> dict:
    return {"cell_type": "markdown", "source": text, "metadata": {}}


def code(text: str) -> dict:
    return {"cell_type": "code", "source": text, "metadata": {}}


def keys(cells: list[dict]) -> list[str]:
    return [s.label.key for s in build_outline(cells).segments if s.label]


@pytest.mark.parametrize("line, key", [
    ("### Question 1", "1"), ("## Question 1) Auto-Encoder", "1"), ("### Answer 2A", "2a"),
    ("##### **Q2.1**", "2.1"), ("**Q2 A)** The network has", "2a"), ("2a) <br/>", "2a"),
    ("1) <br/>", "1"), ("Q1.1", "1.1"), ("### Uppgift 3", "3"), ("## Aufgabe 10.1", "10.1"),
    ("### Fråga 2b", "2b"), ("## 2.6.1 Activation Functions", "2.6.1"), ("### A1", "1"),
    ("(c) <br/>", "c"), ("### Exercice 4", "4"), ("#### Part b", "b"),
])
def test_each_way_students_write_a_label_reads_as_its_key(line, key):
    assert keys([md(line)]) == [key]


@pytest.mark.parametrize("line", [
    "1. The model has three layers and 55,050 parameters.",
    "a) the first layer has 64 neurons with relu activation",
    "The loss is 2.1 after ten epochs.", "10 epochs were enough here.", "**Answer:** yes",
    "### Conclusions", "### 问题 2 的回答",
])
def test_sentences_list_items_and_plain_headings_are_no_labels(line):
    assert keys([md(line)]) == []


def test_a_sub_part_belongs_to_the_number_above_it_and_is_reused_per_question():
    cells = [md("## Question 2"), md("#### A)\nx y"), md("#### B)\nx y"), md("## Question 4"),
             md("#### A)\nx y")]
    assert keys(cells) == ["2", "2a", "2b", "4", "4a"]


def test_a_numbered_list_under_a_bare_number_gives_its_parts():
    cells = [md("## 3 Questions to Answer\n1. Five epochs.\n2. About 97 %.\n3. 4 and 9.")]
    assert keys(cells) == ["3", "3.1", "3.2", "3.3"]


def test_one_line_may_name_several_questions():
    (seg,) = [s for s in build_outline([md("### Question 2A and 2B")]).segments if s.label]
    assert seg.label.keys == ("2a", "2b")


def test_a_plain_heading_at_the_labels_level_ends_its_section():
    cells = [md("## 2.4 Evaluate\nTen epochs."), md("## Confusion matrix\n4 and 9 mixed up.")]
    segments = build_outline(cells).segments
    assert [s.label.key if s.label else None for s in segments] == ["2.4", None]


def test_spec_labels_read_as_the_outline_reads_the_notebook():
    assert [canonical(x) for x in ["2D", "2.4", "Q2.4", "Answer 2A", "A1", "4B"]] == \
        ["2d", "2.4", "2.4", "2a", "1", "4b"]
    assert read_label("Question 1) Auto-Encoder", strict=False) == ("1", None)


@pytest.mark.parametrize("placeholder", ["*text*", "*Your answer here.*", "TODO", "...",
                                         "**Answer:**", "Answer: ..."])
def test_placeholders_are_no_answer(placeholder):
    assert student_prose(placeholder) == ""


def test_the_starters_own_words_and_copied_questions_are_no_answer():
    given = frozenset({"please see the associated document for questions"})
    assert student_prose("Please see the associated document for questions.", given) == ""
    assert student_prose("How close do you get to Hinton's result? Why?") == ""
    assert "0.982" in student_prose("How close do you get? We got 0.982 after 40 epochs.")


def test_no_markdown_at_all_still_forms_and_finds_nothing():
    pack = find_pack("dat405_a7")
    cells = [code("x = 1"), code("print(x)")]
    found = answers_and_sections(pack.spec, cells)
    assert all(v.get("answer") is None for v in found.values())
    assert all(not v["unlocated"] for v in found.values())


def test_a_thousand_headings_form_an_outline_in_under_a_second():
    pack = find_pack("dat405_a7")
    cells = [md(f"### Question {n % 40}{'abcd'[n % 4]}\nSome text {n} here.") for n in range(1000)]
    start = time.perf_counter()
    answers_and_sections(pack.spec, cells)
    unmapped = unmapped_labels(pack.spec, cells)
    assert time.perf_counter() - start < 1.0
    assert "12a" in unmapped and "2a" not in unmapped


def test_an_answer_no_label_locates_is_guessed_or_left_to_the_marker_never_missing():
    pack = find_pack("dat405_a7")
    cells = [md("Categorical cross entropy is the loss; its form is minus the sum of y log p."),
             md("Some thoughts that match no question at all, written here.")]
    found = answers_and_sections(pack.spec, cells)
    assert found["q2b_loss"]["answer"]["how"] == "guess"
    assert found["q2b_loss"]["answer"]["cell"] == 1
    assert found["q2a_model"]["answer"] is None and found["q2a_model"]["unlocated"] == [2]
