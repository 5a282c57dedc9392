"""grader: grade Keras/TensorFlow notebook assignments and write feedback reports.

Inside a notebook, ``grader.check("q3", assignment="dat405_a7")`` checks one question
against the kernel's live objects (see :mod:`grader.grading.live`); ``%load_ext grader`` adds
the same as a line magic, ``%grader q3 [assignment]``.
"""

from __future__ import annotations

from typing import Any

from grader.version import VERSION as __version__  # noqa: F401 - the package's version


def check(question: str, assignment: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """Check one question of the running notebook now (see :func:`grader.grading.live.check`)."""
    from grader.grading.live import check as live_check

    return live_check(question, assignment, **kwargs)


def use(assignment: str, profile: str | None = None) -> None:
    """Set the assignment later ``grader.check`` calls use (see :func:`grader.grading.live.use`)."""
    from grader.grading.live import use as live_use

    live_use(assignment, profile)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext grader``: register ``%grader QUESTION [ASSIGNMENT]``."""

    def magic(line: str) -> None:
        words = line.split()
        if not words:
            print("usage: %grader QUESTION [ASSIGNMENT]")
            return
        check(words[0], words[1] if len(words) > 1 else None)

    ipython.register_magic_function(magic, "line", "grader")
