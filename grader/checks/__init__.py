"""Checks: pure functions over probe data, registered by name.

Importing this package registers every built-in check.
"""

from grader.checks import (  # noqa: F401  (registration)
    accuracy,
    answers,
    artifacts,
    denoising,
    functions,
    history,
    params,
    training,
    variants,
)
from grader.checks.base import (
    CheckInput,
    CheckResult,
    Outcome,
    RegisteredCheck,
    checks,
    question_outcome,
)

__all__ = ["CheckInput", "CheckResult", "Outcome", "RegisteredCheck", "checks",
           "question_outcome"]
