"""Kernel environments: the Python packages an assignment's notebooks were written for.

A pack may declare ``[kernel] requirements`` (e.g. ``tensorflow-cpu==2.15.1``, which
brings Keras 2). The grader then builds one virtual environment for that list, with
pip from the package registry, plus what the grader needs in it (ipykernel for the
kernel, matplotlib for figure capture), and runs both the student's kernel and the
grader-side evaluation of that submission with its Python. A pack that only adds
``[kernel] packages`` (``session-info``, say) gets an environment that sees the
grader's own stack (Keras, scikit-learn, seaborn, pandas, ...) and installs just those
packages on top. Environments are cached by the hash of what they hold and the
Python version, built once (under a lock, so parallel workers and batches wait for
one build) and reused. With neither, kernels use the grader's own environment.
Kernels never reach a registry: environments are built before any notebook runs.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.assignment.pack import Pack
from grader.errors import EnvironmentBuildError
from grader.paths import PACKAGE

ENV_FORMAT = 2
GRADER_NEEDS = ("ipykernel", "matplotlib")
INHERITED = "grader-stack.pth"  # makes the grader's own packages visible in an environment
MARKER = "grader-env.json"


def env_root() -> Path:
    """Where environments live: ``$GRADER_ENVS``, else the user's cache folder."""
    if os.environ.get("GRADER_ENVS"):
        return Path(os.environ["GRADER_ENVS"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "grader" / "envs"


def _normalise(requirements: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted({" ".join(r.split()) for r in requirements if r.strip()}))


@dataclass(frozen=True)
class KernelEnv:
    """One environment for one requirement list (on this Python version).

    With ``requirements``, a complete environment of its own; with only ``packages``,
    one that sees the grader's own packages and adds these.
    """

    requirements: tuple[str, ...]
    root: Path
    packages: tuple[str, ...] = ()

    @classmethod
    def for_requirements(cls, requirements: Sequence[str], root: Path | None = None,
                         packages: Sequence[str] = ()) -> KernelEnv:
        """The environment for ``requirements`` under ``root`` (default :func:`env_root`)."""
        return cls(_normalise(requirements), Path(root or env_root()), _normalise(packages))

    @property
    def inherits(self) -> bool:
        """Whether it sees the grader's own packages (no requirements of its own)."""
        return not self.requirements

    @property
    def everything(self) -> tuple[str, ...]:
        """Requirements and packages, as one list (for messages and listings)."""
        return (*self.requirements, *self.packages)

    @property
    def key(self) -> str:
        """Hash of what makes the environment: requirements, Python version, layout."""
        given: list = [ENV_FORMAT, sys.version_info[:2], self.requirements, GRADER_NEEDS]
        if self.packages:
            given.append({"packages": self.packages,
                          "inherits": _grader_site() if self.inherits else []})
        return hashlib.sha256(json.dumps(given).encode()).hexdigest()[:16]

    @property
    def path(self) -> Path:
        """The environment's folder."""
        return self.root / self.key

    @property
    def python(self) -> Path:
        """Its Python interpreter."""
        return self.path / "bin" / "python"

    def ready(self) -> bool:
        """Built completely (the marker is written last)."""
        return (self.path / MARKER).is_file() and self.python.exists()

    def info(self) -> dict[str, Any]:
        """What the marker records: requirements, versions, build time."""
        try:
            return dict(json.loads((self.path / MARKER).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return {}


def build(env: KernelEnv, log: Callable[[str], None] | None = None,
          force: bool = False) -> KernelEnv:
    """Create ``env`` unless it is ready; waits for a build another process has started.

    Raises:
        EnvironmentBuildError: pip could not install the requirements (its output is
            in the message's tail and in ``pip.log`` in the environment's folder).
    """
    env.root.mkdir(parents=True, exist_ok=True)
    with open(env.root / f"{env.key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if env.ready() and not force:
            return env
        if env.path.exists():
            shutil.rmtree(env.path)
        say = log or (lambda _msg: None)
        say(f"building the kernel environment {env.key} ({', '.join(env.everything)}) "
            f"in {env.path}")
        started = time.monotonic()
        _run([sys.executable, "-m", "venv", str(env.path)], env, "create the environment")
        wanted = [*env.requirements, *env.packages, *GRADER_NEEDS]
        if env.inherits:
            _inherit(env)
            wanted = list(env.packages)
        _run([str(env.python), "-m", "pip", "install", "--disable-pip-version-check",
              "--no-input", "-q", *wanted], env, "install " + ", ".join(env.everything))
        versions = _versions(env)
        marker = {"requirements": list(env.requirements), "packages": list(env.packages),
                  "inherits": env.inherits, "python": ".".join(
            map(str, sys.version_info[:3])), "built_at": time.time(),
            "seconds": round(time.monotonic() - started, 1), **versions}
        (env.path / MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
        say(f"kernel environment ready in {marker['seconds']:.0f} s: "
            f"Keras {versions.get('keras') or '?'}, TensorFlow {versions.get('tensorflow') or '?'}")
    return env


def _grader_site() -> list[str]:
    """The grader's own package folders (its virtual environment's site-packages)."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def _inherit(env: KernelEnv) -> None:
    """Let ``env`` see the grader's packages, after its own (a ``.pth`` file)."""
    proc = subprocess.run([str(env.python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=False)
    site_dir = Path(proc.stdout.strip())
    if proc.returncode != 0 or not site_dir.is_dir():
        raise EnvironmentBuildError("could not find the new environment's site-packages",
                                    path=env.path, requirements=list(env.everything))
    (site_dir / INHERITED).write_text("\n".join(_grader_site()) + "\n", encoding="utf-8")


def _run(command: list[str], env: KernelEnv, what: str) -> None:
    log_path = env.path / "pip.log" if env.path.exists() else env.root / f"{env.key}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-6:]
        raise EnvironmentBuildError(f"could not {what}: " + " | ".join(tail)[-800:],
                                    path=log_path, requirements=list(env.everything))


def _versions(env: KernelEnv) -> dict[str, str | None]:
    """Keras and TensorFlow versions inside the environment (None when absent)."""
    code = ("import importlib.metadata as m, json\n"
            "def v(n):\n    try:\n        return m.version(n)\n    except Exception:\n"
            "        return None\n"
            "print(json.dumps({'keras': v('keras') or v('tf-keras'),"
            " 'tensorflow': v('tensorflow-cpu') or v('tensorflow')}))")
    proc = subprocess.run([str(env.python), "-c", code], capture_output=True, text=True,
                          check=False)
    try:
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {"keras": None, "tensorflow": None}


def listing(root: Path | None = None) -> list[dict[str, Any]]:
    """Every environment under ``root``: key, requirements, versions, size, state."""
    root = Path(root or env_root())
    out = []
    for path in sorted(p for p in root.glob("*") if p.is_dir()) if root.exists() else []:
        try:
            info = json.loads((path / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {}
        size = sum(f.lstat().st_size for f in path.rglob("*") if not f.is_symlink())
        out.append({"key": path.name, "path": str(path), "ready": bool(info),
                    "requirements": info.get("requirements", []),
                    "keras": info.get("keras"), "tensorflow": info.get("tensorflow"),
                    "size_bytes": size})
    return out


_LINK_DIR: list[Path] = []


def grader_path() -> Path:
    """A folder holding only a link to this ``grader`` package, for another Python's path.

    Putting the grader's own ``site-packages`` there would shadow the environment's
    NumPy and Keras with the grader's.
    """
    if not _LINK_DIR:
        folder = Path(tempfile.mkdtemp(prefix="graderpath-"))
        (folder / "grader").symlink_to(PACKAGE, target_is_directory=True)
        atexit.register(shutil.rmtree, folder, True)
        _LINK_DIR.append(folder)
    return _LINK_DIR[0]


def kernel_environment(pack: Pack, log: Callable[[str], None] | None = None,
                       ) -> KernelEnv | None:
    """The pack's kernel environment, built first if needed; None: the grader's own Python."""
    spec = pack.spec
    if not spec.kernel_requirements and not spec.kernel_packages:
        return None
    return build(KernelEnv.for_requirements(spec.kernel_requirements,
                                            packages=spec.kernel_packages), log)
