"""Render reports with Jinja2 from plain result dicts (autoescaped)."""

from __future__ import annotations

import csv
import functools
import os
import re
import sys
import traceback
from collections import Counter
from collections.abc import Mapping, Sequence
from html import escape as html_escape
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from grader import layers as L
from grader.files import written_whole
from grader.gradebook.result import awaits_marking
from grader.gradebook.store import grader_failed
from grader.report import AUDIENCES, plots
from grader.report.cell_advice import across_class, advise_once, explaining_failure
from grader.report.markup import code_spans
from grader.report.selfcheck import hint_to_show, stopped_early
from grader.students import roster_order
from grader.text import pct

TEMPLATES_ENV = "GRADER_TEMPLATES"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def templates_dir() -> Path:
    """``$GRADER_TEMPLATES``, the source tree's ``templates/``, or the installed copy.

    A wheel installs the templates under ``<prefix>/share/grader/templates``.
    """
    env = os.environ.get(TEMPLATES_ENV)
    if env:
        return Path(env)
    source = Path(__file__).resolve().parents[2] / "templates"
    return source if source.is_dir() else Path(sys.prefix) / "share" / "grader" / "templates"


@functools.cache
def _env() -> jinja2.Environment:
    """The templates' environment, made once: Jinja compiles each template on first use."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = pct
    env.filters["pts"] = lambda x: f"{float(x):g}"
    env.filters["code"] = lambda x: markupsafe.Markup(code_spans(x))
    env.filters["first_upper"] = lambda x: str(x)[:1].upper() + str(x)[1:]
    env.filters["hint"] = hint_to_show
    env.filters["cell"] = lambda x: str(x).replace("|", "\\|")  # in a Markdown table
    return env


def template(name: str) -> jinja2.Template:
    """One of the grader's templates, in the environment every page is drawn with."""
    return _env().get_template(name)


LIBRARY_FRAME = re.compile(r"site-packages|dist-packages|<grader |/lib/python3")


def short_traceback(frames: Sequence[str], keep: int = 40) -> str:
    """A cell's traceback with only the student's own frames and the error line.

    Frames inside libraries (Keras, TensorFlow, the grader's wrappers) are counted,
    not shown; at most the last ``keep`` lines are kept.
    """
    clean = [ANSI.sub("", f) for f in frames]
    if len(clean) > 2:
        own = [f for f in clean[1:-1] if not LIBRARY_FRAME.search(f.splitlines()[0] if f else "")]
        hidden = len(clean) - 2 - len(own)
        note = [f"[{hidden} frame(s) inside libraries left out]"] if hidden else []
        clean = [clean[0], *own, *note, clean[-1]]
    rows = "\n".join(clean).splitlines()
    return "\n".join(rows[-keep:])


HIDDEN = ("Hidden check: its points are counted here; what it looks for stays with your "
          "instructor, who sees its details.")
HAND = ("manual", "graded")  # outcomes of checks a person grades: awaiting, then done


def for_audience(result: Mapping[str, Any], audience: str) -> dict[str, Any]:
    """The result as an audience may see it: students get no details of hidden checks."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience should be one of {', '.join(AUDIENCES)}, got {audience!r}")
    out = dict(result)
    if audience == "student":
        out["questions"] = [
            {**q, "checks": [c if c.get("public", True) else
                             {**c, "message": HIDDEN, "details": {}, "hint": None}
                             for c in q["checks"]]}
            for q in result.get("questions", [])
        ]
    return out


def said_once(checks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A card's checks, where one whose message an earlier check gave names that check.

    A question with no model to grade fails several checks for one long reason; its
    card says it once. Each check keeps its whole message in the gradebook and the
    LMS exports, where it stands alone.
    """
    first: dict[str, str] = {}
    out = []
    for c in checks:
        message = str(c.get("message") or "")
        if message and message != HIDDEN and message in first:
            out.append({**c, "same_as": first[message]})
        else:
            first.setdefault(message, str(c["id"]).split(".")[-1])
            out.append({**c, "same_as": None})
    return out


def confusion_table(matrix: Sequence[Sequence[int]]) -> dict[str, Any]:
    """A confusion matrix as a table the template shades: each cell's count and its share.

    ``shade`` is the count over the largest one (0 to 1); ``dark`` cells get light text.
    """
    top = max((max(row, default=0) for row in matrix), default=0) or 1
    return {"labels": list(range(len(matrix))),
            "rows": [{"label": i, "cells": [{"count": int(c), "shade": round(c / top, 3),
                                             "dark": c / top > 0.5} for c in row]}
                     for i, row in enumerate(matrix)]}


