# Two commands do all set-up on a fresh machine (see README):
#   make demo   install, then grade the shipped sample submissions into reports/
#   make test   install, then lint, type-check, build the docs (warnings as errors) and run
#               the whole test suite (what CI runs)

VENV ?= .venv
PY := $(VENV)/bin/python
# MNIST in Keras layout. Unset, the grader uses ~/.keras/datasets/mnist.npz (or downloads it).
GRADER_MNIST ?= $(wildcard $(abspath ../shared/data/mnist.npz))
export GRADER_MNIST

.PHONY: install system-deps demo test docs

install: $(VENV)/.installed system-deps

# Debian packages: bubblewrap (the kernels' sandbox), pango for WeasyPrint's PDFs,
# poppler-utils (pdftoppm, pdftotext) for the tests that look at the PDFs, and graphviz
# (`dot`, which keras.utils.plot_model draws with in students' notebooks). Installed
# only when missing (needs root or sudo).
SYSTEM_PACKAGES := poppler-utils libpango-1.0-0 libpangoft2-1.0-0 bubblewrap graphviz
# What Qt WebEngine (Chromium, the tests' browser: tests/browser.py) loads; best effort,
# as package names differ between distributions.
BROWSER_PACKAGES := libnss3 libgbm1 libasound2 libxkbfile1 libxcomposite1 libxdamage1 \
	libxrandr2 libxtst6 libxkbcommon0 libegl1 libgl1 libfontconfig1 libdbus-1-3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@if ! command -v pdftoppm >/dev/null || ! command -v bwrap >/dev/null || \
	    ! command -v dot >/dev/null || \
	    ! ldconfig -p | grep -q libpangoft2-1.0; then \
	  echo "installing $(SYSTEM_PACKAGES)"; \
	  $(SUDO) apt-get install -y -q --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && \
	    $(SUDO) apt-get install -y -q --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; }; \
	fi
	@if ! ldconfig -p | grep -q 'libnss3\.so ' || ! ldconfig -p | grep -q 'libxkbfile\.so\.1 '; then \
	  echo "installing $(BROWSER_PACKAGES)"; \
	  $(SUDO) apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null 2>&1 && \
	    $(SUDO) apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES) >/dev/null 2>&1; } || \
	  echo "could not install them: the tests that draw pages in a browser will be skipped"; \
	fi

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

demo: install
	$(VENV)/bin/grader grade submissions/dlcourse_mlp --assignment dlcourse_mlp --out reports/dlcourse_mlp

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet
	$(PY) -m pytest -ra --durations=25

docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict   # the site, into build/site
