"""Spec loading: the real pack loads; every malformed spec names its file and key."""

from __future__ import annotations

import pickle
import shutil
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from grader.assignment.pack import find_pack
from grader.assignment.spec_toml import load_spec
from grader.errors import AssignmentNotFound, ReferenceResultsMissing, SpecError
from tests.conftest import ROOT

GOOD = textwrap.dedent("""
    id = "demo"
    title = "Demo"
    reference_models = ["starter"]
    [profiles.fast]
    train_limit = 100
    [[questions]]
    id = "q1"
    title = "Q1"
    points = 2
    select = { reference = "starter", prefer = "closest" }
    checks = [
      { check = "param_count", points = 1, reference = "starter" },
      { check = "layer_structure", points = 1, reference = "starter" },
    ]
""")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_dlcourse_pack_loads_with_points_and_profiles():
    pack = find_pack("dlcourse_mlp")
    spec = pack.spec
    assert spec.max_score == 11
    assert set(spec.profiles) == {"fast", "full"}
    assert spec.profile(None).name == "fast"
    assert spec.profiles["fast"].train_limit == 12000
    q1 = spec.questions[0]
    assert q1.select is not None and q1.select.prefer == "closest"
    assert [c.name for c in q1.checks] == ["param_count", "layer_structure"]
    assert spec.questions[4].manual and not q1.manual


def test_good_minimal_spec(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.questions[0].checks[0].params == {"reference": "starter"}
    assert spec.profiles["fast"].max_epochs == 0  # no cap unless a profile sets one
    capped = load_spec(write(tmp_path, GOOD.replace("train_limit = 100",
                                                    "train_limit = 100\nmax_epochs = 3")))
    assert capped.profiles["fast"].max_epochs == 3
    assert spec.kernel_preload == ("keras",) and spec.kernel_requirements == ()
    assert spec.compat is True


def test_kernel_table_names_requirements_preload_and_compat(tmp_path):
    text = GOOD + '\n[kernel]\nrequirements = ["tensorflow-cpu==2.15.1"]\npreload = []\n' \
        'compat = false\n'
    spec = load_spec(write(tmp_path, text))
    assert spec.kernel_requirements == ("tensorflow-cpu==2.15.1",)
    assert spec.kernel_preload == () and spec.compat is False
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, GOOD + '\n[kernel]\npreload = ["os; import shutil"]\n'))
    assert info.value.key == "kernel.preload[0]" and "not a module name" in str(info.value)
    with pytest.raises(SpecError, match="kernel.compat: should be bool"):
        load_spec(write(tmp_path, GOOD + '\n[kernel]\ncompat = "yes"\n'))


@pytest.mark.parametrize(("change", "key", "words"), [
    (('title = "Demo"\n', ""), "title", "missing"),
    (('"param_count"', '"param_cuont"'), "questions[0].checks[0].check", "unknown check"),
    (("points = 2", "points = 3"), "questions[0].points", "add up to 2"),
    (('prefer = "closest"', 'prefer = "random"'), "questions[0].select.prefer", "one of"),
    (("train_limit = 100", 'train_limit = "lots"'), "profiles.fast.train_limit", "int"),
    (("points = 2", "points = true"), "questions[0].points", "should be int or float"),
    (("train_limit = 100", "train_limit = 100\nmax_epochs = -1"), "profiles.fast.max_epochs",
     "0 (no cap) or more"),
    (("train_limit = 100", "train_limit = 100\nloop_epochs = -2"), "profiles.fast.loop_epochs",
     "0 (no cap) or more"),
    (('reference_models = ["starter"]', 'reference_models = ["starter", 3]'),
     "reference_models[1]", "should be str"),
    (("[profiles.fast]\ntrain_limit = 100", "profiles = { fast = 3 }"), "profiles.fast",
     "should be dict, got int 3"),
    (('reference = "starter" },\n  { check = "layer', 'reference = "other" },\n  { check = "layer'),
     "questions[0].checks[0].reference", "names no reference model"),
    (('title = "Q1"\n', 'title = "Q1"\nlabels = ["1", " "]\n'), "questions[0].labels",
     "cannot be empty"),
    (('title = "Q1"\n', 'title = "Q1"\nlabels = ["1", 2]\n'), "questions[0].labels[1]",
     "should be str"),
    (('title = "Q1"\n', 'title = "Q1"\nanswer = { pattern = "(unclosed" }\n'),
     "questions[0].answer.pattern", "not a regular expression"),
    (('prefer = "closest"', 'prefer = "closest", exclude_given = ["given"]'),
     "questions[0].select.exclude_given", "names no reference model: given"),
    (('[profiles.fast]', '[[kernel.data]]\nname = "../x.pkl.gz"\nimages = 4\n\n[profiles.fast]'),
     "kernel.data[0].name", "plain file name"),
    (('[profiles.fast]', '[[kernel.data]]\nname = "x.pkl"\nimages = 4\nformat = "csv"\n\n'
                         '[profiles.fast]'), "kernel.data[0].format", "pickle.gz, npz"),
    (('[profiles.fast]', '[[kernel.data]]\nname = "x.pkl"\nimages = 4\nshape = [1, 28]\n\n'
                         '[profiles.fast]'), "kernel.data[0].shape", "holds 28"),
    (('[profiles.fast]', '[[kernel.data]]\nname = "x.pkl"\nimages = 0\n\n[profiles.fast]'),
     "kernel.data[0].images", "1 to 60000"),
    (('[profiles.fast]', '[datasets.vgg]\ninputs = 8\nclasses = 2\nfile = "a/b.npz"\n\n'
                         '[profiles.fast]'), "datasets.vgg.file", "plain file name"),
    (('[profiles.fast]', '[datasets.vgg]\ninputs = 8\nclasses = 2\nfile = "submission.ipynb"'
                         '\n\n[profiles.fast]'), "datasets.vgg.file", "not a notebook's"),
    (('[profiles.fast]', '[datasets.vgg]\ninputs = 8\nclasses = 2\n'
                         'arrays = { x_valid = "arr_1" }\n\n[profiles.fast]'),
     "datasets.vgg.arrays.x_valid", "not one of x_train, y_train, x_test, y_test"),
    (('title = "Q1"\n', 'title = "Q1"\nnotebook = "b.ipynb"\n'), "questions[0].notebook",
     "not one of the spec's notebooks (none: it has no `notebooks`)"),
    (('reference_models', 'notebooks = ["a.ipynb", "../b.ipynb"]\nreference_models'),
     "notebooks", "not a notebook's file name"),
    (('reference_models', 'notebooks = ["a.ipynb", "A.ipynb"]\nreference_models'),
     "notebooks", "named twice"),
    (('reference_models', 'notebooks = ["a.ipynb"]\nreference_models'),
     "notebooks", "names two or more"),
    (('title = "Q1"\n', 'title = "Q1"\nrubric = [{ points = 3, text = "too much" }]\n'),
     "questions[0].rubric[0].points", "between -2 and 2"),
    (('title = "Q1"\n', 'title = "Q1"\nrubric = [{ points = 1, text = " " }]\n'),
     "questions[0].rubric[0].text", "needs the comment"),
])
def test_malformed_spec_errors_name_file_and_key(tmp_path, change, key, words):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert info.value.key == key
    assert words in str(info.value)
    assert str(path) in str(info.value)


