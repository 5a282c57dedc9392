"""``grader pack``: build a pack's student edition, install one, list what is installed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grader.cli.common import console, fail
from grader.errors import GraderError

pack_app = typer.Typer(help="Student editions of assignment packs.", no_args_is_help=True)


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
