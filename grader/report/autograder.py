"""A Gradescope autograder: the zip that runs the grader inside Gradescope's own container.

Gradescope reads ``results.json`` only from inside its autograder: an ``autograder.zip``
whose ``setup.sh`` builds the image (Ubuntu, Python 3) and whose ``run_autograder``
grades ``/autograder/submission`` and writes ``/autograder/results/results.json``. The
zip holds the grader itself (a wheel, or a pip requirement), the pack, and those two
scripts; the grading is the one ``grader grade`` does, one notebook in one kernel.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grader.errors import ReportError
from grader.paths import SOURCE_TREE

RESULTS = "results/results.json"  # under the autograder root (``/autograder``)

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image.
set -euo pipefail
cd "$(dirname "$0")"
apt-get update -q && apt-get install -y -q --no-install-recommends \\
    python3-pip python3-venv bubblewrap libpango-1.0-0 libpangoft2-1.0-0 >/dev/null || true
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet --upgrade pip
/autograder/venv/bin/pip install --quiet {install}
# MNIST into the Keras cache, as students' notebooks find it
/autograder/venv/bin/python -c "import keras; keras.datasets.mnist.load_data()"
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade it, write results/results.json.
set -uo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
here="$(cd "$(dirname "$0")" && pwd)"
grader="${{GRADER:-/autograder/venv/bin/grader}}"
export GRADER_PACKS="$here/packs"
"$grader" gradescope run -a {assignment} --submission "$root/submission" \\
    --results "$root/{results}"
"""


def _wheel(into: Path) -> Path:
    """A wheel of this grader, built from its source tree."""
    source = SOURCE_TREE
    if not (source / "pyproject.toml").is_file():
        raise ReportError("this grader was not installed from its source tree: give "
                          "--requirement (what `pip install` takes) instead", path=source)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                           "--wheel-dir", str(into), str(source)],
                          capture_output=True, text=True, check=False)
    wheels = sorted(into.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        raise ReportError(f"could not build the grader's wheel: {proc.stderr.strip()[-400:]}",
                          path=source)
    return wheels[-1]


def build_autograder(pack_root: Path, assignment: str, out: Path,
                     requirement: str | None = None) -> Path:
    """Write ``OUT/<assignment>-autograder.zip`` for Gradescope; return its path.

    ``requirement`` installs the grader with pip (``grader==0.2.0``, a URL); without it
    the zip carries a wheel built from this grader's own source.
    """
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{assignment}-autograder.zip"
    with tempfile.TemporaryDirectory(prefix="grader-autograder-") as tmp:
        wheel = None if requirement else _wheel(Path(tmp))
        install = f"./{wheel.name}" if wheel is not None else shlex.quote(requirement or "grader")
        partial = target.with_suffix(".zip.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in (("setup.sh", SETUP.format(install=install)),
                               ("run_autograder", RUN.format(assignment=shlex.quote(assignment),
                                                             results=RESULTS))):
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o755 << 16  # executable, as Gradescope runs them
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, text)
            if wheel is not None:
                zf.write(wheel, wheel.name)
            for path in sorted(pack_root.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    zf.write(path, f"packs/{assignment}/{path.relative_to(pack_root)}")
        partial.replace(target)
    return target


def write_results(result: Mapping[str, Any] | None, path: Path, said: str = "") -> Path:
    """Gradescope's ``results.json`` for one graded submission (or for none, with why)."""
    from grader.report.export import gradescope_results

    if result is None:
        doc: dict[str, Any] = {"score": 0.0, "output": said or "No notebook to grade.",
                               "visibility": "visible", "tests": []}
    else:
        doc = gradescope_results(result)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def copy_submission(submission: Path, into: Path) -> list[Path]:
    """The notebooks of a Gradescope submission folder, copied where the grader reads them."""
    into.mkdir(parents=True, exist_ok=True)
    found = sorted(p for p in submission.rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
    for path in found:
        shutil.copyfile(path, into / path.name)
    return [into / p.name for p in found]
