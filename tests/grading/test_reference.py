"""Expected results are computed by the reference, and regenerate to the committed ones."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import ROOT, run_cli

PACK = ROOT / "reference" / "dlcourse_mlp"


def same_structure(a, b, where="$"):
    """Same keys, types and list lengths all the way down; numbers may differ."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{where}: {set(a) ^ set(b)}"
        for key in a:
            same_structure(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same_structure(x, y, f"{where}[{i}]")
    elif isinstance(a, (int, float)) and not isinstance(a, bool):
        assert isinstance(b, (int, float)) and not isinstance(b, bool), where
    else:
        assert type(a) is type(b), where


@pytest.mark.kernel
def test_fast_reference_rebuilds_to_the_committed_results(tmp_path, mnist_path):
    shutil.copytree(PACK, tmp_path / "dlcourse_mlp")
    proc = run_cli("reference", "build", "dlcourse_mlp", "--profile", "fast",
                   env={"GRADER_PACKS": str(tmp_path), "GRADER_MNIST": str(mnist_path)},
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    fresh = json.loads((tmp_path / "dlcourse_mlp" / "expected" / "fast.json").read_text())
    committed = json.loads((PACK / "expected" / "fast.json").read_text())
    same_structure(committed, fresh)
    for name, model in committed["models"].items():
        assert fresh["models"][name]["total_params"] == model["total_params"]
        assert fresh["models"][name]["evaluation"]["accuracy"] == pytest.approx(
            model["evaluation"]["accuracy"], abs=0.02)
    bounds = fresh["checks"]["q2_accuracy.accuracy_threshold"]
    assert bounds["lower"] == pytest.approx(fresh["models"]["starter"]["evaluation"]["accuracy"])
    assert bounds["upper"] == pytest.approx(
        fresh["models"]["improved"]["evaluation"]["accuracy"] - 0.01, abs=1e-4)


def test_full_profile_results_have_the_same_structure_as_fast():
    fast = json.loads((PACK / "expected" / "fast.json").read_text())
    full = json.loads((PACK / "expected" / "full.json").read_text())
    same_structure(fast, full)
    assert full["generated_with"]["train_images"] == 60000
    assert fast["generated_with"]["train_images"] == 12000


def test_show_prints_parameter_counts_and_thresholds_as_json():
    proc = run_cli("reference", "show", "dlcourse_mlp", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    for profile in ("fast", "full"):
        models = doc["profiles"][profile]["models"]
        assert models["starter"]["total_params"] == 12730  # the course's starter, 785n + 10(n+1)
        assert models["improved"]["total_params"] == 784 * 256 + 256 + 256 * 128 + 128 + 1290
        checks = doc["profiles"][profile]["checks"]
        assert 0.5 < checks["q2_accuracy.accuracy_threshold"]["lower"] < checks[
            "q2_accuracy.accuracy_threshold"]["upper"] < 1
    assert doc["profiles"]["full"]["models"]["improved"]["accuracy"] > 0.97


def test_unknown_assignment_is_one_line():
    proc = run_cli("reference", "show", "nope")
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: unknown assignment 'nope'")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_rebuilding_one_model_keeps_the_denoising_pair_whole(tmp_path):
    """``--only`` names models of the spec, and both denoising models or neither."""
    from grader.assignment.pack import find_pack
    from grader.errors import GraderError
    from grader.grading.reference import build_expected

    pack = find_pack("dat405_a7")  # its curves: classifier `cnn`, autoencoder `autoencoder`
    for only, words in [(["autoencoder"], "need both `cnn` and `autoencoder`"),
                        (["cnn", "vgg"], "no reference model 'vgg'")]:
        with pytest.raises(GraderError, match=words):  # before any data is read or trained
            build_expected(pack, "fast", tmp_path / "no.npz", tmp_path, only=only)
    shutil.copytree(pack.root, tmp_path / "dat405_a7")  # a model added to the spec since
    fast = tmp_path / "dat405_a7" / "expected" / "fast.json"
    doc = json.loads(fast.read_text())
    del doc["models"]["mlp500"]
    fast.write_text(json.dumps(doc))
    with pytest.raises(GraderError, match="no expected results for 'mlp500' yet"):
        build_expected(find_pack("dat405_a7", [tmp_path]), "fast", tmp_path / "no.npz",
                       tmp_path, only=["cnn", "autoencoder"])
