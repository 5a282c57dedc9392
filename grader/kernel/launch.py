"""Starts a student's kernel: join its cgroup, set its rlimits, then exec the sandbox.

Run by the grader (``python -I -S .../launch.py CONFIG -- COMMAND...``: it needs only
the standard library), outside the sandbox, so the caps are in place before any
student code exists and cannot be raised from inside (hard limit = soft limit). The
environment is replaced by the one in ``CONFIG``: nothing of the grader's own
environment reaches the kernel.

Where ``CONFIG`` names a fork server (:mod:`grader.kernel.forkserver`) and COMMAND is
bubblewrap running ``ipykernel_launcher``, the launcher starts the same sandbox with
only a placeholder inside and asks the server for a kernel forked into it: TensorFlow
is then already imported. It stays the kernel's process for the grader (the sandbox
dies with it; it exits when the kernel does). If the server cannot help, the
launcher starts a fresh kernel as usual and says why in the kernel log.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import socket
import subprocess
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


def sandbox_pid(fd: int) -> int:
    """The pid of the sandbox's first process, from bubblewrap's ``--info-fd`` JSON."""
    data = b""
    with os.fdopen(fd, "rb") as info:
        while True:
            chunk = info.read1(4096)
            if not chunk:
                raise OSError("bubblewrap ended before its sandbox started")
            data += chunk
            try:
                return int(json.loads(data)["child-pid"])
            except ValueError:
                continue  # not all of it yet


def ask(path: str, request: dict[str, Any], fds: list[int], timeout: float = 600) -> int:
    """Ask the fork server at ``path`` for a kernel; its pid, or OSError saying why not."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as conn:
        conn.settimeout(timeout)  # the first kernel waits while the server imports
        conn.connect(path)
        socket.send_fds(conn, [json.dumps(request).encode()], fds)
        reply = json.loads(conn.recv(1 << 16) or b'{"error": "no reply"}')
    if "error" in reply:
        raise OSError(reply["error"])
    return int(reply["pid"])


def forked(cfg: dict[str, Any], command: list[str], env: dict[str, str]) -> int | None:
    """Run the kernel forked from the fork server into its sandbox; None where it cannot.

    Returns the sandbox's exit status once the kernel has ended.
    """
    fork = cfg.get("fork")
    if not fork or "--" not in command:
        return None
    cut = command.index("--")
    sandbox, kernel = command[:cut], command[cut + 1:]
    if kernel[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    info_r, info_w = os.pipe()
    hold_r, hold_w = os.pipe()  # the kernel holds the write end: EOF ends the placeholder
    ready_r, ready_w = os.pipe()
    os.write(hold_w, b"\n")  # echoed by ``cat`` once the sandbox is complete and it runs
    try:
        proc = subprocess.Popen([*sandbox, "--info-fd", str(info_w), "--", "cat"],
                                stdin=hold_r, stdout=ready_w, pass_fds=(info_w,), env=env)
    except OSError as exc:
        print(f"grader: cannot start the sandbox for a forked kernel ({exc})", file=sys.stderr)
        for fd in (info_r, hold_w, ready_r):
            os.close(fd)
        return None
    finally:
        for fd in (info_w, hold_r, ready_w):
            os.close(fd)
    try:
        pid = sandbox_pid(info_r)
        if os.read(ready_r, 1) != b"\n":
            raise OSError("the sandbox ended before it was ready")
        ask(fork["socket"], {"pid": pid, "argv": kernel[3:], "cwd": fork["cwd"], "env": env,
                             "rlimits": cfg.get("rlimits", {}),
                             "cgroup_procs": cfg.get("cgroup_procs", [])}, [1, hold_w])
        print("grader: kernel forked from the fork server into its sandbox (its preload "
              "already imported)", file=sys.stderr, flush=True)
    except (OSError, ValueError, KeyError) as exc:
        print(f"grader: no kernel from the fork server ({exc}); starting a fresh one",
              file=sys.stderr, flush=True)
        proc.kill()
        proc.wait()
        return None
    finally:
        os.close(hold_w)
        os.close(ready_r)
    return proc.wait()


def main(argv: list[str]) -> None:
    """``argv``: CONFIG (JSON), ``--``, then the command to exec."""
    if "--" not in argv or len(argv) < 3:
        sys.exit("usage: python -I -S launch.py CONFIG -- COMMAND...")
    cfg = json.loads(argv[0])
    command = argv[argv.index("--") + 1:]
    die_with_parent(cfg.get("parent"))
    apply(cfg)
    env = {str(k): str(v) for k, v in cfg.get("env", {}).items()}
    status = forked(cfg, command, env)
    if status is not None:
        sys.exit(status)
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main(sys.argv[1:])
