"""Time `grader check` on every pack's full sample solution, as a student runs it.

Prints a markdown table: pack, notebook, wall seconds (the whole command: kernel,
training under the profile, the grader's evaluation, the report), public score, exit
code. Run from the repository root after `make install`:

    .venv/bin/python benchmarks/self_check.py [--profile fast] [--packs ID ...]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import tempfile
import time

from common import GRADER, ROOT, grader_env

SOLUTIONS = {
    "dlcourse_mlp": "doejane_12345_67890_full_solution.ipynb",
    "zhaw_cnn": "full_solution",  # a folder: the course's three notebooks
    "centralesupelec_lab7": "full_solution.ipynb",
    "kit_blatt10": "full_solution.ipynb",
    "dat405_a7": "full_solution.ipynb",
}


def run(pack: str, profile: str) -> tuple[float, str, int]:
    """Seconds, the score line and the exit code of one `grader check`."""
    notebook = ROOT / "submissions" / pack / SOLUTIONS[pack]
    with tempfile.TemporaryDirectory() as out:
        start = time.monotonic()
        proc = subprocess.run([GRADER, "check", str(notebook), "-a", pack, "--profile", profile,
                               "--out", out], capture_output=True, text=True,
                              env=grader_env())
        seconds = time.monotonic() - start
    if proc.returncode == 2:
        raise SystemExit(f"{pack}: {proc.stderr.strip().splitlines()[-1]}")
    match = re.search(r"— ([\d.]+ / [\d.]+)", proc.stdout)
    return seconds, match.group(1) if match else "?", proc.returncode


def main() -> None:
    """Time every pack (or those named) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="fast")
    parser.add_argument("--packs", nargs="*", default=list(SOLUTIONS))
    args = parser.parse_args()
    print(f"`grader check` under the `{args.profile}` profile on {os.cpu_count()} CPU cores "
          f"({platform.processor() or platform.machine()}), no GPU; "
          f"{time.strftime('%Y-%m-%d')}.\n")
    print("| pack | notebook | seconds | public score | exit |")
    print("|---|---|---:|---|---:|")
    for pack in args.packs:
        seconds, score, code = run(pack, args.profile)
        print(f"| {pack} | {SOLUTIONS[pack]} | {seconds:.0f} | {score} | {code} |", flush=True)


if __name__ == "__main__":
    main()
