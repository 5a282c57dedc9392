"""Run one student notebook with papermill, the way the grader needs it.

The notebook is copied into its work dir with the grader's setup cell before the
student's code and the probe cell after it; parameters go into its ``parameters``
cell when it has one. Execution goes on past failing cells (a later question can
still earn points), each cell has a time limit and the whole notebook a deadline,
after which the remaining student cells are skipped but the probe still runs. The
executed notebook is kept. Whatever kernelspec the student's file names, the
grader's own Python (or the pack's kernel environment, :mod:`grader.execute.virtualenvs`) runs
it, contained by :mod:`grader.execute.sandbox`: it talks to the grader over Unix sockets,
its outputs are capped, a cell that ignores the interrupt at its time limit gets
its kernel killed, and the kernel is killed, not asked to exit, once the probe has
run (no ``atexit`` hook of the student's runs after it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import papermill
from nbclient.exceptions import DeadKernelError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from papermill.exceptions import PapermillExecutionError
from traitlets import Float, Int

from grader.errors import CELL_TIMEOUT, KERNEL_DIED, ExecutionError
from grader.execute.devices import on_gpu
from grader.execute.diskcap import DiskWatch, clear
from grader.execute.kernels import DIED_AT_START, KERNEL_LOG, KERNEL_NAME, Kernel, launch
from grader.execute.sandbox import Sandbox
from grader.notebook import MAX_FILE_BYTES, has_parameters_cell, is_injected

ENGINE_NAME = "grader"
INJECTED_CELL_TIMEOUT = 300
TRUNCATED = "\n[grader: output cut here; this notebook printed more than {mib:g} MiB]\n"


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


class GraderNotebookClient(PapermillNotebookClient):
    """Papermill's client, changed to keep going after errors, honour a deadline, cap output."""

    cell_timeout = Int(600).tag(config=True)
    notebook_timeout = Float(1800).tag(config=True)
    output_limit = Int(8 << 20).tag(config=True)
    # how long a wait for a reply outside cells (kernel_info once the cells are done) goes
    # before it looks whether the kernel still lives: nbclient's 5 s held up every kernel
    # that died in a cell (killed at the disk cap, or when the batch is stopped)
    shell_timeout_interval = Int(1).tag(config=True)

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def _cell_timeout(self, cell: Any) -> int:
        if is_injected(cell):
            return INJECTED_CELL_TIMEOUT
        return max(1, int(min(self.cell_timeout, self._remaining())))

    def output(self, outs: list, msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> Any:
        """Keep outputs until the notebook's output budget is spent, then note the cut once.

        A stream message that crosses the limit keeps its first part.
        """
        used = getattr(self, "_output_bytes", 0)
        content = msg.get("content", {})
        size = len(json.dumps(content, default=str))
        self._output_bytes = used + size
        if self._output_bytes <= self.output_limit:
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.output_limit:
            left = self.output_limit - used
            if msg.get("msg_type") == "stream" and left > 0:
                head = {**msg, "content": {**content, "text": str(content.get("text", ""))[:left]}}
                super().output(outs, head, display_id, cell_index)
            self.nb.cells[cell_index].metadata.setdefault("grader", {})["output_truncated"] = True
            outs.append(nbformat.v4.new_output(
                "stream", name="stderr", text=TRUNCATED.format(mib=self.output_limit / 2**20)))
        return None

    async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> Any:
        """Interrupt at the time limit; a cell that runs on past a second limit loses its kernel."""
        meta = cell.metadata.setdefault("grader", {}) if cell is not None else {}
        if meta.get("interrupted"):
            meta["killed_after_timeout"] = True
            await self.km.shutdown_kernel(now=True)
            raise DeadKernelError("the cell ignored the interrupt at its time limit")
        meta["interrupted"] = True
        return await super()._async_handle_timeout(timeout, cell)

    def execute(self, **kwargs: Any) -> Any:
        """Run the notebook; the kernel is always killed after, even one started ahead."""
        return super().execute(cleanup_kc=True, **kwargs)

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


class ExecutionManager(NotebookExecutionManager):
    """Papermill's execution manager, writing the output notebook less often.

    Papermill writes the whole output notebook as each cell starts and again as it
    ends. The grader reads it only once the run is over, so here a cell's start or end
    writes it only when ``autosave_cell_every`` seconds have passed since the last
    write (a long run still leaves a recent copy); the run's start and end always do.
    """

    _forced = True

    def save(self, **kwargs: Any) -> None:
        """Write the notebook at the run's start and end, else at most every so often."""
        elapsed = (self.now() - self.last_save_time).total_seconds()
        if self._forced or 0 < self.autosave_cell_every <= elapsed:  # 0: never between
            super().save(**kwargs)

    def notebook_start(self, **kwargs: Any) -> None:
        """Papermill's start, then only the throttled writes until the end."""
        super().notebook_start(**kwargs)
        self._forced = False

    def notebook_complete(self, **kwargs: Any) -> None:
        """Papermill's end, with its final write."""
        self._forced = True
        super().notebook_complete(**kwargs)


class GraderEngine(NBClientEngine):
    """Papermill engine ``grader``: :class:`GraderNotebookClient` on nbclient."""

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None,
                         progress_bar: bool = True, log_output: bool = False,
                         autosave_cell_every: int = 30, **kwargs: Any) -> Any:
        """Papermill's run (:class:`ExecutionManager`), without the input notebook in its output.

        Papermill records its input path in the output's metadata; given a prepared
        notebook instead of a path, it records the whole notebook, which then doubles
        every write of the output. The prepared notebook has no path: recorded as null.
        """
        if not isinstance(nb.metadata.get("papermill", {}).get("input_path"), str | None):
            nb.metadata.papermill["input_path"] = None
        nb_man = ExecutionManager(nb, output_path=output_path, progress_bar=progress_bar,
                                  log_output=log_output, autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb

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
    """Number the student's cells, clear old outputs, add setup and probe, set our kernel.

    ``setup`` is one cell or a list of cells, run in order before the student's.
    """
    setups = list(setup) if isinstance(setup, list) else [setup]
    for number, cell in enumerate(nb.cells, 1):
        cell.metadata["grader"] = {"cell": number}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.cells = [*setups, *nb.cells, probe]
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "grader (Python 3)",
                                 "language": "python"}
    nb.metadata.setdefault("language_info", {"name": "python"})
    return nb


