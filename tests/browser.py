"""Pages as a browser draws them: Chromium, as Qt WebEngine embeds it, offscreen.

Imported, :func:`in_browser` opens a page in a child process and hands back what a
JavaScript expression gave there. Run as a script, this file is that child. Where the
engine cannot start (PyQt6-WebEngine or a system library it needs missing), tests that
need it are skipped, unless ``GRADER_REQUIRE_BROWSER=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ENV = {"QT_QPA_PLATFORM": "offscreen", "QTWEBENGINE_DISABLE_SANDBOX": "1",
       "QTWEBENGINE_CHROMIUM_FLAGS": "--disable-gpu --no-sandbox --disable-background-networking",
       "QT_LOGGING_RULES": "*=false"}


def in_browser(page: Path | str, expression: str, width: int = 1000, height: int = 2000,
               timeout: float = 120, before: str = "", wait_ms: int = 0,
               until: str = "") -> Any:
    """What ``expression`` evaluates to in ``page``, opened at ``width`` × ``height`` pixels.

    ``page`` is a file or an ``http://`` address. The expression runs after the page
    loaded and a short settle (and, with ``before``, after that script ran, ``wait_ms``
    passed and ``until``, polled, is true: what a user did, and the page's answers to
    it); its value must be JSON.
    """
    needs_browser()
    proc = _child(page, expression, width, height, timeout, before, wait_ms, until)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"the browser failed ({proc.returncode}):\n" \
        f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return json.loads(lines[-1].removeprefix("RESULT "))


@functools.cache
def browser_problem() -> str | None:
    """Why no page can be drawn here, or None when one can (tried once per session)."""
    probe = Path(__file__).with_name("fixtures") / "browser_probe.html"
    try:
        proc = _child(probe, "document.title", 200, 200, 120)
    except subprocess.TimeoutExpired:
        return "Qt WebEngine did not draw a page within 120 s"
    if '"drawn"' not in proc.stdout:
        return f"Qt WebEngine cannot draw here: {(proc.stderr.strip() or proc.stdout)[-300:]}"
    return None


def needs_browser() -> None:
    """Skip the calling test where no browser can run, or fail under ``GRADER_REQUIRE_BROWSER``."""
    problem = browser_problem()
    if problem and os.environ.get("GRADER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"GRADER_REQUIRE_BROWSER=1, but {problem}")
    if problem:
        pytest.skip(problem)


def _child(page: Path | str, expression: str, width: int, height: int,
           timeout: float, before: str = "", wait_ms: int = 0, until: str = "",
           ) -> subprocess.CompletedProcess[str]:
    """This file run as the child that draws ``page`` (see :func:`_draw`)."""
    return subprocess.run([sys.executable, __file__, str(page), expression, str(width),
                           str(height), before, str(wait_ms), until], env=os.environ | ENV,
                          capture_output=True, text=True, timeout=timeout)


def _draw(page: str, expression: str, width: int, height: int, before: str = "",
          wait_ms: int = 0, until: str = "") -> None:
    """The child: open ``page``, print ``RESULT <json>`` of ``expression``, exit."""
    from PyQt6.QtCore import QTimer, QUrl
    from PyQt6.QtWebEngineWidgets import QWebEngineView
    from PyQt6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    view = QWebEngineView()
    view.resize(width, height)
    view.show()

    def report(value: Any) -> None:
        print("RESULT " + (value if isinstance(value, str) else "null"), flush=True)
        app.quit()

    def loaded(ok: bool) -> None:
        if not ok:
            print("RESULT " + json.dumps({"error": "the page did not load"}), flush=True)
            app.quit()
            return
        def evaluate() -> None:
            view.page().runJavaScript(f"JSON.stringify({expression})", 0, report)

        def poll(_: Any = None) -> None:  # until ``until`` holds, then evaluate
            if not until:
                evaluate()
                return
            view.page().runJavaScript(
                f"(() => {{ try {{ return !!({until}); }} catch (e) {{ return false; }} }})()", 0,
                lambda ok: evaluate() if ok else QTimer.singleShot(250, poll))

        if before:
            QTimer.singleShot(500, lambda: view.page().runJavaScript(
                before, 0, lambda _: QTimer.singleShot(wait_ms, poll)))
        else:
            QTimer.singleShot(500, poll)

    view.loadFinished.connect(loaded)
    view.load(QUrl(page) if page.startswith("http") else
              QUrl.fromLocalFile(str(Path(page).resolve())))
    QTimer.singleShot(90_000, app.quit)
    app.exec()


if __name__ == "__main__":
    _draw(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
          sys.argv[5] if len(sys.argv) > 5 else "", int(sys.argv[6]) if len(sys.argv) > 6 else 0,
          sys.argv[7] if len(sys.argv) > 7 else "")
