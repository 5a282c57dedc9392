"""A class's pages are drawn and printed again only when what they show changed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

import grader.report.pages
from grader.errors import ReportError
from grader.report.pages import Pages, print_pdfs, printed
from tests.report.test_render import EXPECTED, result


@pytest.fixture
def prints(monkeypatch) -> list:
    """Record PDF printing in this process instead of running WeasyPrint."""
    calls = []

    def fake(page, pdf):
        if page.parent.name == "unprintable":
            raise ReportError("PDF rendering failed", path=page, format="pdf")
        calls.append(page)
        pdf.write_bytes(b"%PDF")
        return pdf

    monkeypatch.setattr(grader.report.pages, "write_pdf", fake)
    return calls


def test_a_current_page_and_its_pdf_are_left_alone(tmp_path, prints):
    page = tmp_path / "alice" / "report.html"
    Pages(EXPECTED, "student").html(result(), page)
    print_pdfs([page])
    assert printed(page)
    page.write_text("kept", encoding="utf-8")  # a new drawing would overwrite it
    Pages(EXPECTED, "student").html(result(), page)  # a later command, same data
    print_pdfs([page])
    assert page.read_text() == "kept" and prints == [page]


def test_a_changed_result_redraws_the_page_and_drops_its_old_pdf(tmp_path, prints):
    page = tmp_path / "alice" / "report.html"
    pages = Pages(EXPECTED, "student")
    pages.html(result(), page)
    print_pdfs([page])
    pages.html(result() | {"score": 4.0}, page)
    assert not page.with_suffix(".pdf").exists() and not printed(page)
    print_pdfs([page])
    assert prints == [page, page]


def test_audience_and_expected_results_are_part_of_the_key(tmp_path):
    page = tmp_path / "report.html"
    Pages(EXPECTED, "student").html(result(), page)
    page.write_text("kept", encoding="utf-8")
    Pages(EXPECTED, "instructor").html(result(), page)
    assert page.read_text() != "kept"
    page.write_text("kept", encoding="utf-8")
    Pages(EXPECTED | {"checks": {}}, "instructor").html(result(), page)
    assert page.read_text() != "kept"


def test_a_lost_key_file_redraws(tmp_path):
    page = tmp_path / "report.html"
    Pages(EXPECTED, "student").html(result(), page)
    page.write_text("kept", encoding="utf-8")
    (tmp_path / ".report.html.key").unlink()
    Pages(EXPECTED, "student").html(result(), page)
    assert page.read_text() != "kept"


def test_a_page_without_a_key_is_always_printed(tmp_path, prints):
    summary = tmp_path / "summary.html"
    summary.write_text("<p>class</p>", encoding="utf-8")
    print_pdfs([summary])
    print_pdfs([summary])
    assert prints == [summary, summary]


def test_one_unprintable_page_stops_no_other(tmp_path, prints):
    pages = [tmp_path / name / "report.html" for name in ("a", "unprintable", "c")]
    for page in pages:
        Pages(EXPECTED, "student").html(result(), page)
    with pytest.raises(ReportError):
        print_pdfs(pages)
    assert prints == [pages[0], pages[2]]


def test_pdfs_printed_side_by_side_are_the_pages(tmp_path):
    pages = [tmp_path / name / "report.html" for name in ("ann", "bob", "cyd")]
    for page in pages:
        Pages(EXPECTED, "student").html(result(student=page.parent.name), page)
    print_pdfs(pages, processes=2)
    for page in pages:
        assert printed(page)
        text = subprocess.run(["pdftotext", str(page.with_suffix(".pdf")), "-"], check=True,
                              capture_output=True, text=True).stdout
        assert f"Feedback for {page.parent.name}" in text


PRINT_ALL = """
import sys
from pathlib import Path

from grader.report.pages import print_pdfs

try:
    print_pdfs([Path(p) for p in sys.argv[1:]], processes=2)
except KeyboardInterrupt:
    sys.exit(42)
"""


def _group_gone(pgid: int, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_ctrl_c_while_pages_print_side_by_side_stops_every_printer(tmp_path):
    """A terminal's Ctrl-C reaches the printers too; none may be left waiting for ever."""
    pages = [tmp_path / f"s{i}" / "report.html" for i in range(40)]
    for page in pages:
        Pages(EXPECTED, "student").html(result(student=page.parent.name), page)
    proc = subprocess.Popen([sys.executable, "-c", PRINT_ALL, *map(str, pages)],
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not any(printed(p) for p in pages) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(printed(p) for p in pages), "no page printed in 2 minutes"
        os.killpg(proc.pid, signal.SIGINT)  # the whole process group, as a terminal does
        assert proc.wait(timeout=30) == 42
        assert _group_gone(proc.pid, 10)  # the printers and multiprocessing's tracker too
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert not all(printed(p) for p in pages)  # it stopped, it did not print the rest first
