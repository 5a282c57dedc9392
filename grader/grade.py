"""Grade one submission: execute, probe, evaluate, select, check.

The result is one plain-data document that the gradebook stores and the report
renders; nothing in it comes from what the student's code printed.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grader
from grader.answers import find_answer, section_of
from grader.checks import CheckInput, CheckResult, Outcome, checks, question_outcome
from grader.checks.hints import HINTS
from grader.checks.history import epochs_asked
from grader.collect import (
    cell_numbers,
    collect,
    locate,
    locate_lines,
    read_figures,
    sha256_file,
)
from grader.envs import KernelEnv
from grader.envworker import EnvEvaluator
from grader.errors import GraderError, ProbeError
from grader.evaluate import Evaluator
from grader.execute import execute, export_html, prepare, read_notebook
from grader.inject import compat_cell, probe_cell, setup_cell
from grader.kernels import Kernel, launch
from grader.late import file_time
from grader.measure import evaluate_models, verified_models
from grader.pack import Pack
from grader.sandbox import Sandbox
from grader.schedule import Device, Devices
from grader.select import Selection, select_model
from grader.spec import MNIST, CheckSpec, Profile, Question

RESULT_VERSION = 1


def hardware(gpus: list[str] | None = None) -> dict[str, Any]:
    """Where grading ran, for the report header; ``gpus`` as the kernel's TensorFlow saw them."""
    return {"machine": platform.machine(), "system": platform.system(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "gpu": ", ".join(gpus) if gpus else "none", "device": "GPU" if gpus else "CPU"}


@dataclass(frozen=True)
class GradingSetup:
    """Everything shared by the submissions of one batch."""

    pack: Pack
    profile: Profile
    expected: Mapping[str, Any]
    kernel_mnist: Path
    evaluator: Evaluator | EnvEvaluator
    fingerprint: str
    parameters: Mapping[str, Any]
    sandbox: Sandbox = field(default_factory=lambda: Sandbox().resolve())
    devices: Devices = field(default_factory=Devices)
    kernel: KernelEnv | None = None


def kernel_env(work_dir: Path, seed: int, profile: str) -> dict[str, str]:
    """Environment for the student's kernel: quiet TensorFlow, Agg, a private Keras home."""
    return {
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": str(seed),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "KERAS_HOME": str(work_dir / ".keras"),
        "MPLCONFIGDIR": str(work_dir / ".matplotlib"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "TF_DETERMINISTIC_OPS": "1",
        "GRADER_PROFILE": profile,
    }


def _history_for(model_id: int, histories: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The longest history of the model; else the longest one not tied to any model."""
    linked = [h for h in histories if h.get("model_id") == model_id]
    pool = linked or [h for h in histories if h.get("model_id") is None]
    return max(pool, key=epochs_asked, default=None)


def _hint(spec_check: CheckSpec) -> str | None:
    """The spec's hint for a check, else the check's own."""
    return str(spec_check.params.get("hint") or HINTS.get(spec_check.name) or "") or None


def _reference_model(question: Question) -> str | None:
    """The reference model a question compares with (for the report's curves)."""
    for c in question.checks:
        name = c.params.get("reference") or c.params.get("upper_model")
        if name:
            return str(name)
    return question.select.reference if question.select else None


def _run_check(spec_check: CheckSpec, question: Question, found: Mapping[str, Any],
               expected: Mapping[str, Any]) -> CheckResult:
    check_id = f"{question.id}.{spec_check.name}"
    registered = checks.get(spec_check.name)
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
    refs = expected.get("models", {})
    answers = [q.answer for q in pack.spec.questions if q.answer]
    selections: dict[str, tuple[Selection, str]] = {}
    out = []
    for q in pack.spec.questions:
        found: dict[str, Any] = {"figures": figures, "arrays": probe.get("arrays", []),
                                 "models": models, "histories": histories,
                                 "calls": probe.get("calls", {})}
        selection = None
        if q.select is not None:
            if q.select.same_as:
                selection, dataset = selections[q.select.same_as]
            else:
                ref = refs.get(q.select.reference) if q.select.reference else None
                dataset = q.select.dataset
                selection = select_model(q.select, models, evaluations, ref,
                                         pack.spec.datasets[dataset])
            selections[q.id] = (selection, dataset)
            if dataset not in available:
                found["dataset_missing"] = dataset
            found["selection"] = selection.to_dict()
            model = by_id.get(selection.model_id)
            found["model"] = model
            found["evaluation"] = evaluations.get(selection.model_id) if model else None
            found["history"] = _history_for(selection.model_id, histories) if model else None
        if q.answer is not None:
            found["answer"] = find_answer(cells, q.answer, [a for a in answers if a != q.answer])
        if q.headings:
            stops = [h for other in pack.spec.questions if other is not q for h in other.headings]
            found["section"] = section_of(cells, q.headings[0], stops)
        results = [_run_check(c, q, found, expected) for c in q.checks]
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
            "checks": [r.to_dict() | {"public": c.public, "hint": _hint(c)}
                       for r, c in zip(results, q.checks, strict=True)],
        })
    return out


def setup_cells(pack: Pack, seed: int, kernel_mnist: Path, figures_dir: Path,
                max_epochs: int = 0) -> list[Any]:
    """The cells before the student's: setup, then the Keras 2 compatibility layer if on."""
    cells = [setup_cell(seed, kernel_mnist, figures_dir, max_epochs)]
    if pack.spec.compat:
        cells.append(compat_cell())
    return cells


def prepare_work_dir(path: Path, setup: GradingSetup, work_dir: Path) -> None:
    """A fresh work dir holding only what the kernel may see: the notebook and the pack's files."""
    if work_dir.exists():
        shutil.rmtree(work_dir)
    (work_dir / "figures").mkdir(parents=True)
    shutil.copyfile(path, work_dir / "submission.ipynb")
    for pattern in setup.pack.spec.kernel_files:
        for file in sorted(setup.pack.root.glob(pattern)):
            shutil.copyfile(file, work_dir / file.name)


@dataclass
class Started:
    """A submission whose kernel may already be starting: all that runs before its cells."""

    path: Path
    student: str
    student_dir: Path
    started: float
    digest: str
    notebook: Any
    cells: list[dict[str, Any]]
    probe_dir: Path
    parameters: dict[str, Any]
    data_files: list[Path]
    device: Device | None = None
    kernel: Kernel | None = None

    def cancel(self, devices: Devices) -> None:
        """Stop its kernel and free its device (a batch that ends before its turn)."""
        if self.kernel is not None:
            self.kernel.stop()
        if self.device is not None:
            devices.give(self.device)


def start_submission(path: Path, student: str, setup: GradingSetup, student_dir: Path,
                     ahead: bool = False) -> Started:
    """Read the notebook, prepare its work dir, and start its kernel when ``ahead``.

    A kernel started ahead imports the pack's ``[kernel] preload`` modules while an
    earlier notebook still runs. It needs a device: with GPUs all taken, the kernel
    starts in :func:`finish_submission` instead. Raises :class:`GraderError` for a
    file that cannot be graded.
    """
    started = time.time()
    digest = sha256_file(path)
    nb = read_notebook(path)
    work_dir = student_dir / "work"
    prepare_work_dir(path, setup, work_dir)
    cells = [dict(c) for c in nb.cells]
    for number, cell in enumerate(cells, 1):
        cell["metadata"] = {"grader": {"cell": number}}
    probe_dir = work_dir / f".probe-{secrets.token_hex(8)}"
    first = setup_cells(setup.pack, setup.profile.seed, setup.kernel_mnist, work_dir / "figures",
                        setup.profile.max_epochs)
    prepared = prepare(nb, first, probe_cell(probe_dir, calls=list(setup.pack.spec.calls)))
    params = {**setup.profile.parameters, **setup.parameters}
    data_files = [setup.kernel_mnist, *([setup.kernel.path] if setup.kernel else [])]
    for source in setup.evaluator.sources.values():
        if source.dataset.parameter:
            params[source.dataset.parameter] = str(source.path)
            data_files.append(source.path)
    item = Started(path, student, student_dir, started, digest, prepared, cells, probe_dir,
                   params, data_files)
    if ahead:
        item.device = setup.devices.take(wait=False)
        if item.device is not None:
            try:
                item.kernel = _launch(item, setup)
            except GraderError:
                setup.devices.give(item.device)
                item.device = None  # tried again, and recorded if it fails, at its turn
    return item


def _launch(item: Started, setup: GradingSetup) -> Kernel:
    assert item.device is not None
    work_dir = item.student_dir / "work"
    return launch(work_dir, kernel_env=kernel_env(work_dir, setup.profile.seed,
                                                  setup.profile.name) | item.device.env(),
                  sandbox=setup.sandbox, read_only=item.data_files,
                  log_path=item.student_dir / "kernel.log",
                  python=setup.kernel.python if setup.kernel else None,
                  notebook_timeout=setup.profile.notebook_timeout,
                  preload=setup.pack.spec.kernel_preload)


def finish_submission(item: Started, setup: GradingSetup) -> dict:
    """Run the notebook (in its kernel started ahead, if any), probe, evaluate and check.

    ``student_dir/work`` is the kernel's (the only place it can write); everything
    the grader keeps (executed notebook, kernel log, collected models, result) goes
    beside it, out of the kernel's reach.
    """
    turn = time.time()  # its turn: a kernel started ahead has waited before this
    prestarted = item.kernel is not None
    if item.device is None:
        item.device = setup.devices.take()
    device = item.device
    assert device is not None
    try:
        if item.kernel is None:
            item.kernel = _launch(item, setup)
        work_dir = item.student_dir / "work"
        run = execute(item.notebook, work_dir,
                      kernel_env={}, parameters=item.parameters,
                      cell_timeout=setup.profile.cell_timeout,
                      notebook_timeout=setup.profile.notebook_timeout,
                      executed_path=item.student_dir / "executed.ipynb", kernel=item.kernel)
    finally:
        item.kernel = None
        setup.devices.give(device)
        item.device = None
    path, student, student_dir, started = item.path, item.student, item.student_dir, item.started
    probe_dir, cells, digest, seed = item.probe_dir, item.cells, item.digest, setup.profile.seed
    notes = list(run.notes)
    try:
        executed_html: str | None = str(export_html(run.executed_path))
    except Exception as exc:  # noqa: BLE001 - the HTML copy is a convenience, never fatal
        executed_html = None
        notes.append(f"the executed notebook could not be exported to HTML ({exc})"[:300])
    collected = student_dir / "collected"
    try:
        probe = collect(probe_dir, collected)
    except ProbeError as exc:
        if run.kernel_died_in is not None:
            exc = ProbeError(f"the kernel died in cell {run.kernel_died_in}, so nothing after "
                             "it could be collected", path=exc.path)
        notes.append(str(exc.message))
        probe = {"models": [], "histories": [], "arrays": []}
    eval_started = time.time()
    evaluations = evaluate_models(probe.get("models", []), setup.pack.spec, setup.evaluator,
                                  collected)
    probe["models"] = verified_models(probe.get("models", []), evaluations)
    eval_seconds = time.time() - eval_started
    numbers = cell_numbers(cells)
    figures = locate(read_figures(work_dir / "figures"), numbers)
    probe["histories"] = locate(probe.get("histories", []), numbers)
    questions = grade_questions(setup.pack, setup.expected, probe, evaluations, figures, cells,
                                setup.evaluator.sources)
    result = {
        "result_version": RESULT_VERSION,
        "student": student, "assignment": setup.pack.id, "title": setup.pack.spec.title,
        "file": str(path), "sha256": digest, "file_time": file_time(path),
        "profile": setup.profile.name,
        "profile_description": setup.profile.description, "fingerprint": setup.fingerprint,
        "status": "graded", "error": None, "traceback": None,
        "score": round(sum(q["score"] for q in questions), 2),
        "max_score": round(sum(q["points"] for q in questions), 2),
        "manual_pending": sum(1 for q in questions for c in q["checks"]
                              if c["outcome"] == "manual"),
        "questions": questions,
        "execution": run.to_dict() | {"executed_html": executed_html}, "notes": notes,
        "seed": seed,
        "models": [m | {"evaluation": evaluations.get(m["id"])} for m in probe.get("models", [])],
        "histories": probe.get("histories", []), "figures": figures,
        "calls": probe.get("calls", {}),
        "compat": locate_lines(probe.get("compat", []), cells),
        "kernel_env": setup.kernel.requirements if setup.kernel else None,
        "keras_version": probe.get("keras_version"), "grader_version": grader.__version__,
        "hardware": hardware(probe.get("gpus")), "started_at": started,
        "sandbox": setup.sandbox.describe(), "device": device.name,
        "gpu_seconds": round(run.seconds, 2) if device.gpu is not None else 0.0,
        "timings": {"execute": round(run.seconds, 2), "evaluate": round(eval_seconds, 2),
                    "total": round(time.time() - turn, 2),
                    "kernel_ready_ahead": round(turn - started, 2) if prestarted else 0.0},
    }
    (student_dir / "result.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


def error_result(path: Path, student: str, setup: GradingSetup, exc: BaseException,
                 tb: str | None) -> dict[str, Any]:
    """The recorded result of a submission that could not be graded at all."""
    try:
        digest = sha256_file(path)
    except OSError:
        digest = ""
    message = str(exc) if isinstance(exc, GraderError) else f"{type(exc).__name__}: {exc}"
    return {
        "result_version": RESULT_VERSION, "student": student, "assignment": setup.pack.id,
        "title": setup.pack.spec.title, "file": str(path), "sha256": digest,
        "profile": setup.profile.name, "profile_description": setup.profile.description,
        "fingerprint": setup.fingerprint, "status": "error", "error": message, "traceback": tb,
        "score": 0.0, "max_score": setup.pack.spec.max_score, "manual_pending": 0,
        "questions": [], "execution": None, "notes": [], "seed": setup.profile.seed,
        "models": [], "histories": [], "figures": [], "keras_version": None,
        "grader_version": grader.__version__, "hardware": hardware(), "started_at": time.time(),
        "timings": {"execute": 0.0, "evaluate": 0.0, "total": 0.0},
    }