DENOISING = """
    [denoising]
    levels = [0.0, 0.5, 1.0]
    autoencoder = "starter"
    classifier = "starter"
"""


def test_an_assignment_of_several_notebooks_names_them_and_each_questions(tmp_path):
    spec = load_spec(write(tmp_path, GOOD.replace(
        'reference_models', 'notebooks = ["a.ipynb", "b.ipynb"]\nreference_models').replace(
        'title = "Q1"\n', 'title = "Q1"\nnotebook = "b.ipynb"\n')))
    assert spec.notebooks == ("a.ipynb", "b.ipynb")
    assert spec.starter_files == ("starter/a.ipynb", "starter/b.ipynb")
    assert spec.questions[0].notebook == "b.ipynb"
    assert load_spec(write(tmp_path, GOOD)).starter_files == ("starter.ipynb",)


def test_a_questions_rubric_items_are_read_with_ids(tmp_path):
    spec = load_spec(write(tmp_path, GOOD.replace('title = "Q1"\n', 'title = "Q1"\nrubric = ['
                                                  '{ points = 1, text = "Right size" }, '
                                                  '{ points = -0.5, text = "No units" }]\n')))
    assert [(i.id, i.points, i.text) for i in spec.questions[0].rubric] == [
        ("s1", 1.0, "Right size"), ("s2", -0.5, "No units")]


def test_reports_show_the_reference_to_students_only_when_the_spec_says(tmp_path):
    assert load_spec(write(tmp_path, GOOD)).show_reference is False
    shown = load_spec(write(tmp_path, GOOD + "\n[reports]\nshow_reference = true\n"))
    assert shown.show_reference is True


def test_denoising_table_is_read_and_checked(tmp_path):
    spec = load_spec(write(tmp_path, GOOD + textwrap.dedent(DENOISING)))
    assert spec.denoising is not None and spec.denoising.levels == (0.0, 0.5, 1.0)
    assert spec.denoising.replicates == 3 and spec.denoising.images == 0
    changes = [(("1.0]", "1.5]"), "levels"),
               (('classifier = "starter"', 'classifier = "cnn"'), "classifier")]
    for change, key in changes:
        bad = textwrap.dedent(DENOISING).replace(*change)
        with pytest.raises(SpecError) as info:
            load_spec(write(tmp_path, GOOD + bad))
        assert info.value.key == f"denoising.{key}"


def test_dat405_pack_has_ten_points_and_denoising_curves():
    spec = find_pack("dat405_a7").spec
    assert spec.max_score == 10
    assert spec.denoising is not None and len(spec.denoising.levels) == 11
    q4b = next(q for q in spec.questions if q.id == "q4b_examples")
    assert q4b.headings[0].endswith(r"Question\s+4B\b")


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(write(tmp_path, "id = "))
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "nope.toml")


