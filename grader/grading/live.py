"""Check one question from inside a notebook, against the kernel's live objects.

``import grader; grader.check("q3", assignment="dat405_a7")`` collects the models and
histories the notebook holds now (with the probe the grader uses), has the grader's
clean worker read back and measure the saved models, and runs that question's public
checks: the same messages as the report, in seconds, without re-running the notebook.
Figures drawn in earlier cells are gone by then (Jupyter closes them), so checks on
figures say to run ``grader check`` on the saved notebook instead.
"""

from __future__ import annotations

import os
import tempfile
from html import escape
from pathlib import Path
from typing import Any

from grader.checks.base import question_outcome
from grader.errors import GraderError
from grader.report.markup import code_spans

FIGURE_CHECKS = frozenset({"plots_present", "errorbar_plot", "figure_in_section",
                           "kernels_plotted"})
_DEFAULTS: dict[str, str | None] = {"assignment": None, "profile": None}


def use(assignment: str, profile: str | None = None) -> None:
    """Set the assignment (and profile) that later :func:`check` calls use."""
    _DEFAULTS.update(assignment=assignment, profile=profile)


def _question(pack: Any, wanted: str) -> Any:
    questions = pack.spec.questions
    exact = [q for q in questions if q.id == wanted]
    matches = exact or [q for q in questions if q.id.split("_")[0] == wanted]
    if len(matches) != 1:
        known = ", ".join(q.id for q in questions)
        raise GraderError(f"{pack.id} has no question {wanted!r} (questions: {known})")
    return matches[0]


def _notebook_cells() -> list[dict[str, Any]]:
    """The saved notebook's cells, when Jupyter says which file this kernel belongs to."""
    from grader.notebook import read_notebook

    path = os.environ.get("JPY_SESSION_NAME")
    if not path or not Path(path).is_file():
        return []
    try:
        return [dict(c) for c in read_notebook(Path(path)).cells]
    except GraderError:
        return []


def _open_figures() -> list[dict[str, Any]]:
    import sys

    if "matplotlib.pyplot" not in sys.modules:
        return []
    from grader.kernel.setup_src import describe_figure

    plt = sys.modules["matplotlib.pyplot"]
    return [describe_figure(plt.figure(n), i) for i, n in enumerate(plt.get_fignums(), 1)]


def _live_only(question: dict[str, Any], has_cells: bool) -> dict[str, Any]:
    """Skip the checks a live kernel cannot answer (figures; answers without the file).

    A skipped check counts 0 of 0, as everywhere else; the question's totals and
    verdict follow.
    """
    for c in question["checks"]:
        name = c["id"].split(".", 1)[1]
        if name in FIGURE_CHECKS or (name == "answer_present" and not has_cells):
            what = "figures of earlier cells are closed by now" if name in FIGURE_CHECKS else (
                "the notebook file is not known to this kernel")
            c.update(outcome="skipped", score=0.0, max_score=0.0, message=(
                f"Not checked live ({what}): save the notebook and run `grader check` on it."))
    checks = question["checks"]
    question["score"] = round(sum(c["score"] for c in checks), 2)
    question["points"] = round(sum(c["max_score"] for c in checks), 2)
    question["outcome"] = question_outcome([c["outcome"] for c in checks],
                                           any(c["score"] > 0 for c in checks))
    return question


def collect_live(namespace: dict[str, Any], pack: Any, out_dir: Path,
                 mnist: str | Path | None = None) -> list[dict[str, Any]]:
    """Grade every question of ``pack`` on ``namespace``'s objects; return the questions."""
    from grader.evaluate.data import data_sources, locate_mnist
    from grader.evaluate.images import image_sets
    from grader.evaluate.measure import evaluate_models, verified_models
    from grader.evaluate.workers import Evaluator
    from grader.grading.assess import grade_questions
    from grader.kernel import probe_src

    profile = pack.spec.profile(_DEFAULTS["profile"])
    expected = pack.expected(profile.name)
    doc = probe_src.collect(namespace, str(out_dir))
    doc["calls"] = probe_src.call_functions(namespace, list(pack.spec.calls))
    mnist_path = locate_mnist(mnist)
    sources = data_sources(pack, mnist_path, {})
    images = image_sets(pack, mnist_path, out_dir / "pngs")
    with Evaluator(sources, images=images, denoising=pack.spec.denoising) as evaluator:
        evaluations = evaluate_models(doc["models"], pack.spec, evaluator, out_dir)
    doc["models"] = verified_models(doc["models"], evaluations)
    cells = _notebook_cells()
    questions = grade_questions(pack, expected, doc, evaluations, _open_figures(), cells,
                                sources)
    return [_live_only(q, bool(cells)) for q in questions]


def view_html(view: Any) -> str:
    """The student's view as a small HTML table for the notebook."""
    from grader.report.selfcheck import hidden_line

    colour = {"✔": "#1a7f37", "✎": "#8250df", "–": "#6e7781", "✘": "#cf222e"}
    rows = "".join(
        f"<tr><td style='color:{colour[r.mark]}'>{r.mark}</td><td>{escape(r.title)}</td>"
        f"<td>{r.score:g}/{r.points:g}</td><td>{code_spans(r.message)}"
        + "".join(f"<br><b>→ {code_spans(h)}</b>" for h in r.hints) + "</td></tr>"
        for r in view.rows)
    hidden = hidden_line(view)
    return ("<table><tr><th></th><th>question</th><th>points</th><th>what the grader found"
            f"</th></tr>{rows}</table>" + (f"<p><i>{escape(hidden)}</i></p>" if hidden else ""))


def check(question: str, assignment: str | None = None, *, mnist: str | Path | None = None,
          show: bool = True) -> dict[str, Any]:
    """Check one question of the running notebook now; show the verdict and return it.

    Args:
        question: A question id (``"q3_cnn"``) or its first part (``"q3"``).
        assignment: The pack (default: the one given to :func:`use`, or
            ``$GRADER_ASSIGNMENT``).
        mnist: MNIST in Keras layout (default: ``$GRADER_MNIST``, then Keras' cache).
        show: Display the result as a table in the notebook.
    """
    from IPython import get_ipython

    from grader.assignment.pack import find_pack
    from grader.report.selfcheck import public_view

    name = assignment or _DEFAULTS["assignment"] or os.environ.get("GRADER_ASSIGNMENT")
    if not name:
        raise GraderError("say which assignment: grader.check('q3', assignment='dat405_a7'), "
                          "or call grader.use('dat405_a7') once")
    shell = get_ipython()
    if shell is None:
        raise GraderError("grader.check() runs inside a notebook; use `grader check FILE` "
                          "in a terminal")
    pack = find_pack(name)
    wanted = _question(pack, question)
    with tempfile.TemporaryDirectory(prefix="grader-live-") as tmp:
        questions = collect_live(shell.user_ns, pack, Path(tmp), mnist)
    result = next(q for q in questions if q["id"] == wanted.id)
    if show:
        from IPython.display import HTML, display

        display(HTML(view_html(public_view([result]))))
    return result
