"""Students' report pages, drawn and printed again only when what they show changed."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import signal
from collections.abc import Mapping, Sequence
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any

from grader.errors import ReportError
from grader.files import write_text_whole
from grader.paths import PACKAGE
from grader.report.pdf import write_pdf
from grader.report.render import render_student, templates_dir
from grader.version import VERSION


class Pages:
    """Students' report pages, each drawn again (HTML, then PDF) only when what it shows changed.

    A page's key hashes the result it shows, the expected results, the audience, and the
    code and templates that draw it; it is kept beside the page. Grading a class again
    with nothing changed for a student rewrites neither their page nor their PDF.
    """

    def __init__(self, expected: Mapping[str, Any], audience: str,
                 show_reference: bool = False) -> None:
        self.expected, self.audience = expected, audience
        self.show_reference = show_reference
        h = hashlib.sha256(json.dumps({"expected": expected, "audience": audience,
                                       "show_reference": show_reference, "grader": VERSION},
                                      sort_keys=True, default=str).encode())
        drawing = [*(PACKAGE / "report").glob("*.py"),
                   *templates_dir().rglob("*")]
        for path in sorted(p for p in drawing if p.is_file()):
            h.update(path.name.encode() + path.read_bytes())
        self._base = h.hexdigest()

    def html(self, result: Mapping[str, Any], page: Path) -> Path:
        """The student's HTML report at ``page``, rendered unless the one there is current.

        A page drawn again loses its old PDF, which showed the page before.
        """
        key = hashlib.sha256((self._base + json.dumps(result, sort_keys=True, default=str))
                             .encode()).hexdigest()
        if page.is_file() and _made(page).get("key") == key:
            return page
        render_student(result, self.expected, page, self.audience, self.show_reference)
        page.with_suffix(".pdf").unlink(missing_ok=True)
        _record(page, {"key": key, "pdf": False, "audience": self.audience})
        return page


def drawn_for(page: Path, default: str = "student") -> str:
    """The audience the page at ``page`` was drawn for (``default`` when unknown)."""
    return str(_made(page).get("audience") or default)


def printed(page: Path) -> bool:
    """Whether the PDF beside ``page`` shows it (printed since :meth:`Pages.html` drew it)."""
    return bool(_made(page).get("pdf")) and page.with_suffix(".pdf").is_file()


def print_pdf(page: Path) -> Path:
    """Print ``page`` to the PDF beside it and note that it is current."""
    pdf = write_pdf(page, page.with_suffix(".pdf"))
    made = _made(page)
    if made:
        _record(page, made | {"pdf": True})
    return pdf


def print_pdfs(pages: Sequence[Path], processes: int = 1) -> None:
    """Print the PDFs of ``pages`` that are not current, ``processes`` at once.

    A page without a key (the class summary) is always printed. The printing processes
    are started fresh (``spawn``): the grader's own process has threads. Every page is
    tried; the first failure is raised once the others are done.

    Raises:
        ReportError: A page could not be printed (WeasyPrint missing, or failing on it).
    """
    todo = [p for p in pages if not printed(p)]
    failures: list[BaseException] = []
    if processes <= 1 or len(todo) <= 1:
        for page in todo:
            try:
                print_pdf(page)
            except ReportError as exc:
                failures.append(exc)
    else:
        context = multiprocessing.get_context("spawn")
        pool = context.Pool(min(processes, len(todo)), initializer=ignore_ctrl_c)
        try:
            jobs = [pool.apply_async(print_pdf, (page,)) for page in todo]
            failures = [failed for job in jobs if (failed := _failure(job)) is not None]
        except BaseException:
            # Ctrl-C: the printers stop now, mid-page; an unfinished PDF is never current
            pool.terminate()
            raise
        pool.close()
        pool.join()
    if failures:
        raise failures[0]


def ignore_ctrl_c() -> None:
    """In a printing process: Ctrl-C is the grader's to handle (it stops the printers).

    A printer that Ctrl-C killed while it held the pool's task queue left the other
    printers waiting on that queue for ever, and the grader waiting on them.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _failure(job: AsyncResult[Path]) -> BaseException | None:
    """What printing one page raised, once it is done (None: it printed)."""
    try:
        job.get()
    except Exception as exc:  # noqa: BLE001 - every page is tried; the caller raises the first
        return exc
    return None


def _key_file(page: Path) -> Path:
    return page.with_name(f".{page.name}.key")


def _made(page: Path) -> dict[str, Any]:
    """What the key file beside ``page`` says it was made from (empty: unknown)."""
    try:
        made = json.loads(_key_file(page).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return made if isinstance(made, dict) else {}


def _record(page: Path, made: Mapping[str, Any]) -> None:
    write_text_whole(_key_file(page), json.dumps(made))


