"""Run one student notebook with papermill, the way the grader needs it.

The notebook is copied into its work dir with the grader's setup cell before the
student's code and the probe cell after it; parameters go into its ``parameters``
cell when it has one. Execution goes on past failing cells (a later question can
still earn points), each cell has a time limit and the whole notebook a deadline,
after which the remaining student cells are skipped but the probe still runs. The
executed notebook is kept. Whatever kernelspec the student's file names, the
grader's own Python runs it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from traitlets import Float, Int

from grader.errors import ExecutionError, NotebookError
from grader.inject import is_injected

KERNEL_NAME = "grader-python"
ENGINE_NAME = "grader"
INJECTED_CELL_TIMEOUT = 300


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a submission as nbformat 4, with one clear error when it is not a notebook."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise NotebookError("not a notebook: the file is not UTF-8 text", path=path) from None
    except OSError as exc:
        raise NotebookError(f"cannot read the file ({exc.strerror})", path=path) from None
    try:
        nb = nbformat.reads(text, as_version=4)
    except nbformat.reader.NotJSONError:
        raise NotebookError("not a notebook: the file is not valid JSON", path=path) from None
    except nbformat.ValidationError as exc:
        raise NotebookError(f"not a valid notebook: {exc.message}", path=path) from None
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for odd documents
        raise NotebookError(f"not a readable notebook ({type(exc).__name__}: {exc})",
                            path=path) from None
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise NotebookError(f"not a valid notebook: {exc.message}", path=path) from None
    return nb


def has_parameters_cell(nb: nbformat.NotebookNode) -> bool:
    """Whether a cell is tagged ``parameters`` (papermill's convention)."""
    return any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells)


@dataclass(frozen=True)
class CellFailure:
    """A student cell that raised, timed out or killed the kernel."""

    cell: int
    ename: str
    evalue: str
    traceback: tuple[str, ...]
    source: str

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return {"cell": self.cell, "ename": self.ename, "evalue": self.evalue,
                "traceback": list(self.traceback), "source": self.source}


@dataclass(frozen=True)
class ExecutionResult:
    """What happened when the notebook ran."""

    executed_path: Path
    seconds: float
    failures: tuple[CellFailure, ...]
    cells_run: int
    cells_skipped: int
    deadline_hit: bool
    kernel_died_in: int | None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return {
            "executed_path": str(self.executed_path), "seconds": round(self.seconds, 2),
            "failures": [f.to_dict() for f in self.failures], "cells_run": self.cells_run,
            "cells_skipped": self.cells_skipped, "deadline_hit": self.deadline_hit,
            "kernel_died_in": self.kernel_died_in, "parameters": dict(self.parameters),
            "notes": list(self.notes),
        }


def kernel_manager_class(env: Mapping[str, str], log_path: Path) -> type[AsyncKernelManager]:
    """A kernel manager that starts the grader's Python for any kernel name.

    The kernel's own stdout and stderr (TensorFlow's start-up chatter, crashes)
    go to ``log_path``, not to the grader's terminal.
    """
    spec = KernelSpec(
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name="grader (Python 3)", language="python", env=dict(env),
    )

    class GraderKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:  # type: ignore[override]
            return spec

        async def _async_start_kernel(self, **kw: Any) -> None:
            log = open(log_path, "ab")  # noqa: SIM115 - the kernel process keeps it open
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
            try:
                await super()._async_start_kernel(**kw)
            finally:
                log.close()

        start_kernel = _async_start_kernel

    return GraderKernelManager


class GraderNotebookClient(PapermillNotebookClient):
    """Papermill's client, changed to keep going after errors and to honour a deadline."""

    cell_timeout = Int(600).tag(config=True)
    notebook_timeout = Float(1800).tag(config=True)

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def _cell_timeout(self, cell: Any) -> int:
        if is_injected(cell):
            return INJECTED_CELL_TIMEOUT
        return max(1, int(min(self.cell_timeout, self._remaining())))

    def papermill_execute_cells(self) -> None:
        """Run every cell; skip student cells once past the deadline; stop if the kernel dies."""
        self._deadline = time.monotonic() + self.notebook_timeout
        self.timeout_func = self._cell_timeout
        for index, cell in enumerate(self.nb.cells):
            meta = cell.metadata.setdefault("grader", {})
            if not is_injected(cell) and cell.cell_type == "code" and self._remaining() <= 0:
                meta["skipped"] = "deadline"
                continue
            limit = self._cell_timeout(cell)
            start = time.monotonic()
            try:
                self.nb_man.cell_start(cell, index)
                self.execute_cell(cell, index)
            except DeadKernelError:
                meta["kernel_died"] = True
                break
            finally:
                meta["seconds"] = round(time.monotonic() - start, 3)
                if cell.cell_type == "code" and meta["seconds"] >= limit:
                    meta["timed_out"] = limit
                self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)


