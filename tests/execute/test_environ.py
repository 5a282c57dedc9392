"""A kernel's environment: the grader's choices, plus the Keras backend the grader runs with."""

from __future__ import annotations

from pathlib import Path

from grader.execute.environ import kept_env, kernel_env


def test_the_keras_backend_reaches_kernels_and_nothing_else_of_the_graders(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    monkeypatch.setenv("SECRET_TOKEN", "x")
    env = kernel_env(Path("/w"), 3, "fast")
    assert env["KERAS_BACKEND"] == "torch" and "SECRET_TOKEN" not in env
    assert env["KERAS_HOME"] == "/w/.keras" and env["PYTHONHASHSEED"] == "3"


def test_no_backend_chosen_means_keras_picks_its_own(monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert "KERAS_BACKEND" not in kernel_env(Path("/w"), 0, "fast")
    assert kept_env({"KERAS_BACKEND": ""}) == {}
    assert kept_env({"KERAS_BACKEND": "jax", "PATH": "/bin"}) == {"KERAS_BACKEND": "jax"}
