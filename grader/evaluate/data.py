"""MNIST for grading: found the way Keras users expect, checked, and copied for kernels.

The grader reads MNIST from a path the user gives (``--mnist`` or ``$GRADER_MNIST``)
or Keras' own cache (``~/.keras/datasets/mnist.npz``), downloading it there with
Keras when it is nowhere. Kernels never download: they get a prepared copy.
"""

from __future__ import annotations

import os
import shutil
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader.assignment.pack import Pack
from grader.assignment.spec import MNIST, CourseFile, Dataset
from grader.errors import DataError
from grader.files import sha256_file

MNIST_ENV = "GRADER_MNIST"
KEYS = {"x_train": 3, "y_train": 1, "x_test": 3, "y_test": 1}
# what reading a damaged or foreign .npz raises, whole or by its headers
UNREADABLE = (OSError, ValueError, zipfile.BadZipFile, zlib.error)


def keras_cache_path() -> Path:
    """Where ``keras.datasets.mnist.load_data()`` keeps its download."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return home / "datasets" / "mnist.npz"


def _download() -> Path:
    """Let Keras download MNIST into its cache, as a student's notebook would."""
    import keras  # deferred: importing TensorFlow costs seconds

    keras.datasets.mnist.load_data()
    return keras_cache_path()


def locate_mnist(explicit: str | Path | None = None, download: bool = True) -> Path:
    """The MNIST file to grade with, checked to be in Keras layout.

    Args:
        explicit: A path the user named; it must exist.
        download: Try Keras' download when no local copy exists.
    """
    if explicit:
        path = Path(explicit).expanduser()
        if not path.exists():
            raise DataError("MNIST file not found (given with --mnist)", path=path)
        return validate_mnist(path)
    env = os.environ.get(MNIST_ENV)
    if env:
        path = Path(env).expanduser()
        if not path.exists():
            raise DataError(f"MNIST file not found (named by ${MNIST_ENV})", path=path)
        return validate_mnist(path)
    cached = keras_cache_path()
    if cached.exists():
        return validate_mnist(cached)
    if not download:
        raise DataError(f"MNIST not found; pass --mnist PATH or set ${MNIST_ENV}", path=cached)
    try:
        return validate_mnist(_download())
    except Exception as exc:  # noqa: BLE001 - any download failure becomes one clear line
        raise DataError(
            f"MNIST not found and the Keras download failed ({type(exc).__name__}: {exc}); "
            f"pass --mnist PATH or set ${MNIST_ENV}", path=cached,
        ) from None


def _read_npz(path: Path, names: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
    """The Keras-layout arrays an .npz holds (never unpickling anything).

    ``names`` gives another name to read a key from where the file lacks the key itself
    (a course's own file: ``arr_0`` for ``x_train``).
    """
    names = names or {}
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k if k in f.files else names[k]] for k in KEYS
                    if k in f.files or names.get(k) in f.files}
    except UNREADABLE as exc:
        raise DataError(f"not a readable .npz file ({exc})", path=path) from None


def _npz_headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of each Keras-layout array in an .npz, read from the array headers only.

    A few hundred bytes per array instead of the whole file (a third of a second for
    MNIST), so a batch checks its data before it starts the fork server.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            found, names = {}, set(archive.namelist())
            for key in KEYS:
                if f"{key}.npy" not in names:
                    continue
                with archive.open(f"{key}.npy") as f:
                    version = np.lib.format.read_magic(f)
                    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                            else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read(f)
                found[key] = (tuple(shape), dtype)
            return found
    except UNREADABLE as exc:
        raise DataError(f"not a readable .npz file ({exc})", path=path) from None


def _check_layout(path: Path, layout: dict[str, tuple[tuple[int, ...], np.dtype]]) -> None:
    """Raise :class:`DataError` unless ``layout`` (shape, dtype per key) is MNIST's."""
    missing = sorted(set(KEYS) - set(layout))
    if missing:
        raise DataError(f"not MNIST in Keras layout: missing {', '.join(missing)}", path=path)
    for key, ndim in KEYS.items():
        shape, dtype = layout[key]
        if len(shape) != ndim or dtype != np.uint8 or (ndim == 3 and shape[1:] != (28, 28)):
            raise DataError(f"{key} has shape {shape} and dtype {dtype}; expected "
                            f"uint8 {'(N, 28, 28)' if ndim == 3 else '(N,)'}", path=path)
    length = {key: shape[0] for key, (shape, _) in layout.items()}
    if length["x_train"] != length["y_train"] or length["x_test"] != length["y_test"]:
        raise DataError("images and labels differ in length", path=path)


def load_mnist(path: Path) -> dict[str, np.ndarray]:
    """Load the four arrays, refusing anything that is not MNIST in Keras layout."""
    arrays = _read_npz(path)
    _check_layout(path, {k: (a.shape, a.dtype) for k, a in arrays.items()})
    return arrays


def validate_mnist(path: Path) -> Path:
    """Return ``path`` if it holds MNIST in Keras layout, else raise :class:`DataError`.

    Only the arrays' headers are read: an array whose data is damaged is found where
    the batch loads it, with the same kind of error.
    """
    _check_layout(path, _npz_headers(path))
    return path


