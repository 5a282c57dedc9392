"""``grader env``: build a pack's kernel environment ahead of a batch, list what exists."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from grader.cli.common import console, err, fail
from grader.errors import GraderError

env_app = typer.Typer(help="Kernel environments of packs that name their own packages.",
                      no_args_is_help=True)


@env_app.command("build")
def build_env(
    assignment: Annotated[str, typer.Argument(help="Assignment id.")],
    force: Annotated[bool, typer.Option(help="Rebuild even if it exists.")] = False,
) -> None:
    r"""Create the environment the pack's `\[kernel]` requirements or packages name (pip, once)."""
    from grader.assignment.pack import find_pack
    from grader.execute.virtualenvs import KernelEnv, build

    try:
        pack = find_pack(assignment)
        spec = pack.spec
        if not spec.kernel_requirements and not spec.kernel_packages:
            console.print(f"{assignment} names no kernel requirements or packages: its "
                          "notebooks run in the grader's own environment")
            return
        env = KernelEnv.for_requirements(spec.kernel_requirements,
                                         packages=spec.kernel_packages)
        was_ready = env.ready()
        build(env, log=lambda msg: err.print(msg, highlight=False, markup=False), force=force)
    except GraderError as exc:
        raise fail(exc) from None
    info = env.info()
    state = "already built" if was_ready and not force else "built"
    console.print(f"{assignment}: {state} {env.path} (Keras {info.get('keras')}, "
                  f"TensorFlow {info.get('tensorflow')})", highlight=False)


@env_app.command("list")
def list_envs() -> None:
    """Every kernel environment: requirements, Keras and TensorFlow, size on disk."""
    from grader.execute.virtualenvs import env_root, listing

    rows = listing()
    if not rows:
        console.print(f"no kernel environments in {env_root()}")
        return
    table = Table(title=f"kernel environments in {env_root()}")
    for col in ("key", "requirements", "keras", "tensorflow", "size", "state"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["key"], ", ".join(r["requirements"]) or "?", str(r["keras"] or "?"),
                      str(r["tensorflow"] or "?"), f"{r['size_bytes'] / 2**20:,.0f} MiB",
                      "ready" if r["ready"] else "incomplete")
    console.print(table)
