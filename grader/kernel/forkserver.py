"""A fork server for kernels: TensorFlow imported once, each kernel a fork joining its sandbox.

Run by the grader in the kernel's own Python (``python forkserver.py SOCKET PARENT
PRELOAD_JSON``; standard library only, so a pack's kernel environment can run it),
outside any sandbox. It imports what every kernel imports before its first cell
(ipykernel, IPython and the debugger behind them) and the pack's preload modules
(Keras, and with it TensorFlow and pyplot) once, then waits. For each connection on
``SOCKET`` it forks; only the fork reads the request, so the server never holds a
student's details. The fork then becomes that student's kernel, the way ``nsenter``
or ``docker exec`` enter a container:

1. it joins the kernel's cgroup and takes its rlimits (both set from outside, as the
   launcher does for a fresh kernel);
2. it enters every namespace of the sandbox that bubblewrap built for this kernel
   (``setns`` on the pidfd of the sandbox's first process): mounts, pids, network,
   IPC, hostname, cgroup, and the user namespace where bubblewrap made one;
3. it drops every capability, sets no-new-privileges, and forks once more: that
   process, inside the sandbox's pid namespace, starts ``ipykernel`` in the student's
   work dir with only the kernel's environment and file descriptors.

The request (one ``SOCK_SEQPACKET`` message) carries the JSON below and two file
descriptors: the kernel log (its stdout and stderr) and the write end of a pipe
whose reader keeps the sandbox alive, so the sandbox ends when the kernel does::

    {"pid": ..., "argv": [...], "cwd": "...", "env": {...}, "rlimits": {...},
     "cgroup_procs": [...]}

The reply is ``{"pid": KERNEL_PID}`` or ``{"error": "..."}`` (the launcher then
starts a fresh kernel instead).

The grader also asks it for its evaluation workers, which need the same Keras and
never run a student's code: ``{"module": "grader.evaluate.env_workers", "path": [...], "env":
{...}}`` with the worker's stdin and stdout. That fork stays outside any sandbox and
runs the module as ``python -m`` would, with TensorFlow already imported.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import importlib
import importlib.util
import json
import os
import resource
import runpy
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACES = (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
              | CLONE_NEWNET | CLONE_NEWCGROUP)
PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
CAP_VERSION_3 = 0x20080522
MAX_REQUEST = 1 << 20
# what ``python -m ipykernel_launcher`` imports before it runs a cell, whatever the pack
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell",
                  "ipykernel.debugger")

_libc = ctypes.CDLL(None, use_errno=True)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def enter_sandbox(pid: int) -> None:
    """Join every namespace of process ``pid`` (the sandbox's first process) at once."""
    fd = os.pidfd_open(pid)
    try:
        _check(_libc.setns(fd, NAMESPACES), "setns")
    finally:
        os.close(fd)


def drop_privileges(last: int) -> None:
    """No capabilities up to ``last``, none to regain (empty bounding set, no-new-privileges)."""
    for cap in range(last + 1):
        _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "dropping the bounding set")
    _check(_libc.capset(ctypes.byref(_CapHeader(CAP_VERSION_3, 0)), (_CapData * 2)()),
           "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no-new-privileges")


def limit(request: dict[str, Any]) -> None:
    """Join the kernel's cgroups and take its rlimits, as the launcher does for a fresh kernel."""
    for procs in request.get("cgroup_procs", []):
        with open(procs, "w", encoding="ascii") as f:
            f.write(str(os.getpid()))
    for name, value in request.get("rlimits", {}).items():
        soft = int(value)
        resource.setrlimit(getattr(resource, f"RLIMIT_{name}"),
                           (soft, soft + 5 if name == "CPU" else soft))


def _streams(stdin: int, stdout: int, stderr: int, keep: set[int]) -> None:
    """Make these the standard streams and close every other descriptor not in ``keep``."""
    os.dup2(stdin, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    for fd in map(int, os.listdir("/proc/self/fd")):
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):  # the listing's own descriptor
                os.close(fd)


def _live(body: Callable[[], None]) -> NoReturn:
    """Run ``body`` as the rest of this fork's life, then exit with its status."""
    code = 1
    try:
        body()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - said on its stderr (kernel log, server log)
        import traceback

        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()
        finally:
            os._exit(code)


