"""MNIST is found where users keep it, checked, and cut per profile for kernels."""

from __future__ import annotations

import numpy as np
import pytest

from grader.errors import DataError
from grader.evaluate.data import (
    DataSource,
    instructor_course_file,
    load_features,
    load_mnist,
    locate_mnist,
    make_course_file,
    prepare_kernel_copy,
    validate_mnist,
)
from grader.files import FileDigests, sha256_file


def test_explicit_path_wins_and_is_validated(tiny_mnist, monkeypatch):
    monkeypatch.delenv("GRADER_MNIST", raising=False)
    assert locate_mnist(tiny_mnist) == tiny_mnist


def test_env_then_keras_cache(tiny_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_MNIST", str(tiny_mnist))
    assert locate_mnist() == tiny_mnist
    monkeypatch.delenv("GRADER_MNIST")
    cache = tmp_path / "keras" / "datasets"
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(tiny_mnist.read_bytes())
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert locate_mnist(download=False) == cache / "mnist.npz"


def test_missing_file_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADER_MNIST", raising=False)
    with pytest.raises(DataError) as info:
        locate_mnist(tmp_path / "nope.npz")
    assert str(tmp_path / "nope.npz") in str(info.value) and "not found" in str(info.value)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(DataError, match="pass --mnist PATH"):
        locate_mnist(download=False)


@pytest.mark.parametrize("check", [load_mnist, validate_mnist])
def test_wrong_content_is_refused(tmp_path, check):
    """Loading and the CLI's check (array headers only) refuse the same files alike."""
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(DataError, match="not a readable .npz"):
        check(text)
    partial = tmp_path / "partial.npz"
    np.savez(partial, x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DataError, match="missing x_test, y_test, y_train"):
        check(partial)
    floats = tmp_path / "floats.npz"
    np.savez(floats, x_train=np.zeros((2, 28, 28)), y_train=np.zeros(2, np.uint8),
             x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2, np.uint8))
    with pytest.raises(DataError, match="x_train has shape"):
        check(floats)
    uneven = tmp_path / "uneven.npz"
    np.savez_compressed(uneven, x_train=np.zeros((2, 28, 28), np.uint8),
                        y_train=np.zeros(3, np.uint8), x_test=np.zeros((2, 28, 28), np.uint8),
                        y_test=np.zeros(2, np.uint8))
    with pytest.raises(DataError, match="differ in length"):
        check(uneven)


def test_the_check_reads_headers_and_loading_finds_damaged_data(tiny_mnist, tmp_path):
    """A file whose array data is damaged passes the header check; loading it says so."""
    damaged = tmp_path / "damaged.npz"
    raw = bytearray(tiny_mnist.read_bytes())
    middle = len(raw) // 2
    raw[middle:middle + 64] = bytes(64)
    damaged.write_bytes(bytes(raw))
    assert validate_mnist(damaged) == damaged
    with pytest.raises(DataError, match="not a readable .npz") as info:
        load_mnist(damaged)
    assert str(damaged) in str(info.value)


def test_kernel_copy_keeps_first_images_and_whole_test_set(tiny_mnist, tmp_path):
    copy = prepare_kernel_copy(tiny_mnist, tmp_path, 50)
    small, full = load_mnist(copy), load_mnist(tiny_mnist)
    assert small["x_train"].shape == (50, 28, 28)
    np.testing.assert_array_equal(small["x_train"], full["x_train"][:50])
    np.testing.assert_array_equal(small["y_test"], full["y_test"])
    assert prepare_kernel_copy(tiny_mnist, tmp_path, 50) == copy
    assert len(load_mnist(prepare_kernel_copy(tiny_mnist, tmp_path, 0))["x_train"]) == 300


def test_another_mnist_file_gets_a_copy_of_its_own(tiny_mnist, tmp_path):
    first = prepare_kernel_copy(tiny_mnist, tmp_path / "cache", 50)
    arrays = load_mnist(tiny_mnist)
    other = tmp_path / "other.npz"
    np.savez(other, **{k: (255 - v if k.startswith("x") else v) for k, v in arrays.items()})
    second = prepare_kernel_copy(other, tmp_path / "cache", 50)
    assert second != first
    np.testing.assert_array_equal(load_mnist(second)["x_train"], 255 - arrays["x_train"][:50])


def test_file_digests_read_each_file_once(tmp_path):
    path = tmp_path / "data.npz"
    path.write_bytes(b"one")
    digests = FileDigests()
    first = digests(path)
    assert first == sha256_file(path)
    path.write_bytes(b"two")  # a batch keeps the digest it started with
    assert digests(tmp_path / "." / "data.npz") == first
    assert FileDigests()(path) != first


def test_a_course_file_is_made_from_mnist_as_the_course_ships_it(tiny_mnist, tmp_path):
    import gzip
    import pickle

    from grader.assignment.spec import CourseFile

    made = CourseFile("mnist_4000.pkl.gz", images=40, shape=(1, 28, 28))
    path = make_course_file(made, tiny_mnist, tmp_path)
    assert path.name == "mnist_4000.pkl.gz"
    with gzip.open(path, "rb") as f:
        x, y = pickle.load(f, encoding="latin1")  # as the course's notebook reads it
    mnist = load_mnist(tiny_mnist)
    assert x.shape == (40, 1, 28, 28) and x.dtype == np.float32 and y.shape == (40,)
    np.testing.assert_array_equal(x.reshape(40, 28, 28), mnist["x_train"][:40])
    np.testing.assert_array_equal(y, mnist["y_train"][:40])
    before = path.stat().st_mtime_ns
    assert make_course_file(made, tiny_mnist, tmp_path) == path  # made once
    assert path.stat().st_mtime_ns == before
    other = make_course_file(CourseFile("d.npz", images=10, format="npz", dtype="uint8"),
                             tiny_mnist, tmp_path)
    with np.load(other) as arrays:
        assert arrays["X"].shape == (10, 28, 28) and arrays["X"].dtype == np.uint8


def test_a_courses_own_features_file_is_read_by_its_names_and_put_under_its_name(tmp_path):
    from grader.assignment.spec import Dataset

    x, y = np.ones((6, 4), "float32"), np.arange(6) % 2
    course = tmp_path / "given.npz"
    np.savez(course, x, x[:2], x[:3], y, y[:2], y[:3])  # arr_0 … arr_5, as the course saves
    names = {"x_train": "arr_0", "y_train": "arr_3", "x_test": "arr_2", "y_test": "arr_5"}
    arrays = load_features(course, 4, 2, names)
    assert {k: len(a) for k, a in arrays.items()} == {"x_train": 6, "y_train": 6,
                                                      "x_test": 3, "y_test": 3}
    with pytest.raises(DataError, match="needs both x_test and y_test$"):
        load_features(course, 4, 2)  # without the spec's names, nothing to measure on
    short = tmp_path / "short.npz"
    np.savez(short, x, x[:2], x[:3], y, y[:2])  # no arr_5
    with pytest.raises(DataError, match=r"needs both x_test and y_test \(or arr_2 and arr_5\)"):
        load_features(short, 4, 2, names)
    dataset = Dataset("vgg", 4, 2, file="8_faces_EMB.npz", arrays=tuple(names.items()))
    placed = instructor_course_file(DataSource(dataset, course), tmp_path / "cache")
    assert placed is not None and placed.name == "8_faces_EMB.npz"
    assert placed.read_bytes() == course.read_bytes()
    assert DataSource(dataset, placed).load()["x_test"].shape == (3, 4)
    assert instructor_course_file(DataSource(Dataset("vgg", 4, 2), course), tmp_path) is None
