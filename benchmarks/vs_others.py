"""`grader grade` against `nbgrader autograde`, `otter run` and plain `papermill`, side by side.

Wall time per submission and peak memory (all processes of the command together) on
the same notebooks, in one run:

  (a) N trivial notebooks (import Keras and TensorFlow, fit one tiny model on random
      data, one autograded test), 20 by default;
  (b) the `dlcourse_mlp` samples, (c) the `dat405_a7` samples, both as the `fast`
      profile runs them (its notebook parameters injected with papermill's own
      parameterisation, its training subsample served as MNIST) for every tool.

nbgrader, Otter and papermill are installed by this script into their own virtual
environment (`--tools-venv`, created once: `pip install nbgrader otter-grader papermill`
plus the same TensorFlow and Keras as the grader's), and run their notebooks with its
Python. The course layout nbgrader needs (`source/`, `release/`, `submitted/`, a
gradebook with the students) and Otter's autograder zip (a test per workload) are made
before the clock starts. `otter run` grades one submission per command, without Docker;
`papermill` runs one command per notebook. Kernels of the other tools get MNIST
offline the way the grader's do (the grader's own `offline_mnist` hook, through a
`sitecustomize` on their `PYTHONPATH`).

    .venv/bin/python benchmarks/vs_others.py --out /tmp/bench [--workloads a b c] [--n 20] \
        [--repeat 3]

Prints a markdown table, then the issue's targets with the measured ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from common import GRADER, ROOT, grader_env
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from grader.assignment.pack import find_pack
from grader.evaluate.data import prepare_kernel_copy
from grader.execute.virtualenvs import grader_path

IMPORTS = "import tensorflow, keras, ipykernel.kernelapp"
# a pure-Python loop (the kind of work a kernel's Keras tracing is) that times itself
SPIN = ("import time\nstart = time.perf_counter()\nx = 0\nfor i in range(20_000_000):\n"
        "    x += i * i % 7\nprint(time.perf_counter() - start)")
TRIVIAL_TEST = "assert model.count_params() == 7850"
OTTER_TEST = """OK_FORMAT = True

test = {{"name": "q1", "points": 1, "suites": [{{"cases": [{{"code": {code!r},
        "hidden": False, "locked": False}}], "scored": True, "setup": "", "teardown": "",
        "type": "doctest"}}]}}
