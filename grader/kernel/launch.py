"""Starts a student's kernel: join its cgroup, set its rlimits, then exec the sandbox.

Run by the grader (``python -m grader.kernel.launch CONFIG -- COMMAND...``), outside
the sandbox, so the caps are in place before any student code exists and cannot be
raised from inside (hard limit = soft limit). The environment is replaced by the
one in ``CONFIG``: nothing of the grader's own environment reaches the kernel.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
from typing import Any

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None) -> None:
    """Ask Linux to SIGKILL this process (and so the sandbox) when the grader dies.

    It survives the ``exec`` into bubblewrap, whose own ``--die-with-parent`` then
    takes everything inside down with it. If the grader (pid ``parent``) is already
    gone, stop here.
    """
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return  # not Linux: nothing to ask
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def apply(cfg: dict[str, Any]) -> None:
    """Join the cgroups and set the rlimits that ``cfg`` names."""
    for procs in cfg.get("cgroup_procs", []):
        with open(procs, "w", encoding="ascii") as f:
            f.write(str(os.getpid()))
    for name, value in cfg.get("rlimits", {}).items():
        limit = getattr(resource, f"RLIMIT_{name}")
        soft = int(value)
        hard = soft + 5 if name == "CPU" else soft  # SIGXCPU first, then SIGKILL
        try:
            resource.setrlimit(limit, (soft, hard))
        except (ValueError, OSError) as exc:  # e.g. no RLIMIT_AS here: said in kernel.log
            print(f"grader: cannot set RLIMIT_{name}: {exc}", file=sys.stderr)


def main(argv: list[str]) -> None:
    """``argv``: CONFIG (JSON), ``--``, then the command to exec."""
    if "--" not in argv or len(argv) < 3:
        sys.exit("usage: python -m grader.kernel.launch CONFIG -- COMMAND...")
    cfg = json.loads(argv[0])
    command = argv[argv.index("--") + 1:]
    die_with_parent(cfg.get("parent"))
    apply(cfg)
    os.execve(command[0], command, {str(k): str(v) for k, v in cfg.get("env", {}).items()})


if __name__ == "__main__":
    main(sys.argv[1:])
