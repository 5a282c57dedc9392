"""Grader-side evaluation in a pack's kernel environment (another Python, another Keras).

A model a Keras 2 kernel saved is read back and measured by that environment's own
Keras, in clean worker processes the grader starts with the environment's Python
(``python -m grader.evaluate.env_workers``). They speak JSON lines over their stdin and stdout:
first the batch's data sources, then one request per call; results are the same
plain data :class:`grader.evaluate.workers.Evaluator` returns. Nothing is pickled between
the two Pythons.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from grader.assignment.spec import Dataset, Denoising
from grader.evaluate.data import DataSource


def _jsonable(value: Any) -> Any:
    """NumPy scalars and arrays as plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


def init_message(sources: Mapping[str, DataSource], images: Mapping[str, dict[str, Any]],
                 denoising: Denoising | None) -> dict[str, Any]:
    """What a worker needs before its first request, as plain data."""
    return {
        "sources": {name: {"dataset": dataclasses.asdict(s.dataset), "path": str(s.path)}
                    for name, s in sources.items()},
        "images": {name: {"files": list(s["files"]), "x": s["x"], "y": s["y"]}
                   for name, s in images.items()},
        "denoising": dataclasses.asdict(denoising) if denoising else None,
    }


def _tuples(cls: type, fields: dict[str, Any]) -> Any:
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})


def _serve() -> None:
    """The worker: read the init line, then answer one request per line until stdin closes."""
    import numpy as np

    from grader.evaluate import workers as evaluate

    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the protocol
    init = json.loads(sys.stdin.readline())
    sources = {name: DataSource(_tuples(Dataset, s["dataset"]), Path(s["path"]))
               for name, s in init["sources"].items()}
    images = {name: {"files": s["files"], "x": np.asarray(s["x"], dtype=np.uint8),
                     "y": s["y"]} for name, s in init["images"].items()}
    denoising = _tuples(Denoising, init["denoising"]) if init["denoising"] else None
    evaluate._init_worker(sources, images, denoising)
    evaluate._warm()
    functions: dict[str, Callable[[list[Any]], dict[str, dict[str, Any]]]] = {
        "evaluate": evaluate._evaluate_many, "denoise": evaluate._denoise_many}
    for line in sys.stdin:
        request = json.loads(line)
        reply: dict[str, Any]
        try:
            reply = {"results": functions[request["fn"]]([tuple(j) for j in request["jobs"]])}
        except Exception as exc:  # noqa: BLE001 - reported back, the worker goes on
            reply = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        out.write(json.dumps(reply, default=_jsonable) + "\n")
        out.flush()