def prepare_kernel_copy(source: Path, cache_dir: Path, train_limit: int,
                        digest: str | None = None) -> Path:
    """A copy of MNIST for kernels, with the training set cut to ``train_limit`` images.

    The first ``train_limit`` training images are kept (0 keeps all), so every
    kernel and the reference see the same data. Written once per source file (its
    sha256 ``digest``, read here when not given) and limit: another MNIST file given
    later gets a copy of its own.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    tag = train_limit if train_limit > 0 else "all"
    digest = digest or sha256_file(source)
    dest = cache_dir / f"mnist-{digest[:12]}-train{tag}.npz"
    if dest.exists():
        return dest
    arrays = load_mnist(source)
    if train_limit > 0:
        arrays["x_train"] = arrays["x_train"][:train_limit]
        arrays["y_train"] = arrays["y_train"][:train_limit]
    tmp = dest.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]  # numpy's stub: allow_pickle
    tmp.replace(dest)
    return dest


def make_course_file(made: CourseFile, source: Path, cache_dir: Path,
                     digest: str | None = None) -> Path:
    """The file a course's notebooks open by name, made from MNIST: nothing is downloaded.

    ``X`` holds the first ``made.images`` training images, each shaped ``made.shape``
    (values 0–255), ``y`` their labels (``int64``). Written once per MNIST file and
    description, under ``cache_dir``; kernels get a copy in their folder.
    """
    digest = digest or sha256_file(source)
    key = zlib.crc32(repr(made).encode()) & 0xFFFFFFFF
    dest = cache_dir / f"{digest[:12]}-{key:08x}" / made.name
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    arrays = load_mnist(source)
    x = arrays["x_train"][:made.images].astype(made.dtype).reshape(-1, *made.shape)
    y = arrays["y_train"][:made.images].astype(np.int64)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    if made.format == "npz":
        with tmp.open("wb") as f:
            np.savez_compressed(f, X=x, y=y)
    else:  # pickle.gz: what the course itself ships, read by the notebook, never by the grader
        import gzip
        import pickle

        with gzip.open(tmp, "wb") as f:
            pickle.dump((x, y), f, protocol=2)
    tmp.replace(dest)
    return dest


def load_features(path: Path, inputs: int, classes: int,
                  names: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
    """Load a features dataset (``x_test`` of shape (N, inputs), ``y_test`` class ids).

    ``x_train``/``y_train`` are optional; they are what the notebook and the
    reference train on. ``names``: the course file's names for them (spec ``arrays``).
    """
    names = dict(names or {})
    arrays = _read_npz(path, names)
    for split in ("train", "test"):
        x, y = arrays.get(f"x_{split}"), arrays.get(f"y_{split}")
        if x is None and y is None and split == "train":
            continue
        if x is None or y is None:
            course = [names[k] for k in (f"x_{split}", f"y_{split}") if k in names]
            raise DataError(f"needs both x_{split} and y_{split}"
                            + (f" (or {' and '.join(course)})" if course else ""), path=path)
        if x.ndim != 2 or x.shape[1] != inputs or len(x) != len(y):
            raise DataError(f"x_{split} has shape {x.shape}; expected (N, {inputs}) with one "
                            f"label per row", path=path)
        if len(y) and (y.min() < 0 or y.max() >= classes):
            raise DataError(f"y_{split} holds labels outside 0..{classes - 1}", path=path)
    return arrays


@dataclass(frozen=True)
class DataSource:
    """A dataset and the file the grader measures models on."""

    dataset: Dataset
    path: Path

    def load(self) -> dict[str, np.ndarray]:
        """The arrays, checked."""
        if self.dataset.name == MNIST:
            return load_mnist(self.path)
        return load_features(self.path, self.dataset.inputs, self.dataset.classes,
                             dict(self.dataset.arrays))


def instructor_course_file(source: DataSource, cache_dir: Path) -> Path | None:
    """The instructor's data file under the name the course's notebooks open (spec ``file``).

    A copy under ``cache_dir`` (kernels get theirs in their folder); ``None`` when the
    dataset names no such file.
    """
    if not source.dataset.file:
        return None
    dest = cache_dir / sha256_file(source.path)[:12] / source.dataset.file
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        shutil.copyfile(source.path, tmp)
        tmp.replace(dest)
    return dest


def data_sources(pack: Pack, mnist_path: Path, data: Mapping[str, Path]) -> dict[str, DataSource]:
    """MNIST plus the extra datasets given, each checked before any notebook runs."""
    sources = {MNIST: DataSource(pack.spec.datasets[MNIST], Path(mnist_path).resolve())}
    for name, path in data.items():
        dataset = pack.spec.datasets.get(name)
        if dataset is None or name == MNIST:
            known = ", ".join(n for n in pack.spec.datasets if n != MNIST) or "none"
            raise DataError(f"--data {name}=...: {pack.id} has no dataset {name!r} "
                            f"(datasets: {known})", path=path)
        source = DataSource(dataset, Path(path).resolve())
        if not source.path.exists():
            raise DataError(f"{name} data file not found", path=path)
        source.load()
        sources[name] = source
    return sources
