"""``grader report`` and ``grader export``: what an earlier ``grader grade`` left, written again.

Nothing runs: the gradebook holds every result. Both hold the output folder while they
write (:mod:`grader.batch.folder_lock`), as ``grader grade`` does.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from grader.batch.stopping import exit_code, signal_name, stop_signals
from grader.cli.common import (
    AssignmentOpt,
    Audience,
    AudienceOpt,
    ExportFormat,
    Missing,
    MissingOpt,
    MoodleLanguage,
    PdfOpt,
    RosterOpt,
    SubmittedOpt,
    console,
    err,
    fail,
    parse_times,
)
from grader.errors import GraderError

if TYPE_CHECKING:
    from grader.gradebook.roster import Matched
    from grader.report.export import BlackboardRows


def _held(out: Path) -> AbstractContextManager[None]:
    """``out`` held for this command alone (:mod:`grader.batch.folder_lock`), if it exists."""
    from grader.batch.folder_lock import holding

    return holding(out) if out.is_dir() else nullcontext()


def report(
    out: Annotated[Path, typer.Argument(help="Output folder of an earlier `grader grade`.")],
    assignment: AssignmentOpt,
    overrides: Annotated[Path | None, typer.Option(
        help="Manual grades: CSV or YAML with student, question, points, comment.")] = None,
    audience: AudienceOpt = Audience.student,
    pdf: PdfOpt = True,
    submitted: SubmittedOpt = None,
    roster: RosterOpt = None,
    missing: MissingOpt = Missing.omit,
) -> None:
    """Re-render grades.csv, reports and the summary from the gradebook (nothing runs).

    With --roster, grades.csv also lists the class's students without a submission.
    """
    from grader.assignment.pack import find_pack
    from grader.gradebook.overrides import read_overrides
    from grader.report.outputs import open_gradebook, roster_grades, write_outputs

    try:
        pack = find_pack(assignment)
        with stop_signals(), _held(out), open_gradebook(out) as book:
            latest = book.latest(pack.id)
            if overrides is not None:
                manual = read_overrides(overrides, pack.spec, [r["student"] for r in latest])
                book.record_overrides(pack.id, manual, overrides)
                console.print(f"recorded {len(manual)} manual grade(s) from {overrides}")
            expected = pack.expected(latest[0]["profile"]) if latest else {}
            results = write_outputs(book, pack, expected, out, audience.value, pdf,
                                    parse_times(submitted))
            if roster is not None:
                say_roster(roster_grades(results, pack, out, roster, missing.value),
                            missing.value, roster)
    except GraderError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt as exc:  # manual grades, once recorded, stay recorded
        err.print(f"[bold yellow]interrupted[/] ({signal_name(exc)}): the reports and PDFs not "
                  "yet written are written by the same command again; what is current is not "
                  "drawn again.", highlight=False)
        raise typer.Exit(exit_code(exc)) from None
    pending = sum(r["manual_pending"] for r in results)
    console.print(f"{len(results)} report(s) written to {out}; {pending} answer(s) still "
                  "awaiting manual grade.")


def export_grades(
    out: Annotated[Path, typer.Argument(help="Output folder of an earlier `grader grade`.")],
    assignment: AssignmentOpt,
    format: Annotated[ExportFormat, typer.Option(
        "--format", help="What the LMS imports.")] = ExportFormat.csv,
    column_id: Annotated[str, typer.Option(
        help="canvas, blackboard: the LMS's id of the assignment's column, so the grades go "
             "into it (else the LMS makes a new one).")] = "",
    to: Annotated[Path | None, typer.Option(help="Where the files go (default OUT/exports).")]
    = None,
    submitted: SubmittedOpt = None,
    pdf: Annotated[bool, typer.Option(
        "--pdf/--no-pdf", help="moodle: the feedback files are PDF reports (else HTML).")]
    = True,
    lms_language: Annotated[MoodleLanguage, typer.Option(
        help="moodle: the site's language; its worksheet import finds columns by their "
             "names in it.")] = MoodleLanguage.en,
    allow_pending: Annotated[bool, typer.Option(
        "--allow-pending", help="Export although written answers await marking: the "
                                "automatic points only, said in every file's name.")] = False,
    roster: RosterOpt = None,
    missing: MissingOpt = Missing.omit,
) -> None:
    """Write the grades (manual grades included) in a format an LMS imports.

    With --format moodle, each student's report is also packed as Moodle's feedback
    files zip; with --format canvas, each student's notebook as it ran, feedback on top,
    as the zip Canvas' "re-upload submissions" takes.
    """
    from grader.assignment.pack import find_pack
    from grader.report.export import blackboard_rows, check_options, export, unmatched_rows
    from grader.report.outputs import (
        canvas_feedback,
        class_results,
        moodle_feedback,
        open_gradebook,
    )

    try:
        check_options(format.value, column_id, lms_language.value)
    except ValueError as exc:
        raise fail(GraderError(str(exc))) from None
    try:
        pack = find_pack(assignment)
        times = parse_times(submitted)
        with _held(out):
            with open_gradebook(out) as book:
                results = class_results(book, pack, times)
                held = book.assignments()
            if not results:  # a header-only file would import as "nobody handed in"
                raise GraderError(
                    f"this gradebook holds no results of {pack.id} (it holds: "
                    f"{', '.join(held) or 'nothing'}): nothing to export", path=out)
            target = to or out / "exports"
            rows: list[dict[str, Any]] = list(results)
            if roster is not None:
                from grader.gradebook.roster import match, read_roster
                from grader.report.export import with_roster

                matched = match(results, read_roster(roster))
                rows = with_roster(results, matched, missing.value, pack.spec.max_score)
                say_roster(matched, missing.value, roster)
            written = export(rows, format.value, pack.spec.title, target,
                             [q.id for q in pack.spec.questions], column_id, allow_pending,
                             lms_language.value)
            packed = (moodle_feedback(results, pack, target, pdf) if format == "moodle" else
                      canvas_feedback(results, pack, target) if format == "canvas" else None)
    except GraderError as exc:
        raise fail(exc) from None
    console.print(f"wrote {len(written)} {format.value} file(s) under {target}")
    if packed is not None:
        _say_packed(packed, format.value)
    if format == "blackboard":
        _say_blackboard(blackboard_rows(rows))
    unmatched = unmatched_rows(rows, format.value)
    if unmatched:
        what = {"canvas": "an empty ID (Canvas skips the row)",
                "moodle": "an empty Identifier (the worksheet upload skips the row; the "
                          "gradebook import can still map Username)"}[format.value]
        why = ("neither their file names (from the LMS's download) nor the class list give "
               "it" if roster is not None else
               f"their file names are not from the {format.value.capitalize()} download "
               "(--roster with the class list can give it)")
        err.print(f"[bold yellow]warning:[/] {len(unmatched)} of {len(rows)} row(s) have "
                  f"{what}: {why}: {_names(unmatched)}", highlight=False)
        if len(unmatched) == len(rows):
            err.print("[bold red]error:[/] no row matches a student of the LMS",
                      highlight=False)
            raise typer.Exit(1)


def say_roster(matched: Matched, missing: str, roster: Path) -> None:
    """Who the class list could not place, and who is on it without a submission."""
    for student, members in sorted(matched.ambiguous.items()):
        err.print(f"[bold yellow]warning:[/] {escape(student)} could be any of "
                  f"{escape(', '.join(f'{m.key} (line {m.line})' for m in members))} on "
                  f"{escape(str(roster))}: not matched (rename the submission or give the "
                  "list a student column)", highlight=False)
    if matched.unmatched:
        err.print(f"[bold yellow]warning:[/] {len(matched.unmatched)} submission(s) match no "
                  f"student of {escape(str(roster))}: {_names(matched.unmatched)}",
                  highlight=False)
    if matched.missing:
        given = {"omit": "no row", "zero": "0 points", "empty": "an empty grade"}[missing]
        err.print(f"{len(matched.missing)} student(s) of the class list handed nothing in "
                  f"({given}): {_names([m.key for m in matched.missing])}", highlight=False)


def _names(students: list[str]) -> str:
    """The first five of ``students`` and how many more, escaped for rich."""
    from grader.cli.views import first_names  # as cli.py does: not at the command's start

    return escape(first_names(students, 5))


def _say_blackboard(rows: BlackboardRows) -> None:
    """Who Blackboard's upload leaves out, and whose username is only a guess."""
    if rows.earlier:
        err.print(f"[bold yellow]warning:[/] {len(rows.earlier)} earlier attempt(s) not in "
                  f"blackboard.csv (a later attempt of the same username is): "
                  f"{_names(rows.earlier)}", highlight=False)
    if rows.unnamed:
        err.print(f"[bold yellow]warning:[/] {len(rows.unnamed)} student(s) whose file names "
                  "are not from Blackboard's download: their student id stands in for the "
                  f"username, which Blackboard may not know: {_names(rows.unnamed)}",
                  highlight=False)


def _say_packed(packed: Any, lms: str) -> None:
    """What went into the LMS's feedback zip, and who could not."""
    how = {"moodle": ("report(s) as Moodle feedback files (assignment > Upload multiple "
                      "feedback files in a zip)", "participant number"),
           "canvas": ("notebook(s) with feedback on top (assignment > Re-Upload "
                      "Submissions)", "Canvas user and file ids")}[lms]
    if packed.zip_path is not None:
        console.print(f"{escape(str(packed.zip_path))}: {packed.students} {how[0]}",
                      highlight=False)
    if packed.left_out:
        err.print(f"[bold yellow]warning:[/] {len(packed.left_out)} student(s) not in the "
                  f"feedback zip: their file names are not from the {lms.capitalize()} "
                  f"download, so they have no {how[1]}: {_names(packed.left_out)}",
                  highlight=False)
