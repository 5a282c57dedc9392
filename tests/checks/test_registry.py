"""Checks from outside the package: a pack's own checks.py and the grader.checks entry points."""

from __future__ import annotations

import shutil
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from grader.assignment.edition import _pack_files
from grader.assignment.pack import Pack
from grader.assignment.spec_toml import load_spec
from grader.checks import CheckInput, Outcome, checks
from grader.checks import base as registry_module
from grader.checks.base import CheckRegistry
from grader.errors import CheckError, SpecError
from tests.conftest import ROOT

PACK_CHECK = '''
from grader.checks import checks


@checks.register("{name}", needs_model=True)
def at_most_layers(inp):
    """Full marks when the graded model has at most ``most`` layers."""
    layers = inp.found["model"]["layers"]
    most = inp.params["most"]
    if len(layers) <= most:
        return inp.passed(f"{{len(layers)}} layers")
    return inp.failed(f"{{len(layers)}} layers, more than {{most}}")
'''


def _pack_with_checks(tmp_path: Path, name: str) -> Path:
    root = tmp_path / "mypack"
    shutil.copytree(ROOT / "reference" / "dlcourse_mlp", root)
    (root / "checks.py").write_text(textwrap.dedent(PACK_CHECK.format(name=name)))
    spec = (root / "spec.toml").read_text()
    old = '{ check = "layer_structure", points = 0, reference = "starter" },'
    assert old in spec
    spec = spec.replace(old, f'{{ check = "{name}", points = 0, most = 3 }},', 1)
    (root / "spec.toml").write_text(spec)
    return root


def test_a_packs_own_check_registers_with_its_spec_and_runs_like_a_built_in(tmp_path):
    root = _pack_with_checks(tmp_path, "at_most_layers_pack_a")
    spec = load_spec(root / "spec.toml")
    q1 = next(q for q in spec.questions if q.id == "q1_starter")
    assert "at_most_layers_pack_a" in [c.name for c in q1.checks]
    check = checks.get("at_most_layers_pack_a")
    assert check.needs_model and "at_most_layers_pack_a" in checks.names()
    found = {"model": {"layers": [{"class": "Dense"}] * 4}}
    result = check.run(CheckInput("q1.at_most", 1.0, {"most": 3}, {}, found))
    assert result.outcome is Outcome.FAIL and "more than 3" in result.message
    found = {"model": {"layers": [{"class": "Dense"}] * 2}}
    assert check.run(CheckInput("q1.at_most", 1.0, {"most": 3}, {}, found)).score == 1.0
    # loading the same spec again does not register twice
    load_spec(root / "spec.toml")


def test_a_packs_checks_travel_with_its_student_edition_and_its_fingerprint(tmp_path):
    root = _pack_with_checks(tmp_path, "at_most_layers_pack_b")
    pack = Pack(root, load_spec(root / "spec.toml"))
    assert root / "checks.py" in _pack_files(pack)
    before = pack.fingerprint("fast")
    (root / "checks.py").write_text((root / "checks.py").read_text() + "\n# changed\n")
    assert pack.fingerprint("fast") != before


def test_a_broken_packs_checks_are_one_error_naming_the_file(tmp_path):
    root = _pack_with_checks(tmp_path, "at_most_layers_pack_c")
    (root / "checks.py").write_text("raise RuntimeError('oops')\n")
    with pytest.raises(SpecError) as info:
        load_spec(root / "spec.toml")
    assert "checks.py" in str(info.value) and "oops" in str(info.value)


def test_a_pack_cannot_take_a_built_in_name(tmp_path):
    root = _pack_with_checks(tmp_path, "param_count")
    with pytest.raises(SpecError, match="registered twice"):
        load_spec(root / "spec.toml")


def test_entry_points_register_on_first_look_up(monkeypatch, tmp_path):
    module = tmp_path / "my_course_checks.py"
    module.write_text(textwrap.dedent(PACK_CHECK.format(name="from_an_installed_package"))
                      .replace("from grader.checks import checks",
                               "from grader.checks.base import checks as _c\n"
                               "import my_course_registry as reg\nchecks = reg.registry"))
    registry = CheckRegistry()
    holder = tmp_path / "my_course_registry.py"
    holder.write_text("registry = None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_course_registry

    my_course_registry.registry = registry
    point = EntryPoint(name="my_course", value="my_course_checks", group="grader.checks")
    monkeypatch.setattr(registry_module, "entry_points",
                        lambda group: [point] if group == "grader.checks" else [])
    assert registry.get("from_an_installed_package").name == "from_an_installed_package"
    assert registry.names() == ["from_an_installed_package"]


def test_an_entry_point_that_fails_is_named(monkeypatch):
    registry = CheckRegistry()
    point = EntryPoint(name="broken", value="no_such_module_anywhere", group="grader.checks")
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [point])
    with pytest.raises(CheckError, match="entry point 'broken'"):
        registry.get("anything")
