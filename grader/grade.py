"""Grade one submission: execute, probe, evaluate, select, check.

The result is one plain-data document that the gradebook stores and the report
renders; nothing in it comes from what the student's code printed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grader
from grader import layers as L
from grader.answers import find_answer, section_of
from grader.checks import CheckInput, CheckResult, Outcome, checks
from grader.errors import GraderError, ProbeError
from grader.evaluate import Evaluator
from grader.execute import execute, export_html, prepare, read_notebook
from grader.inject import probe_cell, setup_cell
from grader.kernel.setup_src import cell_key
from grader.late import file_time
from grader.pack import Pack
from grader.sandbox import Sandbox
from grader.select import Selection, select_model
from grader.spec import MNIST, CheckSpec, Profile, Question, Spec

RESULT_VERSION = 1


def sha256_file(path: Path) -> str:
    """Hex digest of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    evaluator: Evaluator
    fingerprint: str
    parameters: Mapping[str, Any]
    sandbox: Sandbox = field(default_factory=lambda: Sandbox().resolve())


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


MODEL_FILE = re.compile(r"^models/model-\d+\.keras$")
MAX_RECORDS_BYTES = 20 << 20


def read_probe(probe_dir: Path) -> dict[str, Any]:
    """The probe's document, or a clear error saying why it is missing."""
    path = probe_dir / "probe.json"
    if not path.is_file() or path.is_symlink():
        raise ProbeError("the probe did not run, so no models could be collected", path=path)
    if path.stat().st_size > MAX_RECORDS_BYTES:
        raise ProbeError("probe output is implausibly large", path=path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProbeError(f"probe output is not valid JSON ({exc})", path=path) from None
    if not isinstance(doc, dict) or "error" in doc:
        raise ProbeError(f"the probe failed: {doc.get('error') if isinstance(doc, dict) else doc}",
                         path=path)
    if not isinstance(doc.get("models", []), list) or not all(
            isinstance(m, dict) and isinstance(m.get("id"), int) for m in doc.get("models", [])):
        raise ProbeError("probe output is malformed", path=path)
    return doc


def inside(root: Path, rel: str) -> Path | None:
    """``root / rel`` if it is a plain file really inside ``root`` (no symlink, no ``..``)."""
    path = root / rel
    try:
        if path.is_symlink() or not path.is_file():
            return None
        path.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return None
    return path


def collect(probe_dir: Path, dest: Path) -> dict[str, Any]:
    """Copy the probe's output out of the kernel's reach, keeping only untouched model files.

    Each model file must still have the sha256 the probe took right after saving it;
    one that changed or vanished is not graded (and the reason is recorded).
    """
    doc = read_probe(probe_dir)
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "models").mkdir(parents=True)
    for m in doc.get("models", []):
        rel = m.get("file")
        if not rel:
            continue
        src = inside(probe_dir, str(rel)) if MODEL_FILE.match(str(rel)) else None
        if src is None or sha256_file(src) != m.get("sha256"):
            m["file"] = None
            m["export_error"] = ("the saved model file was changed or removed after the probe "
                                 "wrote it, so it was not graded")
            continue
        shutil.copyfile(src, dest / rel)
    (dest / "probe.json").write_text(json.dumps(doc), encoding="utf-8")
    return doc


def read_figures(figures_dir: Path) -> list[dict[str, Any]]:
    """Figures captured in the kernel, last state of each (a bounded read of plain data)."""
    path = inside(figures_dir, "figures.jsonl")
    by_number: dict[int, dict[str, Any]] = {}
    if path is not None:
        with path.open(encoding="utf-8", errors="replace") as f:
            text = f.read(MAX_RECORDS_BYTES)
        for line in text.splitlines():
            try:
                record = json.loads(line)
                by_number[int(record["number"])] = record
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
    return [by_number[k] for k in sorted(by_number)]


