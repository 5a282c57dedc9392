"""Contain a student's kernel: bubblewrap for isolation, a cgroup and rlimits for resources.

Under bubblewrap the kernel sees the system read-only (programs, libraries, the
Python environment), its own work dir read-write, a private ``/tmp``, its copy of
the data read-only, and nothing else: no home directory, no other submission, no
reference results, no gradebook, no network (only its own loopback). It talks to
the grader over Unix sockets in a private directory. Memory and processes are
capped by a cgroup where one can be made, else by ``RLIMIT_AS`` (memory; for a kernel
on a GPU ``RLIMIT_DATA``, see :meth:`Sandbox.command`) and ``RLIMIT_NPROC``; CPU time
and file size always by rlimits; the work dir's size is watched (:mod:`grader.execute.diskcap`).
See docs/security.md.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.errors import SandboxError
from grader.execute.cgroups import Cgroup
from grader.execute.devices import on_gpu
from grader.paths import KERNEL_CODE

MODES = ("auto", "bwrap", "none")
LAUNCHER = KERNEL_CODE / "launch.py"
GIB = 1 << 30
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/sys",
               "/etc/alternatives", "/etc/fonts", "/etc/ld.so.conf.d", "/etc/ssl")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/timezone",
                "/etc/hosts", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group",
                "/etc/mime.types", "/etc/os-release")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE)


def parse_size(text: str | int) -> int:
    """Bytes from ``4G``, ``512M``, ``4GiB`` or a plain number of bytes."""
    if isinstance(text, int):
        return text
    match = _SIZE.match(str(text))
    if not match:
        raise SandboxError(f"not a size: {text!r} (use e.g. 4G, 512M)")
    power = " KMGT".index(match.group(2).upper() or " ")
    return int(float(match.group(1)) * (1024 ** power))


@dataclass(frozen=True)
class Limits:
    """What one kernel may use. Sizes in bytes; None means no cap."""

    memory: int | None = 4 * GIB
    cpu_seconds: int | None = None
    processes: int | None = 256
    file_size: int | None = 1 * GIB
    output: int = 8 << 20
    disk: int | None = 2 * GIB  # its work dir in all: watched, see grader.execute.diskcap

    def cpu_for(self, notebook_timeout: int) -> int:
        """The CPU-time cap: as given, else the notebook's deadline on every core plus slack."""
        if self.cpu_seconds:
            return self.cpu_seconds
        return (notebook_timeout + 600) * (os.cpu_count() or 1)


