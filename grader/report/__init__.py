"""Feedback reports: per-student HTML and the class summary, from plain result dicts."""

from grader.report.render import render_student, render_summary, write_grades_csv

__all__ = ["render_student", "render_summary", "write_grades_csv"]
