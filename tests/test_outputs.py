"""A class's pages are drawn again only when what they show changed."""

from __future__ import annotations

import grader.outputs
from grader.outputs import Pages
from tests.test_report import EXPECTED, result


def printed(monkeypatch) -> list:
    """Record PDF printing instead of running WeasyPrint."""
    calls = []

    def fake(page, pdf):
        calls.append(page)
        pdf.write_bytes(b"%PDF")
        return pdf

    monkeypatch.setattr(grader.outputs, "write_pdf", fake)
    return calls


def test_a_current_page_and_its_pdf_are_left_alone(tmp_path, monkeypatch):
    calls, page = printed(monkeypatch), tmp_path / "alice" / "report.html"
    pages = Pages(EXPECTED, "student")
    pages.html(result(), page)
    pages.pdf(page)
    page.write_text("kept", encoding="utf-8")  # would be overwritten by a new drawing
    again = Pages(EXPECTED, "student")  # a later command, same data
    again.html(result(), page)
    again.pdf(page)
    assert page.read_text() == "kept" and len(calls) == 1


def test_a_changed_result_redraws_the_page_and_drops_its_old_pdf(tmp_path, monkeypatch):
    calls, page = printed(monkeypatch), tmp_path / "alice" / "report.html"
    pages = Pages(EXPECTED, "student")
    pages.html(result(), page)
    pages.pdf(page)
    changed = result() | {"score": 4.0}
    pages.html(changed, page)
    assert "kept" not in page.read_text() and not page.with_suffix(".pdf").exists()
    pages.pdf(page)
    assert len(calls) == 2


def test_audience_and_expected_results_are_part_of_the_key(tmp_path, monkeypatch):
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
