"""How well the fast profile predicts the full one: verdicts on every sample submission.

Grades each pack's samples (``submissions/<pack>/``) under both profiles with
``grader grade`` (results are cached in ``--out``, so an interrupted run resumes),
then compares every public check's verdict: pass, or not (fail, partial, error).
Manual and skipped checks are left out. Prints a markdown table per pack and overall.

    .venv/bin/python benchmarks/fast_vs_full.py --out /tmp/fvf [--packs ID ...]

The full profile trains as the handouts do: on 2 CPU cores it takes hours for
``dat405_a7`` (its weight-decay sweep); use a GPU grader for that one.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from common import GRADER, ROOT, grader_env

from grader.gradebook.store import Gradebook

PACKS = ["dlcourse_mlp", "zhaw_cnn", "centralesupelec_lab7", "kit_blatt10", "dat405_a7"]


def grade(pack: str, profile: str, out: Path) -> dict[str, dict]:
    """Grade the pack's samples under ``profile``; return the newest result per student."""
    folder = out / pack / profile
    proc = subprocess.run([GRADER, "grade", str(ROOT / "submissions" / pack), "-a", pack,
                           "--profile", profile, "--out", str(folder), "--no-pdf"],
                          capture_output=True, text=True, env=grader_env())
    if proc.returncode != 0:
        raise SystemExit(f"{pack} ({profile}): {proc.stderr.strip()}")
    with Gradebook(folder / "gradebook.sqlite") as book:
        return {r["student"]: r for r in book.latest(pack)}


def verdicts(result: dict) -> dict[str, bool]:
    """Public, automatically graded checks: passed or not."""
    return {c["id"]: c["outcome"] == "pass" for q in result.get("questions", [])
            for c in q["checks"] if c.get("public", True)
            and c["outcome"] in ("pass", "fail", "partial", "error")}


def compare(fast: dict[str, dict], full: dict[str, dict]) -> dict[str, float]:
    """Agreement of verdicts and scores between the two profiles."""
    same = fp_pass = f_pass = fp_fail = f_fail = n = 0
    score_gap = []
    for student, f in fast.items():
        g = full.get(student)
        if g is None or f["status"] != "graded" or g["status"] != "graded":
            continue
        vf, vg = verdicts(f), verdicts(g)
        for cid in set(vf) & set(vg):
            n += 1
            same += vf[cid] == vg[cid]
            if vf[cid]:
                f_pass += 1
                fp_pass += vg[cid]
            else:
                f_fail += 1
                fp_fail += not vg[cid]
        score_gap.append(abs(f["score"] - g["score"]))
    return {"submissions": len(score_gap), "checks": n,
            "agree": same / n if n else float("nan"),
            "pass_predicts_pass": fp_pass / f_pass if f_pass else float("nan"),
            "fail_predicts_fail": fp_fail / f_fail if f_fail else float("nan"),
            "mean_score_gap": sum(score_gap) / len(score_gap) if score_gap else float("nan")}


def main() -> None:
    """Grade, compare, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--packs", nargs="*", default=PACKS)
    args = parser.parse_args()
    print("| pack | submissions | public checks | same verdict | fast pass → full pass "
          "| fast fail → full fail | mean score gap (points) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for pack in args.packs:
        c = compare(grade(pack, "fast", args.out), grade(pack, "full", args.out))
        print(f"| {pack} | {c['submissions']} | {c['checks']} | {c['agree']:.0%} | "
              f"{c['pass_predicts_pass']:.0%} | {c['fail_predicts_fail']:.0%} | "
              f"{c['mean_score_gap']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
