"""From a notebook's run to its result: measure its models, select, check.

What a run left for grading (the probe's document, the figures, the execution record)
is kept beside the result as ``run.json``. When a batch's spec changes only in what
it checks (points, thresholds, checks, the reference's results), the stored run of an
unchanged notebook is graded again instead of executing the notebook a second time.
"""

from __future__ import annotations

import copy
import json
import os
import platform
import time
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from grader.assignment.pack import Pack
from grader.assignment.parts import cell_parts, missing_parts, part_metadata
from grader.assignment.spec import MNIST, CheckSpec, Question
from grader.checks import CheckInput, CheckResult, Outcome, checks, question_outcome
from grader.checks.hints import HINTS
from grader.checks.history import epochs_asked
from grader.errors import CELL_TIMEOUT
from grader.evaluate.measure import evaluate_models, verified_models
from grader.execute.collect import cell_numbers, locate, locate_lines
from grader.files import write_text_whole
from grader.gradebook.late import file_time
from grader.gradebook.result import RESULT_VERSION, Result
from grader.grading.answers import answers_in, starter_labels, unmapped_labels
from grader.grading.selection import Selection, annotate_fits, select_model
from grader.grading.setup import GradingSetup
from grader.notebook import read_notebook
from grader.version import VERSION

RUN_FILE = "run.json"
RUN_VERSION = 1


