"""Denoising curves drawn by the grader, compared with the reference's band."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grader.checks.base import CheckInput, CheckResult, Outcome, checks
from grader.checks.params import no_model
from grader.errors import CheckError
from grader.text import pct

CURVES = {"noisy": "noisy images", "denoised": "denoised images"}


def _expect(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    """The band per level: reference mean minus ``max(min_tolerance, spread × std)``."""
    curves = reference.get("denoising")
    if not curves:
        raise CheckError("the reference has no denoising curves (is [denoising] in the spec?)",
                         check="denoising_curves")
    spread = float(params.get("spread", 3.0))
    floor = float(params.get("min_tolerance", 0.03))
    out: dict[str, Any] = {"levels": curves["levels"], "spread": spread, "min_tolerance": floor,
                           "replicates": curves["replicates"]}
    for key in CURVES:
        mean, std = curves[key]["mean"], curves[key]["std"]
        tol = [round(max(floor, spread * s), 4) for s in std]
        out[key] = {"mean": mean, "tolerance": tol,
                    "lower": [round(m - t, 4) for m, t in zip(mean, tol, strict=True)],
                    "upper": [round(m + t, 4) for m, t in zip(mean, tol, strict=True)]}
    return out


def _misses(values: Sequence[float], lower: Sequence[float],
            levels: Sequence[float]) -> list[str]:
    return [f"{lv:g} ({100 * v:.1f} % < {100 * lo:.1f} %)"
            for lv, v, lo in zip(levels, values, lower, strict=True) if v < lo]


@checks.register("denoising_curves", expect=_expect)
def denoising_curves(inp: CheckInput) -> CheckResult:
    """The classifier's accuracy on noisy and on denoised images keeps to the reference band.

    Half the points per curve, in proportion to the noise levels not below the band.
    Above the band is fine: a more robust classifier or a better denoiser is not a mistake.
    """
    if inp.found.get("model") is None:
        return no_model(inp)
    evaluation = inp.found.get("evaluation") or {}
    curves = evaluation.get("denoising")
    classifier = evaluation.get("classifier") or {}
    expected = (f"accuracy at noise levels {', '.join(f'{v:g}' for v in inp.expected['levels'])}"
                f" within the reference's band ({inp.expected['replicates']} reference runs)")
    if not curves:
        why = evaluation.get("error") or "the autoencoder could not be exported or loaded"
        return inp.failed(f"The grader could not draw the denoising curves: {why}.",
                          expected=expected, found=why)
    levels = curves["levels"]
    score, notes, shares = 0.0, [], {}
    for key, words in CURVES.items():
        band = inp.expected[key]
        values = curves.get(key) or []
        if len(values) != len(band["lower"]):
            raise CheckError("measured and reference curves have different noise levels; "
                             "rebuild the reference", check="denoising_curves")
        missed = _misses(values, band["lower"], levels)
        shares[key] = 1 - len(missed) / len(values)
        score += inp.max_score / 2 * shares[key]
        if missed:
            notes.append(f"on {words} below the reference band at noise {'; '.join(missed)}")
    clf = (f"classifier `{classifier.get('path', '?')}` "
           f"({pct(classifier.get('accuracy', 0))} on clean test images)")
    found = (f"{clf}; within or above the band at {round(shares['noisy'] * len(levels))} of "
             f"{len(levels)} levels on noisy and {round(shares['denoised'] * len(levels))} "
             f"on denoised images")
    details = {"expected": expected, "found": found, "curves": curves, "classifier": classifier,
               "band": {k: inp.expected[k] for k in CURVES}}
    if not notes:
        return inp.passed(f"Denoising curves drawn by the grader with your {clf} match the "
                          "reference at every noise level.", **details)
    advice = str(inp.params.get("hint") or "Train the autoencoder on noisy inputs against clean "
                 "targets (noise level 0.4), with the starter's settings.")
    outcome = Outcome.PARTIAL if score > 0 else Outcome.FAIL
    return inp.result(outcome, score, f"With your {clf}, accuracy is {'; '.join(notes)}. "
                      f"{advice}", advice=advice, **details)
