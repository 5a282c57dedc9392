"""Time a class's re-run after a spec fix that does not touch what kernels see.

For each pack: `grader grade` of its sample submissions (fast profile) into a fresh
folder, then the pack's spec is edited as an instructor fixing a check would (its
`version` goes up: a change outside the kernel's settings, profiles, calls and files),
and the same command runs again. The second run grades every unchanged notebook from
its stored run: no kernel starts; the saved models are measured again and every check
runs under the new spec. Prints a markdown table. Run from the repository root after
`make install`:

    .venv/bin/python benchmarks/recheck.py [--packs ID ...] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import GRADER, ROOT, grader_env, raise_spec_version


def grade(pack: str, packs: Path, out: Path, workers: int) -> tuple[float, str]:
    """Seconds and the last line of one `grader grade` of the pack's samples."""
    start = time.monotonic()
    proc = subprocess.run([GRADER, "grade", str(ROOT / "submissions" / pack), "-a", pack,
                           "--out", str(out), "--no-pdf", "--workers", str(workers)],
                          capture_output=True, text=True,
                          env=grader_env() | {"GRADER_PACKS": str(packs)})
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{pack}: grader grade exited {proc.returncode}:\n{proc.stderr}")
    return seconds, proc.stdout.strip().splitlines()[-1]


def main() -> None:
    """Grade, fix the spec, grade again; one row per pack."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packs", nargs="*", default=["dlcourse_mlp", "dat405_a7"])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPU cores ({platform.machine()}), no GPU, {args.workers} workers; "
          f"{time.strftime('%Y-%m-%d')}.\n")
    print("| pack | submissions | first run s | after the spec fix s | graded from stored runs |")
    print("|---|---:|---:|---:|---:|")
    for pack in args.packs:
        with tempfile.TemporaryDirectory() as tmp:
            packs, out = Path(tmp) / "packs", Path(tmp) / "out"
            shutil.copytree(ROOT / "reference" / pack, packs / pack)
            first, _ = grade(pack, packs, out, args.workers)
            raise_spec_version(packs / pack / "spec.toml")
            again, line = grade(pack, packs, out, args.workers)
            count = len(list((ROOT / "submissions" / pack).glob("*.ipynb")))
            stored = re.search(r"\((\d+) from their stored run", line)
            print(f"| {pack} | {count} | {first:.0f} | {again:.0f} | "
                  f"{stored.group(1) if stored else 0} |", flush=True)


if __name__ == "__main__":
    main()
