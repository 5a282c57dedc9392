"""Start and stop the contained kernels that run student notebooks.

A kernel listens on Unix sockets in a private folder (a sandboxed kernel has no
network of ours to reach), is interrupted by a message rather than a signal (signals
would stop the sandbox itself), joins a fresh cgroup and runs under the
:mod:`grader.execute.sandbox`. :func:`launch` returns as soon as the process exists, so a
batch can start a submission's kernel ahead of need; :meth:`Kernel.stop` kills it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient.util import run_sync

from grader.errors import ExecutionError
from grader.execute.cgroups import Cgroup, remove_stale, stale
from grader.execute.environ import fork_server, full_env, preload_modules
from grader.execute.forkservers import ForkServers
from grader.execute.sandbox import Sandbox

KERNEL_NAME = "grader-python"
# a kernel's launcher asks to die with its parent (PR_SET_PDEATHSIG, grader/kernel/
# launch.py), and to Linux that parent is the thread that started it: so every kernel is
# started from this one thread, alive as long as the grader, whichever thread asks (as
# the fork servers are, grader.execute.forkservers)
_STARTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kernel-start")


DIED_AT_START = "Kernel died before replying to kernel_info"
KERNEL_LOG = "kernel.log"  # a kernel's own stdout and stderr, by default in its work dir
KILL_POLL = 0.005  # seconds between looks whether a killed kernel has exited
IOPUB_SILENCE = 0.2  # seconds without the idle status: ask again (the first may predate IOPub)


class GraderKernelClient(AsyncKernelClient):
    """A kernel client that is ready as soon as its kernel answers on both channels.

    jupyter_client's ``wait_for_ready`` ends by reading IOPub until 0.2 s pass with
    nothing: 0.2 s idle before every notebook. This one is ready when the kernel has
    replied to ``kernel_info`` and its idle status for that request came on IOPub, which
    proves IOPub connected. Nothing needs flushing: nbclient reads only the messages of
    the requests it sends.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Return once the kernel has answered ``kernel_info`` on shell and on IOPub.

        Raises:
            RuntimeError: The kernel died, or did not answer within ``timeout`` seconds.
        """
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        asked = {self.kernel_info()}
        replied = False
        while True:
            if time.monotonic() > deadline:  # checked even while other messages come
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
            channel = self.iopub_channel if replied else self.shell_channel
            try:
                msg = await channel.get_msg(timeout=IOPUB_SILENCE if replied else 1)
            except Empty:
                if not await self._async_is_alive():
                    raise RuntimeError(DIED_AT_START) from None
                # no reply yet (the kernel still starting), or its idle status went out
                # before IOPub listened: ask again, as jupyter_client does
                asked.add(self.kernel_info())
                replied = False
                continue
            parent = msg.get("parent_header", {}).get("msg_id")
            if not replied and msg["msg_type"] == "kernel_info_reply" and parent in asked:
                self._handle_kernel_info_reply(msg)
                replied = True
            elif (replied and msg["msg_type"] == "status" and parent in asked
                  and msg["content"].get("execution_state") == "idle"):
                return


def kernel_manager_class(command: list[str], log_path: Path,
                         sock_dir: Path) -> type[AsyncKernelManager]:
    """A kernel manager that starts ``command`` (the contained kernel) for any kernel name.

    The kernel listens on Unix sockets in ``sock_dir`` (a sandboxed kernel has no
    network of ours to reach), is interrupted by a message rather than a signal
    (signals would stop the sandbox itself), and its own stdout and stderr
    (TensorFlow's start-up chatter, crashes) go to ``log_path``.
    """
    spec = KernelSpec(argv=command, display_name="grader (Python 3)", language="python",
                      interrupt_mode="message")

    class GraderKernelManager(AsyncKernelManager):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.client_factory = GraderKernelClient
            self.transport = "ipc"
            self.ip = str(sock_dir / "k")
            self.connection_file = str(sock_dir / "connection.json")

        @property
        def kernel_spec(self) -> KernelSpec:
            return spec

        async def _async_start_kernel(self, **kw: Any) -> None:
            log = open(log_path, "ab")  # noqa: SIM115 - the kernel process keeps it open
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
            try:
                await super()._async_start_kernel(**kw)
            finally:
                log.close()

        start_kernel = _async_start_kernel

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            # jupyter_client looks every 0.1 s whether a kernel it killed has exited; a
            # SIGKILLed kernel is gone in milliseconds, and a batch's worker waits on it
            await super()._async_wait(pollinterval=min(pollinterval, KILL_POLL))

    return GraderKernelManager


def remove_leftovers() -> None:
    """Delete socket folders and cgroups that a grader killed mid-notebook left behind."""
    for path in stale(sorted(Path("/tmp").glob("grader-*"))):
        shutil.rmtree(path, ignore_errors=True)
    remove_stale()


@dataclass
class Kernel:
    """A contained kernel, started (maybe ahead of need) for one submission only."""

    km: AsyncKernelManager
    sock_dir: Path
    cgroup: Cgroup | None
    sandbox: Sandbox
    started: float

    def kill(self) -> None:
        """SIGKILL the kernel now, from any thread; whoever runs its cells finds it dead.

        Its cgroup takes everything the kernel started with it. Without one, killing the
        launcher ends the sandbox, which ends everything inside (``--die-with-parent``).
        """
        if self.cgroup is not None:
            self.cgroup.kill_all()
        process = getattr(self.km.provisioner, "process", None)
        if process is not None:
            with contextlib.suppress(OSError):
                process.kill()

    def stop(self) -> None:
        """Kill the kernel if it still runs; remove its cgroup and socket folder."""
        try:
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - already gone; the cgroup kill below still runs
            pass
        finally:
            if self.cgroup is not None:
                self.cgroup.remove()
            shutil.rmtree(self.sock_dir, ignore_errors=True)


def launch(
    work_dir: Path,
    *,
    kernel_env: Mapping[str, str],
    sandbox: Sandbox | None = None,
    read_only: Sequence[Path] = (),
    log_path: Path | None = None,
    python: Path | None = None,
    notebook_timeout: int = 1800,
    preload: Sequence[str] = (),
    forkservers: ForkServers | None = None,
) -> Kernel:
    """Start a contained kernel in ``work_dir`` and return at once (it boots meanwhile).

    Any thread may call it: the kernel lives until stopped or the grader ends, not only
    as long as the calling thread.

    Args:
        work_dir: The submission's own directory: the kernel's cwd and HOME, the only
            place it can write.
        kernel_env: Environment variables for the kernel (nothing else of the grader's).
        sandbox: How to contain the kernel (default: bubblewrap where it runs).
        read_only: Files and folders the kernel may read (its data, its environment).
        log_path: Where the kernel's own stdout and stderr go.
        python: The kernel's Python (a pack's kernel environment, see
            :mod:`grader.execute.virtualenvs`);
            default the grader's own. Its environment must be in ``read_only``.
        notebook_timeout: The notebook's deadline (sets the CPU-time cap).
        preload: Modules the kernel imports while it starts, before any cell (``keras``):
            a kernel started ahead of need has paid for TensorFlow when its turn comes.
        forkservers: Where a kernel may come from, forked with ``preload`` imported
            (see :mod:`grader.execute.forkservers`); None: always a fresh Python.
    """
    sandbox = (sandbox or Sandbox()).resolve()
    work_dir = Path(work_dir).resolve()
    python = Path(python or sys.executable)
    sock_dir = Path(tempfile.mkdtemp(prefix=f"grader-{os.getpid()}-", dir="/tmp"))
    cgroup = Cgroup.create(sandbox.limits.memory, sandbox.limits.processes)
    modules = preload_modules(preload)
    lines = [f"--IPKernelApp.exec_lines=import {name}" for name in modules]
    env = full_env(work_dir, kernel_env, python)
    server = (fork_server(forkservers, kernel_env, python, preload)
              if forkservers is not None and sandbox.mode == "bwrap" else None)
    # no IPython history database: one less copy of the student's code, no writes per cell
    command = sandbox.command(
        [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}",
         "--HistoryManager.enabled=False", *lines],
        work_dir=work_dir, read_only=read_only, writable=[sock_dir], env=env, cgroup=cgroup,
        notebook_timeout=notebook_timeout, forkserver=server)
    manager = kernel_manager_class(command, Path(log_path or work_dir / KERNEL_LOG), sock_dir)
    kernel = Kernel(manager(kernel_name=KERNEL_NAME), sock_dir, cgroup, sandbox, time.monotonic())
    try:
        _STARTER.submit(run_sync(kernel.km.start_kernel), cwd=str(work_dir)).result()
    except Exception as exc:
        kernel.stop()
        raise ExecutionError(f"the kernel could not start: {type(exc).__name__}: {exc}",
                             path=work_dir, reason=type(exc).__name__) from exc
    return kernel
