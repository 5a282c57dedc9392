"""``grader pack``: check a pack on its own starter and solution; student editions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grader.cli.common import console, fail
from grader.errors import GraderError

pack_app = typer.Typer(help="Assignment packs: check one, build and install student editions.",
                        no_args_is_help=True)


@pack_app.command("build")
def build(
    assignment: Annotated[str, typer.Argument(help="Assignment id.")],
    student: Annotated[bool, typer.Option(
        "--student", help="Build the student edition (required: the only kind there is).")
    ] = False,
    out: Annotated[Path, typer.Option(help="Where the zip goes.")] = Path("dist"),
) -> None:
    """Write OUT/<id>-student.zip: spec, starter, data files, expected results minus hidden ones.

    The reference implementation never goes in; hidden checks' expected values neither.
    """
    from grader.assignment.edition import build_student_edition, hidden_checks
    from grader.assignment.pack import find_pack

    if not student:
        raise fail(GraderError("say --student: a student edition is the only edition to build"))
    try:
        pack = find_pack(assignment)
        out.mkdir(parents=True, exist_ok=True)
        archive = build_student_edition(pack, out)
    except (GraderError, OSError) as exc:
        raise fail(exc if isinstance(exc, GraderError) else GraderError(str(exc))) from None
    hidden = hidden_checks(pack)
    console.print(f"wrote {archive} ({len(hidden)} hidden check(s) left out). Students run: "
                  f"grader pack install {archive.name}")


@pack_app.command("install")
def install(
    archive: Annotated[Path, typer.Argument(help="A <id>-student.zip from your instructor.")],
) -> None:
    """Install a pack edition for `grader check` (replaces an older one of the same id)."""
    from grader.assignment.edition import install_edition

    try:
        target = install_edition(archive)
    except GraderError as exc:
        raise fail(exc) from None
    console.print(f"installed {target.name} in {target}")


@pack_app.command("list")
def list_packs() -> None:
    """The packs `grader` can find, and where."""
    from grader.assignment.pack import pack_roots

    for root in pack_roots():
        for spec in sorted(root.glob("*/spec.toml")):
            console.print(f"{spec.parent.name:24} {spec.parent}")


@pack_app.command("new")
def new_pack(
    assignment: Annotated[str, typer.Argument(help="The new pack's id (lower case, digits, _).")],
    from_: Annotated[Path, typer.Option(
        "--from", help="The solution notebook, its questions and solutions marked "
                       "(# BEGIN QUESTION … # END QUESTION, # BEGIN SOLUTION … "
                       "# END SOLUTION).")],
    dest: Annotated[Path, typer.Option(
        help="Where the pack's folder goes (./reference is searched for packs).")]
    = Path("reference"),
) -> None:
    """Write a pack from one solution notebook: starter, reference, spec with proposed checks.

    Then edit the spec's proposals and run `grader pack check ID`.
    """
    from grader.assignment.authoring import new_pack as write_pack

    try:
        folder = write_pack(assignment, from_, dest)
    except GraderError as exc:
        raise fail(exc) from None
    console.print(f"wrote {folder}: spec.toml (one question per marked block, checks "
                  "proposed: keep, change or delete them), starter.ipynb, solution.ipynb, "
                  "reference.py", highlight=False)
    console.print(f"next: grader pack check {assignment}", highlight=False)


@pack_app.command("check")
def check_pack(
    assignment: Annotated[str, typer.Argument(help="Assignment id.")],
    solution: Annotated[Path | None, typer.Option(
        help="The instructor's solution notebook (default: solution.ipynb in the pack; "
             "for an assignment of several notebooks, the folder of them).")]
    = None,
    starter: Annotated[Path | None, typer.Option(
        help="The notebook students start from (default: the pack's starter.ipynb, or "
             "its starter/ folder of notebooks).")]
    = None,
    profile: Annotated[str | None, typer.Option(
        help="Grading profile (default: the spec's).")] = None,
    mnist: Annotated[Path | None, typer.Option(
        help="MNIST .npz in Keras layout (default: $GRADER_MNIST, then ~/.keras/datasets).")]
    = None,
) -> None:
    """Grade the pack's own starter and solution: is the pack ready for a class?

    The unchanged starter must earn at most 5 % of the automatic points (the code it
    gives is not the student's work) and the solution at least 90 %; otherwise the
    checks at fault are named. Builds the profile's expected results first when the
    pack has none. Exits 1 when the pack is not ready.
    """
    import tempfile

    from grader.assignment.pack import find_pack
    from grader.assignment.parts import join_folder
    from grader.batch.options import BatchOptions
    from grader.batch.start import grade_batch
    from grader.errors import ReferenceResultsMissing
    from grader.evaluate.data import locate_mnist
    from grader.grading.pack_check import judge_pack

    try:
        pack = find_pack(assignment)
        prof = pack.spec.profile(profile)
        several = bool(pack.spec.notebooks)  # then starter and solution are folders
        starter = starter or pack.starter
        solution = solution or pack.root / ("solution" if several else "solution.ipynb")
        for name, path in (("starter", starter), ("solution", solution)):
            if not (path.is_dir() if several else path.is_file()):
                raise GraderError(f"no {name} {'folder' if several else 'notebook'} here"
                                  + (": give --solution PATH" if name == "solution" else ""),
                                  path=path)
        mnist_path = locate_mnist(mnist)
        try:
            pack.expected(prof.name)
        except ReferenceResultsMissing:
            from grader.grading.reference import build_expected, write_expected

            console.print(f"building the expected results of {pack.id} ({prof.name}) first")
            with tempfile.TemporaryDirectory(prefix="grader-ref-") as cache:
                write_expected(pack, prof.name,
                               build_expected(pack, prof.name, mnist_path, Path(cache)))
        with tempfile.TemporaryDirectory(prefix="grader-pack-check-") as tmp:
            folder = Path(tmp) / "notebooks"
            folder.mkdir()
            for name, path in (("starter", starter), ("solution", solution)):
                if several:
                    join_folder(path, pack.spec.notebooks, folder / f"{name}.ipynb")
                else:
                    (folder / f"{name}.ipynb").write_bytes(path.read_bytes())
            outcome = grade_batch(sorted(folder.glob("*.ipynb")), pack, Path(tmp) / "out",
                                  mnist_path, BatchOptions(profile=prof.name, pdf=False,
                                                           audience="instructor", root=folder))
            results = {r["student"]: r for r in outcome.results}
    except GraderError as exc:
        raise fail(exc) from None
    verdict = judge_pack(results["starter"], results["solution"])
    console.print(f"{pack.id} ({prof.name}): the unchanged starter earns {verdict.starter[0]:g} "
                  f"of {verdict.starter[1]:g} automatic points, the solution "
                  f"{verdict.solution[0]:g} of {verdict.solution[1]:g}.", highlight=False)
    if verdict.ready:
        console.print("ready: the starter earns at most 5 %, the solution at least 90 %.")
        return
    for line in verdict.problems:
        console.print(line, highlight=False, markup=False)
    raise typer.Exit(1)
