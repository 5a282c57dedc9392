"""Feedback reports: per-student HTML and the class summary, from plain result dicts.

The renderers load on first use (they import pyplot, about a second), so the CLI can
check ``--audience`` before a batch asks for its fork server.
"""

from __future__ import annotations

from typing import Any

AUDIENCES = ("instructor", "student")
_RENDERERS = ("render_student", "render_summary", "write_grades_csv")
__all__ = ["AUDIENCES", *_RENDERERS]


def __getattr__(name: str) -> Any:
    """The renderers of :mod:`grader.report.render`, imported when first asked for."""
    if name in _RENDERERS:
        from grader.report import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
