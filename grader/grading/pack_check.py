"""Whether a pack grades its own starter and solution as it should.

A pack is ready when the notebook students start from earns (almost) none of the
automatic points and the instructor's solution earns (almost) all of them. When it
does not, the checks at fault are named: a check that pays the starter grades code the
student was given; a check that the solution fails is too strict, or the solution is
not what the spec expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STARTER_AT_MOST = 0.05  # share of the automatic points the unchanged starter may earn
SOLUTION_AT_LEAST = 0.90  # share the instructor's solution must earn
MANUAL_CHECKS = ("answer_present",)  # written answers: graded by hand, not counted here


def automatic_checks(question: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A question's checks that score automatically (written answers left out)."""
    return [c for c in question["checks"] if c["id"].split(".", 1)[-1] not in MANUAL_CHECKS]


def _automatic(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for q in result.get("questions", []) for c in automatic_checks(q)]


def automatic_points(result: Mapping[str, Any]) -> tuple[float, float]:
    """The points a result's automatic checks earned, and what they were worth."""
    checks = _automatic(result)
    return (round(sum(c["score"] for c in checks), 2),
            round(sum(c["max_score"] for c in checks), 2))


@dataclass(frozen=True)
class PackVerdict:
    """What a pack gave its starter and its solution, and what is at fault."""

    starter: tuple[float, float]
    solution: tuple[float, float]
    problems: tuple[str, ...]

    @property
    def ready(self) -> bool:
        """The starter earns at most 5 % of the automatic points, the solution 90 % or more."""
        return not self.problems


def judge_pack(starter: Mapping[str, Any], solution: Mapping[str, Any]) -> PackVerdict:
    """Judge a pack by the results of its unchanged starter and its solution."""
    problems: list[str] = []
    for name, result in (("starter", starter), ("solution", solution)):
        if result.get("status") != "graded":
            problems.append(f"the {name} was not graded: {result.get('error')}")
    s_got, s_worth = automatic_points(starter)
    o_got, o_worth = automatic_points(solution)
    if o_worth <= 0:
        problems.append("no automatic points: every question is graded by hand")
    if s_got > STARTER_AT_MOST * s_worth:
        problems.append(f"the unchanged starter earns {s_got:g} of {s_worth:g} automatic "
                        f"points (at most {100 * STARTER_AT_MOST:g} %):")
        problems += [f"  {c['id']} gives it {c['score']:g} of {c['max_score']:g}: if it grades "
                     "given code, give it `points = 0`, or pass over the given model "
                     "(`exclude_given` in the question's selector)"
                     for c in _automatic(starter) if c["score"] > 0]
    if o_worth > 0 and o_got < SOLUTION_AT_LEAST * o_worth:
        problems.append(f"the solution earns {o_got:g} of {o_worth:g} automatic points (at "
                        f"least {100 * SOLUTION_AT_LEAST:g} %):")
        problems += [f"  {c['id']} gives it {c['score']:g} of {c['max_score']:g}: "
                     f"{c['message']}" for c in _automatic(solution)
                     if c["score"] < c["max_score"]]
    return PackVerdict((s_got, s_worth), (o_got, o_worth), tuple(problems))