class GraderEngine(NBClientEngine):
    """Papermill engine ``grader``: :class:`GraderNotebookClient` on nbclient."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
        """Execute with the grader's client; kwargs as papermill's nbclient engine takes them."""
        client_kwargs = {k: v for k, v in kwargs.items()
                         if k not in ("input_path", "timeout", "startup_timeout",
                                      "start_timeout", "execution_timeout")}
        return GraderNotebookClient(
            nb_man, kernel_name=kernel_name, startup_timeout=kwargs.get("start_timeout", 60),
            **client_kwargs,
        ).execute()


papermill_engines.register(ENGINE_NAME, GraderEngine)


def prepare(nb: nbformat.NotebookNode, setup: Any, probe: Any) -> nbformat.NotebookNode:
    """Number the student's cells, clear old outputs, add setup and probe, set our kernel."""
    for number, cell in enumerate(nb.cells, 1):
        cell.metadata["grader"] = {"cell": number}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.cells = [setup, *nb.cells, probe]
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "grader (Python 3)",
                                 "language": "python"}
    nb.metadata.setdefault("language_info", {"name": "python"})
    return nb


def _failures(nb: nbformat.NotebookNode) -> tuple[list[CellFailure], int | None, int, int]:
    failures, died, run, skipped = [], None, 0, 0
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("grader", {})
        number = meta.get("cell")
        if number is None or cell.cell_type != "code":
            continue
        source = "\n".join(cell.source.splitlines()[:3])
        if meta.get("skipped"):
            skipped += 1
            continue
        if "seconds" in meta:
            run += 1
        if meta.get("kernel_died"):
            died = number
            failures.append(CellFailure(number, "KernelDied",
                                        "the kernel died while running this cell", (), source))
            continue
        if meta.get("timed_out"):
            failures.append(CellFailure(number, "CellTimeout",
                                        f"the cell ran past its {meta['timed_out']} s limit",
                                        (), source))
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                failures.append(CellFailure(number, out.get("ename", "Error"),
                                            out.get("evalue", ""),
                                            tuple(out.get("traceback", [])), source))
                break
    return failures, died, run, skipped


def execute(
    nb: nbformat.NotebookNode,
    work_dir: Path,
    *,
    kernel_env: Mapping[str, str],
    parameters: Mapping[str, Any] | None = None,
    cell_timeout: int = 600,
    notebook_timeout: int = 1800,
    start_timeout: int = 120,
) -> ExecutionResult:
    """Execute a prepared notebook in ``work_dir`` and describe what happened.

    Args:
        nb: The notebook after :func:`prepare`.
        work_dir: The submission's own directory; the kernel runs there.
        kernel_env: Environment variables for the kernel.
        parameters: Injected into the ``parameters`` cell, if the notebook has one.
        cell_timeout: Seconds any one student cell may run.
        notebook_timeout: Seconds all student cells together may run.
        start_timeout: Seconds to wait for the kernel to start.
    """
    executed = work_dir / "executed.ipynb"
    params = dict(parameters or {})
    notes = []
    if params and not has_parameters_cell(nb):
        notes.append("The notebook has no cell tagged `parameters`, so no parameters were "
                     "injected.")
        params = {}
    start = time.monotonic()
    try:
        papermill.execute_notebook(
            nb, str(executed), parameters=params or None, engine_name=ENGINE_NAME,
            kernel_name=KERNEL_NAME, language="python", progress_bar=False,
            start_timeout=start_timeout, cwd=str(work_dir), allow_errors=True,
            interrupt_on_timeout=True, cell_timeout=cell_timeout,
            notebook_timeout=float(notebook_timeout),
            kernel_manager_class=kernel_manager_class(kernel_env, work_dir / "kernel.log"),
        )
    except PapermillExecutionError:
        pass  # cell errors are expected; they are read back from the executed notebook
    except Exception as exc:  # noqa: BLE001 - kernel start failures and the like
        if not executed.exists():
            raise ExecutionError(f"the notebook could not be run: {type(exc).__name__}: {exc}",
                                 path=executed, reason=type(exc).__name__) from exc
        notes.append(f"Execution stopped early: {type(exc).__name__}: {exc}")
    seconds = time.monotonic() - start
    out = nbformat.read(executed, as_version=4)
    failures, died, run, skipped = _failures(out)
    return ExecutionResult(executed, seconds, tuple(failures), run, skipped, skipped > 0, died,
                           params, tuple(notes))


def export_html(executed: Path) -> Path:
    """The executed notebook as a standalone HTML page beside it (nbconvert's classic look).

    Injected grader cells are left out: students see their own notebook as it ran.
    """
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    nb.cells = [c for c in nb.cells if "grader-injected" not in c.get("metadata", {}).get(
        "tags", [])]
    body, _ = HTMLExporter().from_notebook_node(nb)
    out = executed.with_suffix(".html")
    out.write_text(body, encoding="utf-8")
    return out
