"""``grader mark``: the marking page for a graded folder, and marks to and from CSV."""

from __future__ import annotations

import getpass
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from grader.cli.common import AssignmentOpt, console, err, fail
from grader.errors import GraderError


def mark(
    out: Annotated[Path, typer.Argument(help="Output folder of an earlier `grader grade`.")],
    assignment: AssignmentOpt,
    host: Annotated[str, typer.Option(
        help="Address to listen on: 127.0.0.1 (this machine only), or 0.0.0.0 for a TA "
             "server.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free one).")] = 8765,
    marker: Annotated[str | None, typer.Option(
        help="Your name, recorded with each mark (default: your login).")] = None,
    browser: Annotated[bool, typer.Option(
        "--browser/--no-browser", help="Open the page in the browser.")] = True,
    export: Annotated[Path | None, typer.Option(
        "--export", help="Write the marks as CSV (student, question, points, comment, "
                         "marker, items) and exit.")] = None,
    import_: Annotated[Path | None, typer.Option(
        "--import", help="Record the marks of a CSV or YAML (the overrides format), redraw "
                         "the reports they touch, and exit.")] = None,
) -> None:
    """Mark the written answers of a graded class, one question at a time, in the browser.

    Prints the page's address (it holds a token: only whoever has it can mark) and
    serves until Ctrl-C. Marks are stored in the folder's gradebook at once, and each
    marked student's report and grades.csv are drawn again.
    """
    from grader.assignment.pack import find_pack
    from grader.marking.app import Marking
    from grader.marking.serve import bind, export_marks, import_marks, serve
    from grader.report.outputs import open_gradebook

    try:
        pack = find_pack(assignment)
        with open_gradebook(out) as book:  # a folder never graded: one clear line
            if not book.latest(pack.id):
                raise GraderError(f"no graded notebook of {pack.id} here", path=out)
        if export is not None:
            n = export_marks(out, pack, export)
            console.print(f"wrote {n} mark(s) to {export}", highlight=False)
            return
        if import_ is not None:
            n = import_marks(out, pack, import_)
            console.print(f"recorded {n} mark(s) from {import_}", highlight=False)
            return
        session = Marking(out.resolve(), pack, marker=marker or _login())
        sock = bind(host, port)
    except GraderError as exc:
        raise fail(exc) from None

    def started(url: str) -> None:
        console.print(f"Marking {pack.spec.title} at\n  {url}\n(Ctrl-C stops; marks are "
                      "saved as you go)", highlight=False, soft_wrap=True)
        if browser:
            webbrowser.open(url)

    try:
        serve(session, sock, started)
    except KeyboardInterrupt:
        err.print("stopped: every mark made is saved", highlight=False)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
