"""How close the grader's reading of real-style notebooks is to a careful TA's.

Reads the wild corpus (``submissions/wild/<pack>/<name>.ipynb`` with its
``<name>.truth.toml``) and, without a kernel, locates every written answer as grading
does (:func:`grader.grading.answers.answers_and_sections`). Per pack it prints:

- answers found: of the answers the TA finds, those the grader finds in the same cells
  (by a label, in code comments, or by a guess it shows the marker as one);
- told missing: answers that are there but that the student would be told are missing
  (the one error the grader must never make);
- false finds: answers the grader reports where the TA finds none (a placeholder left
  under a heading, an untouched starter);
- verdicts agreeing: (notebook, question) pairs where the grader's verdict is the TA's
  (found where there is an answer, none where there is none; an unlabelled answer that
  the grader hands to the marker unlocated also agrees, since the marker reads it).

Run from the repository root after `make install`:

    .venv/bin/python benchmarks/fidelity.py [--packs ID ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

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


def judge(notebook: Path) -> list[Verdict]:
    """Each answer question of ``notebook``'s pack, judged against its truth file."""
    from grader.assignment.pack import find_pack
    from grader.grading.answers import answers_and_sections, starter_text

    pack = find_pack(notebook.parent.name)
    truth = tomllib.loads(notebook.with_suffix(".truth.toml").read_text(encoding="utf-8"))
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cells = [dict(c) | {"metadata": {"grader": {"cell": n}}}
             for n, c in enumerate(nb["cells"], 1)]
    for cell in cells:
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    located = answers_and_sections(pack.spec, cells, starter_text(pack.starter))
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


def corpus(packs: list[str] | None = None) -> list[Path]:
    """The wild corpus' notebooks, by pack."""
    return sorted(p for p in WILD.glob("*/*.ipynb")
                  if packs is None or p.parent.name in packs)


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


def main() -> int:
    """Print the table, then each disagreement."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packs", nargs="*", help="only these packs")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    start = time.perf_counter()
    verdicts = []
    for notebook in corpus(args.packs):
        for v in judge(notebook):
            v.pack = notebook.parent.name  # type: ignore[attr-defined]
            verdicts.append(v)
    seconds = time.perf_counter() - start
    print("\n".join(table(verdicts)))
    print(f"\n{len(corpus(args.packs))} notebooks judged in {seconds:.2f} s, no kernel.")
    wrong = [v for v in verdicts if not v.agrees]
    if wrong:
        print("\nDisagreements:")
        for v in wrong:
            print(f"- {v.pack}/{v.notebook} {v.question}: TA {v.truth} "  # type: ignore
                  f"({v.truth_how}, cells {v.truth_cells}); grader {v.found} {v.how or ''} "
                  f"{v.cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