def run_kernel(request: dict[str, Any], log: int, keep: set[int],
               imported: dict[str, str]) -> NoReturn:
    """In the sandbox: become the student's kernel (never returns).

    Its environment is the kernel's, plus what the imports set (``TF2_BEHAVIOR``...)
    as they would have in a fresh kernel, plus ``PWD`` as bubblewrap sets it.
    """

    def kernel() -> None:
        _streams(os.open("/dev/null", os.O_RDONLY), log, log, keep)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update({**imported, **request["env"], "PWD": request["cwd"]})
        launcher = importlib.util.find_spec("ipykernel_launcher")
        sys.argv = [launcher.origin if launcher and launcher.origin else "ipykernel_launcher",
                    *request["argv"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=request["argv"])

    _live(kernel)


def run_worker(request: dict[str, Any], stdin: int, stdout: int, keep: set[int]) -> NoReturn:
    """Outside any sandbox: become a grader-side worker, ``python -m MODULE`` (never returns).

    The grader's evaluation workers come from here: a worker that measures exported
    models needs the same Keras the server imported, and never runs a student's code.
    It keeps the server's standard error (its log) and ends with the server.
    """

    def worker() -> None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        # named for its module in ps and top (``env_workers``), not the server it came from
        _libc.prctl(PR_SET_NAME, request["module"].rsplit(".", 1)[-1].encode()[:15], 0, 0, 0)
        _streams(stdin, stdout, 2, keep)
        os.environ.update(request.get("env", {}))
        sys.path[:0] = request.get("path", [])
        sys.argv = [request["module"]]
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)

    _live(worker)


def serve_one(conn: socket.socket, keep: set[int], imported: dict[str, str]) -> None:
    """In a fork of the server: read the request, enter the sandbox, start the kernel.

    A request with ``module`` (and ``path``, ``env``) asks for a grader-side worker
    instead; its two descriptors are its stdin and stdout (:func:`run_worker`).
    """
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # no parent-death signal: a kernel outlives a server that dies, and ends with its
    # sandbox (so with the grader) all the same
    try:
        data, fds, _, _ = socket.recv_fds(conn, MAX_REQUEST, 2)
        if len(fds) != 2:
            raise ValueError(f"expected 2 file descriptors, got {len(fds)}")
        request = json.loads(data)
        if "module" in request:
            conn.send(json.dumps({"pid": os.getpid()}).encode())
            conn.close()
            run_worker(request, fds[0], fds[1], keep)
        log, hold = fds
        limit(request)
        last_cap = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
        enter_sandbox(int(request["pid"]))
        drop_privileges(last_cap)
        kernel = os.fork()
        if kernel == 0:
            conn.close()
            os.close(hold)
            run_kernel(request, log, keep, imported)
        conn.send(json.dumps({"pid": kernel}).encode())
    except BaseException as exc:  # noqa: BLE001 - told to the launcher, which starts afresh
        try:
            conn.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        finally:
            os._exit(1)
    conn.close()
    os.close(log)
    _, status = os.waitpid(kernel, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)  # ``hold`` closes: the sandbox ends


def main(argv: list[str]) -> None:
    """``SOCKET PARENT PRELOAD_JSON``: listen, import, then fork for each connection.

    The server dies with the thread of the grader (pid ``PARENT``) that started it.
    """
    path, parent, preload = argv[0], int(argv[1]), json.loads(argv[2])
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        sys.exit(1)  # the grader is already gone
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(path)
    server.listen(64)  # kernels asked for while the imports run wait in the backlog
    del sys.path[0]  # this script's folder: ipykernel_launcher takes its own off the path too
    before = dict(os.environ)
    done = []
    for name in (*KERNEL_MODULES, *preload):  # in a fresh kernel's order
        try:
            importlib.import_module(name)
            done.append(name)
        except Exception as exc:  # noqa: BLE001 - each kernel will import it (and fail) itself
            print(f"forkserver: cannot preload {name}: {exc}", file=sys.stderr, flush=True)
    imported = {k: v for k, v in os.environ.items() if before.get(k) != v}
    # what the imports made is never collected: a kernel's collections leave those
    # pages shared with the server instead of copying them (the gc module's advice)
    gc.freeze()
    keep = set()
    for fd in map(int, os.listdir("/proc/self/fd")):
        try:
            os.fstat(fd)
            keep.add(fd)  # what the imports left open (the listing's own is gone)
        except OSError:
            pass
    keep -= {server.fileno()}
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forks are reaped by the kernel
    print(f"forkserver: ready, imported {' '.join(done)}", file=sys.stderr, flush=True)
    while True:
        conn, _ = server.accept()
        try:
            if os.fork() == 0:
                server.close()
                serve_one(conn, keep - {0, 1, 2}, imported)
        except OSError as exc:  # no fork (process cap): the launcher starts a fresh kernel
            print(f"forkserver: cannot fork: {exc}", file=sys.stderr, flush=True)
        conn.close()


if __name__ == "__main__":
    main(sys.argv[1:])
