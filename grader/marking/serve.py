"""Serving the marking page: a local address with a token, or a TA server; marks as CSV.

The page (:mod:`grader.marking.app`) runs under uvicorn on 127.0.0.1 by default, at an
address holding a random token, printed and opened in the browser, as Jupyter does.
``--export``/``--import`` move marks to and from the overrides CSV a spreadsheet edits.
"""

from __future__ import annotations

import csv
import errno
import socket
from collections.abc import Callable
from pathlib import Path

from grader.assignment.pack import Pack
from grader.errors import GraderError
from grader.gradebook.overrides import read_overrides
from grader.marking.app import Marking, create_app
from grader.report.outputs import class_results, open_gradebook, rewrite_students, write_summary

EXPORT_COLUMNS = ("student", "question", "points", "comment", "marker", "items")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0: any free port), or one clear error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise GraderError(f"port {port} on {host} is in use (another `grader mark`?): "
                              "choose another with --port, or --port 0 for any free one"
                              ) from None
        raise GraderError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    sock.listen(64)
    return sock


def address(session: Marking, sock: socket.socket) -> str:
    """The address to open: the host and port listened on, and the session's token."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?token={session.token}"


def serve(session: Marking, sock: socket.socket,
          started: Callable[[str], None] | None = None) -> None:
    """Run the marking page until stopped (Ctrl-C); then draw the class summary again."""
    import uvicorn

    config = uvicorn.Config(create_app(session), log_level="warning", access_log=False,
                            lifespan="off")
    server = uvicorn.Server(config)
    if started is not None:
        started(address(session, sock))
    try:
        server.run(sockets=[sock])
    finally:
        with open_gradebook(session.out_dir) as book:
            write_summary(class_results(book, session.pack), session.pack, session.out_dir)


def export_marks(out_dir: Path, pack: Pack, path: Path) -> int:
    """Write the newest mark of each (student, question) as overrides CSV; return how many."""
    with open_gradebook(out_dir) as book:
        marks = book.overrides(pack.id)
    try:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(EXPORT_COLUMNS)
            for m in marks:
                writer.writerow([m.student, m.question, f"{m.points:g}", m.comment, m.marker,
                                 " ".join(m.items)])
    except OSError as exc:
        raise GraderError(f"cannot write the marks ({exc.strerror})", path=path) from None
    return len(marks)


def import_marks(out_dir: Path, pack: Pack, path: Path) -> int:
    """Record the marks of an overrides CSV or YAML (checked whole first); redraw reports."""
    with open_gradebook(out_dir) as book:
        students = [r["student"] for r in book.latest(pack.id)]
        marks = read_overrides(path, pack.spec, students)
        book.record_overrides(pack.id, marks, path)
        results = rewrite_students(book, pack, out_dir, sorted({m.student for m in marks}))
        write_summary(results, pack, out_dir)
    return len(marks)
