"""Kernel environments per pack: cache keys, builds, the evaluation worker, a Keras 2 batch."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from grader.assignment.pack import find_pack
from grader.assignment.spec import Dataset
from grader.errors import EnvironmentBuildError
from grader.evaluate.data import DataSource
from grader.evaluate.env_workers import EnvEvaluator
from grader.evaluate.workers import Evaluator
from grader.execute.virtualenvs import KernelEnv, build, env_root, grader_path, listing
from grader.gradebook.store import Gradebook
from tests.conftest import FIXTURES, ROOT, run_cli

KERAS2 = ["tensorflow-cpu==2.15.1"]
TWIN = FIXTURES / "keras2_twin_of_dlcourse_full_solution.ipynb"


def test_one_environment_per_requirement_list(tmp_path, monkeypatch):
    a = KernelEnv.for_requirements(["numpy<2", "tensorflow-cpu==2.15.1"], tmp_path)
    b = KernelEnv.for_requirements(["tensorflow-cpu==2.15.1 ", "numpy<2", ""], tmp_path)
    c = KernelEnv.for_requirements(["tensorflow-cpu==2.16.1"], tmp_path)
    assert a.key == b.key != c.key
    assert a.path == tmp_path / a.key and a.python == a.path / "bin" / "python"
    monkeypatch.setenv("GRADER_ENVS", str(tmp_path / "envs"))
    assert env_root() == tmp_path / "envs"
    monkeypatch.delenv("GRADER_ENVS")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert env_root() == tmp_path / "cache" / "grader" / "envs"


def test_packages_alone_build_an_environment_on_the_graders_own_stack(tmp_path):
    import subprocess

    env = KernelEnv.for_requirements([], tmp_path, packages=["session-info"])
    assert env.inherits and env.key != KernelEnv.for_requirements([], tmp_path).key
    build(env)
    assert env.ready() and env.info()["packages"] == ["session-info"]
    code = "import session_info, sklearn, seaborn, keras; print(session_info.__name__)"
    proc = subprocess.run([str(env.python), "-c", code], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    # the grader's packages were seen, not installed again: the environment stays small
    site = next(env.path.glob("lib/python*/site-packages"))
    assert not (site / "sklearn").exists() and (site / "session_info").exists()


def test_listing_tells_ready_from_incomplete(tmp_path):
    ready = tmp_path / "aaaa"
    (ready / "bin").mkdir(parents=True)
    (ready / "grader-env.json").write_text('{"requirements": ["x==1"], "keras": "2.15.0"}')
    (tmp_path / "bbbb").mkdir()
    rows = {r["key"]: r for r in listing(tmp_path)}
    assert rows["aaaa"]["ready"] and rows["aaaa"]["keras"] == "2.15.0"
    assert rows["aaaa"]["requirements"] == ["x==1"] and rows["aaaa"]["size_bytes"] > 0
    assert not rows["bbbb"]["ready"]
    assert listing(tmp_path / "none") == []


def test_a_requirement_pip_cannot_install_is_a_clear_error(tmp_path):
    env = KernelEnv.for_requirements(["grader-no-such-package-exists==0.0.1"], tmp_path)
    with pytest.raises(EnvironmentBuildError) as info:
        build(env)
    assert "could not install grader-no-such-package-exists" in info.value.message
    assert info.value.requirements == ["grader-no-such-package-exists==0.0.1"]
    assert Path(info.value.path).is_file() and not env.ready()


def test_grader_path_holds_only_the_grader_package():
    folder = grader_path()
    assert [p.name for p in folder.iterdir()] == ["grader"]
    assert (folder / "grader" / "envworker.py").resolve() == (
        ROOT / "grader" / "envworker.py").resolve()


@pytest.mark.kernel
def test_env_evaluator_answers_as_the_in_process_evaluator(tmp_path, tiny_mnist):
    """The JSON-lines worker (here run by this very Python) gives the same results."""
    import keras

    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.save(tmp_path / "m.keras")
    shutil.copy(tmp_path / "m.keras", tmp_path / "only_read.keras")
    (tmp_path / "broken.keras").write_text("not a zip")
    sources = {"mnist": DataSource(Dataset("mnist", 784, 10), tiny_mnist)}
    jobs = [(tmp_path / "m.keras", "mnist"), (tmp_path / "broken.keras", "mnist"),
            (tmp_path / "only_read.keras", None)]
    with Evaluator(sources, processes=0) as local:
        expected = local.evaluate(jobs)
    with EnvEvaluator(Path(sys.executable), sources, processes=2) as remote:
        got = remote.evaluate(jobs)
        assert remote.evaluate([]) == {}
    key = str((tmp_path / "m.keras").resolve())
    assert got[key]["accuracy"] == expected[key]["accuracy"]
    assert got[key]["confusion"] == expected[key]["confusion"]
    assert got[key]["structure"]["total_params"] == 7850
    read = got[str((tmp_path / "only_read.keras").resolve())]
    assert read == expected[str((tmp_path / "only_read.keras").resolve())]
    assert "accuracy" not in read and read["structure"]["total_params"] == 7850
    assert "could not load" in got[str((tmp_path / "broken.keras").resolve())]["error"]


def test_env_evaluator_reports_a_python_that_cannot_serve(tmp_path, tiny_mnist):
    sources = {"mnist": DataSource(Dataset("mnist", 784, 10), tiny_mnist)}
    with EnvEvaluator(Path("/bin/false"), sources, timeout=20) as ev:
        out = ev.evaluate([(tmp_path / "m.keras", "mnist")])
    assert "evaluation worker died" in next(iter(out.values()))["error"]


def test_env_evaluator_writes_what_its_workers_print_to_its_log(tmp_path, tiny_mnist, capfd):
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\necho 'cannot import grader' >&2\nexit 3\n")
    python.chmod(0o755)
    log = tmp_path / "logs" / "evaluate.log"
    sources = {"mnist": DataSource(Dataset("mnist", 784, 10), tiny_mnist)}
    with EnvEvaluator(python, sources, timeout=20, log=log) as ev:
        out = ev.evaluate([(tmp_path / "m.keras", "mnist")])
    error = next(iter(out.values()))["error"]
    assert "exit 3" in error and str(log) in error
    assert log.read_text() == "cannot import grader\n"
    assert "cannot import grader" not in capfd.readouterr().err


@pytest.fixture(scope="session")
def keras2_batch(tmp_path_factory) -> dict:
    """The dlcourse pack with a Keras 2 kernel environment; the twins graded in it once."""
    packs = tmp_path_factory.mktemp("packs")
    shutil.copytree(find_pack("dlcourse_mlp").root, packs / "dlcourse_mlp")
    spec = packs / "dlcourse_mlp" / "spec.toml"
    spec.write_text(spec.read_text() + f'\n[kernel]\nrequirements = ["{KERAS2[0]}"]\n')
    folder = tmp_path_factory.mktemp("keras2_class")
    shutil.copy(TWIN, folder / TWIN.name)
    out = tmp_path_factory.mktemp("keras2_out")
    env = {"GRADER_PACKS": str(packs),
           "GRADER_ENVS": os.environ.get("GRADER_ENVS", str(ROOT / ".cache" / "envs")),
           "GRADER_MNIST": os.environ.get("GRADER_MNIST",
                                          str(ROOT.parent / "shared" / "data" / "mnist.npz"))}
    built = run_cli("env", "build", "dlcourse_mlp", env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    proc = run_cli("grade", str(folder), "-a", "dlcourse_mlp", "--out", str(out), "--no-pdf",
                   env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with Gradebook(out / "gradebook.sqlite") as book:
        results = {r["student"]: r for r in book.latest("dlcourse_mlp")}
    return {"env": env, "built": built, "results": results, "out": out}


@pytest.mark.kernel
def test_keras2_environment_grades_the_twin_as_keras3_grades_the_original(keras2_batch, batch):
    twin, keras3 = keras2_batch["results"][TWIN.stem], batch["results"]["doejane"]
    assert twin["status"] == "graded", twin["error"]
    assert twin["keras_version"].startswith("2.15")
    assert twin["kernel_env"] == KERAS2
    measured = [m["evaluation"] for m in twin["models"]]
    assert measured and all("accuracy" in e for e in measured), measured  # by Keras 2.15
    assert twin["score"] == keras3["score"]
    assert [q["score"] for q in twin["questions"]] == [q["score"] for q in keras3["questions"]]
    assert {s["shim"] for s in twin["compat"]} == {"layers_core", "np_utils", "optimizer_lr",
                                                  "history_acc"}
    assert "Keras 2.15" in keras2_batch["built"].stdout


@pytest.mark.kernel
def test_env_commands_list_and_reuse_the_built_environment(keras2_batch):
    again = run_cli("env", "build", "dlcourse_mlp", env=keras2_batch["env"])
    assert again.returncode == 0 and "already built" in again.stdout
    shown = run_cli("env", "list", env=keras2_batch["env"])
    assert shown.returncode == 0 and "2.15.1" in shown.stdout and "ready" in shown.stdout
    plain = run_cli("env", "build", "dlcourse_mlp")
    assert plain.returncode == 0 and "grader's own environment" in plain.stdout
