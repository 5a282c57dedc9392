"""Assignment packs on disk.

A pack is a folder with a spec, a reference implementation, a starter notebook
and the expected results the reference produced, one file per profile.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from grader.assignment.spec import Profile, Spec
from grader.assignment.spec_toml import load_spec
from grader.checks.base import PACK_CHECKS
from grader.errors import AssignmentNotFound, ReferenceResultsMissing, SpecError
from grader.files import FileDigests
from grader.paths import KERNEL_SIDE_CODE, MEASURING_CODE, SOURCE_TREE
from grader.version import VERSION

PACKS_ENV = "GRADER_PACKS"


def _plain(value: Any) -> Any:
    """JSON stand-in for what fingerprints hash: arrays by their bytes, the rest as text."""
    if hasattr(value, "tobytes") and hasattr(value, "shape"):
        return [list(value.shape), str(value.dtype), hashlib.sha256(value.tobytes()).hexdigest()]
    return str(value)


def user_packs_dir() -> Path:
    """Where installed editions live: ``$XDG_DATA_HOME/grader/packs`` (``~/.local/share``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "grader" / "packs"


def pack_roots() -> list[Path]:
    """Folders searched for packs, first match wins.

    ``$GRADER_PACKS``, ``./reference``, the editions installed with ``grader pack
    install``, then the source tree's ``reference/``.
    """
    roots = [Path(p) for p in os.environ.get(PACKS_ENV, "").split(os.pathsep) if p]
    roots.append(Path.cwd() / "reference")
    roots.append(user_packs_dir())
    roots.append(SOURCE_TREE / "reference")
    unique: list[Path] = []
    for root in roots:
        if root.is_dir() and root.resolve() not in [u.resolve() for u in unique]:
            unique.append(root)
    return unique


@dataclass(frozen=True)
class Pack:
    """One assignment pack on disk."""

    root: Path
    spec: Spec

    @property
    def id(self) -> str:
        """The assignment id."""
        return self.spec.id

    @property
    def reference_file(self) -> Path:
        """The reference Keras implementation."""
        return self.root / "reference.py"

    @property
    def starter(self) -> Path:
        """The notebook students start from (a folder of them: ``starter/``, when several)."""
        return self.root / ("starter" if self.spec.notebooks else "starter.ipynb")

    @property
    def starter_files(self) -> list[Path]:
        """The starter notebooks, in the course's order."""
        return [self.root / f for f in self.spec.starter_files]

    @functools.cached_property
    def starter_takes_parameters(self) -> bool:
        """Whether a starter has a cell tagged ``parameters`` (papermill's) for profiles'.

        A course's own notebooks have none: then a profile's ``parameters`` are its
        reference's alone, and a notebook is not told that none were injected.
        """
        for path in self.starter_files:
            try:
                cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            except (OSError, ValueError, AttributeError):
                continue
            if any("parameters" in (c.get("metadata") or {}).get("tags", []) for c in cells
                   if isinstance(c, dict)):
                return True
        return False

    def expected_path(self, profile: str) -> Path:
        """Where the expected results of a profile live."""
        return self.root / "expected" / f"{profile}.json"

    def expected(self, profile: str) -> dict[str, Any]:
        """The expected results of a profile; a clear error if they were never built."""
        self.spec.profile(profile)
        path = self.expected_path(profile)
        if not path.exists():
            raise ReferenceResultsMissing(
                f"no expected results for profile {profile!r}; run "
                f"`grader reference build {self.id} --profile {profile}`",
                path=path, assignment=self.id, profile=profile,
            )
        try:
            expected = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SpecError(f"expected results are not valid JSON: {exc}", path=path,
                            key="") from None
        wanted = [f"{q.id}.{c.name}" for q in self.spec.questions for c in q.checks]
        stale = [w for w in wanted if w not in expected.get("checks", {})]
        if stale:
            raise ReferenceResultsMissing(
                f"expected results predate the spec (nothing for {', '.join(stale[:3])}); run "
                f"`grader reference build {self.id} --profile {profile}`",
                path=path, assignment=self.id, profile=profile,
            )
        return expected

    def execution_fingerprint(self, profile: Profile, data_files: Sequence[Path] = (),
                              given: Mapping[str, Any] | None = None,
                              digests: FileDigests | None = None) -> str:
        """Hash of what decides how a notebook runs: what its kernel sees and is given.

        That is the profile, the spec's ``[kernel]`` settings, its probe calls and data
        parameters, the pack's files kernels see, the data files (MNIST included), the
        grader's code that runs in the kernel, and what the batch adds (``given``: extra
        parameters, the sandbox). A spec change outside it (points, thresholds, checks,
        reference results) leaves a stored run valid: it is graded again, not executed
        again. ``digests`` lets a batch read each file once for all its fingerprints.
        """
        spec, digests = self.spec, digests or FileDigests()
        doc = {
            "grader": VERSION,
            "profile": {f.name: getattr(profile, f.name) for f in fields(profile)}
            | {"parameters": dict(profile.parameters)},
            "kernel": {"requirements": spec.kernel_requirements, "packages": spec.kernel_packages,
                       "preload": spec.kernel_preload,
                       "compat": spec.compat, "files": spec.kernel_files,
                       "data": [asdict(f) for f in spec.course_files]},
            "calls": [dict(c) for c in spec.calls],
            "datasets": {name: d.parameter for name, d in spec.datasets.items()},
            "given": dict(given or {}),
        }
        h = hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode())
        for path in KERNEL_SIDE_CODE:
            h.update(path.read_bytes())
        kernel_files = [f for pattern in spec.kernel_files for f in self.root.glob(pattern)]
        for path in sorted(kernel_files) + sorted(Path(p) for p in data_files):
            h.update(digests(path).encode())
        return h.hexdigest()[:16]

    def evaluation_fingerprint(self, data_files: Sequence[Path],
                               images: Mapping[str, Any] | None = None,
                               digests: FileDigests | None = None) -> str:
        """Hash of what decides the grader's own measurements of a run's saved models.

        That is the spec's datasets and denoising settings, its kernel requirements (the
        Keras that reads the models), the data measured on (every file, MNIST included),
        the digit images, and the grader's measuring code. Measurements stored with a run
        under the same hash are reused when the run is checked again.
        """
        spec, digests = self.spec, digests or FileDigests()
        doc = {
            "grader": VERSION,
            "datasets": {name: asdict(d) for name, d in spec.datasets.items()},
            "denoising": asdict(spec.denoising) if spec.denoising else None,
            "requirements": spec.kernel_requirements,
            "images": dict(images or {}),
        }
        h = hashlib.sha256(json.dumps(doc, sort_keys=True, default=_plain).encode())
        for path in MEASURING_CODE:
            h.update(path.read_bytes())
        for path in data_files:
            h.update(digests(path).encode())
        return h.hexdigest()[:16]

    def fingerprint(self, profile: str, data_files: Sequence[Path] = (),
                    execution: str = "", digests: FileDigests | None = None) -> str:
        """Hash of what decides a grade besides the notebook.

        That is the spec, the expected results, the grader's version, the pack's
        files kernels see or the grader labels with, its own checks (``checks.py``),
        the extra data files an instructor supplied, and the run's
        :meth:`execution_fingerprint`.
        """
        digests = digests or FileDigests()
        h = hashlib.sha256(self.spec.path.read_bytes())
        h.update(VERSION.encode())
        pack_files = [f for pattern in self.spec.kernel_files for f in self.root.glob(pattern)]
        if self.spec.example_images:
            pack_files.append(self.root / self.spec.example_images)
        if (self.root / PACK_CHECKS).is_file():
            pack_files.append(self.root / PACK_CHECKS)
        for path in sorted(pack_files) + sorted(Path(p) for p in data_files):
            h.update(digests(path).encode())
        path = self.expected_path(profile)
        h.update(path.read_bytes() if path.exists() else b"")
        h.update(profile.encode())
        h.update(execution.encode())
        return h.hexdigest()[:16]


def find_pack(assignment: str, roots: list[Path] | None = None) -> Pack:
    """Load the pack with id ``assignment`` from the pack roots."""
    roots = pack_roots() if roots is None else roots
    for root in roots:
        spec_path = root / assignment / "spec.toml"
        if spec_path.exists():
            spec = load_spec(spec_path)
            if spec.id != assignment:
                raise SpecError(f"folder is {assignment!r} but the spec's id is {spec.id!r}",
                                path=spec_path, key="id")
            return Pack(spec_path.parent, spec)
    known = sorted(p.name for r in roots for p in r.iterdir() if (p / "spec.toml").exists())
    raise AssignmentNotFound(
        f"unknown assignment {assignment!r} (known: {', '.join(known) or 'none'}; "
        f"searched {', '.join(str(r) for r in roots) or 'no folders'})",
        assignment=assignment, known=known,
    )
