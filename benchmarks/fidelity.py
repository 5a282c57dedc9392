"""How close the grader's reading of real-style notebooks is to a careful TA's.

Reads the wild corpus (``submissions/wild/<pack>/<name>.ipynb`` with its
``<name>.truth.toml``; for an assignment of several notebooks, a folder ``<name>/`` of
them, whose truth numbers the cells of the notebook the grader joins them into) and,
without a kernel, locates every written answer as grading does
(:func:`grader.grading.answers.answers_in`). Per pack it prints:

- answers found: of the answers the TA finds, those the grader finds in the same cells
  (by a label, in code comments, or by a guess it shows the marker as one);
- told missing: answers that are there but that the student would be told are missing
  (the one error the grader must never make);
- false finds: answers the grader reports where the TA finds none (a placeholder left
  under a heading, an untouched starter);
- verdicts agreeing: (notebook, question) pairs where the grader's verdict is the TA's
  (found where there is an answer, none where there is none; an unlabelled answer that
  the grader hands to the marker unlocated also agrees, since the marker reads it).

With ``--run`` it also grades every notebook (``grader grade``, the packs' default
``fast`` profile, one kernel per notebook) and compares each question's automatic points
with what the TA gives the student's own work (the truth file's ``[points]``):

- points agreeing: (notebook, question) pairs within a quarter of the question's points;
- objects agreeing: questions whose graded model is the one the TA grades (the truth
  file's ``[graded]``: the cell that trained it; 0 when the notebook holds none of the
  student's own);
- mean total error: the mean over notebooks of |grader's automatic total − the TA's|;
- per notebook: seconds to execute, cells lost (of them to time limits), old-Keras
  translations made, and the largest disagreement.

Run from the repository root after `make install`:

    .venv/bin/python benchmarks/fidelity.py [--packs ID ...] [--notebooks NAME ...] [--run]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

ROOT = Path(__file__).resolve().parents[1]
WILD = ROOT / "submissions" / "wild"


@dataclass
class Verdict:
    """One (notebook, question): what the TA finds and what the grader does."""

    notebook: str
    question: str
    truth: str  # present, absent, placeholder
    truth_how: str
    truth_cells: list[int]
    found: str  # found, unlocated, missing
    how: str | None = None
    cells: list[int] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        """Whether the grader's verdict is the TA's."""
        if self.truth == "present":
            if self.found == "found":
                return bool(set(self.cells) & set(self.truth_cells))
            return self.found == "unlocated" and self.truth_how == "unlabelled"
        return self.found != "found"


def notebook_cells(notebook: Path) -> list[dict[str, Any]]:
    """A corpus entry's cells as grading numbers them: a folder's notebooks joined."""
    import nbformat

    from grader.assignment.pack import find_pack
    from grader.assignment.parts import join_parts, match_parts
    from grader.grading.assess import numbered_cells

    if notebook.is_dir():
        names = find_pack(notebook.parent.name).spec.notebooks
        nb = join_parts(match_parts(sorted(notebook.glob("*.ipynb")), names)[0], names)
    else:
        nb = nbformat.read(notebook, as_version=4)
    return numbered_cells(nb)


def truth_of(notebook: Path) -> dict[str, Any]:
    """A corpus entry's truth file (beside the notebook, or beside the folder)."""
    path = notebook.with_name(f"{notebook.stem}.truth.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


def judge(notebook: Path) -> list[Verdict]:
    """Each answer question of ``notebook``'s pack, judged against its truth file."""
    from grader.assignment.pack import find_pack
    from grader.grading.answers import answers_in

    pack = find_pack(notebook.parent.name)
    truth = truth_of(notebook)
    located = answers_in(pack.spec, pack.starter, notebook_cells(notebook))
    out = []
    for qid, t in truth["answers"].items():
        got = located[qid]
        answer = got["answer"]
        if answer:
            first, last = answer["cells"]
            found, how, where = "found", answer["how"], list(range(first, last + 1))
        else:
            found = "unlocated" if got["unlocated"] else "missing"
            how, where = None, []
        out.append(Verdict(notebook.stem, qid, t["answer"], t["how"], t["cells"], found, how,
                           where))
    return out


def corpus(packs: list[str] | None = None, names: list[str] | None = None) -> list[Path]:
    """The wild corpus' entries, by pack: notebooks, and folders of several notebooks.

    ``names``: only the entries of these names (a notebook's without ``.ipynb``).
    """
    return sorted(p for p in WILD.glob("*/*")
                  if (p.suffix == ".ipynb" and p.is_file()
                      or p.is_dir() and any(p.glob("*.ipynb")))
                  and (packs is None or p.parent.name in packs)
                  and (names is None or p.stem in names))


def table(verdicts: list[Verdict]) -> list[str]:
    """The per-pack markdown table."""
    rows = ["| pack | notebooks | pairs | verdicts agreeing | answers found | told missing "
            "| false finds |", "|---|---|---|---|---|---|---|"]
    by_pack: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_pack.setdefault(v.pack, []).append(v)  # type: ignore[attr-defined]
    for pack, vs in [*sorted(by_pack.items()), ("all", verdicts)]:
        present = [v for v in vs if v.truth == "present"]
        found = [v for v in present if v.found == "found" and v.agrees]
        missing = [v for v in present if v.found == "missing"]
        not_there = [v for v in vs if v.truth != "present"]
        false = [v for v in not_there if v.found == "found"]
        agree = sum(v.agrees for v in vs)
        rows.append(f"| {pack} | {len({(v.pack, v.notebook) for v in vs})} | {len(vs)} | "
                    f"{agree}/{len(vs)} ({100 * agree / max(1, len(vs)):.1f} %) | "
                    f"{len(found)}/{len(present)} ({100 * len(found) / max(1, len(present)):.1f} %)"
                    f" | {len(missing)} | {len(false)} of {len(not_there)} |")
    return rows


def grade_pack(pack: str, entries: list[Path], out: Path) -> dict[str, dict[str, Any]]:
    """Grade some of a pack's wild notebooks through the CLI: their results by student id.

    The entries (notebooks, folders of notebooks) are copied into a class folder of their
    own, beside ``out``, so that a chosen few are graded as the whole corpus would be.
    """
    from benchmarks.common import GRADER, grader_env
    from grader.gradebook.store import Gradebook

    class_dir = out.with_name(f"{out.name}-class")
    class_dir.mkdir(parents=True)
    for entry in entries:
        (shutil.copytree if entry.is_dir() else shutil.copyfile)(entry, class_dir / entry.name)
    proc = subprocess.run([GRADER, "grade", str(class_dir), "-a", pack, "--out", str(out),
                           "--no-pdf", "--audience", "instructor"], env=grader_env(),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"grader grade {pack} failed:\n{proc.stdout}\n{proc.stderr}")
    with Gradebook(out / "gradebook.sqlite") as book:
        return {r["student"]: r for r in book.latest(pack)}


def automatic(question: dict[str, Any]) -> float:
    """A question's points from its automatic checks (written answers are graded by hand)."""
    from grader.grading.pack_check import automatic_checks

    return sum(c["score"] for c in automatic_checks(question))


@dataclass
class Graded:
    """One notebook graded with a kernel, beside the TA's points for its work."""

    pack: str
    notebook: str
    pairs: list[tuple[str, float, float, float]]  # question, grader, TA, question's points
    objects: list[tuple[str, int, int]]  # question, the grader's model's fit cell, the TA's
    seconds: float
    lost: int
    timeouts: int
    translations: int

    @property
    def agreeing(self) -> int:
        """Pairs within a quarter of the question's points."""
        return sum(abs(g - t) <= 0.25 * p + 1e-9 for _, g, t, p in self.pairs)

    @property
    def same_objects(self) -> int:
        """Questions graded on the model the TA grades."""
        return sum(g == t for _, g, t in self.objects)

    @property
    def total_error(self) -> float:
        """|grader's automatic total − the TA's| for the notebook."""
        return abs(sum(g for _, g, _, _ in self.pairs) - sum(t for _, _, t, _ in self.pairs))


def run_corpus(packs: list[str] | None, names: list[str] | None = None) -> list[Graded]:
    """Grade the corpus pack by pack and set each result beside its truth file's points."""
    out: list[Graded] = []
    by_pack: dict[str, list[Path]] = {}
    for notebook in corpus(packs, names):
        by_pack.setdefault(notebook.parent.name, []).append(notebook)
    with tempfile.TemporaryDirectory(prefix="fidelity-") as tmp:
        for pack, notebooks in sorted(by_pack.items()):
            results = grade_pack(pack, notebooks, Path(tmp) / pack)
            for notebook in notebooks:
                truth = truth_of(notebook)
                r = results[notebook.stem]
                questions = {q["id"]: q for q in r["questions"]}
                pairs = [(qid, automatic(questions[qid]), float(fair),
                          float(questions[qid]["points"]))
                         for qid, fair in truth.get("points", {}).items()]
                cells = {m["id"]: int(m.get("fit_cell") or 0) for m in r.get("models", [])}
                objects = [(qid, cells.get((questions[qid].get("selection") or {}).get(
                    "model_id"), 0), int(cell))
                    for qid, cell in truth.get("graded", {}).items()]
                failures = (r.get("execution") or {}).get("failures") or []
                out.append(Graded(pack, notebook.stem, pairs, objects,
                                  float((r.get("timings") or {}).get("execute") or 0.0),
                                  len(failures),
                                  sum(f.get("ename") == "CellTimeout" for f in failures),
                                  len(r.get("compat") or [])))
    return out


def points_tables(graded: list[Graded]) -> list[str]:
    """The per-pack summary and the per-notebook table of a ``--run``."""
    rows = ["| pack | notebooks | points agreeing | objects agreeing | mean total error | "
            "seconds per notebook (mean / max) | cells lost (time limits) | translations |",
            "|---|---|---|---|---|---|---|---|"]
    packs: dict[str, list[Graded]] = {}
    for g in graded:
        packs.setdefault(g.pack, []).append(g)
    for pack, gs in [*sorted(packs.items()), ("all", graded)]:
        pairs = sum(len(g.pairs) for g in gs)
        agree = sum(g.agreeing for g in gs)
        objs = sum(len(g.objects) for g in gs)
        same = sum(g.same_objects for g in gs)
        rows.append(f"| {pack} | {len(gs)} | {agree}/{pairs} ({100 * agree / max(1, pairs):.1f} %)"
                    f" | {same}/{objs} | {sum(g.total_error for g in gs) / len(gs):.2f} | "
                    f"{sum(g.seconds for g in gs) / len(gs):.0f} / "
                    f"{max(g.seconds for g in gs):.0f} | {sum(g.lost for g in gs)} "
                    f"({sum(g.timeouts for g in gs)}) | {sum(g.translations for g in gs)} |")
    rows += ["", "| notebook | seconds | cells lost | translations | grader / TA | "
             "largest disagreement | other object graded |", "|---|---|---|---|---|---|---|"]
    for g in graded:
        worst = max(g.pairs, key=lambda x: abs(x[1] - x[2]), default=None)
        off = (f"{worst[0]}: {worst[1]:g} vs {worst[2]:g}"
               if worst and abs(worst[1] - worst[2]) > 1e-9 else "–")
        other = "; ".join(f"{q}: cell {gc} (TA: {tc})" for q, gc, tc in g.objects if gc != tc)
        rows.append(f"| {g.pack}/{g.notebook} | {g.seconds:.0f} | {g.lost} | {g.translations} "
                    f"| {sum(x[1] for x in g.pairs):g} / {sum(x[2] for x in g.pairs):g} "
                    f"| {off} | {other or '–'} |")
    return rows


def main() -> int:
    """Print the table, then each disagreement."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packs", nargs="*", help="only these packs")
    parser.add_argument("--notebooks", nargs="*", help="only these entries (their names)")
    parser.add_argument("--run", action="store_true",
                        help="also grade each notebook with a kernel and compare the points")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    start = time.perf_counter()
    verdicts = []
    for notebook in corpus(args.packs, args.notebooks):
        for v in judge(notebook):
            v.pack = notebook.parent.name  # type: ignore[attr-defined]
            verdicts.append(v)
    seconds = time.perf_counter() - start
    print("\n".join(table(verdicts)))
    judged = len(corpus(args.packs, args.notebooks))
    print(f"\n{judged} notebooks judged in {seconds:.2f} s, no kernel.")
    wrong = [v for v in verdicts if not v.agrees]
    if wrong:
        print("\nDisagreements:")
        for v in wrong:
            print(f"- {v.pack}/{v.notebook} {v.question}: TA {v.truth} "  # type: ignore
                  f"({v.truth_how}, cells {v.truth_cells}); grader {v.found} {v.how or ''} "
                  f"{v.cells}")
    if args.run:
        start = time.perf_counter()
        graded = run_corpus(args.packs, args.notebooks)
        print("\n" + "\n".join(points_tables(graded)))
        print(f"\n{len(graded)} notebooks graded in {time.perf_counter() - start:.0f} s "
              "(the fast profile, one kernel each).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
