"""The result document of one submission: written by grading, stored, read by reports.

One :class:`Result` per graded (or failed) notebook. :mod:`grader.grading` writes it
(:func:`grader.grading.assess.assess`, :func:`grader.grading.submission.error_result`),
the gradebook stores it as JSON, and the reports, exports and CLI read it. The keys are
named here once; a reader that needs a key a result may lack uses ``.get``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict


class Timings(TypedDict, total=False):
    """Seconds spent on a submission."""

    execute: float
    evaluate: float
    total: float
    kernel_ready_ahead: float


class Result(TypedDict, total=False):
    """What grading one submission produced (``status`` ``graded`` or ``error``).

    Attributes:
        result_version: The document's own version (:data:`RESULT_VERSION`).
        student: The student id (file or folder name, see :mod:`grader.students`).
        status: ``graded`` or ``error``.
        error: Why it could not be graded (``status == "error"``).
        error_kind: ``notebook`` (stays until the file changes) or ``grader`` (retried).
        questions: Per question: its score, points, outcome and checks, as plain data.
        models: What the probe found of each model, with the grader's ``evaluation``.
        rechecked: Graded from its stored run, without running the notebook again.
    """

    result_version: int
    student: str
    assignment: str
    title: str
    file: str
    sha256: str
    file_time: str | None  # ISO time of the file (the late rule reads it)
    profile: str
    profile_description: str
    fingerprint: str
    execution_fingerprint: str
    status: str
    error: str | None
    error_kind: str
    traceback: str | None
    score: float
    max_score: float
    manual_pending: int
    questions: list[dict[str, Any]]
    execution: dict[str, Any] | None
    notes: list[str]
    seed: int
    models: list[dict[str, Any]]
    histories: list[dict[str, Any]]
    figures: list[dict[str, Any]]
    calls: dict[str, Any]
    compat: list[dict[str, Any]]
    kernel_env: Sequence[str] | None  # a pack environment's requirements
    keras_version: str | None
    grader_version: str
    hardware: dict[str, Any]
    started_at: float
    sandbox: str | dict[str, Any] | None
    device: str | None
    gpu_seconds: float
    timings: Timings
    rechecked: bool


RESULT_VERSION = 1


def awaits_marking(question: Mapping[str, Any]) -> bool:
    """Whether a question of a result holds a written answer not yet marked (pending, not 0)."""
    return any(c["outcome"] == "manual" for c in question.get("checks", []))