def test_question_without_selector_for_model_checks(tmp_path):
    with pytest.raises(SpecError, match="select: missing"):
        load_spec(write(tmp_path, GOOD.replace(
            'select = { reference = "starter", prefer = "closest" }\n', "")))


def test_unknown_assignment_lists_known_ones():
    with pytest.raises(AssignmentNotFound) as info:
        find_pack("no_such_assignment")
    assert "dlcourse_mlp" in str(info.value) and info.value.assignment == "no_such_assignment"


def test_missing_expected_results_say_how_to_build(tmp_path):
    pack_dir = tmp_path / "demo"
    pack_dir.mkdir()
    (pack_dir / "spec.toml").write_text(GOOD, encoding="utf-8")
    pack = find_pack("demo", [tmp_path])
    with pytest.raises(ReferenceResultsMissing, match="grader reference build demo"):
        pack.expected("fast")


def test_expected_results_older_than_the_spec_are_refused(tmp_path):
    pack_dir = tmp_path / "demo"
    (pack_dir / "expected").mkdir(parents=True)
    (pack_dir / "spec.toml").write_text(GOOD, encoding="utf-8")
    (pack_dir / "expected" / "fast.json").write_text('{"checks": {"q1.param_count": {}}}')
    with pytest.raises(ReferenceResultsMissing, match="predate the spec.*q1.layer_structure"):
        find_pack("demo", [tmp_path]).expected("fast")


def test_errors_pickle_with_their_fields(tmp_path):
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, GOOD.replace("points = 2", "points = 3")))
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is SpecError and copy.key == info.value.key and str(copy) == str(info.value)


@pytest.mark.parametrize("pack_dir", sorted(p.parent for p in (ROOT / "reference").glob(
    "*/spec.toml")), ids=lambda p: p.name)
def test_every_shipped_pack_has_current_expected_results(pack_dir):
    pack = find_pack(pack_dir.name)
    for profile in pack.spec.profiles:
        expected = pack.expected(profile)  # raises when missing or older than the spec
        assert set(expected["models"]) == set(pack.spec.reference_models)
        assert expected["profile"] == profile


def test_fingerprint_follows_the_pack_files_kernels_see_and_data_given(tmp_path):
    shutil.copytree(ROOT / "reference" / "kit_blatt10", tmp_path / "kit_blatt10")
    pack = find_pack("kit_blatt10", [tmp_path])
    before = pack.fingerprint("fast")
    assert pack.fingerprint("fast") == before
    labels = tmp_path / "kit_blatt10" / "example_inputs.json"
    labels.write_text(labels.read_text().replace('"example_input_00.png": 7',
                                                 '"example_input_00.png": 1'))
    assert pack.fingerprint("fast") != before
    extra = tmp_path / "faces.npz"
    extra.write_bytes(b"x")
    assert pack.fingerprint("fast", [extra]) != pack.fingerprint("fast")


@pytest.mark.parametrize(("old", "new", "reruns"), [
    ("version = 1", "version = 2", False),
    ("own = 100", "own = 50", False),  # the grader's own images: checked, not run
    ('"example_input_00.png": 7', '"example_input_00.png": 1', False),  # labels: checked
    ("epochs_example = 3,", "epochs_example = 4,", True),
    ("train_limit = 10000", "train_limit = 9000", True),
    ("args = [1, 16, 100]", "args = [1, 16, 101]", True),
    ('files = ["example_input_*.png"]', 'files = ["example_input_0*.png"]', True),
    ("[kernel]\n", "[kernel]\ncompat = false\n", True),
])
def test_execution_fingerprint_follows_only_what_the_kernel_sees(tmp_path, old, new, reruns):
    shutil.copytree(ROOT / "reference" / "kit_blatt10", tmp_path / "kit_blatt10")
    pack = find_pack("kit_blatt10", [tmp_path])
    run_before = pack.execution_fingerprint(pack.spec.profile("fast"))
    grade_before = pack.fingerprint("fast", execution=run_before)
    for name in ("spec.toml", "example_inputs.json"):
        path = tmp_path / "kit_blatt10" / name
        path.write_text(path.read_text().replace(old, new, 1))
    pack = find_pack("kit_blatt10", [tmp_path])
    run_after = pack.execution_fingerprint(pack.spec.profile("fast"))
    assert (run_after != run_before) is reruns
    assert pack.fingerprint("fast", execution=run_after) != grade_before


def test_execution_fingerprint_follows_what_the_batch_gives_kernels(tmp_path):
    pack = find_pack("kit_blatt10")
    fast = pack.spec.profile("fast")
    base = pack.execution_fingerprint(fast, given={"parameters": {}})
    assert pack.execution_fingerprint(fast, given={"parameters": {}}) == base
    assert pack.execution_fingerprint(fast, given={"parameters": {"epochs": 1}}) != base
    assert pack.execution_fingerprint(replace(fast, cell_timeout=5),
                                      given={"parameters": {}}) != base
    image = tmp_path / "example_input_00.png"
    shutil.copy(ROOT / "reference" / "kit_blatt10" / image.name, image)
    assert pack.execution_fingerprint(fast, [image], given={"parameters": {}}) != base
