"""One grader command at a time writes an output folder.

Two ``grader grade`` runs into one folder (a second terminal, a cron job that overlaps
the last) would clear each other's kernel folders, interleave the gradebook and draw
each other's reports half-way. Each command that writes an output folder holds an
exclusive ``flock`` on ``.grader/lock`` inside it; a second one is refused at once,
naming the first. The kernel frees the lock when its holder ends, however it ends
(``kill -9`` too), so there is never a stale lock to delete by hand.

Within one process the thread that holds a folder may enter it again (the command
holds it from before it unpacks a zip there, :func:`grader.batch.start.grade_batch` holds it
for the batch); any other thread is refused like another process.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from grader.errors import FolderBusyError, GraderError

LOCK = Path(".grader") / "lock"

# the folders this process holds, by resolved path: the holding thread's id and how deep
_HELD: dict[Path, tuple[int, int]] = {}
_GUARD = threading.Lock()


@contextmanager
def holding(out_dir: Path) -> Iterator[None]:
    """Hold ``out_dir`` (created if missing) for this thread while the block runs.

    Raises:
        FolderBusyError: another process, or another thread of this one, holds the
            folder; it names that process.
        GraderError: the folder cannot be made or written (a file of that name, no
            permission).
    """
    path = Path(out_dir).resolve() / LOCK
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise GraderError(f"cannot write to this output folder ({exc.strerror or exc})",
                          path=out_dir) from None
    try:
        with _holding(Path(out_dir), path, fd):
            yield
    finally:
        os.close(fd)  # frees the lock, where this call took it


@contextmanager
def _holding(out_dir: Path, path: Path, fd: int) -> Iterator[None]:
    """:func:`holding` once the lock file is open as ``fd``."""
    key, me = path.parent.parent, threading.get_ident()
    with _GUARD:
        owner, depth = _HELD.get(key, (me, 0))
        if owner != me:
            raise _busy(out_dir, path)
        if depth:
            _HELD[key] = (me, depth + 1)
    if depth:  # this thread holds it already
        try:
            yield
        finally:
            with _GUARD:
                _HELD[key] = (me, depth)
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise _busy(out_dir, path) from None
    with _GUARD:  # another thread of ours would have failed the flock above
        _HELD[key] = (me, 1)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "since": time.time()}).encode(), 0)
        yield
    finally:
        with _GUARD:
            del _HELD[key]


def _busy(out_dir: Path, path: Path) -> FolderBusyError:
    """The error for a folder another process holds, saying which one and since when."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        holder = {}
    pid, since = holder.get("pid"), holder.get("since")
    who = (f" (process {pid}, started {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(since))})"
           if isinstance(pid, int) and isinstance(since, (int, float)) else "")
    return FolderBusyError(f"another grader command{who} is writing to this folder: wait "
                           "for it to end, or give another --out", path=out_dir,
                           pid=pid if isinstance(pid, int) else None)
