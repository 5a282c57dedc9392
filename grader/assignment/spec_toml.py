"""Reading ``spec.toml``: every key checked, each error naming the file and the key.

:func:`load_spec` turns an assignment pack's TOML into the frozen dataclasses of
:mod:`grader.assignment.spec`, so a typo fails before any notebook runs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import tomllib

from grader.assignment.spec import (
    KINDS,
    MNIST,
    PREFER,
    SCALINGS,
    Answer,
    CheckSpec,
    CourseFile,
    Dataset,
    Denoising,
    LateRule,
    Profile,
    Question,
    RubricItem,
    Selector,
    Spec,
)
from grader.checks import checks
from grader.checks.base import PACK_CHECKS
from grader.errors import CheckError, SpecError


class _Reader:
    """Typed access to a TOML table that names the key in every error."""

    def __init__(self, path: Path, table: Mapping[str, Any], where: str) -> None:
        if not isinstance(table, Mapping):
            raise SpecError(f"{where or 'the spec'}: should be a table, got "
                            f"{type(table).__name__} {table!r}"[:300], path=path, key=where)
        self.path, self.table, self.where = path, table, where

    def _err(self, key: str, msg: str) -> SpecError:
        full = f"{self.where}.{key}" if self.where else key
        return SpecError(f"{full}: {msg}", path=self.path, key=full)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.table:
            if default is ...:
                raise self._err(key, "missing")
            return default
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise self._err(key, f"should be {names}, got {type(value).__name__} {value!r}")
        return value

    def items(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> list[Any]:
        """A list whose every item is of ``kind``."""
        values = self.get(key, list, default)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        for i, value in enumerate(values):
            if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
                names = " or ".join(k.__name__ for k in kinds)
                raise self._err(f"{key}[{i}]", f"should be {names}, got {value!r}")
        return list(values)

    def sub(self, key: str, where: str) -> _Reader:
        return _Reader(self.path, self.get(key, dict, {}), where)


def _profile(r: _Reader, name: str) -> Profile:
    return Profile(
        name=name,
        description=r.get("description", str, ""),
        train_limit=r.get("train_limit", int, 0),
        cell_timeout=r.get("cell_timeout", int, 600),
        notebook_timeout=r.get("notebook_timeout", int, 1800),
        seed=r.get("seed", int, 0),
        parameters=dict(r.get("parameters", dict, {})),
        max_epochs=_non_negative(r, "max_epochs"),
        loop_epochs=_non_negative(r, "loop_epochs"),
    )


def _non_negative(r: _Reader, key: str) -> int:
    value = r.get(key, int, 0)
    if value < 0:
        raise r._err(key, f"should be 0 (no cap) or more, got {value}")
    return value


def _selector(r: _Reader, refs: tuple[str, ...], datasets: Mapping[str, Dataset]) -> Selector:
    sel = Selector(
        names=tuple(r.items("names", str, [])),
        kind=r.get("kind", str, "any"),
        prefer=r.get("prefer", str, "last"),
        reference=r.get("reference", str, None),
        same_as=r.get("same_as", str, None),
        dataset=r.get("dataset", str, MNIST),
        max_edits=r.get("max_edits", int, None),
        exclude_given=tuple(r.items("exclude_given", str, [])),
    )
    if sel.kind not in KINDS:
        raise r._err("kind", f"should be one of {', '.join(KINDS)}, got {sel.kind!r}")
    if sel.dataset not in datasets:
        raise r._err("dataset", f"names no dataset (known: {', '.join(datasets)})")
    if sel.prefer not in PREFER:
        raise r._err("prefer", f"should be one of {', '.join(PREFER)}, got {sel.prefer!r}")
    if (sel.prefer == "closest" or sel.max_edits is not None) and sel.reference not in refs:
        raise r._err("reference",
                     f"'closest' and max_edits need a reference model, one of {list(refs)}")
    unknown = [n for n in sel.exclude_given if n not in refs]
    if unknown:
        raise r._err("exclude_given", f"names no reference model: {', '.join(unknown)} "
                                      f"(known: {', '.join(refs)})")
    return sel


def _check(r: _Reader, refs: tuple[str, ...]) -> CheckSpec:
    name = r.get("check", str)
    try:
        checks.get(name)
    except CheckError as exc:
        raise r._err("check", exc.message) from None
    points = float(r.get("points", (int, float)))
    if points < 0 or not math.isfinite(points):
        raise r._err("points", f"should be a non-negative number, got {points}")
    params = {k: v for k, v in r.table.items() if k not in ("check", "points", "public")}
    for key in ("reference", "lower_model", "upper_model"):
        if key in params and params[key] not in refs:
            raise r._err(key, f"names no reference model (known: {', '.join(refs)})")
    return CheckSpec(name, points, params, r.get("public", bool, True))


def _question(r: _Reader, refs: tuple[str, ...], datasets: Mapping[str, Dataset],
              seen: set[str], notebooks: tuple[str, ...]) -> Question:
    qid = r.get("id", str)
    if qid in seen:
        raise r._err("id", f"duplicate question id {qid!r}")
    seen.add(qid)
    raw_checks = r.get("checks", list)
    if not raw_checks:
        raise r._err("checks", "a question needs at least one check")
    specs = tuple(
        _check(_Reader(r.path, c if isinstance(c, dict) else {}, f"{r.where}.checks[{i}]"), refs)
        for i, c in enumerate(raw_checks)
    )
    points = float(r.get("points", (int, float)))
    if not math.isclose(points, sum(c.points for c in specs)):
        raise r._err("points", f"is {points:g} but its checks add up to "
                               f"{sum(c.points for c in specs):g}")
    select = (_selector(r.sub("select", f"{r.where}.select"), refs, datasets)
              if "select" in r.table else None)
    if select is None and any(checks.get(c.name).needs_model for c in specs):
        raise r._err("select", "missing: this question's checks grade a model")
    answer = None
    if "answer" in r.table:
        a = r.sub("answer", f"{r.where}.answer")
        answer = Answer(a.get("pattern", str, ""), a.get("placeholder", str, ""))
        if answer.pattern:
            try:
                re.compile(answer.pattern)
            except re.error as exc:
                raise a._err("pattern", f"not a regular expression: {exc}") from None
    section = r.get("section", str, None)
    labels = tuple(r.items("labels", str)) if "labels" in r.table else ()
    if any(not label.strip() for label in labels):
        raise r._err("labels", "a label cannot be empty")
    notebook = r.get("notebook", str, None)
    if notebook is not None and notebook not in notebooks:
        raise r._err("notebook", f"{notebook!r} is not one of the spec's notebooks "
                                 f"({', '.join(notebooks) or 'none: it has no `notebooks`'})")
    return Question(qid, r.get("title", str), points, specs, select, answer, section, labels,
                    notebook, _rubric(r, points))


def _rubric(r: _Reader, points: float) -> tuple[RubricItem, ...]:
    """A question's rubric items: ``[{ points = 1, text = "..." }, ...]``."""
    items = []
    for i, raw in enumerate(r.get("rubric", list, [])):
        item = _Reader(r.path, raw, f"{r.where}.rubric[{i}]")
        value = float(item.get("points", (int, float)))
        if not math.isfinite(value) or abs(value) > points:
            raise item._err("points", f"should be between {-points:g} and {points:g} (the "
                                      f"question's points), got {value:g}")
        text = item.get("text", str).strip()
        if not text:
            raise item._err("text", "a rubric item needs the comment the student reads")
        items.append(RubricItem(f"s{i + 1}", value, text))
    return tuple(items)


