"""A cap on the disk a kernel's work dir takes: watched while the notebook runs.

``RLIMIT_FSIZE`` caps each file a kernel writes, not how many: a notebook that writes
1 GiB files in a loop would fill the grader's disk and stop the whole batch. No cap on
a folder's size exists for an unprivileged process (quotas and loop mounts need root),
so the grader looks: :class:`DiskWatch` sums the work dir a few times a second and
kills the kernel once it holds more than the cap, or more files than
:data:`MAX_ENTRIES`. A notebook can write what it writes between two looks beyond the
cap; after the kill :func:`clear` deletes what it wrote.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from grader.report.cell_advice import DISK_CAP

MAX_ENTRIES = 100_000  # files and folders in a work dir; a notebook's own are a few dozen
INTERVAL = 0.25  # seconds between looks (longer while counting takes long)


@dataclass(frozen=True)
class Usage:
    """What a folder holds: bytes on disk and entries, counted up to a bound."""

    bytes: int
    entries: int

    def over(self, limit: int, max_entries: int = MAX_ENTRIES) -> str | None:
        """Why this is over the cap, as the student reads it; None when within it."""
        if self.entries > max_entries:
            return f"more than {max_entries:,} files and folders"
        if self.bytes > limit:
            return f"more than {_size(limit)} of files"
        return None


def _size(n: int) -> str:
    for unit, power in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << power:
            return f"{n / (1 << power):g} {unit}"
    return f"{n} bytes"


def usage(folder: Path, stop_bytes: int | None = None,
          max_entries: int = MAX_ENTRIES) -> Usage:
    """Bytes on disk (allocated blocks, so a sparse file counts what it uses) below ``folder``.

    Symlinks are counted, never followed. Counting stops once past ``stop_bytes`` or
    ``max_entries``: the answer is then only known to be over. Files that vanish while
    counted are skipped.
    """
    total, entries = 0, 0
    stack = [str(folder)]
    while stack:
        try:
            scan = os.scandir(stack.pop())
        except OSError:
            continue
        with scan:
            for entry in scan:
                entries += 1
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                total += st.st_blocks * 512
                if stat.S_ISDIR(st.st_mode):
                    stack.append(entry.path)
                if entries > max_entries or (stop_bytes is not None and total > stop_bytes):
                    return Usage(total, entries)
    return Usage(total, entries)


class DiskWatch:
    """Kill a kernel once its work dir grows past ``limit`` bytes (a context manager).

    ``kill`` is called at most once, from the watching thread; :attr:`exceeded` then
    says why, in words for the student's report.
    """

    def __init__(self, folder: Path, limit: int, kill: Callable[[], None],
                 interval: float = INTERVAL, max_entries: int = MAX_ENTRIES) -> None:
        self.folder, self.limit, self.kill = Path(folder), limit, kill
        self.interval, self.max_entries = interval, max_entries
        self.exceeded: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="disk-watch", daemon=True)

    def __enter__(self) -> DiskWatch:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def check(self) -> bool:
        """Look once; kill the kernel if the folder is over the cap. True when it was."""
        why = usage(self.folder, self.limit, self.max_entries).over(self.limit, self.max_entries)
        if why is None:
            return False
        self.exceeded = (f"the notebook wrote {why} into its folder ({DISK_CAP}), so the "
                         "grader stopped its kernel and deleted them")
        self.kill()
        return True

    def _watch(self) -> None:
        pause = self.interval
        while not self._stop.wait(pause):
            start = time.monotonic()
            if self.check():
                return
            # a folder of many thousand files takes a while to count: look less often
            # then, so that counting keeps under a tenth of a core
            pause = max(self.interval, 10 * (time.monotonic() - start))


def space_warning(free: int, workers: int, limit: int | None) -> str | None:
    """A warning when notebooks at once could fill the disk the grader writes to.

    Each of ``workers`` notebooks may write up to ``limit`` bytes; the gradebook and
    reports need room beside them.
    """
    if not limit:
        return None
    need = workers * limit + (1 << 30)
    if free >= need:
        return None
    return (f"warning: the output folder's disk has {free / (1 << 30):.1f} GiB free; "
            f"{workers} notebook(s) at once may each write up to {_size(limit)} (--disk) "
            "while they run, and the reports need room too. Free some space, or lower --disk "
            "or --workers.")


def clear(folder: Path, keep: Mapping[str, int]) -> None:
    """Delete everything below ``folder`` but the files ``keep`` names, each up to its size.

    ``keep`` maps a path relative to ``folder`` to the most bytes that file may hold
    to be kept. Called once nothing writes there any more (the kernel is dead).
    """
    folder = Path(folder)
    kept = {folder / rel for rel, most in keep.items() if _small_file(folder / rel, most)}
    parents = {p for path in kept for p in path.parents}
    for dirpath, dirnames, filenames in os.walk(folder, topdown=True):
        here = Path(dirpath)
        for name in filenames:
            if here / name not in kept:
                with contextlib.suppress(OSError):
                    (here / name).unlink()
        for name in list(dirnames):
            if here / name not in parents:
                dirnames.remove(name)
                sub = here / name
                if sub.is_symlink():
                    with contextlib.suppress(OSError):
                        sub.unlink()
                else:
                    shutil.rmtree(sub, ignore_errors=True)


def _small_file(path: Path, most: int) -> bool:
    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size <= most
