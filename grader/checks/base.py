"""What a check takes and returns, and the registry that names checks.

A check is a pure function: it reads the plain data the probe collected and the
values the reference expects, and returns a frozen :class:`CheckResult`. It never
touches the kernel, files or globals. Assignment specs refer to checks by the
name they were registered under, as papermill refers to engines.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from grader.errors import CheckError


class Outcome(str, Enum):
    """How a check ended."""

    PASS = "pass"
    PARTIAL = "partial"
    FAIL = "fail"
    MANUAL = "manual"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check on one submission."""

    id: str
    outcome: Outcome
    score: float
    max_score: float
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for JSON, SQLite and templates."""
        return {
            "id": self.id,
            "outcome": self.outcome.value,
            "score": self.score,
            "max_score": self.max_score,
            "message": self.message,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class CheckInput:
    """Everything a check may look at, as plain data.

    Attributes:
        check_id: ``"<question>.<check>"``, used as the result's id.
        max_score: Points this check is worth.
        params: The check's parameters from the spec.
        expected: What the reference expects (computed by ``expect`` at build time).
        found: What the probe and the grader's evaluation found for the question.
    """

    check_id: str
    max_score: float
    params: Mapping[str, Any]
    expected: Mapping[str, Any]
    found: Mapping[str, Any]

    def result(
        self, outcome: Outcome, score: float, message: str, **details: Any
    ) -> CheckResult:
        """Build this check's result; the score is clamped to ``[0, max_score]``, 2 decimals."""
        score = round(min(max(score, 0.0), self.max_score), 2)
        return CheckResult(self.check_id, outcome, score, self.max_score, message, details)

    def passed(self, message: str, **details: Any) -> CheckResult:
        """Full marks."""
        return self.result(Outcome.PASS, self.max_score, message, **details)

    def failed(self, message: str, **details: Any) -> CheckResult:
        """No marks."""
        return self.result(Outcome.FAIL, 0.0, message, **details)

    def skipped(self, message: str, **details: Any) -> CheckResult:
        """Not run (its data is missing): worth 0 of 0, so it neither helps nor hurts."""
        return CheckResult(self.check_id, Outcome.SKIPPED, 0.0, 0.0, message,
                           {"points": self.max_score, **details})


def question_outcome(outcomes: Iterable[str], scored: bool) -> str:
    """A question's verdict from its checks' outcomes (``scored``: any check earned points).

    Skipped checks do not count; all passed is ``pass``; passed and awaiting a manual
    grade is ``manual``; otherwise ``partial`` if anything was earned, else ``fail``.
    """
    seen = set(outcomes) - {Outcome.SKIPPED.value}
    if not seen:
        return Outcome.SKIPPED.value
    if seen <= {Outcome.PASS.value}:
        return Outcome.PASS.value
    if seen <= {Outcome.PASS.value, Outcome.MANUAL.value}:
        return Outcome.MANUAL.value
    return Outcome.PARTIAL.value if scored else Outcome.FAIL.value


CheckFn = Callable[[CheckInput], CheckResult]
ExpectFn = Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class RegisteredCheck:
    """A check function and how its expected values derive from reference results."""

    name: str
    run: CheckFn
    expect: ExpectFn
    needs_model: bool


def _no_expectation(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    return {}


ENTRY_POINTS = "grader.checks"  # the entry-point group installed packages register checks in
PACK_CHECKS = "checks.py"  # a pack's own checks, beside its spec.toml


class CheckRegistry:
    """Checks by name; one instance, :data:`checks`, serves the whole package.

    Built-in checks register when :mod:`grader.checks` is imported. Checks from outside
    the package register through the same :meth:`register`: installed packages name a
    module in the ``grader.checks`` entry-point group (loaded on the first look-up, as
    papermill loads its engines), and a pack's own ``checks.py`` is loaded with its spec
    (:meth:`load_pack_checks`).
    """

    def __init__(self) -> None:
        self._checks: dict[str, RegisteredCheck] = {}
        self._plugins_loaded = False
        self._pack_files: dict[Path, str] = {}  # a pack's checks.py: the digest loaded

    def register(
        self, name: str, *, expect: ExpectFn | None = None, needs_model: bool = True
    ) -> Callable[[CheckFn], CheckFn]:
        """Decorator: register ``fn`` under ``name``.

        Args:
            name: The name specs use.
            expect: Derives the expected values from the spec params and the
                reference results; runs when the reference is built.
            needs_model: Whether the question must select a model for this check.
        """

        def decorate(fn: CheckFn) -> CheckFn:
            if name in self._checks:
                raise CheckError(f"check {name!r} is registered twice", check=name)
            self._checks[name] = RegisteredCheck(name, fn, expect or _no_expectation, needs_model)
            return fn

        return decorate

    def load_plugins(self) -> None:
        """Import each module of the ``grader.checks`` entry-point group once; they register.

        Raises:
            CheckError: an entry point that cannot be loaded, naming it.
        """
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=ENTRY_POINTS):
            try:
                ep.load()
            except CheckError:
                raise
            except Exception as exc:  # noqa: BLE001 - named, with the cause kept
                raise CheckError(f"the checks of entry point {ep.name!r} ({ep.value}) could "
                                 f"not be loaded: {type(exc).__name__}: {exc}",
                                 check=ep.name) from exc

    def load_pack_checks(self, pack_root: Path) -> list[str]:
        """Import a pack's ``checks.py`` (if it has one) so that its checks register.

        A file already loaded is not loaded again; a changed one (a new pack version in
        the same folder) is refused rather than mixed with the old. Returns the names it
        registered (empty when there is no file or it was loaded before).

        Raises:
            CheckError: the file fails to import, or registers a name already taken.
        """
        path = (Path(pack_root) / PACK_CHECKS).resolve()
        if not path.is_file():
            return []
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if path in self._pack_files:
            if self._pack_files[path] != digest:
                raise CheckError(f"{path} changed since this process loaded it: start the "
                                 "command again", check=path.parent.name)
            return []
        before = set(self._checks)
        module_name = f"grader_pack_checks_{digest[:12]}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise CheckError(f"{path} cannot be imported", check=path.parent.name)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except CheckError:
            sys.modules.pop(module_name, None)
            raise
        except Exception as exc:  # noqa: BLE001 - named, with the cause kept
            sys.modules.pop(module_name, None)
            raise CheckError(f"{path} failed to load: {type(exc).__name__}: {exc}",
                             check=path.parent.name) from exc
        self._pack_files[path] = digest
        return sorted(set(self._checks) - before)

    def get(self, name: str) -> RegisteredCheck:
        """The check registered as ``name``; a clear error if there is none."""
        if name not in self._checks:
            self.load_plugins()
        try:
            return self._checks[name]
        except KeyError:
            known = ", ".join(sorted(self._checks))
            raise CheckError(f"unknown check {name!r} (known: {known})", check=name) from None

    def names(self) -> list[str]:
        """All registered names, sorted (installed plugins' included)."""
        self.load_plugins()
        return sorted(self._checks)

    def __iter__(self) -> Iterator[RegisteredCheck]:
        """Every registered check, by name."""
        return iter([self._checks[name] for name in self.names()])


checks = CheckRegistry()