def hardware(gpus: list[str] | None = None) -> dict[str, Any]:
    """Where grading ran, for the report header; ``gpus`` as the kernel's TensorFlow saw them."""
    return {"machine": platform.machine(), "system": platform.system(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "gpu": ", ".join(gpus) if gpus else "none", "device": "GPU" if gpus else "CPU"}


def _history_for(model_id: int, histories: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The longest history of the model; else the longest one not tied to any model."""
    linked = [h for h in histories if h.get("model_id") == model_id]
    pool = linked or [h for h in histories if h.get("model_id") is None]
    return max(pool, key=epochs_asked, default=None)


def _hint(spec_check: CheckSpec, result: CheckResult) -> str | None:
    """The spec's hint for a check, else the check's own.

    A check's own hint improves the graded model ("train longer"): with no model to
    grade it would mislead, and the check's message says what to do instead.
    """
    own = spec_check.params.get("hint")
    if own:
        return str(own)
    if result.details.get("no_model"):
        return None
    return HINTS.get(spec_check.name) or None


def _reference_model(question: Question) -> str | None:
    """The reference model a question compares with (for the report's curves)."""
    for c in question.checks:
        name = c.params.get("reference") or c.params.get("upper_model")
        if name:
            return str(name)
    return question.select.reference if question.select else None


def run_check(spec_check: CheckSpec, question: Question, found: Mapping[str, Any],
              expected: Mapping[str, Any]) -> CheckResult:
    """Run one check of a question; a check that raises is recorded as its error."""
    check_id = f"{question.id}.{spec_check.name}"
    registered = checks.get(spec_check.name)
    if spec_check.points == 0:  # shown for no points: judged as if worth one, then scaled
        worth_one = replace(spec_check, points=1.0)
        result = run_check(worth_one, question, found, expected)
        details = ({**result.details, "points": 0.0} if "points" in result.details
                   else result.details)
        return replace(result, score=0.0, max_score=0.0, details=details)
    inp = CheckInput(check_id, spec_check.points, spec_check.params,
                     expected.get("checks", {}).get(check_id, {}), found)
    if inp.expected.get("hidden"):  # a student edition: its expected values were left out
        return inp.skipped(f"A hidden check worth {spec_check.points:g} point(s): your "
                           "instructor's grader runs it.", hidden=True)
    try:
        return registered.run(inp)
    except Exception as exc:  # noqa: BLE001 - a faulty check is recorded, never fatal
        return CheckResult(check_id, Outcome.ERROR, 0.0, spec_check.points,
                           f"The check itself failed ({type(exc).__name__}: {exc}); "
                           "tell your instructor.", {"error": repr(exc)})


def _given_only(spec_check: CheckSpec, question: Question, selection: Selection) -> CheckResult:
    """A check of a question whose only candidate is the model the starter gives: no points.

    Its figures and curves, too, are then the given code's, not the student's.
    """
    inp = CheckInput(f"{question.id}.{spec_check.name}", spec_check.points, spec_check.params,
                     {}, {})
    return inp.failed(f"Nothing of your own to grade here: {selection.reason}.", no_model=True,
                      expected=selection.looked_for, found="only the given model")


def grade_questions(
    pack: Pack, expected: Mapping[str, Any], probe: Mapping[str, Any],
    evaluations: Mapping[int, Mapping[str, Any]], figures: list[dict[str, Any]],
    cells: list[dict[str, Any]], available: Collection[str] = (MNIST,),
) -> list[dict[str, Any]]:
    """Select each question's object and run its checks (pure: plain data in and out).

    ``available`` names the datasets the grader could measure on; checks on the
    others are skipped and count 0 of 0.
    """
    models = probe.get("models", [])
    by_id = {m["id"]: m for m in models}
    histories = probe.get("histories", [])
    annotate_fits(models, histories, cells)
    refs = expected.get("models", {})
    written = answers_in(pack.spec, pack.starter, cells)
    parts = cell_parts(cells)
    selections: dict[str, tuple[Selection, str]] = {}
    out = []
    for q in pack.spec.questions:
        mine = _of_part(q.notebook, parts)
        found: dict[str, Any] = {"figures": mine(figures), "arrays": probe.get("arrays", []),
                                 "models": mine(models, "fit_cell"),
                                 "histories": mine(histories),
                                 "calls": probe.get("calls", {})}
        selection = None
        if q.select is not None:
            if q.select.same_as:
                selection, dataset = selections[q.select.same_as]
            else:
                ref = refs.get(q.select.reference) if q.select.reference else None
                dataset = q.select.dataset
                given = {n: refs[n] for n in q.select.exclude_given if n in refs}
                selection = select_model(q.select, found["models"], evaluations, ref,
                                         pack.spec.datasets[dataset], given)
            selections[q.id] = (selection, dataset)
            if dataset not in available:
                found["dataset_missing"] = dataset
            found["selection"] = selection.to_dict()
            mid = selection.model_id
            model = by_id.get(mid) if mid is not None else None
            found["model"] = model
            found["evaluation"] = evaluations.get(mid) if mid is not None and model else None
            found["history"] = (_history_for(mid, found["histories"]) if mid is not None
                                and model else None)
        where = written[q.id]
        if q.answer is not None:
            found["answer"] = where["answer"]
            found["unlocated"] = where["unlocated"]
        if where["section"] is not None:
            found["section"] = where["section"]
        passed_over = selection if selection is not None and selection.given else None
        results = [_given_only(c, q, passed_over) if passed_over is not None
                   and not c.name.startswith("answer_")  # written answers are still read
                   else run_check(c, q, found, expected) for c in q.checks]
        out.append({
            "id": q.id, "title": q.title, "manual": q.manual,
            "points": round(sum(r.max_score for r in results), 2),
            "reference_model": _reference_model(q),
            "score": round(sum(r.score for r in results), 2),
            "outcome": question_outcome([r.outcome.value for r in results],
                                        any(r.score > 0 for r in results)),
            "selection": selection.to_dict() if selection else None,
            "history_id": (found.get("history") or {}).get("id"),
            "answer": found.get("answer"),
            "cells": where["section"],  # the question's cells, where the notebook shows them
            "checks": [r.to_dict() | {"public": c.public, "hint": _hint(c, r)}
                       for r, c in zip(results, q.checks, strict=True)],
        })
    return out


def _of_part(notebook: str | None, parts: Mapping[int, str]) -> Any:
    """A filter keeping the records (models, histories, figures) of one notebook's cells.

    Records with no cell (a model never trained) are kept: nothing says where they are
    from. With no notebook named, or a notebook that was not joined, all are kept.
    """
    def keep(records: list[dict[str, Any]], key: str = "cell") -> list[dict[str, Any]]:
        if notebook is None or not parts:
            return records
        return [r for r in records if r.get(key) is None or parts.get(int(r[key])) == notebook]
    return keep


@dataclass(frozen=True)
class Run:
    """What one execution of a notebook left for grading, as plain data.

    The saved models it names are in the student's ``collected/`` folder, the figures'
    images in ``work/figures/``; both stay where the grader put them.
    """

    execution_fingerprint: str
    sha256: str
    started_at: float
    execution: dict[str, Any]
    probe: dict[str, Any]
    figures: list[dict[str, Any]]
    notes: list[str]
    device: str
    gpu: bool
    kernel_ready_ahead: float = 0.0
    evaluations: dict[str, Any] | None = None
    evaluation_fingerprint: str = ""

    def save(self, student_dir: Path) -> None:
        """Write ``run.json`` (whole, or not at all: a temporary file, then renamed)."""
        write_text_whole(student_dir / RUN_FILE,
                         json.dumps({"run_version": RUN_VERSION} | asdict(self)))

    @classmethod
    def load(cls, student_dir: Path) -> Run | None:
        """The stored run of a student's folder; None when there is none usable."""
        try:
            doc = json.loads((student_dir / RUN_FILE).read_text(encoding="utf-8"))
            if not isinstance(doc, dict) or doc.pop("run_version", None) != RUN_VERSION:
                return None
            return cls(**doc)
        except (OSError, ValueError, TypeError):
            return None

    def reusable(self, sha256: str, execution_fingerprint: str, student_dir: Path) -> bool:
        """Whether this run is what executing the notebook again would give.

        Same notebook bytes, same execution fingerprint, and every saved model it names
        still in ``collected/``. A run that ran out of time (a cell or the notebook) or
        lost its kernel is never reused: that may have been the moment's (a busy machine).
        """
        if not execution_fingerprint or (self.sha256, self.execution_fingerprint) != (
                sha256, execution_fingerprint):
            return False
        ex = self.execution
        if ex.get("deadline_hit") or ex.get("kernel_died_in") is not None or any(
                f.get("ename") == CELL_TIMEOUT for f in ex.get("failures", [])):
            return False
        return all((student_dir / "collected" / str(m["file"])).is_file()
                   for m in self.probe.get("models", []) if m.get("file"))

    def measurements(self, evaluation_fingerprint: str) -> dict[int, dict[str, Any]] | None:
        """The stored measurements of the run's models, if taken under this fingerprint."""
        if (self.evaluations is None or not evaluation_fingerprint
                or self.evaluation_fingerprint != evaluation_fingerprint):
            return None
        return {int(k): v for k, v in copy.deepcopy(self.evaluations).items()}


def measure(run: Run, setup: GradingSetup, student_dir: Path) -> dict[int, dict[str, Any]]:
    """The run's models measured in the clean worker, or as stored with the run.

    New measurements are stored with the run unless one failed for the moment's reason (a
    worker out of time or gone: ``transient``), so the next check of the run skips them.
    What the grader chose not to measure, or a model file it refuses, is stored as is.
    """
    stored = run.measurements(setup.evaluation_fingerprint)
    if stored is not None:
        return stored
    evaluations = evaluate_models(run.probe.get("models", []), setup.pack.spec, setup.evaluator,
                                  student_dir / "collected")
    if setup.evaluation_fingerprint and not any(e.get("transient") for e in evaluations.values()):
        run = replace(run, evaluations={str(k): v for k, v in copy.deepcopy(evaluations).items()},
                      evaluation_fingerprint=setup.evaluation_fingerprint)
    run.save(student_dir)
    return evaluations


def numbered_cells(nb: Any) -> list[dict[str, Any]]:
    """The notebook's cells as plain dicts, each tagged with its number (from 1)."""
    cells = [dict(c) for c in nb.cells]
    for number, cell in enumerate(cells, 1):
        cell["metadata"] = {"grader": {"cell": number} | part_metadata(cell)}
    return cells


def assess(run: Run, path: Path, student: str, cells: list[dict[str, Any]],
           setup: GradingSetup, student_dir: Path, turn: float,
           rechecked: bool = False) -> Result:
    """Measure the run's models in the clean worker, select and check: the result document.

    ``turn`` is when the submission's turn came (its total time counts from there);
    ``rechecked``: the run is an earlier one, not executed for this result (its notes
    say so). Writes ``result.json``, and the run with its measurements, beside it.
    """
    probe = copy.deepcopy(run.probe)
    eval_started = time.time()
    evaluations = measure(run, setup, student_dir)
    probe["models"] = verified_models(probe.get("models", []), evaluations)
    eval_seconds = time.time() - eval_started
    numbers = cell_numbers(cells)
    figures = locate(copy.deepcopy(run.figures), numbers)
    probe["histories"] = locate(probe.get("histories", []), numbers)
    questions = grade_questions(setup.pack, setup.expected, probe, evaluations, figures, cells,
                                setup.evaluator.sources)
    execute_seconds = float(run.execution.get("seconds") or 0.0)
    result: Result = {
        "result_version": RESULT_VERSION,
        "student": student, "assignment": setup.pack.id, "title": setup.pack.spec.title,
        "file": str(path), "sha256": run.sha256, "file_time": file_time(path),
        "profile": setup.profile.name,
        "profile_description": setup.profile.description, "fingerprint": setup.fingerprint,
        "execution_fingerprint": run.execution_fingerprint,
        "status": "graded", "error": None, "traceback": None,
        "score": round(sum(q["score"] for q in questions), 2),
        "max_score": round(sum(q["points"] for q in questions), 2),
        "manual_pending": sum(1 for q in questions for c in q["checks"]
                              if c["outcome"] == "manual"),
        "questions": questions,
        "execution": run.execution,
        "notes": [*run.notes, *_missing_note(cells),
                  *_unmapped_note(setup.pack.spec, cells, setup.pack.starter),
                  *_shortened_note(probe.get("histories", []), setup.profile.name),
                  *([_rechecked(run)] if rechecked else [])],
        "seed": setup.profile.seed,
        "models": [m | {"evaluation": evaluations.get(m["id"])} for m in probe.get("models", [])],
        "histories": probe.get("histories", []), "figures": figures,
        "calls": probe.get("calls", {}),
        "compat": locate_lines(probe.get("compat", []), cells),
        "kernel_env": setup.kernel.requirements if setup.kernel else None,
        "keras_version": probe.get("keras_version"), "grader_version": VERSION,
        "hardware": hardware(probe.get("gpus")), "started_at": run.started_at,
        "sandbox": setup.sandbox.describe(), "device": run.device,
        "gpu_seconds": round(execute_seconds, 2) if run.gpu else 0.0,
        "timings": {"execute": round(execute_seconds, 2), "evaluate": round(eval_seconds, 2),
                    "total": round(time.time() - turn, 2),
                    "kernel_ready_ahead": round(run.kernel_ready_ahead, 2)},
        "rechecked": rechecked,
    }
    (student_dir / "result.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


def reassess(path: Path, student: str, run: Run, setup: GradingSetup,
             student_dir: Path) -> Result:
    """Grade a stored run again under the batch's spec, without executing the notebook.

    The result says so in its notes (with the date of the run) and in ``rechecked``.
    """
    return assess(run, path, student, numbered_cells(read_notebook(path)), setup, student_dir,
                  time.time(), rechecked=True)


def _shortened_note(histories: list[dict[str, Any]], profile: str) -> list[str]:
    """What the profile shortened: training calls cut to its epochs or training subset."""
    capped = [h for h in histories if h.get("epochs_requested")]
    cut = [h for h in histories if h.get("samples_given")]
    if not capped and not cut:
        return []
    said = []
    if capped:
        asked = max(int(h["epochs_requested"]) for h in capped)
        said.append(f"{len(capped)} training call(s) ran fewer epochs than asked (up to "
                    f"{asked:,}); checks on training length count the epochs asked for")
    if cut:
        given = max(int(h["samples_given"]) for h in cut)
        said.append(f"{len(cut)} trained on the profile's training subset, not all "
                    f"{given:,} samples given")
    return [f"The `{profile}` profile shortened training: {'; '.join(said)}."]


def _missing_note(cells: list[dict[str, Any]]) -> list[str]:
    """What the report says of an assignment's notebooks that were not handed in."""
    missing = missing_parts(cells)
    if not missing:
        return []
    return [f"Not handed in, or not readable: {', '.join(f'`{m}`' for m in missing)} (its "
            "first cell in the executed notebook says which). The questions on "
            f"{'it' if len(missing) == 1 else 'them'} have nothing to grade."]


def _unmapped_note(spec: Any, cells: list[dict[str, Any]], starter: Path) -> list[str]:
    """What the report says of labels in the notebook that name no question."""
    labels = unmapped_labels(spec, cells, starter_labels(starter))
    if not labels:
        return []
    shown = ", ".join(f"`{label}`" for label in labels[:8]) + (" …" if len(labels) > 8 else "")
    return [f"Labels in the notebook that name no question of this assignment: {shown}. "
            "Text under them is not taken as an answer; a marker reads it."]


def _rechecked(run: Run) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.started_at))
    return (f"graded from this notebook's run of {when}: the notebook is unchanged and only "
            "what is checked changed since, so it was not executed again")