def _failures(nb: nbformat.NotebookNode, death: str | None = None,
              ) -> tuple[list[CellFailure], int | None, int, int]:
    """Failing student cells, the cell the kernel died in, cells run and skipped.

    ``death`` says why the kernel died, when the grader knows (memory cap).
    """
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
            if meta.get("killed_after_timeout"):
                why = (f"the cell ran past its {meta.get('timed_out', '?')} s limit and ignored "
                       "the interrupt, so the grader stopped its kernel")
            else:
                why = death or ("the kernel died while running this cell (it exited or crashed: "
                                "os._exit, a segmentation fault, a limit of the sandbox)")
            failures.append(CellFailure(number, KERNEL_DIED, why, (), source))
            continue
        if meta.get("timed_out"):
            failures.append(CellFailure(number, CELL_TIMEOUT,
                                        f"the cell ran past its {meta['timed_out']} s limit",
                                        (), source))
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                failures.append(CellFailure(
                    number, str(out.get("ename", "Error"))[:200], str(out.get("evalue", ""))[:2000],
                    tuple(str(t)[:4000] for t in out.get("traceback", [])[-60:]), source))
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
    sandbox: Sandbox | None = None,
    read_only: Sequence[Path] = (),
    executed_path: Path | None = None,
    python: Path | None = None,
    kernel: Kernel | None = None,
    keep: Mapping[str, int] | None = None,
) -> ExecutionResult:
    """Execute a prepared notebook in ``work_dir``, contained, and describe what happened.

    Args:
        nb: The notebook after :func:`prepare`.
        work_dir: The submission's own directory (see :func:`launch`).
        kernel_env: Environment variables for the kernel (nothing else of the grader's).
        parameters: Injected into the ``parameters`` cell, if the notebook has one.
        cell_timeout: Seconds any one student cell may run.
        notebook_timeout: Seconds all student cells together may run.
        start_timeout: Seconds to wait for the kernel to be ready.
        sandbox: How to contain the kernel (default: bubblewrap where it runs).
        read_only: Files and folders the kernel may read (its data).
        executed_path: Where the executed notebook goes; keep it outside ``work_dir``
            so the kernel cannot read or rewrite it (default: inside, for tests).
        python: The kernel's Python (see :func:`launch`).
        kernel: A kernel :func:`launch` started for this notebook; started here if None.
            Either way it is killed before this returns.
        keep: Files of ``work_dir`` (relative path: most bytes) that stay when the
            notebook went over the disk cap and the rest of what it wrote is deleted.
    """
    work_dir = Path(work_dir).resolve()
    executed = Path(executed_path or work_dir / "executed.ipynb")
    if kernel is None:
        kernel = launch(work_dir, kernel_env=kernel_env, sandbox=sandbox, read_only=read_only,
                        log_path=executed.with_name(KERNEL_LOG), python=python,
                        notebook_timeout=notebook_timeout)
    sandbox = kernel.sandbox
    params = dict(parameters or {})
    notes = [sandbox.note] if sandbox.note else []
    if params and not has_parameters_cell(nb):
        notes.append("The notebook has no cell tagged `parameters`, so no parameters were "
                     "injected.")
        params = {}
    start = time.monotonic()
    stopped: Exception | None = None
    limit = sandbox.limits.disk
    watch = DiskWatch(work_dir, limit, kernel.kill) if limit else None
    try:
        with watch or nullcontext():
            papermill.execute_notebook(
                nb, str(executed), parameters=params or None, engine_name=ENGINE_NAME,
                kernel_name=KERNEL_NAME, language="python", progress_bar=False,
                start_timeout=start_timeout, cwd=str(work_dir), allow_errors=True,
                interrupt_on_timeout=True, cell_timeout=cell_timeout,
                notebook_timeout=float(notebook_timeout), shutdown_kernel="immediate",
                output_limit=sandbox.limits.output, km=kernel.km,
            )
    except PapermillExecutionError:
        pass  # cell errors are expected; they are read back from the executed notebook
    except Exception as exc:  # noqa: BLE001 - kernel start failures and the like
        if not executed.exists():
            kernel.stop()
            raise ExecutionError(f"the notebook could not be run: {type(exc).__name__}: {exc}",
                                 path=executed, reason=type(exc).__name__) from exc
        stopped = exc
    finally:
        over_disk = watch.exceeded if watch is not None else None
        death = over_disk
        if kernel.cgroup is not None and kernel.cgroup.oom_killed():
            death = killed_for_memory(sandbox.limits.memory or 0)
        kernel.stop()
        if over_disk:
            ours = {str(p.relative_to(work_dir)): MAX_FILE_BYTES
                    for p in (executed, executed.with_name(KERNEL_LOG)) if work_dir in p.parents}
            clear(work_dir, {**(keep or {}), **ours})
    seconds = time.monotonic() - start
    out = nbformat.read(executed, as_version=4)
    failures, died, run, skipped = _failures(out, death)
    if died is None and over_disk:
        notes.append(f"While the grader's own cells ran, {over_disk}.")  # e.g. the probe's
    if stopped is not None:
        if died is None:  # a kernel that died in a cell is said with that cell, and why
            notes.append(f"Execution stopped early: {type(stopped).__name__}: {stopped}")
        hint = start_death_hint(str(stopped), sandbox.limits.memory or 0,
                                bool(kernel.cgroup and kernel.cgroup.caps_memory),
                                on_gpu(kernel_env))
        if hint:
            notes.append(hint)
    return ExecutionResult(executed, seconds, tuple(failures), run, skipped, skipped > 0, died,
                           params, tuple(notes))


def killed_for_memory(memory: int) -> str:
    """Why the kernel died, when its cgroup killed it for going over ``memory`` bytes."""
    return f"the kernel was killed for using more than {memory / 2**30:g} GiB of memory"


def start_death_hint(error: str, memory: int, cgroup_caps_memory: bool,
                     gpu: bool) -> str | None:
    """What to try when a kernel on a GPU died as it started under an rlimit memory cap.

    Without a cgroup, a GPU kernel's memory cap is ``RLIMIT_DATA``; CUDA's libraries
    alone can fill 4 GiB of it (Keras on PyTorch, one kernel per H100), and the kernel
    then exits before it answers, with nothing in its log.
    """
    if not (gpu and memory and not cgroup_caps_memory and DIED_AT_START in error):
        return None
    return (f"The kernel, on a GPU, died as it started, under a cap of {memory / 2**30:g} GiB "
            "on its private memory (an rlimit: no cgroup could be made here). CUDA's "
            "libraries can need more: grade again with a higher --memory (16G was enough "
            "for Keras on PyTorch on an H100).")