"""
SITECUSTOMIZE = """import os
from grader.kernel import setup_src
setup_src.when_imported("keras", lambda _: setup_src.offline_mnist(os.environ["BENCH_MNIST"]))
"""


def tools_venv(path: Path) -> Path:
    """The virtual environment with nbgrader, Otter and papermill; created on first use."""
    python = path / "bin" / "python"
    if not (path / "bin" / "otter").exists():
        import keras
        import tensorflow as tf

        print(f"installing nbgrader, otter-grader, papermill into {path} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "nbgrader", "otter-grader",
                        "papermill", "ipykernel", "matplotlib", f"tensorflow-cpu=={tf.__version__}",
                        f"keras=={keras.__version__}"], check=True)
    return path / "bin"


def tree_rss(root: psutil.Process) -> int:
    """Resident memory of ``root`` and its descendants, summed (bytes).

    Raises:
        psutil.Error: ``root`` itself is gone.
    """
    total = 0
    for p in [root, *root.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def peak_rss(root: psutil.Process, stop: threading.Event, out: list[int]) -> None:
    """Sample the summed resident memory of ``root`` and its descendants until ``stop``."""
    peak = 0
    while not stop.is_set():
        with contextlib.suppress(psutil.Error):
            peak = max(peak, tree_rss(root))
        stop.wait(0.1)
    out.append(peak)


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent not idle since boot (all cores)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


Timing = tuple[float, int, int, float]


def timed(commands: list[list[str]], env: dict[str, str], cwd: Path) -> Timing:
    """Run commands one after another.

    Returns wall seconds, peak memory (bytes), the worst exit code and the CPU seconds the
    machine was busy meanwhile (all cores; the benchmark wants a machine with nothing else
    running, so that is the command's CPU time, its sandboxed kernels included).
    """
    start, peak, worst, busy = time.monotonic(), 0, 0, busy_cpu_seconds()
    for command in commands:
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        stop, got = threading.Event(), []
        sampler = threading.Thread(target=peak_rss, args=(psutil.Process(proc.pid), stop, got))
        sampler.start()
        worst = max(worst, proc.wait())
        stop.set()
        sampler.join()
        peak = max(peak, got[0] if got else 0)
    return time.monotonic() - start, peak, worst, busy_cpu_seconds() - busy


def import_floor(tools: Path, env: dict[str, str], runs: int = 3) -> float:
    """CPU seconds of a bare :data:`IMPORTS` in a fresh Python (median of runs).

    What every tool's kernel pays before a notebook's first cell: the floor of a
    trivial notebook's CPU time, whichever tool runs it.
    """
    seconds = []
    for _ in range(runs):
        before = os.times()
        subprocess.run([str(tools / "python"), "-c", IMPORTS], env=env, check=True,
                       capture_output=True)
        after = os.times()
        seconds.append(after.children_user - before.children_user
                       + after.children_system - before.children_system)
    return statistics.median_high(seconds)


def spin_seconds(copies: int) -> list[float]:
    """Seconds of :data:`SPIN` in each of ``copies`` processes started together."""
    procs = [subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE, text=True)
             for _ in range(copies)]
    return [float(p.communicate()[0]) for p in procs]


def parallel_ceiling(cores: int, rounds: int = 5) -> float:
    """How much more work ``cores`` busy cores do than one alone, on this machine now.

    Virtual cores may share a physical core or a host's power budget: then processes
    running at once each run slower than one alone. Each try runs the loop alone, as
    ``cores`` copies at once, and alone again (the machine's speed drifts); the median
    of ``rounds`` tries.
    """
    ratios = []
    for _ in range(rounds):
        before, together, after = spin_seconds(1)[0], spin_seconds(cores), spin_seconds(1)[0]
        ratios.append(sum((before + after) / 2 / t for t in together))
    return statistics.median_high(ratios)


def trivial_notebook() -> nbformat.NotebookNode:
    """Import Keras (and TensorFlow), fit one tiny model on random data, one graded test."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np\nimport keras\n"
                                  "rng = np.random.default_rng(0)\n"
                                  "x = rng.random((1000, 784), dtype='float32')\n"
                                  "y = rng.integers(0, 10, 1000)"),
        nbformat.v4.new_code_cell("model = keras.Sequential([keras.Input((784,)), "
                                  "keras.layers.Dense(10, activation='softmax')])\n"
                                  "model.compile('adam', 'sparse_categorical_crossentropy', "
                                  "metrics=['accuracy'])\n"
                                  "history = model.fit(x, y, epochs=1, batch_size=100, "
                                  "verbose=0)"),
        nbformat.v4.new_code_cell(TRIVIAL_TEST),
    ]
    nb.cells[2].metadata["nbgrader"] = {"grade": True, "grade_id": "params", "locked": True,
                                        "points": 1, "schema_version": 3, "solution": False,
                                        "task": False}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def workload(name: str, n: int, base: Path, mnist: Path) -> dict:
    """Notebooks of a workload: as the grader gets them and as the other tools get them."""
    folder, others = base / name / "grader", base / name / "others"
    for d in (folder, others):
        d.mkdir(parents=True, exist_ok=True)
    if name == "a":
        nb = trivial_notebook()
        for i in range(1, n + 1):
            nbformat.write(nb, folder / f"s{i:02d}.ipynb")
            nbformat.write(nb, others / f"s{i:02d}.ipynb")
        return {"folder": folder, "others": others, "pack": "dlcourse_mlp", "source": nb,
                "test": ">>> model.count_params() == 7850\nTrue", "mnist": mnist}
    pack = find_pack({"b": "dlcourse_mlp", "c": "dat405_a7"}[name])
    profile = pack.spec.profile("fast")
    for path in sorted((ROOT / "submissions" / pack.id).glob("*.ipynb")):
        shutil.copy(path, folder / path.name)
        nb = load_notebook_node(str(path))  # papermill's reader: tags and metadata it needs
        if any("parameters" in c.metadata.get("tags", []) for c in nb.cells):
            nb = parameterize_notebook(nb, dict(profile.parameters))
        nbformat.write(nb, others / path.name)
    source = nbformat.read(pack.root / "starter.ipynb", as_version=4)
    return {"folder": folder, "others": others, "pack": pack.id, "source": source,
            "test": ">>> True\nTrue",
            "mnist": prepare_kernel_copy(mnist, base / "data", profile.train_limit)}


