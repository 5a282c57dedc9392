"""Property tests: malformed notebooks and specs get a clear error, never our traceback."""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import nbformat
import pytest
import tomli_w
import tomllib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.assignment.pack import find_pack
from grader.assignment.spec_toml import load_spec
from grader.errors import GraderError, NotebookError
from grader.execute.engine import prepare
from grader.grading.answers import find_answer
from grader.notebook import INJECTED_TAG, read_notebook
from tests.conftest import ROOT

PACKS = sorted(p.parent.name for p in (ROOT / "reference").glob("*/spec.toml"))
NOTEBOOKS = sorted((ROOT / "submissions").glob("*/*.ipynb"))
SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 200)), deadline=None,
                    derandomize=not os.environ.get("FUZZ_RANDOM"),
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                           max_leaves=8)
toml_scalars = (st.booleans() | st.integers(-10**6, 10**6)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
toml_values = st.recursive(toml_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                           max_leaves=8)


@st.composite
def mutated(draw: st.DrawFn, doc: Any, values: st.SearchStrategy) -> Any:
    """``doc`` with a few values deep inside it replaced, deleted or added."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 4))):
        node = doc
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, (dict, list)) and child and draw(st.booleans()):
                node = child
                continue
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                node[key] = draw(values)
            elif action == "delete":
                del node[key]
            elif isinstance(node, dict):
                node[draw(st.text(min_size=1, max_size=8))] = draw(values)
            else:
                node.append(draw(values))
            break
    return doc


def _notebook_docs() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in NOTEBOOKS[:6]]


@SETTINGS
@given(data=st.data())
def test_malformed_notebooks_get_a_clear_error(tmp_path, data):
    doc = data.draw(st.sampled_from(_notebook_docs()))
    bad = data.draw(mutated(doc, json_values))
    path = tmp_path / "student.ipynb"
    path.write_text(json.dumps(bad), encoding="utf-8")
    try:
        nb = read_notebook(path)
    except NotebookError as exc:
        assert str(path) in str(exc)
        return
    marker = nbformat.v4.new_code_cell("pass")
    marker.metadata["tags"] = [INJECTED_TAG]
    cells = [dict(c) for c in nb.cells]
    prepare(nb, marker, copy.deepcopy(marker))
    pack = find_pack("dlcourse_mlp")
    for q in pack.spec.questions:
        if q.answer:
            find_answer(cells, q.answer, [])


@SETTINGS
@given(blob=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_arbitrary_bytes_are_not_notebooks(tmp_path, blob):
    path = tmp_path / "student.ipynb"
    path.write_bytes(blob)
    with pytest.raises(NotebookError) as info:
        read_notebook(path)
    assert str(path) in str(info.value)


@SETTINGS
@given(data=st.data())
def test_malformed_specs_get_a_clear_error(tmp_path, data):
    pack = data.draw(st.sampled_from(PACKS))
    source = ROOT / "reference" / pack / "spec.toml"
    doc = tomllib.loads(source.read_text(encoding="utf-8"))
    bad = data.draw(mutated(doc, toml_values))
    folder = tmp_path / pack
    if not folder.exists():
        folder.mkdir()
        for f in source.parent.iterdir():  # files the spec may name, beside it
            if f.is_file() and f.name != "spec.toml":
                (folder / f.name).symlink_to(f)
    path = folder / "spec.toml"
    path.write_text(tomli_w.dumps(bad), encoding="utf-8")
    try:
        load_spec(path)
    except GraderError as exc:
        assert str(path) in str(exc) or "check" in str(exc)


@SETTINGS
@given(text=st.text(max_size=300))
def test_arbitrary_text_is_not_a_spec(tmp_path, text):
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GraderError):
        load_spec(path)
