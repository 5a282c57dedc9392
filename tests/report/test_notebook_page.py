"""The executed notebook's HTML page: one shared exporter, warmed ahead, one page each."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from grader.report.notebook_page import (
    _HTML_LOCK,
    NO_SCRIPTS,
    export_html,
    html_exporter,
    warm_html,
    without_scripts,
)


def test_worker_threads_share_one_html_exporter_and_each_gets_its_own_page(tmp_path):
    paths = []
    for i in range(4):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"print('page {i}')")])
        paths.append(tmp_path / f"executed{i}.ipynb")
        nbformat.write(nb, paths[-1])
    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(pool.map(lambda p: export_html(p).read_text(), paths))
    assert [[f"page {j}" in page for j in range(4)] for page in pages] == [
        [i == j for j in range(4)] for i in range(4)]
    assert html_exporter.cache_info().currsize == 1  # made once, not once per thread


def test_warming_builds_the_exporter_that_pages_then_use(tmp_path):
    html_exporter.cache_clear()
    warm_html()
    assert html_exporter.cache_info().currsize == 1
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('mine')")])
    nbformat.write(nb, tmp_path / "executed.ipynb")
    assert "mine" in export_html(tmp_path / "executed.ipynb").read_text()
    assert html_exporter.cache_info().hits >= 1  # the warmed exporter, not a second one


def test_a_failed_warm_up_is_left_to_the_pages(monkeypatch):
    def broken() -> None:
        raise RuntimeError("no templates")

    monkeypatch.setattr("grader.report.notebook_page.html_exporter", broken)
    warm_html()  # no error here: the first real page records it
    assert _HTML_LOCK.acquire(blocking=False)  # and the pages' lock is free again
    _HTML_LOCK.release()


def test_the_page_forbids_scripts_before_any_can_run(tmp_path):
    html = "<b>kept</b><script>document.title='PWNED'</script>"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": html}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "alert(1)"})])])
    nbformat.write(nb, tmp_path / "executed.ipynb")
    page = export_html(tmp_path / "executed.ipynb").read_text()
    assert page.count(NO_SCRIPTS) == 1 and "<b>kept</b>" in page
    # first thing in the head: a policy governs only what the parser meets after it
    lowered = page.lower()
    assert lowered.index("<head") < page.index(NO_SCRIPTS) < lowered.index("<script")
    assert "script-src 'none'" in NO_SCRIPTS and "frame-src 'none'" in NO_SCRIPTS


def test_a_page_without_a_head_is_refused_not_left_open():
    assert without_scripts('<HTML><HEAD lang="en"></HEAD>').startswith(
        '<HTML><HEAD lang="en">\n' + NO_SCRIPTS)
    with pytest.raises(ValueError, match="no <head>"):
        without_scripts("<html><body><script>x()</script></body></html>")
