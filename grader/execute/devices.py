"""How many kernels run at once and where: enough to use the machine, few enough to fit.

With GPUs, each kernel gets one (``CUDA_VISIBLE_DEVICES``), ``--kernels-per-gpu`` of
them share a card with memory growth on; without, kernels run on the CPU.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from grader.errors import SandboxError
from grader.machine import available_memory, usable_cpus

GIB = 1 << 30
DEFAULT_KERNEL_MEMORY = 4 * GIB


def thread_env(workers: int, cpus: int | None = None) -> dict[str, str]:
    """Thread caps for each of ``workers`` kernels running at once: the cores shared out.

    Left alone, TensorFlow (and the BLAS under NumPy) sizes its thread pools to every
    core in each kernel, and kernels running side by side spin against each other for
    the same cores: on 2 cores, 2 workers spent about a fifth more CPU per trivial
    notebook without these caps (`benchmarks/README.md`).
    """
    n = str(max(1, (cpus or usable_cpus()) // max(1, workers)))
    return {"TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": n, "OMP_NUM_THREADS": n,
            "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n}


def default_workers(kernel_memory: int | None = DEFAULT_KERNEL_MEMORY,
                    cpus: int | None = None, memory: int | None = None,
                    gpu_slots: int | None = None) -> int:
    """Kernels to run at once: one per core (or per GPU slot), as many as memory allows.

    Args:
        kernel_memory: What one kernel may use (the sandbox's memory cap).
        cpus: Cores (default: this machine's).
        memory: Bytes available (default: this machine's now).
        gpu_slots: GPUs × kernels per GPU, when kernels run on GPUs.
    """
    cpus = cpus or usable_cpus()
    memory = memory if memory is not None else available_memory()
    wanted = gpu_slots or cpus
    by_memory = wanted if memory is None else memory // (kernel_memory or DEFAULT_KERNEL_MEMORY)
    return max(1, min(wanted, by_memory))


def on_gpu(env: Mapping[str, str]) -> bool:
    """Whether a kernel with environment ``env`` (see :meth:`Device.env`) runs on a GPU."""
    return bool(env.get("CUDA_VISIBLE_DEVICES"))


@dataclass(frozen=True)
class Device:
    """Where one kernel runs: a GPU (its CUDA index) or the CPU."""

    gpu: str | None = None

    @property
    def name(self) -> str:
        """``GPU 1`` or ``CPU``, for reports."""
        return f"GPU {self.gpu}" if self.gpu is not None else "CPU"

    def env(self) -> dict[str, str]:
        """Kernel environment: only this GPU visible (none for the CPU), memory grown on need.

        Growing memory lets several kernels share a card instead of the first taking it all:
        TensorFlow's memory growth, and no up-front 75 % for Keras on JAX (PyTorch
        allocates on need anyway).
        """
        return {"CUDA_VISIBLE_DEVICES": self.gpu if self.gpu is not None else "",
                "TF_FORCE_GPU_ALLOW_GROWTH": "true", "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}


class Devices:
    """Hands out devices to kernels: ``per_gpu`` kernels on each GPU at once, else the CPU."""

    def __init__(self, gpus: Sequence[str] = (), per_gpu: int = 1) -> None:
        self.gpus = list(gpus)
        self.per_gpu = max(1, per_gpu)
        self._free: queue.Queue[str] = queue.Queue()
        for _ in range(self.per_gpu):
            for gpu in self.gpus:
                self._free.put(gpu)

    @property
    def slots(self) -> int | None:
        """Kernels that can hold a GPU at once (None: CPU only, no limit here)."""
        return len(self.gpus) * self.per_gpu if self.gpus else None

    def take(self, wait: bool = True) -> Device | None:
        """A device for one kernel; with GPUs, a free slot (None if none and not ``wait``)."""
        if not self.gpus:
            return Device()
        try:
            return Device(self._free.get(block=wait))
        except queue.Empty:
            return None

    def give(self, device: Device) -> None:
        """Return a device :meth:`take` handed out."""
        if device.gpu is not None:
            self._free.put(device.gpu)

    @contextmanager
    def acquire(self) -> Iterator[Device]:
        """A device for one kernel, waiting for a free GPU slot when there are GPUs."""
        device = self.take()
        assert device is not None
        try:
            yield device
        finally:
            self.give(device)


def detect_gpus() -> list[str]:
    """CUDA indices of this machine's NVIDIA GPUs (``nvidia-smi``), none if it has none."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run([exe, "--query-gpu=index", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip().isdigit()]


def parse_gpus(text: str | None) -> list[str]:
    """``--gpus``: ``auto`` (what ``nvidia-smi`` lists), ``none``, or indices like ``0,1``.

    Raises:
        SandboxError: Something else was given.
    """
    if text is None or text == "auto":
        return detect_gpus()
    if text == "none":
        return []
    ids = [t.strip() for t in text.split(",") if t.strip()]
    if not ids or not all(t.isdigit() for t in ids):
        raise SandboxError(f"--gpus {text!r}: give auto, none, or indices like 0,1")
    return list(dict.fromkeys(ids))