def student_context(result: Mapping[str, Any], expected: Mapping[str, Any] | None,
                    report_dir: Path, audience: str = "instructor",
                    show_reference: bool = False) -> dict[str, Any]:
    """The plain dict the student template renders.

    The reference's architecture, curves and accuracies (the answer, for a student)
    are shown to the instructor's audience, or to students where the spec says so
    (``show_reference``).
    """
    result = for_audience(result, audience)
    show_reference = show_reference or audience == "instructor"
    models = {m["id"]: m for m in result.get("models", [])}
    histories = {h["id"]: h for h in result.get("histories", [])}
    ref_models = (expected or {}).get("models", {})
    failed = (result.get("execution") or {}).get("failures", [])
    questions = []
    shown: set[int] = set()
    measured: set[int] = set()  # each model's measurement is said once, where first graded
    graded: dict[int, str] = {}  # model id → the first question that graded it
    owner_id = _confusion_owner(result)
    for q in result.get("questions", []):
        sel = q.get("selection") or {}
        model = models.get(sel.get("model_id"))
        hist = histories.get(q.get("history_id"))
        if hist is not None and hist["id"] in shown:
            hist = None  # each history is drawn once, under the first question that grades it
        elif hist is not None:
            shown.add(hist["id"])
        ref_name = q.get("reference_model")
        ref_hist = (((ref_models.get(ref_name) or {}).get("history") or {}).get("history")
                    if show_reference else None)
        evaluation = (model or {}).get("evaluation") or {}
        first_measured = model is not None and model["id"] not in measured
        graded_before = graded.get(model["id"]) if model is not None else None
        if model is not None:
            measured.add(model["id"])
            graded.setdefault(model["id"], q["title"])
        owner = q["id"] == owner_id
        checks = said_once(q["checks"])
        reason = sel.get("reason") or ""
        questions.append({
            **q,
            "checks": checks,
            # no model graded: the check that failed for it says why, the card not twice
            "reason_in_checks": bool(sel) and not sel.get("path") and bool(reason) and any(
                reason in str(c.get("message") or "") for c in checks),
            "model": model,
            "structure": L.describe(model["layers"]) if model and "layers" in model else None,
            "curves": plots.training_curves(hist["history"] if hist else None, ref_hist,
                                            ref_name or "") if hist else None,
            "confusion": confusion_table(evaluation["confusion"])
            if evaluation.get("confusion") and owner else None,
            "most_confused": evaluation.get("most_confused", []) if owner else [],
            "kernels": [plots.kernel_grid(k, f"convolution layer {i}: {len(k)} filters")
                        for i, k in enumerate(evaluation.get("kernels") or [], 1)]
            if owner else [],
            "evaluation": evaluation,
            "measured": evaluation if first_measured else {},
            "graded_before": graded_before,
            "denoising": _denoising_plot(q, evaluation),
            "layers": L.compare(model, ref_models[ref_name])
            if show_reference and model and "layers" in model and ref_name in ref_models
            else [],
            "reference_name": ref_name,
            "pending": awaits_marking(q),
            "failed_cell": explaining_failure(q, failed),
        })
    execution = result.get("execution") or {}
    executed = Path(execution["executed_path"]) if execution.get("executed_path") else None
    html = Path(execution["executed_html"]) if execution.get("executed_html") else None
    failures = [{**f, "traceback": short_traceback(f["traceback"]), "advice": text}
                for f, text in zip(failed, advise_once(failed), strict=True)]
    return {
        "r": result, "questions": questions, "audience": audience, "failures": failures,
        "stopped": stopped_early(execution),
        "grader_failed": grader_failed(result),
        "models": model_rows(result.get("models", [])),
        # each graded model's layers and accuracy are in its question's card: printed once
        "all_models_graded": set(graded) >= {m["id"] for m in result.get("models", [])},
        "executed_link": os.path.relpath(executed, report_dir) if executed else None,
        "executed_html_link": os.path.relpath(html, report_dir) if html else None,
        "reference": {name: {"structure": L.describe(m["layers"]),
                             "total_params": m["total_params"],
                             "accuracy": (m.get("evaluation") or {}).get("accuracy")}
                      for name, m in ref_models.items()} if show_reference else {},
    }


