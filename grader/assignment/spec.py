"""Assignment specs: the declarative description of questions, points and checks.

A spec is a TOML file (``spec.toml``) in an assignment pack, read and checked by
:func:`grader.assignment.spec_toml.load_spec`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.errors import SpecError

PREFER = ("closest", "best", "last")
KINDS = ("any", "mlp", "cnn", "autoencoder")
SCALINGS = ("unit", "raw", "standard", "pixel_standard")
MNIST = "mnist"


@dataclass(frozen=True)
class Dataset:
    """Data a question's models are measured on.

    ``mnist`` always exists; a spec may declare others (e.g. precomputed features)
    that an instructor supplies with ``--data NAME=PATH``.

    Attributes:
        name: How the spec and the command line name it.
        inputs: Values per example a model must take.
        classes: Number of classes a model must output.
        description: What the file holds, for messages.
        parameter: Notebook parameter that receives the file's path, if any.
        scalings: Input scalings the grader may apply, the course's convention first.
        standardise_on: Training images whose per-pixel statistics ``pixel_standard`` uses.
        file: Name the course's notebooks open in their folder: the instructor's file is
            copied there under it.
        arrays: The course file's names for ``x_train``, ``y_train``, ``x_test`` and
            ``y_test`` (e.g. ``arr_0``), as pairs; the grader's own names are read first.
    """

    name: str
    inputs: int
    classes: int
    description: str = ""
    parameter: str | None = None
    scalings: tuple[str, ...] = ("unit", "raw", "standard")
    standardise_on: int = 0
    file: str | None = None
    arrays: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Denoising:
    """How the grader draws denoising curves (``[denoising]`` in a spec).

    Attributes:
        levels: Salt-and-pepper noise levels, each in [0, 1].
        images: How many test images (the first ones) are used; 0 for all.
        seed: Seed of the noise, the same for every submission.
        autoencoder: The reference autoencoder model.
        classifier: The reference classifier the reference curves are measured with.
        replicates: Reference trainings (classifier and autoencoder, different seeds)
            whose spread sets the tolerance band.
    """

    levels: tuple[float, ...]
    images: int
    seed: int
    autoencoder: str
    classifier: str
    replicates: int = 3


@dataclass(frozen=True)
class LateRule:
    """The late-submission rule (``[late]`` in a spec).

    Attributes:
        due: The deadline, with its time zone.
        penalty_per_day: Fraction of the earned score lost per started day late.
        max_penalty: The largest fraction that can be lost.
        grace_minutes: Minutes after ``due`` that still count as on time.
    """

    due: datetime
    penalty_per_day: float
    max_penalty: float = 1.0
    grace_minutes: int = 0


@dataclass(frozen=True)
class Profile:
    """How hard the grader trains: the data students get and the time limits."""

    name: str
    description: str
    train_limit: int
    cell_timeout: int
    notebook_timeout: int
    seed: int
    parameters: Mapping[str, Any]
    max_epochs: int = 0
    loop_epochs: int = 0  # a cell's third and later fits (a sweep's runs): at most this many


@dataclass(frozen=True)
class Selector:
    """Which of the notebook's models a question grades.

    Attributes:
        names: Variable names tried first, in order (``"models"`` matches ``models[2]``).
        kind: ``"mlp"`` (dense layers only), ``"cnn"`` (with convolutions), ``"any"``,
            or ``"autoencoder"`` (images in, images of the same size out).
        prefer: Among structural candidates: ``closest`` to ``reference``, ``best``
            test accuracy, or ``last`` defined.
        reference: The reference model ``closest`` compares with.
        same_as: Reuse another question's selection.
        dataset: The dataset whose inputs and classes the model must fit.
        max_edits: Only models within this many layer changes of ``reference`` qualify.
        exclude_given: Reference models the starter itself builds: a model identical to
            one of them (layers, parameters, loss, optimizer) is code the student was
            given, not their work, and is never graded for this question.
    """

    names: tuple[str, ...] = ()
    kind: str = "any"
    prefer: str = "last"
    reference: str | None = None
    same_as: str | None = None
    dataset: str = MNIST
    max_edits: int | None = None
    exclude_given: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckSpec:
    """One check of a question: a registered check name, its points and params."""

    name: str
    points: float
    params: Mapping[str, Any]
    public: bool = True


@dataclass(frozen=True)
class Answer:
    """How to recognise a written answer: the starter's placeholder, and its own heading.

    ``pattern`` (a regex over Markdown cells) finds the pack's own answer heading when
    the question's ``labels`` locate nothing; it is optional.
    """

    pattern: str = ""
    placeholder: str = ""


@dataclass(frozen=True)
class RubricItem:
    """One item of a written answer's rubric, with the comment the student reads.

    ``points`` may be negative (a deduction). ``id`` is ``s1``, ``s2`` … for the
    spec's items, ``m1`` … for items added while marking (kept in the gradebook).
    """

    id: str
    points: float
    text: str


@dataclass(frozen=True)
class Question:
    """A graded question.

    ``labels`` are what students write for it (``"2D"``, ``"2.4"``, ``"Q2.4"``): where
    one stands in the notebook's outline, the question's cells and answer are (see
    :mod:`grader.grading.outline`). ``section`` is a regex for the Markdown heading
    where the question's cells start when no label is found (its answer's heading when
    unset); the cells run to the next question's heading. ``notebook``: in an
    assignment of several notebooks, the one whose cells, models, figures and answers
    the question reads (None: all of them).
    """

    id: str
    title: str
    points: float
    checks: tuple[CheckSpec, ...]
    select: Selector | None = None
    answer: Answer | None = None
    section: str | None = None
    labels: tuple[str, ...] = ()
    notebook: str | None = None
    rubric: tuple[RubricItem, ...] = ()

    @property
    def headings(self) -> tuple[str, ...]:
        """Patterns of the headings that start this question's cells."""
        return tuple(p for p in (self.section, self.answer.pattern if self.answer else None) if p)

    @property
    def manual(self) -> bool:
        """Whether its points are given by hand (written answers)."""
        return all(c.name == "answer_present" for c in self.checks)


