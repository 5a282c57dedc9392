"""Where a batch's wall time goes: busy cores and CPU by process, in three phases.

    .venv/bin/python benchmarks/timeline.py -- grader grade FOLDER -a PACK --workers 2 ...

Runs the command and samples every process on the machine every 0.2 s (so the machine
should be otherwise idle). The phases: *start*, until kernels run code (the grader's
own start, the fork server and the evaluation workers importing TensorFlow);
*grading*, while kernels run; *end*, after the last kernel stopped (the last reports,
the class summary). Prints a markdown table: each phase's seconds, busy cores, and the
CPU seconds of the grader's process, the fork server, the kernels, the evaluation
workers and everything else (each kernel's launcher and bubblewrap, for example).
Comparing a run with 1 and with 2 workers shows how much of the gap between them is
the fixed start and end, which no number of workers shortens.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import time

import psutil

KINDS = ("grader", "fork server", "kernels", "evaluation", "other")
RUNNING = 0.5  # cores: kernels using more than this are running code, not starting


def kind(info: dict, root: int) -> str:
    """Which part of the grader a process is, from its command line and parent."""
    command = " ".join(info["cmdline"] or [])
    if info["pid"] == root:
        return "grader"
    if info["name"] == "envworker":  # forked from the fork server, named for its module
        return "evaluation"
    if not (info["name"] or "").startswith("python") or "kernel/launch.py" in command:
        return "other"  # the launcher, bubblewrap: their command lines name the kernel's
    if "forkserver.py" in command:
        return "fork server" if info["ppid"] == root else "kernels"
    if "ipykernel" in command:
        return "kernels"
    if "multiprocessing" in command or "envworker" in command:
        return "evaluation"
    return "other"


def sample(command: list[str], every: float) -> tuple[float, list[dict[str, float]]]:
    """Run ``command``; return its wall seconds and, per sample, the CPU rate of each kind."""
    me, seen = psutil.Process().pid, {}
    start, born = time.monotonic(), time.time()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows, last = [], start
    while proc.poll() is None:
        time.sleep(every)
        now = time.monotonic()
        rate: collections.Counter[str] = collections.Counter()
        for p in psutil.process_iter(["pid", "ppid", "name", "cmdline", "create_time",
                                       "cpu_times"]):
            info = p.info
            if info["pid"] == me or info["cpu_times"] is None:
                continue
            key = (info["pid"], info["create_time"])
            cpu = info["cpu_times"].user + info["cpu_times"].system
            # a process older than the command counts from the first sample on
            before = seen.get(key, cpu if info["create_time"] < born - 1 else 0.0)
            seen[key] = cpu
            rate[kind(info, proc.pid)] += (cpu - before) / (now - last)
        rows.append({"t": now - start, "dt": now - last, **rate})
        last = now
    return time.monotonic() - start, rows


def phases(rows: list[dict[str, float]]) -> dict[str, list[dict[str, float]]]:
    """The samples split at the first and last where a kernel ran code."""
    running = [i for i, r in enumerate(rows) if r.get("kernels", 0) > RUNNING]
    if not running:
        return {"start": rows, "grading": [], "end": []}
    first, last = running[0], running[-1]
    return {"start": rows[:first], "grading": rows[first:last + 1], "end": rows[last + 1:]}


def main() -> None:
    """Run the command after ``--``; print its phases as a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to time after --")
    wall, rows = sample(command, args.every)
    print(f"`{' '.join(command)}`: {wall:.1f} s\n")
    print("| phase | seconds | busy cores | " + " | ".join(f"{k} CPU s" for k in KINDS) + " |")
    print("|---|---:|---:|" + "---:|" * len(KINDS))
    for name, part in phases(rows).items():
        seconds = sum(r["dt"] for r in part)
        cpu = {k: sum(r.get(k, 0.0) * r["dt"] for r in part) for k in KINDS}
        busy = sum(cpu.values()) / seconds if seconds else 0.0
        print(f"| {name} | {seconds:.1f} | {busy:.2f} | "
              + " | ".join(f"{cpu[k]:.1f}" for k in KINDS) + " |")


if __name__ == "__main__":
    main()