@functools.lru_cache(maxsize=8)
def bwrap_problem(binary: str = "bwrap") -> str | None:
    """Why bubblewrap cannot run here, or None when it can (tried once per process)."""
    exe = shutil.which(binary)
    if exe is None:
        return f"`{binary}` is not installed (Debian package `bubblewrap`)"
    try:
        proc = subprocess.run([exe, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent",
                               "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev", "true"],
                              capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`{binary}` could not start ({exc})"
    if proc.returncode != 0:
        return f"`{binary}` cannot create namespaces here ({proc.stderr.strip()[:200]})"
    return None


@dataclass(frozen=True)
class Sandbox:
    """How kernels are contained; :meth:`resolve` settles ``auto`` once per batch."""

    mode: str = "auto"
    limits: Limits = field(default_factory=Limits)
    binary: str = "bwrap"
    note: str | None = None

    def resolve(self) -> Sandbox:
        """``auto`` becomes ``bwrap`` or, where bubblewrap cannot run, ``none`` with a note.

        Raises:
            SandboxError: ``bwrap`` was asked for and cannot run.
        """
        if self.mode not in MODES:
            raise SandboxError(f"unknown sandbox {self.mode!r} (choose {', '.join(MODES)})")
        if self.mode == "none":
            return self
        problem = bwrap_problem(self.binary)
        if problem is None:
            return replace(self, mode="bwrap")
        if self.mode == "bwrap":
            raise SandboxError(f"--sandbox bwrap: {problem}")
        return replace(self, mode="none", note=(
            f"kernels are NOT isolated: {problem}; only resource limits are enforced"))

    def describe(self) -> str:
        """One line for reports: what contained this kernel."""
        lim = self.limits
        caps = ", ".join(x for x in (
            f"memory {lim.memory / GIB:g} GiB" if lim.memory else "",
            f"{lim.processes} processes" if lim.processes else "",
            f"files up to {lim.file_size / GIB:g} GiB" if lim.file_size else "",
            f"its folder up to {lim.disk / GIB:g} GiB" if lim.disk else "") if x)
        where = "bubblewrap (no network, read-only system, private work dir)" if (
            self.mode == "bwrap") else "no isolation"
        return f"{where}; {caps}" if caps else where

    def command(self, kernel: Sequence[str], *, work_dir: Path, read_only: Sequence[Path] = (),
                writable: Sequence[Path] = (), env: Mapping[str, str],
                cgroup: Cgroup | None = None, notebook_timeout: int = 1800,
                forkserver: str | None = None) -> list[str]:
        """The full command that starts ``kernel`` contained: launcher, then bubblewrap.

        With ``forkserver`` (its socket) and bubblewrap, the launcher asks that server
        for the kernel, forked into the same sandbox (see :mod:`grader.kernel.launch`).
        """
        import json

        lim = self.limits
        rlimits: dict[str, int] = {"CORE": 0, "CPU": lim.cpu_for(notebook_timeout)}
        if lim.file_size:
            rlimits["FSIZE"] = lim.file_size
        if lim.memory and not (cgroup and cgroup.caps_memory):
            # CUDA's libraries map far more address space than they ever use: under
            # RLIMIT_AS a kernel on a GPU could not even load them ("failed to map
            # segment", seen on an H100). There the cap is on its private writable
            # memory instead, what its arrays and tensors take.
            rlimits["DATA" if on_gpu(env) else "AS"] = lim.memory
        if lim.processes and not (cgroup and cgroup.caps_processes):
            running = user_processes()
            if running is not None:  # uncounted, a cap could fall below what already runs
                rlimits["NPROC"] = running + lim.processes
        cfg: dict[str, object] = {"rlimits": rlimits, "env": dict(env), "parent": os.getpid(),
                                  "cgroup_procs": cgroup.procs_files if cgroup else []}
        if forkserver and self.mode == "bwrap":
            cfg["fork"] = {"socket": forkserver, "cwd": str(Path(work_dir).resolve())}
        inner = list(kernel)
        if self.mode == "bwrap":
            inner = [shutil.which(self.binary) or self.binary,
                     *bwrap_args(work_dir, read_only, writable), "--", *inner]
        # by path, isolated and without site-packages: it needs only the standard library,
        # and so costs about 30 ms of CPU per kernel instead of 70 (benchmarks/README.md)
        return [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(cfg), "--", *inner]


def user_processes(proc: Path = Path("/proc")) -> int | None:
    """What ``RLIMIT_NPROC`` counts of this user now; None where it cannot be counted.

    On Linux that is every process and thread (``/proc``); elsewhere (macOS, where a
    student may self-check) every process, as ``ps`` lists them.
    """
    uid = os.getuid()
    if (proc / "self" / "task").is_dir():
        count = 0
        for entry in proc.iterdir():
            if entry.name.isdigit():
                try:
                    if entry.stat().st_uid == uid:
                        count += len(os.listdir(entry / "task"))
                except OSError:
                    continue
        return count
    try:
        listed = subprocess.run(["ps", "-A", "-o", "uid="], capture_output=True, text=True,
                                timeout=20, check=True).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return sum(1 for owner in listed if owner == str(uid))


def python_dirs() -> list[Path]:
    """The Python installation the kernel runs: the environment and its base interpreter."""
    dirs = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    dirs.add(Path(sys.executable).resolve().parent.parent)
    return sorted(d for d in dirs if str(d) not in ("/", "/usr"))


def bwrap_args(work_dir: Path, read_only: Sequence[Path] = (),
               writable: Sequence[Path] = ()) -> list[str]:
    """Bubblewrap's arguments: new namespaces, no capabilities, and only the binds named."""
    args = ["--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--hostname", "grader",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for d in SYSTEM_DIRS:
        args += ["--ro-bind-try", d, d]
    for f in SYSTEM_FILES:
        args += ["--ro-bind-try", f, f]
    for py in python_dirs():
        args += ["--ro-bind", str(py), str(py)]
    for dev in sorted(Path("/dev").glob("nvidia*")):
        args += ["--dev-bind", str(dev), str(dev)]
    for p in read_only:
        args += ["--ro-bind", str(Path(p).resolve()), str(Path(p).resolve())]
    for p in [work_dir, *writable]:
        args += ["--bind", str(Path(p).resolve()), str(Path(p).resolve())]
    args += ["--remount-ro", "/", "--chdir", str(Path(work_dir).resolve())]
    return args