@dataclass(frozen=True)
class CourseFile:
    """A data file a course's notebooks open by name, made by the grader from MNIST.

    Attributes:
        name: The file name the notebooks open, in their own folder.
        images: The first ``images`` MNIST training images (and their labels).
        format: ``pickle.gz``: a gzip'd pickle of the tuple ``(X, y)``, as courses ship
            it; ``npz``: arrays ``X`` and ``y``.
        shape: Each image's shape in ``X`` (``[1, 28, 28]``: channels first).
        dtype: ``X``'s type: ``float32`` or ``uint8``; values 0–255 either way.
    """

    name: str
    images: int
    format: str = "pickle.gz"
    shape: tuple[int, ...] = (28, 28)
    dtype: str = "float32"


@dataclass(frozen=True)
class Spec:
    """A whole assignment."""

    id: str
    title: str
    version: int
    path: Path
    reference_models: tuple[str, ...]
    profiles: Mapping[str, Profile]
    questions: tuple[Question, ...]
    datasets: Mapping[str, Dataset]
    model_datasets: Mapping[str, str]
    default_profile: str = "fast"
    kernel_files: tuple[str, ...] = ()
    course_files: tuple[CourseFile, ...] = ()
    kernel_requirements: tuple[str, ...] = ()
    kernel_packages: tuple[str, ...] = ()  # added to the grader's own stack (or requirements)
    kernel_preload: tuple[str, ...] = ("keras",)
    compat: bool = True
    calls: tuple[Mapping[str, Any], ...] = ()
    example_images: str | None = None
    own_images: int = 0
    denoising: Denoising | None = None
    late: LateRule | None = None
    show_reference: bool = False  # students' reports show the reference (its layers, accuracy)
    notebooks: tuple[str, ...] = ()  # an assignment of several notebooks: their file names

    @property
    def starter_files(self) -> tuple[str, ...]:
        """The pack's starter notebooks, relative to the pack's folder, in course order."""
        return tuple(f"starter/{n}" for n in self.notebooks) or ("starter.ipynb",)

    def dataset_of(self, reference_model: str) -> Dataset:
        """The dataset a reference model is trained and measured on."""
        return self.datasets[self.model_datasets.get(reference_model, MNIST)]

    @property
    def max_score(self) -> float:
        """Total points of the assignment."""
        return sum(q.points for q in self.questions)

    def profile(self, name: str | None) -> Profile:
        """A profile by name (the spec's default when None), with a clear error."""
        name = name or self.default_profile
        if name not in self.profiles:
            raise SpecError(f"no profile {name!r} (profiles: {', '.join(self.profiles)})",
                            path=self.path, key="profiles")
        return self.profiles[name]
