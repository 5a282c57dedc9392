"""The probe's output is moved out of the kernel's reach, and only untouched models kept."""

from __future__ import annotations

import hashlib
import json
import os

from grader.execute.collect import collect


def probe_dir_with(tmp_path, files: dict[str, bytes], claimed: dict[str, bytes] | None = None):
    """A probe dir as the probe leaves it: model files and probe.json with their sha256."""
    probe = tmp_path / "work" / ".probe-0"
    (probe / "models").mkdir(parents=True)
    models = []
    for i, (name, data) in enumerate(files.items()):
        (probe / "models" / name).write_bytes(data)
        saved = (claimed or files)[name]
        models.append({"id": i, "file": f"models/{name}",
                       "sha256": hashlib.sha256(saved).hexdigest()})
    (probe / "probe.json").write_text(json.dumps({"models": models}), encoding="utf-8")
    return probe


def test_models_are_moved_not_copied(tmp_path):
    probe = probe_dir_with(tmp_path, {"model-0.keras": b"PK model"})
    doc = collect(probe, tmp_path / "collected")
    assert doc["models"][0]["file"] == "models/model-0.keras"
    assert (tmp_path / "collected" / "models" / "model-0.keras").read_bytes() == b"PK model"
    assert not (probe / "models" / "model-0.keras").exists()
    assert json.loads((tmp_path / "collected" / "probe.json").read_text()) == doc


def test_a_model_changed_after_the_probe_is_not_kept(tmp_path):
    probe = probe_dir_with(tmp_path, {"model-0.keras": b"garbage"},
                           claimed={"model-0.keras": b"PK model"})
    doc = collect(probe, tmp_path / "collected")
    assert doc["models"][0]["file"] is None and "changed or removed" in doc["models"][0][
        "export_error"]
    assert not list((tmp_path / "collected" / "models").iterdir())


def test_a_hard_linked_model_is_copied_so_the_kernel_keeps_no_handle(tmp_path):
    probe = probe_dir_with(tmp_path, {"model-0.keras": b"PK model"})
    os.link(probe / "models" / "model-0.keras", tmp_path / "work" / "handle")
    collect(probe, tmp_path / "collected")
    kept = tmp_path / "collected" / "models" / "model-0.keras"
    assert kept.read_bytes() == b"PK model" and kept.stat().st_nlink == 1
    (tmp_path / "work" / "handle").write_bytes(b"garbage")
    assert kept.read_bytes() == b"PK model"


def test_a_symlinked_or_misnamed_model_is_refused(tmp_path):
    probe = probe_dir_with(tmp_path, {"model-0.keras": b"PK model", "model-1.keras": b"PK two"})
    outside = tmp_path / "outside.keras"
    outside.write_bytes(b"PK model")
    (probe / "models" / "model-0.keras").unlink()
    (probe / "models" / "model-0.keras").symlink_to(outside)
    doc = json.loads((probe / "probe.json").read_text())
    doc["models"][1]["file"] = "../outside.keras"
    (probe / "probe.json").write_text(json.dumps(doc))
    got = collect(probe, tmp_path / "collected")
    assert [m["file"] for m in got["models"]] == [None, None]
    assert outside.read_bytes() == b"PK model"
