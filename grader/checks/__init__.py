"""Checks: pure functions over probe data, registered by name.

Importing this package registers every built-in check.
"""

from grader.checks import accuracy, artifacts, history, params  # noqa: F401  (registration)
from grader.checks.base import CheckInput, CheckResult, Outcome, RegisteredCheck, checks

__all__ = ["CheckInput", "CheckResult", "Outcome", "RegisteredCheck", "checks"]