def _notebooks(r: _Reader) -> tuple[str, ...]:
    """The file names of an assignment of several notebooks, each once, each ``*.ipynb``."""
    names = tuple(r.items("notebooks", str, []))
    for name in names:
        if not name.endswith(".ipynb") or "/" in name or "\\" in name or name.startswith("."):
            raise r._err("notebooks", f"{name!r} is not a notebook's file name (`name.ipynb`)")
    if len(set(n.casefold() for n in names)) != len(names):
        raise r._err("notebooks", "a notebook is named twice")
    if len(names) == 1:
        raise r._err("notebooks", "one notebook is the pack's starter.ipynb; `notebooks` "
                                  "names two or more")
    return names


def load_spec(path: Path | str) -> Spec:
    """Read and validate a ``spec.toml``; raise :class:`SpecError` naming file and key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError("spec file not found", path=path, key="") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"not valid TOML: {exc}", path=path, key="") from None
    r = _Reader(path, data, "")
    try:  # the pack's own checks (checks.py beside the spec) register before names are read
        checks.load_pack_checks(path.parent)
    except CheckError as exc:
        raise SpecError(str(exc), path=path.parent / PACK_CHECKS, key="") from exc
    refs = tuple(r.items("reference_models", str))
    profiles = {name: _profile(r.sub("profiles", "profiles").sub(name, f"profiles.{name}"), name)
                for name in r.get("profiles", dict)}
    if not profiles:
        raise r._err("profiles", "at least one profile is needed")
    default = r.get("default_profile", str, "fast")
    if default not in profiles:
        raise r._err("default_profile", f"{default!r} is not one of the profiles")
    datasets = _datasets(r)
    model_datasets = dict(r.get("model_datasets", dict, {}))
    for model, name in model_datasets.items():
        if model not in refs or not isinstance(name, str) or name not in datasets:
            raise r._err(f"model_datasets.{model}", "should map a reference model to a dataset")
    seen: set[str] = set()
    notebooks = _notebooks(r)
    questions = tuple(
        _question(_Reader(path, q if isinstance(q, dict) else {}, f"questions[{i}]"), refs,
                  datasets, seen, notebooks)
        for i, q in enumerate(r.get("questions", list))
    )
    for q in questions:
        if q.select and q.select.same_as and q.select.same_as not in seen:
            raise SpecError(f"questions.{q.id}.select.same_as names no question",
                            path=path, key=f"{q.id}.select.same_as")
    kernel = r.sub("kernel", "kernel")
    files = tuple(kernel.items("files", str, []))
    images = r.sub("images", "images")
    examples = images.get("examples", str, None)
    if examples is not None and not (path.parent / examples).exists():
        raise images._err("examples", f"no file {examples!r} in the pack")
    return Spec(
        id=r.get("id", str), title=r.get("title", str), version=r.get("version", int, 1),
        path=path, reference_models=refs, profiles=profiles, questions=questions,
        datasets=datasets, model_datasets=model_datasets, default_profile=default,
        kernel_files=files, course_files=_course_files(kernel),
        kernel_requirements=tuple(kernel.items("requirements", str, [])),
        kernel_packages=tuple(kernel.items("packages", str, [])),
        compat=kernel.get("compat", bool, True), kernel_preload=_preload(kernel),
        calls=_calls(r, path.parent), example_images=examples,
        own_images=images.get("own", int, 0),
        denoising=_denoising(r, refs) if "denoising" in data else None,
        late=_late(r) if "late" in data else None,
        show_reference=r.sub("reports", "reports").get("show_reference", bool, False),
        notebooks=notebooks,
    )


COURSE_FORMATS = ("pickle.gz", "npz")
FEATURE_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _course_files(kernel: _Reader) -> tuple[CourseFile, ...]:
    """``[[kernel.data]]``: files made from MNIST that notebooks open by name."""
    out = []
    for i, entry in enumerate(kernel.get("data", list, [])):
        r = _Reader(kernel.path, entry if isinstance(entry, dict) else {},
                    f"kernel.data[{i}]")
        name = r.get("name", str)
        if not _plain_name(name):
            raise r._err("name", f"should be a plain file name, got {name!r}")
        made = CourseFile(name=name, images=r.get("images", int),
                          format=r.get("format", str, "pickle.gz"),
                          shape=tuple(r.items("shape", int, [28, 28])),
                          dtype=r.get("dtype", str, "float32"))
        if not 0 < made.images <= 60000:
            raise r._err("images", f"should be 1 to 60000 (MNIST's training images), got "
                                   f"{made.images}")
        if made.format not in COURSE_FORMATS:
            raise r._err("format", f"should be one of {', '.join(COURSE_FORMATS)}, got "
                                   f"{made.format!r}")
        if math.prod(made.shape) != 784:
            raise r._err("shape", f"should hold 784 pixels, {list(made.shape)} holds "
                                  f"{math.prod(made.shape)}")
        if made.dtype not in ("float32", "uint8"):
            raise r._err("dtype", f"should be float32 or uint8, got {made.dtype!r}")
        out.append(made)
    return tuple(out)


def _preload(r: _Reader) -> tuple[str, ...]:
    """Modules a kernel imports while it starts (``[kernel] preload``; default Keras)."""
    names = tuple(r.items("preload", str, ["keras"]))
    for i, name in enumerate(names):
        if not all(part.isidentifier() for part in name.split(".")):
            raise r._err(f"preload[{i}]", f"{name!r} is not a module name")
    return names


def _late(r: _Reader) -> LateRule:
    d = r.sub("late", "late")
    due = d.get("due", datetime)
    if due.tzinfo is None:
        raise d._err("due", "needs a time zone, e.g. 2026-12-01T23:59:00+01:00")
    rule = LateRule(due, float(d.get("penalty_per_day", (int, float))),
                    float(d.get("max_penalty", (int, float), 1.0)),
                    d.get("grace_minutes", int, 0))
    for key in ("penalty_per_day", "max_penalty"):
        if not 0 <= getattr(rule, key) <= 1:
            raise d._err(key, "should be a fraction between 0 and 1")
    return rule


def _denoising(r: _Reader, refs: tuple[str, ...]) -> Denoising:
    d = r.sub("denoising", "denoising")
    levels = tuple(float(v) for v in d.items("levels", (int, float)))
    if not levels or any(not 0.0 <= v <= 1.0 for v in levels):
        raise d._err("levels", "should be a list of noise levels in [0, 1]")
    out = Denoising(levels=levels, images=d.get("images", int, 0), seed=d.get("seed", int, 0),
                    autoencoder=d.get("autoencoder", str), classifier=d.get("classifier", str),
                    replicates=d.get("replicates", int, 3))
    for key in ("autoencoder", "classifier"):
        if getattr(out, key) not in refs:
            raise d._err(key, f"names no reference model (known: {', '.join(refs)})")
    if out.replicates < 1:
        raise d._err("replicates", "should be at least 1")
    return out


def _calls(r: _Reader, root: Path) -> tuple[dict[str, Any], ...]:
    """Functions the probe calls in the kernel; ``args = "files:GLOB"`` lists pack files."""
    out = []
    for i, table in enumerate(r.get("calls", list, [])):
        c = _Reader(r.path, table if isinstance(table, dict) else {}, f"calls[{i}]")
        args = c.get("args", (list, str))
        if isinstance(args, str):
            if not args.startswith("files:"):
                raise c._err("args", "should be a list, or \"files:GLOB\" for pack files")
            args = sorted(p.name for p in root.glob(args.removeprefix("files:")))
            if not args:
                raise c._err("args", f"no pack file matches {c.table['args']!r}")
        out.append({"function": c.get("function", str), "args": list(args)})
    return tuple(out)


def _datasets(r: _Reader) -> dict[str, Dataset]:
    """MNIST (settings under ``[data]``) and the datasets declared under ``[datasets.NAME]``."""
    data = r.sub("data", "data")
    scalings = tuple(data.get("scalings", list, ["unit", "raw", "standard"]))
    unknown = [s for s in scalings if s not in SCALINGS]
    if unknown or not scalings:
        raise data._err("scalings", f"should list some of {', '.join(SCALINGS)}")
    out = {MNIST: Dataset(MNIST, 784, data.get("classes", int, 10), "MNIST digits", None,
                          scalings, data.get("standardise_on", int, 0))}
    for name, table in r.get("datasets", dict, {}).items():
        d = _Reader(r.path, table, f"datasets.{name}")
        if name == MNIST:
            raise d._err("", "mnist is built in; configure it under [data]")
        file = d.get("file", str, None)
        if file is not None and (not _plain_name(file) or file.endswith(".ipynb")):
            raise d._err("file", f"should be a plain file name, not a notebook's, got {file!r}")
        arrays = d.sub("arrays", f"datasets.{name}.arrays")
        unknown = sorted(set(arrays.table) - set(FEATURE_KEYS))
        if unknown:
            raise arrays._err(unknown[0], f"not one of {', '.join(FEATURE_KEYS)}")
        out[name] = Dataset(name, d.get("inputs", int), d.get("classes", int),
                            d.get("description", str, ""), d.get("parameter", str, None),
                            ("raw",), 0, file,
                            tuple((k, arrays.get(k, str)) for k in FEATURE_KEYS
                                  if k in arrays.table))
    return out


def _plain_name(name: str) -> bool:
    """A file name with no folder in it, not hidden: what a notebook opens in its folder."""
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")
