"""A control group per kernel: a memory cap and a process cap the student cannot lift.

Works with the unified hierarchy (cgroup v2) and with the v1 ``memory`` and ``pids``
controllers, inside the grader's own cgroup, wherever that is writable. Where it is
not, :meth:`Cgroup.create` returns None and the caller falls back to rlimits.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def own_cgroups(proc_file: Path = Path("/proc/self/cgroup")) -> dict[str, str]:
    """This process's cgroup path per controller (``""`` for the unified v2 hierarchy)."""
    out: dict[str, str] = {}
    try:
        lines = proc_file.read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for controller in (parts[1].split(",") if parts[1] else [""]):
            out[controller] = parts[2]
    return out


@dataclass(frozen=True)
class Cgroup:
    """One kernel's control group(s): the directories to join and to read back from."""

    version: int
    dirs: tuple[Path, ...]

    @property
    def procs_files(self) -> list[str]:
        """Where a process writes its pid to join (the launcher does, before the kernel starts)."""
        return [str(d / "cgroup.procs") for d in self.dirs]

    @property
    def caps_memory(self) -> bool:
        """Whether this group holds the memory cap."""
        return self.version == 2 or any("memory" in d.parts for d in self.dirs)

    @property
    def caps_processes(self) -> bool:
        """Whether this group holds the process cap."""
        return self.version == 2 or any("pids" in d.parts for d in self.dirs)

    @classmethod
    def create(cls, memory: int | None, processes: int | None,
               root: Path = ROOT, proc_file: Path = Path("/proc/self/cgroup")) -> Cgroup | None:
        """A new cgroup below the grader's own with the given caps, or None where not allowed."""
        name = f"grader-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        own = own_cgroups(proc_file)
        try:
            if (root / "cgroup.controllers").exists() and "" in own:
                return cls._create_v2(root / own[""].lstrip("/") / name, memory, processes)
            if "memory" in own and (root / "memory").is_dir():
                return cls._create_v1(root, own, name, memory, processes)
        except OSError:
            return None
        return None

    @classmethod
    def _create_v2(cls, path: Path, memory: int | None, processes: int | None) -> Cgroup:
        parent = path.parent
        wanted = {c for c, v in (("memory", memory), ("pids", processes)) if v}
        enabled = set((parent / "cgroup.subtree_control").read_text().split())
        if wanted - enabled:
            (parent / "cgroup.subtree_control").write_text(
                " ".join(f"+{c}" for c in sorted(wanted - enabled)))
        path.mkdir()
        group = cls(2, (path,))
        try:
            if memory:
                (path / "memory.max").write_text(str(memory))
                with contextlib.suppress(OSError):
                    (path / "memory.swap.max").write_text("0")
            if processes:
                (path / "pids.max").write_text(str(processes))
        except OSError:
            group.remove()
            raise
        return group

    @classmethod
    def _create_v1(cls, root: Path, own: dict[str, str], name: str, memory: int | None,
                   processes: int | None) -> Cgroup:
        dirs: list[Path] = []
        try:
            if memory:
                mem = root / "memory" / own["memory"].lstrip("/") / name
                mem.mkdir()
                dirs.append(mem)
                (mem / "memory.limit_in_bytes").write_text(str(memory))
            if processes and "pids" in own and (root / "pids").is_dir():
                pids = root / "pids" / own["pids"].lstrip("/") / name
                pids.mkdir()
                dirs.append(pids)
                (pids / "pids.max").write_text(str(processes))
        except OSError:
            cls(1, tuple(dirs)).remove()
            raise
        return cls(1, tuple(dirs))

    def oom_killed(self) -> bool:
        """Whether the kernel was killed for going over the memory cap."""
        for d in self.dirs:
            for name, key in (("memory.events", "oom_kill"), ("memory.oom_control", "oom_kill")):
                try:
                    fields = dict(line.split() for line in (d / name).read_text().splitlines()
                                  if len(line.split()) == 2)
                except OSError:
                    continue
                if int(fields.get(key, 0)) > 0:
                    return True
        return False

    def kill_all(self) -> None:
        """SIGKILL whatever is still in the group."""
        for d in self.dirs:
            with contextlib.suppress(OSError):
                if self.version == 2 and (d / "cgroup.kill").exists():
                    (d / "cgroup.kill").write_text("1")
                    continue
                for pid in (d / "cgroup.procs").read_text().split():
                    with contextlib.suppress(OSError):
                        os.kill(int(pid), 9)

    def remove(self, wait: float = 2.0) -> None:
        """Kill what is left and delete the group (retried briefly while processes exit)."""
        self.kill_all()
        deadline = time.monotonic() + wait
        pause = 0.002  # a killed kernel is gone within milliseconds; a batch waits on each
        for d in self.dirs:
            while d.exists():
                try:
                    d.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(pause)
                    pause = min(pause * 2, 0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale(paths: list[Path]) -> list[Path]:
    """Those of ``paths`` (named ``grader-<pid>-...``) left by a grader that no longer runs."""
    out = []
    for path in paths:
        parts = path.name.split("-")
        if len(parts) >= 3 and parts[1].isdigit() and not _alive(int(parts[1])):
            out.append(path)
    return out


def remove_stale(root: Path = ROOT, proc_file: Path = Path("/proc/self/cgroup")) -> int:
    """Kill what a killed grader's kernels left running, delete their cgroups; return how many.

    A kernel normally dies with its grader (see :mod:`grader.kernel.launch`); this
    is the backstop: whatever is still in a dead grader's cgroup is killed here.
    """
    removed = 0
    for controller, own in own_cgroups(proc_file).items():
        base = root / controller / own.lstrip("/") if controller else root / own.lstrip("/")
        for path in stale(sorted(base.glob("grader-*")) if base.is_dir() else []):
            group = Cgroup(2 if not controller else 1, (path,))
            group.remove(wait=5.0)
            removed += not path.exists()
    return removed