def _history_for(model_id: int, histories: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The longest history of the model; else the longest one not tied to any model."""
    linked = [h for h in histories if h.get("model_id") == model_id]
    pool = linked or [h for h in histories if h.get("model_id") is None]
    return max(pool, key=lambda h: h.get("epochs_run", 0), default=None)


def _question_outcome(results: list[CheckResult]) -> str:
    outcomes = {r.outcome for r in results} - {Outcome.SKIPPED}
    if not outcomes:
        return "skipped"
    if outcomes <= {Outcome.PASS}:
        return "pass"
    if Outcome.MANUAL in outcomes and outcomes <= {Outcome.MANUAL, Outcome.PASS}:
        return "manual"
    return "partial" if any(r.score > 0 for r in results) else "fail"


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
            "outcome": _question_outcome(results),
            "selection": selection.to_dict() if selection else None,
            "history_id": (found.get("history") or {}).get("id"),
            "answer": found.get("answer"),
            "checks": [r.to_dict() | {"public": c.public} for r, c in zip(results, q.checks,
                                                                          strict=True)],
        })
    return out


STRUCTURE_KEYS = ("name", "class_name", "built", "input_shape", "output_shape", "total_params",
                  "trainable_params", "non_trainable_params", "layers", "optimizer", "loss",
                  "compiled")


def evaluate_models(models: list[dict[str, Any]], spec: Spec, evaluator: Evaluator,
                    model_dir: Path) -> dict[int, dict[str, Any]]:
    """Read back every saved model in the clean worker and measure it on the dataset it fits.

    Models found only through a ``fit`` call are read (their structure counts) but
    not measured: no variable holds them. Returns results by model id; each read
    model's ``structure`` is in its result, for :func:`verified_models`.
    """
    requests: dict[int, tuple[Path, str | None]] = {}
    evaluations: dict[int, dict[str, Any]] = {}
    not_measured: dict[int, str] = {}
    for m in models:
        dataset = next((d for d in spec.datasets.values()
                        if "layers" in m and L.fits(m, d.inputs, d.classes)), None)
        if not m.get("file"):
            if m.get("export_error"):
                evaluations[m["id"]] = {"error": m["export_error"]}
            continue
        source = dataset.name if dataset else None
        if m.get("fit_only"):
            source = None
            not_measured[m["id"]] = ("not measured: no variable holds this model any more (it "
                                     "was found through its `fit` call)")
        elif dataset is not None and dataset.name not in evaluator.sources:
            source = None
            not_measured[m["id"]] = (f"not measured: no `{dataset.name}` data was supplied "
                                     f"(--data {dataset.name}=PATH)")
        requests[m["id"]] = (model_dir / m["file"], source)
    measured = evaluator.evaluate(list(requests.values()))
    for mid, (path, _) in requests.items():
        result = measured.get(str(path.resolve()), {"error": "not evaluated"})
        if mid in not_measured and "error" not in result:
            result = result | {"error": not_measured[mid]}
        evaluations[mid] = result
    if spec.denoising is not None:
        for mid, curves in denoise_models(models, evaluations, evaluator, model_dir).items():
            evaluations[mid] = {**evaluations.get(mid, {}), **curves}
    return evaluations


def verified_models(models: list[dict[str, Any]],
                    evaluations: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The probe's models with their structure replaced by what the grader read from the files.

    A model whose file the grader could not read (a Lambda layer, a custom object)
    keeps no structure: nothing the kernel claimed about it is graded.
    """
    out = []
    for m in models:
        ev = evaluations.get(m["id"], {})
        read = ev.pop("structure", None)
        if read and "error" not in read:
            kernel = {k: m.get(k) for k in ("total_params", "layers")}
            m = m | {k: read[k] for k in STRUCTURE_KEYS if k in read} | {"verified": True}
            if kernel["total_params"] not in (None, m["total_params"]):
                m["kernel_claimed"] = {"total_params": kernel["total_params"]}
        elif m.get("file"):
            why = (read or {}).get("error") or ev.get("error") or "its file could not be read"
            m = {k: v for k, v in m.items() if k not in STRUCTURE_KEYS} | {"unverified": why}
        out.append(m)
    return out


def best_classifier(models: list[dict[str, Any]],
                    evaluations: Mapping[int, Mapping[str, Any]]) -> dict[str, Any] | None:
    """The notebook's MNIST classifier with the best grader-measured accuracy."""
    measured = [m for m in models if evaluations.get(m["id"], {}).get("dataset") == MNIST
                and evaluations[m["id"]].get("accuracy") is not None]
    if not measured:
        return None
    best = max(measured, key=lambda m: (evaluations[m["id"]]["accuracy"], m["id"]))
    ev = evaluations[best["id"]]
    return {"id": best["id"], "path": best["path"], "file": best["file"],
            "accuracy": ev["accuracy"], "scaling": ev["scaling"]}


def denoise_models(models: list[dict[str, Any]], evaluations: Mapping[int, Mapping[str, Any]],
                   evaluator: Evaluator, work_dir: Path) -> dict[int, dict[str, Any]]:
    """Denoising curves of each exported autoencoder, measured with the best classifier."""
    autoencoders = [m for m in models if m.get("file") and "layers" in m
                    and L.input_size(m) == 784 and L.output_size(m) == 784]
    if not autoencoders:
        return {}
    classifier = best_classifier(models, evaluations)
    if classifier is None:
        why = ("no MNIST classifier of the notebook could be measured, so the denoising curves "
               "(a classifier's accuracy on noisy and denoised images) could not be drawn")
        return {m["id"]: {"error": why} for m in autoencoders}
    requests = {m["id"]: (work_dir / m["file"], work_dir / classifier["file"],
                          classifier["scaling"]) for m in autoencoders}
    measured = evaluator.denoise(list(requests.values()))
    return {mid: measured.get(str(req[0].resolve()), {"error": "not evaluated"})
            | {"classifier": {k: v for k, v in classifier.items() if k != "file"}}
            for mid, req in requests.items()}


def cell_numbers(cells: list[dict[str, Any]]) -> dict[str, int]:
    """Cell key (hash of the source, as the kernel records it) to the notebook's cell number."""
    out: dict[str, int] = {}
    for number, cell in enumerate(cells, 1):
        if cell.get("cell_type") == "code":
            out.setdefault(cell_key(cell.get("source", "")), number)
    return out


def locate(records: list[dict[str, Any]], numbers: Mapping[str, int]) -> list[dict[str, Any]]:
    """Replace the kernel's cell keys in figures or histories with cell numbers."""
    return [r | {"cell": numbers.get(str(r.get("cell")))} for r in records]


def prepare_work_dir(path: Path, setup: GradingSetup, work_dir: Path) -> None:
    """A fresh work dir holding only what the kernel may see: the notebook and the pack's files."""
    if work_dir.exists():
        shutil.rmtree(work_dir)
    (work_dir / "figures").mkdir(parents=True)
    shutil.copyfile(path, work_dir / "submission.ipynb")
    for pattern in setup.pack.spec.kernel_files:
        for file in sorted(setup.pack.root.glob(pattern)):
            shutil.copyfile(file, work_dir / file.name)


def grade_submission(path: Path, student: str, setup: GradingSetup, student_dir: Path) -> dict:
    """Grade one notebook file; raises :class:`GraderError` only when nothing can be graded.

    ``student_dir/work`` is the kernel's (the only place it can write); everything
    the grader keeps (executed notebook, kernel log, collected models, result) goes
    beside it, out of the kernel's reach.
    """
    started = time.time()
    digest = sha256_file(path)
    nb = read_notebook(path)
    work_dir = student_dir / "work"
    prepare_work_dir(path, setup, work_dir)
    cells = [dict(c) for c in nb.cells]
    for number, cell in enumerate(cells, 1):
        cell["metadata"] = {"grader": {"cell": number}}
    seed = setup.profile.seed
    probe_dir = work_dir / f".probe-{secrets.token_hex(8)}"
    prepared = prepare(nb, setup_cell(seed, setup.kernel_mnist, work_dir / "figures"),
                       probe_cell(probe_dir, calls=list(setup.pack.spec.calls)))
    params = {**setup.profile.parameters, **setup.parameters}
    data_files = [setup.kernel_mnist]
    for source in setup.evaluator.sources.values():
        if source.dataset.parameter:
            params[source.dataset.parameter] = str(source.path)
            data_files.append(source.path)
    run = execute(prepared, work_dir, kernel_env=kernel_env(work_dir, seed, setup.profile.name),
                  parameters=params, cell_timeout=setup.profile.cell_timeout,
                  notebook_timeout=setup.profile.notebook_timeout, sandbox=setup.sandbox,
                  read_only=data_files, executed_path=student_dir / "executed.ipynb")
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
        "keras_version": probe.get("keras_version"), "grader_version": grader.__version__,
        "hardware": hardware(probe.get("gpus")), "started_at": started,
        "sandbox": setup.sandbox.describe(),
        "timings": {"execute": round(run.seconds, 2), "evaluate": round(eval_seconds, 2),
                    "total": round(time.time() - started, 2)},
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