class _Worker:
    """One worker process of the environment's Python, started fresh."""

    def __init__(self, python: Path, init: str, env: Mapping[str, str],
                 log: Path | None = None) -> None:
        self.log = log
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
        with open(log if log is not None else os.devnull, "ab") as err:
            self.proc = subprocess.Popen(
                [str(python), "-m", "grader.evaluate.env_workers"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=err, env=dict(env), text=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin: IO[str] = self.proc.stdin
        self.stdout: IO[str] = self.proc.stdout
        self._send_init(init)

    def _send_init(self, init: str) -> None:
        try:
            self.stdin.write(init + "\n")
            self.stdin.flush()
        except OSError:
            pass  # it died at once; the first call says so

    def _died(self) -> str:
        where = f"; its log: {self.log}" if self.log is not None else ""
        return f"evaluation worker died (exit {self.proc.wait()}{where})"

    def call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request; the reply, or an ``error`` when it dies or runs out of time."""
        try:
            self.stdin.write(json.dumps(request) + "\n")
            self.stdin.flush()
        except OSError:
            return {"error": self._died()}
        ready, _, _ = select.select([self.stdout], [], [], timeout)
        if not ready:
            return {"error": f"evaluation took longer than {timeout:.0f} s"}
        line = self.stdout.readline()
        if not line:
            return {"error": self._died()}
        return dict(json.loads(line))

    def _kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        """Stop the process."""
        self._kill()
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                stream.close()


class _ForkedWorker(_Worker):
    """A worker forked from the batch's fork server, Keras already imported there.

    It saves each worker a TensorFlow import of its own (seconds of a core while the
    first kernels wait for theirs) and the memory of a second copy of it; see
    :mod:`grader.kernel.forkserver`. It runs with the server's environment.
    """

    def __init__(self, server: str, init: str, timeout: float) -> None:  # noqa: D107
        from grader.execute.virtualenvs import grader_path
        from grader.kernel.launch import ask

        child_in, to_child = os.pipe()
        from_child, child_out = os.pipe()
        try:
            self.pid = ask(server, {"module": "grader.evaluate.env_workers",
                                    "path": [str(grader_path())]},
                           [child_in, child_out], timeout=timeout)
            self._pidfd = os.pidfd_open(self.pid)
        except BaseException:
            os.close(to_child)
            os.close(from_child)
            raise
        finally:
            os.close(child_in)
            os.close(child_out)
        self.stdin = os.fdopen(to_child, "w", encoding="utf-8")
        self.stdout = os.fdopen(from_child, "r", encoding="utf-8")
        self._send_init(init)

    def _died(self) -> str:
        return "evaluation worker died (its fork server's log says why)"

    def _kill(self) -> None:
        pidfd, self._pidfd = self._pidfd, -1
        if pidfd >= 0:
            with contextlib.suppress(OSError):  # already gone
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            os.close(pidfd)


class EnvEvaluator:
    """:class:`grader.evaluate.workers.Evaluator`'s interface, served by another Python's workers.

    Safe to call from several threads; ``processes`` workers start on first need and a
    worker that fails or runs out of time is replaced. With ``server`` (the socket of a
    fork server of the same Python) workers are forked from it; where it cannot fork
    one, they start fresh from then on. A fresh worker's output goes to ``log`` (else
    nowhere); a forked one's, to its server's log.
    """

    def __init__(self, python: Path, sources: Mapping[str, DataSource], timeout: float = 600,
                 images: Mapping[str, dict[str, Any]] | None = None,
                 denoising: Denoising | None = None, processes: int = 1,
                 server: str | None = None, log: Path | None = None) -> None:
        from grader.execute.environ import kept_env
        from grader.execute.virtualenvs import grader_path

        self.python = Path(python)
        self.server = server
        self.log = log
        self._closed = False
        self.sources = dict(sources)
        self.timeout = timeout
        self.processes = max(1, processes)
        self._init = json.dumps(init_message(self.sources, dict(images or {}), denoising),
                                default=_jsonable)
        self._env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
                     "HOME": os.environ.get("HOME", "/tmp"), "PYTHONNOUSERSITE": "1",
                     "PYTHONPATH": str(grader_path()), "TF_CPP_MIN_LOG_LEVEL": "2",
                     "TF_FORCE_GPU_ALLOW_GROWTH": "true"} | kept_env()
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        for _ in range(self.processes):
            self._idle.put(None)  # a slot; its worker starts on first use

    def _start(self) -> _Worker:
        worker: _Worker | None = None
        if self.server is not None and not self._closed:
            try:
                worker = _ForkedWorker(self.server, self._init, self.timeout)
            except OSError:
                self.server = None  # the server is gone or cannot fork: fresh ones from now
        with self._lock:
            if self._closed:  # a warm-up still waiting on the server when the batch ended
                if worker is not None:
                    worker.close()
                raise OSError("the evaluator is closed")
            if worker is None:
                worker = _Worker(self.python, self._init, self._env, self.log)
            self._all.append(worker)
        return worker

    def warm(self) -> None:
        """Start every worker now, while the first kernels run.

        A fresh worker imports Keras meanwhile; one from a fork server waits until the
        server has, so it is asked for in a thread of its own.
        """
        if self.server is not None:
            threading.Thread(target=self._fill, name="evaluator-warm", daemon=True).start()
        else:
            self._fill()

    def _fill(self) -> None:
        slots = [self._idle.get() for _ in range(self.processes)]
        try:
            for i, worker in enumerate(slots):
                if worker is None:
                    slots[i] = self._start()
        except OSError:
            pass  # started on first use instead, where the failure is recorded
        finally:
            for worker in slots:
                self._idle.put(worker)

    def evaluate(self, requests: Sequence[tuple[Path, str | None]]) -> dict[str, dict[str, Any]]:
        """As :meth:`grader.evaluate.workers.Evaluator.evaluate`."""
        return self._run("evaluate", [[str(Path(f).resolve()), src] for f, src in requests])

    def denoise(self, requests: Sequence[tuple[Path, Path, str]]) -> dict[str, dict[str, Any]]:
        """As :meth:`grader.evaluate.workers.Evaluator.denoise`."""
        return self._run("denoise", [[str(Path(a).resolve()), str(Path(c).resolve()), how]
                                     for a, c, how in requests])

    def _run(self, fn: str, jobs: list[list[Any]]) -> dict[str, dict[str, Any]]:
        if not jobs:
            return {}
        worker = self._idle.get()
        try:
            if worker is None:
                worker = self._start()
            reply = worker.call({"fn": fn, "jobs": jobs}, self.timeout)
        except OSError as exc:
            reply = {"error": f"could not start the evaluation worker ({exc})"}
        if "results" in reply:
            self._idle.put(worker)
            return dict(reply["results"])
        if worker is not None:
            worker.close()
        self._idle.put(None)
        why = str(reply.get("error") or "evaluation failed")  # the worker failed, not the model
        return {job[0]: {"error": why, "transient": True} for job in jobs}

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            workers, self._all = self._all, []
        for w in workers:
            w.close()

    def __enter__(self) -> EnvEvaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    _serve()
