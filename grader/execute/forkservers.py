"""The batch's fork servers: kernels forked with TensorFlow already imported.

A fresh kernel spends most of its start importing TensorFlow and Keras (about 2.6 of
3.2 CPU seconds for a trivial notebook on a 2-core machine). A fork server
(:mod:`grader.kernel.forkserver`) imports them once; each kernel is then a fork of it
that enters its own bubblewrap sandbox, ready in a few tenths of a second, and used
for one submission only. Only what is the same for every kernel may be imported
ahead: so there is one server per kernel Python, per environment that TensorFlow,
Keras and matplotlib read at import (seed, threads, devices), and per preload list.

A batch starts its server before it prepares anything else, so the import runs
while the batch is prepared, and its evaluation workers (which read the exported
models with the same Keras, :mod:`grader.evaluate.env_workers`) are forks of the same server.

Kernels on a GPU are never forked (CUDA does not survive a fork), nor kernels
without bubblewrap; they start fresh, as does any kernel the server cannot make.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.execute.devices import on_gpu
from grader.paths import KERNEL_CODE

SCRIPT = KERNEL_CODE / "forkserver.py"
# what differs from one kernel to the next: set for the kernel itself, after the fork
PER_KERNEL = frozenset({"HOME", "IPYTHONDIR", "KERAS_HOME", "MPLCONFIGDIR"})


def can_fork(env: Mapping[str, str]) -> bool:
    """Whether a kernel with environment ``env`` may be forked: not one with a GPU."""
    return not on_gpu(env)


@dataclass
class _Server:
    proc: subprocess.Popen[bytes]
    folder: Path

    @property
    def socket(self) -> str:
        return str(self.folder / "socket")

    def alive(self) -> bool:
        return self.proc.poll() is None


class ForkServers:
    """Fork servers started on first need and stopped by :meth:`close` (a context manager).

    Args:
        fonts: Matplotlib's font list to give each server (as each fresh kernel gets
            it), so that importing pyplot does not build one.
    """

    def __init__(self, fonts: Path | None = None) -> None:
        self._fonts = fonts
        self._servers: dict[tuple[str, ...], _Server] = {}
        self._lock = threading.Lock()
        # a server dies with the thread that started it (PR_SET_PDEATHSIG), so one
        # thread, alive until close(), starts them all: not a worker that may end first
        self._starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forkserver")

    def socket_for(self, python: Path, env: Mapping[str, str],
                   preload: Sequence[str]) -> str | None:
        """The socket of a server for kernels of ``python`` with ``env``; None if none fits.

        Starts the server (it imports ``preload`` meanwhile) when there is none yet.
        """
        if not can_fork(env):
            return None
        shared = {k: v for k, v in env.items() if k not in PER_KERNEL}
        key = (str(python), json.dumps(shared, sort_keys=True), *preload)
        with self._lock:
            server = self._servers.get(key)
            if server is None or not server.alive():
                if server is not None:
                    _stop(server)
                server = self._servers[key] = self._starter.submit(
                    self._start, python, shared, preload).result()
            return server.socket

    def _start(self, python: Path, shared: Mapping[str, str], preload: Sequence[str]) -> _Server:
        folder = Path(tempfile.mkdtemp(prefix=f"grader-{os.getpid()}-fork-", dir="/tmp"))
        (folder / ".matplotlib").mkdir()
        if self._fonts is not None:
            shutil.copyfile(self._fonts, folder / ".matplotlib" / self._fonts.name)
        # inside a sandbox these folders are on the kernel's private /tmp, created on need
        env = {**shared, "HOME": str(folder), "KERAS_HOME": str(folder / ".keras"),
               "MPLCONFIGDIR": str(folder / ".matplotlib")}
        with open(folder / "server.log", "wb") as log:
            proc = subprocess.Popen(
                [str(python), str(SCRIPT), str(folder / "socket"), str(os.getpid()),
                 json.dumps(list(preload))],
                env=env, cwd=folder, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while not (folder / "socket").exists() and proc.poll() is None:
            if time.monotonic() > deadline:
                break  # its kernels start fresh: the launcher finds no server there
            time.sleep(0.01)  # it listens before it imports: a few hundredths of a second
        return _Server(proc, folder)

    def logs(self) -> list[Path]:
        """Each running server's log: what it imported, and any import that failed."""
        with self._lock:
            return [server.folder / "server.log" for server in self._servers.values()]

    def close(self) -> None:
        """Stop every server and delete their folders (kernels forked from them end too)."""
        with self._lock:
            for server in self._servers.values():
                _stop(server)
            self._servers.clear()
        self._starter.shutdown()

    def __enter__(self) -> ForkServers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stop(server: _Server) -> None:
    server.proc.kill()
    server.proc.wait()
    shutil.rmtree(server.folder, ignore_errors=True)