def others_env(base: Path, mnist: Path, tools: Path) -> dict[str, str]:
    """Environment for nbgrader, Otter and papermill: their venv first, MNIST offline."""
    site = base / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return {"PATH": f"{tools}:/usr/bin:/bin", "HOME": str(base / "home"), "LANG": "C.UTF-8",
            "PYTHONPATH": f"{site}:{grader_path()}", "BENCH_MNIST": str(mnist),
            "JUPYTER_DATA_DIR": str(base / "jupyter"), "JUPYTER_PLATFORM_DIRS": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg"}


GRADER_ROWS = ("grader, 1 worker", "grader, 2 workers")


def middle(timings: list[Timing]) -> Timing:
    """The median run by wall time (the upper one of an even count): a whole run's figures."""
    return sorted(timings, key=lambda t: t[0])[len(timings) // 2]


def run_grader(w: dict, out: Path, workers: int) -> Timing:
    """`grader grade` on the workload's folder, fast profile, HTML reports (no PDF)."""
    env = grader_env()
    return timed([[GRADER, "grade", str(w["folder"]), "-a", w["pack"], "--profile", "fast",
                   "--out", str(out), "--no-pdf", "--force", "--workers", str(workers)]],
                 env, ROOT)


def run_papermill(w: dict, out: Path, tools: Path, env: dict[str, str],
                  ) -> Timing:
    """One `papermill` command per notebook, one after another: the floor.

    Papermill stops a notebook at its first failing cell, where the grader and nbgrader
    run the cells after it; so that the floor does the same work, papermill gets copies
    whose code cells are all tagged `raises-exception` (nbclient then runs on past an
    error, and papermill still exits 1 for it).
    """
    notebooks = out.parent / "papermill-in"
    out.mkdir(parents=True, exist_ok=True)
    notebooks.mkdir(parents=True, exist_ok=True)
    for path in sorted(w["others"].glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                tags = cell.metadata.setdefault("tags", [])
                if "raises-exception" not in tags:
                    tags.append("raises-exception")
        nbformat.write(nb, notebooks / path.name)
    return timed([[str(tools / "papermill"), str(nb), str(out / nb.name), "-k", "python3",
                   "--no-progress-bar"] for nb in sorted(notebooks.glob("*.ipynb"))],
                 env, out)


def run_nbgrader(w: dict, course: Path, tools: Path, env: dict[str, str],
                 ) -> Timing:
    """`nbgrader autograde` of every student in a course layout made first (not timed)."""
    (course / "source" / "ps1").mkdir(parents=True, exist_ok=True)
    nbformat.write(w["source"], course / "source" / "ps1" / "ps1.ipynb")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.course_id = 'bench'\n"
        "c.ExecutePreprocessor.timeout = 3600\nc.Execute.timeout = 3600\n")
    nbgrader = str(tools / "nbgrader")
    for _ in range(2):  # its first run creates the database
        subprocess.run([nbgrader, "generate_assignment", "ps1", "--force"], cwd=course, env=env,
                       capture_output=True)
    for nb in sorted(w["others"].glob("*.ipynb")):
        student = nb.stem.replace("_", "")
        subprocess.run([nbgrader, "db", "student", "add", student], cwd=course, env=env,
                       capture_output=True)
        (course / "submitted" / student / "ps1").mkdir(parents=True, exist_ok=True)
        shutil.copy(nb, course / "submitted" / student / "ps1" / "ps1.ipynb")
    return timed([[nbgrader, "autograde", "ps1", "--force"]], env, course)


def run_otter(w: dict, base: Path, tools: Path, env: dict[str, str],
              ) -> Timing:
    """One `otter run` per submission against an autograder zip generated first (not timed)."""
    (base / "tests").mkdir(parents=True, exist_ok=True)
    (base / "tests" / "q1.py").write_text(OTTER_TEST.format(code=w["test"]))
    subprocess.run([str(tools / "otter"), "generate", "-t", "tests", "-o", "autograder.zip",
                    "--no-requirements", "--no-environment", "--no-config"], cwd=base, env=env,
                   check=True, capture_output=True)
    commands = []
    for nb in sorted(w["others"].glob("*.ipynb")):
        out = base / "results" / nb.stem
        out.mkdir(parents=True, exist_ok=True)
        commands.append([str(tools / "otter"), "run", "-a", "autograder.zip", "-o", str(out),
                         "--no-logo", str(nb)])
    return timed(commands, env, base)


def main() -> None:
    """Run the workloads asked for with every tool; print the table and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--tools-venv", type=Path, default=ROOT / ".cache" / "bench-tools")
    parser.add_argument("--workloads", nargs="*", default=["a", "b", "c"])
    parser.add_argument("--n", type=int, default=20, help="trivial notebooks in workload (a)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each grader row, in turns; the table gives the median")
    args = parser.parse_args()
    tools = tools_venv(args.tools_venv.resolve())
    base = args.out.resolve()
    mnist = Path(grader_env()["GRADER_MNIST"])
    rows = []
    print(f"{os.cpu_count()} CPU cores ({platform.machine()}), "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, no GPU; "
          f"{time.strftime('%Y-%m-%d %H:%M')}.\n")
    cores = os.cpu_count() or 1
    print("| workload | tool | notebooks | wall s | s per notebook | CPU s per notebook | "
          "cores busy | peak memory MiB | exit |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.workloads:
        w = workload(name, args.n, base, mnist)
        count = len(list(w["folder"].glob("*.ipynb")))
        env = others_env(base / name, w["mnist"], tools)
        runs = {
            "grader, 1 worker": lambda w=w, name=name: run_grader(w, base / name / "g1", 1),
            "grader, 2 workers": lambda w=w, name=name: run_grader(w, base / name / "g2", 2),
            "papermill": lambda w=w, name=name, env=env: run_papermill(
                w, base / name / "papermill", tools, env),
            "nbgrader autograde": lambda w=w, name=name, env=env: run_nbgrader(
                w, base / name / "nbgrader", tools, env),
            "otter run": lambda w=w, name=name, env=env: run_otter(
                w, base / name / "otter", tools, env),
        }
        # the grader's two rows, run in turns (1, 2, 1, 2, ...) `--repeat` times: on a
        # shared machine the same command varies by several seconds from run to run
        timings: dict[str, list[Timing]] = {tool: [] for tool in runs}
        for _ in range(max(1, args.repeat)):
            for tool in GRADER_ROWS:
                timings[tool].append(runs[tool]())
        for tool, run in runs.items():
            got = timings[tool] or [run()]
            seconds, peak, code, cpu = middle(got)
            rows.append({"workload": name, "tool": tool, "n": count, "seconds": seconds,
                         "peak": peak, "exit": code, "cpu": cpu,
                         "all_seconds": [round(t[0], 1) for t in got]})
            print(f"| ({name}) | {tool} | {count} | {seconds:.0f} | {seconds / count:.1f} | "
                  f"{cpu / count:.1f} | {cpu / seconds / cores:.0%} of {cores} | "
                  f"{peak / 2**20:,.0f} | {code} |", flush=True)
        for tool in GRADER_ROWS if args.repeat > 1 else ():
            walls = ", ".join(f"{t[0]:.0f}" for t in timings[tool])
            print(f"\n({name}) {tool}: {args.repeat} runs, wall s in the order run: {walls}; "
                  "the row gives the median run", flush=True)
    (base / "results.json").write_text(json.dumps(rows, indent=1))
    floor = import_floor(tools, others_env(base, mnist, tools)) if "a" in args.workloads else 0.0
    targets(rows, floor, parallel_ceiling(cores) if "a" in args.workloads else float(cores))


def targets(rows: list[dict], floor: float, ceiling: float) -> None:
    """The issue's targets for workload (a), as measured ratios, with what bounds them.

    ``floor`` is the CPU seconds of a kernel's bare imports (:func:`import_floor`);
    ``ceiling`` what all cores at once do, in cores alone (:func:`parallel_ceiling`).
    """
    per = {r["tool"]: r["seconds"] / r["n"] for r in rows if r["workload"] == "a"}
    if len(per) < 5:
        return
    cores = os.cpu_count() or 1
    cpu = {r["tool"]: r["cpu"] / r["n"] for r in rows if r["workload"] == "a"}
    best_tool = min(GRADER_ROWS, key=per.__getitem__)
    best, nbgrader = per[best_tool], per["nbgrader autograde"]
    print("\nTargets on (a):")
    print(f"- grader per submission {best:.1f} s vs half of nbgrader's {nbgrader / 2:.1f} s: "
          f"{'met' if best <= nbgrader / 2 else 'NOT met'} ({nbgrader / best:.2f}x faster). "
          f"The grader spent {cpu[best_tool]:.1f} CPU s per notebook, nbgrader "
          f"{cpu['nbgrader autograde']:.1f}; a kernel's bare `{IMPORTS}` alone takes "
          f"{floor:.1f}, which the others pay for every notebook and the grader once per "
          f"batch (its kernels are forked from a server that imported them). "
          f"With all {cores} cores busy, "
          f"{cpu[best_tool]:.1f} CPU s per notebook allows at most "
          f"{nbgrader / (cpu[best_tool] / cores):.2f}x nbgrader's speed")
    overhead = per["grader, 1 worker"] / per["papermill"] - 1
    print(f"- grader (1 worker) over plain papermill: {overhead:+.0%} "
          f"({'met' if overhead < 0.15 else 'NOT met'}: under +15 %)")
    speedup = per["grader, 1 worker"] / per["grader, 2 workers"]
    one = next(r for r in rows if r["workload"] == "a" and r["tool"] == "grader, 1 worker")
    busy = one["cpu"] / one["seconds"] / (os.cpu_count() or 1)
    print(f"- 2 workers vs 1: {speedup:.2f}x throughput "
          f"({'met' if speedup >= 1.7 else 'NOT met'}: at least 1.7x); one worker already "
          f"keeps {busy:.0%} of the cores busy, and this machine's {cores} cores at once do "
          f"{ceiling:.2f}x the work of one alone (a pure-Python loop, alone and as {cores} "
          f"copies at once, the median of 5 tries), so more workers can gain at most "
          f"{ceiling / (busy * cores):.2f}x here")
    two = next(r for r in rows if r["workload"] == "a" and r["tool"] == "grader, 2 workers")
    if len(one["all_seconds"]) > 1:
        pairs = ", ".join(f"{a / b:.2f}x" for a, b in zip(one["all_seconds"],
                                                         two["all_seconds"], strict=True))
        print(f"  (the medians of {len(one['all_seconds'])} runs each; run by run: {pairs})")


if __name__ == "__main__":
    main()
