"""The package's layout: docs/layout.md names every module, and the layers match the linter's."""

from __future__ import annotations

import re

import tomllib

from grader.paths import KERNEL_CODE, KERNEL_SIDE_CODE, MEASURING_CODE, PACKAGE, SOURCE_TREE
from tests.conftest import ROOT

DOC = ROOT / "docs" / "layout.md"


def _modules_in_tree() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if path.name == "__init__.py" and path.parent != PACKAGE / "checks":
            continue
        if path.parent == PACKAGE and path.name in {"__init__.py", "__main__.py"}:
            continue
        found.add(rel)
    return found


def test_the_layout_page_names_every_module_and_nothing_else():
    named = set(re.findall(r"^\| `([\w/]+\.py)` \|", DOC.read_text(), re.M))
    in_tree = _modules_in_tree()
    assert in_tree - named == set(), "modules missing from docs/layout.md"
    assert named - in_tree == set(), "docs/layout.md names modules that do not exist"


def test_the_pages_stage_order_is_the_import_linters():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    stages = [layer for layer in layers if "|" not in layer and layer != "errors"]
    page = re.findall(r"^## `grader/(\w+)/`", DOC.read_text(), re.M)
    assert page == stages
    bottom = {m.strip() for layer in layers if "|" in layer for m in layer.split("|")}
    assert bottom | {"errors"} == {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}


def test_paths_computed_from_the_packages_own_location_exist():
    assert PACKAGE.name == "grader" and (PACKAGE / "__init__.py").is_file()
    assert SOURCE_TREE == ROOT and (SOURCE_TREE / "reference").is_dir()
    assert (KERNEL_CODE / "launch.py").is_file() and (KERNEL_CODE / "forkserver.py").is_file()
    assert all(p.is_file() for p in MEASURING_CODE) and len(MEASURING_CODE) == 6
    assert PACKAGE / "execute" / "inject.py" in KERNEL_SIDE_CODE
    assert all(p.is_file() for p in KERNEL_SIDE_CODE)
