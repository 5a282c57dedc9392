"""The Gradescope autograder: built as a zip, run as Gradescope runs it."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.assignment.pack import find_pack
from grader.report.autograder import build_autograder
from tests.conftest import ROOT


def test_the_zip_holds_the_scripts_the_pack_and_the_grader(tmp_path):
    pack = find_pack("kit_blatt10")
    zipped = build_autograder(pack.root, pack.id, tmp_path)
    with zipfile.ZipFile(zipped) as zf:
        names = zf.namelist()
        assert {"setup.sh", "run_autograder", "packs/kit_blatt10/spec.toml",
                "packs/kit_blatt10/expected/fast.json"} <= set(names)
        wheel = [n for n in names if n.endswith(".whl")]
        assert len(wheel) == 1 and f"pip install --quiet ./{wheel[0]}" in zf.read(
            "setup.sh").decode()
        for script in ("setup.sh", "run_autograder"):
            assert stat.S_IMODE(zf.getinfo(script).external_attr >> 16) & 0o111
        assert "gradescope run -a kit_blatt10" in zf.read("run_autograder").decode()
    pinned = build_autograder(pack.root, pack.id, tmp_path / "pinned", "grader==0.2.0")
    with zipfile.ZipFile(pinned) as zf:
        assert not [n for n in zf.namelist() if n.endswith(".whl")]
        assert "pip install --quiet grader==0.2.0" in zf.read("setup.sh").decode()


@pytest.mark.kernel
def test_run_autograder_writes_the_results_gradescope_reads(tmp_path, mnist_path):
    """Gradescope's folder layout, the grader already installed (setup.sh's work)."""
    pack = find_pack("kit_blatt10")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(build_autograder(pack.root, pack.id, tmp_path, "grader")) as zf:
        zf.extractall(root / "source")
    (root / "submission").mkdir()
    shutil.copy(ROOT / "submissions" / "kit_blatt10" / "full_solution.ipynb",
                root / "submission" / "Blatt10.ipynb")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_MNIST": str(mnist_path),
           "GRADER": str(Path(sys.executable).with_name("grader"))}
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    assert doc["score"] == 8 and doc["output_format"] == "md"
    assert "| Question | Points |" in doc["output"] and "awaiting marking" in doc["output"]
    assert {"score", "max_score", "name", "output", "visibility"} <= set(doc["tests"][0])
    # a submission with no notebook: still a results.json, saying so
    shutil.rmtree(root / "submission")
    (root / "submission").mkdir()
    (root / "submission" / "notes.txt").write_text("oops")
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=120)
    doc = json.loads((root / "results" / "results.json").read_text())
    assert doc["score"] == 0 and "No .ipynb file in the submission" in doc["output"]
