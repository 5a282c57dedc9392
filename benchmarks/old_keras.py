"""Old Keras two ways: the compatibility layer against a Keras 2.15 kernel environment.

Grades the wild corpus of the given packs (``submissions/wild/<pack>/``: notebooks
written as students write them against the courses' own starters, Keras 2 spellings
included) twice under the ``fast`` profile: once as the pack ships (the grader's own
Keras 3, with the compatibility layer translating old spellings), once with the pack
pinned to TensorFlow 2.15 (``[kernel] requirements``, a Keras 2 environment built once
and cached in ``$GRADER_ENVS``). Prints, per way: the environment's build time, seconds
per notebook, cells lost, translations made, and the automatic points.

    .venv/bin/python benchmarks/old_keras.py [--packs dat405_a7 dlcourse_mlp]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WILD = ROOT / "submissions" / "wild"
KERAS2 = ["tensorflow-cpu==2.15.1"]


def _grade(pack: str, out: Path, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    from benchmarks.common import GRADER
    from grader.gradebook.store import Gradebook

    proc = subprocess.run([GRADER, "grade", str(WILD / pack), "-a", pack, "--out", str(out),
                           "--no-pdf", "--audience", "instructor"], env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"grader grade {pack} failed:\n{proc.stdout}\n{proc.stderr}")
    with Gradebook(out / "gradebook.sqlite") as book:
        return {r["student"]: r for r in book.latest(pack)}


def _pinned(pack: str, packs: Path) -> None:
    """A copy of the pack whose kernels run TensorFlow 2.15 (Keras 2)."""
    shutil.copytree(ROOT / "reference" / pack, packs / pack)
    spec = packs / pack / "spec.toml"
    requirements = ", ".join(f'"{r}"' for r in KERAS2)
    spec.write_text(spec.read_text(encoding="utf-8")
                    + f"\n[kernel]\nrequirements = [{requirements}]\n", encoding="utf-8")


def main() -> int:
    """Grade each pack's wild notebooks both ways and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packs", nargs="*", default=["dat405_a7", "dlcourse_mlp"])
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from benchmarks.common import GRADER, grader_env
    from grader.grading.pack_check import automatic_points

    rows = ["| way | pack | notebooks | environment build (s) | seconds per notebook (mean / "
            "max) | cells lost | translations | automatic points |",
            "|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="old-keras-") as tmp:
        packs = Path(tmp) / "packs"
        for way in ("compatibility layer (Keras 3)", "Keras 2.15 environment"):
            env = grader_env()
            build = "–"
            if way.startswith("Keras 2"):
                for pack in args.packs:
                    _pinned(pack, packs)
                env["GRADER_PACKS"] = str(packs)
                start = time.perf_counter()
                for pack in args.packs:  # built once, cached: a second pack reuses it
                    subprocess.run([GRADER, "env", "build", pack], env=env, check=True,
                                   capture_output=True)
                build = f"{time.perf_counter() - start:.0f}"
            for pack in args.packs:
                results = _grade(pack, Path(tmp) / way[:6] / pack, env)
                seconds = [float((r.get("timings") or {}).get("execute") or 0)
                           for r in results.values()]
                lost = sum(len((r.get("execution") or {}).get("failures") or [])
                           for r in results.values())
                shims = sum(len(r.get("compat") or []) for r in results.values())
                earned = sum(automatic_points(r)[0] for r in results.values())
                rows.append(f"| {way} | {pack} | {len(results)} | {build} | "
                            f"{sum(seconds) / len(seconds):.0f} / {max(seconds):.0f} | {lost} "
                            f"| {shims} | {earned:g} |")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
