# Two commands do all set-up on a fresh machine (see README):
#   make demo   install, then grade the shipped sample submissions into reports/
#   make test   install, then lint and run the whole test suite (what CI runs)

VENV ?= .venv
PY := $(VENV)/bin/python
# MNIST in Keras layout. Unset, the grader uses ~/.keras/datasets/mnist.npz (or downloads it).
GRADER_MNIST ?= $(wildcard $(abspath ../shared/data/mnist.npz))
export GRADER_MNIST

.PHONY: install demo test

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

demo: install
	$(VENV)/bin/grader grade submissions/dlcourse_mlp --assignment dlcourse_mlp --out reports/dlcourse_mlp

test: install
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -ra
