"""``grader gradescope``: the autograder zip Gradescope runs, and what runs inside it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grader.cli.common import AssignmentOpt, MnistOpt, console, fail
from grader.errors import GraderError

gradescope_app = typer.Typer(help="Gradescope: build the autograder, grade inside it.",
                             no_args_is_help=True)


@gradescope_app.command("build")
def build(
    assignment: Annotated[str, typer.Argument(help="Assignment id.")],
    out: Annotated[Path, typer.Option(help="Where the zip goes.")] = Path("dist"),
    requirement: Annotated[str | None, typer.Option(
        help="What pip installs the grader from inside Gradescope (default: a wheel of "
             "this grader, in the zip).")] = None,
) -> None:
    """Write OUT/<id>-autograder.zip: upload it as the assignment's autograder.

    Its setup.sh installs the grader and MNIST in Gradescope's image; its run_autograder
    grades each submission and writes the results Gradescope shows, per check.
    """
    from grader.assignment.pack import find_pack
    from grader.report.autograder import build_autograder

    try:
        pack = find_pack(assignment)
        pack.expected(pack.spec.profile(None).name)  # a zip that cannot grade is no zip
        zipped = build_autograder(pack.root, pack.id, out, requirement)
    except GraderError as exc:
        raise fail(exc) from None
    console.print(f"wrote {zipped}: upload it in the assignment's Configure Autograder page",
                  highlight=False)


@gradescope_app.command("run")
def run(
    assignment: AssignmentOpt,
    submission: Annotated[Path, typer.Option(help="The submission folder.")] = Path(
        "/autograder/submission"),
    results: Annotated[Path, typer.Option(help="Where results.json goes.")] = Path(
        "/autograder/results/results.json"),
    mnist: MnistOpt = None,
) -> None:
    """Grade a Gradescope submission and write its results.json (what run_autograder calls).

    Whatever happens, a results.json is written: Gradescope shows its output to the
    student, and a submission with no notebook says so there.
    """
    import tempfile

    from grader.assignment.pack import find_pack
    from grader.batch.options import BatchOptions
    from grader.batch.start import grade_batch
    from grader.evaluate.data import locate_mnist
    from grader.report.autograder import copy_submission, write_results

    with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as tmp:
        try:
            pack = find_pack(assignment)
            notebooks = copy_submission(submission, Path(tmp) / "in")
            if not notebooks:
                write_results(None, results, "No .ipynb file in the submission: upload your "
                                             "notebook.")
                return
            said = (f"{len(notebooks)} notebooks submitted: graded {notebooks[0].name}.\n\n"
                    if len(notebooks) > 1 else "")
            if pack.spec.notebooks:  # an assignment of several notebooks: all of them, joined
                from grader.assignment.parts import join_folder

                notebooks = [join_folder(Path(tmp) / "in", pack.spec.notebooks,
                                         Path(tmp) / "joined" / "submission.ipynb")]
                said = ""
            outcome = grade_batch(notebooks[:1], pack, Path(tmp) / "out", locate_mnist(mnist),
                                  BatchOptions(pdf=False, audience="student"))
        except GraderError as exc:
            write_results(None, results, f"The grader could not grade this submission: {exc}")
            raise fail(exc) from None
        path = write_results(outcome.results[0], results)
        if said:
            import json

            doc = json.loads(path.read_text(encoding="utf-8"))
            doc["output"] = said + doc.get("output", "")
            path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    console.print(f"wrote {results}", highlight=False)