def model_rows(models: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of "Models found in your notebook": one per model, a loop's runs grouped.

    Models found only through their ``fit`` calls (a loop that built a fresh model into
    the same variable each time) that follow each other with the same layers and size
    share one row: fifteen runs of one network take a line, not a page.
    """
    rows: list[dict[str, Any]] = []
    for m in models:
        row = {"paths": [m["path"]], "fit_only": bool(m.get("fit_only")),
               "layers": ", ".join(x["class_name"] for x in m["layers"])
               if m.get("layers") is not None else "?",
               "params": f"{m['total_params']:,}" if m.get("total_params") is not None else "?",
               "measured": _measured(m)}
        last = rows[-1] if rows else None
        if (last and row["fit_only"] and last["fit_only"]
                and (last["layers"], last["params"], last["measured"])
                == (row["layers"], row["params"], row["measured"])):
            last["paths"].append(m["path"])
        else:
            rows.append(row)
    return rows


def _measured(model: Mapping[str, Any]) -> str:
    """What the grader measured of a model, in the words of the models table."""
    evaluation = model.get("evaluation") or {}
    if model.get("fit_only"):
        return "not measured"
    if evaluation.get("accuracy") is not None:
        return pct(evaluation["accuracy"])
    if evaluation.get("denoising"):
        return "autoencoder: denoising curves drawn"
    return str(evaluation.get("error") or "–")


def _denoising_plot(question: Mapping[str, Any], evaluation: Mapping[str, Any]) -> str | None:
    """The grader's denoising curves over the reference band, for the question that checks them."""
    check = next((c for c in question["checks"] if c["id"].endswith(".denoising_curves")), None)
    if check is None or not evaluation.get("denoising"):
        return None
    return plots.denoising_curves(evaluation["denoising"], check["details"].get("band"))


def _confusion_owner(result: Mapping[str, Any]) -> str | None:
    """The first question with a measured model: its report section shows the matrix."""
    models = {m["id"]: m for m in result.get("models", [])}
    for q in result.get("questions", []):
        mid = (q.get("selection") or {}).get("model_id")
        measured = ((models.get(mid) or {}).get("evaluation") or {}).get("confusion")
        if measured and any(c["id"].endswith("accuracy_threshold") for c in q["checks"]):
            return q["id"]
    return None


def render_student(result: Mapping[str, Any], expected: Mapping[str, Any] | None,
                   out_path: Path, audience: str = "instructor",
                   show_reference: bool = False) -> Path:
    """Write one student's HTML report.

    If the report cannot be rendered, a plain page saying why (with the traceback for
    the instructor) takes its place: one odd result never stops a class's reports.
    """
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        html = _env().get_template("report.html.j2").render(
            **student_context(result, expected, out_path.parent, audience, show_reference))
    except Exception as exc:  # noqa: BLE001 - recorded on the page, never swallowed
        html = _fallback_page(result, exc, traceback.format_exc())
    out_path.write_text(html, encoding="utf-8")
    return out_path


def _fallback_page(result: Mapping[str, Any], exc: BaseException, tb: str) -> str:
    student = html_escape(str(result.get("student", "?")))
    return (f"<!doctype html><meta charset='utf-8'><title>{student}</title>"
            f"<h1>Report for {student}</h1><p>Score {result.get('score')} / "
            f"{result.get('max_score')} (also in grades.csv). The report could not be "
            f"rendered: {html_escape(f'{type(exc).__name__}: {exc}')}. Please tell the "
            f"grader's maintainers.</p><pre>{html_escape(tb)}</pre>")


def summary_context(results: Sequence[Mapping[str, Any]], title: str,
                    questions: Sequence[Mapping[str, Any]], max_score: float,
                    absent: Sequence[str] = ()) -> dict[str, Any]:
    """The plain dict the class summary template renders.

    ``absent``: the class list's students who handed nothing in, as the list names them.
    """
    graded = [r for r in results if r["status"] == "graded"]
    per_q = []
    # a check a person grades for any student (a written answer) is no automatic check
    by_hand = {c["id"] for r in graded for q in r["questions"] for c in q["checks"]
               if c["outcome"] in HAND}
    for q in questions:
        rows = [x for r in graded for x in r["questions"] if x["id"] == q["id"]]
        auto = [[c["outcome"] for c in x["checks"] if c["id"] not in by_hand] for x in rows]
        auto = [a for a in auto if a]
        per_q.append({
            "id": q["id"], "title": q["title"], "points": q["points"],
            "mean": sum(x["score"] for x in rows) / len(rows) if rows else None,
            "pass_rate": sum(x["outcome"] == "pass" for x in rows) / len(rows) if rows else None,
            "auto_pass_rate": sum(all(o == "pass" for o in a) for a in auto) / len(auto)
            if auto else None,
            "awaiting": sum(awaits_marking(x) for x in rows),
            "outcomes": question_outcomes(rows),
        })
    accuracies: dict[str, list[float]] = {}
    for r in graded:
        for q in r["questions"]:
            for c in q["checks"]:
                if c["id"].endswith(".accuracy_threshold") and "accuracy" in c["details"]:
                    accuracies.setdefault(q["id"], []).append(float(c["details"]["accuracy"]))
    seconds = sorted(float((r.get("timings") or {}).get("total", 0)) for r in graded)
    return {
        "title": title, "results": results, "questions": per_q, "max_score": max_score,
        "n": len(results), "n_graded": len(graded),
        "mean": sum(r["score"] for r in graded) / len(graded) if graded else None,
        "histogram": plots.score_histogram([r["score"] for r in graded], max_score),
        "outcomes_plot": plots.question_outcomes([(q["title"], q["outcomes"]) for q in per_q]),
        "most_failed": most_failed(graded),
        "grader_only": across_class(graded),
        "accuracy_plot": plots.accuracy_strips(accuracies),
        "run_time": {"median": seconds[len(seconds) // 2], "max": seconds[-1],
                     "total": sum(seconds)} if seconds else None,
        "absent": sorted(absent, key=roster_order),
        "errors": [{"student": r["student"], "error": r.get("error"),
                    "grader_failed": grader_failed(r)} for r in results if r["status"] == "error"],
    }


def question_outcomes(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many of a question's results have full marks, some, none, or await marking.

    A question worth no points (given code) counts nowhere: there is nothing to earn.
    """
    counts = {"full": 0, "partial": 0, "none": 0, "pending": 0}
    for x in rows:
        if awaits_marking(x):
            counts["pending"] += 1
        elif x["points"] <= 0:
            continue
        elif x["score"] >= x["points"]:
            counts["full"] += 1
        else:
            counts["partial" if x["score"] > 0 else "none"] += 1
    return counts


def most_failed(results: Sequence[Mapping[str, Any]], limit: int = 8) -> list[dict[str, Any]]:
    """The checks most students failed: how many, and the message most of them got.

    Counted by check, not by message: messages differ from student to student (their
    numbers, their variable names), and one student's checks can share a message.
    """
    students: Counter[str] = Counter()
    messages: dict[str, Counter[str]] = {}
    titles: dict[str, str] = {}
    for r in results:
        for q in r["questions"]:
            for c in q["checks"]:
                if c["outcome"] in ("fail", "error"):
                    students[c["id"]] += 1
                    messages.setdefault(c["id"], Counter())[str(c["message"])] += 1
                    titles[c["id"]] = q["title"]
    rows = []
    for check_id, n in students.most_common(limit):  # ties stay in the questions' order
        message, same = messages[check_id].most_common(1)[0]
        rows.append({"check": check_id.split(".")[-1], "question": titles[check_id],
                     "students": n, "message": message, "same": same})
    return rows


def render_summary(results: Sequence[Mapping[str, Any]], title: str,
                   questions: Sequence[Mapping[str, Any]], max_score: float,
                   out_path: Path, absent: Sequence[str] = ()) -> Path:
    """Write the class summary HTML (``absent``: on the class list, nothing handed in)."""
    html = _env().get_template("summary.html.j2").render(
        **summary_context(results, title, questions, max_score, absent))
    out_path.write_text(html, encoding="utf-8")
    return out_path


def write_grades_csv(results: Sequence[Mapping[str, Any]], question_ids: Sequence[str],
                     out_path: Path) -> Path:
    """``grades.csv``: student, score, max_score, status, manual_pending, then each question.

    A question whose written answer awaits marking has an empty cell (never 0); the
    ``score`` is then the points so far and ``manual_pending`` says how many answers
    are still to mark. Written whole or not at all (a temporary file, then renamed):
    Ctrl-C mid-write never leaves half a class in it.
    """
    with written_whole(out_path) as tmp, tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max_score", "status", "manual_pending",
                         *question_ids])
        for r in sorted(results, key=lambda r: roster_order(r["student"])):
            by_q = {q["id"]: f"{q['score']:g}" for q in r.get("questions", [])
                    if not awaits_marking(q)}
            score = "" if r.get("score") is None else f"{r['score']:g}"
            writer.writerow([r["student"], score, f"{r['max_score']:g}", r["status"],
                             sum(c["outcome"] == "manual" for q in r.get("questions", [])
                                 for c in q["checks"]),
                             *(by_q.get(q, "") for q in question_ids)])
    return out_path
