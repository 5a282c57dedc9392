"""``grader reference``: train a pack's reference into its expected results, and show them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from grader.cli.common import DataOpt, MnistOpt, ShowFormat, console, fail, parse_data
from grader.errors import GraderError
from grader.text import pct

reference_app = typer.Typer(help="Build and inspect a pack's expected results.",
                            no_args_is_help=True)


@reference_app.command("build")
def reference_build(
    assignment: Annotated[str, typer.Argument(help="Assignment id.")],
    profile: Annotated[str, typer.Option(help="Profile to build, or 'all'.")] = "fast",
    mnist: MnistOpt = None,
    data: DataOpt = None,
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="Train only this reference model (repeatable); the others keep "
                       "their expected results, e.g. when one model's dataset arrives.")] = None,
) -> None:
    """Train the reference models and write expected/<profile>.json."""
    from grader.assignment.pack import find_pack
    from grader.evaluate.data import data_sources, locate_mnist
    from grader.grading.reference import build_expected, summarize, write_expected

    try:
        pack = find_pack(assignment)
        names = list(pack.spec.profiles) if profile == "all" else [pack.spec.profile(profile).name]
        mnist_path = locate_mnist(mnist)
        extra = {k: v for k, v in data_sources(pack, mnist_path, parse_data(data)).items()
                 if k != "mnist"}
        for name in names:
            with console.status(f"training the {pack.id} reference ({name} profile)…"):
                expected = build_expected(pack, name, mnist_path, Path(".grader") / "data",
                                          extra, only or ())
            path = write_expected(pack, name, expected)
            console.print(f"wrote {path}")
            console.print_json(json.dumps(summarize(expected)["models"]))
    except GraderError as exc:
        raise fail(exc) from None


@reference_app.command("show")
def reference_show(
    assignment: Annotated[str, typer.Argument(help="Assignment id.")],
    profile: Annotated[str, typer.Option(help="Profile, or 'all'.")] = "all",
    format: Annotated[ShowFormat, typer.Option("--format", help="How to print.")]
    = ShowFormat.table,
) -> None:
    """Print the expected results: parameter counts, accuracies, thresholds."""
    from grader.assignment.pack import find_pack
    from grader.grading.reference import summarize

    try:
        pack = find_pack(assignment)
        names = list(pack.spec.profiles) if profile == "all" else [pack.spec.profile(profile).name]
        profiles = {n: summarize(pack.expected(n)) for n in names}
        doc = {"assignment": pack.id, "title": pack.spec.title, "max_score": pack.spec.max_score,
               "profiles": profiles}
    except GraderError as exc:
        raise fail(exc) from None
    if format is ShowFormat.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    for name, prof in profiles.items():
        table = Table(title=f"{pack.id} — {name} profile")
        for col in ("model", "total params", "trainable", "test accuracy", "epochs"):
            table.add_column(col)
        for model, m in prof["models"].items():
            table.add_row(model, f"{m['total_params']:,}", f"{m['trainable_params']:,}",
                          pct(m["accuracy"]),
                          str(m["epochs"] or "–"))
        console.print(table)
        if prof.get("denoising"):
            _print_curves(prof["denoising"])
        for check_id, values in prof["checks"].items():
            if values:
                console.print(f"  {check_id}: {json.dumps(values)}", highlight=False)


def _print_curves(curves: dict) -> None:
    """The reference denoising curves as a table: mean ± std per noise level."""
    table = Table(title=f"denoising curves: `{curves['classifier']}` on noisy and "
                        f"`{curves['autoencoder']}`-denoised test images "
                        f"({curves['replicates']} runs)")
    for col in ("noise", "noisy", "denoised"):
        table.add_column(col)
    for i, level in enumerate(curves["levels"]):
        table.add_row(f"{level:g}", *(f"{100 * curves[k]['mean'][i]:.1f} ± "
                                      f"{100 * curves[k]['std'][i]:.1f} %"
                                      for k in ("noisy", "denoised")))
    console.print(table)
