"""What a written answer states, pre-graded for the marker (grader.checks.answers)."""

from __future__ import annotations

import pytest

from grader.checks import CheckInput, Outcome, checks
from grader.checks.answers import spellings

STARTER = {"models": {"starter": {
    "total_params": 55050, "trainable_params": 55050,
    "layers": [{"class_name": "Flatten"},
               {"class_name": "Dense", "units": 64, "activation": "relu"},
               {"class_name": "Dense", "units": 64, "activation": "relu"},
               {"class_name": "Dense", "units": 10, "activation": "softmax"}]}}}
FACTS = [{"fact": "parameters", "reference": "starter"}, {"fact": "layers", "reference": "starter"},
         {"fact": "units", "reference": "starter"},
         {"fact": "words", "any": ["cross-entropy", "crossentropy"], "say": "the loss"},
         {"fact": "formula"}]


@pytest.mark.parametrize("text", ["55050", "55,050", "55 050", "55.050", "55’050",
                                  "a total of 55,050 parameters."])
def test_a_count_in_any_common_spelling(text):
    assert spellings(55050).search(text)


@pytest.mark.parametrize("text", ["155050", "55,0501", "5505", "55,05"])
def test_other_numbers_are_not_it(text):
    assert not spellings(55050).search(text)


def run(text):
    check = checks.get("answer_facts")
    expected = check.expect({"facts": FACTS}, STARTER)
    return check.run(CheckInput("q2a.answer_facts", 1.0, {"facts": FACTS}, expected,
                                {"answer": {"text": text, "cell": 5}}))


def test_every_fact_stated_earns_the_points_and_says_so():
    result = run("Three Dense layers: two hidden with 64 neurons, 55,050 parameters; "
                 "categorical cross-entropy, L = -sum y log(p).")
    assert result.outcome is Outcome.PASS and result.score == 1.0
    assert "states 55,050 parameters ✔" in result.message


def test_missing_facts_are_named_for_the_marker():
    result = run("The network has 3 layers and 55050 weights.")
    assert result.outcome is Outcome.PARTIAL and result.score == 0.4
    assert "does not state the loss ✘" in result.message
    assert "does not state a formula with a logarithm ✘" in result.message


def test_no_answer_reads_no_facts():
    result = checks.get("answer_facts").run(CheckInput(
        "q.a", 1.0, {"facts": FACTS}, checks.get("answer_facts").expect({"facts": FACTS}, STARTER),
        {}))
    assert result.outcome is Outcome.FAIL and result.score == 0.0
