"""PDF versions of the HTML reports: the same page, printed by WeasyPrint on A4."""

from __future__ import annotations

import logging
from pathlib import Path

from grader.errors import ReportError
from grader.files import written_whole


def write_pdf(html_path: Path, pdf_path: Path | None = None) -> Path:
    """Print an HTML report to PDF beside it (or to ``pdf_path``); return the PDF's path.

    The PDF appears whole or not at all: a printer stopped mid-page (Ctrl-C) leaves no
    half-written file for anyone to hand out.

    Raises:
        ReportError: WeasyPrint (or the system's pango it needs) is missing or failed.
    """
    pdf_path = pdf_path or html_path.with_suffix(".pdf")
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango/cairo libraries missing
        raise ReportError(f"cannot make PDFs: WeasyPrint is unavailable ({exc}); see the "
                          "README for its system libraries", path=html_path,
                          format="pdf") from None
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        with written_whole(pdf_path) as tmp:  # a printer stopped half-way leaves no PDF
            weasyprint.HTML(filename=str(html_path), base_url=str(html_path.parent)).write_pdf(
                str(tmp))
    except Exception as exc:  # noqa: BLE001 - any rendering failure is reported with the file
        raise ReportError(f"PDF rendering failed: {type(exc).__name__}: {exc}", path=html_path,
                          format="pdf") from None
    return pdf_path
