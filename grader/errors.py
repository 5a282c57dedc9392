"""The one exception tree of grader.

Every error names the file it is about (``path``) and carries its details as
structured fields, so batch code can record it and tests can assert on it.
All of them pickle, so they cross process boundaries intact.
"""

from __future__ import annotations

import os
from typing import Any

# the names a cell's failure carries when the grader, not Python, says why it failed
KERNEL_DIED = "KernelDied"  # the kernel was gone after the cell (see execute.py)
CELL_TIMEOUT = "CellTimeout"  # the cell ran past its time limit and was interrupted


def _rebuild(cls: type[GraderError], message: str, path: str | None, fields: dict) -> GraderError:
    return cls(message, path=path, **fields)


class GraderError(Exception):
    """Base class: a problem grader can explain in one line."""

    def __init__(self, message: str, *, path: str | os.PathLike[str] | None = None,
                 **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)
        self.fields = fields

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def __reduce__(self) -> tuple:
        return (_rebuild, (type(self), self.message, self.path, self.fields))

    def __getattr__(self, name: str) -> Any:
        fields = self.__dict__.get("fields", {})
        if name in fields:
            return fields[name]
        raise AttributeError(name)


class SpecError(GraderError):
    """An assignment spec is malformed (fields: ``key``)."""


class AssignmentNotFound(GraderError):
    """No assignment pack with that id (fields: ``assignment``, ``known``)."""


class ReferenceResultsMissing(GraderError):
    """Expected results were not built for a profile (fields: ``assignment``, ``profile``)."""


class DataError(GraderError):
    """The MNIST file is missing or not in Keras layout."""


class NotebookError(GraderError):
    """A submission is not a readable Jupyter notebook."""


class ExecutionError(GraderError):
    """The kernel could not run the notebook at all (fields: ``reason``)."""


class ProbeError(GraderError):
    """The probe's output is missing or malformed."""


class EvaluationError(GraderError):
    """The grader-side evaluation of an exported model failed (fields: ``model``)."""


class CheckError(GraderError):
    """A check is unknown or was given bad parameters (fields: ``check``)."""


class GradebookError(GraderError):
    """The gradebook cannot be read or written."""


class OverridesError(GraderError):
    """A manual-grading overrides file is malformed (fields: ``line``)."""


class RosterError(GraderError):
    """A class list cannot be read (fields: ``line``; 0 when not one line's fault)."""


class ReportError(GraderError):
    """A report or export could not be written (fields: ``format``)."""


class SubmissionTimesError(GraderError):
    """A submission-times CSV is malformed (fields: ``line``)."""


class SandboxError(GraderError):
    """Kernels cannot be contained as asked (``--sandbox``, limits)."""


class FolderBusyError(GraderError):
    """Another grader command is writing the output folder (fields: ``pid``, or None)."""


class EnvironmentBuildError(GraderError):
    """A pack's kernel environment could not be built (fields: ``requirements``)."""
