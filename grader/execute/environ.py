"""What a kernel's environment holds, and the fork server whose kernels fit it.

Kept light on purpose (no Jupyter, papermill or nbconvert): a batch computes its fork
server's key and starts the server before it imports the rest of the grader, so
that the server's TensorFlow import runs while those imports do.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from grader.assignment.spec import Profile
from grader.execute.devices import Device
from grader.execute.forkservers import ForkServers

# what kernels and evaluation workers keep of the grader's own environment: the Keras
# backend an instructor chose for the course (Keras reads it at import)
KEPT = ("KERAS_BACKEND",)


def kept_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The :data:`KEPT` settings of ``environ`` (default: the grader's) that are set."""
    environ = os.environ if environ is None else environ
    return {name: environ[name] for name in KEPT if environ.get(name)}


def kernel_env(work_dir: Path, seed: int, profile: str) -> dict[str, str]:
    """Environment for the student's kernel: quiet TensorFlow, Agg, a private Keras home."""
    return kept_env() | {
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": str(seed),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "KERAS_HOME": str(work_dir / ".keras"),
        "MPLCONFIGDIR": str(work_dir / ".matplotlib"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "TF_DETERMINISTIC_OPS": "1",
        "GRADER_PROFILE": profile,
    }


def batch_kernel_env(work_dir: Path, profile: Profile, threads: Mapping[str, str],
                     device: Device) -> dict[str, str]:
    """What the grader sets for a batch's kernel on ``device``: seed, profile, threads."""
    return kernel_env(work_dir, profile.seed, profile.name) | dict(threads) | device.env()


def full_env(work_dir: Path, env: Mapping[str, str], python: Path) -> dict[str, str]:
    """The kernel's whole environment: the grader's choices only, HOME in the work dir."""
    base = {"PATH": f"{python.parent}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8", "HOME": str(work_dir), "IPYTHONDIR": str(work_dir / ".ipython"),
            "JUPYTER_PLATFORM_DIRS": "1", "PYTHONNOUSERSITE": "1",
            # a notebook's `!pip install x` (Colab's habit) gets its answer at once: the
            # kernel has no network, and pip would retry five times, 8 s per command
            "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return base | dict(env)


def preload_modules(preload: Sequence[str]) -> list[str]:
    """The preload entries that are module names (nothing else reaches a command line)."""
    return [name for name in preload if all(p.isidentifier() for p in name.split("."))]


@functools.cache
def font_cache() -> Path | None:
    """Matplotlib's font list as the grader's Python built it; None where there is none.

    Each kernel gets a copy in its fresh ``MPLCONFIGDIR``: building the list there cost
    every kernel about half a CPU-second (Keras imports pyplot) and an ``fc-list`` run.
    A kernel whose matplotlib differs looks for another file name and builds its own.
    """
    try:
        import matplotlib  # deferred: most callers of this module never need it
        from matplotlib import font_manager

        name = f"fontlist-v{font_manager.FontManager.__version__}.json"
        path = Path(matplotlib.get_cachedir()) / name
    except Exception:  # noqa: BLE001 - only a start-up cost saved, never needed
        return None
    return path if path.is_file() else None


def fork_server(forkservers: ForkServers, kernel_env: Mapping[str, str],
                python: Path | None = None, preload: Sequence[str] = ()) -> str | None:
    """The socket of the server that kernels of ``kernel_env`` are forked from.

    Started now when there is none yet: a batch asks before its first kernel, so the
    server imports while the batch is prepared (its evaluation workers come from it
    too). None where no server fits (a GPU kernel).
    """
    python = Path(python or sys.executable)
    # the work dir only sets what differs per kernel, which the server's key leaves out
    env = full_env(Path(tempfile.gettempdir()), kernel_env, python)
    return forkservers.socket_for(python, env, preload_modules(preload))
