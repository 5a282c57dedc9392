"""The executed notebook as a standalone HTML page, the student's own cells as they ran.

Reports link to it. nbconvert's exporter is costly to make and its first page costly
to render, so one exporter serves every worker thread, warmed while a batch starts.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from pathlib import Path
from typing import Any

import nbformat

from grader.notebook import is_injected

_HTML_LOCK = threading.Lock()

# The page holds the student's outputs as they were: any HTML, scripts among them. It
# is opened in the instructor's browser and may be served by an LMS as feedback, so no
# script, plugin or frame of it runs or loads there (math stays as its TeX source).
NO_SCRIPTS = ("<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'; "
              "object-src 'none'; frame-src 'none'; worker-src 'none'; base-uri 'none'; "
              "form-action 'none'\">")


@functools.cache
def html_exporter() -> Any:
    """The nbconvert HTML exporter: made once, as compiling its templates takes about a second.

    One for every worker thread, used under ``_HTML_LOCK`` (a page takes a few hundredths of
    a second): with one per thread, each worker paid that second at its first notebook,
    all of them at once.
    """
    from nbconvert import HTMLExporter

    return HTMLExporter()


def warm_html() -> None:
    """Export one small notebook, so that the first student's page costs what the others do.

    nbconvert's first page took 0.9 CPU-s here (templates compiled, the highlighter's
    lexers built), each later one a few hundredths: a batch pays it while its fork
    server imports TensorFlow. A failure here is left for the real pages to record.
    """
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Warm-up\n\n*Some* `code` and $x^2$."),
        nbformat.v4.new_code_cell("print(1)", execution_count=1, outputs=[
            nbformat.v4.new_output("stream", text="1\n")]),
    ])
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    with contextlib.suppress(Exception), _HTML_LOCK:
        html_exporter().from_notebook_node(nb)


def export_html(executed: Path) -> Path:
    """The executed notebook as a standalone HTML page beside it (nbconvert's classic look).

    Injected grader cells are left out: students see their own notebook as it ran. The
    page forbids scripts (:data:`NO_SCRIPTS`, first in its head).
    """
    nb = nbformat.read(executed, as_version=4)
    nb.cells = [c for c in nb.cells if not is_injected(c)]
    with _HTML_LOCK:
        body, _ = html_exporter().from_notebook_node(nb)
    out = executed.with_suffix(".html")
    out.write_text(without_scripts(body), encoding="utf-8")
    return out


def without_scripts(page: str) -> str:
    """``page`` with :data:`NO_SCRIPTS` first in its head, before anything it could govern.

    Raises:
        ValueError: The page has no ``<head>`` (nbconvert's templates all have one).
    """
    head = re.search(r"<head(\s[^>]*)?>", page, re.IGNORECASE)
    if head is None:
        raise ValueError("nbconvert's page has no <head> to put the script policy in")
    return page[:head.end()] + "\n" + NO_SCRIPTS + page[head.end():]
