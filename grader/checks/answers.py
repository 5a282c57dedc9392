"""What a written answer states: the facts the reference computes, pre-graded for the marker.

Where a question asks the student to describe given code (DAT405's 2A: the layers,
neurons and parameters of the network handed out), the model itself is no work of
theirs: the points are for what their answer says. ``answer_facts`` reads the answer
for each fact the spec names, in the spellings people write (``55,050``, ``55 050``,
``55050``; "three layers" or "3 layers"), gives the points of the facts stated, and shows
the marker "states 55,050 parameters ✔ / does not name the loss ✘". A marker's grade
overrides it like any other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from grader import layers as L
from grader.checks.base import CheckInput, CheckResult, Outcome, checks
from grader.checks.params import reference_model
from grader.errors import CheckError

NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
                8: "eight", 9: "nine", 10: "ten"}
KINDS = ("parameters", "layers", "units", "words", "formula")


def spellings(n: int) -> re.Pattern[str]:
    """``n`` as people write it: ``55050``, ``55,050``, ``55 050``, ``55.050``, ``55’050``."""
    digits = str(n)
    groups = [digits[max(0, i - 3):i] for i in range(len(digits), 0, -3)][::-1]
    grouped = r"[ ,.'’\u202f\u00a0]?".join(map(re.escape, groups))
    words = NUMBER_WORDS.get(n)
    either = f"{grouped}|{words}" if words else grouped
    return re.compile(rf"(?<![\d.,])(?:{either})(?![\d]|[.,]\d)", re.IGNORECASE)


def _fact_expectation(fact: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    kind = fact.get("fact")
    if kind not in KINDS:
        raise CheckError(f"answer_facts: fact {kind!r} is not one of {', '.join(KINDS)}",
                         check="answer_facts")
    out: dict[str, Any] = {"fact": kind, "say": fact.get("say")}
    if kind in ("parameters", "layers", "units"):
        model = reference_model(fact, reference)
        blocks = [b for b in L.blocks(model["layers"]) if b["kind"] in L.WEIGHTED]
        if kind == "parameters":
            out["numbers"] = [int(model["total_params"])]
            out["say"] = out["say"] or f"{int(model['total_params']):,} parameters"
        elif kind == "layers":
            out["numbers"] = sorted({len(blocks), max(0, len(blocks) - 1)})  # hidden too
            out["say"] = out["say"] or f"{len(blocks)} layers"
        else:
            units = sorted({int(b["units"]) for b in blocks[:-1] if b.get("units")})
            out["numbers"] = units
            out["say"] = out["say"] or "the neurons per layer (" + ", ".join(map(str, units)) + ")"
    elif kind == "words":
        out["words"] = [str(w) for w in fact.get("any", [])]
        if not out["words"]:
            raise CheckError("answer_facts: a `words` fact needs `any = [...]`",
                             check="answer_facts")
        out["say"] = out["say"] or f"names {out['words'][0]}"
    else:
        out["say"] = out["say"] or "a formula with a logarithm"
    return out


def _expect(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    facts = params.get("facts")
    if not isinstance(facts, list) or not facts:
        raise CheckError("answer_facts needs `facts = [{ fact = ... }, ...]`",
                         check="answer_facts")
    return {"facts": [_fact_expectation(f, reference) for f in facts]}


def states(text: str, fact: Mapping[str, Any]) -> bool:
    """Whether ``text`` states ``fact`` (as :func:`_fact_expectation` wrote it)."""
    kind = fact["fact"]
    if kind == "parameters":
        return bool(spellings(fact["numbers"][0]).search(text))
    if kind == "layers":  # "3 layers" or "2 hidden layers" both describe it
        return any(spellings(n).search(text) for n in fact["numbers"])
    if kind == "units":
        return all(spellings(n).search(text) for n in fact["numbers"])
    if kind == "words":
        plain = re.sub(r"[\s_\-]+", " ", text.lower())
        return any(re.sub(r"[\s_\-]+", " ", w.lower()) in plain for w in fact["words"])
    return bool(re.search(r"\\?\b(log|ln)\b|\blog_?\{?\d|logarithm", text, re.IGNORECASE))


@checks.register("answer_facts", expect=_expect, needs_model=False)
def answer_facts(inp: CheckInput) -> CheckResult:
    """The facts the answer states, each worth an equal share; shown for the marker."""
    answer = inp.found.get("answer") or {}
    text = str(answer.get("text") or "")
    facts = inp.expected.get("facts", [])
    if not text.strip():
        return inp.failed("No answer to read for the facts it should state.",
                          expected="; ".join(f["say"] for f in facts), found="no answer")
    said = [(f["say"], states(text, f)) for f in facts]
    stated = sum(ok for _, ok in said)
    verdict = " / ".join(f"states {say} ✔" if ok else f"does not state {say} ✘"
                         for say, ok in said)
    score = inp.max_score * stated / max(1, len(said))
    outcome = (Outcome.PASS if stated == len(said) else
               Outcome.PARTIAL if stated else Outcome.FAIL)
    return inp.result(outcome, score, f"Pre-graded from the answer: {verdict}.",
                      expected="; ".join(say for say, _ in said),
                      found=f"{stated} of {len(said)} stated", facts=[
                          {"fact": say, "stated": ok} for say, ok in said])
