"""A whole class through `grader grade`: does the time per notebook stay flat as it grows?

For each class size N: N trivial notebooks (the `vs_others.py` workload (a), each with
its student's number in a comment, so no two are the same file) graded three times into
one folder with the `dlcourse_mlp` pack (fast profile, HTML reports, no PDF):

  1. the first run: every notebook executed;
  2. the same command again: every result unchanged (cached), nothing executed;
  3. after a spec fix that kernels do not see (the pack's `version` goes up, as in
     `recheck.py`): every notebook graded again from its stored run, none executed.

Per run: wall time (per notebook too), the peak memory of the whole command (every
process) and of the grader's own process, the most files the grader's process held
open at once, and the size of the output folder after it. Prints a markdown table.
Run from the repository root after `make install`:

    .venv/bin/python benchmarks/scale.py --out /tmp/scale [--n 20 500] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
from common import GRADER, ROOT, grader_env, raise_spec_version
from vs_others import tree_rss, trivial_notebook

PACK = "dlcourse_mlp"
MIB = 1 << 20


@dataclass
class Sampled:
    """Peaks seen while a command ran."""

    tree: int = 0  # bytes resident, the command and all its descendants
    own: int = 0  # bytes resident, the grader's own process
    files: int = 0  # open file descriptors of the grader's own process


def sample(root: psutil.Process, stop: threading.Event, peaks: Sampled) -> None:
    """Record ``root``'s peaks every 0.1 s until ``stop``."""
    while not stop.is_set():
        try:
            peaks.own = max(peaks.own, root.memory_info().rss)
            peaks.files = max(peaks.files, root.num_fds())
            peaks.tree = max(peaks.tree, tree_rss(root))
        except psutil.Error:
            pass
        stop.wait(0.1)


def grade(folder: Path, out: Path, packs: Path, workers: int) -> tuple[float, Sampled, str]:
    """One `grader grade` of ``folder``: seconds, peaks, and its last line of output."""
    env = grader_env() | {"GRADER_PACKS": str(packs)}
    start, peaks, stop = time.monotonic(), Sampled(), threading.Event()
    proc = subprocess.Popen([GRADER, "grade", str(folder), "-a", PACK, "--profile", "fast",
                             "--out", str(out), "--no-pdf", "--workers", str(workers)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    sampler = threading.Thread(target=sample, args=(psutil.Process(proc.pid), stop, peaks))
    sampler.start()
    stdout, _ = proc.communicate()
    stop.set()
    sampler.join()
    seconds = time.monotonic() - start
    if proc.returncode not in (0, 1):  # 1: some submission has an error; not expected here
        raise SystemExit(f"grader grade exited {proc.returncode}:\n{stdout[-2000:]}")
    return seconds, peaks, stdout


def counts(stdout: str) -> str:
    """``executed / from stored runs / cached / in error``, from the command's last lines."""
    def number(pattern: str) -> int:
        found = re.search(pattern, stdout)
        return int(found.group(1)) if found else 0

    new, stored = number(r"(\d+) new result"), number(r"\((\d+) from their stored run")
    cached, errors = number(r"(\d+) unchanged"), number(r"(\d+) in error")
    return f"{new - stored} / {stored} / {cached} / {errors}"


def class_of(n: int, folder: Path) -> None:
    """``n`` trivial notebooks, each a different file."""
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        nb = trivial_notebook()
        nb.cells[0].source = f"# student {i}\n" + nb.cells[0].source
        nbformat.write(nb, folder / f"s{i:04d}.ipynb")


def folder_mib(path: Path) -> float:
    """Size of every file under ``path``, in MiB."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / MIB


def main() -> None:
    """Three runs per class size; one row per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, nargs="*", default=[20, 500])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    memory = psutil.virtual_memory().total / (1 << 30)
    print(f"{os.cpu_count()} CPU cores ({platform.machine()}), {memory:.0f} GiB, no GPU, "
          f"{args.workers} workers; {time.strftime('%Y-%m-%d %H:%M')}.\n")
    print("| notebooks | run | wall s | s per notebook | peak memory MiB (all) "
          "| grader process peak MiB | open files (max) | output MiB "
          "| executed / from stored run / cached / error |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for n in args.n:
        base = args.out / f"n{n}"
        if base.exists():
            shutil.rmtree(base)
        packs, folder, out = base / "packs", base / "class", base / "out"
        shutil.copytree(ROOT / "reference" / PACK, packs / PACK)
        class_of(n, folder)
        for run in ("first", "unchanged", "after a spec fix"):
            if run == "after a spec fix":
                raise_spec_version(packs / PACK / "spec.toml")
            seconds, peaks, stdout = grade(folder, out, packs, args.workers)
            print(f"| {n} | {run} | {seconds:.0f} | {seconds / n:.2f} | {peaks.tree / MIB:,.0f} "
                  f"| {peaks.own / MIB:,.0f} | {peaks.files} | {folder_mib(out):,.0f} "
                  f"| {counts(stdout)} |", flush=True)


if __name__ == "__main__":
    main()
