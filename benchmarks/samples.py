"""The five packs' samples under a profile: seconds per notebook, cells lost, translations.

Grades each pack's samples (``submissions/<pack>/``) with ``grader grade`` as an
instructor would (2 workers unless told, no PDF) and prints one markdown row per pack:
the batch's wall time, each notebook's execution and whole turn (execution, measuring,
checks), the cells that raised (in brackets: stopped by a time limit), and the old-Keras
spellings the compatibility layer translated (each use counted).

    .venv/bin/python benchmarks/samples.py [--packs ID ...] [--profile fast] [--workers 2]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from common import GRADER, ROOT, grader_env

from grader.gradebook.store import Gradebook

PACKS = ["centralesupelec_lab7", "dat405_a7", "dlcourse_mlp", "kit_blatt10", "zhaw_cnn"]


def grade(pack: str, profile: str, workers: int, out: Path) -> tuple[float, list[dict[str, Any]]]:
    """Grade the pack's samples; the batch's wall seconds and each student's newest result."""
    started = time.perf_counter()
    proc = subprocess.run([GRADER, "grade", str(ROOT / "submissions" / pack), "-a", pack,
                           "--profile", profile, "--workers", str(workers), "--out", str(out),
                           "--no-pdf"], capture_output=True, text=True, env=grader_env(),
                          check=False)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # 1: some student below the pass mark
        raise SystemExit(f"{pack}: grader grade exited {proc.returncode}:\n{proc.stderr}")
    with Gradebook(out / "gradebook.sqlite") as book:
        return wall, book.latest(pack)


def row(pack: str, wall: float, results: list[dict[str, Any]]) -> str:
    """One markdown row: the pack's samples, their seconds, lost cells and translations."""
    execute = [float(r["timings"].get("execute") or 0) for r in results]
    total = [float(r["timings"].get("total") or 0) for r in results]
    failures = [f for r in results for f in (r.get("execution") or {}).get("failures") or []]
    timeouts = sum(f.get("ename") == "CellTimeout" for f in failures)
    translations = sum(len(r.get("compat") or []) for r in results)
    errors = sum(r["status"] != "graded" for r in results)
    return (f"| {pack} | {len(results)} | {wall:.0f} | {sum(execute) / len(execute):.0f} / "
            f"{max(execute):.0f} | {sum(total) / len(total):.0f} / {max(total):.0f} | "
            f"{len(failures)} ({timeouts}) | {translations} | {errors} |")


def main() -> None:
    """Grade each pack's samples and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packs", nargs="*", default=PACKS)
    parser.add_argument("--profile", default="fast")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print("| pack | samples | batch s | execution s per notebook (mean / max) "
          "| whole turn s (mean / max) | cells lost (time limits) | translations "
          "| not graded |")
    print("|---|---:|---:|---|---|---|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="samples-") as tmp:
        for pack in args.packs:
            wall, results = grade(pack, args.profile, args.workers, Path(tmp) / pack)
            print(row(pack, wall, results), flush=True)


if __name__ == "__main__":
    main()
